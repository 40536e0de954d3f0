"""Cutting a display into chains of steps: ``a = b \\approx c`` is one chain of three terms
joined by two relations.

Only relations at the top level cut: not inside braces, parentheses, brackets, ``\\left ...
\\right`` or an environment (``pmatrix``, ``cases``), so ``x_{i=1}``, ``\\frac{a}{b=c}`` and
``[y_i = j]`` stay whole. ``&`` is alignment, ``\\\\`` ends a line, and a line that starts with
a relation continues the chain of the line before. ``\\quad``, prose in ``\\text{...}``, ``;``
and a comma followed by a space separate two chains on one line (``z = wx + b, \\quad y =
\\sigma(z)``); an equation number after them (``(3)``, ``\\textcircled{1}``) is dropped.

>>> [[t.text for t in c.terms] for c in split_chains("a = b \\\\ &= c, \\quad d \\le e \\quad (3)")]
[['a', 'b', 'c'], ['d', 'e']]
"""
from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Chain", "RELATIONS", "Term", "split_chains"]

# How each relation is written -> its one name.
RELATIONS = {
    "=": "=", "approx": "≈", "simeq": "≈", "thickapprox": "≈", "≈": "≈",
    "le": "≤", "leq": "≤", "leqslant": "≤", "≤": "≤", "<=": "≤",
    "ge": "≥", "geq": "≥", "geqslant": "≥", "≥": "≥", ">=": "≥",
    "lt": "<", "<": "<", "gt": ">", ">": ">",
    "ne": "≠", "neq": "≠", "!=": "≠", "≠": "≠",
    "Rightarrow": "⇒", "implies": "⇒", "Longrightarrow": "⇒", "⇒": "⇒", "=>": "⇒",
    "to": "→", "rightarrow": "→", "longrightarrow": "→", "mapsto": "→", "→": "→",
    "xrightarrow": "→", "xRightarrow": "⇒",
    "iff": "⇔", "Leftrightarrow": "⇔", "Longleftrightarrow": "⇔", "⇔": "⇔",
    "equiv": "≡", "sim": "∼", "propto": "∝", "coloneqq": ":=", ":=": ":=", "triangleq": ":=",
    "overset": "=", "stackrel": "=", "underset": "=",
}
_OPEN = "{(["
_CLOSE = "})]"
_COMMAND = re.compile(r"\\([A-Za-z]+)\*?|\\(.)")
_ENV = re.compile(r"\\(begin|end)\{([A-Za-z*]+)\}")
# Environments that only lay out the lines of the display itself: read through them.
_LAYOUT = {"aligned", "split", "gathered", "align", "align*", "alignedat", "eqnarray", "array"}
_DELIMITER = re.compile(r"\\(?:[lr]?[Vv]ert|[lr]floor|[lr]ceil|langle|rangle|[{}|.])|[()\[\]<>|./]")
_SEPARATORS = {"quad", "qquad", "hspace", "hfill", "text", "textrm", "mbox", "textit", "textbf",
               "intertext", "tag", "label", "nonumber", "notag"}
# A piece that is only a label: (3), (3.1), (a), \textcircled{1}, \tag{2}, *.
# Prose short enough to be a unit (B, KiB, ms, %, FLOPs), and short words that are not units.
_UNIT = re.compile(r"^[A-Za-zµ°%/^0-9·-]{1,6}$")
_WORDS = {"and", "or", "for", "if", "so", "with", "then", "hence", "thus", "where", "und", "oder",
          "für", "mit", "also", "et", "ou", "pour", "donc", "si", "y", "o", "para", "i", "a", "is", "da"}
_TRAILING = re.compile(r"(\s|\\[,;!: ]|\\q?quad\b|[.,;])+$")
_LABEL = re.compile(r"^\s*(\((\d+(\.\d+)?|[a-z]|[ivx]+)\)|\\textcircled\{[^{}]*\}|\\tag\*?\{[^{}]*\}|\*)\s*[.,;]?\s*$")


