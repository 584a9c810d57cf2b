#!/bin/bash
# SPDX-License-Identifier: MIT
# Builds the fuzz targets with clang-19 + libFuzzer (ASan/UBSan) in build-fuzz/ and runs each
# for a bounded time on a seed corpus made from real recordings.
#
#   run_fuzz.sh SOURCE_DIR REWIND SECONDS
set -euo pipefail
src=$1 rewind=$2 seconds=${3:-60}
bm=$(dirname "$rewind")/samples/baremetal
out=$src/build-fuzz
cmake -S "$src" -B "$out" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 -DREWIND_FUZZ=ON >/dev/null
cmake --build "$out" -j2 --target recording_fuzz snapshot_fuzz fuzz_seeds
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/rec" "$work/snap"
exit_dev=(-device isa-debug-exit,iobase=0xf4,iosize=0x04 -no-reboot)
"$rewind" record -o "$work/crash.rwd" --checkpoint-interval 2000000 -kernel "$bm/crash.elf" \
  "${exit_dev[@]}" >/dev/null 2>&1 </dev/null || true
printf 'seed\nquit\n' | "$rewind" record -o "$work/echo.rwd" --checkpoint-interval 2000000 \
  -kernel "$bm/echo.elf" "${exit_dev[@]}" >/dev/null 2>&1 || true
"$out/tests/fuzz/fuzz_seeds" "$work/rec" "$work/snap" "$work/crash.rwd" "$work/echo.rwd"
"$out/tests/fuzz/recording_fuzz" -max_total_time="$seconds" -max_len=262144 -timeout=10 \
  "$work/rec"
"$out/tests/fuzz/snapshot_fuzz" -max_total_time="$seconds" -max_len=1048576 -timeout=10 \
  -rss_limit_mb=4096 "$work/snap"
echo "fuzzing finished without findings"
