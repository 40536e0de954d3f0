"""``derive.audit(text, part=None, given=None)``: read a written solution, judge every step
of every chain against the term before it, and point at the first wrong one.

The document's displays are cut into chains (read/document.py, read/chains.py); each term
is read with the part's variables, the definitions given and those the document states
(audit_context.py); each step is judged by the proof-backed judge (audit_steps.py). An
unreadable term is never wrong: the chain goes on from the last term that was read. After a
chain's first wrong step every later step is also compared with the last right value, so a
slip silently undone is reported as such and does not hide the first one.

>>> audit("$$O = \\\\lfloor (224 - 5)/1 \\\\rfloor + 1 = 219$$").headline   # doctest: +SKIP
'chain 1, step 2 is wrong: ...'
"""
from __future__ import annotations

import re
from dataclasses import replace

import sympy as sp

from ...errors import InvalidArgument
from ...model import registry
from ...model.audit import (AuditChain, AuditReport, AuditStep, PROVED, START, STATUSES, UNCHECKED,
                            UNREADABLE, WRONG)
from ..read.chains import split_chains
from ..read.document import find_displays, uses_decimal_commas
from .audit_context import SUM_OVER_ENTRIES, Context, Reading, readable, rounded_numbers
from .audit_steps import EQUALITIES, Judgement, agree as _agree, judge_step

__all__ = ["MAX_CHARACTERS", "audit"]

MAX_CHARACTERS = 400_000   # a long thesis is ~300k characters; beyond that it is not a solution
MAX_TERMS = 2000


def _checked_input(text, part, given):
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidArgument("the document is not UTF-8 text (a binary file?)") from None
    if not isinstance(text, str):
        raise InvalidArgument(f"the document must be text, got {type(text).__name__}")
    if "\x00" in text:
        raise InvalidArgument("the document holds NUL bytes: a binary file, not Markdown or LaTeX")
    if len(text) > MAX_CHARACTERS:
        raise InvalidArgument(f"the document has {len(text):,} characters; at most {MAX_CHARACTERS:,} "
                              "are audited (split it into several files)")
    found = None
    if part is not None:
        if not isinstance(part, str):
            raise InvalidArgument(f"part must be a part id such as 'activation.tanh_sigmoid', got {part!r}")
        found = registry.get_part(part)   # UnknownPart names the known ones
    return text, found


def audit(text, part: str | None = None, given: str | None = None, *, timeout: float = 5.0,
          seed: int = 0) -> AuditReport:
    """Audit a Markdown or LaTeX document; ``part`` gives the variables and their domains,
    ``given`` definitions such as ``"z = w x + b; y = sigma(z)"``. ``timeout`` is the hard
    limit per step (seconds)."""
    text, found = _checked_input(text, part, given)
    ctx = Context.build(found, given, uses_decimal_commas(text))
    found: list[list] = []   # [display number, display, terms]
    for d, display in enumerate(find_displays(text)):
        for chain in split_chains(display.body, display.start):
            if chain.continues and found:   # a display that opens with '=' goes on from the last
                found[-1][2] += list(chain.terms)
            else:
                found.append([d + 1, display, list(chain.terms)])
    if sum(len(f[2]) for f in found) > MAX_TERMS:
        raise InvalidArgument(f"the document has more than {MAX_TERMS} terms to check; split it into "
                              "several files")
    for _, _, terms in found:   # laws first: "where delta ~ Bernoulli(p)" may come after its use
        for before, term in zip(terms, terms[1:]):
            if term.relation == "∼":
                _law(ctx, before, term)
    chains = []
    for number, display, terms in found:
        terms[0] = replace(terms[0], relation=None)
        steps = _audit_chain(terms, ctx, timeout, seed)
        chains.append(_summarised(len(chains) + 1, number, display, steps))
    return _report(chains, part)


