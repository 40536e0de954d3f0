"""A variant for every student: ``variant(part_id, seed)`` draws the part's parameters from the
seed (a student id), verifies the drawn part like the original (proof, oracle, checks, the
declared slips judged by the checker) and redraws one that fails, saying so.

``check(part_id, answer, variant=seed)`` judges an answer against that variant's result.
"""
from __future__ import annotations

import hashlib
import sys
import threading
from dataclasses import dataclass
from typing import Callable

from ..answers.serve.worker import check as _check
from ..errors import RosterError, UnknownPart, VariantFailed
from ..model import registry
from ..model.claim import FAILED, REFUTED, PartRecord
from ..model.parameters import checked_seed, variant_part
from ..model.part import Part
from ..model.verdict import Verdict
from .records import finish

ATTEMPTS = 5   # draws of a seed before giving up: each is verified, and a failing one is redrawn


@dataclass(frozen=True)
class Variant:
    """One student's variant of a part: the seed text, the drawn ``values``, the ``part`` made
    from them, its verified ``record`` (None when made with ``verify=False``), the ``attempt``
    it came from and why each earlier attempt was redrawn."""
    part_id: str
    seed: str
    values: dict
    part: Part
    record: PartRecord | None
    attempt: int = 0
    redrawn: tuple[str, ...] = ()

    @property
    def outcome(self) -> str:
        return self.record.outcome if self.record else "unverified"

    def to_json(self) -> dict:
        return {"part": self.part_id, "seed": self.seed, "values": {k: str(v) for k, v in self.values.items()},
                "attempt": self.attempt, "redrawn": list(self.redrawn), "outcome": self.outcome}


_made: dict[tuple, Variant] = {}
_lock = threading.Lock()


def failure(record: PartRecord) -> str | None:
    """Why a verified variant cannot be used: a refuted or failed claim, or a declared slip the
    checker does not judge incorrect (at these numbers the slip may be right)."""
    if record.outcome in (REFUTED, FAILED):
        bad = [c for c in record.report.claims if c.outcome in (REFUTED, FAILED)]
        return f"{bad[0].kind} {bad[0].outcome}: {bad[0].detail}" if bad else record.outcome
    for slip in record.slips:
        if slip["status"] != "incorrect":
            return f"the slip {slip['answer']!r} is judged {slip['status']} at these numbers"
    return None


def variant(part_id: str, seed: str, *, verify: bool = True, budget: float = 10.0,
            cases: int | None = None, say: Callable[[str], None] | None = None) -> Variant:
    """The variant of ``part_id`` for ``seed`` (any text: a student id), the same on every machine.

    Verified like the original part before it is returned; an attempt that fails is redrawn
    (``Variant.redrawn`` says why, and ``say`` hears it). Raises UnknownPart, NotParametrised
    (a part without parameters), InvalidArgument (a seed that is not text).
    """
    seed = checked_seed(seed)
    part = registry.get_part(part_id) if isinstance(part_id, str) else part_id
    if not isinstance(part, Part):
        raise UnknownPart(repr(part_id), [p.id for p in registry.all_parts()])
    key = (part.id, id(part), seed, verify, budget, cases)
    with _lock:
        if key in _made:
            return _made[key]
    redrawn: list[str] = []
    for attempt in range(ATTEMPTS):
        drawn, values = variant_part(part, seed, attempt)
        if not verify:
            made = Variant(part.id, seed, values, drawn, None, attempt, tuple(redrawn))
            break
        record = finish(drawn, budget=budget, cases=cases)
        reason = failure(record)
        if reason is None:
            made = Variant(part.id, seed, values, drawn, record, attempt, tuple(redrawn))
            break
        note = f"{part.id} for seed {seed!r}: attempt {attempt} ({_values_text(values)}) failed verification ({reason}); redrawn"
        redrawn.append(note)
        (say or (lambda m: print(f"derive: {m}", file=sys.stderr)))(note)
    else:
        raise VariantFailed(f"{part.id} for seed {seed!r}: all {ATTEMPTS} attempts failed verification: "
                            + "; ".join(redrawn))
    with _lock:
        _made[key] = made
    return made


_variant_of = variant   # for check, whose keyword ``variant`` is the seed


def verified_draw(part_id: str, seed: str) -> tuple[str, int]:
    """(seed, attempt) of the seed's verified variant: the resolver ``derive grade`` uses."""
    made = variant(part_id, seed)
    return made.seed, made.attempt


def _values_text(values: dict) -> str:
    return ", ".join(f"{k} = {v}" for k, v in values.items())


