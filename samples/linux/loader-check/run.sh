#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Boots the standard Linux guest in QEMU through rewind's Linux loader (devices/loader/linux.cc)
# instead of QEMU's own: dump_boot runs load_linux on the host, stub.S replays its memory image
# and 64-bit entry state from a multiboot trampoline. Passes when the guest reaches
# "REWIND-GUEST: done" and QEMU exits 0 (ACPI power-off). Needs build-guest.sh's output.
#
#   samples/linux/loader-check/run.sh [GUESTDIR] [APPEND]
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../../.." && pwd)
guest=${1:-$repo/build/samples/linux}
append=${2:-console=ttyS0 earlyprintk=serial,ttyS0,115200 panic=-1 nokaslr}
ram_mib=512
work="$guest/loader-check"
mkdir -p "$work"
rm -f "$work"/chunk*.bin

g++ -std=c++20 -O1 -Wall -I"$repo" "$here/dump_boot.cc" "$repo/devices/loader/linux.cc" \
  -o "$work/dump_boot"
"$work/dump_boot" "$guest/vmlinuz" "$guest/initrd.cpio.gz" "$append" "$ram_mib" "$work"
gcc -m32 -c -Wa,-I"$work" "$here/stub.S" -o "$work/stub.o"
ld -m elf_i386 -Ttext 0x200000 --oformat binary "$work/stub.o" -o "$work/stub.bin"

start=$EPOCHREALTIME
status=0
timeout 600 qemu-system-x86_64 -machine q35 -accel tcg -cpu core2duo -m "$ram_mib" \
  -nographic -no-reboot -kernel "$work/stub.bin" -initrd "$(cat "$work/modules.txt")" \
  < /dev/null > "$work/transcript.txt" 2> "$work/qemu.err" || status=$?
elapsed=$(echo "$EPOCHREALTIME - $start" | bc)

if [ "$status" -eq 0 ] && grep -q 'REWIND-GUEST: done' "$work/transcript.txt"; then
  echo "loader-check: OK in ${elapsed}s (transcript: $work/transcript.txt)"
else
  echo "loader-check: FAILED (QEMU status $status after ${elapsed}s)" >&2
  tail -n 20 "$work/transcript.txt" "$work/qemu.err" >&2
  exit 1
fi
