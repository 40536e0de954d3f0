"""The summary page of a grading (templates/html/summary.html.j2): per-part correctness,
the commonest diagnoses, and the rows graded invalid."""
from __future__ import annotations

from collections import Counter, defaultdict
from typing import Iterable

from .submissions import Row, printable
from ...model.verdict import INVALID, Diagnosis, Verdict

__all__ = ["counted", "diagnosis_group", "invalid_rows", "summarise", "summary_html"]


def diagnosis_group(diagnosis: Diagnosis) -> tuple[str, str]:
    """What the summary counts a diagnosis as: a slip the part declares by its own words
    (every declared slip has the kind "slip", which alone says nothing), any other diagnosis
    by its kind alone (its detail names this answer's term or factor)."""
    if diagnosis.kind == "slip" and diagnosis.detail:
        return diagnosis.kind, diagnosis.detail
    return diagnosis.kind, ""


def summarise(verdicts: Iterable[Verdict]) -> dict:
    """Counts for the summary: ``parts`` (part -> status counts), ``diagnoses`` (part ->
    counts of :func:`diagnosis_group`), ``overall`` (group -> count) and ``overall_parts``
    (group -> the parts it was found in)."""
    parts: dict[str, Counter] = defaultdict(Counter)
    diagnoses: dict[str, Counter] = defaultdict(Counter)
    overall: Counter = Counter()
    where: dict[tuple, set] = defaultdict(set)
    for v in verdicts:
        part = v.part or "(none)"
        parts[part][v.status] += 1
        if v.diagnosis:
            group = diagnosis_group(v.diagnosis)
            diagnoses[part][group] += 1
            overall[group] += 1
            where[group].add(part)
    return {"parts": parts, "diagnoses": diagnoses, "overall": overall, "overall_parts": where}


INVALID_SHOWN = 500    # rows graded invalid listed on the page; the verdicts file has them all
COMMONEST_SHOWN = 5    # diagnoses listed for one part


def counted(n: int, noun: str) -> str:
    """'1 row', '7 rows'."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def summary_html(verdicts: list[Verdict], source: str, seconds: float,
                 invalid: Iterable[str] = ()) -> str:
    """The summary page (templates/html/summary.html.j2); ``invalid`` lists the rows graded
    invalid, each as "row N (line L): why"."""
    from ...render.writer import environment
    s = summarise(verdicts)
    total = Counter(v.status for v in verdicts)
    invalid = list(invalid)

    def shown(group, count, **extra):
        return {"kind": group[0], "detail": group[1], "count": count, **extra}

    parts = []
    for part in sorted(s["parts"]):
        c = s["parts"][part]
        n = sum(c.values())
        parts.append({"part": part, "n": n, **{k: c[k] for k in ("correct", "incorrect", "invalid", "undecided")},
                      "share": c["correct"] / n if n else 0.0,
                      "common": [shown(g, m) for g, m in s["diagnoses"][part].most_common(COMMONEST_SHOWN)]})
    overall = [shown(g, m, parts=sorted(s["overall_parts"][g])) for g, m in s["overall"].most_common(20)]
    return environment("html").get_template("summary.html.j2").render(
        source=source, answers=len(verdicts), seconds=seconds, totals=total, parts=parts,
        overall=overall, invalid=invalid[:INVALID_SHOWN], invalid_total=len(invalid), counted=counted)


def invalid_rows(rows: list[Row], verdicts: list[Verdict]) -> list[str]:
    """Every row graded invalid, as "row N (line L): why" (the first line of the message: a
    parse error's caret picture stays in the verdicts file)."""
    out = []
    for row, verdict in zip(rows, verdicts):
        if verdict.status != INVALID:
            continue
        why = printable(verdict.message.splitlines()[0].rstrip(":") if verdict.message else "invalid")
        out.append(why if why.startswith(row.where) else f"{row.where}: {why}")
    return out
