#!/bin/bash
# SPDX-License-Identifier: MIT
# Drives Debian's real gdb in batch mode against `rewind replay -gdb` on a recording of the
# crashing bare-metal sample.
#
#   gdb_test.sh REWIND BAREMETAL_DIR CASE
set -u
rewind=$1 bm=$2 case=$3
work=$(mktemp -d)
server=""
trap '[ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; [ -f "$work/gdb.out" ] && cat "$work/gdb.out" >&2; exit 1; }
port=$((20000 + (RANDOM % 20000)))

"$rewind" record -o "$work/crash.rwd" --checkpoint-interval 1000000 -kernel "$bm/crash.elf" \
    -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 >/dev/null 2>&1 </dev/null
"$rewind" dump "$work/crash.rwd" >/dev/null || fail "dump failed"

start_server() {
  "$rewind" replay "$work/crash.rwd" -gdb "tcp:127.0.0.1:$port" 2>"$work/server.err" &
  server=$!
  for _ in $(seq 50); do grep -q waiting "$work/server.err" 2>/dev/null && return; sleep 0.1; done
  fail "server did not start"
}
run_gdb() {  # gdb commands on stdin
  { echo "set pagination off"; echo "set confirm off"; echo "target remote 127.0.0.1:$port"
    cat; echo "kill"; } >"$work/cmds.gdb"
  timeout 120 gdb -nx -batch -x "$work/cmds.gdb" "$bm/crash.elf64" >"$work/gdb.out" 2>&1
}
expect() { grep -q -E -- "$1" "$work/gdb.out" || fail "gdb output lacks /$1/"; }

if [ "$case" = live ]; then
  # rewind run -gdb: a live machine, forward only.
  "$rewind" run -kernel "$bm/crash.elf" -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
      -gdb "tcp:127.0.0.1:$port" >"$work/serial.out" 2>"$work/server.err" </dev/null &
  server=$!
  for _ in $(seq 50); do grep -q waiting "$work/server.err" 2>/dev/null && break; sleep 0.1; done
  { echo "set pagination off"; echo "target remote 127.0.0.1:$port"; echo "break fill_deadlines";
    echo "continue"; echo "monitor info replay"; echo "stepi"; echo "delete"; echo "continue"; } >"$work/cmds.gdb"
  timeout 60 gdb -nx -batch -x "$work/cmds.gdb" "$bm/crash.elf64" >"$work/gdb.out" 2>&1
  expect 'Breakpoint 1, fill_deadlines'
  expect 'a live machine at position'
  expect 'exited with code 043'
  grep -q 'PANIC: page fault' "$work/serial.out" || fail "the guest's output is missing"
  # Reverse execution is refused on a live machine.
  wait $server
  "$rewind" run -kernel "$bm/crash.elf" -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
      -gdb "tcp:127.0.0.1:$port" >/dev/null 2>"$work/server.err" </dev/null &
  server=$!
  for _ in $(seq 50); do grep -q waiting "$work/server.err" 2>/dev/null && break; sleep 0.1; done
  { echo "target remote 127.0.0.1:$port"; echo "stepi"; echo "reverse-stepi"; } >"$work/cmds.gdb"
  timeout 60 gdb -nx -batch -x "$work/cmds.gdb" "$bm/crash.elf64" >"$work/gdb.out" 2>&1
  expect "reverse execution needs a recording|E01|Target does not support"
  kill $server 2>/dev/null; wait $server 2>/dev/null; server=""
  echo "ok: live"
  exit 0
fi
start_server
case $case in
walkthrough)
  # The user story: continue towards the fault, watch the corrupted pointer, go back to the
  # write that corrupted it.
  run_gdb <<'G'
break recycle_jobs
continue
print g_sched.recycle_list
watch -l g_sched.recycle_list
reverse-continue
info registers rip
stepi
print g_sched.recycle_list
G
  expect 'Breakpoint 1, recycle_jobs'
  expect '\$1 = \(struct job \*\) 0x48000000'
  expect 'Old value = \(struct job \*\) 0x48000000'
  expect 'fill_deadlines .* at .*crash\.c:85'
  expect 'BUG: writes past the end'
  expect 'rip +0x[0-9a-f]+ +0x[0-9a-f]+ <fill_deadlines\+[0-9]+>'
  expect 'New value = \(struct job \*\) 0x48000000'
  ;;
stepi-back)
  run_gdb <<'G'
break fill_deadlines
continue
info registers
stepi 25
reverse-stepi 25
info registers
G
  awk '/^rax /{n++} n==1' "$work/gdb.out" | grep -E '^(rax|rbx|rcx|rdx|rsi|rdi|rbp|rsp|r[0-9]+|rip|eflags) ' >"$work/a"
  awk '/^rax /{n++} n==2' "$work/gdb.out" | grep -E '^(rax|rbx|rcx|rdx|rsi|rdi|rbp|rsp|r[0-9]+|rip|eflags) ' >"$work/b"
  [ -s "$work/a" ] || fail "no registers printed"
  cmp -s "$work/a" "$work/b" || { diff "$work/a" "$work/b" >&2; fail "registers differ after stepi/reverse-stepi"; }
  ;;
to-start)
  run_gdb <<'G'
break recycle_jobs
continue
delete
reverse-continue
info registers rip
G
  expect 'No more reverse-execution history'
  expect 'rip +0x10000c'
  ;;
to-end)
  run_gdb <<'G'
