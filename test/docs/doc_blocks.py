"""The fenced code blocks of libpkvm's Markdown docs and their markers.

Every fenced block in README.md and docs/*.md is preceded, on the line just
before its opening fence, by one of:

  <!-- illustrative -->          shown, not executed (explained in the text)
  <!-- doc-run -->               a shell block test/docs/run_doc_commands.py
  <!-- doc-run: DIR -->            runs (in DIR, relative to the repository)
  <!-- doc-example: NAME -->     compiled and run by test/docs/CMakeLists.txt
  <!-- snippet-of: PATH -->      found verbatim in PATH (check_snippets.cmake)
"""
import re
from typing import List, NamedTuple, Optional

MARKER = re.compile(r"^<!-- (illustrative|doc-run(?:: (\S+))?|doc-example: \S+|snippet-of: \S+) -->$")


class Block(NamedTuple):
    path: str
    line: int  # 1-based line of the opening fence
    lang: str
    marker: Optional[str]  # "illustrative", "doc-run", ... or None
    arg: Optional[str]  # doc-run's DIR
    body: str


def blocks(path: str) -> List[Block]:
    out = []
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        m = re.match(r"^(```+|~~~+)(.*)$", lines[i])
        if not m:
            i += 1
            continue
        fence, lang = m.group(1), m.group(2).strip()
        prev = lines[i - 1] if i > 0 else ""
        mm = MARKER.match(prev)
        marker = arg = None
        if mm:
            marker = mm.group(1).split(":")[0]
            arg = mm.group(2)
        j = i + 1
        while j < len(lines) and not lines[j].startswith(fence[:3]):
            j += 1
        out.append(Block(path, i + 1, lang, marker, arg, "\n".join(lines[i + 1:j]) + "\n"))
        i = j + 1
    return out
