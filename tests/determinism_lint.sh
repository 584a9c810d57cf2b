#!/bin/sh
# SPDX-License-Identifier: MIT
# STYLE practice 3: jit/, devices/ and replay/ never read host time or host randomness. The one
# sanctioned exception is the live InputPort, whose reads are journaled inputs; such lines carry
# the marker comment "input-port:".
set -u
root=$1
pattern='chrono::[a-z_]*clock::now|clock_gettime|gettimeofday|[^a-z_]time\(|[^a-z_]s?rand\(|random_device|__rdtsc|__builtin_ia32_rdtsc|"rdtsc|getrandom\('
hits=$(grep -rnE "$pattern" "$root/jit" "$root/devices" "$root/replay" --include='*.h' --include='*.cc' \
       | grep -v 'input-port:' | grep -vE '^\S+:[0-9]+:\s*//')
if [ -n "$hits" ]; then
  echo "host time or randomness used where the guest could observe it:" >&2
  echo "$hits" >&2
  exit 1
fi
echo "determinism lint: clean"