def _audit_chain(terms, ctx: Context, timeout: float, seed: int) -> list[AuditStep]:
    steps: list[AuditStep] = []
    last: tuple[int, Reading] | None = None      # the last term read
    right: tuple[int, Reading] | None = None     # the last term known to hold (before a wrong step)
    first_wrong: int | None = None
    definition = None
    skipped: list = []   # the relations of unreadable terms since the last term read
    sum_prev: int | None = None   # the last term, if it holds a sum over entries (judged at sizes)
    for k, term in enumerate(terms):
        made = dict(index=k, text=term.text, span=(term.start, term.end), relation=term.relation)
        if term.relation == "∼":   # delta ~ Bernoulli(p): a law for E[...] and Var(...), no claim
            steps.append(AuditStep(**made, status=UNCHECKED, message=_law(ctx, terms[k - 1], term)))
            last = None
            continue
        if k == 1 and definition and last is not None:   # z = (2, 1, 0): its entries
            entries = ctx.define_entries(definition, term.text)
            if entries:
                steps.append(AuditStep(**made, status=UNCHECKED, message=f"defines {entries}"))
                last = None
                continue
        try:
            reading = ctx.read(term.text)
        except InvalidArgument as exc:
            steps.append(AuditStep(**made, status=UNCHECKED, message=readable(exc)))
            last = None   # the next step has nothing read to follow from
            continue
        except Exception as exc:   # noqa: BLE001 -- anything the reader raises means unreadable
            steps.append(AuditStep(**made, status=UNREADABLE, message=_unreadable(exc)))
            skipped.append(term.relation)
            continue
        relation, skipped = _composed(skipped + [term.relation]), []
        summed = reading.clean.unjudgeable == SUM_OVER_ENTRIES
        if summed and k == 1 and definition and last is not None:   # x̄ = 1/n sum_i x_i
            ctx.define_sized(definition, term.text)
            steps.append(AuditStep(**made, status=UNCHECKED, understood=reading.understood,
                                   message=f"defines {definition} (its sums are written out at each size)"))
            last, sum_prev = None, k
            continue
        if (summed or (last is None and sum_prev is not None)) and k > 0 \
                and (last is not None or sum_prev is not None):
            # A sum over entries on either side: judged with the sums written out at sizes.
            before = last[0] if last is not None else sum_prev
            j = _at_sizes(ctx, terms[before].text, term.text, relation, timeout, seed)
            steps.append(AuditStep(**made, status=j.status, message=j.message, counterexample=j.counterexample,
                                   diagnosis=j.diagnosis, compared_with=before))
            if j.status == WRONG and first_wrong is None:
                first_wrong = k
            last, sum_prev = (None, k) if summed else ((k, reading), None)
            continue
        if summed:
            steps.append(AuditStep(**made, status=START, understood=reading.understood,
                                   message="the chain starts here (a sum over entries: judged at sizes)"))
            last, sum_prev = None, k
            continue
        sum_prev = None
        if reading.clean.unjudgeable:
            steps.append(AuditStep(**made, status=UNCHECKED, understood=reading.understood,
                                   message=f"read, not judged: {reading.clean.unjudgeable}"))
            last = None
            continue
        if k == 1 and definition is not None and last is not None:
            if definition is not False and not _index_letter(reading):
                ctx.define(definition, reading.stated, bool(rounded_numbers(reading.clean.decimals))
                           or reading.inherited)
            steps.append(AuditStep(**made, status=UNCHECKED, understood=reading.understood,
                                   message=f"defines {definition or _short(terms[0].text)}"))
            last = right = (k, reading)
            continue
        if last is None:
            steps.append(AuditStep(**made, status=START, understood=reading.understood,
                                   message="the chain starts here" if k == 0 else
                                   "follows a term that could not be judged"))
            if k == 0 and _defines(reading, term, terms, ctx):
                definition = reading.symbol
            elif k == 0 and _names(reading, terms, ctx):
                definition = False   # a compound name (Δθ, dW): nothing to put in later
            last = right = (k, reading)
            continue
        units = {terms[last[0]].unit, term.unit} - {None}
        if len(units) > 1:
            steps.append(AuditStep(**made, status=UNCHECKED, understood=reading.understood,
                                   message="a change of units (" + ", ".join(sorted(units)) + ") is not judged"))
            last = (k, reading)
            continue
        j = _judged(last[1], reading, relation, ctx, timeout, seed)
        if j.status == WRONG and (constraint := _sums_to_one(last[1].value, reading.value)):
            j = Judgement(UNCHECKED, f"holds if the entries of {constraint} sum to 1 (a constraint of the "
                                     "problem, e.g. a one-hot label or a softmax)")
        follows = None
        message = j.message
        if first_wrong is not None and term.relation in EQUALITIES and right is not None:
            again = _judged(right[1], reading, term.relation, ctx, timeout, seed)
            follows = again.status == PROVED
            if follows:
                message += f" It equals the right value (term {right[0]}), not what step {first_wrong} gives."
        steps.append(AuditStep(**made, status=j.status, message=message, counterexample=j.counterexample,
                               diagnosis=j.diagnosis, understood=reading.understood, compared_with=last[0],
                               follows_right_value=follows))
        if j.status == WRONG and first_wrong is None:
            first_wrong = k
        if j.status in (PROVED, WRONG, UNCHECKED):
            last = (k, reading)
            if first_wrong is None:
                right = (k, reading)
    return steps


