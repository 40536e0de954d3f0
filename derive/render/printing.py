"""The one LaTeX printer for derive's notation: vector entries as s_i, transposes as
^\\top, diag(...), softmax(...), sigma(...). Sheets and answer feedback both use it.
"""
from __future__ import annotations

import re

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixElement
from sympy.printing.latex import LatexPrinter

from ..maths.tensors import Named
from ..model.functions import SquaredNorm


def _leads_with_minus(term) -> bool:
    """True for -x, -2 y and also (-eps) H, whose scalar coefficient carries the sign."""
    if isinstance(term, sp.MatMul):
        scalar = sp.Mul(*[a for a in term.args if not getattr(a, "is_Matrix", False)])
        return scalar.could_extract_minus_sign()
    return term.could_extract_minus_sign()


class DeriveLatexPrinter(LatexPrinter):
    """Overrides only the ``_print_<Class>`` methods whose default notation differs from
    the course's."""

    def __init__(self, settings=None, names: dict[str, str] | None = None):
        # arcsin, not asin: the course's spelling of the inverse functions
        super().__init__({"mul_symbol": None, "inv_trig_style": "full", **(settings or {})})
        self.names = names or {}

    def _print_Add(self, expr, order=None):
        # Lead with a positive term: "diag(s) - s s^T", not "- s s^T + diag(s)".
        terms = list(self._as_ordered_terms(expr, order=order))
        # A squared norm leads, as in ||y - pXw||^2 + p(1 - p) ||Gamma w||^2.
        terms.sort(key=lambda t: not isinstance(t, SquaredNorm))
        negative = [_leads_with_minus(t) for t in terms]
        if negative and negative[0] and not all(negative):
            k = negative.index(False)
            terms.insert(0, terms.pop(k))
        tex = ""
        for n, term in enumerate(terms):
            if n and _leads_with_minus(term):
                tex += " - "
                term = -term
            elif n:
                tex += " + "
            body = self._print(term)
            if n and self._needs_add_brackets(term):
                body = rf"\left({body}\right)"
            tex += body
        return tex

    def _print_Mul(self, expr):
        # Plain factors before bracketed sums: "s_i (delta_ij - s_j)", "p (1 - p)".
        factors = list(expr.as_ordered_factors())
        if any(f.is_Pow and f.exp.is_negative for f in factors):
            return super()._print_Mul(expr)
        # SymPy distributes a number into a sum factor, 2 s_i (s_i - y_i) arriving as
        # s_i (2 s_i - 2 y_i); take the number back out in front.
        content, plain = sp.S.One, []
        for f in factors:
            if f.is_Add:
                if all(t.could_extract_minus_sign() for t in f.args):
                    content, f = -content, -f
                c, f = f.primitive()
                content *= c
            plain.append(f)
        if content != 1:
            number = content * sp.Mul(*[f for f in plain if f.is_Number])
            plain = [number] * (number != 1) + [f for f in plain if not f.is_Number]
        base_is_sum = lambda f: f.is_Add or (f.is_Pow and f.base.is_Add)
        rank = lambda f: (0 if f.is_Number else 3 if base_is_sum(f) else
                          1 if (f.is_Symbol or f.is_Indexed or isinstance(f, MatrixElement)) else 2)
        ordered = sorted(plain, key=rank)
        if ordered == factors:
            return super()._print_Mul(expr)
        sign = ""
        if ordered[0].is_Number and ordered[0].is_negative:  # unevaluated Muls print -1 as "(-1)"
            sign, ordered = "- ", [-ordered[0]] * (ordered[0] != -1) + ordered[1:]
        if len(ordered) == 1:
            return sign + self._print(ordered[0])
        saved = self._settings.get("order")
        self._settings["order"] = "none"
        try:
            return sign + super()._print_Mul(sp.Mul(*ordered, evaluate=False))
        finally:
            self._settings["order"] = saved

    def _print_MatMul(self, expr):
        # As for scalars: 2 (diag(s) - s s^T)(s - y), not (2 diag(s) - 2 s s^T)(s - y).
        factors, content = list(expr.args), sp.S.One
        for n, f in enumerate(factors):
            if isinstance(f, sp.MatAdd):
                coefficients = [t.as_coeff_mmul()[0] if isinstance(t, sp.MatMul) else sp.S.One for t in f.args]
                c = sp.gcd_list(coefficients) if all(x.is_Integer for x in coefficients) else sp.S.One
                if c > 1:
                    content *= c
                    factors[n] = sp.MatAdd(*[sp.MatMul(sp.S.One / c, t).doit() for t in f.args])
        # A rational scalar in front prints as a plain fraction, 1/3 A x, not (1/3) A x.
        scalar, rest = sp.S.One, factors
        if factors and factors[0].is_Rational and len(factors) > 1:
            scalar, rest = factors[0], factors[1:]
        content *= scalar
        if content == 1:
            return super()._print_MatMul(expr)
        body = super()._print_MatMul(sp.MatMul(*rest, evaluate=False)) if len(rest) > 1 else self._print(rest[0])
        if len(rest) == 1 and isinstance(rest[0], (sp.MatAdd, sp.Add)):   # 1/3 (A + b), never 1/3 A + b
            body = rf"\left({body}\right)"
        if content == -1:
            return f"-{body}"
        if content.is_negative:
            return f"-{self._print(-content)} {body}"
        return f"{self._print(content)} {body}"

    def _print_OneMatrix(self, expr):
        return r"\mathbf{1}"

    def _print_MatAdd(self, expr):
        return self._print_Add(expr)

    def _print_Identity(self, expr):
        return "I"

    def _print_And(self, expr):
        # 0 < eps and eps < 2/lambda_max reads as the chain 0 < eps < 2/lambda_max.
        relations = [r.reversed if isinstance(r, (sp.GreaterThan, sp.StrictGreaterThan)) else r
                     for r in expr.args]
        if len(relations) == 2 and all(isinstance(r, (sp.LessThan, sp.StrictLessThan)) for r in relations):
            first, second = relations
            if first.rhs == second.lhs or second.rhs == first.lhs:
                low, high = (first, second) if first.rhs == second.lhs else (second, first)
                op = lambda r: r"\le" if isinstance(r, sp.LessThan) else "<"
                return (f"{self._print(low.lhs)} {op(low)} {self._print(low.rhs)} "
                        f"{op(high)} {self._print(high.rhs)}")
        return super()._print_And(expr)

    def _print_Symbol(self, expr, style="plain"):
        if expr.name in self.names:
            return self.names[expr.name]
        base, _, tail = expr.name.rpartition("_")
        if base and tail in ("max", "min"):  # lambda_max as \lambda_{\max}, not \lambda_{max}
            return f"{self._print(sp.Symbol(base))}_{{\\{tail}}}"
        if base and tail in ("tilde", "hat", "bar"):  # w_tilde as \tilde{w}
            return f"\\{tail}{{{self._print(sp.Symbol(base))}}}"
        return super()._print_Symbol(expr, style)

    def _print_Notation(self, expr):
        return expr.latex

    def _print_MatrixSymbol(self, expr):
        return self.names.get(expr.name, self._print_Symbol(sp.Symbol(expr.name)))

    _print_ColumnVector = _print_MatrixSymbol

    def _print_MatrixElement(self, expr):
        parent = self.parenthesize(expr.parent, self._settings.get("precedence_values", {}).get("Atom", 1000),
                                   strict=True)
        index = self._print(expr.i) if expr.parent.shape[1] == 1 else f"{self._print(expr.i)} {self._print(expr.j)}"
        subscripted = re.fullmatch(r"(.+?)_\{([^{}]*)\}", parent) or re.fullmatch(r"(.+?)_(\w)", parent)
        if subscripted:   # entry i of w_1 is w_{1, i}, not the double subscript w_{1}_{i}
            return f"{subscripted.group(1)}_{{{subscripted.group(2)}, {index}}}"
        return f"{parent}_{{{index}}}"

    def _print_Transpose(self, expr):
        arg = expr.arg
        inner = self._print(arg)
        if not isinstance(arg, sp.MatrixSymbol):
            inner = rf"\left({inner}\right)"
        return rf"{inner}^\top"

    def _print_Diag(self, expr):
        return rf"\operatorname{{diag}}\left({self._print(expr.args[0])}\right)"

    def _print_SquaredNorm(self, expr):
        return rf"\left\|{self._print(expr.args[0])}\right\|^{{2}}"

    def _print_Softmax(self, expr):
        return rf"\operatorname{{softmax}}\left({self._print(expr.args[0])}\right)"

    def _print_sigma(self, expr, exp=None):
        body = rf"\sigma\left({self._print(expr.args[0])}\right)"
        return f"{body}^{{{exp}}}" if exp else body

    def _print_relu(self, expr, exp=None):
        body = rf"\operatorname{{relu}}\left({self._print(expr.args[0])}\right)"
        return f"{body}^{{{exp}}}" if exp else body

    def _print_Heaviside(self, expr, exp=None):
        body = rf"H\left({self._print(expr.args[0])}\right)"
        return f"{body}^{{{exp}}}" if exp else body

    def _print_KroneckerDelta(self, expr, exp=None):
        i, j = (self._print(a) for a in expr.args[:2])
        body = rf"\delta_{{{i} {j}}}"
        return f"{body}^{{{exp}}}" if exp else body


