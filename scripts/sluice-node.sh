#!/bin/sh
# Runs Node on a Sluice entry point as `npm start`, the Procfile and the benchmarks do:
#   sh scripts/sluice-node.sh dist/cli/main.js start --config config/sluice.yaml
# - jemalloc as malloc where it is installed (Debian: libjemalloc2), preloaded. Node's own
#   allocations (a 64 KB buffer for every datagram received, cut down to its size, then freed by
#   the collector) cost it a little less CPU than glibc's malloc: 0.98-0.99x per call. It holds
#   no more memory per established call: 5.38-7.51 KB in four runs of the benchmark's concurrency
#   part, against 6.15-7.96 on glibc's. SLUICE_ALLOCATOR=system keeps glibc's malloc.
# - MALLOC_ARENA_MAX=2 for glibc's malloc (where jemalloc is not used): two arenas keep RSS per
#   established call about 20% lower than one per thread.
# - A 64 MB young generation, and --expose-gc so that Sluice can give it back once quiet (README).
# - No allocation-site pretenuring: V8 would allocate in the old generation the objects of every
#   site whose objects outlived a collection or two (a call's records, its dialogs), and those
#   of a short call then die there, keeping what they point at alive through every young
#   collection until the next full one. Two Sluices of one build side by side, 2 s calls, one
#   given --allocation-site-pretenuring back (bench/lib/paired-rate.ts, as bench:ab runs it):
#   0.87-0.91x the CPU per call at 1,500 and 3,000 calls/s.
# SLUICE_NODE_FLAGS adds node flags after these (a repeated V8 flag takes the last value), and
# SLUICE_NODE names the node binary (default: node on PATH). exec keeps this process's PID.
if [ "${SLUICE_ALLOCATOR:-jemalloc}" != system ]; then
  lib=$(sh "$(dirname "$0")/jemalloc-path.sh")
  if [ -n "$lib" ]; then
    LD_PRELOAD="${LD_PRELOAD:+$LD_PRELOAD:}$lib"
    export LD_PRELOAD
  fi
fi
MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2}
export MALLOC_ARENA_MAX
# shellcheck disable=SC2086 # SLUICE_NODE_FLAGS is a list of flags, split on spaces
exec "${SLUICE_NODE:-node}" --max-semi-space-size=64 --expose-gc --no-allocation-site-pretenuring $SLUICE_NODE_FLAGS "$@"
