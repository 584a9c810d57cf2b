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
cmake --build "$out" -j2 --target recording_fuzz snapshot_fuzz fuzz_seeds gdb_packet_fuzz
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
# gdb packet seeds: a flags byte (bit 0 no-ack, bit 1 RLE replies, rest chunk size), then what
# gdb sends: a real session's packets, escapes, RLE, a bad checksum, an interrupt.
mkdir -p "$work/gdb"
printf '\x00+$qSupported:multiprocess+;swbreak+#1b$vMustReplyEmpty#3a%s%s%s' \
  '$QStartNoAckMode#b0$Hg0#df' \
  '$qXfer:features:read:target.xml:0,1000#0c$?#3f$g#67$m1000,8#92$Z0,1010,1#d5$vCont;s:1#23' \
  '$bs#d5$bc#c5$qRcmd,696e666f20636865636b706f696e7473#bc$D#44' >"$work/gdb/session"
printf '\x01$X2000,4:}\x04}\x03}]}\n#16$M10,2:abcd#00$P10=0010000000000000#00\x03%s' \
  '$vCont;C05:p1.-1;r1000,1010:2#00$z2,3000,4#fb$qC#00$Hc-1#09$T1#00$D;1#00$vKill;1#00' \
  >"$work/gdb/noack"
printf '\x06junk-$g#66$0* #7a$qXfer:features:read:target.xml:1000,1000#9d$k#6b' >"$work/gdb/rle"
"$out/tests/fuzz/gdb_packet_fuzz" -max_total_time="$seconds" -max_len=70000 -timeout=10 \
  "$work/gdb"
echo "fuzzing finished without findings"
