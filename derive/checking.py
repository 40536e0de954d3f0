"""Checking a submitted answer against a part: ``check(part_id, answer) -> Verdict``.

The answer is parsed by the project's grammar (never eval'd), compared with the part's
expected result numerically at seeded random points of the part's domain (always) and
exactly in SymPy (when cheap), and, when wrong, given a counterexample in the user's own
spellings and a diagnosis of the likely slip. Each check runs in a warm worker process
under a hard time limit, so no input can hang or crash the caller.

>>> check("softmax.ce_grad", "yhat - y").status          # doctest: +SKIP
'correct'
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import threading
from dataclasses import asdict, dataclass
from fractions import Fraction
import numpy as np
import sympy as sp

from . import registry
from .answer_tree import Bin, LatexPrinter, Neg, Node, is_scalar, show_shape
from .equivalence import (Target, _symbol_columns, compare, compare_relation, prove, scaled_errors,
                          target, vocabulary)
from .errors import AnswerSyntaxError, DeriveError, InvalidArgument
from .model import Part
from .numeric import compile_numpy
from .parsing import Answer, parse_answer

CORRECT, INCORRECT, INVALID, UNDECIDED = "correct", "incorrect", "invalid", "undecided"
EXIT_STATUS = {CORRECT: 0, INCORRECT: 1, INVALID: 2, UNDECIDED: 3}


@dataclass(frozen=True)
class Verdict:
    """The outcome of one check. ``diagnosis`` reads "<kind>: <detail>" (kinds: sign,
    factor, missing factor, extra factor, transpose, shape, extra term, missing term,
    term sign, term factor, constraint, neighbour); ``method`` says how a correct answer was decided."""
    status: str
    message: str
    counterexample: dict | None = None
    diagnosis: str | None = None
    parsed: str | None = None
    part: str = ""
    method: str | None = None     # "proved" (exact) or "tested" (numeric only)
    points: int = 0               # random points compared
    position: int | None = None   # 0-based column of an invalid answer's problem

    @property
    def diagnosis_kind(self) -> str | None:
        return self.diagnosis.split(":", 1)[0] if self.diagnosis else None

    def to_json(self) -> dict:
        return asdict(self)


# --------------------------------------------------------------------------- judging
def judge(part: Part, text: str, *, syntax: str = "auto", seed: int = 0,
          proof_budget: float = 1.0) -> Verdict:
    """Check in this process, without the hard time limit (the worker calls this)."""
    try:
        answer = parse_answer(text, vocabulary(part), syntax=syntax)
    except AnswerSyntaxError as exc:
        return Verdict(INVALID, str(exc), part=part.id, position=exc.position)
    key = (part.id, answer.tree, tuple(sorted(answer.spelled.items())), seed)
    hit = _VERDICTS.get(key) if CACHE_VERDICTS else None
    if hit is not None and hit[0] is part:
        return hit[1]
    verdict = _judge_parsed(part, answer, seed, proof_budget)
    if len(_VERDICTS) > 20_000:   # a grading run repeats answers; memory stays bounded
        _VERDICTS.clear()
    _VERDICTS[key] = (part, verdict)
    return verdict


# Verdicts by (part, parsed tree, spellings, seed): the same answer typed differently
# by many students is judged once.
_VERDICTS: dict[tuple, tuple] = {}
CACHE_VERDICTS = True


def _judge_parsed(part: Part, answer: Answer, seed: int, proof_budget: float) -> Verdict:
    parsed = answer.latex()
    tgt = target(part)
    batches = tgt.batches(seed)
    if not batches:
        return Verdict(UNDECIDED, "no random point of this part's domain could be evaluated",
                       parsed=parsed, part=part.id)
    if tgt.is_relation:
        return _judge_relation(part, answer, tgt, seed, parsed)
    if answer.is_relation:
        return Verdict(INCORRECT, "expected an expression, not an inequality", parsed=parsed,
                       part=part.id, diagnosis="shape: an inequality where an expression is expected")
    try:
        result = compare(answer, batches)
    except (ValueError, ArithmeticError, np.linalg.LinAlgError, KeyError, IndexError) as exc:
        return Verdict(UNDECIDED, f"the answer could not be evaluated at the random points ({exc})",
                       parsed=parsed, part=part.id)
    if result.equal is None:
        return Verdict(UNDECIDED, "no random point gave a defined value to compare", parsed=parsed,
                       part=part.id)
    if result.equal:
        proved = prove(answer, part, proof_budget)
        sizes = ", ".join(_size_text(b.sizes) for b in batches)
        how = (f"proved exactly at {_size_text(part.proof_sizes()[0])} and equal at "
               f"{result.points} random points" if proved else
               f"equal to the expected answer at {result.points} random points")
        return Verdict(CORRECT, f"Correct: {how} ({sizes}).", parsed=parsed, part=part.id,
                       method="proved" if proved else "tested", points=result.points)
    diagnosis = diagnose(answer, part, tgt, batches, result)
    k, i = result.failure
    batch = batches[k]
    counter = _counterexample(answer, batch, i, result.answer_values[k][i], batch.expected[i])
    if not result.shape_ok:
        message = (f"Your answer is {show_shape(answer.shape)} but the expected answer is "
                   f"{_shape_of_array(batch.expected[0], batch.sizes, answer)}.")
    else:
        message = "Not equal to the expected answer: " + _point_text(counter)
    if diagnosis:
        message += " Likely slip: " + diagnosis.split(": ", 1)[1] + "."
    return Verdict(INCORRECT, message, counter, diagnosis, parsed, part.id, points=result.points)


def _judge_relation(part, answer, tgt, seed, parsed) -> Verdict:
    if not answer.is_relation:
        return Verdict(INCORRECT, "expected an inequality (a condition such as 0 < eps < 2/lambda_max)",
                       parsed=parsed, part=part.id, diagnosis="shape: an expression where a condition "
                       "is expected")
    rc = compare_relation(answer, part, tgt, seed)
    if rc.equal is None:
        return Verdict(UNDECIDED, "the sets could not be compared", parsed=parsed, part=part.id)
    if rc.equal:
        return Verdict(CORRECT, f"Correct: the same set at {rc.points} sampled points on both sides "
                       "of every boundary.", parsed=parsed, part=part.id, method="tested",
                       points=rc.points)
    diagnosis = None
    if rc.missing is not None:
        diagnosis = f"constraint: the condition {_latex(rc.missing, part)} is missing"
    elif rc.superset:
        diagnosis = "constraint: the set is too large (a condition is missing or too weak)"
    elif rc.subset:
        diagnosis = "constraint: the set is too small (a condition is too strong)"
    point = rc.failure["point"]
    counter = {"values": _user_values(answer, point),
               "answer": rc.failure["answer"], "expected": rc.failure["expected"]}
    where = ", ".join(f"{k} = {v}" for k, v in counter["values"].items())
    message = (f"Not the same set: at {where} your condition is "
               f"{'true' if rc.failure['answer'] else 'false'} but the expected one is "
               f"{'true' if rc.failure['expected'] else 'false'}.")
    if diagnosis:
        message += " Likely slip: " + diagnosis.split(": ", 1)[1] + "."
    return Verdict(INCORRECT, message, counter, diagnosis, parsed, part.id, points=rc.points)


def _size_text(sizes) -> str:
    return ", ".join(f"{k}={v}" for k, v in sizes.items()) or "scalars"


def _shape_of_array(arr, sizes, answer) -> str:
    r, c = arr.shape
    names = {v: k for k, v in sizes.items()}
    return show_shape((names.get(r, r) if r != 1 else 1, names.get(c, c) if c != 1 else 1))


def _round(x):
    x = np.asarray(x, dtype=float)
    if x.size == 1:
        v = float(x.reshape(-1)[0])
        return v if not np.isfinite(v) else float(f"{v:.6g}")
    if x.ndim == 2 and x.shape[1] == 1:
        x = x[:, 0]
    return [_round(v) for v in x] if x.ndim == 1 else [[_round(v) for v in row] for row in x]


def _user_values(answer: Answer, point: dict) -> dict:
    """The point's values keyed by the spellings the user typed (all variables if none)."""
    used = [n for n in answer.spelled if n in point] or list(point)
    return {answer.spelled.get(n, n): _round(point[n]) for n in used}


