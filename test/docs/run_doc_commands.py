"""Runs the shell blocks of README.md and docs/*.md marked <!-- doc-run -->
(or <!-- doc-run: DIR -->, run in DIR) as a newcomer would type them, with
the build's `pkvm` first on PATH, and checks what the doc says they print.

  run_doc_commands.py REPO BUILD_DIR [NAME_REGEX]

A block runs in bash with errexit and pipefail: every command must succeed.
Comment lines after the commands (`# hvc 0xc6000080 -> x0=0x0`) are the
output the doc shows: each must match a line of the output, with `...` as a
wildcard (a line of only `# ...` matches anything)."""
import glob
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from doc_blocks import blocks  # noqa: E402


def expected_lines(body):
    """The comment lines after the last command line."""
    lines = body.rstrip("\n").split("\n")
    out = []
    for line in reversed(lines):
        if line.startswith("#"):
            out.append(line[1:].strip(" ") if not line.startswith("# ") else line[2:])
        elif line.strip() == "":
            continue
        else:
            break
    return list(reversed(out))


def pattern(expected):
    # "..." and the blanks around it match anything (nothing included).
    parts = [re.escape(p) for p in re.split(r"\s*\.\.\.\s*", expected)]
    return re.compile(".*".join(parts))


def main():
    repo, build = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    only = re.compile(sys.argv[3]) if len(sys.argv) > 3 else None
    docs = [os.path.join(repo, "README.md")] + sorted(glob.glob(os.path.join(repo, "docs", "*.md")))
    env = dict(os.environ)
    env["PATH"] = os.path.join(build, "bin") + os.pathsep + env.get("PATH", "")
    env.pop("LD_LIBRARY_PATH", None)
    failed = ran = 0
    for doc in docs:
        for b in blocks(doc):
            if b.marker != "doc-run":
                continue
            where = f"{os.path.relpath(b.path, repo)}:{b.line}"
            if only and not only.search(where):
                continue
            cwd = os.path.join(repo, b.arg) if b.arg else repo
            ran += 1
            print(f"--- {where} (in {os.path.relpath(cwd, repo) or '.'})", flush=True)
            p = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", b.body], cwd=cwd, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            out_lines = p.stdout.split("\n")
            problems = []
            if p.returncode != 0:
                problems.append(f"exit status {p.returncode}")
            for exp in expected_lines(b.body):
                if exp.strip() in ("", "..."):
                    continue
                if not any(pattern(exp).search(o) for o in out_lines):
                    problems.append(f"no output line matches the doc's `# {exp}`")
            if problems:
                failed += 1
                print(f"FAIL {where}: " + "; ".join(problems))
                print("    " + "\n    ".join(b.body.rstrip("\n").split("\n")))
                print("  output:\n    " + "\n    ".join(p.stdout.rstrip("\n").split("\n")))
            else:
                print(f"ok   {where}")
    print(f"{ran - failed} of {ran} doc command block(s) hold")
    sys.exit(1 if failed or ran == 0 else 0)


if __name__ == "__main__":
    main()
