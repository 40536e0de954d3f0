"""What the names of a written derivation mean: the part's variables (``--part``), the
definitions given (``--given "z = w x + b; y = sigma(z)"``) and those the document states
(a chain that starts with one new name: ``O = \\lfloor ... \\rfloor + 1``), and the reading
of one term into SymPy with every definition and derivative put in.

``\\frac{\\partial L}{\\partial w}`` is the derivative of L's definition with respect to w,
through the chain of definitions: L is expanded down to w (w's own definition is not put
in, so the derivative in an intermediate ``y`` treats y as the variable), differentiated,
and the result expanded to the end.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import sympy as sp
from sympy.printing.str import StrPrinter

from ...errors import AnswerSyntaxError, DeriveError, InvalidArgument, RecognisedSlip
from ...maths.expectation import Bernoulli, Normal, expectation, variance
from ...model.part import Part
from ..read.decorations import CleanTerm, clean_term, read_numbers
from .free import DOMAINS, expression_part

__all__ = ["Context", "Reading", "plain_text"]

MAX_EXPANSIONS = 30
# The laws a document may state: Bernoulli(p) (also Bern, B(1, p) is not taken), N(mean, variance).
_LAW = re.compile(r"^(?:\\(?:text|mathrm|operatorname|mathcal|mathbb)\s*\{\s*)?(?:(?P<bern>Bernoulli|Bern|Ber)|"
                  r"(?P<normal>N|Normal|Gauss))\s*\}?\s*(?:\\left)?\s*\((?P<args>.*?)(?:\\right)?\)\s*$")
_MASKS = {"delta", "D", "m", "r", "xi", "mask"}   # a dropout part's mask names (keep probability p)
# \sum_i x_i, \sum_{j=1}^{K} e^{z_j}: a sum whose body names entries by its index letter. The
# scalar reading would take z_j as one number, the same for every j.
_INDEXED_SUM = re.compile(r"\\(?:sum|prod)\s*_\s*\{?\s*([a-z])(?=[\s,=}]|$|\\|[^a-z{])(?=.*(?:[A-Za-z}]_\s*\{?\s*\1(?![a-z])))",
                          re.DOTALL)   # definitions nested deeper than this are a cycle (z = y, y = z)


class _PlainPrinter(StrPrinter):
    """SymPy back into the answer language's plain text (the reader's spellings)."""

    def _print_Abs(self, e):
        return f"abs({self._print(e.args[0])})"

    def _print_ceiling(self, e):
        return f"ceil({self._print(e.args[0])})"

    def _print_Max(self, e):
        return "max(" + ", ".join(self._print(a) for a in e.args) + ")"

    def _print_Min(self, e):
        return "min(" + ", ".join(self._print(a) for a in e.args) + ")"

    def _print_Exp1(self, e):
        return "exp(1)"

    def _print_Float(self, e):
        return sp.nsimplify(e, rational=True).__str__() if len(str(e)) > 30 else str(e)

    def _print_Derivative(self, e):
        raise InvalidArgument("a derivative that could not be taken")

    def _print_Piecewise(self, e):
        # The reader's Iverson bracket [a = b] (and [a < b] ...), the one Piecewise it builds.
        if len(e.args) == 2 and e.args[0][0] == 1 and e.args[1] == (0, True):
            c = e.args[0][1]
            if isinstance(c, sp.core.relational.Relational):
                return f"[{self._print(c.lhs)} {c.rel_op} {self._print(c.rhs)}]".replace("==", "=")
        raise InvalidArgument("a piecewise expression the answer language does not write")


def plain_text(expr) -> str:
    return _PlainPrinter({"order": "none"}).doprint(expr)


@dataclass(frozen=True)
class Reading:
    """A term read: the SymPy value with definitions put in, the text to judge it by (the
    cleaned LaTeX when nothing was put in, else the value printed as plain text), and what
    the term writes (decimals, derivative placeholders)."""
    value: object
    text: str
    syntax: str
    clean: CleanTerm
    understood: str
    symbol: object = None      # the term is one bare name (a definition may start here)
    stated: object = None      # the value with derivatives taken, definitions not yet put in
    # How far the value may move when each rounded number written in the term (3 or more
    # significant digits: itself a rounded result) moves by a unit in its last place; None
    # when not known. ``inherited``: a definition put in was itself computed from rounded numbers.
    rounding: object = None
    inherited: bool = False
    declared: dict = field(default_factory=dict)   # the names the term was read with (bare delta, sigma_B)

    @property
    def name(self) -> str | None:
        return self.symbol.name if self.symbol is not None else None

    @property
    def constant(self) -> bool:
        return isinstance(self.value, sp.Expr) and not self.value.free_symbols


@dataclass
class Context:
    variables: dict = field(default_factory=dict)    # name -> domain name, for the judge
    given: dict = field(default_factory=dict)        # Symbol -> value (checked against)
    stated: dict = field(default_factory=dict)       # Symbol -> value (the document's own)
    # The latest definition of each name that is a formula, not a number: y = sigma(wx + b)
    # stays y's meaning for derivatives after y = sigma(2) gives its value at a point.
    formulas: dict = field(default_factory=dict)
    rounded: set = field(default_factory=set)        # names defined from rounded numbers
    randoms: dict = field(default_factory=dict)      # Symbol -> Distribution (delta ~ Bernoulli(p))
    lengths: dict = field(default_factory=dict)      # name -> entries, from z = (2, 1, 0)
    entry_domains: dict = field(default_factory=dict)   # a part's vector -> its entries' domain
    sized: dict = field(default_factory=dict)        # Symbol -> text with sums over entries (x̄ = 1/n sum x_i)
    family: str | None = None
    decimal_commas: bool = False

    @classmethod
    def build(cls, part: Part | None, given: str | None, decimal_commas: bool) -> "Context":
        ctx = cls(decimal_commas=decimal_commas)
        if part is not None:
            ctx.family = part.id.split(".")[0]
            names = {id(d): n for n, d in DOMAINS.items()}
            for v in part.variables:
                if not v.shape and id(v.domain) in names:
                    ctx.variables[v.name] = names[id(v.domain)]
                elif len(v.shape) == 1 and id(v.domain) in names:
                    ctx.entry_domains[v.name] = names[id(v.domain)]
        if given:
            ctx._read_given(given)
        return ctx

    def _read_given(self, given: str) -> None:
        if not isinstance(given, str):
            raise InvalidArgument(f"--given must be text such as \"z = w x + b; y = sigma(z)\", got "
                                  f"{type(given).__name__}")
        for piece in filter(None, (p.strip() for p in re.split(r"[;\n]", given))):
            left, sep, right = piece.partition("=")
            if not sep or not left.strip() or not right.strip() or "=" in right:
                raise InvalidArgument(f"--given: {piece!r} is not a definition NAME = EXPRESSION; write "
                                      "them separated by ';', e.g. \"z = w x + b; y = sigma(z)\"")
            try:
                name = self._parse(left.strip())
                value = self._parse(right.strip())
            except (AnswerSyntaxError, RecognisedSlip, InvalidArgument) as exc:
                raise InvalidArgument(f"--given: {piece!r} does not read: {exc}") from None
            if not isinstance(name, sp.Symbol):
                raise InvalidArgument(f"--given: the left side of {piece!r} must be one name, "
                                      f"got {left.strip()!r}")
            self.given[name] = value

    def _parse(self, text: str, syntax: str = "auto"):
        names = {**self.variables, **bare_names(text)}
        part = expression_part(text, names or None, syntax=syntax)
        return part.result(part.general)

    def define(self, name: sp.Symbol, value, rounded: bool = False) -> None:
        """The document states name = value (a later statement replaces an earlier one);
        ``rounded`` when the value was computed from rounded numbers."""
        self.stated[name] = value
        self.sized.pop(name, None)
        (self.rounded.add if rounded else self.rounded.discard)(name)
        if getattr(value, "free_symbols", None):
            self.formulas[name] = value

    def expand(self, expr, keep: frozenset = frozenset(), symbolic: bool = False, size: int | None = None):
        """Every defined name put in, repeatedly, except the names in ``keep`` (and, with
        ``symbolic``, those defined as a number: a value, not a function of anything)."""
        known = {**self.formulas, **self.given} if symbolic else {**self.stated, **self.given}
        table = {k: v for k, v in known.items() if k not in keep
                 and not (symbolic and not getattr(v, "free_symbols", None))}
        if size:   # names defined with sums over entries mean those sums written out at this size
            for name, text in self.sized.items():
                if name not in keep and name in getattr(expr, "free_symbols", ()) and name not in table:
                    table[name] = self._sized_value(name, text, size)
        for _ in range(MAX_EXPANSIONS):
            hit = {s: table[s] for s in getattr(expr, "free_symbols", ()) if s in table}
            if not hit:
                return written_out(expr, size) if size else expr
            expr = expr.xreplace(hit)
        raise InvalidArgument("the definitions go round in a circle")

    def read(self, text: str, size: int | None = None) -> Reading:
        """Read one term. Raises AnswerSyntaxError (unreadable) or InvalidArgument (read, but
        it cannot be judged: a relation inside, a derivative in something not a name)."""
        clean = clean_term(text, self.decimal_commas, self.lengths, size)
        if not clean.unjudgeable and any(_INDEXED_SUM.search(t) for t in (clean.text, *(m.of for m in clean.moments))):
            clean = replace(clean, unjudgeable=SUM_OVER_ENTRIES)
        if clean.unjudgeable and balanced(clean.text):
            return Reading(None, clean.text, "latex", clean, clean.text)
        declared = {**self.variables, **bare_names(clean.text)}
        part = expression_part(clean.text, declared or None, syntax="latex")
        raw = part.result(part.general)
        understood = part.grading.expects if part.grading else clean.text
        placeholders = {}
        by_name = {s.name: s for s in getattr(raw, "free_symbols", ())}
        for d in clean.derivatives:
            if d.name in by_name:
                placeholders[by_name[d.name]] = self._derivative(d)
        for m in clean.moments:
            if m.name in by_name:
                placeholders[by_name[m.name]] = self._moment(m, size)
        value = raw.xreplace(placeholders) if placeholders else raw
        expanded = self.expand(value, size=size)
        symbol = raw if isinstance(raw, sp.Symbol) and not clean.derivatives and not clean.moments else None
        rounding = self._rounding(clean, placeholders) if rounded_numbers(clean.decimals) else None
        inherited = bool(self._uses(value) & self.rounded)
        text_form = (clean.text, "latex") if expanded == raw and not placeholders else (plain_text(expanded), "text")
        return Reading(expanded, *text_form, clean, understood, symbol, value, rounding, inherited, declared)

    def _uses(self, expr) -> set:
        """Every defined name the expression reaches through the definitions."""
        seen, todo = set(), set(getattr(expr, "free_symbols", ()))
        table = {**self.stated, **self.given}
        while todo:
            s = todo.pop()
            if s in table and s not in seen:
                seen.add(s)
                todo |= set(getattr(table[s], "free_symbols", ()))
        return seen

    def _rounding(self, clean: CleanTerm, placeholders: dict):
        """Sum over the term's rounded numbers of |d value / d number| times a unit in the
        number's last place, at the numbers written (None when it cannot be worked out)."""
        text, units = clean.text, {}
        for k, number in enumerate(sorted(set(rounded_numbers(clean.decimals)), key=len, reverse=True)):
            name = f"Dnumber_{k + 1}"
            text = re.sub(r"(?<![\d.])" + re.escape(number) + r"(?![\d])",
                          lambda m, k=k: f" \\operatorname{{Dnumber}}_{{{k + 1}}} ", text)
            units[name] = (sp.Rational(number), sp.Rational(1, 10 ** len(number.split(".")[1])))
        try:
            part = expression_part(text, self.variables or None, syntax="latex")
            free = part.result(part.general)
            by_name = {s.name: s for s in free.free_symbols}
            free = self.expand(free.xreplace({by_name.get(p.name, p): v for p, v in placeholders.items()}))
            at = {by_name[n]: v for n, (v, _) in units.items() if n in by_name}
            total = sum((abs(sp.N(sp.diff(free, by_name[n]).xreplace(at), 30)) * u
                         for n, (_, u) in units.items() if n in by_name), sp.Integer(0))
            return total if total.is_Number and total.is_finite else None
        except Exception:   # noqa: BLE001 -- no bound: the caller falls back to a relative one
            return None

    def domains_of(self, *values) -> dict:
        """The declared domains, and those of a part's vector entries the values use (p_2 of a
        p in (0, 1))."""
        out = dict(self.variables)
        for value in values:
            for s in getattr(value, "free_symbols", ()):
                base, _, index = s.name.partition("_")
                if index.isdigit() and base in self.entry_domains:
                    out.setdefault(s.name, self.entry_domains[base])
        return out

    def define_sized(self, name: sp.Symbol, text: str) -> None:
        """name = a term with sums over entries: its value depends on the size it is read at."""
        self.sized[name] = text
        self.stated.pop(name, None)
        self.formulas.pop(name, None)

    def _sized_value(self, name, text: str, size: int):
        reading_stack = self.__dict__.setdefault("_reading_sized", set())
        if name in reading_stack:
            raise InvalidArgument("the definitions go round in a circle")
        reading_stack.add(name)
        try:
            value = self.read(text, size).value
        finally:
            reading_stack.discard(name)
        if value is None:
            raise InvalidArgument(f"{name} is defined by a term that could not be judged")
        return value

    def define_entries(self, name: sp.Symbol, text: str) -> str | None:
        """z = (2, 1, 0): z_1, z_2, z_3 are defined and z has three entries (for sums over
        it). None when ``text`` is not a list of two to twelve readable entries."""
        inner = read_numbers(text.strip(), self.decimal_commas)
        m = re.fullmatch(r"(?:\\left\s*)?[(\[]\s*(.*?)\s*(?:\\right\s*)?[)\]]", inner, re.DOTALL)
        if not m:
            return None
        entries = _split_arguments(m.group(1))
        if not 2 <= len(entries) <= 12:
            return None
        try:
            values = [self._parse(e.strip(), "latex") for e in entries]
            names = [self._parse(f"{name.name}_{{{k}}}", "latex") for k in range(1, len(values) + 1)]
        except Exception:   # noqa: BLE001 -- not a list of values after all
            return None
        for entry, value in zip(names, values):
            if value != entry:   # y = (y_1, y_2, y_3) names the entries, defines nothing
                self.define(entry, value)
        self.lengths[name.name] = len(values)
        return f"{names[0]}, ..., {names[-1]}"

    def state_distribution(self, name: sp.Symbol, text: str) -> str:
        """delta ~ Bernoulli(p), z ~ N(0, s^2): the law of a random name, for E[...] and
        Var(...). Returns what was understood; InvalidArgument for a law not known."""
        m = _LAW.match(text.strip())
        if not m:
            raise InvalidArgument(f"the law {text!r} is not one the audit knows (Bernoulli(p), N(mean, variance))")
        args = [self._parse(a.strip(), "latex") for a in _split_arguments(m.group("args"))]
        if m.group("bern") and len(args) == 1:
            law = Bernoulli(args[0])
        elif m.group("normal") and len(args) == 2:
            law = Normal(args[0], args[1])
        else:
            raise InvalidArgument(f"the law {text!r} has {len(args)} parameters")
        self.randoms[name] = law
        return f"{name} ~ {law}"

    def _law(self, symbol: sp.Symbol):
        """The law of a name: stated for it, or for the same name with another index (delta_i ~
        Bernoulli(p_i) gives delta_k ~ Bernoulli(p_k)), or a dropout part's mask convention."""
        if symbol in self.randoms:
            return self.randoms[symbol]
        base, _, index = symbol.name.partition("_")
        for known, law in self.randoms.items():
            kb, _, ki = known.name.partition("_")
            if kb == base and ki and index and len(ki) == 1:
                rename = {s: sp.Symbol(s.name[:-len(ki)] + index, **s.assumptions0)
                          for s in law.free_symbols if s.name.endswith("_" + ki)}
                return type(law)(*[a.xreplace(rename) for a in law.params])
        if self.family == "dropout" and base in _MASKS:
            p = sp.Symbol("p_" + index if index else "p", real=True)
            return Bernoulli(p)
        return None

    def _moment(self, m, size: int | None = None) -> sp.Expr:
        inner = self.read(m.of, size)
        if inner.value is None:
            raise InvalidArgument(f"the inside of ${m.kind}[{m.of}]$ could not be judged")
        table = {s: law for s in inner.value.free_symbols if (law := self._law(s)) is not None}
        if not table:
            raise InvalidArgument(f"${m.kind}[{m.of}]$: no name in it has a stated law "
                                  "(state one: \\delta \\sim \\text{Bernoulli}(p))")
        return expectation(inner.value, table) if m.kind == "E" else variance(inner.value, table)

    def _derivative(self, d) -> sp.Expr:
        wrt = self._parse(d.wrt, "latex")
        if not isinstance(wrt, sp.Symbol):
            raise InvalidArgument(f"a derivative with respect to {d.wrt!r}, which is not one name")
        of = self.expand(self._parse(d.of, "latex"), keep=frozenset({wrt}), symbolic=True)
        if wrt not in of.free_symbols:
            raise InvalidArgument(f"${d.of}$ does not depend on ${d.wrt}$ through the definitions known here")
        base = wrt.name.partition("_")[0]
        if of.has(sp.Sum, sp.Product) or any(s != wrt and "_" in s.name and s.name.partition("_")[0] == base
                                              for s in of.free_symbols):
            # z_j and z_i are one vector's entries, which the scalar reading cannot relate.
            raise InvalidArgument(f"the derivative of ${d.of}$ in ${d.wrt}$ goes through a vector's entries, "
                                  "which are not differentiated yet")
        out = sp.diff(of, wrt, d.order)
        if out.has(sp.Derivative):
            raise InvalidArgument(f"the derivative of {d.of!r} could not be taken")
        return out