@dataclass(frozen=True)
class Term:
    """One side of a step as written, where it sits in the document, and the relation that
    joins it to the term before (None for the first term of a chain)."""
    text: str
    start: int
    end: int
    relation: str | None = None
    unit: str | None = None   # \text{ KiB} between this term and the next relation


@dataclass(frozen=True)
class Chain:
    terms: tuple

    @property
    def continues(self) -> bool:
        """The display opened with a relation (OCR cuts one derivation into several
        displays): this chain goes on from the last chain of the display before."""
        return bool(self.terms) and self.terms[0].relation is not None


def _braced_end(body: str, j: int) -> int:
    """The index after the balanced {...} group that starts at j (or j when none does)."""
    while j < len(body) and body[j] in " \t":
        j += 1
    if j >= len(body) or body[j] != "{":
        return j
    depth = 0
    for k in range(j, len(body)):
        if body[k] == "{" and body[k - 1] != "\\":
            depth += 1
        elif body[k] == "}" and body[k - 1] != "\\":
            depth -= 1
            if depth == 0:
                return k + 1
    return len(body)


def _items(body: str):
    """The display as a flat list of ('char', i) and marks ('rel', name, i, j), ('line', i),
    ('sep', i, j); relations, lines and separators only at depth 0."""
    depth, i, out = 0, 0, []
    while i < len(body):
        c = body[i]
        env = _ENV.match(body, i)
        if env:
            if env.group(2) in _LAYOUT:
                if env.group(2) == "array" and env.group(1) == "begin":   # its column spec
                    i = _braced_end(body, env.end())
                    continue
                i = env.end()
                continue
            depth += 1 if env.group(1) == "begin" else -1
            depth = max(depth, 0)
            out += [("char", k) for k in range(i, env.end())]
            i = env.end()
            continue
        cmd = _COMMAND.match(body, i)
        if cmd:
            name = cmd.group(1) or cmd.group(2)
            if name in ("left", "right"):
                d = _DELIMITER.match(body, cmd.end() + (1 if body[cmd.end():cmd.end() + 1] == " " else 0))
                stop = d.end() if d else cmd.end()
                depth = depth + 1 if name == "left" else max(depth - 1, 0)
                out += [("char", k) for k in range(i, stop)]
                i = stop
                continue
            if name == "\\" and depth == 0:
                stop = cmd.end()
                if body[stop:stop + 1] == "[":   # \\[2pt]
                    stop = body.find("]", stop) + 1 or stop
                out.append(("line", i))
                i = stop
                continue
            if depth == 0 and name in RELATIONS:
                stop = cmd.end()
                if name in ("overset", "stackrel", "underset", "xrightarrow", "xRightarrow"):
                    if body[stop:stop + 1] == "[":
                        stop = body.find("]", stop) + 1 or stop
                    stop = _braced_end(body, stop)
                    if name in ("overset", "stackrel", "underset"):
                        inner_start = stop
                        stop = _braced_end(body, stop)
                        inner = body[inner_start:stop].strip().strip("{}").strip()
                        if inner not in ("=", "\\approx", "\\le", "\\ge", "<", ">"):
                            out += [("char", k) for k in range(i, stop)]   # \overset{a}{b}: no relation
                            i = stop
                            continue
                        name = inner.lstrip("\\") if inner.startswith("\\") else inner
                out.append(("rel", RELATIONS[name], i, stop))
                i = stop
                continue
            if depth == 0 and name in _SEPARATORS:
                stop = _braced_end(body, cmd.end())
                words = body[cmd.end():stop].strip("{} ")
                # \text{output}: a one-word name at the start of a term, not prose.
                if name.startswith("text") and re.fullmatch(r"[A-Za-z]+(_\w+)?", words) \
                        and not _pending(out, body):
                    out += [("char", k) for k in range(i, stop)]
                else:
                    out.append(("sep", i, stop, words if name.startswith("text") or name == "mbox" else None))
                i = stop
                continue
            out += [("char", k) for k in range(i, cmd.end())]
            if name in ("{",):
                pass   # \{ is a printed brace, no group
            i = cmd.end()
            continue
        if c in _OPEN:
            depth += 1
        elif c in _CLOSE:
            depth = max(depth - 1, 0)
        if depth == 0:
            two = body[i:i + 2]
            if two in ("<=", ">=", "!=", ":=", "=>"):
                out.append(("rel", RELATIONS[two], i, i + 2))
                i += 2
                continue
            if c in "=<>≈≤≥≠⇒→⇔":
                out.append(("rel", RELATIONS[c], i, i + 1))
                i += 1
                continue
            if c == "&":
                i += 1
                continue
            if c == ";" or (c in ",:" and body[i + 1:i + 2] in (" ", "\\", "\n", "\t", "")):
                out.append(("sep", i, i + 1))
                i += 1
                continue
        out.append(("char", i))
        i += 1
    return out


