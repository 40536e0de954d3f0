"""Expectations of polynomials in independent random variables.

``expectation(expr, randoms)`` expands ``expr`` as a polynomial in the random
symbols and replaces every monomial by the product of the moments of its
factors. Distinct symbols are independent, so a monomial's expectation factors;
each factor needs only a moment of one distribution (``E[D^k] = p`` for a 0/1
mask, the Gaussian moments for ``Normal``). The cost is the number of monomials,
not the number of outcomes, which is why this is fast where a joint-distribution
engine such as ``sympy.stats`` enumerates ``2^(N d)`` masks.

>>> import sympy as sp
>>> p, x = sp.symbols("p x")
>>> D = sp.Symbol("D")
>>> expectation((x - D * x) ** 2, {D: Bernoulli(p)})
-p*x**2 + x**2

The derivation helpers make the visible steps generic:
``random_matrix`` builds an explicit matrix of independent entries,
``index_cases`` splits an expectation over entries with symbolic indices into the
cases where indices coincide or differ (``E[D_ij D_ik]`` is ``p`` if ``j = k``
and ``p^2`` otherwise), and ``kronecker_form``/``piecewise_form`` fold the cases
back into one expression.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Union

import sympy as sp
from sympy.utilities.iterables import multiset_partitions

from derive.errors import InvalidArgument

__all__ = [
    "Bernoulli",
    "Case",
    "cases_latex",
    "Distribution",
    "Normal",
    "expectation",
    "index_cases",
    "kronecker_form",
    "piecewise_form",
    "random_matrix",
    "variance",
]


def _parameter(owner: str, name: str, value: object) -> sp.Expr:
    """Convert a distribution parameter without ever parsing text."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Fraction, sp.Expr)):
        raise InvalidArgument(
            f"{owner}({name}={value!r}): {name} must be a number or a SymPy "
            f"expression, not {type(value).__name__}"
        )
    if isinstance(value, Fraction):
        value = sp.Rational(value.numerator, value.denominator)
    elif isinstance(value, int):
        value = sp.Integer(value)
    elif isinstance(value, float):
        value = sp.Float(value)
    if value.is_finite is False or value.has(sp.nan):
        raise InvalidArgument(f"{owner}({name}={value}): {name} must be finite")
    if value.is_extended_real is False:
        raise InvalidArgument(f"{owner}({name}={value}): {name} must be real")
    return value


def _refuted(relation: Callable[[], object]) -> bool:
    """True when a bound is known to fail; symbolic parameters pass unless their
    assumptions contradict it (the part that declares them states the domain)."""
    try:
        return relation() is sp.false
    except TypeError:  # SymPy refuses to order non-real values
        return True


@dataclass(frozen=True)
class Distribution:
    """A distribution given by its moments. Subclasses declare their parameters
    as dataclass fields, validate them in ``check`` and define ``_moment``."""

    def __post_init__(self) -> None:
        owner = type(self).__name__
        for f in dataclasses.fields(self):
            object.__setattr__(self, f.name, _parameter(owner, f.name, getattr(self, f.name)))
        self.check()

    @property
    def params(self) -> tuple[sp.Expr, ...]:
        return tuple(getattr(self, f.name) for f in dataclasses.fields(self))

    @property
    def free_symbols(self) -> set[sp.Basic]:
        return set().union(*(a.free_symbols for a in self.params))

    def check(self) -> None:
        """Raise InvalidArgument if the parameters are outside their domain."""

    def moment(self, k: int) -> sp.Expr:
        """The raw moment ``E[X^k]`` for an integer ``k >= 0``."""
        if isinstance(k, bool) or not isinstance(k, (int, sp.Integer)) or k < 0:
            raise InvalidArgument(
                f"{self}.moment(k={k!r}): k must be an integer >= 0"
            )
        return sp.Integer(1) if k == 0 else self._moment(int(k))

    def _moment(self, k: int) -> sp.Expr:
        raise NotImplementedError