def interval(condition, names: dict[str, str] | None = None) -> str | None:
    r"""A chain ``low < x < high`` as the interval it describes, ``\left(low, high\right)``
    (a bracket where the end is included); None for any other expression.

    >>> import sympy as sp
    >>> e = sp.Symbol("e")
    >>> interval(sp.And(sp.StrictLessThan(0, e), sp.LessThan(e, 2)))
    '\\left(0, 2\\right]'
    """
    if not isinstance(condition, sp.And) or len(condition.args) != 2:
        return None
    relations = [r.reversed if isinstance(r, (sp.GreaterThan, sp.StrictGreaterThan)) else r
                 for r in condition.args]
    if not all(isinstance(r, (sp.LessThan, sp.StrictLessThan)) for r in relations):
        return None
    first, second = relations
    if first.rhs == second.lhs:
        low, high = first, second
    elif second.rhs == first.lhs:
        low, high = second, first
    else:
        return None
    printer = DeriveLatexPrinter(None, names)
    opening = "(" if isinstance(low, sp.StrictLessThan) else "["
    closing = ")" if isinstance(high, sp.StrictLessThan) else "]"
    return rf"\left{opening}{printer.doprint(low.lhs)}, {printer.doprint(high.rhs)}\right{closing}"


def latex(expr, names: dict[str, str] | None = None, **settings) -> str:
    """LaTeX of a SymPy object in derive's notation.

    >>> import sympy as sp
    >>> latex(sp.MatrixSymbol("s", 3, 1).T)
    's^\\\\top'
    """
    if isinstance(expr, str):
        return expr
    return DeriveLatexPrinter(settings, names).doprint(expr)


