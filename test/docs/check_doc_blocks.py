"""ctest doc_blocks_marked: every fenced code block of the given Markdown
files is marked (see doc_blocks.py): executed by a test, or illustrative.
  check_doc_blocks.py FILE.md...   exit 1 listing each unmarked block
  check_doc_blocks.py --repo DIR   the same for DIR/README.md and DIR/docs/*.md
                                   (found when the test runs: new pages too)"""
import glob
import os
import sys

from doc_blocks import blocks

paths = sys.argv[1:]
if paths[:1] == ["--repo"]:
    repo = paths[1]
    paths = [os.path.join(repo, "README.md")] + sorted(glob.glob(os.path.join(repo, "docs", "*.md")))

bad = 0
total = 0
for path in paths:
    for b in blocks(path):
        total += 1
        if b.marker is None:
            print(f"{b.path}:{b.line}: a fenced code block with no marker: put "
                  "<!-- illustrative --> on the line just before it, or a marker of a "
                  "test that runs it (test/docs/doc_blocks.py)")
            bad += 1
        elif b.marker == "doc-run" and b.lang not in ("sh", "bash", "shell"):
            print(f"{b.path}:{b.line}: doc-run marks shell blocks (```sh), not ```{b.lang}")
            bad += 1
if bad:
    print(f"{bad} of {total} code block(s) unmarked or mismarked")
    sys.exit(1)
print(f"all {total} code blocks are marked")
