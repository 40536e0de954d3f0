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

import json
import multiprocessing as mp
import os
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import sympy as sp

from . import registry
from .answer_tree import Bin, LatexPrinter, Neg, Node, is_scalar, show_shape
from .equivalence import (TOLERANCE, Target, compare, compare_relation, prove, scaled_errors,
                          stack_points, target, vocabulary)
from .errors import AnswerSyntaxError, DeriveError
from .model import Part
from .parsing import Answer, parse_answer

CORRECT, INCORRECT, INVALID, UNDECIDED = "correct", "incorrect", "invalid", "undecided"
EXIT_STATUS = {CORRECT: 0, INCORRECT: 1, INVALID: 2, UNDECIDED: 3}


@dataclass(frozen=True)
class Verdict:
    """The outcome of one check. ``diagnosis`` reads "<kind>: <detail>" (kinds: sign,
    factor, missing factor, extra factor, transpose, shape, extra term, missing term,
    term sign, constraint, neighbour); ``method`` says how a correct answer was decided."""
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
        message = ("Not equal to the expected answer: at the point in the counterexample the "
                   "two differ.")
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
    message = ("Not the same set: at the point in the counterexample your condition is "
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
        vals = [b.arrays[name] for b in batches]
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
            if fits([a - sign * v for a, v in zip(A, vals)]):
                return f"extra term: the term {tex} should not be there"
            if fits([a - 2 * sign * v for a, v in zip(A, vals)]):
                return f"term sign: the term {tex} has the wrong sign"
    missing = _missing_term(part, batches, A, T)
    if missing:
        return f"missing term: the term {missing} is missing"
    return None


def answer_term_values(answer: Answer, term: Node, batch) -> np.ndarray:
    sub = Answer(answer.text, answer.syntax, term, answer.vocabulary, answer.free_indices,
                 answer.index_ranges, answer.spelled)
    out = sub.evaluate_batch(batch.arrays, batch.sizes)
    return np.broadcast_to(out, batch.expected.shape[:1] + out.shape[1:])


def _scalar_names(part: Part, batches) -> list[str]:
    names = [v.name for v in part.variables if not v.shape]
    return [n for n in names if all(n in b.arrays for b in batches)]


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
    try:
        general = part.result(part.general)
    except Exception:
        return None
    terms = list(general.args) if isinstance(general, (sp.Add, sp.MatAdd)) else []
    if len(terms) < 2:
        return None
    for term in terms:
        vals = []
        for b in batches:
            ns = part.namespace(b.sizes)
            subs = {part.general.objects[n]: ns.objects[n] for n in ns.objects}
            subs.update({part.general.sizes[d]: ns.sizes[d] for d in ns.sizes})
            try:
                explicit = term.xreplace(subs)
                explicit = explicit.doit() if hasattr(explicit, "doit") else explicit
                if isinstance(explicit, sp.MatrixExpr) and not isinstance(explicit, sp.MatrixBase):
                    explicit = explicit.as_explicit()
                flat = list(explicit) if isinstance(explicit, sp.MatrixBase) else [explicit]
                fn = sp.lambdify(ns.symbols(), flat, modules=[_numpy_functions(), "numpy"])
                from .equivalence import _symbol_columns
                cols = _symbol_columns(part, b.points)
                with np.errstate(all="ignore"):
                    out = np.stack([np.broadcast_to(np.asarray(v, float), (len(b.points),))
                                    for v in fn(*cols)], axis=1)
                vals.append(out.reshape(b.expected.shape))
            except Exception:
                vals = None
                break
        if vals is None:
            continue
        if all(_close(t - a, v) for a, t, v in zip(A, T, vals)):
            return _latex(term, part)
    return None


def _numpy_functions():
    from .numeric import NUMPY_FUNCTIONS
    return NUMPY_FUNCTIONS


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

    def start(self):
        methods = mp.get_all_start_methods()
        ctx = mp.get_context("fork" if "fork" in methods else "spawn")
        parent, child = ctx.Pipe()
        self.proc = ctx.Process(target=_serve, args=(child,), daemon=True, name="derive-check")
        self.proc.start()
        child.close()
        self.conn = parent

    def stop(self):
        if self.proc is not None:
            if self.proc.is_alive():
                self.proc.kill()
            self.proc.join(timeout=2)
            self.conn.close()
        self.proc = self.conn = None

    def run(self, request, timeout: float) -> Verdict | None:
        with self.lock:
            if self.proc is None or not self.proc.is_alive():
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
    if timeout <= 0:
        raise AnswerSyntaxError(f"timeout must be positive, got {timeout}")
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
    p.add_argument("--seed", type=int, default=0, help="seed of the random points (default 0)")
    p.add_argument("--timeout", type=float, default=5.0, help="hard limit in seconds (default 5)")
    p.set_defaults(run=cmd_check)


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