@dataclass(frozen=True)
class Bernoulli(Distribution):
    """A 0/1 variable equal to 1 with probability ``p``.

    ``D^k = D`` for ``k >= 1``, so every moment of order >= 1 is ``p``.

    >>> Bernoulli(sp.Rational(1, 3)).moment(5)
    1/3
    """

    p: sp.Expr

    def check(self) -> None:
        if _refuted(lambda: sp.Le(0, self.p)) or _refuted(lambda: sp.Le(self.p, 1)):
            raise InvalidArgument(
                f"Bernoulli(p={self.p}): p is a probability and must satisfy 0 <= p <= 1"
            )

    def _moment(self, k: int) -> sp.Expr:
        return self.p


@dataclass(frozen=True)
class Normal(Distribution):
    """A Gaussian with the given mean and **variance** (not standard deviation).

    ``E[X^k] = sum_j C(k, 2j) mean^(k-2j) variance^j (2j-1)!!``, exact for any mean.

    >>> m, v = sp.symbols("m v")
    >>> Normal(m, v).moment(3)
    m**3 + 3*m*v
    """

    mean: sp.Expr
    variance: sp.Expr

    def check(self) -> None:
        if _refuted(lambda: sp.Ge(self.variance, 0)):
            raise InvalidArgument(
                f"Normal(mean={self.mean}, variance={self.variance}): "
                "the variance must be >= 0 (pass the variance, not the standard deviation)"
            )

    def _moment(self, k: int) -> sp.Expr:
        m, v = self.mean, self.variance
        return sp.Add(*(
            math.comb(k, 2 * j) * m ** (k - 2 * j) * v ** j * sp.factorial2(2 * j - 1)
            for j in range(k // 2 + 1)
        ))


Randoms = Mapping[sp.Basic, Distribution]
DistributionOf = Union[Distribution, Callable[..., Distribution]]


def _check_randoms(randoms: Randoms) -> dict[sp.Basic, Distribution]:
    if not isinstance(randoms, Mapping):
        raise InvalidArgument(
            f"randoms={randoms!r}: expected a mapping from SymPy symbols to distributions"
        )
    table = dict(randoms)
    for sym, dist in table.items():
        if not isinstance(sym, (sp.Symbol, sp.Indexed)):
            raise InvalidArgument(
                f"randoms key {sym!r}: a random variable must be a SymPy Symbol or "
                f"Indexed entry, not {type(sym).__name__}"
            )
        if not isinstance(dist, Distribution):
            raise InvalidArgument(
                f"randoms[{sym}] = {dist!r}: expected a Distribution such as "
                "Bernoulli(p) or Normal(mean, variance)"
            )
    randoms_set = set(table)
    for sym, dist in table.items():
        clash = {a for a in randoms_set if any(param.has(a) for param in dist.params)}
        if clash:
            names = ", ".join(sorted(map(str, clash)))
            raise InvalidArgument(
                f"randoms[{sym}] = {dist}: its parameters involve the random variable(s) "
                f"{names}; parameters must be non-random"
            )
    return table


def _non_polynomial_part(expr: sp.Expr, gens: list[sp.Basic]) -> sp.Expr | None:
    """The smallest subexpression that keeps ``expr`` from being a polynomial in gens."""
    for node in sp.postorder_traversal(expr):
        if not isinstance(node, sp.Basic) or node in gens or not any(node.has(g) for g in gens):
            continue
        if isinstance(node, sp.Pow):
            exp = node.exp
            if not (exp.is_Integer and exp >= 0) or exp.has(*gens):
                return node
        elif not isinstance(node, (sp.Add, sp.Mul)):
            return node
    return None


def _as_expr(expr: object) -> sp.Expr:
    if isinstance(expr, sp.Expr):
        return expr
    if isinstance(expr, (int, Fraction)) and not isinstance(expr, bool):
        return sp.Rational(expr)
    raise InvalidArgument(
        f"expectation of {expr!r}: expected a SymPy expression or matrix, "
        f"not {type(expr).__name__}"
    )


def expectation(expr: sp.Expr | sp.MatrixBase, randoms: Randoms) -> sp.Expr | sp.MatrixBase:
    """``E[expr]`` over independent random symbols, for ``expr`` polynomial in them.

    A matrix is taken entry by entry. Symbols not in ``randoms`` are constants.
    The result is a sum over the monomials of ``expr``; call ``sp.factor`` or
    compare with ``sp.expand(a - b) == 0`` as needed.

    >>> z = sp.Symbol("z")
    >>> expectation(z**4, {z: Normal(0, 2)})
    12
    """
    table = _check_randoms(randoms)
    if isinstance(expr, sp.MatrixBase):
        return expr.applyfunc(lambda entry: _expectation(_as_expr(entry), table))
    return _expectation(_as_expr(expr), table)


def _expectation(expr: sp.Expr, table: dict[sp.Basic, Distribution]) -> sp.Expr:
    present = expr.free_symbols & table.keys()
    if not present:
        return expr
    gens = [g for g in table if g in present]
    bad = _non_polynomial_part(expr, gens)
    if bad is not None:
        raise InvalidArgument(
            f"expectation: {bad} is not polynomial in the random variables "
            f"{', '.join(map(str, gens))}; only sums of products of non-negative "
            "integer powers of random variables can be expanded into moments"
        )
    # Full expansion then a split of each monomial is several times faster than
    # sp.Poly here: Poly builds a coefficient ring over every non-random symbol.
    moments: dict[tuple[sp.Basic, int], sp.Expr] = {}
    terms = []
    for term in sp.Add.make_args(sp.expand(expr)):
        factors = []
        for factor in sp.Mul.make_args(term):
            base, k = factor.as_base_exp()
            if base in present:
                if (base, k) not in moments:
                    moments[base, k] = table[base].moment(int(k))
                factors.append(moments[base, k])
            else:
                factors.append(factor)
        terms.append(sp.Mul(*factors))
    return sp.Add(*terms)


def variance(expr: sp.Expr, randoms: Randoms) -> sp.Expr:
    """``Var[expr] = E[expr^2] - E[expr]^2``, expanded."""
    return sp.expand(expectation(expr**2, randoms) - expectation(expr, randoms) ** 2)


def random_matrix(
    name: str, shape: tuple[int, ...], dist: DistributionOf
) -> tuple[sp.Matrix, dict[sp.Symbol, Distribution]]:
    """An explicit matrix (or column vector for a 1-tuple shape) of independent
    random symbols ``name_{i,j}`` (1-based), with their distributions.

    ``dist`` is one distribution for iid entries or a function of the 1-based
    indices giving each entry's distribution (e.g. ``lambda i: Bernoulli(p[i])``).

    >>> D, law = random_matrix("D", (2, 2), Bernoulli(sp.Symbol("p")))
    >>> D[0, 1], law[D[0, 1]]
    (D_{1,2}, Bernoulli(p=p))
    """
    if (not isinstance(shape, tuple) or len(shape) not in (1, 2)
            or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in shape)):
        raise InvalidArgument(
            f"random_matrix({name!r}, shape={shape!r}): shape must be (rows,) or "
            "(rows, cols) with positive integer sizes"
        )
    rows, cols = shape if len(shape) == 2 else (shape[0], 1)
    law: dict[sp.Symbol, Distribution] = {}

    def entry(i: int, j: int) -> sp.Symbol:
        index = (i + 1,) if len(shape) == 1 else (i + 1, j + 1)
        sym = sp.Symbol(f"{name}_{{{','.join(map(str, index))}}}", real=True)
        law[sym] = dist if isinstance(dist, Distribution) else dist(*index)
        return sym

    matrix = sp.Matrix(rows, cols, entry)
    _check_randoms(law)
    return matrix, law


