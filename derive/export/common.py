"""What every export shares: the answer parts asked for, a stable id per part, the kind of
input an answer needs, and the copy of derive (and the pure-Python libraries a check needs
beyond SymPy and NumPy) that travels with the export."""
from __future__ import annotations

import hashlib
import importlib.util
import re
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import jinja2

from ..answers.decide.judge import expected_latex
from ..errors import InvalidArgument, OutputError
from ..model import registry
from ..model.part import Part

TEMPLATES = Path(__file__).resolve().parent / "templates"
# What derive.check and derive.audit import beyond the standard library, SymPy (with mpmath)
# and NumPy, which every platform here has: PrairieLearn's Python lacks these.
VENDORED = ("lark", "hypothesis", "_hypothesis_globals", "sortedcontainers")
SOURCES = ("derive", "problems")
NUMBER, SYMBOLIC, TEXT = "number", "symbolic", "text"
MARK = ".derive-export"     # in every package folder an export copied, so the next may replace it


@dataclass(frozen=True)
class Exported:
    """One answer part as the platforms see it: its id, title, topic, the input it needs
    (``number``, ``symbolic`` for a scalar expression, ``text`` for derive's own notation:
    vectors, matrices, sums, conditions), the variables a symbolic input accepts, the expected
    answer in LaTeX and its left-hand side."""
    part: Part
    kind: str
    variables: tuple[str, ...]
    expected: str
    label: str
    value: float | None = None

    @property
    def id(self) -> str:
        return self.part.id


def answer_parts(names: list[str]) -> list[Part]:
    """The answer parts ``names`` select (ids, families, ``family.*``), in catalogue order.
    A part named by its id that takes no answers is refused; a family brings its answer parts."""
    if not names:
        raise InvalidArgument("name at least one part or family to export (run `derive list` to see "
                              "which parts take answers)")
    chosen: list[Part] = []
    for name in names:
        parts = registry.select([name])
        if len(parts) == 1 and parts[0].id == name and not parts[0].answer:
            raise InvalidArgument(f"part {name!r} takes no answers, so it cannot be graded; parts that do: "
                                  f"{_answer_ids(name)}")
        chosen += [p for p in parts if p.answer and p not in chosen]
    if not chosen:
        raise InvalidArgument(f"no part in {', '.join(map(repr, names))} takes answers; parts that do: "
                              f"{_answer_ids(names[0])}")
    outside = [p.id for p in chosen if not _shipped(p.family)]
    if outside:
        raise InvalidArgument(f"{', '.join(outside)} come{'s' * (len(outside) == 1)} from a problem file "
                              f"(--problems), which an export cannot ship; put the module in {SOURCES[1]}/ "
                              "to export it")
    return chosen


def _shipped(family: str) -> bool:
    """Whether the family's module is in the catalogue package the export copies."""
    try:
        return importlib.util.find_spec(f"{SOURCES[1]}.{family}") is not None
    except ModuleNotFoundError:
        return False


def _answer_ids(near: str) -> str:
    family = near.split(".")[0]
    ids = [p.id for p in registry.all_parts() if p.answer]
    close = [i for i in ids if i.split(".")[0] == family] or ids
    return ", ".join(close[:10]) + (" ..." if len(close) > 10 else "")


def stable_uuid(part_id: str) -> str:
    """A UUID v4 in form (version and variant bits set) drawn from the part id, so every export
    of a part gives its question the same id and PrairieLearn keeps its history.

    >>> stable_uuid("softmax.ce_grad") == stable_uuid("softmax.ce_grad")
    True
    """
    digest = hashlib.sha256(f"derive/prairielearn/{part_id}".encode()).digest()[:16]
    return str(uuid.UUID(bytes=digest, version=4))


def exported(part: Part) -> Exported:
    expected = expected_latex(part)
    value = _number(part)
    label = part.result_lhs or ""
    if value is not None:
        return Exported(part, NUMBER, (), expected, label, value)
    kind = SYMBOLIC if _plain_expression(part, expected) else TEXT
    return Exported(part, kind, tuple(v.name for v in part.variables), expected, label)


def _number(part: Part) -> float | None:
    if part.variables:
        return None
    try:
        value = part.result(part.general)
        return float(value) if getattr(value, "is_number", False) and value.is_real else None
    except Exception:      # a result that is not one number (a set, a tensor) is typed as text
        return None


CONDITION = re.compile(r"<|>|\\(?:le|ge|leq|geq|leqslant|geqslant|lt|gt|ne|neq)(?![A-Za-z])")


# PrairieLearn's symbolic input reads an expression in named scalar variables with its own
# parser and refuses the rest as a format error before grade() runs: names with subscripts,
# brackets, floors, sums, Heaviside's H, expectations. Those answers are typed as derive text.
PLAIN_NAME = re.compile(r"^[A-Za-z]+[0-9]*$")
NOT_PLAIN = re.compile("|".join(map(re.escape, ("\\mathbb", "\\lfloor", "\\lceil", "\\operatorname", "\\sum",
                                                 "\\prod", "\\circ", "\\|", "\\\\", "[")))
                       + r"|(?<![A-Za-z\\])H\\left")


def _plain_expression(part: Part, expected: str) -> bool:
    """Whether PrairieLearn's symbolic input can read the answer (see PLAIN_NAME)."""
    return bool(part.variables) and all(not v.shape and PLAIN_NAME.match(v.name) for v in part.variables) \
        and not _is_condition(expected) and NOT_PLAIN.search(expected) is None


def _is_condition(latex: str) -> bool:
    """Whether the expected answer is a condition (``0 < \\epsilon < 2/\\lambda``), which no
    expression input reads; ``\\left(`` is no ``\\le``."""
    return CONDITION.search(latex) is not None


def environment() -> jinja2.Environment:
    """The templates' environment: ``[[ ]]`` and ``[% %]`` delimiters, since the platform files
    themselves use ``{{ }}`` (PrairieLearn's Mustache) and ``${...}`` (the shell)."""
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined,
                              variable_start_string="[[", variable_end_string="]]",
                              block_start_string="[%", block_end_string="%]", comment_start_string="[#",
                              comment_end_string="#]", keep_trailing_newline=True, autoescape=False)


def copy_derive(dest: Path, vendor: bool = True) -> list[str]:
    """Copy derive and the catalogue (and, with ``vendor``, the libraries in VENDORED) into
    ``dest`` as importable packages; the names copied."""
    names = list(SOURCES) + (list(VENDORED) if vendor else [])
    for name in names:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            raise OutputError(f"cannot find the package {name!r} to ship with the export; install it "
                              f"(python3 -m pip install {name.strip('_')})")
        origin = Path(spec.origin)
        if origin.name == "__init__.py":
            target = dest / name
            if target.exists():
                if not (target / MARK).exists():
                    raise OutputError(f"{str(target)!r} exists and was not written by derive export; move "
                                      "it away or export into another folder")
                shutil.rmtree(target)     # an earlier export's copy: replaced whole, no stale modules
            shutil.copytree(origin.parent, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            (target / MARK).write_text("written by derive export; replaced by the next export\n")
        else:
            shutil.copy2(origin, dest / origin.name)
    return names


def prepare_folder(out: Path, what: str) -> Path:
    """``out`` as an existing, writable folder; a clear OutputError otherwise."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {str(out)!r} is a file; the {what} export needs a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".derive-write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise OutputError(f"cannot write into --out {str(out)!r}: {exc.strerror or exc}; "
                          "choose a writable folder") from None
    return out
