#!/bin/bash
# SPDX-License-Identifier: MIT
# Record/replay integration tests on real guests, driven through the rewind CLI.
#
#   replay_test.sh REWIND BAREMETAL_DIR CASE [ARGS]
#
# Every recording made here is also read by `rewind dump` (text and JSON) and checked with
# `rewind verify` (each checkpoint restores to its hash and runs to the next one).
set -u
rewind=$1 bm=$2 case=$3
shift 3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
exit_dev=(-device isa-debug-exit,iobase=0xf4,iosize=0x04 -no-reboot)
fail() { echo "FAIL: $*" >&2; exit 1; }

check_recording() {  # every recording goes through the dumper and the checkpoint verifier
  local rec=$1
  "$rewind" dump "$rec" >"$work/dump.txt" || fail "dump failed on $rec"
  "$rewind" dump --json "$rec" >"$work/dump.json" || fail "dump --json failed on $rec"
  grep -q -E '"format_version": [0-9]+' "$work/dump.json" || fail "dump --json lacks the format version"
  grep -q 'checkpoints:' "$work/dump.txt" || fail "dump lacks checkpoints"
  "$rewind" verify "$rec" >/dev/null || fail "verify failed on $rec"
}

case $case in
determinism)
  # Record a guest, replay it three times: identical serial output and exit status; every
  # stored state hash (checkpoints and the final one) is verified by the replay itself.
  guest=$1 append=${2:-}
  args=(-kernel "$bm/$guest.elf" "${exit_dev[@]}")
  [ -n "$append" ] && args+=(-append "$append")
  "$rewind" record -o "$work/run.rwd" --checkpoint-interval 500000 "${args[@]}" \
      >"$work/record.out" 2>"$work/record.err" </dev/null
  want=$?
  [ -f "$work/run.rwd" ] || fail "no recording written"
  [ ! -e "$work/run.rwd.partial" ] || fail "partial file left behind"
  for i in 1 2 3; do
    "$rewind" replay "$work/run.rwd" >"$work/replay$i.out" 2>"$work/replay$i.err" </dev/null
    got=$?
    [ "$got" = "$want" ] || { cat "$work/replay$i.err" >&2; fail "replay $i exit $got, recorded $want"; }
    cmp -s "$work/record.out" "$work/replay$i.out" || fail "replay $i output differs"
  done
  check_recording "$work/run.rwd"
  echo "ok: $guest recorded (status $want) and replayed 3 times identically"
  ;;

interactive)
  # Feed stdin at irregular host-time intervals while recording; the replay, with stdin
  # closed, must print the same (the echo guest prints when each line arrived).
  { sleep 0.3; printf 'first line\n'; sleep 0.05; printf 'second'; sleep 0.4; printf ' line\n'
    sleep 0.2; printf 'x\ny\n'; sleep 0.1; printf 'quit\n'; } |
    "$rewind" record -o "$work/echo.rwd" --checkpoint-interval 2000000 \
        -kernel "$bm/echo.elf" "${exit_dev[@]}" >"$work/record.out" 2>"$work/record.err"
  want=$?
  [ "$want" = 33 ] || { cat "$work/record.err" >&2; fail "echo guest exit $want"; }
  grep -q "echo: 'second line'" "$work/record.out" || fail "input did not reach the guest"
  "$rewind" replay "$work/echo.rwd" >"$work/replay.out" 2>"$work/replay.err" </dev/null
  got=$?
  [ "$got" = "$want" ] || { cat "$work/replay.err" >&2; fail "replay exit $got"; }
  cmp -s "$work/record.out" "$work/replay.out" || { diff "$work/record.out" "$work/replay.out" >&2; fail "replay output differs"; }
  "$rewind" dump "$work/echo.rwd" | grep -q 'serial_rx=' || fail "dump shows no serial events"
  "$rewind" dump --events 0: "$work/echo.rwd" | grep -q 'serial_rx' || fail "dump --events lists none"
  check_recording "$work/echo.rwd"
  echo "ok: interactive input replayed identically"
  ;;

paced)
  # --pace realtime changes when inputs arrive, never how the guest computes: the recording
  # still replays exactly (at full speed).
  { sleep 0.2; printf 'paced\n'; sleep 0.1; printf 'quit\n'; } |
    "$rewind" record --pace realtime -o "$work/paced.rwd" -kernel "$bm/echo.elf" "${exit_dev[@]}" \
        >"$work/record.out" 2>"$work/record.err"
  [ $? = 33 ] || { cat "$work/record.err" >&2; fail "paced record failed"; }
  "$rewind" replay "$work/paced.rwd" >"$work/replay.out" 2>&1 </dev/null
  [ $? = 33 ] || fail "paced replay failed"
  cmp -s "$work/record.out" "$work/replay.out" || fail "paced replay output differs"
  check_recording "$work/paced.rwd"
  echo "ok: paced recording replays identically"
  ;;