def _counterexample(answer: Answer, batch, i, got, expected) -> dict:
    out = {}
    if batch.sizes:
        out["sizes"] = dict(batch.sizes)
    out["values"] = _user_values(answer, batch.points[i])
    out["answer"] = _round(got) if np.all(np.isfinite(got)) else "undefined"
    out["expected"] = _round(expected)
    return out


def _point_text(counter: dict) -> str:
    """'at z = 0.5 your answer is 1.2 but the expected value is 0.3', when short enough."""
    def size(v):
        return int(np.size(v)) if not isinstance(v, str) else 1
    values = counter["values"]
    if sum(size(v) for v in values.values()) > 6 or size(counter["answer"]) > 4:
        return "at the point in the counterexample the two differ."
    where = ", ".join(f"{k} = {v}" for k, v in {**counter.get("sizes", {}), **values}.items())
    return (f"at {where} your answer is {counter['answer']} but the expected value is "
            f"{counter['expected']}.")


def _latex(expr, part: Part) -> str:
    from .printing import latex, names_of
    try:
        return latex(expr, names_of(part.variables))
    except Exception:  # printing is cosmetic; never let it hide a verdict
        return str(expr)


# --------------------------------------------------------------------------- diagnosis
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


def diagnose(answer: Answer, part: Part, tgt: Target, batches, result) -> str | None:
    """Name the likely slip, if one simple explanation fits at every sampled point."""
    with np.errstate(all="ignore"):
        return _diagnose(answer, part, tgt, batches, result)