# delta and sigma are also the reader's Kronecker delta and sigmoid; a term that writes them
# bare (\delta x, \sigma^2, \sigma_B^2) means a name, declared so for that term only.
_BARE = {"delta": re.compile(r"\\delta(?![A-Za-z])(?!\s*(?:_|\(|\\left|\\big|'))"),
         "sigma": re.compile(r"\\sigma(?![A-Za-z])(?!\s*(?:_|\(|\\left|\\big|'))")}
_CALLED = {"delta": re.compile(r"\\delta\s*(?:\(|\\left)"), "sigma": re.compile(r"\\sigma\s*(?:\(|\\left|')")}
_SUBSCRIPTED_SIGMA = re.compile(r"\\sigma\s*_\s*(?:\{\s*([A-Za-z]\w*)\s*\}|([A-Za-z]))(?!\s*(?:\(|\\left))")


def bare_names(text: str) -> dict:
    """{name: "real"} for delta and sigma written as names in ``text`` (never where the same
    text also calls them)."""
    out = {}
    for name, pattern in _BARE.items():
        if pattern.search(text) and not _CALLED[name].search(text):
            out[name] = "real"
    if not _CALLED["sigma"].search(text):
        for m in _SUBSCRIPTED_SIGMA.finditer(text):
            out["sigma_" + (m.group(1) or m.group(2))] = "real"
    return out


