"""check_docs.py - docs/cli.md and the program agree on the options: for every command,
each option docs/cli.md's section names (in a table row's first cell or a usage line) is in
`normsim COMMAND --help`, and each option --help lists is in that section (or the shared
model-options section, for the commands that take them). A negative control: an option
removed from a copy of the docs must be reported. Last line: "docs: N passed, N failed"."""
import os, re, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NS = os.environ.get("NORMSIM", os.path.join(ROOT, "build", "normsim"))
OPT = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")
COMMANDS = ["diagnose", "inspect", "norms", "archs", "export", "train", "screen", "demo", "fisher"]
MODEL_SHARED = {"diagnose", "export", "train"}  # screen lists its own model options
# fisher is documented in its own page, docs/fisher.md
OWN_PAGE = {"fisher": "fisher.md"}


def sections(text):
    """{command: text of its '## command' section, subsections included}"""
    out, cur = {}, None
    for line in text.splitlines():
        m = re.match(r"^## (\S+)", line)
        if m:
            cur = m.group(1)
            out.setdefault(cur, "")
        elif cur:
            out[cur] += line + "\n"
    return out


def doc_options(sec):
    """options a section defines: its usage block (the first fenced block), the first cells
    of its table rows and its indented option lines"""
    found = set()
    fences = sec.split("```")
    for block in fences[1::2]:  # usage lines inside fenced blocks (not "$ normsim" examples)
        usage = False
        for line in block.splitlines():
            usage = line.startswith("normsim ") or (usage and line.startswith(" "))
            if usage:
                found.update(OPT.findall(line))
    for line in sec.splitlines():
        if line.startswith("| `--"):
            found.update(OPT.findall(line.split("|")[1]))
        if re.match(r"^  --[a-z]", line):
            found.update(OPT.findall(line[:30]))
    return found


def help_options(cmd):
    """options --help lists: its usage lines and the first column of its option lines"""
    out = subprocess.run([NS, cmd, "--help"], capture_output=True, text=True).stdout
    found = set()
    for line in out.splitlines():
        if re.match(r"^(usage:| {6,7})\s*normsim ", line):
            found.update(OPT.findall(line))
        m = re.match(r"^ {2,4}(--[a-z].*)", line)
        if m:
            head = re.split(r"\s{2,}", m.group(1))[0]  # the option column only
            found.update(OPT.findall(head))
    return found - {"--help"}


def compare(text):
    secs = sections(text)
    model = doc_options(secs.get("Model", ""))
    problems = []
    for cmd in COMMANDS:
        sec = secs.get(cmd, "")
        if cmd in OWN_PAGE:
            sec = open(os.path.join(ROOT, "docs", OWN_PAGE[cmd])).read()
        docs = doc_options(sec) | (model if cmd in MODEL_SHARED or cmd in OWN_PAGE else set())
        helps = help_options(cmd)
        for o in sorted(helps - docs):
            problems.append(f"{cmd}: {o} is in --help but not in docs/cli.md's section")
        for o in sorted(docs - helps):
            problems.append(f"{cmd}: {o} is in docs/cli.md but not in --help")
    return problems


def main():
    text = open(os.path.join(ROOT, "docs", "cli.md")).read()
    passed = failed = 0
    problems = compare(text)
    for p in problems:
        print("FAIL:", p)
    failed += len(problems)
    passed += 1 if not problems else 0
    # negative control: an option the program does not have, added to export's table
    broken = text.replace("| `--out DIR` | required |", "| `--frobnicate` | | |\n| `--out DIR` | required |", 1)
    if any("export: --frobnicate is in docs/cli.md" in p for p in compare(broken)):
        passed += 1
    else:
        print("FAIL: negative control: a removed option was not reported")
        failed += 1
    print(f"docs: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
