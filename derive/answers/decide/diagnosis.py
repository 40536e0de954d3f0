"""Diagnosing a wrong answer: the likely slip (a sign, a factor, a missing or extra term, a
transpose, a dropped constraint, a neighbouring part's answer), if one explanation fits at
every sampled point."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import sympy as sp

from ...model.part import Part
from ...verify.numeric import compile_numpy
from ..read.answer import Answer
from .equivalence import Target, _symbol_columns, scaled_errors
from ..read.nodes import Bin, Neg, Node, Num, Transpose, walk
from .presentation import _latex
from ...errors import DeriveError
from ...model import registry
from .equivalence import declared_slips, target
from ..read.latex import AnswerTreePrinter
from ...model.verdict import Diagnosis
from ..read.nodes import is_scalar, show_shape

# The kinds every judge names (plain, set and index answers alike), worded in one place.
def declared_slip(slip) -> Diagnosis:
    """One of the part's declared slips (Part.slips), named in the part's own words."""
    return Diagnosis("slip", slip.why)


def opposite_sign() -> Diagnosis:
    return Diagnosis("sign", "the answer has the opposite sign")


def scaled(factor: str) -> Diagnosis:
    """The answer is ``factor`` (as written: 3, 1/2) times the expected one."""
    return Diagnosis("factor", f"the answer is {factor} times the expected one")


def missing_term(term_latex: str) -> Diagnosis:
    return Diagnosis("missing term", f"the term ${term_latex}$ is missing")


def exact_ratio(pairs) -> Diagnosis | None:
    """For exactly computed (answer, expected) value pairs (None where the answer is
    undefined): the opposite sign or a constant factor when one ratio holds at every pair
    (a zero expected value needs a zero answer), else None."""
    ratios = set()
    for a, e in pairs:
        if e == 0:
            if a != 0:
                return None
            continue
        if a is None:
            return None
        ratios.add(Fraction(a) / Fraction(e))
        if len(ratios) > 1:
            return None
    if len(ratios) != 1:
        return None
    r = ratios.pop()
    if r == 1:
        return None
    return opposite_sign() if r == -1 else scaled(str(r))


def _close(a: np.ndarray, t: np.ndarray) -> bool:
    err = scaled_errors(a, t)
    err = err[~np.isnan(err)]
    return bool(err.size) and bool(np.all(err <= 1e-6))


def _terms(node: Node, sign: int = 1) -> list[tuple[int, Node]]:
    """Top-level additive terms of the answer with their signs."""
    if isinstance(node, Bin) and node.op in "+-":
        return _terms(node.a, sign) + _terms(node.b, sign if node.op == "+" else -sign)
    if isinstance(node, Neg):
        return _terms(node.x, -sign)
    return [(sign, node)]


def _nice(c: float) -> str:
    f = Fraction(c).limit_denominator(12)
    if abs(float(f) - c) <= 1e-6 * max(1.0, abs(c)):
        return str(f)
    return f"{c:.4g}"


def diagnose(answer: Answer, part: Part, tgt: Target, batches, result, confirmed=None) -> Diagnosis | None:
    """Name the likely slip, if one simple explanation fits at every sampled point;
    ``confirmed`` is the difference confirmed in high precision (relative to the values'
    scale), which a difference too small for floats is described by."""
    with np.errstate(all="ignore"):
        return _diagnose(answer, part, tgt, batches, result, confirmed)


def _diagnose(answer: Answer, part: Part, tgt: Target, batches, result, confirmed=None) -> Diagnosis | None:
    A = [np.broadcast_to(v, b.expected.shape[:1] + v.shape[1:]) for v, b in zip(result.answer_values, batches)]
    T = [b.expected for b in batches]

    def fits(candidates) -> bool:
        return all(_close(a, t) for a, t in zip(candidates, T))

    slip = _declared_slip(answer, part, batches, A)
    if slip:
        return slip
    if not result.shape_ok:
        if all(a.shape[1:] == t.shape[1:][::-1] for a, t in zip(A, T)) and fits(
                [np.swapaxes(a, 1, 2) for a in A]):
            return Diagnosis("transpose", "the answer is the transpose of the expected one")
        inner = _inner_product(answer)
        if inner is not None and all(t.shape[1] == t.shape[2] > 1 for t in T):
            return inner
        return Diagnosis("shape", f"the answer is {show_shape(answer.shape)}, not the shape of the "
                                  "expected answer")
    if fits([-a for a in A]):
        return opposite_sign()
    if all(t.shape[1] == t.shape[2] for t in T) and not all(is_scalar(t.shape[1:]) for t in T) \
            and fits([np.swapaxes(a, 1, 2) for a in A]):
        return Diagnosis("transpose", "the answer is the transpose of the expected one")
    neighbour = _neighbour(answer, part, batches, A)
    if neighbour:
        return Diagnosis("neighbour", f"this is the answer to {neighbour}")
    num = sum(float(np.nansum(a * t)) for a, t in zip(A, T))
    den = sum(float(np.nansum(t * t)) for t in T)
    if den > 0 and np.isfinite(num):
        c = num / den
        if abs(c) > 1e-9 and abs(c - 1) > 1e-6 and fits([a / c for a in A]):
            return scaled(_nice(c))
    for name in _scalar_names(part, batches):
        vals = [b.arrays[name] if name in b.arrays else np.full((1, 1, 1), float(b.sizes[name]))
                for b in batches]
        if fits([a / v for a, v in zip(A, vals)]):
            return Diagnosis("extra factor", f"an extra factor {answer.spelled.get(name, name)}")
        if fits([a * v for a, v in zip(A, vals)]):
            return Diagnosis("missing factor", f"a factor {answer.spelled.get(name, name)} is missing")
    printer = AnswerTreePrinter(answer.vocabulary.latex_names())
    worst = max((float(np.nanmax(np.where(np.isfinite(e), e, np.nan))) for e in
                 (scaled_errors(a, t) for a, t in zip(A, T)) if np.any(np.isfinite(e))), default=None)
    if worst is not None and worst < 1e-5:
        # Too small a difference for the float explanations below (each fits to 1e-6).
        for factor in _factors(answer.tree):
            if isinstance(factor, Num) and abs(float(factor.value) - 1) < 1e-5:
                return Diagnosis("extra factor", f"an extra factor ${printer(factor)}$, close to but not 1")
        size = _magnitude(confirmed) if confirmed is not None else f"{worst:.1g}"
        return Diagnosis("precision", f"the answer differs from the expected one by only about {size} "
                                      "(relative to the values' size): a constant rounded or perturbed, "
                                      "or a term that is tiny or zero at most points")
    terms = _terms(answer.tree)
    if len(terms) > 1:
        for sign, term in terms:
            try:
                vals = [answer_term_values(answer, term, b) for b in batches]
            except (ValueError, ArithmeticError, KeyError, IndexError):
                continue
            tex = ("-" if sign < 0 else "") + printer(term)
            # Does answer - lam * term equal the expected result for one constant lam?
            num = sum(float(np.nansum((a - t) * sign * v)) for a, t, v in zip(A, T, vals))
            den = sum(float(np.nansum(v * v)) for v in vals)
            if den <= 0 or not np.isfinite(num):
                continue
            lam = num / den
            if not fits([a - lam * sign * v for a, v in zip(A, vals)]):
                continue
            if abs(lam - 1) < 1e-6:
                return Diagnosis("extra term", f"the term ${tex}$ should not be there")
            if abs(lam - 2) < 1e-6:
                return Diagnosis("term sign", f"the term ${tex}$ has the wrong sign")
            return Diagnosis("term factor", f"the term ${tex}$ should be {_nice(1 - lam)} times what it is")
    missing = _missing_term(part, batches, A, T)
    if missing:
        return missing_term(missing)
    missing = _missing_factor(part, batches, A, T)
    if missing:
        return Diagnosis("missing factor", f"a factor ${missing}$ is missing")
    slip = _constraint_slip(part, batches, A, T, answer)
    if slip:
        return slip
    for factor in _factors(answer.tree):
        try:
            vals = [answer_term_values(answer, factor, b) for b in batches]
        except (ValueError, ArithmeticError, KeyError, IndexError):
            continue
        if fits([a / v for a, v in zip(A, vals)]):
            return Diagnosis("extra factor", f"an extra factor ${printer(factor)}$")
    return None


def _declared_slip(answer: Answer, part: Part, batches, A) -> Diagnosis | None:
    """The part's declared slips (Part.slips): a wrong answer equal to one of them at every
    sampled point is that slip, named in the part's own words."""
    for slip, slip_answer in declared_slips(part):
        try:
            vals = [np.broadcast_to(slip_answer.evaluate_batch(b.arrays, b.sizes),
                                    b.expected.shape[:1] + a.shape[1:]) for a, b in zip(A, batches)]
        except (ValueError, ArithmeticError, KeyError, IndexError):
            continue
        if all(v.shape == a.shape and _close(a, v) for a, v in zip(A, vals)):
            return declared_slip(slip)
    return None


