#!/bin/sh
# SPDX-License-Identifier: MIT
# Record/replay costs on a guest, in one run: run vs record time (record overhead), replay
# time, journal bytes per guest second, checkpoint bytes, time to seek to the end.
#
#   bench/record_replay.sh BUILD_DIR [ITERATIONS]
set -eu
build=$1
iterations=${2:-40}
rewind=$build/rewind
bm=$build/samples/baremetal
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
guest="-kernel $bm/workload.elf -append iterations=$iterations -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04"

now() { date +%s.%N; }
best() {
  best_t=""
  for _ in 1 2 3; do
    t0=$(now); "$@" >/dev/null 2>&1 </dev/null || true; t1=$(now)
    t=$(echo "$t1 - $t0" | bc -l)
    if [ -z "$best_t" ] || [ "$(echo "$t < $best_t" | bc -l)" = 1 ]; then best_t=$t; fi
  done
  echo "$best_t"
}

# shellcheck disable=SC2086
t_run=$(best "$rewind" run $guest)
# shellcheck disable=SC2086
t_record=$(best "$rewind" record -o "$work/run.rwd" $guest)
t_replay=$(best "$rewind" replay "$work/run.rwd")
t_seek=$(best "$rewind" replay "$work/run.rwd" --seek end)
json=$("$rewind" dump --json "$work/run.rwd")
field() { echo "$json" | tr ',' '\n' | sed -n "s/.*\"$1\": {\"raw\": [0-9]*, \"stored\": \([0-9]*\)}*/\1/p" | head -1; }
insns=$(echo "$json" | sed -n 's/.*"end_position": \([0-9]*\).*/\1/p')
journal=$(field journal)
checkpoints=$(field checkpoint)
file=$(stat -c %s "$work/run.rwd")
ncp=$(echo "$json" | grep -o '"position":' | wc -l)

echo "Record/replay on the CPU workload (iterations=$iterations, $insns instructions), best of 3"
printf '%-34s %s\n' "rewind run" "$(printf '%.3f s' "$t_run")"
printf '%-34s %s\n' "rewind record" "$(printf '%.3f s (overhead %+.1f %%)' "$t_record" \
  "$(echo "($t_record / $t_run - 1) * 100" | bc -l)")"
printf '%-34s %s\n' "rewind replay (verifies hashes)" "$(printf '%.3f s (%.2fx record time)' \
  "$t_replay" "$(echo "$t_replay / $t_record" | bc -l)")"
printf '%-34s %s\n' "seek to the end" "$(printf '%.3f s' "$t_seek")"
printf '%-34s %s\n' "journal bytes per guest second" \
  "$(printf '%.0f' "$(echo "$journal / ($insns / 1000000000)" | bc -l)")"
printf '%-34s %s\n' "checkpoints" "$ncp, $checkpoints bytes stored"
printf '%-34s %s\n' "recording size" "$file bytes"
