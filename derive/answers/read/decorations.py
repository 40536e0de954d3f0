"""One term of a written derivation made into an answer the reader parses: decorations read
past, numbers read as the document writes them, derivatives set aside for the caller.

What is read past: equation labels (``\\tag{3}``, ``\\textcircled{1}``), ``\\underbrace{X}_{...}``
and ``\\overbrace`` (X is kept), ``\\boxed``, ``\\underline``, ``\\cancel``, colours,
``\\limits``, ``\\mathsf{T}`` (a transpose), ``\\mathrm{d}``. Numbers: thousands separators
(``131,072``, ``131 072``, ``131\\,072``) and, where the document writes them, decimal commas
(``0,05``; ``0{,}05`` always). A derivative (``\\frac{\\partial L}{\\partial w}``,
``\\frac{dL}{dw}``, ``\\partial L/\\partial w``, ``\\nabla_w L``, ``\\frac{\\partial}{\\partial w}(...)``)
becomes a placeholder name the caller gives a meaning (reading knows no definitions).

>>> clean_term(r"\\underbrace{2\\sigma(2z)}_{\\text{rescaled}} - 1 \\tag{3}").text
'{2\\\\sigma(2z)} - 1'
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .written_sums import expand_sums, term_end

__all__ = ["CleanTerm", "Derivative", "Moment", "PLACEHOLDER", "clean_term", "read_numbers"]

PLACEHOLDER = "Dpartial"   # \operatorname{Dpartial}_{k}: the k-th derivative of a term


@dataclass(frozen=True)
class Derivative:
    """d^order(of)/d(wrt)^order, both as LaTeX the reader parses; ``name`` is the
    placeholder's name as the reader sees it (``Dpartial_1``)."""
    name: str
    of: str
    wrt: str
    order: int = 1


@dataclass(frozen=True)
class Moment:
    """E[of] (kind "E") or Var(of) (kind "Var"), ``of`` as LaTeX; ``name`` its placeholder."""
    name: str
    of: str
    kind: str


@dataclass(frozen=True)
class CleanTerm:
    text: str
    derivatives: tuple = ()
    moments: tuple = ()
    # Why the term cannot be judged even when it parses (a limit, a transpose, ...).
    unjudgeable: str | None = None
    decimals: tuple = field(default=())   # the decimal numbers as written, e.g. ("0.2722",)


def _group_end(text: str, j: int) -> int:
    """The index after the {...} group at j (skipping spaces); j itself when none starts there."""
    k = j
    while k < len(text) and text[k] == " ":
        k += 1
    if k >= len(text) or text[k] != "{":
        return j
    depth = 0
    for m in range(k, len(text)):
        ch = text[m]
        if ch == "{" and text[m - 1:m] != "\\":
            depth += 1
        elif ch == "}" and text[m - 1:m] != "\\":
            depth -= 1
            if depth == 0:
                return m + 1
    return len(text)


def _script_end(text: str, j: int) -> int:
    """The index after a ``_{...}``/``^{...}``/``_x`` script at j, or j when there is none."""
    k = j
    while k < len(text) and text[k] == " ":
        k += 1
    if k < len(text) and text[k] in "_^":
        end = _group_end(text, k + 1)
        if end > k + 1:
            return end
        m = re.match(r"\s*(\\[A-Za-z]+|.)", text[k + 1:])
        return k + 1 + (m.end() if m else 0)
    return j


def _unwrap(text: str, command: str, keep_script: bool = False) -> str:
    r"""\command{X} -> {X}; with ``keep_script`` False, a following _{...} or ^{...} goes too."""
    pattern = re.compile(r"\\" + command + r"(?![A-Za-z])")
    out, i = [], 0
    while True:
        m = pattern.search(text, i)
        if not m:
            break
        end = _group_end(text, m.end())
        if end == m.end():   # \underline w: one token
            out.append(text[i:m.start()])
            i = m.end()
            continue
        inner = text[_skip(text, m.end()):end]
        stop = end if keep_script else _script_end(text, end)
        out.append(text[i:m.start()] + inner)
        i = stop
    out.append(text[i:])
    return "".join(out)