continue
monitor when
G
  expect 'No more reverse-execution history'
  expect 'position 6[0-9]{6}, virtual time'
  ;;
last-write)
  # A value written many times: reverse-continue from the end stops at its last write.
  run_gdb <<'G'
continue
print g_sched.ticks
watch -l g_sched.ticks
reverse-continue
stepi
print g_sched.ticks
continue
G
  final=$(sed -n 's/^\$1 = \([0-9]*\).*/\1/p' "$work/gdb.out")
  [ -n "$final" ] && [ "$final" != 0 ] || fail "no final value of g_sched.ticks"
  expect "Old value = $final"
  expect "\\\$2 = $final"
  # After the last write, forward execution reaches the end without another write.
  expect 'No more reverse-execution history'
  ;;
reverse-source)
  # Source-level reverse commands, which gdb builds from bs/bc and temporary breakpoints.
  run_gdb <<'G'
break crash.c:128
continue
reverse-next
info line *$pc
reverse-step
bt 1
reverse-finish
info line *$pc
next
next
info line *$pc
G
  expect 'Breakpoint 1, kmain .* at .*crash\.c:128'
  expect 'Line 127 of .*crash\.c'
  # From the start of line 127, reverse-step enters the previous line's call (kprintf, line 124).
  expect '#0 +kprintf'
  expect 'Line 124 of .*crash\.c'
  expect 'Line 128 of .*crash\.c'
  ;;
monitor)
  run_gdb <<'G'
monitor goto 50%
monitor when
monitor checkpoint halfway
monitor goto 1000
monitor info checkpoints
monitor goto halfway
monitor when
monitor info replay
monitor bogus
G
  expect 'now at position 3115843'
  expect "checkpoint 'halfway' at position 3115843"
  expect 'halfway +position 3115843'
  expect 'replaying a recording of 6231687 instructions'
  expect 'rewind monitor commands'
  ;;
refuse)
  # A second client is refused while the first holds the session; writes are refused too.
  # gdb stops a batch script at its first error, so the refused write comes last.
  { echo "set pagination off"; echo "target remote 127.0.0.1:$port"; echo "shell sleep 2";
    echo "info registers rip"; echo "set {int}0x103000 = 5"; } >"$work/first.gdb"
  timeout 60 gdb -nx -batch -x "$work/first.gdb" "$bm/crash.elf64" >"$work/gdb.out" 2>&1 &
  first=$!
  sleep 1
  reply=$(exec 3<>/dev/tcp/127.0.0.1/$port; printf '+$?#3f' >&3; timeout 2 cat <&3)
  wait $first
  echo "$reply" | grep -q 'one debugger at a time' || fail "second client not refused: '$reply'"
  expect 'rip +0x10000c'
  expect "Cannot access memory at address 0x103000|remote failure reply 'E01'"
  ;;
malformed)
  # Garbage, bad checksums, malformed fields and absurd lengths get errors or NAKs; the
  # session goes on and answers correctly afterwards.
  exec 3<>/dev/tcp/127.0.0.1/$port
  send() { printf '%s' "$1" >&3; }
  packet() {
    local sum
    sum=$(printf '%s' "$1" | od -An -tu1 -v | awk '{for (i = 1; i <= NF; i++) s += $i} END {print s % 256}')
    printf '$%s#%02x' "$1" "$sum"
  }
  send "garbage\x01\x02"
  send '$g#00'                       # bad checksum → NAK
  send "$(packet 'mzz,4')"            # malformed hex → E01
  send "$(packet 'm0,ffffffffffffffff')"  # absurd length → E01
  send "$(packet 'Z2,0,0')"           # zero-length watchpoint → error
  send "$(packet "X1000,$(printf 'f%.0s' {1..70000})")"  # oversized packet → E01
  send "$(packet 'qRcmd,7768656e')"   # monitor when
  send "$(packet '?')"
  reply=$(timeout 3 cat <&3)
  exec 3>&-
  echo "$reply" | grep -q -- '-' || fail "no NAK for a bad checksum: $reply"
  [ "$(echo "$reply" | grep -o 'E01' | wc -l)" -ge 2 ] || fail "malformed requests not answered E01: $reply"
  echo "$reply" | grep -q 'S05\|T05' || fail "the session did not go on: $reply"
  ;;
disconnect)
  # gdb disappears in the middle of a long reverse-continue: the server notices, stops, and
  # exits cleanly; the recording then replays exactly as before.
  { echo "set pagination off"; echo "target remote 127.0.0.1:$port"; echo "continue";
    echo "break _start"; echo "reverse-continue"; } >"$work/cmds.gdb"
  timeout 60 gdb -nx -batch -x "$work/cmds.gdb" "$bm/crash.elf64" >"$work/gdb.out" 2>&1 &
  g=$!
  sleep 1.5
  kill -9 $g 2>/dev/null
  for _ in $(seq 100); do kill -0 $server 2>/dev/null || break; sleep 0.1; done
  kill -0 $server 2>/dev/null && fail "server did not notice the disconnect"
  wait $server; status=$?
  server=""
  [ $status -lt 128 ] || fail "server crashed ($status)"
  "$rewind" replay "$work/crash.rwd" >/dev/null 2>&1 </dev/null
  [ $? = 35 ] || fail "the recording no longer replays"
  ;;
*) fail "unknown case $case" ;;
esac
[ -n "$server" ] && wait $server 2>/dev/null
server=""
echo "ok: $case"