def check(part_id: str, answer: str, *, variant: str | None = None, syntax: str = "auto", seed: int = 0,
          timeout: float | None = 5.0) -> Verdict:
    """Check ``answer`` to ``part_id``; with ``variant`` (a seed such as a student id), against
    that student's verified variant of the part. Otherwise as :func:`derive.answers.serve.check`."""
    if variant is None or not registry.get_part(part_id).answer:   # the latter is refused, unverified
        return _check(part_id, answer, syntax=syntax, seed=seed, timeout=timeout)
    made = _variant_of(part_id, variant)
    return _check(part_id, answer, syntax=syntax, seed=seed, timeout=timeout, variant=(made.seed, made.attempt))


# ----------------------------------------------------------------------------- a roster's sheets
ID_COLUMNS = ("id", "student", "student_id", "sid")


def read_roster(path) -> list[str]:
    """The student ids of a roster CSV: the column named id, student, student_id or sid (any
    case), in file order, blanks skipped, each once."""
    import csv
    from pathlib import Path
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise RosterError(f"cannot read roster {str(path)!r}: {getattr(exc, 'strerror', None) or exc}") from None
    rows = list(csv.reader(text.splitlines()))
    if not rows:
        raise RosterError(f"roster {str(path)!r} is empty; it needs a header with an id column "
                          f"({', '.join(ID_COLUMNS)}) and one row per student")
    header = [h.strip().lower() for h in rows[0]]
    column = next((header.index(c) for c in ID_COLUMNS if c in header), None)
    if column is None:
        raise RosterError(f"roster {str(path)!r} has no id column: its columns are "
                          f"{', '.join(repr(h) for h in rows[0]) or '(none)'}; name one of them "
                          f"{', '.join(ID_COLUMNS)}")
    ids: list[str] = []
    for row in rows[1:]:
        sid = row[column].strip() if column < len(row) else ""
        if sid and sid not in ids:
            ids.append(sid)
    if not ids:
        raise RosterError(f"roster {str(path)!r} has an id column but no student in it")
    return ids


def file_stem(student: str, taken: set[str]) -> str:
    """A file name for a student's sheet: letters, digits and hyphens (safe in LaTeX too),
    with a short hash when the id has none or another id gives the same name."""
    import re
    stem = re.sub(r"[^A-Za-z0-9]+", "-", student).strip("-")[:40]
    if not stem or stem.lower() in taken:
        stem = f"{stem or 'student'}-{hashlib.sha256(student.encode('utf-8')).hexdigest()[:8]}"
    taken.add(stem.lower())
    return stem


def _intro(student: str) -> str:
    """The sheet's introduction; the id is text (a $ in it is not mathematics) and the command
    is quoted for the shell."""
    import shlex
    shown = student.replace("$", r"\$").replace("`", "'")
    command = f"derive check PART ANSWER --variant {shlex.quote(student)}".replace("`", "'")
    return (f"Your own numbers, drawn from your id {shown}: the same id always gives the same numbers. "
            f"Check an answer with ``{command}``.")


def build_variants(students: list[str], parts: list[Part], out, *, formats, solutions: bool,
                   budget: float = 10.0, cases: int | None = None,
                   stage: Callable[[str], None] | None = None, say: Callable[[str], None] | None = None) -> dict:
    """One sheet per student in ``out/<id>/``: each part's verified variant for that student
    (statement only, or with ``solutions``), plus ``out/index.html`` and ``out/variants.json``
    (each student's values, attempts and redraws). Returns what variants.json holds."""
    import json
    from pathlib import Path
    from ..model.registry import Family
    from ..render.writer import build, environment, write_atomic
    out = Path(out)
    begin = stage or (lambda m: None)
    taken: set[str] = set()
    listing = []
    for n, student in enumerate(students, 1):
        made = []
        for part in parts:
            begin(f"drawing and verifying {part.id} for {student!r} ({n}/{len(students)})")
            made.append(variant(part, student, budget=budget, cases=cases, say=say))
        stem = file_stem(student, taken)
        family = Family(stem, f"{'Solutions' if solutions else 'Problems'} for {student}", _intro(student),
                        tuple(v.part for v in made))
        build([family], {v.part.id: v.record for v in made}, out / stem, formats=formats,
              stage=stage, statement_only=not solutions)
        listing.append({"student": student, "sheet": f"{stem}/{stem}.html", "variants": [v.to_json() for v in made]})
    index = environment("html").get_template("variants.html.j2").render(
        students=listing, solutions=solutions, parts=[p.id for p in parts])
    write_atomic(out / "index.html", index)
    write_atomic(out / "variants.json", json.dumps(listing, indent=2))
    return {"students": listing}