def _skip(text: str, j: int) -> int:
    while j < len(text) and text[j] == " ":
        j += 1
    return j


def _drop(text: str, command: str, groups: int) -> str:
    r"""Remove \command and its ``groups`` braced arguments."""
    pattern = re.compile(r"\\" + command + r"\*?(?![A-Za-z])")
    while True:
        m = pattern.search(text)
        if not m:
            return text
        end = m.end()
        for _ in range(groups):
            end = _group_end(text, end)
        text = text[:m.start()] + " " + text[end:]


_THOUSANDS_COMMA = re.compile(r"(?<![\d.,])(\d{1,3})((?:,\d{3})+)(?![\d,])")
_THOUSANDS_SPACE = re.compile(r"(?<![\d.,])(\d{1,3})((?:(?:\\,|\\ |~|\\;|\{,\}| )\d{3})+)(?![\d])")
_DECIMAL_COMMA = re.compile(r"(?<=\d),(?=\d)|(?<=\d)\{,\}(?=\d)")
_DECIMAL = re.compile(r"(?<![\w.])\d*\.\d+")


def read_numbers(text: str, decimal_commas: bool) -> str:
    """Numbers as plain digits with a decimal point: 131,072 -> 131072, 131\\,072 -> 131072,
    0{,}05 -> 0.05, and 0,05 -> 0.05 where the document writes decimal commas."""
    text = re.sub(r"(?<=\d)\{,\}(?=\d)", ".", text)
    # 0,7311: no thousands group starts with 0, so this comma is a decimal one in any document.
    text = re.sub(r"(?<![\d.,])0,(?=\d{2})", "0.", text)
    if decimal_commas:
        text = _DECIMAL_COMMA.sub(".", text)
    else:
        text = _THOUSANDS_COMMA.sub(lambda m: m.group(1) + m.group(2).replace(",", ""), text)
    return _THOUSANDS_SPACE.sub(lambda m: m.group(1) + re.sub(r"\D", "", m.group(2)), text)


# Things the reader cannot judge with a scalar, definition-free meaning.
_UNJUDGEABLE = [
    (re.compile(r"\\mathbb\s*\{?\s*E(?![A-Za-z])|\\mathcal\s*\{?\s*E\b\s*\}?\s*(_|\[|\\left|\\big|\\Big)"
                r"|\\operatorname\{E\}|(?<![A-Za-z\\])E\s*(\[|\\left\[|\\big|\\Big)"
                r"|\\mathrm\{E\}|\\mathbb\s*\{?\s*V(?![A-Za-z])"), "an expectation or variance"),
    (re.compile(r"Var(?![A-Za-z])|Cov(?![A-Za-z])|\\mathbb\s*\{?\s*P(?![A-Za-z])|\\Pr(?![A-Za-z])"), "an expectation or variance"),
    (re.compile(r"\\int(?![A-Za-z])|\\iint(?![A-Za-z])|\\oint(?![A-Za-z])"), "an integral"),
    (re.compile(r"\\lim(?![A-Za-z])|\\limsup(?![A-Za-z])|\\liminf(?![A-Za-z])|\\infty(?![A-Za-z])"), "a limit"),
    (re.compile(r"\\prod(?![A-Za-z])|\\arg\s*\\?(max|min)|argmax|argmin|\\max_|\\min_"), "a product or extremum over a set"),
    (re.compile(r"\\[cl]?dots(?![A-Za-z])|\\ldots(?![A-Za-z])|\\vdots(?![A-Za-z])|\.\.\."), "an elided sum (…)"),
    (re.compile(r"\^\s*\{?\s*(\\top|\\intercal|\\mathsf\s*\{?\s*T|T(?![A-Za-z])|\\mathrm\{T\})|\.T(?![A-Za-z])"),
     "a transpose (vectors and matrices need --part)"),
    (re.compile(r"\\(in|subset|subseteq|forall|exists|cup|cap|mid)(?![A-Za-z])"), "a statement about sets"),
]


