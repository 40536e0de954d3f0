"""``derive export gradescope``: a Gradescope autograder as one zip. At its root ``setup.sh``
(installs derive's libraries when derive is not importable) and ``run_autograder`` (grades
``/autograder/submission/`` with derive and writes ``/autograder/results/results.json``), beside
the grading script, its configuration (the parts, their points), a fallback results file for a
Python that cannot start, and derive's source in ``derive-src/``."""
from __future__ import annotations

import json
import tempfile
import zipfile
from pathlib import Path

from ..errors import InvalidArgument, OutputError
from .common import answer_parts, copy_derive, environment

EXECUTABLE = 0o100755 << 16     # a zip entry's Unix mode: a regular file anyone may run
READABLE = 0o100644 << 16
RUNTIME = ["sympy>=1.12", "numpy>=1.24", "hypothesis>=6.80", "jinja2>=3.1", "lark>=1.1.9",
           "matplotlib>=3.7", "latex2mathml>=3.76"]


def gradescope(names: list[str], out: str | Path, *, points: float = 1.0, timeout: float = 5.0,
               visibility: str = "visible") -> Path:
    """Write the autograder zip for the answer parts ``names`` select to ``out`` (a new or
    replaced ``.zip``); each part is one test worth ``points``."""
    parts = answer_parts(names)
    if visibility not in ("hidden", "after_due_date", "after_published", "visible"):
        raise InvalidArgument(f"visibility {visibility!r} is not one of hidden, after_due_date, "
                              "after_published, visible")
    target = _zip_path(out)
    config = {"parts": [{"id": p.id, "title": p.title, "max_score": points} for p in parts],
              "timeout": timeout, "visibility": visibility}
    env = environment()
    files = {"setup.sh": (env.get_template("gs_setup.sh.tmpl").render(), EXECUTABLE),
             "run_autograder": (env.get_template("gs_run_autograder.tmpl").render(), EXECUTABLE),
             "derive_autograder.py": (env.get_template("gs_autograder.py.tmpl").render(), READABLE),
             "config.json": (json.dumps(config, indent=2) + "\n", READABLE),
             "fallback_results.json": (json.dumps(fallback(config), indent=2) + "\n", READABLE),
             "requirements.txt": ("\n".join(_requirements()) + "\n", READABLE)}
    scratch = target.with_name(f".{target.name}.partial")
    try:
        with zipfile.ZipFile(scratch, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, (text, mode) in files.items():
                entry = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
                entry.external_attr = mode
                entry.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(entry, text)
            with tempfile.TemporaryDirectory() as tmp:
                copy_derive(Path(tmp), vendor=False)
                for path in sorted(Path(tmp).rglob("*")):
                    if path.is_file():
                        archive.write(path, "derive-src/" + path.relative_to(tmp).as_posix())
        scratch.replace(target)
    except OSError as exc:
        scratch.unlink(missing_ok=True)
        raise OutputError(f"cannot write the autograder {str(target)!r}: {exc.strerror or exc}") from None
    return target


def fallback(config: dict) -> dict:
    """The results when the grading script cannot run at all: every test failed, saying so."""
    note = ("The autograder could not start Python with derive (see the autograder's build log: "
            "setup.sh installs derive's libraries). Tell your instructor; resubmitting will not help.")
    return {"score": 0.0, "execution_time": 0, "output": note, "output_format": "md",
            "stdout_visibility": "hidden", "visibility": config["visibility"],
            "tests": [{"name": f"{p['id']}: {p['title']}", "number": str(i), "score": 0.0,
                       "max_score": p["max_score"], "status": "failed", "output": note,
                       "output_format": "md", "visibility": config["visibility"]}
                      for i, p in enumerate(config["parts"], 1)]}


def _zip_path(out: str | Path) -> Path:
    target = Path(out)
    if target.is_dir():
        raise OutputError(f"--out {str(target)!r} is a folder; give the autograder's file name, "
                          "e.g. --out autograder.zip")
    if target.suffix.lower() != ".zip":
        raise OutputError(f"--out {str(target)!r} must name a .zip file (Gradescope takes the "
                          "autograder as a zip), e.g. --out autograder.zip")
    if not target.parent.is_dir():
        raise OutputError(f"cannot write {str(target)!r}: the folder {str(target.parent)!r} does not exist")
    return target


def _requirements() -> list[str]:
    """derive's runtime libraries, as the installed package declares them."""
    try:
        from importlib.metadata import requires
        declared = [r for r in requires("derive") or [] if "extra ==" not in r]
    except Exception:           # a source checkout that was never installed
        declared = []
    return declared or RUNTIME
