"""tests/layout/check_layout.py - the house rules of sim/ and norms/ (docs/layout.md):
imports run one way between the subsystem folders, every include is rooted at the checkout
(no "../"), and no C file grows past the size a reader can hold (600 lines).
One check per folder, per include edge and per file; prints "layout: N passed, N failed"."""
import os
import re
import sys

# a folder may include only folders of a lower rank (and itself)
RANK = {"base": 0, "norms": 1, "model": 2, "stats": 2, "io": 2, "checkpoint": 3, "data": 3,
        "diag": 4, "plot": 4, "train": 5, "screen": 6, "fisher": 6, "sweep": 7, "api": 7,
        "mpi": 8, "cli": 9}
MAX_LINES = 600
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)

passed = failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {what}", file=sys.stderr)


def folder_of(path):
    """sim/<sub>/x.c -> sub; norms/x.c -> norms"""
    parts = path.split("/")
    return "norms" if parts[0] == "norms" else parts[1] if len(parts) > 2 else None


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    os.chdir(root)
    files = []
    for top in ("sim", "norms"):
        for d, _, fs in os.walk(top):
            files += [os.path.join(d, f) for f in fs if f.endswith((".c", ".h"))]
    check(not [f for f in files if f.count("/") == 1 and f.startswith("sim/")],
          "sim/ holds only subsystem folders, no loose files")
    for f in sorted(files):
        sub = folder_of(f)
        check(sub in RANK, f"{f}: folder '{sub}' has a place in the layering (tests/layout)")
        text = open(f, encoding="utf-8").read()
        n = text.count("\n")
        check(n <= MAX_LINES, f"{f}: {n} lines (at most {MAX_LINES}: split it by concept)")
        for inc in INCLUDE.findall(text):
            if f.startswith("norms/") and inc == "norm.h":
                continue  # plugins build norm.h alone
            check(".." not in inc.split("/"), f'{f}: #include "{inc}" climbs with ../ (root it at the checkout)')
            if not inc.startswith(("sim/", "norms/")):
                continue
            dep = folder_of(inc)
            if dep == sub or sub not in RANK:
                continue
            check(dep in RANK and RANK[dep] < RANK[sub],
                  f'{f}: includes "{inc}": {sub} may not depend on {dep} (imports run one way)')
    print(f"layout: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