def _derivatives(text: str) -> tuple[str, list[Derivative]]:
    """Replace every derivative by a placeholder name; return the text and what each means."""
    found: list[Derivative] = []
    d = r"(?:\\partial|\\mathrm\{d\}|\\operatorname\{d\}|d)"

    def name() -> str:
        return f"{PLACEHOLDER}_{len(found) + 1}"

    def placeholder(of: str, wrt: str, order: int) -> str:
        found.append(Derivative(name(), of.strip(), wrt.strip(), order))
        return rf" \operatorname{{{PLACEHOLDER}}}_{{{len(found)}}} "

    # \frac{\partial^2 L}{\partial w^2} and \frac{\partial L}{\partial w}: a named numerator.
    frac = re.compile(r"\\[dt]?frac\s*\{\s*" + d + r"\s*(?:\^\s*\{?(\d)\}?)?\s*([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}"
                      r"\s*\{\s*" + d + r"\s*([^{}]*(?:\{[^{}]*\}[^{}]*)*?)\s*(?:\^\s*\{?\d\}?)?\s*\}")
    out, i = [], 0
    for m in frac.finditer(text):
        if m.start() < i:
            continue
        order = int(m.group(1) or 1)
        of, wrt = m.group(2).strip(), re.sub(r"\^\s*\{?\d\}?\s*$", "", m.group(3).strip())
        end = m.end()
        if not of:   # the operator form: d/dw applied to what follows
            stop = _operand_end(text, end)
            of = text[end:stop]
            end = stop
        if not of.strip() or not wrt:
            continue
        out.append(text[i:m.start()] + placeholder(_parens(of), wrt, order))
        i = end
    text = "".join(out) + text[i:]
    # \partial L / \partial w
    text = re.sub(r"\\partial\s*(\\?[A-Za-z]+(?:_\{[^{}]*\}|_\w)?)\s*/\s*\\partial\s*(\\?[A-Za-z]+(?:_\{[^{}]*\}|_\w)?)",
                  lambda m: placeholder(m.group(1), m.group(2), 1), text)
    # \nabla_w L and \partial_w L
    text = re.sub(r"\\(?:nabla|partial)\s*_\s*(\{[^{}]*\}|\\?[A-Za-z]+)\s*(\\?[A-Za-z]+(?:_\{[^{}]*\}|_\w)?)",
                  lambda m: placeholder(m.group(2), m.group(1).strip("{}"), 1), text)
    return text, found


# E[...] and Var(...) as written: the opening, then the bracket it opens.
_MOMENT_OPEN = re.compile(
    r"(?P<E>\\mathbb\s*\{\s*E\s*\}|\\mathbb\s*E|\\operatorname\{E\}|\\mathrm\{E\}|(?<![A-Za-z\\_^{])E)"
    r"(?:_\{[^{}]*\}|_\\?[A-Za-z]+)?"
    r"|(?P<V>\\operatorname\{Var\}|\\mathrm\{Var\}|\\text\{Var\}|\\mathbb\s*\{\s*V\s*\}|(?<![A-Za-z\\])Var)")
_BRACKET = re.compile(r"\s*(\\left\s*|\\[bB]igg?l?\s*)?([\[(])")


def _moments(text: str) -> tuple[str, list[Moment]]:
    """Replace E[...] and Var(...) whose bracket closes by placeholders."""
    found: list[Moment] = []
    while True:
        for m in _MOMENT_OPEN.finditer(text):
            b = _BRACKET.match(text, m.end())
            if not b:
                continue
            close = _closing(text, b.end() - 1)
            if close is None:
                continue
            inner_end, end = close
            kind = "E" if m.group("E") else "Var"
            found.append(Moment(f"Dmoment_{len(found) + 1}", text[b.end():inner_end].strip(), kind))
            text = text[:m.start()] + rf" \operatorname{{Dmoment}}_{{{len(found)}}} " + text[end:]
            break
        else:
            return text, found


