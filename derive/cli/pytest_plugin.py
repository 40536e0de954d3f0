"""The pytest plugin: keep a course's own problem modules green in its own CI.

``pytest --derive-problems PATH`` (a problem module or a folder of them; repeatable) collects
one test per part and verifies it as ``derive verify`` does (through :mod:`derive.pipeline`). A refuted or failed part fails
with each refuted claim and its counterexample; each test carries a mark named for its family,
so ``-m temperature`` selects one family. Installed with derive (entry point ``pytest11``).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from ..errors import DeriveError, PartRefuted
from ..model import registry
from ..model.claim import FAILED, REFUTED

OPTION = "--derive-problems"


def pytest_addoption(parser):
    group = parser.getgroup("derive")
    group.addoption(OPTION, action="append", default=[], metavar="PATH",
                    help="verify every part of the derive problem modules in PATH (a .py file "
                         "or a folder of them); may be given more than once")
    group.addoption("--derive-seed", type=int, default=0, metavar="N",
                    help="seed of derive's random cases (default 0)")


def problem_files(path: Path) -> list[Path]:
    """The problem modules a PATH names: the file itself, or a folder's non-private modules."""
    if path.is_file():
        return [path]
    if path.is_dir():
        return sorted(p for p in path.glob("*.py") if not p.name.startswith("_"))
    raise pytest.UsageError(f"{OPTION} {str(path)!r}: no such file or folder")


def pytest_collection_modifyitems(session, config, items):
    for given in config.getoption(OPTION):
        for path in problem_files(Path(given).expanduser().resolve()):
            items.extend(ProblemModule.from_parent(session, path=path).collect())


class ProblemModule(pytest.File):
    def collect(self):
        try:
            family = registry.load_file(self.path)
        except DeriveError as exc:
            raise self.CollectError(f"{self.path}: {exc}") from None
        self.config.addinivalue_line("markers", f"{family.name}: parts of the {family.name} family")
        for part in family.parts:
            item = PartItem.from_parent(self, name=part.id, part=part)
            item.add_marker(getattr(pytest.mark, family.name))
            yield item


class PartItem(pytest.Item):
    def __init__(self, *, part, **kwargs):
        super().__init__(**kwargs)
        self.part = part

    def runtest(self):
        from ..pipeline import verified
        report = verified(self.part, seed=self.config.getoption("--derive-seed"))
        self.user_properties.append(("outcome", report.outcome))
        if report.outcome in (REFUTED, FAILED):
            raise PartRefuted(report)

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, PartRefuted):
            return refutation(excinfo.value.report)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, None, f"derive part {self.part.id}"


def refutation(report) -> str:
    """A refuted part's failure text: each refuted or failed claim and its counterexample."""
    lines = [f"{report.part.id}: {report.outcome}"]
    for claim in report.claims:
        if claim.outcome not in (REFUTED, FAILED):
            continue
        if claim.worst_error is not None and claim.tolerance is not None:
            why = f"worst error {claim.worst_error:.3g} > tolerance {claim.tolerance:g} ({claim.method})"
        else:
            why = claim.detail or claim.statement
        lines.append(f"  {claim.kind}: {claim.outcome}. {why}")
        if claim.counterexample:
            lines.append("  counterexample: " + json.dumps(claim.counterexample, default=str))
    return "\n".join(lines)