ORDER_UP, ORDER_DOWN = {"≤", "<"}, {"≥", ">"}


def _composed(relations: list):
    """The relation from the last term read to this one across unreadable terms:
    a = [?] = c is an equality, a = [?] ≤ c an inequality, a ⇒ [?] = c no claim at all."""
    rels = [r for r in relations if r is not None]
    if not rels:
        return None
    if all(r in EQUALITIES for r in rels):
        return "="
    if all(r in EQUALITIES or r == "≈" for r in rels):
        return "≈"
    for side in (ORDER_UP, ORDER_DOWN):
        if all(r in EQUALITIES or r in side for r in rels):
            return "<" if any(r in ("<", ">") for r in rels) and side == ORDER_UP else \
                (">" if any(r == ">" for r in rels) else ("≤" if side == ORDER_UP else "≥"))
    return next(r for r in rels if r not in EQUALITIES)


SIZES = (2, 3)


def _at_sizes(ctx: Context, before: str, after: str, relation, timeout, seed) -> Judgement:
    """Both terms read with their sums over entries written out at n = 2 and 3 entries. Wrong
    at every size is wrong (the counterexample names n); equal at every size is not a proof
    for every n, so the step stays unchecked, saying so."""
    results = []
    for n in SIZES:
        try:
            b, a = ctx.read(before, size=n), ctx.read(after, size=n)
        except Exception as exc:   # noqa: BLE001 -- written out, it may still not read
            return Judgement(UNCHECKED, f"a sum over entries that could not be written out: {readable(exc)}")
        why = b.clean.unjudgeable or a.clean.unjudgeable
        if why or b.value is None or a.value is None:
            return Judgement(UNCHECKED, f"read, not judged: {why or 'a term with no value'}")
        mixed = _free_beside_entries(b.value, a.value)
        if mixed:
            return Judgement(UNCHECKED, f"the free index of {mixed} beside its written-out entries is not judged")
        j = _judged(b, a, relation, ctx, timeout, seed)
        if j.status == WRONG:
            constraint = _sums_to_one(b.value, a.value)
            if constraint:
                return Judgement(UNCHECKED, f"holds if the entries of {constraint} sum to 1 (a constraint of "
                                            "the problem, e.g. a one-hot label or a softmax)")
        results.append((n, j))
    statuses = {j.status for _, j in results}
    if statuses == {PROVED}:
        return Judgement(UNCHECKED, f"holds with n = {' and '.join(str(n) for n in SIZES)} entries "
                                    "(sums over entries are checked at sizes, not proved for every n)")
    if statuses == {WRONG}:
        n, j = results[0]
        counter = dict(j.counterexample or {}, n=n)
        return Judgement(WRONG, f"With n = {n} entries: {j.message}", counter, j.diagnosis)
    if len(statuses) == 1:   # unreadable or unchecked at every size: say why once
        return results[0][1]
    return Judgement(UNCHECKED, "; ".join(f"n = {n}: {j.status}" for n, j in results))


def _entries(values) -> dict:
    """base -> its written-out entries (y -> [y_1, y_2]) in the values."""
    out: dict = {}
    for value in values:
        for s in value.free_symbols:
            base, _, index = s.name.rpartition("_")
            if index.isdigit():
                out.setdefault(base, set()).add(s)
    return out


def _free_beside_entries(*values) -> str | None:
    """y when y_i (a free index) and y_1, y_2 (written-out entries) are both used."""
    entries = _entries(values)
    for value in values:
        for s in value.free_symbols:
            base, _, index = s.name.rpartition("_")
            if len(index) == 1 and index.isalpha() and base in entries:
                return base
    return None


def _sums_to_one(before, after) -> str | None:
    """The vector whose entries summing to 1 makes the two sides agree, if one does."""
    for base, symbols in sorted(_entries((before, after)).items()):
        ordered = sorted(symbols, key=lambda s: int(s.name.rpartition("_")[2]))
        if len(ordered) < 2:
            continue
        last = {ordered[-1]: 1 - sp.Add(*ordered[:-1])}
        b, a = before.xreplace(last), after.xreplace(last)
        if _agree(b, a):
            return base
    return None


def _judged(before: Reading, after: Reading, relation, ctx: Context, timeout, seed) -> Judgement:
    try:
        return judge_step(before, after, relation, ctx.domains_of(before.value, after.value), timeout, seed)
    except Exception as exc:   # noqa: BLE001 -- a step the judge cannot take is unchecked, never a crash
        return Judgement(UNCHECKED, f"could not be judged: {readable(exc)}")


