"""What a part is: its variables, its forward definition, what the engine derives from
it, the textbook closed form, the derivation steps to show, and the NumPy oracle.

A problem module declares parts with these classes and nothing else; every formula is a
function of a :class:`Namespace`, so the same formula is evaluated at explicit sizes (for
proofs and numbers) and at a symbolic size (for the notation a sheet prints).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import sympy as sp

from .domains import REAL, Domain
from ..errors import InvalidArgument, ProblemDefinitionError
from .functions import ColumnVector

Formula = Callable[..., Any]
SAMPLE_TRIES = 20   # redraws of a point outside where the result is defined


class DerivedSize(str):
    """A dimension computed from other sizes (a convolution's output size), named like one.

    ``DerivedSize("H_out", lambda z: (z["H_in"] - z["K_h"]) // z["s"] + 1)``: shapes may use
    it like any size; at explicit sizes it is the rule's value (the rule may raise
    InvalidArgument for sizes that admit no such dimension), in general the symbol H_out.
    It is a ``str`` so listings and JSON show it as the name it is.
    """
    rule: Callable[[Mapping[str, int]], int]

    def __new__(cls, name: str, rule: Callable[[Mapping[str, int]], int]):
        obj = super().__new__(cls, name)
        obj.rule = rule
        return obj


def resolve_size(d, sizes: Mapping[str, Any]):
    """The value of a shape entry: a size's value, a derived size's rule, or the int itself."""
    if isinstance(d, DerivedSize):
        return sizes[d] if d in sizes else d.rule(sizes)
    return sizes[d] if isinstance(d, str) else d


@dataclass(frozen=True)
class Variable:
    """A named quantity of a part.

    ``shape`` is () for a scalar, ("C",) for a column vector of size C, ("N", "d") for a
    matrix. ``spellings`` are other ways a student may write it (``yhat``, ``\\hat{y}``).
    A variable with ``definition`` is a function of others (s = softmax(z)): proofs
    substitute ``definition`` (SymPy), samples compute ``numeric`` (NumPy) from the
    values already drawn.
    """
    name: str
    shape: tuple[str, ...] = ()
    domain: Domain = REAL
    spellings: tuple[str, ...] = ()
    latex: str | None = None
    definition: Formula | None = None
    numeric: Callable[[dict], np.ndarray] | None = None
    symmetric: bool = False
    # A tensor (any rank; also a vector or matrix written in index notation) is, at explicit
    # sizes, a SymPy Array of symbols X_{a,c,h,w} numbered from index_base, and in general an
    # IndexedBase printed X_{a,c,h,w}. Rank above 2 must be declared indexed.
    indexed: bool = False
    index_base: int = 1

    def __post_init__(self):
        if not self.name.replace("_", "").isalnum():
            raise ProblemDefinitionError(f"variable name {self.name!r} must be letters, digits and _")
        if self.index_base not in (0, 1):
            raise ProblemDefinitionError(f"variable {self.name!r}: index_base {self.index_base!r} must be 0 or 1")
        if len(self.shape) > 2 and not self.indexed:
            # A tensor is addressed and printed by indices (X_{a,c,h,w}), so it says so.
            raise ProblemDefinitionError(f"variable {self.name!r}: shape {self.shape} has more than 2 axes; "
                                         "declare it indexed=True to make it a tensor")
        if self.symmetric and self.is_tensor:
            raise ProblemDefinitionError(f"variable {self.name!r}: symmetric applies to matrices, not tensors")
        if (self.definition is None) != (self.numeric is None):
            raise ProblemDefinitionError(
                f"variable {self.name!r}: give both definition (SymPy) and numeric (NumPy), or neither")

    @property
    def is_tensor(self) -> bool:
        return self.indexed and bool(self.shape)

    @property
    def kind(self) -> str:
        return "tensor" if len(self.shape) > 2 else ("scalar", "vector", "matrix")[len(self.shape)]

    def symbolic(self, sizes: Mapping[str, Any], general: bool):
        assumptions = dict(self.domain.assumptions)
        if not self.shape:
            return sp.Symbol(self.name, **assumptions)
        dims = [resolve_size(d, sizes) for d in self.shape]
        if self.is_tensor:
            if general:
                return sp.IndexedBase(self.name, shape=tuple(dims), **assumptions)
            return self._explicit_tensor(dims, assumptions)
        if general:
            if len(dims) == 1:
                return ColumnVector(self.name, dims[0], 1)
            return sp.MatrixSymbol(self.name, *dims)
        if len(dims) == 1:
            return sp.Matrix([sp.Symbol(self._entry_name(i + 1), **assumptions) for i in range(dims[0])])
        rows, cols = dims

        def entry(i, j):
            a, b = (min(i, j), max(i, j)) if self.symmetric else (i, j)
            return sp.Symbol(f"{self.name}_{{{a + 1},{b + 1}}}", **assumptions)
        return sp.Matrix(rows, cols, entry)

    def _entry_name(self, index: int) -> str:
        """Entry ``index`` of a vector: x_1 for x, but x_{i,1} for x_i and c_{y_i,1} for c_y_i, so
        SymPy's printer does not flatten the two subscripts into one (x_{i1}, c_{yi1})."""
        stem, _, sub = self.name.partition("_")
        if not sub:
            return f"{self.name}_{index}"
        if sub in ("tilde", "hat", "bar"):   # SymPy prints wtilde_1 as \tilde{w}_{1}
            return f"{stem}{sub}_{index}"
        return f"{stem}_{{{sub},{index}}}"

    def _explicit_tensor(self, dims, assumptions) -> sp.Array:
        import itertools
        base = self.index_base
        cells = [sp.Symbol(f"{self.name}_{{{','.join(str(i + base) for i in idx)}}}", **assumptions)
                 for idx in itertools.product(*(range(n) for n in dims))]
        return sp.ImmutableDenseNDimArray(cells, tuple(dims))

    def numeric_shape(self, sizes: Mapping[str, int]) -> tuple[int, ...]:
        return tuple(int(resolve_size(d, sizes)) for d in self.shape)


def dimensions(variables: Sequence[Variable]) -> list[str]:
    seen: list[str] = []
    for var in variables:
        for d in var.shape:
            if isinstance(d, str) and not isinstance(d, DerivedSize) and d not in seen:
                seen.append(d)
    return seen


def derived_sizes(variables: Sequence[Variable]) -> list[DerivedSize]:
    seen: list[DerivedSize] = []
    for var in variables:
        seen += [d for d in var.shape if isinstance(d, DerivedSize) and d not in seen]
    return seen


class Namespace:
    """The variables of a part as SymPy objects, at explicit sizes or in general.

    ``v.z`` is the variable z; ``v.C`` the size C (an int, or a symbol in general);
    ``v.sum(f, "C")`` sums f(k) over an index of that size.
    """

    def __init__(self, variables: Sequence[Variable], sizes: Mapping[str, int] | None = None,
                 extra_dims: Sequence[str] = ()):
        self.general = sizes is None
        dims = dimensions(variables) + [d for d in extra_dims if d not in dimensions(variables)]
        if self.general:
            self.sizes = {d: sp.Symbol(d, integer=True, positive=True) for d in dims}
        else:
            missing = [d for d in dims if d not in sizes]
            if missing:
                raise InvalidArgument(f"sizes {dict(sizes)} lack {missing}; this part needs {dims}")
            self.sizes = {d: int(sizes[d]) for d in dims}
        for d in derived_sizes(variables):
            if self.general:
                self.sizes[str(d)] = sp.Symbol(str(d), integer=True, positive=True)
                continue
            try:
                self.sizes[str(d)] = int(d.rule(self.sizes))
            except KeyError as missing:
                raise InvalidArgument(f"derived size {str(d)!r} needs the size {missing}, which sizes "
                                      f"{dict(self.sizes)} lack") from None
        self.variables = {v.name: v for v in variables}
        self.objects = {v.name: v.symbolic(self.sizes, self.general) for v in variables}

    def __getattr__(self, name):
        if name in ("objects", "sizes"):
            raise AttributeError(name)
        if name in self.objects:
            return self.objects[name]
        if name in self.sizes:
            return self.sizes[name]
        raise AttributeError(f"no variable or size {name!r}; this part has "
                             f"{sorted(self.objects) + sorted(self.sizes)}")

    def sum(self, f: Callable[[Any], Any], dim: str, index: str = "k"):
        n = self.sizes[dim]
        if self.general:
            k = sp.Symbol(index, integer=True)
            return sp.Sum(f(k), (k, 1, n))
        return sum((f(k) for k in range(n)), sp.S.Zero)

    def definitions(self) -> dict:
        """Substitution of every defined variable by its definition (explicit sizes only)."""
        subs = {}
        for name, var in self.variables.items():
            if var.definition is None:
                continue
            value = var.definition(self)
            obj = self.objects[name]
            if isinstance(obj, (sp.MatrixBase, sp.NDimArray)):
                subs.update(dict(zip(_cells(obj), _cells(value))))
            else:
                subs[obj] = value
        return subs

    def constraints(self) -> dict:
        subs = {}
        for name, var in self.variables.items():
            if var.definition is None and var.shape:
                subs.update(var.domain.constraint(self.objects[name]))
        return subs

    def symbols(self) -> list[sp.Symbol]:
        """Every scalar symbol of the explicit namespace, in declaration order."""
        out: list[sp.Symbol] = []
        for obj in self.objects.values():
            for s in _cells(obj):
                if s not in out:
                    out.append(s)
        return out


def _cells(obj) -> list:
    """The scalar entries of a matrix or an array (row-major, like NumPy's reshape(-1))."""
    if isinstance(obj, sp.NDimArray):
        return list(obj) if obj.rank() == 1 else list(sp.flatten(obj.tolist()))
    return list(obj) if isinstance(obj, sp.MatrixBase) else [obj]


@dataclass(frozen=True)
class Step:
    """One displayed line of a derivation: ``lhs = rhs``, with the reason it holds.

    ``rhs`` is a formula of the namespace and of the free indices named in ``indices``
    (e.g. "ij" for a Jacobian entry). The engine checks that it equals the derived
    result (entry by entry) at every proof size, or equals ``target`` if given.
    """
    lhs: str
    rhs: Formula
    why: str
    indices: str = ""
    target: Formula | None = None


@dataclass(frozen=True)
class Oracle:
    """An independent NumPy computation of the derived quantity from sampled values."""
    reference: Callable[[dict], Any]
    method: str
    rtol: float
    tolerance_reason: str
    cases: int = 60


@dataclass(frozen=True)
class Figure:
    """A plot for the sheet: ``draw(ax)`` draws on a Matplotlib axes."""
    name: str
    caption: str
    draw: Callable[[Any], None]


@dataclass(frozen=True)
class Demonstration:
    """Numbers computed at build time and shown on the sheet (e.g. an overflow)."""
    caption: str
    compute: Callable[[], list[tuple[str, str]]]


@dataclass(frozen=True)
class Slip:
    """A typical wrong answer to an answer part, as a student would type it, and the slip in
    words ("the stride forgotten"). The checker names the slip when an answer equals it, and
    the sheet shows it refuted with the counterexample ``derive check`` gives."""
    answer: str
    why: str


@dataclass(frozen=True)
class Sheet:
    """What the sheet shows of a part beyond its derivation: the statement, figures and
    build-time demonstrations, and the size at which "What SymPy computes" is shown."""
    statement: str
    figures: tuple[Figure, ...] = ()
    demonstrations: tuple[Demonstration, ...] = ()
    # The size at which the sheet shows "What SymPy computes" (default: the smallest proof size),
    # chosen where the derivation says something (C = 3, t = 3); show_instance=False shows none.
    instance_sizes: Mapping[str, int] | None = None
    show_instance: bool = True


@dataclass(frozen=True)
class Derivation:
    """What the engine derives and verifies: the variables and their proof sizes, the forward
    definition (``derive``), the stated closed form (``result``, printed as ``result_lhs``), the
    displayed steps, further boxed quantities (``also``), the NumPy oracle and further checks."""
    derive: Formula
    result: Formula
    result_lhs: str
    variables: tuple[Variable, ...] = ()
    sizes: Mapping[str, Sequence[int]] = field(default_factory=dict)
    numeric_sizes: Mapping[str, Sequence[int]] | None = None
    steps: tuple[Step, ...] = ()
    oracle: Oracle | None = None
    result_indices: str = ""
    # Further quantities the statement asks for, each boxed beneath the result and proved like
    # a step: rhs against its target (a derivation) at every proof size.
    also: tuple[Step, ...] = ()
    # Further verifications, each with run(part, seed=, cases=) -> Claim: an induction on a
    # symbolic step count, a simulation (derive.maths.recurrences.Induction, derive.verify.simulation).
    checks: tuple = ()
    # Where the result is defined (point -> bool), when that is narrower than the variables'
    # domains (sqrt(x - 3) needs x >= 3): a sampled point outside is drawn again, up to
    # SAMPLE_TRIES times, so that comparisons happen where the result means something.
    defined: Callable[[dict], bool] | None = None

    def __post_init__(self):
        missing = [d for d in dimensions(self.variables) if d not in self.sizes]
        if missing:
            raise ProblemDefinitionError(f"no proof sizes for dimensions {missing}")


@dataclass(frozen=True)
class Grading:
    """How `derive check` grades answers to the part: what it expects, in words with LaTeX
    ("the squared-error limit"), the slips it names, the parts whose answers it recognises when
    given here, and the sizes at which it judges (default: the proof sizes; a tensor part pins
    here the case its answer is stated for, e.g. no padding, strides above 1)."""
    expects: str = ""
    slips: tuple[Slip, ...] = ()
    neighbours: tuple[str, ...] = ()
    answer_sizes: Mapping[str, Sequence[int]] | None = None


def _through(concern: str, name: str) -> property:
    """``part.<name>`` reads ``part.<concern>.<name>`` (a part without a Grading reads the
    Grading defaults: no slips, no neighbours)."""
    def read(part):
        held = getattr(part, concern)
        return getattr(_NO_GRADING if held is None else held, name)
    read.__doc__ = f"``{concern}.{name}``"
    return property(read)


_NO_GRADING = Grading()


@dataclass(frozen=True)
class Part:
    """One catalogue part: what is shown (:class:`Sheet`), what is derived and verified
    (:class:`Derivation`) and, for a part that takes answers, how they are graded
    (:class:`Grading`). See problems/softmax.py for examples.

    The fields the engine reads read through the part (``part.result``, ``part.statement``,
    ``part.slips``); ``part.answer`` says whether it takes answers. One of them changes by
    replacing its concern: ``replace(part, derivation=replace(part.derivation, result=g))``.
    """
    id: str
    title: str
    # None only to refuse a missing concern with a reason rather than a TypeError.
    sheet: Sheet | None = None
    derivation: Derivation | None = None
    grading: Grading | None = None
    # What the part varies (derive.model.parameters.Parameters): set by ``parametrised``, so
    # the part is its parameters' build at the defaults and a seed draws a variant of it.
    parameters: Any = field(default=None, compare=False, repr=False)

    def __post_init__(self):
        family, _, name = self.id.partition(".")
        if not family or not name:
            raise ProblemDefinitionError(f"part id {self.id!r} must look like 'family.part'")
        for concern, kind in (("sheet", Sheet), ("derivation", Derivation), ("grading", Grading)):
            held = getattr(self, concern)
            if held is None and concern != "grading":
                raise ProblemDefinitionError(f"{self.id}: a part needs a Sheet and a Derivation")
            if held is not None and not isinstance(held, kind):
                raise ProblemDefinitionError(f"{self.id}: {concern} must be a {kind.__name__}, not {held!r}")

    statement = _through("sheet", "statement")
    figures = _through("sheet", "figures")
    demonstrations = _through("sheet", "demonstrations")
    instance_sizes = _through("sheet", "instance_sizes")
    show_instance = _through("sheet", "show_instance")
    derive = _through("derivation", "derive")
    result = _through("derivation", "result")
    result_lhs = _through("derivation", "result_lhs")
    variables = _through("derivation", "variables")
    sizes = _through("derivation", "sizes")
    steps = _through("derivation", "steps")
    oracle = _through("derivation", "oracle")
    also = _through("derivation", "also")
    checks = _through("derivation", "checks")
    expects = _through("grading", "expects")
    slips = _through("grading", "slips")
    neighbours = _through("grading", "neighbours")
    answer_sizes = _through("grading", "answer_sizes")

    @property
    def answer(self) -> bool:
        """Whether the part takes answers."""
        return self.grading is not None

    @property
    def family(self) -> str:
        return self.id.split(".")[0]

    # Notebook display. Like SymPy's printing, the model reaches the pipeline and rendering
    # only through these late imports, so neither is a dependency of the model.
    def _repr_html_(self) -> str:   # the pipeline's record, made once however often it is shown
        from ..pipeline import finish
        from ..render.notebook import record_html
        return record_html(finish(self))

    def _repr_latex_(self) -> str:
        from ..render.notebook import part_latex
        return part_latex(self)

    @cached_property
    def general(self) -> Namespace:
        return Namespace(self.variables, extra_dims=tuple(self.sizes))

    def namespace(self, sizes: Mapping[str, int]) -> Namespace:
        # Sizes no variable uses (a step count t) are still available to formulas as v.t.
        return Namespace(self.variables, sizes, extra_dims=tuple(self.sizes))

    def proof_sizes(self) -> list[dict[str, int]]:
        """Every proof size: the dimensions move together through their ranges."""
        if not self.sizes:
            return [{}]
        names = list(self.sizes)
        lists = [list(self.sizes[n]) for n in names]
        longest = max(len(l) for l in lists)
        return [{n: l[min(k, len(l) - 1)] for n, l in zip(names, lists)} for k in range(longest)]

    def numeric_size_choices(self) -> dict[str, list[int]]:
        chosen = self.derivation.numeric_sizes or {d: list(r) + [max(r) + 3, max(r) + 10] for d, r in self.sizes.items()}
        return {d: list(r) for d, r in chosen.items()}

    def sample(self, rng: np.random.Generator, sizes: Mapping[str, int]) -> dict[str, Any]:
        """Random values for every variable, consistent with definitions and domains, and
        where the result is defined (Derivation.defined) if a point there was found."""
        point = self._draw(rng, sizes)
        defined = self.derivation.defined
        for _ in range(SAMPLE_TRIES if defined is not None else 0):
            if defined(point):
                break
            point = self._draw(rng, sizes)
        return point

    def draw(self, rng: np.random.Generator, sizes: Mapping[str, int]) -> dict[str, Any]:
        """Random values for every variable in its domain, wherever the result is defined
        or not (``sample`` keeps to where it is)."""
        return self._draw(rng, sizes)

    def _draw(self, rng: np.random.Generator, sizes: Mapping[str, int]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for var in self.variables:
            if var.numeric is not None:
                values[var.name] = np.asarray(var.numeric(values), dtype=float)
                continue
            shape = var.numeric_shape(sizes)
            x = var.domain.sample(rng, shape if shape else (1,))
            if var.symmetric:
                x = (x + x.T) / 2
            values[var.name] = x if shape else float(x.reshape(-1)[0])
        # A size no variable has (a step count t) is part of the case, so oracles can use it.
        used = set(dimensions(self.variables)) | set(values)
        values.update({d: n for d, n in sizes.items() if d not in used})
        return values
