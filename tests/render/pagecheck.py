"""Checks every built page must pass: no code-style math in prose (HTML and LaTeX), valid
MathML, and no overfull box in the pdflatex logs. Used by test_pages.py; runnable on any
build folder: ``python tests/render/pagecheck.py build``."""
from __future__ import annotations

import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

NS = "{http://www.w3.org/1998/Math/MathML}"
ARITY = {"msup": 2, "msub": 2, "mfrac": 2, "mroot": 2, "munder": 2, "mover": 2,
         "msubsup": 3, "munderover": 3}
OVERFULL_LIMIT_PT = 5.0

# Code-style math a reader should never see in prose.
CODE_MATH = [
    ("caret", re.compile(r"\^")),
    ("underscore", re.compile(r"_")),
    ("backslash command", re.compile(r"\\[A-Za-z]+")),
    ("function call", re.compile(r"\b(?:sqrt|exp|log|diag|abs|max|min|argmax|norm|inv|sum|tanh|sigma|relu)\(")),
    ("float literal", re.compile(r"\b\d+(?:\.\d+)?e[-+]?\d+\b")),
    ("tilde", re.compile(r"\w~|~\w")),
    ("ASCII range", re.compile(r"\b\w\s*=\s*\w+\s*\.\.\s*\w")),
]
_HTML_SKIP = re.compile(r"<(math|code|pre|style|svg|script|title)\b.*?</\1>", re.S)
_TAG = re.compile(r"<[^>]+>")
# LaTeX: math, \texttt{...} and the document preamble are not prose.
_TEX_MATH = re.compile(r"(?<!\\)\$.*?(?<!\\)\$|\\showmath\{(?:[^{}]|\{(?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*\})*\}", re.S)
_TEX_ESCAPED = [("caret", r"\textasciicircum{}"), ("underscore", r"\_"), ("backslash", r"\textbackslash{}"),
                ("tilde", r"\textasciitilde{}")]


def _context(text: str, at: int) -> str:
    return " ".join(text[max(0, at - 40):at + 40].split())


def prose_problems_html(page: str) -> list[str]:
    problems = [f"LaTeX not converted to MathML: {_context(page, m.start())}"
                for m in re.finditer(r'<code class="tex">', page)]
    body = page.partition("<main>")[2] or page
    text = _TAG.sub(" ", _HTML_SKIP.sub(" ", body))
    text = text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&#34;", '"')
    for name, pattern in CODE_MATH:
        problems += [f"{name} in prose: ...{_context(text, m.start())}..." for m in pattern.finditer(text)]
    return problems


def prose_problems_tex(source: str) -> list[str]:
    body = source.partition(r"\begin{document}")[2]
    body = _TEX_MATH.sub(" ", body)
    # Code (a typed answer, a part id) is not prose: escaped braces \{ \} may sit inside it.
    body = re.sub(r"\\texttt\{(?:\\[{}]|[^{}]|\{\})*\}", " ", body)
    problems = []
    for name, escaped in _TEX_ESCAPED:
        at = body.find(escaped)
        while at >= 0:
            problems.append(f"{name} in prose: ...{_context(body, at)}...")
            at = body.find(escaped, at + 1)
    for name, pattern in CODE_MATH:
        if name in ("caret", "underscore", "backslash command", "tilde"):
            continue  # LaTeX markup itself; escaped prose characters are caught above
        problems += [f"{name} in prose: ...{_context(body, m.start())}..." for m in pattern.finditer(body)]
    return problems


def mathml_problems(page: str) -> list[str]:
    problems = []
    for match in re.finditer(r"<math\b.*?</math>", page, re.S):
        try:
            root = ET.fromstring(match.group())
        except ET.ParseError as exc:
            problems.append(f"unparsable MathML ({exc}): {match.group()[:120]}")
            continue
        for element in root.iter():
            tag = element.tag.replace(NS, "")
            if tag == "merror":
                problems.append(f"merror: {match.group()[:160]}")
            want = ARITY.get(tag)
            if want is not None and len(element) != want:
                problems.append(f"<{tag}> has {len(element)} children, not {want}: {match.group()[:200]}")
    return problems


