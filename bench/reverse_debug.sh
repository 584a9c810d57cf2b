#!/bin/bash
# SPDX-License-Identifier: MIT
# Reverse-debugging latency on a long recording (the Linux boot), end to end through gdb:
# reverse-stepi late in the recording (first one, then repeated), and reverse-continue
# searches that cross 10^8 and 10^9 instructions (no breakpoint or watchpoint to find, so the
# whole window is searched: the time is the search cost).
#
#   bench/reverse_debug.sh BUILD_DIR
set -eu
build=$1
rewind=$build/rewind
guest=$build/samples/linux
[ -f "$guest/vmlinuz" ] || bash "$(dirname "$0")/../samples/linux/build-guest.sh" "$guest" >/dev/null
work=$(mktemp -d)
server=""
trap '[ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$work"' EXIT
"$rewind" record -o "$work/linux.rwd" -m 512 -kernel "$guest/vmlinuz" \
  -initrd "$guest/initrd.cpio.gz" -append 'console=ttyS0 panic=-1 nokaslr' -no-reboot \
  >/dev/null 2>&1 </dev/null
end=$("$rewind" dump --json "$work/linux.rwd" | sed -n 's/.*"end_position": \([0-9]*\).*/\1/p')
port=$((20000 + RANDOM % 20000))
"$rewind" replay "$work/linux.rwd" -gdb "tcp:127.0.0.1:$port" 2>"$work/server.err" &
server=$!
for _ in $(seq 100); do grep -q waiting "$work/server.err" 2>/dev/null && break; sleep 0.1; done
late=$((end - 1000))
cat >"$work/bench.gdb" <<GDB
set pagination off
set confirm off
target remote 127.0.0.1:$port
python import time
python t = time.time()
monitor goto $late
python print("BENCH goto-late %.3f" % (time.time() - t))
python t = time.time()
reverse-stepi
python print("BENCH rsi-first %.3f" % (time.time() - t))
python ts = []
python exec("for i in range(10):\n  t = time.time()\n  gdb.execute('reverse-stepi', to_string=True)\n  ts.append(time.time() - t)")
python print("BENCH rsi-repeat %.3f" % (sorted(ts)[len(ts) // 2]))
monitor goto $((late - 100000000))
python t = time.time()
python gdb.execute("monitor goto $((late - 200000000))", to_string=True)
python print("BENCH seek-back-1e8 %.3f" % (time.time() - t))
GDB
# reverse-continue across N instructions: from position N with no breakpoint, the search scans
# all of [0, N) (in checkpoint intervals, latest first) and stops at the start.
for n in 100000000 1000000000; do
  cat >>"$work/bench.gdb" <<GDB
monitor goto $n
python t = time.time()
python gdb.execute("reverse-continue", to_string=True)
python print("BENCH rc-$n %.3f" % (time.time() - t))
GDB
done
echo "kill" >>"$work/bench.gdb"
timeout 3000 gdb -nx -batch -x "$work/bench.gdb" >"$work/gdb.out" 2>&1 || true
get() { sed -n "s/^BENCH $1 //p" "$work/gdb.out"; }
echo "Reverse debugging on the Linux boot recording ($end instructions), through gdb"
printf '%-46s %s s\n' "monitor goto near the end (first seek)" "$(get goto-late)"
printf '%-46s %s s\n' "reverse-stepi near the end, first" "$(get rsi-first)"
printf '%-46s %s s\n' "reverse-stepi near the end, repeated (median)" "$(get rsi-repeat)"
printf '%-46s %s s\n' "seek back 10^8 instructions" "$(get seek-back-1e8)"
printf '%-46s %s s\n' "reverse-continue across 10^8 instructions" "$(get rc-100000000)"
printf '%-46s %s s\n' "reverse-continue across 10^9 instructions" "$(get rc-1000000000)"
