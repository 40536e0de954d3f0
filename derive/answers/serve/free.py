"""Checking an answer against an expression the caller writes, without a part:
``equivalent(expected, answer, variables=None) -> Verdict``.

The instructor's expression is parsed by the same grammar as answers (never eval'd) and
becomes a part built on the fly: its variables are the names the expression uses, real
scalars unless declared (``{"x": "positive", "A": ("matrix", 3, 3)}``), and its result is
the expression rebuilt in SymPy. The answer is then judged exactly as ``check`` judges one
(decide/judge.py): floats propose, high precision decides, a proof says what holds, a wrong
answer gets a confirmed counterexample and a diagnosis, all in a worker process under a
hard time limit.

Real-domain semantics follow from that machinery: points where the expected expression is
undefined (log of a negative number) are not in its domain and are skipped, while an
answer undefined where the expected expression is defined is not equal there.

>>> equivalent("sqrt(x^2)", "abs(x)").status          # doctest: +SKIP
'correct'
"""
from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Mapping

import numpy as np
import sympy as sp

from ...errors import AnswerSyntaxError, DeriveError, InvalidArgument, ProofTimeout, RecognisedSlip
from ...maths.zero import time_limit
from ...model import domains
from ...model.part import Derivation, Grading, Part, Sheet, Variable
from ..decide import decision, equivalence
from ..decide.judge import judge_answer, read_answer
from ..decide.presentation import correct_verdict, with_likely_slip
from ..read.lexer import FUNCTION_ALIASES, GREEK, WEAK_FUNCTIONS, normalise, scan
from ..read.limits import DEFAULT_LIMITS
from ..read.parse import parse_answer
from ...model.verdict import INCORRECT, INVALID, UNDECIDED, Diagnosis, Verdict
from ..read.vocabulary import Vocabulary
from .worker import _POOL, _check_timeout, answered

__all__ = ["DOMAINS", "equivalent", "expression_part", "judge_expression"]

DOMAINS = {
    "real": domains.REAL, "positive": domains.POSITIVE, "nonzero": domains.NONZERO,
    "unit_interval": domains.UNIT_INTERVAL, "simplex": domains.SIMPLEX,
    "one_hot": domains.ONE_HOT, "spd": domains.SPD,
}
SHAPES = {"scalar": 0, "vector": 1, "matrix": 2}
# An instructor's own expression may use large constant powers ((x - a)^6000); everything
# else stays bounded as for answers. Floats overflow there and the precise pass decides.
EXPRESSION_LIMITS = replace(DEFAULT_LIMITS, max_exponent=10_000)
CONSTANTS = ("pi", "e")
# Words of the answer language that are neither names nor functions.
KEYWORDS = {"sum", "and", "T", "I", "odot", "delta"}
FAMILY = "expression"
def _declared(variables: Mapping | None) -> dict[str, tuple]:
    """{name: (shape, domain)} from the caller's declarations, every value checked."""
    if variables is None:
        return {}
    if not isinstance(variables, Mapping):
        raise InvalidArgument(f"variables must be a dict of name -> domain or shape, got "
                              f"{type(variables).__name__}")
    out = {}
    for name, spec in variables.items():
        if not isinstance(name, str) or not name.replace("_", "").isalnum() or not name[:1].isalpha():
            raise InvalidArgument(f"variable name {name!r} must be letters, digits and _, "
                                  "starting with a letter")
        shape, domain = (), "real"
        if isinstance(spec, str):
            domain = spec
        elif isinstance(spec, tuple) and spec and spec[0] in SHAPES:
            rank = SHAPES[spec[0]]
            dims = spec[1:1 + rank]
            rest = spec[1 + rank:]
            if len(dims) != rank or not all(isinstance(d, int) and not isinstance(d, bool)
                                            and 1 <= d <= 12 for d in dims):
                raise InvalidArgument(f"variable {name!r}: a {spec[0]} needs {rank} whole sizes from "
                                      f"1 to 12, got {spec!r}")
            shape = tuple(dims)
            if len(rest) > 1 or (rest and not isinstance(rest[0], str)):
                raise InvalidArgument(f"variable {name!r}: after the sizes only a domain name may "
                                      f"follow, got {spec!r}")
            domain = rest[0] if rest else "real"
        else:
            raise InvalidArgument(f"variable {name!r}: {spec!r} is neither a domain name "
                                  f"({', '.join(DOMAINS)}) nor a shape such as ('matrix', 3, 3)")
        if domain not in DOMAINS:
            raise InvalidArgument(f"variable {name!r}: unknown domain {domain!r}; the domains are "
                                  + ", ".join(DOMAINS))
        out[name] = (shape, domain)
    return out