@dataclass(frozen=True)
class Case:
    """One pattern of coinciding random entries: under ``condition`` (a SymPy
    boolean in the index symbols) the expectation equals ``value``."""

    condition: sp.Basic
    value: sp.Expr


class _Classes:
    """Union-find over index expressions; a class may hold at most one number."""

    def __init__(self) -> None:
        self.parent: dict[sp.Basic, sp.Basic] = {}

    def find(self, a: sp.Basic) -> sp.Basic:
        self.parent.setdefault(a, a)
        while self.parent[a] != a:
            a = self.parent[a]
        return a

    def union(self, a: sp.Basic, b: sp.Basic) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        if ra.is_number and rb.is_number:
            return False  # two different constants cannot be equal
        if rb.is_number or (not ra.is_number and sp.default_sort_key(rb) < sp.default_sort_key(ra)):
            ra, rb = rb, ra
        self.parent[rb] = ra
        return True


def index_cases(expr: sp.Expr, family: sp.IndexedBase, dist: DistributionOf) -> tuple[Case, ...]:
    """Split ``E[expr]`` by which entries of a random family coincide.

    ``expr`` is a product of entries of ``family`` (independent, distributed as
    ``dist`` or ``dist(*indices)``) with symbolic indices, times non-random
    factors. Each set partition of the distinct entries is one case: entries in
    a block are the same variable (their indices are equal), entries in
    different blocks are independent. Impossible patterns are dropped.

    >>> j, k = sp.symbols("j k", integer=True)
    >>> D, p = sp.IndexedBase("D"), sp.Symbol("p")
    >>> [(c.condition, c.value) for c in index_cases(D[j] * D[k], D, Bernoulli(p))]
    [(Eq(j, k), p), (Ne(j, k), p**2)]
    """
    if not isinstance(family, sp.IndexedBase):
        raise InvalidArgument(f"index_cases: family={family!r} must be a SymPy IndexedBase")
    expr = _as_expr(expr)
    entries: list[sp.Indexed] = []
    for node in sp.preorder_traversal(expr):
        if isinstance(node, sp.Indexed) and node.base == family and node not in entries:
            entries.append(node)
    if not entries:
        return (Case(sp.true, expr),)
    if len({len(e.indices) for e in entries}) != 1:
        raise InvalidArgument(
            f"index_cases: entries {', '.join(map(str, entries))} of {family} "
            "have different numbers of indices"
        )
    cases = []
    for partition in multiset_partitions(list(range(len(entries)))):
        case = _one_case(expr, entries, partition, dist)
        if case is not None:
            cases.append(case)
    return tuple(cases)