def _inner_product(answer: Answer) -> Diagnosis | None:
    """u^T v (a scalar) where the expected answer is a matrix: the outer product u v^T."""
    printer = AnswerTreePrinter(answer.vocabulary.latex_names())
    for node in walk(answer.tree):
        if (isinstance(node, Bin) and node.op == "*" and isinstance(node.a, Transpose)
                and node.a.x.shape and node.a.x.shape[1] == 1 and node.b.shape
                and node.b.shape[1] == 1 and node.b.shape[0] != 1):
            u, v = printer(node.a.x), printer(node.b)
            return Diagnosis("transpose", f"${u}^\\top {v}$ is the inner product (a scalar); the outer "
                                          f"product ${u} {v}^\\top$ is the matrix")
    return None


def _constraint_slip(part: Part, batches, A, T, answer: Answer) -> Diagnosis | None:
    """A one-hot (or simplex) variable used wrongly: the answer is right exactly in the
    entries where that variable is 1 (or 0), as if every entry were 1 (or 0)."""
    for var in part.variables:
        if var.definition is not None or len(var.shape) != 1:
            continue
        probe = sp.Matrix(sp.symbols("a b"))
        if not var.domain.constraint(probe):   # no equality constraint such as sum = 1
            continue
        where = {1.0: True, 0.0: True}
        for a, t, b in zip(A, T, batches):
            v = b.arrays.get(var.name)
            if v is None or t.shape[1:] != v.shape[1:]:
                where = {}
                break
            scale = np.maximum(1.0, np.abs(t).max(axis=(1, 2), keepdims=True))
            agree = np.abs(a - t) / scale <= 1e-6
            for value in where:
                where[value] = where[value] and bool(np.all(agree == (v == value)))
        name = answer.spelled.get(var.name, var.name)
        for value, fits in where.items():
            if fits:
                return Diagnosis("constraint", f"the answer is right only in the entries where {name} "
                                               f"is {value:g}, as if every entry of {name} were {value:g} "
                                               f"({name} is {var.domain.description})")
    return None


