"""Every registered part: its closed form proved at every size, every step proved, and the
independent numeric oracle agreeing within the stated tolerance."""
import pytest

from derive import all_parts, verify_part
from derive.verify.claims import PASSED, PROVED

PARTS = all_parts()


@pytest.mark.parametrize("part", PARTS, ids=[p.id for p in PARTS])
def test_part_is_proved_and_cross_checked(part):
    report = verify_part(part, seed=1)
    failures = [c for c in report.claims if c.outcome not in (PROVED, PASSED)]
    assert not failures, "\n".join(f"{c.kind} {c.statement}: {c.outcome}: {c.detail} {c.counterexample}"
                                   for c in failures)
    closed = report.claims[0]
    assert closed.kind == "closed form" and closed.sizes, "the closed form must be proved at some size"
    if part.oracle is not None:
        numeric = report.numeric()
        assert numeric.cases >= 1 and numeric.worst_error <= numeric.tolerance


@pytest.mark.parametrize("part", PARTS, ids=[p.id for p in PARTS])
def test_part_declares_what_a_sheet_and_a_checker_need(part):
    assert part.title and part.statement and part.result_lhs
    assert part.oracle is not None, "every part needs an independent numeric oracle"
    if part.answer:
        assert all(v.name for v in part.variables)
    for neighbour in part.neighbours:
        assert any(p.id == neighbour for p in PARTS), f"{part.id}: unknown neighbour {neighbour}"