def _ordered(a: sp.Basic, b: sp.Basic) -> tuple[sp.Basic, sp.Basic]:
    """Print ``j = k`` and ``k = 1`` rather than ``k = j`` and ``1 = k``."""
    key = lambda x: (bool(x.is_number), sp.default_sort_key(x))
    return (a, b) if key(a) <= key(b) else (b, a)


def _one_case(expr, entries, partition, dist) -> Case | None:
    classes = _Classes()
    for block in partition:
        first = entries[block[0]]
        for other in block[1:]:
            for a, b in zip(first.indices, entries[other].indices):
                if not classes.union(a, b):
                    return None
    index_atoms = {a for e in entries for a in e.indices}
    merge = {a: classes.find(a) for a in index_atoms if classes.find(a) != a}
    merged = [e.xreplace(merge) for e in entries]
    equalities = [sp.Eq(*_ordered(r, a)) for a, r in merge.items()]
    reps = [merged[block[0]] for block in partition]
    distinct = []
    for x in range(len(reps)):
        for y in range(x + 1, len(reps)):
            pairs = [(a, b) for a, b in zip(reps[x].indices, reps[y].indices) if a != b]
            if not pairs:
                return None  # forced equal, but this partition says different
            if any((a - b).is_nonzero for a, b in pairs):
                continue  # always different: no condition needed
            distinct.append(sp.Or(*(sp.Ne(*_ordered(a, b)) for a, b in pairs)))
    fresh = [sp.Dummy(f"v{n}") for n in range(len(partition))]
    law = {}
    for block, v in zip(partition, fresh):
        rep = merged[block[0]]
        law[v] = dist if isinstance(dist, Distribution) else dist(*rep.indices)
    renamed = expr.xreplace(merge).xreplace(
        {merged[i]: v for block, v in zip(partition, fresh) for i in block}
    )
    value = sp.factor(expectation(renamed, law))
    return Case(sp.And(*equalities, *distinct), value)