def _factors(node: Node) -> list[Node]:
    """Scalar factors of a top-level product in the answer."""
    if isinstance(node, Neg):
        return _factors(node.x)
    if isinstance(node, Bin) and node.op == "*":
        return ([f for f in _factors(node.a)] + [f for f in _factors(node.b)])
    return [node] if is_scalar(node.shape) else []


def answer_term_values(answer: Answer, term: Node, batch) -> np.ndarray:
    sub = Answer(answer.text, answer.syntax, term, answer.vocabulary, answer.free_indices,
                 answer.index_ranges, answer.spelled)
    out = sub.evaluate_batch(batch.arrays, batch.sizes)
    return np.broadcast_to(out, batch.expected.shape[:1] + out.shape[1:])


def _scalar_names(part: Part, batches) -> list[str]:
    """Scalar variables and sizes: candidates for a missing or extra factor."""
    names = [v.name for v in part.variables if not v.shape]
    names = [n for n in names if all(n in b.arrays for b in batches)]
    return names + [d for d in batches[0].sizes if all(d in b.sizes for b in batches)]


def _neighbour(answer: Answer, part: Part, batches, A) -> str | None:
    for nid in part.neighbours:
        try:
            other = registry.get_part(nid)
            if not {v.name for v in other.variables} <= {v.name for v in part.variables}:
                continue
            ot = target(other)
            ok = True
            for a, b in zip(A, batches):
                want = ot.evaluate(b.sizes, [{v.name: p[v.name] for v in other.variables} for p in b.points])
                if want.shape[1:] != a.shape[1:] or not _close(a, want):
                    ok = False
                    break
            if ok:
                return nid
        except (DeriveError, ValueError, KeyError, TypeError, ArithmeticError):
            continue
    return None