def _pending(out, body: str) -> bool:
    """Whether the term being read so far holds anything but spaces."""
    for item in reversed(out):
        if item[0] != "char":
            return False
        if not body[item[1]].isspace():
            return True
    return False


def split_chains(body: str, offset: int = 0) -> list[Chain]:
    """The chains of a display body; spans are ``offset`` plus positions in the body."""
    chains: list[list[Term]] = []
    current: list[Term] = []
    relation: str | None = None
    chars: list[int] = []
    broken = False   # a line break or separator since the last term: a new chain unless a relation follows
    unit = None      # prose right after the last term: a unit if a relation comes next

    def flush() -> Term | None:
        nonlocal chars
        if not chars:
            return None
        # The last character that is not a space: a layout command read past after it
        # (\end{aligned}) lies outside the term.
        kept = [c for c in chars if not body[c].isspace()] or chars
        a, b = chars[0], kept[-1] + 1
        raw = body[a:b]
        chars = []
        text = _TRAILING.sub("", raw).strip()
        if not text or _LABEL.match(text):
            return None
        lead = raw.index(text[0]) if text else 0
        return Term(text, offset + a + lead, offset + a + lead + len(text), relation)

    def close_chain():
        nonlocal current
        if current:
            chains.append(current)
        current = []

    def place(term: Term, broken: bool):
        """A term after a line break without a relation starts a new chain."""
        if broken:
            close_chain()
            term = Term(term.text, term.start, term.end, None)
        current.append(term)

    for item in _items(body):
        kind = item[0]
        if kind == "char":
            if not chars and body[item[1]].isspace():
                continue
            if broken and not chars:
                close_chain()
                relation = None
                broken = False
            unit = None
            chars.append(item[1])
        elif kind == "rel":
            term = flush()
            if term is not None:
                place(term, broken)
            elif not current and not broken:
                pass   # the display opens with a relation: its first term keeps it (Chain.continues)
            elif unit and current:   # 50\,176 \text{ B} \approx 49 \text{ KiB}: B is a unit
                last = current[-1]
                current[-1] = Term(last.text, last.start, last.end, last.relation, unit)
            unit = None
            broken = False
            relation = item[1]
        else:   # line or separator
            term = flush()
            if term is not None:
                current.append(term)
            unit = item[3] if kind == "sep" and len(item) > 3 and item[3] and (term or unit is None) else None
            if term is not None and unit and _UNIT.match(unit) and unit.lower() not in _WORDS:
                current[-1] = Term(term.text, term.start, term.end, term.relation, unit)
            broken = True
    term = flush()
    if term is not None:
        place(term, broken)
    close_chain()
    out = [Chain(tuple(c)) for c in chains]
    return [out[0]] + [Chain(tuple(_first_unrelated(c.terms))) for c in out[1:]] if out else []


def _first_unrelated(terms: list[Term]) -> list[Term]:
    """The first term of a chain relates to nothing before it."""
    if terms and terms[0].relation is not None:
        first = terms[0]
        terms = [Term(first.text, first.start, first.end, None)] + terms[1:]
    return terms