def _diagnose(answer: Answer, part: Part, tgt: Target, batches, result) -> str | None:
    A = [np.broadcast_to(v, b.expected.shape[:1] + v.shape[1:]) for v, b in zip(result.answer_values, batches)]
    T = [b.expected for b in batches]

    def fits(candidates) -> bool:
        return all(_close(a, t) for a, t in zip(candidates, T))

    if not result.shape_ok:
        if all(a.shape[1:] == t.shape[1:][::-1] for a, t in zip(A, T)) and fits(
                [np.swapaxes(a, 1, 2) for a in A]):
            return "transpose: the answer is the transpose of the expected one"
        return (f"shape: the answer is {show_shape(answer.shape)}, not the shape of the expected "
                "answer")
    if fits([-a for a in A]):
        return "sign: the answer has the opposite sign"
    if all(t.shape[1] == t.shape[2] for t in T) and not all(is_scalar(t.shape[1:]) for t in T) \
            and fits([np.swapaxes(a, 1, 2) for a in A]):
        return "transpose: the answer is the transpose of the expected one"
    neighbour = _neighbour(answer, part, batches, A)
    if neighbour:
        return f"neighbour: this is the answer to {neighbour}"
    num = sum(float(np.nansum(a * t)) for a, t in zip(A, T))
    den = sum(float(np.nansum(t * t)) for t in T)
    if den > 0 and np.isfinite(num):
        c = num / den
        if abs(c) > 1e-9 and abs(c - 1) > 1e-6 and fits([a / c for a in A]):
            return f"factor: the answer is {_nice(c)} times the expected one"
    for name in _scalar_names(part, batches):
        vals = [b.arrays[name] if name in b.arrays else np.full((1, 1, 1), float(b.sizes[name]))
                for b in batches]
        if fits([a / v for a, v in zip(A, vals)]):
            return f"extra factor: an extra factor {answer.spelled.get(name, name)}"
        if fits([a * v for a, v in zip(A, vals)]):
            return f"missing factor: a factor {answer.spelled.get(name, name)} is missing"
    terms = _terms(answer.tree)
    printer = LatexPrinter(answer.vocabulary.latex_names())
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
                return f"extra term: the term {tex} should not be there"
            if abs(lam - 2) < 1e-6:
                return f"term sign: the term {tex} has the wrong sign"
            return f"term factor: the term {tex} should be {_nice(1 - lam)} times what it is"
    missing = _missing_term(part, batches, A, T)
    if missing:
        return f"missing term: the term {missing} is missing"
    missing = _missing_factor(part, batches, A, T)
    if missing:
        return f"missing factor: a factor {missing} is missing"
    slip = _constraint_slip(part, batches, A, T, answer)
    if slip:
        return slip
    for factor in _factors(answer.tree):
        try:
            vals = [answer_term_values(answer, factor, b) for b in batches]
        except (ValueError, ArithmeticError, KeyError, IndexError):
            continue
        if fits([a / v for a, v in zip(A, vals)]):
            return f"extra factor: an extra factor {printer(factor)}"
    return None