def _missing_term(part: Part, batches, A, T) -> str | None:
    """Does expected - answer equal one additive term of the expected result (general form)?"""
    return _matching_piece(part, batches, "terms", lambda a, t, v: _close(t - a, v), A, T)


def _missing_factor(part: Part, batches, A, T) -> str | None:
    """Does answer times one scalar factor of the expected result equal the expected result?"""
    return _matching_piece(part, batches, "factors", lambda a, t, v: _close(a * v, t), A, T)


def _matching_piece(part, batches, kind, test, A, T) -> str | None:
    for tex, fns in _target_pieces(part, batches, kind):
        vals = []
        for b in batches:
            fn = fns.get(tuple(sorted(b.sizes.items())))
            if fn is None:
                break
            cols = _symbol_columns(part, b.points)
            try:
                with np.errstate(all="ignore"):
                    out = np.stack([np.broadcast_to(np.asarray(v, float), (len(b.points),))
                                    for v in fn(*cols)], axis=1)
            except Exception:  # cosmetic: a piece that will not evaluate (a label's entry) names no slip
                break
            # A scalar factor of a matrix result is one value per point.
            vals.append(out.reshape(len(b.points), 1, 1) if out.shape[1] == 1
                        else out.reshape(b.expected.shape))
        if len(vals) == len(batches) and all(test(a, t, v) for a, t, v in zip(A, T, vals)):
            return tex
    return None


_PIECES: dict[tuple, tuple] = {}


def _pieces_of(general, kind: str) -> list:
    if kind == "terms":
        return list(general.args) if isinstance(general, (sp.Add, sp.MatAdd)) else []
    if isinstance(general, (sp.Mul, sp.MatMul)):
        return [f for f in general.args if not getattr(f, "is_Matrix", False) and f.free_symbols]
    return []


def _target_pieces(part: Part, batches, kind: str) -> list:
    """The additive terms (or scalar factors) of the general expected result, each compiled
    at every sampled size (cached per part: compiling is the slow step of a diagnosis)."""
    hit = _PIECES.get((part.id, kind))
    if hit is not None and hit[0] is part:
        return hit[1]
    out = []
    try:
        terms = _pieces_of(part.result(part.general), kind)
    except Exception:  # a part without a general form simply gets no term diagnosis
        terms = []
    for term in terms if len(terms) > 1 or kind == "factors" else []:
        fns = {}
        for b in batches:
            ns = part.namespace(b.sizes)
            subs = {part.general.objects[n]: ns.objects[n] for n in ns.objects}
            subs.update({part.general.sizes[d]: ns.sizes[d] for d in ns.sizes})
            try:
                explicit = _explicit(term.xreplace(subs))
                flat = list(explicit) if isinstance(explicit, sp.MatrixBase) else [explicit]
                fns[tuple(sorted(b.sizes.items()))] = compile_numpy(ns.symbols(), flat)
            except Exception:  # cosmetic: a term SymPy cannot make explicit is skipped
                fns = None
                break
        if fns:
            out.append((_latex(term, part), fns))
    _PIECES[(part.id, kind)] = (part, out)
    return out


def _explicit(expr):
    """A general-form term with explicit matrices substituted, as an explicit matrix."""
    from sympy.matrices.expressions import DiagMatrix, DiagonalMatrix
    from ...model import functions
    from ...model.functions import Softmax, diag, softmax
    diag_types = (DiagMatrix, DiagonalMatrix) + ((functions.Diag,) if hasattr(functions, "Diag") else ())

    def as_matrix(x):
        x = x.doit() if hasattr(x, "doit") else x
        return sp.Matrix(x.as_explicit()) if isinstance(x, sp.MatrixExpr) and not isinstance(x, sp.MatrixBase) else x

    expr = expr.replace(lambda e: isinstance(e, diag_types),
                        lambda e: diag(as_matrix(e.args[0])))
    expr = expr.replace(lambda e: isinstance(e, Softmax), lambda e: softmax(as_matrix(e.args[0])))
    return as_matrix(expr)


def _magnitude(error) -> str:
    """1e-30 for an mpmath difference of any size (below float range too)."""
    import mpmath
    if not error or mpmath.isinf(error):
        return "0"
    return f"1e{int(mpmath.floor(mpmath.log10(abs(error)) + mpmath.mpf('0.5')))}"