def _inferred_names(expected: str, syntax: str) -> list[str]:
    """The names the expression uses, in order: words that are not functions or constants.
    A run of letters that is not a Greek letter is a product of one-letter names (xy is
    x times y, as on a calculator); declare a longer name to use it as one."""
    if syntax == "auto":
        syntax = "latex" if any(c in expected for c in "\\{}") else "text"
    names: list[str] = []
    lexemes = normalise(scan(expected, syntax, EXPRESSION_LIMITS))
    bound = _summed_letters(lexemes)
    for k, lx in enumerate(lexemes):
        if lx.kind != "word":
            continue
        word = lx.value
        if word in bound:   # a sum's index (sum(x^i, i, 0, 30), \sum_{i=0}^{30}) names no variable
            continue
        after_sub = k and lexemes[k - 1].kind == "op" and lexemes[k - 1].value == "_"
        if after_sub or word in CONSTANTS or word in KEYWORDS:
            continue
        called = k + 1 < len(lexemes) and lexemes[k + 1].value == "("
        # theta and H are Heaviside's step only when called: theta alone is an angle.
        if word in FUNCTION_ALIASES or (word in WEAK_FUNCTIONS and called):
            continue
        pieces = [word] if (word in GREEK or lx.atomic or len(word) == 1) else list(word)
        for piece in pieces:
            if piece not in CONSTANTS and piece not in names:
                names.append(piece)
    return names


def _summed_letters(lexemes) -> set[str]:
    """The letters sums run over: i in sum(body, i, lo, hi) and in \\sum_{i=lo}^{hi}."""
    letters = set()
    for k, lx in enumerate(lexemes):
        if lx.value != "sum" or k + 1 >= len(lexemes):
            continue
        nxt = lexemes[k + 1].value
        if nxt == "_":   # \sum_{i=0}^{30}: the letter before the =
            ahead = [x.value for x in lexemes[k + 2:k + 5]]
            if ahead[:1] == ["{"] and len(ahead) == 3 and ahead[2] == "=" and len(ahead[1]) == 1:
                letters.add(ahead[1])
        elif nxt == "(":   # sum(body, i, lo, hi): the second of four top-level arguments
            depth, args, start = 0, [], k + 2
            for j in range(k + 1, len(lexemes)):
                v = lexemes[j].value if lexemes[j].kind == "op" else None
                if v in ("(", "[", "{"):
                    depth += 1
                elif v in (")", "]", "}"):
                    depth -= 1
                    if depth == 0:
                        args.append(lexemes[start:j])
                        break
                elif v == "," and depth == 1:
                    args.append(lexemes[start:j])
                    start = j + 1
            if len(args) == 4 and len(args[1]) == 1 and args[1][0].kind == "word" and len(args[1][0].value) == 1:
                letters.add(args[1][0].value)
    return letters


def _subscripted(expected: str, syntax: str) -> dict[str, str]:
    """x_1 in the expression names the scalar x_1: {full name: base} for each such use."""
    if syntax == "auto":
        syntax = "latex" if any(c in expected for c in "\\{}") else "text"
    lexemes = normalise(scan(expected, syntax, EXPRESSION_LIMITS))
    out = {}
    for a, b, c in zip(lexemes, lexemes[1:], lexemes[2:]):
        if (a.kind == "word" and a.value not in FUNCTION_ALIASES and b.kind == "op" and b.value == "_"
                and c.kind in ("word", "num")):
            out.setdefault(f"{a.value}_{c.value}", a.value)
    return out


