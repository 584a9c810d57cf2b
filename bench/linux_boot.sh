#!/bin/bash
# SPDX-License-Identifier: MIT
# Linux boot speed: time from start to the init marker and to power-off, rewind beside
# qemu-system-x86_64 -accel tcg -machine q35 booting the same kernel and initramfs, in one run.
#
#   bench/linux_boot.sh BUILD_DIR
set -eu
build=$1
guest=$build/samples/linux
rewind=$build/rewind
[ -f "$guest/vmlinuz" ] || bash "$(dirname "$0")/../samples/linux/build-guest.sh" "$guest" >/dev/null
cmdline='console=ttyS0 earlyprintk=serial,ttyS0,115200 panic=-1 nokaslr'

now() { date +%s.%N; }
# Runs a command, printing "<seconds to marker> <seconds to exit>".
timed_boot() {
  local start marker="" line
  start=$(now)
  while IFS= read -r line; do
    case $line in *"REWIND-GUEST: init started"*) [ -z "$marker" ] && marker=$(now) ;; esac
  done < <("$@" 2>/dev/null </dev/null)
  local end; end=$(now)
  echo "$(echo "$marker - $start" | bc -l) $(echo "$end - $start" | bc -l)"
}

read -r r_marker r_end < <(timed_boot "$rewind" run -m 512 -kernel "$guest/vmlinuz" \
  -initrd "$guest/initrd.cpio.gz" -append "$cmdline" -no-reboot)
insns=$("$rewind" run -m 512 -kernel "$guest/vmlinuz" -initrd "$guest/initrd.cpio.gz" \
  -append "$cmdline" -no-reboot --stats 2>&1 >/dev/null </dev/null |
  sed -n 's/.*stats: \([0-9]*\) instructions.*/\1/p')
read -r q_marker q_end < <(timed_boot qemu-system-x86_64 -machine q35 -accel tcg -cpu core2duo \
  -m 512 -nographic -no-reboot -kernel "$guest/vmlinuz" -initrd "$guest/initrd.cpio.gz" \
  -append "$cmdline")

echo "Linux boot ($(cat "$guest/kernel-version.txt" 2>/dev/null || echo kernel), busybox initramfs, 512 MiB)"
printf '%-30s %14s %14s\n' "" "init marker" "power-off"
printf '%-30s %12.2f s %12.2f s\n' "rewind interpreter" "$r_marker" "$r_end"
printf '%-30s %12.2f s %12.2f s\n' "qemu-system-x86_64 (TCG)" "$q_marker" "$q_end"
echo "rewind executed $insns guest instructions ($(echo "scale=1; $insns / $r_end / 1000000" | bc -l) MIPS)"
