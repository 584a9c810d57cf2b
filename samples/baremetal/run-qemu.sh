#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Runs one bare-metal guest under QEMU (TCG, q35, Core 2 Duo) and compares
# its serial output and exit status with the expected ones.
#
#   run-qemu.sh QEMU GUEST.elf EXPECTED.txt EXPECTED_STATUS [APPEND]
#
# Status convention (isa-debug-exit): 33 = guest success, 35 = guest failure,
# 0 = QEMU shut down by itself (triple fault with -no-reboot).
set -u
qemu=$1 elf=$2 expected=$3 want_status=$4 append=${5:-}
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# No -nographic: with it SeaBIOS mirrors its boot messages to the serial
# port ahead of the guest's output (stripped below in case someone adds it).
set -- -machine q35 -accel tcg -cpu core2duo -m 128 -no-reboot \
  -serial stdio -monitor none -display none \
  -device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel "$elf"
if [ -n "$append" ]; then
  set -- "$@" -append "$append"
fi
# </dev/null: QEMU must not put a caller's terminal into raw mode.
timeout 60 "$qemu" "$@" >"$out" </dev/null
status=$?

# QEMU before 8.0 (e.g. Debian 12's 7.2) reports the IDT error code of a
# failed 64-bit interrupt delivery as vector*16+2 instead of vector*8+2
# (QEMU issue 1382). The expected files hold what real hardware gives, so
# undo that one deviation for the usermode guest's `int 0x81`.
major=$("$qemu" --version | sed -n '1s/.*version \([0-9]*\)\..*/\1/p')
if [ -n "$major" ] && [ "$major" -lt 8 ]; then
  sed -i -e 's/^\(kernel: #GP .*\) err=0x812 /\1 err=0x40a /' \
    -e 's/IDT vector 0x102$/IDT vector 0x81/' "$out"
fi

perl -0777 -i -pe 's/\A.*?Booting from ROM\.\.//s' "$out"

fail=0
if [ "$status" != "$want_status" ]; then
  echo "exit status $status, expected $want_status" >&2
  fail=1
fi
if ! diff -u "$expected" "$out" >&2; then
  echo "serial output differs from $expected" >&2
  fail=1
fi
exit $fail