def _defines(reading: Reading, term, terms, ctx: Context) -> bool:
    """A chain that starts with one bare name and '=' defines that name, unless the name was
    given (--given): then the chain is a claim about it."""
    if reading.name is None or len(terms) < 2 or terms[1].relation not in EQUALITIES \
            or re.search(r"[-+*/()=]|\\(?:frac|cdot|times)", reading.clean.text):
        return False   # s_1 - 0 = 1/6 reads as s_1 but claims something
    if reading.name in ("i", "j", "k", "l"):
        return False   # "for $i = 1, \dots, n$" ranges an index, it defines no value
    return not any(s.name == reading.name for s in ctx.given)


def _law(ctx: Context, name_term, term) -> str:
    try:
        name = ctx.read(name_term.text).symbol
        if name is None:
            return "a statement about a law, not judged"
        return "states the law " + ctx.state_distribution(name, term.text)
    except Exception as exc:   # noqa: BLE001 -- a law not understood is only not used
        return f"a law not used: {readable(exc)}"


def _index_letter(reading: Reading) -> bool:
    """k = i in prose ("for $k = i$") says which index, not what k is."""
    return isinstance(reading.stated, sp.Symbol) and reading.stated.name in ("i", "j", "k", "l", "m", "n")


def _names(reading: Reading, terms, ctx: Context) -> bool:
    """A chain that starts with a product of names none of which means anything yet (Δθ read
    as Δ·θ, dW) names the quantity of the next term."""
    value = reading.stated
    if len(terms) < 2 or terms[1].relation not in EQUALITIES or value is None \
            or reading.clean.moments or reading.clean.derivatives:
        return False
    call = _CALL.match(terms[0].text)
    if call:   # f(2), \zeta(z), g'(x): a function the document names, unless p(1 - p) = p - p^2
        return not re.search(r"(?<![A-Za-z\\])" + re.escape(call.group(1)) + r"(?![A-Za-z])", terms[1].text)
    factors = value.args if isinstance(value, sp.Mul) else (value,)
    known = set(ctx.stated) | set(ctx.given)
    return all(isinstance(f, sp.Symbol) and f not in known and f.name not in ctx.variables for f in factors)


# One letter or Greek letter applied to arguments: f(x), \zeta(z), h'(0). Known functions
# (\sigma, \tanh, ...) are read as calls by the reader and never match.
_CALL = re.compile(r"^\s*([a-zA-Z]|\\(?:zeta|phi|varphi|psi|chi|xi|eta|kappa|rho|omega|Phi|Psi))\s*"
                   r"(?:'|\^\s*\{?\\prime\}?)*\s*(?:\\left\s*)?\(.*\)\s*$")


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:39] + "…"


def _unreadable(exc: Exception) -> str:
    reason = readable(exc)
    return "could not be read: " + (reason if reason else type(exc).__name__)


def _summarised(index: int, display_no: int, display, steps: list[AuditStep]) -> AuditChain:
    wrong = [s.index for s in steps if s.status == WRONG]
    first = wrong[0] if wrong else None
    if first is None:
        counts = {s: sum(1 for x in steps if x.status == s) for s in (PROVED, UNREADABLE, UNCHECKED)}
        summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n) or "nothing to judge"
    else:
        summary = f"step {first} is wrong"
        later = [s.index for s in steps if s.index > first and s.follows_right_value]
        if later:
            summary += f"; {_ranges(later)} follow from the right value, not from step {first}"
    return AuditChain(index, display_no, display.kind, display.prose, tuple(steps), first, summary,
                      (display.start, display.end))


def _ranges(indices: list[int]) -> str:
    if len(indices) == 1:
        return f"step {indices[0]}"
    if indices == list(range(indices[0], indices[-1] + 1)):
        return f"steps {indices[0]}-{indices[-1]}"
    return "steps " + ", ".join(map(str, indices))


def _report(chains: list[AuditChain], part) -> AuditReport:
    counts = {s: sum(1 for c in chains for x in c.steps if x.status == s) for s in STATUSES}
    first = next(((c.index, c.first_wrong) for c in chains if c.first_wrong is not None), None)
    if first is not None:
        chain = chains[first[0] - 1]
        step = chain.steps[[s.index for s in chain.steps].index(first[1])]
        headline = f"chain {first[0]}, step {first[1]} is wrong: {step.message}"
    elif not chains:
        headline = "no displayed mathematics with a relation was found"
    else:
        headline = (f"no wrong step found in {len(chains)} chain{'s' if len(chains) != 1 else ''} "
                    f"({counts[PROVED]} proved, {counts[UNREADABLE]} unreadable, {counts[UNCHECKED]} unchecked)")
    return AuditReport(tuple(chains), headline, first, part, counts)