def overfull_boxes(log: str, limit: float = OVERFULL_LIMIT_PT) -> list[str]:
    return [m.group() for m in re.finditer(r"Overfull \\[hv]box \((\d+(?:\.\d+)?)pt too \w+\)[^\n]*", log)
            if float(m.group(1)) > limit]


# Headings and lead-ins that must never end a PDF page (they belong to what follows).
LEADS = ("PROBLEM", "DERIVATION", "RESULT", "VERIFICATION", "COMPUTED WHEN THIS SHEET WAS BUILT",
         "What SymPy computes", "Common slips")


# A part's title is followed by its id and verification badge on one line: "batchnorm.scale  proved".
# A page ending with that line has orphaned the part's heading (the title sits just above it).
PART_ID_LINE = re.compile(r"^[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+\s+(?:proved|passed|refuted|failed|unproved but tested)$")


def orphaned_in_text(text: str, name: str = "") -> list[str]:
    """Pages (split at form feeds, as pdftotext -layout writes them) whose last line of text,
    above the page number, is a heading, a lead-in or a part's title and id line."""
    found = []
    for number, page in enumerate(text.split("\f"), 1):
        lines = [line.strip() for line in page.splitlines() if line.strip()]
        if lines and lines[-1].isdigit():
            lines.pop()
        if lines and (lines[-1].startswith(LEADS) or PART_ID_LINE.match(lines[-1])):
            found.append(f"{name} page {number} ends with {lines[-1][:60]!r}")
    return found


def orphaned_headings(pdf: Path) -> list[str]:
    """Pages of ``pdf`` that end with a heading (needs pdftotext)."""
    import subprocess
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    return orphaned_in_text(text, pdf.name)


def destinations(pdf: Path) -> dict[str, int]:
    """The PDF's named destinations (hyperref anchors) and the page each is on (needs pdfinfo)."""
    import subprocess
    listing = subprocess.run(["pdfinfo", "-dests", str(pdf)], capture_output=True, text=True, check=True).stdout
    found = {}
    for line in listing.splitlines():
        match = re.match(r'^\s*(\d+)\s+\[.*\]\s+"(.*)"$', line)
        if match:
            found[match.group(2)] = int(match.group(1))
    return found


def split_figures(dests: dict[str, int], name: str = "") -> list[str]:
    """Figures whose caption is on another page than the image (anchors figure-<stem> and
    caption-<stem>, which the sheet's template puts at the image's top and at its caption)."""
    found = []
    for anchor, page in sorted(dests.items()):
        if anchor.startswith("figure-"):
            stem = anchor[len("figure-"):]
            caption = dests.get(f"caption-{stem}")
            if caption != page:
                found.append(f"{name}: figure {stem} is on page {page}, its caption on page {caption}")
    return found


def check_folder(folder: Path) -> dict[str, list[str]]:
    found = {}
    for page in sorted(folder.glob("*.html")):
        text = page.read_text(encoding="utf-8")
        found[page.name] = prose_problems_html(text) + mathml_problems(text)
    for source in sorted(folder.glob("*.tex")):
        found[source.name] = prose_problems_tex(source.read_text(encoding="utf-8"))
    for log in sorted((folder / ".latex").glob("*.log")):
        found[f".latex/{log.name}"] = overfull_boxes(log.read_text(errors="replace"))
    return found


if __name__ == "__main__":
    total = 0
    for name, problems in check_folder(Path(sys.argv[1] if len(sys.argv) > 1 else "build")).items():
        total += len(problems)
        for p in problems:
            print(f"{name}: {p}")
    print(f"{total} problems")
    sys.exit(1 if total else 0)
