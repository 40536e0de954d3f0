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

__all__ = ["STYLE", "audit_body", "audit_index", "audit_page"]

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
.prose { white-space: pre-line; }
.inline-math { unicode-bidi: isolate; }
code { background: #f5f5f5; padding: 0 .2rem; }
"""


def _math(tex: str) -> str:
    """MathML for a term as written, or the LaTeX itself in code when it cannot be typeset."""
    return to_mathml(tex) or f"<code>{html.escape(tex)}</code>"


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
    """The page for ``text`` audited as ``report``: :func:`audit_body` with its style."""
    return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
            f"<style>{STYLE}</style></head><body>\n" + audit_body(text, report) + "\n</body></html>\n")


def audit_body(text: str, report: AuditReport) -> str:
    """The headline and the annotated document (``STYLE`` styles it). Inline maths stays in its
    sentence; displays are blocks; the notes on wrong and unreadable steps follow their paragraph."""
    first = report.first_wrong
    regions: dict[tuple, list] = {}
    kinds: dict[tuple, str] = {}
    for chain in report.chains:
        kinds.setdefault(tuple(chain.display_span), chain.kind)
        for step in chain.steps:
            region = next((c.display_span for c in report.chains
                           if c.display_span and c.display_span[0] <= step.span[0] < c.display_span[1]),
                          chain.display_span)
            regions.setdefault(tuple(region), []).append((chain.index, step, first == (chain.index, step.index)))
    pieces, at = [], 0   # ("text", str), ("inline", html, notes) or ("block", html, notes)
    for (start, end) in sorted(regions):
        if start < at:
            continue
        pieces.append(("text", _outside(text[at:start])))
        items = regions[(start, end)]
        line = " ".join(_step(step, is_first) for _, step, is_first in items)
        notes = _notes([(c, s) for c, s, _ in items])
        if kinds.get((start, end)) == "inline":
            pieces.append(("inline", f'<span class="inline-math" dir="ltr">{line}</span>', notes))
        else:
            pieces.append(("block", f'<div class="display">{line}</div>', notes))
        at = _after_delimiter(text, end)
    pieces.append(("text", _outside(text[at:])))
    kind = "wrong" if first else "ok"
    link = ' <a href="#first-wrong">show</a>' if first else ""
    return (f'<p class="headline {kind}" dir="auto">{html.escape(report.headline)}{link}</p>\n'
            + _assembled(pieces))


def _assembled(pieces) -> str:
    """Paragraphs from prose and inline maths (a blank line ends one), blocks between them."""
    out, para, notes = [], [], []

    def close():
        body = "".join(para).strip()
        heading = re.match(r"(#{1,6})\s+(.*)", body, re.S)
        if heading:   # a Markdown heading: "# Übung 3"
            level = min(len(heading.group(1)) + 1, 6)
            out.append(f'<h{level} dir="auto">{heading.group(2)}</h{level}>')
        elif body:
            out.append(f'<p class="prose" dir="auto">{body}</p>')
        para.clear()
        out.extend(n for n in notes if n)
        notes.clear()

    for piece in pieces:
        if piece[0] == "text":
            chunks = re.split(r"\n\s*\n", piece[1])
            for k, chunk in enumerate(chunks):
                if k:
                    close()
                para.append(_inline_prose(chunk))
        elif piece[0] == "inline":
            para.append(piece[1])
            notes.append(piece[2])
        else:
            close()
            out.append(piece[1])
            out.append(piece[2])
    close()
    return "\n".join(x for x in out if x)


def _inline_prose(text: str) -> str:
    """Prose with its inline maths typeset (those without a relation were not audited)."""
    pieces = re.split(r"(\$[^$\n]+\$)", text)
    return "".join(_math(p[1:-1]) if p.startswith("$") and p.endswith("$") and len(p) > 2
                   else html.escape(p) for p in pieces)


_OPENERS = re.compile(r"(\$\$|\\\[|\\\(|\$|\\begin\{[a-z]+\*?\}(?:\{\d+\})?|```math[ \t]*\n)\s*$")


def _outside(prose: str) -> str:
    """Prose without the opening delimiter of the display that follows it."""
    return _OPENERS.sub("", prose)


def _after_delimiter(text: str, end: int) -> int:
    """Where the prose resumes after a display's body: past its closing delimiter."""
    m = re.match(r"\s*(\$\$|\\\]|\\\)|\$|\\end\{[a-z]+\*?\}|```)", text[end:])
    return end + m.end() if m else end


def audit_index(rows: list[dict], folder: str) -> str:
    """The summary of a folder's audit: per file its first wrong step (linked to its page),
    the counts of each status, or why it could not be audited."""
    lines = []
    for r in rows:
        name = html.escape(r["file"])
        if r.get("page"):
            name = f'<a href="{html.escape(r["page"], quote=True)}">{name}</a>'
        if r["error"]:
            state, kind = "could not be audited: " + r["error"].splitlines()[0], "unreadable"
        elif r["first_wrong"]:
            state, kind = "chain {}, step {} is wrong".format(*r["first_wrong"]), "wrong"
        else:
            state, kind = "no wrong step", "proved"
        counts = r.get("counts") or {}
        cells = "".join(f"<td>{counts.get(s, 0)}</td>" for s in (PROVED, WRONG, UNREADABLE, UNCHECKED))
        lines.append(f'<tr><td>{name}</td><td class="{kind}">{html.escape(state)}</td>{cells}</tr>')
    wrong = sum(1 for r in rows if r["first_wrong"])
    return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>audit of {html.escape(folder)}</title>"
            f"<style>{STYLE} table {{ border-collapse: collapse; }} td, th {{ padding: .2rem .6rem; "
            f"border-bottom: 1px solid #ddd; text-align: left; }}</style></head><body>\n"
            f"<h1>Audit of {html.escape(folder)}</h1><p>{len(rows)} documents, {wrong} with a wrong step.</p>\n"
            "<table><tr><th>document</th><th>first wrong step</th><th>proved</th><th>wrong</th>"
            "<th>unreadable</th><th>unchecked</th></tr>\n" + "\n".join(lines) + "\n</table></body></html>\n")
