"""An audited document as one HTML page: the student's text with its prose kept (each
paragraph's direction read from its own letters, so Hebrew or Arabic runs right to left),
every display typeset in MathML with each step marked by its status, and the first wrong step
highlighted with its counterexample. Self-contained: no script, font or network.
"""
from __future__ import annotations

import html
import re

from ..model.audit import PROVED, START, UNCHECKED, UNREADABLE, WRONG, AuditReport
from .mathml import to_mathml

__all__ = ["audit_page"]

MARKS = {PROVED: "✓", WRONG: "✗", UNREADABLE: "?", UNCHECKED: "·", START: ""}
RELATIONS = {"=": "=", "≈": "≈", "≤": "≤", "<": "&lt;", "≥": "≥", ">": "&gt;", "⇒": "⇒", "→": "→",
             "⇔": "⇔", "≠": "≠", "≡": "≡", "∼": "∼", "∝": "∝", ":=": "≔"}
STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; line-height: 1.5; color: #222; }
.headline { padding: .6rem 1rem; border-radius: .4rem; background: #eef6ee; }
.headline.wrong { background: #fdecea; }
.display { margin: 1rem 0; padding: .5rem 1rem; border-left: 3px solid #ccc; direction: ltr; font-size: 1.2em; }
.step { display: inline-block; padding: .1rem .3rem; margin: .1rem; border-radius: .3rem; }
.step .mark { font-size: .8em; margin-inline-start: .2rem; }
.proved { background: #e7f5e7; } .proved .mark { color: #1a7f37; }
.wrong { background: #fde2e1; } .wrong .mark { color: #c62828; font-weight: bold; }
.unreadable { background: #fff4d6; } .unreadable .mark { color: #9a6700; }
.unchecked { background: #f0f0f0; } .unchecked .mark { color: #777; }
#first-wrong { outline: 2px solid #c62828; }
.note { font-size: .9em; margin: .2rem 0 .2rem 1rem; }
.note.wrong { background: none; color: #8a1c1c; } .note.unreadable { background: none; color: #7a5500; }
.prose { white-space: pre-wrap; }
code { background: #f5f5f5; padding: 0 .2rem; }
"""


def _math(tex: str) -> str:
    """MathML for a term as written, or the LaTeX itself in code when it cannot be typeset."""
    return to_mathml(tex) or f"<code>{html.escape(tex)}</code>"


def _prose(text: str) -> str:
    """Paragraphs of prose with their own direction; inline maths typeset."""
    out = []
    for para in re.split(r"\n\s*\n", text):
        if not para.strip():
            continue
        pieces = re.split(r"(\$[^$\n]+\$)", para.strip())
        body = "".join(_math(p[1:-1]) if p.startswith("$") and p.endswith("$") and len(p) > 2
                       else html.escape(p) for p in pieces)
        out.append(f'<p class="prose" dir="auto">{body}</p>')
    return "\n".join(out)


def _step(step, first: bool) -> str:
    title = html.escape(step.message or step.status, quote=True)
    rel = f"<span class=\"rel\">{RELATIONS.get(step.relation, html.escape(step.relation))}</span> " \
        if step.relation else ""
    anchor = ' id="first-wrong"' if first else ""
    return (f'{rel}<span class="step {step.status}"{anchor} title="{title}">{_math(step.text)}'
            f'<span class="mark">{MARKS.get(step.status, "")}</span></span>')


def _notes(steps) -> str:
    out = []
    for chain_no, step in steps:
        if step.status not in (WRONG, UNREADABLE):
            continue
        text = f"chain {chain_no}, step {step.index}: {step.message}"
        if step.diagnosis is not None:
            text += f" ({step.diagnosis})"
        out.append(f'<p class="note {step.status}">{MARKS[step.status]} {html.escape(text)}</p>')
    return "\n".join(out)


def audit_page(text: str, report: AuditReport, title: str = "audit") -> str:
    """The page for ``text`` audited as ``report``."""
    first = report.first_wrong
    regions: dict[tuple, list] = {}
    for chain in report.chains:
        for step in chain.steps:
            region = next((c.display_span for c in report.chains
                           if c.display_span and c.display_span[0] <= step.span[0] < c.display_span[1]),
                          chain.display_span)
            regions.setdefault(tuple(region), []).append((chain.index, step, first == (chain.index, step.index)))
    body, at = [], 0
    for (start, end) in sorted(regions):
        if start < at:
            continue
        body.append(_prose(_outside(text[at:start])))
        items = regions[(start, end)]
        line = " ".join(_step(step, is_first) for _, step, is_first in items)
        body.append(f'<div class="display">{line}</div>')
        body.append(_notes([(c, s) for c, s, _ in items]))
        at = _after_delimiter(text, end)
    body.append(_prose(_outside(text[at:])))
    kind = "wrong" if first else "ok"
    link = ' <a href="#first-wrong">show</a>' if first else ""
    return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
            f"<style>{STYLE}</style></head><body>\n"
            f'<p class="headline {kind}" dir="auto">{html.escape(report.headline)}{link}</p>\n'
            + "\n".join(b for b in body if b) + "\n</body></html>\n")


_OPENERS = re.compile(r"(\$\$|\\\[|\\\(|\$|\\begin\{[a-z]+\*?\}(?:\{\d+\})?|```math[ \t]*\n)\s*$")


def _outside(prose: str) -> str:
    """Prose without the opening delimiter of the display that follows it."""
    return _OPENERS.sub("", prose)


def _after_delimiter(text: str, end: int) -> int:
    """Where the prose resumes after a display's body: past its closing delimiter."""
    m = re.match(r"\s*(\$\$|\\\]|\\\)|\$|\\end\{[a-z]+\*?\}|```)", text[end:])
    return end + m.end() if m else end
