#!/usr/bin/env bash
# test_demo.sh - `normsim demo` as a class meets it, and docs/tutorial.md kept honest:
# the demo runs non-interactively, its key numbers are what the paper says (the match at
# f64 and bf16, the floor eigenvalue with LayerNorm and none with RMSNorm), every command
# it prints reproduces the rows printed under it, a narrow terminal and a missing gnuplot
# give tables with a one-line notice (and the same numbers), --png writes the figures;
# every `$ normsim` command of the tutorial exits 0 and prints the lines shown under it.
# Last line: "demo: N passed, N failed".
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
NS=${NORMSIM:-$root/build/normsim}
PY=${PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
have_gnuplot=0
command -v gnuplot >/dev/null 2>&1 && have_gnuplot=1

# ---- the default run, as the tutorial shows it: stdin not a terminal, so no pauses ----
start=$(date +%s.%N)
"$NS" demo </dev/null >"$tmp/demo.out" 2>"$tmp/demo.err"; rc=$?
secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
[ "$rc" -eq 0 ] && ok || bad "demo exit $rc: $(tail -3 "$tmp/demo.err")"
echo "demo ran in ${secs}s"
[ "$(grep -c '^== Step [1-6] of 6: ' "$tmp/demo.out")" -eq 6 ] && grep -q '^== Recap (seed 1) ==' "$tmp/demo.out" \
    && ok || bad "the demo's six steps and its recap"

# the key numbers, from the recap
"$PY" - "$tmp/demo.out" <<'PYEOF' && ok || bad "demo key numbers"
import re, sys
t = open(sys.argv[1]).read()
num = r"(-?[0-9.]+(?:e[-+][0-9]+)?)"
def grab(pat):
    m = re.search(pat, t)
    assert m, "not found: " + pat
    return [float(g) if re.fullmatch(num, g) else g for g in m.groups()]
cos64, floor64, dead64, v64 = grab(r"layernorm f64 +\|cos\(p, v\)\| " + num + r" +floor " + num + r" +dead (\d+) +(\w+)")
assert cos64 > 1 - 1e-12 and abs(floor64) < 1e-13 and int(dead64) == 1 and v64 == "PRESENT", (cos64, floor64, dead64, v64)
cosg, cos1 = grab(r"random gains +\|cos\(p, v\)\| " + num + r" +\|cos\(p, 1/sqrt\(d\)\)\| " + num)
assert cosg > 1 - 1e-10 and cos1 < 0.9, (cosg, cos1)          # follows g^-1, not all ones
frms, deadrms, vrms = grab(r"rmsnorm f64 +no kernel: smallest " + num + r" +dead (\d+) +(\w+)")
assert frms > 1e-6 and int(deadrms) == 0 and vrms == "ABSENT", (frms, deadrms, vrms)
cosb, floorb, deadb = grab(r"layernorm bf16 +\|cos\(p, v\)\| " + num + r" +floor " + num + r" +dead (\d+)")
assert 0.9999 < cosb < 1 - 1e-9 and 1e-8 < floorb < 1e-4 and int(deadb) == 1, (cosb, floorb, deadb)
diff, = grab(r"max_i \|v_i - p_i\| " + num + r": about four decimal places")
assert 1e-5 < diff < 1e-3, diff                               # "four decimal places"
t0, t1, f0, f1 = grab(r"training +2nd smallest " + num + r" -> " + num + r"; f16 floor " + num + r" -> " + num)
assert t1 < t0, (t0, t1)                                      # the tail deepens
deeper, = grab(r"spread gains +f16 floor x" + num + r" deeper")
assert deeper > 10, deeper
PYEOF

if [ "$have_gnuplot" -eq 1 ]; then
    ! grep -q '^notice:' "$tmp/demo.out" && [ "$(grep -c -- '-------------------------------+$' "$tmp/demo.out")" -eq 5 ] \
        && ok || bad "five terminal plots and no notice with gnuplot present"
else
    echo "gnuplot not installed: terminal plots and --png not checked"
fi

# every command the demo prints reproduces the rows printed under it
"$PY" - "$NS" "$tmp/demo.out" "$tmp" <<'PYEOF' >"$tmp/repro.txt" 2>&1
import os, shlex, subprocess, sys
ns, path, tmp = sys.argv[1], sys.argv[2], sys.argv[3]
lines = open(path).read().split("\n")
norm = lambda s: " ".join(s.split())
i = 0
while i < len(lines):
    if not lines[i].startswith("  $ normsim "):
        i += 1
        continue
    cmd = lines[i][4:]
    while cmd.endswith("\\"):
        i += 1
        cmd = cmd[:-1] + lines[i].strip()
    i += 1
    rows = []
    while i < len(lines) and lines[i].startswith("    "):
        if not lines[i].strip().startswith("("):
            rows.append(norm(lines[i]))
        i += 1
    run = os.path.join(tmp, "repro")
    os.makedirs(run, exist_ok=True)
    p = subprocess.run([ns] + shlex.split(cmd)[1:], cwd=run, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=300)
    out = {norm(l) for l in p.stdout.split("\n")}
    missing = [r for r in rows if r not in out]
    if p.returncode == 0 and rows and not missing:
        print("PASS")
    else:
        print("FAIL: demo command `%s` (exit %d): rows not reproduced: %s" % (cmd, p.returncode, missing[:3]))
subprocess.run(["rm", "-rf", os.path.join(tmp, "repro")])
PYEOF
n_ok=$(grep -c '^PASS' "$tmp/repro.txt"); n_bad=$(grep -c '^FAIL' "$tmp/repro.txt")
pass=$((pass + n_ok)); fail=$((fail + n_bad))
grep '^FAIL' "$tmp/repro.txt" >&2
[ "$n_ok" -ge 10 ] && ok || bad "only $n_ok printed commands checked: $(tail -3 "$tmp/repro.txt")"

# ---- a terminal narrower than 80 columns (with --png), and no gnuplot: tables, one notice ----
png=""
[ "$have_gnuplot" -eq 1 ] && png="--png $tmp/png"
COLUMNS=60 "$NS" demo --no-pause $png >"$tmp/narrow.out" 2>"$tmp/narrow.err"; rc=$?
[ "$rc" -eq 0 ] && grep -q '^== Recap' "$tmp/narrow.out" && ok || bad "COLUMNS=60: exit $rc $(tail -2 "$tmp/narrow.err")"
[ "$(grep -c '^notice: ' "$tmp/narrow.out")" -eq 1 ] && grep -q '^notice: the terminal is 60 columns wide' "$tmp/narrow.out" \
    && ok || bad "COLUMNS=60: one notice line"
! grep -q -- '-------------------------------+$' "$tmp/narrow.out" && grep -q '^  post-final-norm spectrum' "$tmp/narrow.out" \
    && grep -Eq '^ +1 +[0-9.e+-]+$' "$tmp/narrow.out" && ok || bad "COLUMNS=60: tables instead of plots"
if [ "$have_gnuplot" -eq 1 ]; then
    n=0
    for f in 2-spectrum 3-follows-g 4-layernorm-vs-rmsnorm 5-precision 6-training; do
        head -c 8 "$tmp/png/$f.png" 2>/dev/null | od -An -c | grep -q 'P   N   G' && n=$((n + 1))
    done
    [ "$n" -eq 5 ] && [ -z "$(ls -A "$tmp/png" | grep -v '\.png$')" ] && ok || bad "--png: $n of 5 PNGs, $(ls -A "$tmp/png")"
fi
NORMSIM_GNUPLOT=/nonexistent "$NS" demo </dev/null >"$tmp/nognu.out" 2>"$tmp/nognu.err"; rc=$?
[ "$rc" -eq 0 ] && grep -q '^== Recap' "$tmp/nognu.out" && ok || bad "no gnuplot: exit $rc $(tail -2 "$tmp/nognu.err")"
[ "$(grep -c '^notice: ' "$tmp/nognu.out")" -eq 1 ] && grep -q "^notice: gnuplot not found ('/nonexistent')" "$tmp/nognu.out" \
    && ok || bad "no gnuplot: one notice line"
# deterministic: two runs differ only in their notice
cmp -s <(grep -v '^notice: ' "$tmp/narrow.out") <(grep -v '^notice: ' "$tmp/nognu.out") && ok \
    || bad "two runs with seed 1 differ: $(diff <(grep -v '^notice: ' "$tmp/narrow.out") <(grep -v '^notice: ' "$tmp/nognu.out") | head -4)"
# the same numbers as the plotted run
cmp -s <(sed -n '/^== Recap/,$p' "$tmp/demo.out") <(sed -n '/^== Recap/,$p' "$tmp/nognu.out") && ok || bad "recap differs between the plotted and the table run"

# ---- pausing on a terminal (script(1) gives it one): Enter goes on, q quits ----
if command -v script >/dev/null 2>&1; then
    (sleep 0.5; printf '\n'; sleep 0.5; printf 'q\n') | timeout 60 script -qec "$NS demo" /dev/null >"$tmp/tty.out" 2>&1
    grep -aq -- '-- Enter: step 2 of 6' "$tmp/tty.out" && grep -aq '== Step 2 of 6' "$tmp/tty.out" \
        && grep -aq '(demo stopped)' "$tmp/tty.out" && ! grep -aq '== Step 4 of 6' "$tmp/tty.out" \
        && ok || bad "interactive pauses: $(tail -c 300 "$tmp/tty.out")"
fi

# ---- bad input: one error line, nothing on stdout ----
for args in "--bogus" "--seed x" "--png" "extra"; do
    "$NS" demo $args >"$tmp/o" 2>"$tmp/e"; rc=$?
    [ "$rc" -eq 2 ] && [ ! -s "$tmp/o" ] && [ "$(wc -l <"$tmp/e")" -eq 1 ] && grep -q '^normsim: error: ' "$tmp/e" \
        && ok || bad "demo $args: rc=$rc $(cat "$tmp/e")"
done
NORMSIM_GNUPLOT=/nonexistent "$NS" demo --png "$tmp/p2" >"$tmp/o" 2>"$tmp/e"; rc=$?
[ "$rc" -eq 1 ] && [ ! -s "$tmp/o" ] && grep -q '^normsim: error: --png needs gnuplot' "$tmp/e" && ok || bad "--png without gnuplot: rc=$rc $(cat "$tmp/e")"
"$NS" demo --help | grep -q '^usage: normsim demo' && ok || bad "demo --help"

# ---- docs/tutorial.md: every `$ normsim` command exits 0 and prints the lines shown ----
# (`normsim demo` itself is the default run above: its output is reused, not rerun)
"$PY" - "$NS" "$root/docs/tutorial.md" "$tmp/tut" "$tmp/demo.out" <<'PYEOF' >"$tmp/tut.txt" 2>&1
import os, shlex, subprocess, sys
ns, path, run, demo_out = sys.argv[1:5]
os.makedirs(run, exist_ok=True)
norm = lambda s: " ".join(s.split())
cmds, in_sh, cur = [], False, None
for line in open(path).read().split("\n"):
    if line.startswith("```"):
        in_sh = line.strip() == "```sh" and not in_sh
        cur = None
        continue
    if not in_sh:
        continue
    if cur is not None and cur["cmd"].endswith("\\"):
        cur["cmd"] = cur["cmd"][:-1] + " " + line.strip()
    elif line.startswith("$ "):
        cur = {"cmd": line[2:].strip(), "expect": []}
        cmds.append(cur)
    elif cur is not None and line.strip() and line.strip() != "...":
        cur["expect"].append(norm(line))
if len(cmds) < 10:
    print("FAIL: only %d commands found in %s" % (len(cmds), path))
for c in cmds:
    argv = shlex.split(c["cmd"])
    if argv[0] != "normsim":
        print("FAIL: not a normsim command: " + c["cmd"]); continue
    if argv == ["normsim", "demo"]:
        p = subprocess.CompletedProcess(argv, 0, open(demo_out).read(), "")
    else:
        p = subprocess.run([ns] + argv[1:], cwd=run, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=300)
    out = {norm(l) for l in p.stdout.split("\n")}
    missing = [e for e in c["expect"] if e not in out]
    if p.returncode == 0 and not missing:
        print("PASS " + c["cmd"])
    else:
        print("FAIL: tutorial `%s`: exit %d, lines not printed: %s %s" % (c["cmd"], p.returncode, missing[:3], p.stderr[-200:]))
PYEOF
n_ok=$(grep -c '^PASS' "$tmp/tut.txt"); n_bad=$(grep -c '^FAIL' "$tmp/tut.txt")
pass=$((pass + n_ok)); fail=$((fail + n_bad))
grep -v '^PASS' "$tmp/tut.txt" >&2
echo "tutorial: $n_ok of $((n_ok + n_bad)) commands ran as documented"

echo "demo: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
