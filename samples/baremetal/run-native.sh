#!/bin/sh
# SPDX-License-Identifier: MIT
# Checks that the native workload prints exactly what the guest prints.
#   run-native.sh workload-native EXPECTED.txt
set -u
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$1" 1 >"$out" || { echo "workload-native failed" >&2; exit 1; }
diff -u "$2" "$out" >&2
