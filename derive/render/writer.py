"""Writes solution sheets: HTML pages (MathML, inline CSS and SVG, so they work offline),
LaTeX sources and, when pdflatex is installed, PDFs.

One Jinja environment factory serves both formats. LaTeX templates use ``\\VAR{...}`` and
``\\BLOCK{...}`` delimiters because ``{`` and ``%`` are everywhere in LaTeX. Both formats
escape by default: whatever a filter did not mark as safe is escaped for its format.

>>> from derive import families
>>> from derive.pipeline import finish
>>> fams = [f for f in families() if f.name == "activation"]
>>> records = {p.id: finish(p) for f in fams for p in f.parts}
>>> build(fams, records, "build", formats={"html"})  # doctest: +SKIP
[PosixPath('build/activation.html'), PosixPath('build/index.html')]
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

import jinja2
from markupsafe import Markup, escape

from . import figures as figure_files
from ..errors import InvalidArgument, LatexFailed, OutputError
from .mathml import display_mathml, to_mathml
from ..model.registry import Family
from .sheets import FamilySheet, family_sheet
from ..model.claim import PartRecord
from ..verify.claims import FAILED, PASSED, PROVED, REFUTED, TESTED

FORMATS = ("html", "tex", "pdf")
def _templates_folder() -> Path:
    """templates/ of the source tree, or the copy a non-editable install ships in the package."""
    here = Path(__file__).resolve().parent
    # render/ sits in derive/, which sits beside templates/ in the source tree
    for candidate in (here.parent.parent / "templates", here.parent / "templates"):
        if candidate.is_dir():
            return candidate
    raise OutputError(f"no templates folder beside {here}; reinstall derive")


TEMPLATES = _templates_folder()
PDFLATEX_HINT = ("install TeX Live (Debian/Ubuntu: apt-get install texlive-latex-base "
                 "texlive-latex-recommended texlive-fonts-recommended), then run derive build again")
PDFLATEX_TIMEOUT = 180  # seconds; a sheet compiles in about one second
LATEX_LOGS = ".latex"   # OUT/.latex/<family>.log: the last pdflatex log of each sheet


# ---------------------------------------------------------------- text and math

class TexSafe(str):
    """LaTeX a filter produced; the .tex environment does not escape it again."""


_TEX_SPECIALS = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "_": r"\_", "%": r"\%",
                 "&": r"\&", "#": r"\#", "$": r"\$", "^": r"\textasciicircum{}",
                 "~": r"\textasciitilde{}", "<": r"\textless{}", ">": r"\textgreater{}",
                 "|": r"\textbar{}"}
_TEX_SPECIAL = re.compile("|".join(re.escape(c) for c in _TEX_SPECIALS))
# $math$ (not \$), or ``code`` as docstrings write it.
_INLINE = re.compile(r"(?<!\\)\$(?P<math>.+?)(?<!\\)\$|``(?P<code>.+?)``", re.S)


def tex_escape(text: str) -> str:
    """Plain text as LaTeX source: ``50% of x_1`` -> ``50\\% of x\\_1``."""
    return _TEX_SPECIAL.sub(lambda m: _TEX_SPECIALS[m.group()], text)


def split_inline(text: str) -> list[tuple[str, str]]:
    """Prose as ("text" | "math" | "code", piece) pairs: ``$...$`` is math, a double
    backquoted span is code, ``\\$`` is a literal dollar."""
    pieces, at = [], 0
    for match in _INLINE.finditer(text):
        if match.start() > at:
            pieces.append(("text", text[at:match.start()]))
        kind = "math" if match.group("math") is not None else "code"
        pieces.append((kind, match.group(kind)))
        at = match.end()
    if at < len(text):
        pieces.append(("text", text[at:]))
    return [(k, p.replace(r"\$", "$") if k == "text" else p) for k, p in pieces]


def mathml(tex: str, display: bool = False) -> Markup:
    """LaTeX math as a MathML element; LaTeX it cannot convert is shown as source."""
    out = to_mathml(tex, display)
    return Markup('<code class="tex">{}</code>').format(tex) if out is None else Markup(out)


# ---------------------------------------------------------------- filters, one registry

TONES = {PROVED: "ok", PASSED: "ok", TESTED: "warn", REFUTED: "bad", FAILED: "bad"}


def _html_inline(text: str) -> Markup:
    html = {"math": mathml, "code": lambda p: Markup("<code>{}</code>").format(p), "text": escape}
    return Markup("").join(html[kind](piece) for kind, piece in split_inline(text))


def _html_display(tex: str) -> Markup:
    # One MathML element per top-level term, so a long line wraps between terms (display_mathml).
    out = display_mathml(tex)
    body = Markup('<code class="tex">{}</code>').format(tex) if out is None else Markup(out)
    return Markup('<div class="display">{}</div>').format(body)


def _tex_inline(text: str) -> TexSafe:
    # -{}- keeps a command's -- two hyphens (the font would join them into a dash)
    tex = {"math": lambda p: f"${p}$", "code": lambda p: rf"\texttt{{{re.sub('-(?=-)', '-{}', tex_escape(p))}}}",
           "text": tex_escape}
    return TexSafe("".join(tex[kind](piece) for kind, piece in split_inline(text)))


_MATRIX = re.compile(r"\\begin\{matrix\}(.*?)\\end\{matrix\}", re.S)


def _display_cells(tex: str) -> str:
    # Matrix cells are set in text style; a column of fractions would shrink to unreadable.
    def cells(m):
        body = re.sub(r"(&|\\\\)", lambda s: s.group(1).replace("\\\\", r"\\[0.8ex]") + r"\displaystyle ",
                      m.group(1))
        return rf"\begin{{matrix}}\displaystyle {body}\end{{matrix}}"
    return _MATRIX.sub(cells, tex)


def _tex_display(tex: str) -> TexSafe:
    return TexSafe(rf"\showmath{{{_display_cells(tex)}}}")


def _tex_boxed(tex: str) -> TexSafe:
    return TexSafe(rf"\showmath{{\boxed{{{_display_cells(tex)}}}}}")


def _tone(outcome: str) -> str:
    return TONES.get(outcome, "warn")


FILTERS: dict[str, dict[str, Callable]] = {
    "html": {"inline": _html_inline, "display": _html_display, "boxed": _html_display, "tone": _tone},
    "tex": {"inline": _tex_inline, "display": _tex_display, "boxed": _tex_boxed, "tone": _tone},
}


def _tex_finalize(value):
    return value if isinstance(value, TexSafe) else tex_escape(str(value))


_DELIMITERS = {
    "html": dict(autoescape=True),
    "tex": dict(block_start_string=r"\BLOCK{", block_end_string="}",
                variable_start_string=r"\VAR{", variable_end_string="}",
                comment_start_string=r"\#{", comment_end_string="}",
                autoescape=False, finalize=_tex_finalize),
}


@lru_cache(maxsize=None)
def environment(kind: str) -> jinja2.Environment:
    """The Jinja environment for ``kind`` ("html" or "tex"): templates/<kind>/, strict
    undefined variables, and the filters of FILTERS[kind]."""
    if kind not in _DELIMITERS:
        raise InvalidArgument(f"no templates for {kind!r}; template kinds are {sorted(_DELIMITERS)}")
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES / kind),
                             undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True, keep_trailing_newline=True, **_DELIMITERS[kind])
    env.filters.update(FILTERS[kind])
    return env


# ---------------------------------------------------------------- files

def write_atomic(path: Path, data: str | bytes) -> Path:
    """Write via a temporary file in the same folder and os.replace, so a reader never
    sees half a sheet."""
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; sheets are for publishing
        os.replace(tmp, path)
    except OSError as exc:
        if "tmp" in locals() and os.path.exists(tmp):
            os.unlink(tmp)
        raise OutputError(f"cannot write {str(path)!r}: {exc.strerror or exc}; "
                          "choose a writable output folder") from exc
    return path


@lru_cache(maxsize=1)
def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _prepare(out_dir: Path) -> None:
    try:
        (out_dir / "figures").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create output folder {str(out_dir)!r}: {exc.strerror or exc}; "
                          "choose a writable folder") from exc
    if not os.access(out_dir, os.W_OK | os.X_OK):
        raise OutputError(f"output folder {str(out_dir)!r} is not writable; choose a writable folder")


def pdflatex() -> str | None:
    return shutil.which("pdflatex")


# The Debian package of TeX files a sheet (or a broken TeX installation) may lack, so a
# missing file comes with the one command that fixes it.
TEX_FILE_PACKAGES = {
    "needspace.sty": "texlive-latex-extra", "titlesec.sty": "texlive-latex-extra",
    "enumitem.sty": "texlive-latex-extra", "mathtools.sty": "texlive-latex-recommended",
    "xcolor.sty": "texlive-latex-recommended", "booktabs.sty": "texlive-latex-recommended",
    "microtype.sty": "texlive-latex-recommended", "lmodern.sty": "lmodern",
    "amssymb.sty": "texlive-base", "amsfonts.sty": "texlive-base",
    "amsmath.sty": "texlive-latex-base", "geometry.sty": "texlive-latex-base",
    "graphicx.sty": "texlive-latex-base", "hyperref.sty": "texlive-latex-base",
    "tabularx.sty": "texlive-latex-base", "array.sty": "texlive-latex-base",
}
_MISSING_FILE = re.compile(r"! LaTeX Error: File `([^']+)' not found"
                           r"|! Font \S+=(\S+) at .*not loadable: Metric \(TFM\) file not found")
# A missing package, class or font fails every sheet the same way: they share one preamble.
PREAMBLE_FILES = (".sty", ".cls", ".def", ".fd", ".cfg", ".tfm")


def missing_tex_file(log: str) -> str | None:
    """The file a pdflatex log says is missing (``needspace.sty``, ``ec-lmr10.tfm``), if any."""
    match = _MISSING_FILE.search(log)
    if match is None:
        return None
    name = match.group(1) or match.group(2)
    return name if match.group(1) else f"{name}.tfm"


def install_hint(missing: str) -> str:
    """How to get a missing TeX file on Debian or Ubuntu."""
    package = TEX_FILE_PACKAGES.get(missing) or ("lmodern" if missing.startswith(("ec-lm", "lm")) else None)
    if package:
        return f"it is in the Debian package {package} (apt-get install {package})"
    return (f"find the package that provides it with `apt-file search {missing}` "
            f"(or TeX Live's `tlmgr search --global --file {missing}`)")


def _error_lines(log: str) -> str:
    """The first error of a pdflatex log with its context, up to the line number
    ("! Undefined control sequence. <recently read> \\foo l.208 \\end{tabularx}")."""
    lines = log.splitlines()
    at = next((i for i, line in enumerate(lines) if line.startswith("!")), None)
    if at is None:
        return "no error line in the log"
    shown = []
    for line in lines[at:at + 8]:
        if line.strip():
            shown.append(line.strip())
        if line.startswith("l."):
            break
    return " ".join(shown)


def compile_pdf(tex_source: str, name: str, out_dir: Path) -> Path:
    """Compile LaTeX source to out_dir/<name>.pdf; the PDF appears only if pdflatex succeeds.

    pdflatex runs in out_dir (so figures/... resolves) with its auxiliary files in a
    scratch folder that is removed afterwards; its log is kept in out_dir/.latex/<name>.log.
    A failure raises LatexFailed, removes any PDF of an earlier run (it would no longer match
    the sheet) and leaves no .log or .aux beside the sheets.
    """
    exe = pdflatex()
    if exe is None:
        raise OutputError(f"pdflatex not found; {PDFLATEX_HINT}")
    for stale in (f"{name}.log", f"{name}.aux"):   # left by older versions of derive
        (out_dir / stale).unlink(missing_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="derive-latex-", dir=out_dir))
    try:
        (scratch / f"{name}.tex").write_text(tex_source, encoding="utf-8")
        command = [exe, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape",
                   f"-output-directory={scratch.name}", f"{scratch.name}/{name}.tex"]
        try:
            run = subprocess.run(command, cwd=out_dir, capture_output=True, timeout=PDFLATEX_TIMEOUT,
                                 stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as exc:
            (out_dir / f"{name}.pdf").unlink(missing_ok=True)
            raise LatexFailed(f"pdflatex on {name}.tex ran past {PDFLATEX_TIMEOUT} s") from exc
        pdf = scratch / f"{name}.pdf"
        log = scratch / f"{name}.log"
        text = log.read_text(errors="replace") if log.is_file() else run.stdout.decode(errors="replace")
        # Kept so layout can be checked (overfull boxes) and a failure read; out of the
        # published files' way.
        (out_dir / LATEX_LOGS).mkdir(exist_ok=True)
        kept = write_atomic(out_dir / LATEX_LOGS / f"{name}.log", text)
        if run.returncode != 0 or not pdf.is_file():
            (out_dir / f"{name}.pdf").unlink(missing_ok=True)
            missing = missing_tex_file(text)
            if missing:
                raise LatexFailed(f"pdflatex cannot find {missing}, so {name}.pdf was not written; "
                                  f"{install_hint(missing)} (full log: {kept})", missing)
            raise LatexFailed(f"pdflatex failed on {name}.tex: {_error_lines(text)} (full log: {kept})")
        target = out_dir / f"{name}.pdf"
        try:
            os.replace(pdf, target)
        except OSError as exc:
            raise OutputError(f"cannot write {str(target)!r}: {exc.strerror or exc}") from exc
        return target
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


# ---------------------------------------------------------------- build

def _check_formats(formats: Iterable[str]) -> set[str]:
    if isinstance(formats, str):
        formats = {formats}
    chosen = set(formats)
    unknown = sorted(chosen - set(FORMATS))
    if unknown or not chosen:
        raise InvalidArgument(f"unknown output formats {unknown or '(none given)'}; "
                              f"allowed formats are {', '.join(FORMATS)}")
    return chosen


def _figures(sheet: FamilySheet, out_dir: Path, formats: set[str]) -> tuple[dict[str, Markup], list[Path]]:
    svgs, written = {}, []
    for part in sheet.parts:
        for fig in part.figures:
            svg, pdf = figure_files.draw(fig.draw, fig.stem)
            svgs[fig.stem] = Markup(figure_files.inline_svg(svg, fig.caption))
            if "html" in formats:
                written.append(write_atomic(out_dir / "figures" / f"{fig.stem}.svg", svg))
            if formats & {"tex", "pdf"}:
                written.append(write_atomic(out_dir / "figures" / f"{fig.stem}.pdf", pdf))
    return svgs, written


class Written(list):
    """The paths a build wrote, plus ``pdf_failures``: one message per sheet whose PDF
    pdflatex could not make (every other file is written regardless)."""

    def __init__(self):
        super().__init__()
        self.pdf_failures: list[str] = []


def build(families: Sequence[Family], records: Mapping[str, PartRecord], out_dir: str | Path,
          formats: Iterable[str] = frozenset({"html", "tex", "pdf"}),
          progress: Callable[[str], None] | None = None,
          stage: Callable[[str], None] | None = None, statement_only: bool = False) -> Written:
    """Write index.html and, per family, <family>.html, <family>.tex and <family>.pdf
    (PDF only when pdflatex is installed), figures under figures/. Returns the paths
    written. ``progress`` receives one line per file and the note when pdflatex is absent
    or fails; ``stage`` hears each stage as it begins (rendering a part, drawing a figure,
    compiling a PDF). ``records`` maps a part id to its finished record (its report, the
    checker's verdicts on its declared slips, its instance: see :mod:`derive.pipeline`).

    A PDF that pdflatex cannot make costs only that PDF: its message is in the result's
    ``pdf_failures`` and every HTML and .tex sheet and the index are still written.
    ``statement_only`` writes problem sheets: each part's statement and what an answer is,
    without derivation, results, worked numbers, figures or verification (a student's variant).
    """
    chosen = _check_formats(formats)
    say = progress or (lambda message: None)
    begin = stage or (lambda message: None)
    out_dir = Path(out_dir)
    _prepare(out_dir)
    sheets = []
    for family in families:
        count = len(family.parts)
        sheets.append(family_sheet(family, records, on_part=lambda n, part: begin(
            f"rendering {part.id} ({n}/{count})")))
    want_pdf = "pdf" in chosen and pdflatex() is not None
    if "pdf" in chosen and not want_pdf:
        say(f"pdflatex not found, so no PDF was written; to get PDFs, {PDFLATEX_HINT}")
    written = Written()
    give_up, skipped = None, 0   # a missing package: the remaining sheets would fail the same way
    for sheet in sheets:
        begin(f"drawing the figures of {sheet.name}")
        svgs, figure_paths = ({}, []) if statement_only else _figures(sheet, out_dir, chosen)
        written += figure_paths
        pdf_written = False
        if chosen & {"tex", "pdf"}:
            source = environment("tex").get_template("family.tex.j2").render(family=sheet, statement_only=statement_only)
            if "tex" in chosen:
                written.append(write_atomic(out_dir / f"{sheet.name}.tex", source))
                say(f"wrote {written[-1]}")
            if want_pdf and give_up is None:
                begin(f"compiling {sheet.name}.pdf")
                try:
                    written.append(compile_pdf(source, sheet.name, out_dir))
                    pdf_written = True
                    say(f"wrote {written[-1]}")
                except LatexFailed as failure:
                    written.pdf_failures.append(str(failure))
                    say(f"warning: {failure}")
                    if failure.missing and failure.missing.endswith(PREAMBLE_FILES):
                        give_up = failure.missing
            elif want_pdf:
                (out_dir / f"{sheet.name}.pdf").unlink(missing_ok=True)   # stale: no longer matches
                written.pdf_failures.append(f"{sheet.name}.pdf not compiled: {give_up} is missing")
                skipped += 1
        if "html" in chosen:
            begin(f"writing {sheet.name}.html")
            links = {"html": True, "tex": "tex" in chosen, "pdf": pdf_written}
            page = environment("html").get_template("family.html.j2").render(
                family=sheet, svgs=svgs, links=links, statement_only=statement_only)
            written.append(write_atomic(out_dir / f"{sheet.name}.html", page))
            say(f"wrote {written[-1]}")
    if skipped:
        say(f"warning: {skipped} more PDF{'s' * (skipped != 1)} not tried: every sheet needs {give_up}")
    if "html" in chosen:
        links = {"html": True, "tex": "tex" in chosen, "pdf": want_pdf and not written.pdf_failures}
        page = environment("html").get_template("index.html.j2").render(families=sheets, links=links)
        written.append(write_atomic(out_dir / "index.html", page))
        say(f"wrote {written[-1]}")
    return written