seek)
  # Seeking (restore the nearest checkpoint, run forward) and replaying from the start reach
  # the same state at arbitrary positions, including ones between checkpoints and the end.
  "$rewind" record -o "$work/run.rwd" --checkpoint-interval 700000 -kernel "$bm/crash.elf" \
      "${exit_dev[@]}" >/dev/null 2>&1 </dev/null
  for p in 0 1 699999 700000 700001 2345678 4900000; do
    a=$("$rewind" replay "$work/run.rwd" --seek $p) || fail "seek $p failed"
    b=$("$rewind" replay "$work/run.rwd" --max-insns $p 2>&1 >/dev/null)
    ha=${a##*state hash }; hb=${b##*state hash }
    [ -n "$ha" ] && [ "$ha" = "$hb" ] || fail "position $p: seek gives '$a', replay gives '$b'"
  done
  end=$("$rewind" replay "$work/run.rwd" --seek end)
  final=$("$rewind" dump --json "$work/run.rwd" | sed -n 's/.*"final_hash": "\([0-9a-f]*\)".*/\1/p')
  [ "${end##*state hash }" = "$final" ] || fail "seek to end: '$end' vs recorded final hash $final"
  echo "ok: seek and replay agree"
  ;;

divergence)
  # Flip one RAM byte during the replay: the first checkpoint after it must report the
  # position range and the RAM page that differs.
  "$rewind" record -o "$work/run.rwd" --checkpoint-interval 1000000 -kernel "$bm/crash.elf" \
      "${exit_dev[@]}" >/dev/null 2>&1 </dev/null
  "$rewind" replay "$work/run.rwd" --test-corrupt-ram 1500000 0x150010 \
      >/dev/null 2>"$work/err" </dev/null
  status=$?
  [ "$status" = 3 ] || fail "divergent replay exit $status, want 3"
  grep -q 'between positions 1000000 and 2000000' "$work/err" || { cat "$work/err" >&2; fail "wrong position"; }
  grep -q 'RAM page 0x150000 differs (first at physical 0x150010' "$work/err" || { cat "$work/err" >&2; fail "wrong part"; }
  grep -q 'journal event' "$work/err" || fail "no journal context"
  echo "ok: divergence reported: $(cat "$work/err")"
  ;;

changed-image)
  cp "$bm/crash.elf" "$work/k.elf"
  "$rewind" record -o "$work/run.rwd" -kernel "$work/k.elf" "${exit_dev[@]}" >/dev/null 2>&1 </dev/null
  printf 'X' | dd of="$work/k.elf" bs=1 seek=100 conv=notrunc 2>/dev/null
  "$rewind" replay "$work/run.rwd" >/dev/null 2>"$work/err" </dev/null
  [ $? = 2 ] || fail "replay with a changed kernel was not refused"
  grep -q 'has changed since the recording' "$work/err" || { cat "$work/err" >&2; fail "unclear message"; }
  # Another format version is refused with a clear message.
  cp "$bm/crash.elf" "$work/k.elf"
  "$rewind" record -o "$work/v.rwd" -kernel "$work/k.elf" "${exit_dev[@]}" >/dev/null 2>&1 </dev/null
  printf '\001\000\000\000' | dd of="$work/v.rwd" bs=1 seek=8 conv=notrunc 2>/dev/null
  "$rewind" replay "$work/v.rwd" >/dev/null 2>"$work/err" </dev/null
  [ $? = 2 ] || fail "a recording of another format version was not refused"
  grep -q 'format version 1; this rewind reads version' "$work/err" || { cat "$work/err" >&2; fail "unclear version message"; }
  # A packed recording carries its images and replays anyway.
  cp "$bm/crash.elf" "$work/k.elf"
  "$rewind" record --pack -o "$work/packed.rwd" -kernel "$work/k.elf" "${exit_dev[@]}" >"$work/a.out" 2>&1 </dev/null
  rm "$work/k.elf"
  "$rewind" replay "$work/packed.rwd" >"$work/b.out" 2>&1 </dev/null
  [ $? = 35 ] || fail "packed replay failed"
  # rewind pack on an existing recording.
  cp "$bm/crash.elf" "$work/k2.elf"
  "$rewind" record -o "$work/late.rwd" -kernel "$work/k2.elf" "${exit_dev[@]}" >/dev/null 2>&1 </dev/null
  "$rewind" pack "$work/late.rwd" || fail "pack failed"
  rm "$work/k2.elf"
  "$rewind" replay "$work/late.rwd" >/dev/null 2>&1 </dev/null
  [ $? = 35 ] || fail "replay after rewind pack failed"
  "$rewind" dump "$work/late.rwd" | grep -q 'packed' || fail "dump does not show packed image"
  check_recording "$work/packed.rwd"
  echo "ok: changed images refused, packed recordings self-contained"
  ;;

