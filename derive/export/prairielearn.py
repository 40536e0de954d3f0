"""``derive export prairielearn``: one PrairieLearn question folder per answer part, and derive
itself in the course's ``serverFilesCourse/``, so each question's ``server.py`` grades with
derive's checker in PrairieLearn's own Python (see the README for why not external grading).

The layout is a course's: ``OUT/questions/derive/<part>/{info.json,question.html,server.py}``
and ``OUT/serverFilesCourse/{derive_pl.py,derive/,problems/,...}``.
"""
from __future__ import annotations

import json
from pathlib import Path

from ..model import registry
from .common import answer_parts, copy_derive, environment, exported, prepare_folder, stable_uuid

QUESTIONS = Path("questions") / "derive"
SERVER_FILES = Path("serverFilesCourse")
INFO_KEYS = ("uuid", "type", "title", "topic", "tags", "singleVariant", "gradingMethod")


def draws_variants(part) -> bool:
    """Whether the question draws a variant per PrairieLearn seed: the part has parameters."""
    return getattr(part, "parameters", None) is not None


def info(item) -> dict:
    """info.json of a question: the keys PrairieLearn requires and three optional ones."""
    part = item.part
    family = next(f for f in registry.families() if f.name == part.family)
    return {"uuid": stable_uuid(part.id), "type": "v3", "title": part.title, "topic": family.title,
            "tags": ["derive", part.family, item.kind], "singleVariant": not draws_variants(part),
            "gradingMethod": "Internal"}


def question_html(item) -> str:
    lhs = item.label or "\\text{answer}"
    return environment().get_template("pl_question.html.tmpl").render(
        kind=item.kind, label=f"${lhs} =$", lhs=lhs, variables=", ".join(item.variables))


def server_py(item) -> str:
    return environment().get_template("pl_server.py.tmpl").render(
        part_id=item.id, title=item.part.title, part_repr=repr(item.id), expected_repr=repr(item.expected),
        value_repr=repr(item.value))


def prairielearn(names: list[str], out: str | Path, *, vendor: bool = True) -> list[Path]:
    """Write the question folders of the answer parts ``names`` select, and derive's copy in
    ``serverFilesCourse/``, under ``out`` (a course's root or a folder to merge into one);
    the question folders written. ``vendor=False`` leaves out the libraries derive needs beyond
    SymPy and NumPy (for a course that installs them itself)."""
    items = [exported(p) for p in answer_parts(names)]
    root = prepare_folder(Path(out), "PrairieLearn")
    folders = []
    for item in items:
        folder = root / QUESTIONS / item.id
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "info.json").write_text(json.dumps(info(item), indent=2, ensure_ascii=False) + "\n")
        (folder / "question.html").write_text(question_html(item))
        (folder / "server.py").write_text(server_py(item))
        folders.append(folder)
    shared = root / SERVER_FILES
    shared.mkdir(parents=True, exist_ok=True)
    copy_derive(shared, vendor=vendor)
    (shared / "derive_pl.py").write_text(environment().get_template("derive_pl.py.tmpl").render(
        version=_version()))
    return folders


def _version() -> str:
    try:
        from importlib.metadata import version
        return version("derive")
    except Exception:           # a source checkout that was never installed
        return "(source checkout)"