def definitions(expr, names: dict[str, str] | None = None, seen: set | None = None) -> str:
    r"""The definitions of the named quantities (:class:`~derive.maths.tensors.Named`) that
    ``expr`` uses and ``seen`` does not hold yet, as a clause for the line above it:
    "where $\gamma(f) = ...$ is the group of filter $f$"; "" when there are none. Printed
    from the definitions the proofs evaluate; ``seen`` (labels) is updated.

    >>> import sympy as sp
    >>> from derive.maths.tensors import Named
    >>> definitions(sp.IndexedBase("x")[Named("o_j", sp.Symbol("m") / 2, "the output")])
    'where $o_j = m / 2$ is the output'
    """
    seen = set() if seen is None else seen
    parts = []
    for node in sp.preorder_traversal(expr):
        if isinstance(node, Named) and node.label not in seen:
            seen.add(node.label)
            # "where a = 1 is the first, b = 2 the second": one "is" for the whole list
            meaning = f"{'' if parts else ' is'} {node.meaning}" if node.meaning else ""
            # inline, in prose: c g / C rather than a fraction shrunk to script size
            parts.append(f"${node.label} = {latex(node.definition, names, fold_short_frac=True)}${meaning}")
    if not parts:
        return ""
    return "where " + (parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1])


def explained(why: str, expr, names: dict[str, str] | None = None, seen: set | None = None) -> str:
    """A step's reason followed by the definitions of the names its formula is the first to use,
    so each named index (a group, a kernel tap) is defined in the line above its first use."""
    where = definitions(expr, names, seen)
    return f"{why}; {where}" if where else why


def names_of(variables) -> dict[str, str]:
    """The LaTeX spelling each variable declares for itself."""
    return {v.name: v.latex for v in variables if v.latex}