_PARTS: dict[tuple, Part] = {}
MAX_PARTS = 2000


def _forget_parts() -> None:
    """Drop every expression part and what the judge compiled for it (by part id)."""
    _PARTS.clear()
    for cache in (equivalence._VOCABULARIES, equivalence._TARGETS, decision._PRECISE):
        for key in [k for k in cache if k.startswith(FAMILY + ".")]:
            del cache[key]


def expression_part(expected: str, variables: Mapping | None = None, *,
                    syntax: str = "auto", also: tuple = ()) -> Part:
    """The part an expression defines (cached). ``also`` names further real scalars (those
    an answer uses and the expression does not: 1 against sin(x)^2 + cos(x)^2). Raises
    AnswerSyntaxError when the expression does not parse and InvalidArgument for a bad
    declaration."""
    if not isinstance(expected, str):
        raise InvalidArgument(f"the expected expression must be text, got {type(expected).__name__}")
    declared = _declared(variables)
    for name in also:
        declared.setdefault(name, ((), "real"))
    key = (expected, tuple(sorted(declared.items())), syntax)
    hit = _PARTS.get(key)
    if hit is not None:
        return hit
    try:
        names = _inferred_names(expected, syntax)
        subscripted = _subscripted(expected, syntax)
    except AnswerSyntaxError as exc:
        raise AnswerSyntaxError(f"the expected expression does not parse: {exc}") from None
    for full, base in subscripted.items():
        if base not in declared and full not in declared:
            declared.setdefault(full, ((), "real"))
    for name in names:
        if name not in declared and not any(b == name for b in subscripted.values()):
            declared[name] = ((), "real")
    made = [Variable(name, shape, DOMAINS[domain], symmetric=(domain == "spd"))
            for name, (shape, domain) in declared.items()]
    vocab = Vocabulary.from_variables(made)
    try:
        tree = parse_answer(expected, vocab, syntax=syntax, limits=EXPRESSION_LIMITS)
    except (AnswerSyntaxError, RecognisedSlip) as exc:
        raise AnswerSyntaxError(f"the expected expression does not parse: {exc}") from None
    used = tree.names
    # Only the names the expression uses, plus every declared one (the caller said so).
    keep = tuple(v for v in made if v.name in used or v.name in (variables or {}) or v.name in also)
    if tree.is_relation:
        raise InvalidArgument("the expected expression is a condition; derive.equivalent compares "
                              "expressions")

    def result(v):
        return tree.to_sympy({name: getattr(v, name) for name in tree.names})

    def defined(point):
        try:
            value = tree.evaluate({k: point[k] for k in tree.names})
        except (ValueError, ArithmeticError, KeyError, np.linalg.LinAlgError):
            return False
        return bool(np.all(np.isfinite(value)))

    # The expression as written, for the domain check (SymPy's result may be simplified:
    # sqrt(x)^2 is x, defined for every x): decide/domains.py.
    defined.expression = tree
    digest = hashlib.sha1(repr(key).encode()).hexdigest()[:12]
    part = Part(f"{FAMILY}.e{digest}", "an expression", Sheet(expected),
                Derivation(derive=result, result=result, result_lhs="", variables=keep, defined=defined),
                Grading(expects=tree.latex()))
    if len(_PARTS) > MAX_PARTS:   # a long-lived worker sees many expressions: memory stays bounded
        _forget_parts()
    _PARTS[key] = part
    return part


def judge_expression(expected: str, variables, syntax: str, answer: str, seed: int,
                     budget: float) -> Verdict:
    """Judge in this process (the worker calls this), as judge.judge does for a part."""
    try:
        part = expression_part(expected, variables, syntax=syntax)
        try:   # names only the answer uses are real scalars too (it is then judged on them)
            known = {v.name for v in part.variables}
            subs = _subscripted(answer, syntax)
            extra = tuple([n for n in _inferred_names(answer, syntax) if n not in known
                           and n not in subs.values() and not any(k.startswith(n + "_") for k in known)]
                          + [full for full in subs if full not in known])
        except AnswerSyntaxError:
            extra = ()   # the parse below reports it
        if extra:
            part = expression_part(expected, variables, syntax=syntax, also=extra)
    except DeriveError as exc:
        return Verdict(INVALID, str(exc), part=FAMILY)
    parsed = read_answer(answer, Vocabulary.from_variables(part.variables), part.id, syntax=syntax,
                         limits=EXPRESSION_LIMITS)
    if isinstance(parsed, Verdict):
        return parsed
    return answered(lambda: _judged(part, parsed, seed, budget), part.id)


