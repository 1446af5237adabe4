#!/usr/bin/env bash
# run.sh - every test suite, summed: unit tests, the same under ASan+UBSan, the CLI
# suite, the Python package (tests/python) and the PyTorch oracle. Each suite ends with
# "<suite>: N passed, N failed"; a suite that crashes or prints no such line counts as one
# failure. The last line is the total, and the exit status is non-zero if anything failed.
set -u
cd "$(dirname "$0")/.."
export PYTHON=${PYTHON:-/usr/bin/python3}
# OpenMP's idle threads sleep, not spin: the suites share a loaded machine (docs/cli.md --threads)
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
total_pass=0 total_fail=0

# run_suite NAME CMD...: run, show its output, add its counts
run_suite() {
    local name=$1; shift
    local out rc line p f
    out=$("$@" 2>&1); rc=$?
    printf '%s\n' "$out" | grep -v -E '^[a-z_-]+: [0-9]+ passed, [0-9]+ failed$' | sed "s#^#  [$name] #" | tail -40
    line=$(printf '%s\n' "$out" | grep -E '[0-9]+ passed, [0-9]+ failed$' | tail -1)
    if [ -z "$line" ]; then
        echo "$name: no result line (exit $rc): counted as 1 failed"
        total_fail=$((total_fail + 1))
        return
    fi
    p=$(echo "$line" | sed -E 's/.* ([0-9]+) passed, ([0-9]+) failed$/\1/')
    f=$(echo "$line" | sed -E 's/.* ([0-9]+) passed, ([0-9]+) failed$/\2/')
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1
        echo "$name: exit $rc with no failed check: counted as 1 failed"
    fi
    echo "$name: $p passed, $f failed"
    total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
}

for t in build/tests/test_*; do
    run_suite "unit/$(basename "$t")" "$t"
done
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
for t in build/asan/tests/test_*; do
    run_suite "asan/$(basename "$t")" "$t"
done
run_suite layout "$PYTHON" tests/layout/check_layout.py
run_suite docs "$PYTHON" tests/cli/check_docs.py
run_suite cli bash tests/cli/test_cli.sh
run_suite io bash tests/io/test_io.sh
run_suite train bash tests/cli/test_train.sh
run_suite interrupt bash tests/cli/test_interrupt.sh
run_suite badinput bash tests/cli/test_bad_input.sh
run_suite screen bash tests/screen/test_screen.sh
run_suite demo bash tests/demo/test_demo.sh
run_suite fisher bash tests/fisher/test_fisher.sh
run_suite python bash tests/python/run.sh
run_suite gain_law bash tests/gain_law/test_gain_law.sh
run_suite gguf env PYTHONDONTWRITEBYTECODE=1 "$PYTHON" tests/io/test_gguf.py build/normsim
run_suite hf_export env PYTHONDONTWRITEBYTECODE=1 "$PYTHON" tests/io/test_hf_export.py build/normsim
run_suite oracle_hf env PYTHONDONTWRITEBYTECODE=1 "$PYTHON" tests/oracle/oracle_hf.py
run_suite sweep bash tests/sweep/test_sweep.sh
run_suite mpi bash tests/mpi/test_mpi.sh
run_suite threads bash tests/threads/test_threads.sh
if [ -f tests/oracle/run.sh ]; then
    run_suite oracle bash tests/oracle/run.sh
else
    echo "oracle: tests/oracle/run.sh missing: counted as 1 failed"
    total_fail=$((total_fail + 1))
fi
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
