"""The pages, rendered on the server from the project's Jinja environment: the index of families
and parts, a part's page (answer box, live preview, verdict) and the audit page. Every page
works without its script (the Check and Audit buttons post forms); the script only adds the
live preview and reading an uploaded file into the text box."""
from __future__ import annotations

from urllib.parse import parse_qs

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from ..model import registry
from ..model.verdict import Verdict
from ..render.audit_page import STYLE as AUDIT_STYLE, audit_body
from ..render.mathml import to_mathml
from ..render.writer import environment
from .api import read_body
from .checking import BadRequest, expected_answer, has_variants, syntax_field, text_field, variant_field

__all__ = ["ROUTES", "counterexample_rows", "render"]


def render(request: Request, template: str, status: int = 200, **context) -> HTMLResponse:
    page = environment("html").get_template(f"serve/{template}").render(**context)
    return HTMLResponse(page, status_code=status)


def _math(tex: str | None) -> Markup | None:
    if tex is None:
        return None
    out = to_mathml(tex, display=True)
    return Markup(out) if out is not None else Markup("<code>{}</code>").format(tex)


def _shown(value) -> str:
    """A value of a counterexample as text: numbers as given, vectors in parentheses, matrices
    as rows of them."""
    if isinstance(value, (list, tuple)):
        inner = [_shown(v) for v in value]
        if value and all(isinstance(v, (list, tuple)) for v in value):
            return "[" + "; ".join(inner) + "]"
        return "(" + ", ".join(inner) + ")"
    if isinstance(value, dict):
        return ", ".join(f"{k} = {_shown(v)}" for k, v in value.items())
    return str(value)


LABELS = {"sizes": "sizes", "answer": "your answer", "expected": "expected", "difference": "difference",
          "precision": "confirmed at"}


def counterexample_rows(counter: dict | None) -> list[tuple[str, str]]:
    """(label, value) rows: the sizes, each variable's value, then the two sides."""
    if not counter:
        return []
    rows = []
    for key, value in counter.items():
        if key == "values" and isinstance(value, dict):
            rows += [(str(name), _shown(v)) for name, v in value.items()]
        else:
            rows.append((LABELS.get(key, str(key)), _shown(value)))
    return rows


def verdict_view(verdict: Verdict) -> dict:
    return {"status": verdict.status, "message": verdict.message, "parsed": _math(verdict.parsed),
            "rows": counterexample_rows(verdict.counterexample),
            "diagnosis": verdict.diagnosis, "evidence": verdict.evidence}


async def index(request: Request):
    sheets = request.app.state.settings.sheets
    families = [{"name": f.name, "title": getattr(f, "title", f.name),
                 "sheet": f"/sheets/{f.name}.html" if sheets is not None and (sheets / f"{f.name}.html").is_file()
                 else None,
                 "parts": f.parts} for f in registry.families()]
    return render(request, "index.html.j2", families=families)


async def _form(request: Request) -> dict:
    body = await read_body(request)
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        raise BadRequest("the form could not be read") from None
    return {k: v[0] for k, v in fields.items()}


async def part_page(request: Request):
    part = registry.get_part(request.path_params["part"])   # UnknownPart: 404
    settings = request.app.state.settings
    variant = variant_field(request.query_params.get("variant"))
    answer, syntax, verdict = "", "auto", None
    if request.method == "POST":
        form = await _form(request)
        answer, syntax = text_field(form, "answer"), syntax_field(form)
        variant = variant_field(form.get("variant")) if form.get("variant") else variant
        if part.answer:
            verdict = verdict_view(await request.app.state.checker.check(part.id, answer, syntax, variant))
    drawn = has_variants(part.id) and variant is not None
    shown = await request.app.state.checker.variant_part(part.id, variant) if drawn else part
    reveal = _math(expected_answer(part.id, shown)) if settings.reveal and part.answer else None
    return render(request, "part.html.j2", part=shown, answer=answer, syntax=syntax, variant=variant,
                  variants=drawn, verdict=verdict, reveal=reveal)


async def audit_page(request: Request):
    text, part, report = "", "", None
    if request.method == "POST":
        form = await _form(request)
        text = text_field(form, "text", limit=request.app.state.settings.max_body)
        part = form.get("part") or ""
        if part and part not in {p.id for p in registry.all_parts()}:
            raise BadRequest(f"unknown part {part[:60]!r}; choose one from the list")
        found = await request.app.state.checker.audit(text, part or None)
        report = Markup(audit_body(text, found))
    return render(request, "audit.html.j2", text=text, part=part, report=report,
                  parts=[p.id for p in registry.all_parts()])


# The audit page's own style, less its page layout (the server's pages have theirs).
AUDIT_CSS = "\n".join(line for line in AUDIT_STYLE.splitlines() if not line.startswith("body "))


async def audit_style(request: Request):
    return Response(AUDIT_CSS, media_type="text/css")


ROUTES = [("/", index, ["GET"]), ("/part/{part}", part_page, ["GET", "POST"]),
          ("/audit", audit_page, ["GET", "POST"]), ("/static/audit.css", audit_style, ["GET"])]
