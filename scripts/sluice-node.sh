#!/bin/sh
# Runs Node on a Sluice entry point as `npm start`, the Procfile and the benchmarks do:
#   sh scripts/sluice-node.sh dist/cli/main.js start --config config/sluice.yaml
# - jemalloc as malloc where it is installed (Debian: libjemalloc2), preloaded. It gives freed
#   memory back to the system where glibc's malloc keeps it: 10,000 established calls held 5.4-5.5
#   KB of RSS each against 6.2-8.0. Node's own allocations (a 64 KB buffer for every datagram
#   received, cut down to its size, then freed by the collector) cost it a little less CPU too:
#   0.98x per call. SLUICE_ALLOCATOR=system keeps glibc's malloc.
# - MALLOC_ARENA_MAX=2 for glibc's malloc (where jemalloc is not used): two arenas keep RSS per
#   established call about 20% lower than one per thread.
# - A 64 MB young generation, and --expose-gc so that Sluice can give it back once quiet (README).
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
exec "${SLUICE_NODE:-node}" --max-semi-space-size=64 --expose-gc $SLUICE_NODE_FLAGS "$@"
