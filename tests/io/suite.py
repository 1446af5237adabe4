"""The counting harness of the Python suites (tests/io/test_gguf.py, test_hf_export.py,
tests/oracle/oracle_hf.py): one line per failed check, `<suite>: N passed, N failed` last, and
the exit status (1 on any failure), as tests/run.sh expects."""


class Suite:
    def __init__(self, name):
        self.name, self.passed, self.failed = name, 0, 0

    def check(self, what, good, why=""):
        if good:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL {self.name} {what}: {why}")

    def summary(self):
        print(f"{self.name}: {self.passed} passed, {self.failed} failed")
        return 1 if self.failed else 0
