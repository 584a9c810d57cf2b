#!/bin/bash
# SPDX-License-Identifier: MIT
# The standard Linux guest (samples/linux: Debian's kernel and a busybox initramfs) on rewind.
#
#   linux_test.sh REWIND GUEST_DIR CASE
#
# boot           boots to the init marker, checks the kernel log and powers off with status 0
# hpet           clocksource=hpet on the command line works
# record-replay  records the boot, replays it three times: identical output, status, hashes
set -u
rewind=$1 guest=$2 case=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -f "$guest/vmlinuz" ] && [ -f "$guest/initrd.cpio.gz" ] || fail "no guest in $guest (the fixture builds it)"
cmdline='console=ttyS0 earlyprintk=serial,ttyS0,115200 panic=-1 nokaslr'
machine=(-m 512 -kernel "$guest/vmlinuz" -initrd "$guest/initrd.cpio.gz" -no-reboot)

check_log() {  # the acceptance checks on a serial transcript
  local log=$1
  grep -q 'REWIND-GUEST: init started' "$log" || fail "no init marker"
  grep -q 'REWIND-GUEST: done' "$log" || fail "init did not finish"
  grep -q 'reboot: Power down' "$log" || fail "no ACPI power-off"
  if grep -n -E 'BUG:|WARNING:|Oops|Kernel panic|ACPI Error|ACPI BIOS Error' "$log"; then
    fail "kernel log has errors"
  fi
  grep -q 'ACPI: Interpreter enabled' "$log" || fail "ACPI interpreter not enabled"
  grep -q 'ACPI: Using IOAPIC for interrupt routing' "$log" || fail "IOAPIC not used"
  grep -q 'hpet0: at MMIO 0xfed00000' "$log" || fail "HPET not found at 0xfed00000"
  grep -q -E 'smpboot: Allowing 1 CPUs|Allowing 1 present CPUs' "$log" || fail "not exactly one CPU"
  # /proc/interrupts is printed twice, a second apart: the IO-APIC timer and the LAPIC timer
  # counts must grow.
  local t1 t2 l1 l2
  t1=$(grep -E '^ +0: +[0-9]+ +IO-APIC' "$log" | sed -n '1s/^ *0: *\([0-9]*\).*/\1/p')
  t2=$(grep -E '^ +0: +[0-9]+ +IO-APIC' "$log" | sed -n '2s/^ *0: *\([0-9]*\).*/\1/p')
  l1=$(grep -E '^ *LOC:' "$log" | sed -n '1s/^ *LOC: *\([0-9]*\).*/\1/p')
  l2=$(grep -E '^ *LOC:' "$log" | sed -n '2s/^ *LOC: *\([0-9]*\).*/\1/p')
  [ -n "$t1" ] && [ -n "$t2" ] || fail "no IO-APIC timer line in /proc/interrupts"
  [ -n "$l1" ] && [ -n "$l2" ] && [ "$l2" -gt "$l1" ] || fail "LAPIC timer count did not grow ($l1 → $l2)"
  grep -c -E 'IO-APIC' "$log" | grep -q -v '^0$' || fail "no IO-APIC lines"
  # The RTC gives the wall-clock date read at boot (checked within a day of now).
  local guest_date today yesterday
  guest_date=$(grep -A1 "REWIND-GUEST: \$ date" "$log" | tail -1 | tr -d '\r' | awk '{print $2, $3, $6}')
  today=$(date -u '+%b %-d %Y'); yesterday=$(date -u -d yesterday '+%b %-d %Y')
  [ "$guest_date" = "$today" ] || [ "$guest_date" = "$yesterday" ] || fail "guest date '$guest_date', host '$today'"
}

case $case in
boot)
  timeout 1200 "$rewind" run "${machine[@]}" -append "$cmdline" --stats \
      >"$work/serial.log" 2>"$work/rewind.err" </dev/null
  status=$?
  cat "$work/rewind.err" >&2
  [ $status = 0 ] || { tail -40 "$work/serial.log" >&2; fail "rewind exit $status"; }
  check_log "$work/serial.log"
  echo "ok: Linux booted and powered off: $(grep stats "$work/rewind.err")"
  ;;
hpet)
  timeout 1200 "$rewind" run "${machine[@]}" -append "$cmdline clocksource=hpet" \
      >"$work/serial.log" 2>"$work/rewind.err" </dev/null
  [ $? = 0 ] || { tail -40 "$work/serial.log" >&2; fail "rewind failed"; }
  check_log "$work/serial.log"
  grep -A1 'current_clocksource' "$work/serial.log" | tail -1 | tr -d '\r' | grep -q '^hpet' ||
    fail "clocksource is not hpet"
  echo "ok: clocksource=hpet"
  ;;
record-replay)
  timeout 1200 "$rewind" record -o "$work/linux.rwd" "${machine[@]}" -append "$cmdline" \
      >"$work/record.log" 2>"$work/record.err" </dev/null
  [ $? = 0 ] || { cat "$work/record.err" >&2; fail "record failed"; }
  check_log "$work/record.log"
  for i in 1 2 3; do
    timeout 1200 "$rewind" replay "$work/linux.rwd" >"$work/replay$i.log" 2>"$work/replay$i.err" </dev/null
    [ $? = 0 ] || { cat "$work/replay$i.err" >&2; fail "replay $i failed"; }
    cmp -s "$work/record.log" "$work/replay$i.log" || fail "replay $i output differs"
  done
  "$rewind" dump "$work/linux.rwd" >&2 || fail "dump failed"
  "$rewind" dump --json "$work/linux.rwd" >/dev/null || fail "dump --json failed"
  "$rewind" verify "$work/linux.rwd" || fail "checkpoint verification failed"
  echo "ok: the Linux boot replays identically"
  ;;
*) fail "unknown case $case" ;;
esac
