#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs one bare-metal guest under rewind and checks its serial output, exit status and (when
# given) a pattern in rewind's own messages.
#
#   run_guest.sh REWIND GUEST.elf EXPECTED.txt STATUS [APPEND] [STDERR_PATTERN] [IGNORE_PATTERN]
#
# IGNORE_PATTERN drops matching lines from both sides before comparing (lines whose content
# depends on which devices a machine has, e.g. the `ports` guest's checksum of open-bus reads).
set -u
rewind=$1 elf=$2 expected=$3 want_status=$4 append=${5:-} want_stderr=${6:-} ignore=${7:-}
out=$(mktemp) err=$(mktemp) exp=$(mktemp)
trap 'rm -f "$out" "$err" "$exp"' EXIT

set -- run -kernel "$elf" -m 128 -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04
[ -n "$append" ] && set -- "$@" -append "$append"
timeout 120 "$rewind" "$@" >"$out" 2>"$err" </dev/null
status=$?

cp "$expected" "$exp"
if [ -n "$ignore" ]; then
  grep -v -E "$ignore" "$out" >"$out.f"; mv "$out.f" "$out"
  grep -v -E "$ignore" "$exp" >"$exp.f"; mv "$exp.f" "$exp"
fi
fail=0
if [ "$status" != "$want_status" ]; then
  echo "exit status $status, expected $want_status" >&2
  fail=1
fi
if ! diff -u "$exp" "$out" >&2; then
  echo "serial output differs from $expected" >&2
  fail=1
fi
if [ -n "$want_stderr" ] && ! grep -q -E "$want_stderr" "$err"; then
  echo "rewind's messages lack /$want_stderr/:" >&2
  fail=1
fi
cat "$err" >&2
exit $fail