def _constraint_slip(part: Part, batches, A, T, answer: Answer) -> str | None:
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
                return (f"constraint: the answer is right only in the entries where {name} is "
                        f"{value:g}, as if every entry of {name} were {value:g} "
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
            with np.errstate(all="ignore"):
                out = np.stack([np.broadcast_to(np.asarray(v, float), (len(b.points),))
                                for v in fn(*cols)], axis=1)
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
    from . import functions
    from .functions import Softmax, diag, softmax
    diag_types = (DiagMatrix, DiagonalMatrix) + ((functions.Diag,) if hasattr(functions, "Diag") else ())

    def as_matrix(x):
        x = x.doit() if hasattr(x, "doit") else x
        return sp.Matrix(x.as_explicit()) if isinstance(x, sp.MatrixExpr) and not isinstance(x, sp.MatrixBase) else x

    expr = expr.replace(lambda e: isinstance(e, diag_types),
                        lambda e: diag(as_matrix(e.args[0])))
    expr = expr.replace(lambda e: isinstance(e, Softmax), lambda e: softmax(as_matrix(e.args[0])))
    return as_matrix(expr)


# --------------------------------------------------------------------------- worker
def _memory_limit():
    """Cap the worker's address space so a hostile answer cannot exhaust the machine."""
    try:
        import resource
        with open("/proc/self/statm") as fh:
            current = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        cap = current + 2 * 1024 ** 3
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard == resource.RLIM_INFINITY or hard > cap:
            resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    except (OSError, ValueError, ImportError):
        pass


def _serve(conn):
    _memory_limit()
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        if request is None:
            return
        part_id, text, syntax, seed, budget = request
        conn.send(_safe_judge(part_id, text, syntax, seed, budget))


def _safe_judge(part_id, text, syntax, seed, budget) -> Verdict:
    try:
        part = registry.get_part(part_id)
        return judge(part, text, syntax=syntax, seed=seed, proof_budget=budget)
    except DeriveError as exc:
        return Verdict(INVALID, str(exc), part=part_id)
    except MemoryError:
        return Verdict(UNDECIDED, "the check ran out of memory", part=part_id)
    except RecursionError:
        return Verdict(INVALID, "the answer is nested too deeply", part=part_id)
    except Exception as exc:  # the worker must answer every request, whatever happens
        return Verdict(UNDECIDED, f"the checker failed on this answer ({type(exc).__name__}: {exc})",
                       part=part_id)


class _Worker:
    """One warm checking process; killed and restarted when an answer overruns its time."""

    def __init__(self):
        self.proc = None
        self.conn = None
        self.lock = threading.Lock()
        self.parts: tuple = ()

    def start(self):
        methods = mp.get_all_start_methods()
        ctx = mp.get_context("fork" if "fork" in methods else "spawn")
        parent, child = ctx.Pipe()
        self.proc = ctx.Process(target=_serve, args=(child,), daemon=True, name="derive-check")
        self.proc.start()
        child.close()
        self.conn = parent
        self.parts = _registered()

    def stop(self):
        if self.proc is not None:
            if self.proc.is_alive():
                self.proc.kill()
            self.proc.join(timeout=2)
            self.conn.close()
        self.proc = self.conn = None

    def run(self, request, timeout: float) -> Verdict | None:
        with self.lock:
            # A forked worker knows the parts registered when it started; restart it after
            # a problem file is loaded.
            if self.proc is None or not self.proc.is_alive() or self.parts != _registered():
                self.stop()
                self.start()
            try:
                self.conn.send(request)
                if self.conn.poll(timeout):
                    return self.conn.recv()
            except (EOFError, OSError, BrokenPipeError):
                self.stop()
                return Verdict(UNDECIDED, "the checking process stopped unexpectedly", part=request[0])
            self.stop()
            return None


def _registered() -> tuple:
    return tuple(id(p) for p in registry.all_parts())


_WORKER = _Worker()


def check(part_id: str, answer: str, *, syntax: str = "auto", seed: int = 0,
          timeout: float | None = 5.0) -> Verdict:
    """Check ``answer`` to the part ``part_id``.

    Raises UnknownPart for an unknown id. ``timeout`` (seconds) is a hard limit enforced by
    a worker process; ``None`` checks in this process without a limit.
    """
    part = registry.get_part(part_id)
    if not isinstance(answer, str):
        return Verdict(INVALID, f"an answer must be text, got {type(answer).__name__}", part=part_id)
    if timeout is None:
        return _safe_judge(part.id, answer, syntax, seed, 1.0)
    if not (isinstance(timeout, (int, float)) and 0 < timeout < float("inf")):  # refuses nan too
        raise InvalidArgument(f"timeout must be a positive number of seconds (or None), got {timeout!r}")
    budget = min(1.0, timeout * 0.3)
    verdict = _WORKER.run((part.id, answer, syntax, seed, budget), timeout)
    if verdict is None:
        return Verdict(UNDECIDED, f"the check took longer than {timeout:g} s and was stopped",
                       part=part_id)
    return verdict


def expected_latex(part: Part) -> str:
    """The expected answer in LaTeX (shown only on request: --reveal)."""
    try:
        return _latex(part.result(part.general), part)
    except Exception:
        ns = part.namespace(part.proof_sizes()[0])
        return _latex(part.result(ns), part)


# --------------------------------------------------------------------------- CLI
def add_check_commands(subparsers) -> None:
    p = subparsers.add_parser("check", help="check an answer to a part",
                              description="Check ANSWER (plain text or LaTeX) against PART_ID. "
                              "Exit status: 0 correct, 1 incorrect, 2 invalid or unknown part, "
                              "3 undecided. Put -- before an answer that starts with '-'.")
    p.add_argument("part", metavar="PART_ID")
    p.add_argument("answer", metavar="ANSWER")
    p.add_argument("--syntax", choices=("text", "latex", "auto"), default="auto")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--reveal", action="store_true", help="also show the expected answer")
    add_answer_options(p)
    p.set_defaults(run=cmd_check)


def _seconds(text: str) -> float:
    """argparse type: a finite positive number of seconds, at most an hour."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not (0 < value <= 3600):  # also refuses nan and inf
        raise argparse.ArgumentTypeError(f"timeout must be a number of seconds in (0, 3600], got {text!r}")
    return value


def add_answer_options(p) -> None:
    """The options every command that checks answers takes (check, grade)."""
    p.add_argument("--seed", type=int, default=0, help="seed of the random points (default 0)")
    p.add_argument("--timeout", type=_seconds, default=5.0,
                   help="hard limit per answer in seconds (default 5)")


def cmd_check(args) -> int:
    try:
        verdict = check(args.part, args.answer, syntax=args.syntax, seed=args.seed,
                        timeout=args.timeout)
    except DeriveError as exc:
        verdict = Verdict(INVALID, str(exc), part=args.part)
        if not args.json:
            raise
    out = verdict.to_json()
    if args.reveal:
        try:
            out["expected"] = expected_latex(registry.get_part(args.part))
        except DeriveError:
            pass
    if args.json:
        print(json.dumps(out, default=str))
    else:
        print(f"{verdict.status}: {verdict.message}")
        if verdict.parsed:
            print(f"  understood: {verdict.parsed}")
        if verdict.diagnosis:
            print(f"  diagnosis: {verdict.diagnosis}")
        if verdict.counterexample:
            print(f"  counterexample: {json.dumps(verdict.counterexample, default=str)}")
        if "expected" in out:
            print(f"  expected: {out['expected']}")
    return EXIT_STATUS[verdict.status]
