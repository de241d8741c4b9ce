#!/usr/bin/env bash
# glossa-engine translate as a user drives it: lines in, lines out, errors on
# stderr with a non-zero exit.
set -uo pipefail
engine="$1"
model="$2"
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

out=$(printf 'first line\nsecond line here\n' | "$engine" translate --model="$model" 2>/tmp/engine_err.$$)
[ $? -eq 0 ] || fail "translate exited non-zero: $(cat /tmp/engine_err.$$)"
[ "$(printf '%s\n' "$out" | wc -l)" -eq 2 ] || fail "expected 2 output lines, got: $out"

out=$(printf 'a b c\n' | "$engine" translate --model="$model" --beam_size=3 --num_hypotheses=2)
[ "$(printf '%s\n' "$out" | grep -c '^0 ||| .* ||| -\?[0-9.]*$')" -eq 2 ] || fail "n-best format: $out"

# Blank lines (Unicode white space too) stay blank: one output line per
# input line, as the server answers blank segments.
out=$(printf 'fine\n\n\xc2\xa0\nalso fine\n' | "$engine" translate --model="$model" 2>/tmp/engine_err.$$)
[ $? -eq 0 ] || fail "blank lines refused: $(cat /tmp/engine_err.$$)"
[ "$(printf '%s\n' "$out" | wc -l)" -eq 4 ] || fail "expected 4 output lines for 4 input lines, got: $out"
[ -z "$(printf '%s\n' "$out" | sed -n 2p)" ] || fail "blank line translated: $out"
[ -z "$(printf '%s\n' "$out" | sed -n 3p)" ] || fail "no-break space translated: $out"

printf 'ok \xff\n' | "$engine" translate --model="$model" >/dev/null 2>/tmp/engine_err.$$
[ $? -ne 0 ] || fail "invalid UTF-8 accepted"
grep -q "texts\[0\] is not valid UTF-8 (byte 0xFF at offset 3)" /tmp/engine_err.$$ || fail "UTF-8 message: $(cat /tmp/engine_err.$$)"

printf 'x\n' | "$engine" translate --model="$model" --beam_size=-1 >/dev/null 2>/tmp/engine_err.$$
[ $? -ne 0 ] || fail "beam_size=-1 accepted"
grep -q "beam_size must be in" /tmp/engine_err.$$ || fail "beam_size message: $(cat /tmp/engine_err.$$)"

printf 'x\n' | "$engine" translate --model=/nonexistent/model >/dev/null 2>/tmp/engine_err.$$
[ $? -ne 0 ] || fail "missing model accepted"
grep -q "/nonexistent/model" /tmp/engine_err.$$ || fail "missing model message: $(cat /tmp/engine_err.$$)"

long=$(printf 'word %.0s' $(seq 1 400))
printf '%s\n' "$long" | "$engine" translate --model="$model" >/dev/null 2>/tmp/engine_err.$$
[ $? -ne 0 ] || fail "over-long input accepted"
grep -q "at most" /tmp/engine_err.$$ || fail "over-long message: $(cat /tmp/engine_err.$$)"

help=$("$engine" --help 2>&1)
for flag in --model --beam_size --max_output_tokens --compute_type --batches; do
  printf '%s\n' "$help" | grep -q -- "$flag (" || fail "--help does not list $flag"
done
printf '%s\n' "$help" | grep -q 'default: 32;' || fail "--help shows no defaults: $help"

rm -f /tmp/engine_err.$$
[ "$failures" -eq 0 ] && echo "engine CLI: all checks passed"
exit "$failures"
