#!/usr/bin/env bash
# tests/oracle/run.sh - the PyTorch oracle: export small GPT-2 models with normsim, rebuild
# each in PyTorch float64 from its weights and tokens, compare every tap and the logits
# (relative error <= 1e-10), plus negative controls that must be caught (--self-check).
# Builds nothing: uses $NORMSIM (default build/normsim under the repo root) and
# ${PYTHON:-/usr/bin/python3} (Debian's, with python3-torch and python3-numpy).
# Last line: "oracle: N passed, N failed"; exit 1 if anything failed or could not run.
set -u

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
normsim=${NORMSIM:-$root/build/normsim}
python=${PYTHON:-/usr/bin/python3}
oracle=$root/tests/oracle/oracle_gpt2.py

# name | export options (all small: the whole suite runs in a few seconds)
cases=(
  "ln-ones     --norm layernorm --gamma ones       --d 32 --layers 2 --heads 2 --seq 16 --vocab 97 --tokens 32"
  "ln-random   --norm layernorm --gamma random:0.5 --d 48 --layers 3 --heads 4 --seq 16 --vocab 97 --tokens 32 --seed 7"
  "rms-random  --norm rmsnorm   --gamma random     --d 64 --layers 2 --heads 4 --seq 16 --vocab 97 --tokens 32 --seed 3"
  "ln-short    --norm layernorm --gamma random     --d 32 --layers 2 --heads 4 --seq 16 --vocab 97 --tokens 5 --seed 11"
  "rms-multi   --norm rmsnorm   --gamma random:0.3 --d 64 --layers 3 --heads 2 --seq 16 --vocab 97 --tokens 48 --d-ff 96 --data zipf --seed 5"
  "ln-1tok     --norm layernorm --gamma random     --d 32 --layers 2 --heads 1 --seq 8  --vocab 97 --tokens 1 --seed 2"
)

failed=0
passed=0
finish() {
  echo "oracle: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit
}

if [ ! -x "$normsim" ]; then
  echo "FAIL oracle: no normsim binary at $normsim (run make all, or set NORMSIM)"
  failed=1
  finish
fi

tmp=$(mktemp -d) || { echo "FAIL oracle: mktemp -d failed"; failed=1; finish; }
trap 'rm -rf "$tmp"' EXIT

dirs=()
for c in "${cases[@]}"; do
  read -r name opts <<<"$c"
  # shellcheck disable=SC2086  # opts is a word list on purpose
  if "$normsim" export --out "$tmp/$name" $opts >"$tmp/$name.log" 2>&1; then
    dirs+=("$tmp/$name")
  else
    echo "FAIL $name: normsim export $opts exited $?: $(tail -n 1 "$tmp/$name.log")"
    failed=$((failed + 1))
  fi
done

if [ ${#dirs[@]} -gt 0 ]; then
  "$python" "$oracle" --self-check "${dirs[@]}" >"$tmp/oracle.out"
  rc=$?
  total=$(tail -n 1 "$tmp/oracle.out")
  sed '$d' "$tmp/oracle.out"
  if [[ $total =~ ^oracle:\ ([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
    passed=$((passed + BASH_REMATCH[1]))
    failed=$((failed + BASH_REMATCH[2]))
    if { [ "$rc" -eq 0 ] && [ "${BASH_REMATCH[2]}" -ne 0 ]; } || { [ "$rc" -ne 0 ] && [ "${BASH_REMATCH[2]}" -eq 0 ]; }; then
      echo "FAIL oracle: oracle_gpt2.py exited $rc after reporting ${BASH_REMATCH[2]} failed"
      failed=$((failed + 1))
    fi
  else
    [ -n "$total" ] && echo "$total"
    echo "FAIL oracle: $python oracle_gpt2.py exited $rc without a summary line (torch and numpy installed? make deps)"
    failed=$((failed + 1))
  fi
fi
finish