def piecewise_form(cases: tuple[Case, ...]) -> sp.Expr:
    """Fold cases into one ``Piecewise``; the last case becomes the otherwise branch."""
    if not cases:
        raise InvalidArgument("piecewise_form: no cases given")
    if len(cases) == 1:
        return cases[0].value
    pieces = [(c.value, c.condition) for c in cases[:-1]]
    # unevaluated: SymPy would otherwise conjoin each condition with the negations
    # of the earlier ones, which is implied by the order and unreadable
    return sp.Piecewise(*pieces, (cases[-1].value, True), evaluate=False)


def kronecker_form(cases: tuple[Case, ...]) -> sp.Expr:
    """Fold an equal/different pair of cases into ``v_diff + (v_eq - v_diff) * delta``.

    ``v_eq`` is written with the merged indices, which the Kronecker deltas make
    exact. For ``E[D_ij D_ik]`` under Bernoulli(p) this gives
    ``p^2 + p (1 - p) delta_jk``.
    """
    if len(cases) == 1:
        return cases[0].value
    equal, differ = cases if len(cases) == 2 else (None, None)
    if equal is None or not all(isinstance(c, sp.Eq) for c in sp.And.make_args(equal.condition)):
        raise InvalidArgument(
            f"kronecker_form: needs exactly two cases (indices equal, indices differ), "
            f"got {len(cases)}; use piecewise_form for more"
        )
    equations = sp.And.make_args(equal.condition)
    delta = sp.Mul(*(sp.KroneckerDelta(c.lhs, c.rhs) for c in equations))
    # the delta forces the indices equal, so the jump may use the merged indices
    merged = {c.rhs: c.lhs for c in equations}
    return differ.value + _leading_plus(sp.factor(equal.value - differ.value.xreplace(merged))) * delta


def _leading_plus(expr: sp.Expr) -> sp.Expr:
    """-p (p - 1) -> p (1 - p): absorb a negative sign into a sum factor, as written by hand."""
    coeff, rest = expr.as_coeff_Mul()
    if coeff >= 0:
        return expr
    factors = list(sp.Mul.make_args(rest))
    for n, f in enumerate(factors):
        if f.is_Add:
            factors[n] = sp.expand(-f)
            return -coeff * sp.Mul(*factors)
    return expr


def cases_latex(lhs: str, cases: tuple[Case, ...]) -> str:
    r"""The cases as a sentence for a sheet: ``$lhs = v_1$ if $c_1$, $v_2$ if $c_2$``.

    >>> j, k = sp.symbols("j k", integer=True)
    >>> D = sp.IndexedBase("D")
    >>> cases_latex("E[D_j D_k]", index_cases(D[j] * D[k], D, Bernoulli(sp.Symbol("p"))))
    '$E[D_j D_k] = p$ if $j = k$, $p^{2}$ if $j \\neq k$'
    """
    def condition(c: Case) -> str:
        return "always" if c.condition is sp.true else f"if ${sp.latex(c.condition)}$"

    first, *rest = cases
    parts = [f"${lhs} = {sp.latex(first.value)}$ {condition(first)}"]
    parts += [f"${sp.latex(c.value)}$ {condition(c)}" for c in rest]
    return ", ".join(parts)