SUM_OVER_ENTRIES = "a sum over the entries of a vector"


def written_out(expr, size: int):
    """A definition's sums up to a size symbol (sum(p_i w_i, i, 1, n) given with --given)
    written out over ``size`` entries: p_i becomes p_1, p_2, ..."""
    def one(*args):
        body, (index, low, high) = args[0], args[1]
        if not (getattr(high, "is_Symbol", False) and low in (0, 1)):
            return sp.Sum(*args)
        suffix = "_" + index.name
        terms = []
        for k in range(int(low), int(low) + size):
            rename = {s: sp.Symbol(s.name[:-len(suffix)] + f"_{k}", **s.assumptions0)
                      for s in body.free_symbols if s.name.endswith(suffix)}
            terms.append(body.xreplace(rename).xreplace({index: k}))
        return sp.Add(*terms)
    return expr.replace(sp.Sum, one) if expr.has(sp.Sum) else expr


def _split_arguments(text: str) -> list[str]:
    """a, b at the top level (not inside brackets)."""
    out, depth, start = [], 0, 0
    for k, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(text[start:k])
            start = k + 1
    out.append(text[start:])
    return [a for a in out if a.strip()]


def rounded_numbers(decimals) -> list[str]:
    """The decimals written with 3 or more significant digits (0.6652, 11.107): rounded
    results, unlike inputs such as 0.9 or 0.05."""
    return [d for d in decimals if len(d.replace(".", "").lstrip("0")) >= 3]


def balanced(text: str) -> bool:
    """Whether braces, parentheses and brackets pair up (OCR damage often leaves one open)."""
    stack = []
    pairs = {")": "(", "]": "[", "}": "{"}
    for k, ch in enumerate(text):
        if text[k - 1:k] == "\\" and ch in "{}":
            continue
        if ch in "([{":
            stack.append(ch)
        elif ch in pairs:
            if not stack or stack.pop() != pairs[ch]:
                return False
    return not stack


def readable(exc: Exception) -> str:
    """An error's message, shorter: the reader's caret lines are for one-line answers."""
    text = str(exc).split("\n")[0]
    return text.replace("the expected expression does not parse: ", "")


def is_reading_error(exc: Exception) -> bool:
    return isinstance(exc, (AnswerSyntaxError, RecognisedSlip, DeriveError))