def _closing(text: str, j: int):
    """(end of the inside, end of the closing bracket) for the bracket at j, or None."""
    depth = 0
    k = j
    while k < len(text):
        ch = text[k]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                size = re.search(r"(\\right\s*|\\[bB]igg?r?\s*)$", text[:k])
                return (size.start() if size else k), k + 1
        k += 1
    return None


def _parens(of: str) -> str:
    return "(" + of + ")" if not re.fullmatch(r"\s*\\?[A-Za-z]+(?:_\{[^{}]*\}|_\w)?\s*", of) else of


def _operand_end(text: str, j: int) -> int:
    """Where the operand of d/dw ends: at the first + or - outside brackets after something
    was read (d/dz (1 + e^{-z})^{-1}, d/dw \\frac12 (wx - t)^2, d/dz z^2 + 3 takes z^2), or
    at the end of the term."""
    return term_end(text, _skip(text, j), stops="+-")


def clean_term(text: str, decimal_commas: bool = False, lengths: dict | None = None,
               size: int | None = None) -> CleanTerm:
    """The term as LaTeX the answer reader parses, what its derivatives mean, and why it
    cannot be judged (None when it can)."""
    for command, groups in (("tag", 1), ("label", 1), ("textcircled", 1), ("color", 1),
                            ("nonumber", 0), ("notag", 0), ("limits", 0), ("nolimits", 0),
                            ("displaystyle", 0), ("textstyle", 0), ("phantom", 1), ("hspace", 1),
                            ("vphantom", 1)):
        text = _drop(text, command, groups)
    for command in ("underbrace", "overbrace", "underset", "overset"):
        if command in ("underset", "overset"):   # \underset{below}{X}: X is kept
            text = _drop_first_argument(text, command)
        else:
            text = _unwrap(text, command)
    for command in ("underline", "cancel", "bcancel", "xcancel", "boxed", "smash", "mathstrut",
                    "textcolor", "pmb", "bm", "vec", "mathbf", "boldsymbol", "mathbfit"):
        if command == "textcolor":
            text = _drop_first_argument(text, command)
        else:
            text = _unwrap(text, command, keep_script=True)
    text = re.sub(r"\\mathsf\s*\{\s*T\s*\}|\\intercal\b", r"\\top ", text)
    text = re.sub(r"\^\s*\{\s*\\prime\s*\}|\^\s*\\prime(?![A-Za-z])", "'", text)   # OCR writes f' as f^{\prime}
    text = re.sub(r"\\(?:mathrm|operatorname|text)\s*\{\s*d\s*\}", "d", text)
    text = re.sub(r"\\(?:left|right)\s*\.", " ", text)
    text = re.sub(r"\\[dt]frac(?![A-Za-z])", r"\\frac", text)
    text = re.sub(r"\\(?:exp)\s*\{", r"\\exp{", text)
    text = read_numbers(text, decimal_commas)
    text = re.sub(r"(\d+(?:\.\d+)?)\s*\\%", r"(\1/100)", text)   # 75\% is 0.75
    text = expand_sums(text, lengths or {}, size)
    text, derivatives = _derivatives(text)
    decimals = tuple(_DECIMAL.findall(text))
    text, moments = _moments(text)
    inside = " ".join(m.of for m in moments)
    why = next((reason for pattern, reason in _UNJUDGEABLE if pattern.search(text) or pattern.search(inside)
                and reason != "an expectation or variance"), None)
    return CleanTerm(" ".join(text.split()), tuple(derivatives), tuple(moments), why, decimals)


def _drop_first_argument(text: str, command: str) -> str:
    r"""\command{a}{X} -> {X}."""
    pattern = re.compile(r"\\" + command + r"(?![A-Za-z])")
    while True:
        m = pattern.search(text)
        if not m:
            return text
        end = _group_end(text, m.end())
        text = text[:m.start()] + " " + text[end:]