def _judged(part, parsed, seed: int, budget: float) -> Verdict:
    verdict = judge_answer(part, parsed, seed, budget)
    if verdict.status == UNDECIDED:
        return _ratio_proof(part, parsed, budget) or verdict
    return _undefined_named(verdict)


UNDEFINED_SLIP = Diagnosis("domain", "the answer is undefined where the expected expression is defined "
                                     "(a square root or logarithm of a negative number, a division by zero)")


def _undefined_named(verdict: Verdict) -> Verdict:
    """A counterexample where only the answer is undefined says so as its diagnosis: the
    patterns diagnose() looks for at the other points (equal there up to rounding) would
    otherwise read as a perturbed constant."""
    counter = verdict.counterexample or {}
    if verdict.status != INCORRECT or counter.get("answer") != "undefined":
        return verdict
    # Without the sentence judge added for the diagnosis this one replaces.
    message = verdict.message.removesuffix(with_likely_slip("", verdict.diagnosis))
    return replace(verdict, diagnosis=UNDEFINED_SLIP, message=with_likely_slip(message, UNDEFINED_SLIP))


def _ratio_proof(part, parsed, budget: float) -> Verdict | None:
    """When no point could be decided (floats overflow and the precise pass would need more
    than its digits, as for (x - a)^6000 against (a - x)^6000), an exact proof that the
    ratio of the two sides is 1: SymPy's powsimp combines powers with a common exponent
    (valid for every real base when the exponent is whole), so equality holds wherever
    both sides are defined and nonzero. None when that proof fails or overruns."""
    if part.sizes or parsed.free_indices:
        return None
    ns = part.general
    try:
        with time_limit(budget):
            want = part.result(ns)
            got = parsed.to_sympy({n: getattr(ns, n) for n in parsed.names})
            if not (isinstance(want, sp.Expr) and isinstance(got, sp.Expr)) or want == 0 or got == 0:
                return None
            if sp.powsimp(want / got) != 1:
                return None
    except (ProofTimeout, ArithmeticError, ValueError, TypeError, RecursionError):
        return None
    evidence = "proved: the ratio of the two sides is exactly 1 (wherever both are defined and nonzero)"
    return correct_verdict(part, evidence, parsed.latex(), proved=True)


def equivalent(expected: str, answer: str, *, variables: Mapping | None = None,
               syntax: str = "auto", seed: int = 0, timeout: float | None = 5.0) -> Verdict:
    """Is ``answer`` equal to ``expected`` wherever ``expected`` is defined?

    ``variables`` declares domains and shapes (``{"x": "positive", "A": ("matrix", 3, 3)}``);
    the other names are real scalars. Raises AnswerSyntaxError when ``expected`` does not
    parse and InvalidArgument for a bad declaration or timeout. ``timeout`` (seconds) is a
    hard limit enforced by a worker process; ``None`` judges in this process.
    """
    if syntax not in ("auto", "text", "latex"):
        raise InvalidArgument(f"syntax must be 'auto', 'text' or 'latex', got {syntax!r}")
    _check_timeout(timeout, allow_none=True)
    part = expression_part(expected, variables, syntax=syntax)   # bad input raises here
    if not isinstance(answer, str):
        return Verdict(INVALID, f"an answer must be text, got {type(answer).__name__}", part=part.id)
    declared = dict(variables) if variables else None
    if timeout is None:
        return judge_expression(expected, declared, syntax, answer, seed, 1.0)
    return _POOL.run(part.id, judge_expression, (expected, declared, syntax, answer, seed), timeout)