damaged)
  # Truncated, bit-flipped and hand-edited recordings: a clear error naming the block, never
  # a crash or a hang.
  "$rewind" record -o "$work/run.rwd" --checkpoint-interval 500000 -kernel "$bm/crash.elf" \
      "${exit_dev[@]}" >/dev/null 2>&1 </dev/null
  size=$(stat -c %s "$work/run.rwd")
  for cut in 10 16 40 100 1000 $((size / 3)) $((size / 2)) $((size - 50)) $((size - 1)); do
    head -c "$cut" "$work/run.rwd" >"$work/cut.rwd"
    timeout 60 "$rewind" replay "$work/cut.rwd" >/dev/null 2>"$work/err" </dev/null
    s=$?
    [ $s -lt 128 ] && [ $s != 124 ] || fail "replay of a file cut at $cut crashed or hung ($s)"
    timeout 60 "$rewind" dump "$work/cut.rwd" >/dev/null 2>>"$work/err"
    s=$?
    [ $s -lt 128 ] && [ $s != 124 ] || fail "dump of a file cut at $cut crashed or hung ($s)"
  done
  for off in 3 20 60 200 $((size / 4)) $((size / 2)) $((size * 3 / 4)) $((size - 20)); do
    cp "$work/run.rwd" "$work/flip.rwd"
    byte=$(od -An -tu1 -j "$off" -N1 "$work/flip.rwd" | tr -d ' ')
    printf "$(printf '\\%03o' $((byte ^ 0x5a)))" | dd of="$work/flip.rwd" bs=1 seek="$off" conv=notrunc 2>/dev/null
    timeout 60 "$rewind" replay "$work/flip.rwd" >/dev/null 2>"$work/err" </dev/null
    s=$?
    [ $s -lt 128 ] && [ $s != 124 ] || fail "replay with byte $off flipped crashed or hung ($s)"
    [ $s != 35 ] || fail "replay with byte $off flipped went unnoticed"
    grep -q -E 'block|magic|version' "$work/err" || { cat "$work/err" >&2; fail "flip at $off: message names no block"; }
    timeout 60 "$rewind" dump "$work/flip.rwd" >/dev/null 2>&1
    s=$?
    [ $s -lt 128 ] && [ $s != 124 ] || fail "dump with byte $off flipped crashed or hung ($s)"
  done
  echo "ok: damaged recordings rejected with clear errors"
  ;;

killed)
  # SIGKILL the writer: the .partial file replays up to its last complete block, and dump
  # says where it ends.
  mkfifo "$work/in"
  "$rewind" record -o "$work/k.rwd" --checkpoint-interval 1000000 -kernel "$bm/echo.elf" \
      "${exit_dev[@]}" <"$work/in" >"$work/record.out" 2>/dev/null &
  pid=$!
  exec 3>"$work/in"
  printf 'one\ntwo\n' >&3
  sleep 1.5
  kill -9 $pid
  wait $pid 2>/dev/null
  exec 3>&-
  [ -f "$work/k.rwd.partial" ] || fail "no partial recording left"
  "$rewind" dump "$work/k.rwd.partial" >"$work/dump.txt" 2>&1 || fail "dump of killed recording failed"
  grep -q 'INCOMPLETE: the recording ends at position' "$work/dump.txt" || { cat "$work/dump.txt" >&2; fail "dump does not say where it ends"; }
  "$rewind" replay "$work/k.rwd.partial" >"$work/replay.out" 2>"$work/err" </dev/null
  [ $? = 0 ] || { cat "$work/err" >&2; fail "killed recording does not replay"; }
  grep -q 'replayed up to there' "$work/err" || fail "replay does not say where it stopped"
  grep -q "echo: 'two'" "$work/replay.out" || fail "replay lost input before the last complete block"
  echo "ok: killed recording replays to its last complete block: $(cat "$work/err")"
  ;;

*) fail "unknown case $case" ;;
esac
