#!/bin/sh
# SPDX-License-Identifier: MIT
# Guest MIPS on the CPU-workload sample: rewind (interpreter), QEMU TCG and the same workload
# compiled natively, in one run, printed as a table. Not a unit test (no wall-clock asserts);
# run it with `ctest -L bench` or directly:
#
#   bench/cpu_workload.sh build [ITERATIONS]
#
# The instruction count is rewind's exact count of the guest run; QEMU and native figures are
# "equivalent MIPS" = that count / their wall time (the native binary executes the same C code
# without the boot code, so its figure is an upper bound for what the CPU does per second).
set -eu
build=$1
iterations=${2:-40}
bm=$build/samples/baremetal
rewind=$build/rewind
qemu=$(command -v qemu-system-x86_64 || true)

now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc -l; }

# Best of three: the figure least disturbed by whatever else the machine is doing.
best() {
  best_t=""
  for _ in 1 2 3; do
    t0=$(now); "$@" >/dev/null 2>&1 </dev/null || true; t1=$(now)
    t=$(elapsed "$t0" "$t1")
    if [ -z "$best_t" ] || [ "$(echo "$t < $best_t" | bc -l)" = 1 ]; then best_t=$t; fi
  done
  echo "$best_t"
}

stats=$("$rewind" run -kernel "$bm/workload.elf" -append "iterations=$iterations" -no-reboot \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04 --stats 2>&1 >/dev/null </dev/null \
        | sed -n 's/.*stats: \([0-9]*\) instructions.*/\1/p')
insns=$stats
t_rewind=$(best "$rewind" run -kernel "$bm/workload.elf" -append "iterations=$iterations" \
           -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04)
t_native=$(best "$bm/workload-native" "$iterations")
if [ -n "$qemu" ]; then
  t_qemu=$(best "$qemu" -machine q35 -accel tcg -cpu core2duo -m 128 -no-reboot -serial stdio \
           -monitor none -display none -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
           -kernel "$bm/workload.elf" -append "iterations=$iterations")
fi

mips() { echo "scale=1; $insns / $1 / 1000000" | bc -l; }
echo "CPU workload (iterations=$iterations, $insns guest instructions), best of 3"
printf '%-28s %10s %12s\n' "engine" "seconds" "guest MIPS"
printf '%-28s %10.3f %12s\n' "rewind interpreter" "$t_rewind" "$(mips "$t_rewind")"
if [ -n "$qemu" ]; then
  printf '%-28s %10.3f %12s\n' "qemu-system-x86_64 (TCG)" "$t_qemu" "$(mips "$t_qemu")"
else
  printf '%-28s %10s\n' "qemu-system-x86_64 (TCG)" "not installed"
fi
printf '%-28s %10.3f %12s\n' "native (same C code)" "$t_native" "$(mips "$t_native")"
