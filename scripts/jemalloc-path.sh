#!/bin/sh
# Prints the path of jemalloc's shared library for this machine's architecture (Debian and Ubuntu:
# the libjemalloc2 package), or nothing where it is not installed. scripts/sluice-node.sh preloads
# it; the benchmark's installer asks here whether it is present.
for lib in "/usr/lib/$(uname -m)-linux-gnu/libjemalloc.so.2" /usr/lib64/libjemalloc.so.2 /usr/lib/libjemalloc.so.2 /usr/local/lib/libjemalloc.so.2; do
  if [ -r "$lib" ]; then
    echo "$lib"
    exit 0
  fi
done
