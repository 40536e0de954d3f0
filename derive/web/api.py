"""The JSON API: ``GET /api/parts``; ``POST /api/check``, ``/api/equivalent``, ``/api/preview``,
``/api/audit``. Each endpoint reads one JSON object and answers the Verdict's (or the report's)
fields; refusals are raised and answered as JSON errors by the app's handlers."""
from __future__ import annotations

import asyncio
import json

from starlette.requests import Request
from starlette.responses import JSONResponse

from ..model import registry
from ..render.audit_page import audit_body
from .checking import BadRequest, syntax_field, text_field, variables_field, variant_field

__all__ = ["ROUTES", "read_body", "read_json"]


class Json(JSONResponse):
    """JSON whose odd values (exact numbers, SymPy text) are written as text, never refused."""

    def render(self, content) -> bytes:
        return json.dumps(content, ensure_ascii=False, default=str, separators=(",", ":")).encode()


class SlowBody(Exception):
    """The client took longer than allowed to send its body (answered 408)."""


async def read_body(request: Request) -> bytes:
    """The body, within the server's time for sending one: a slow client holds no worker, and
    not even a thread, only this coroutine until its time is up."""
    try:
        return await asyncio.wait_for(request.body(), request.app.state.settings.body_timeout)
    except asyncio.TimeoutError:
        raise SlowBody(f"the request body took longer than {request.app.state.settings.body_timeout:g} s "
                       "to arrive") from None


async def read_json(request: Request) -> dict:
    body = await read_body(request)
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BadRequest("the request body must be a JSON object, such as "
                         '{"part": "softmax.ce_grad", "answer": "s - y"}') from None
    if not isinstance(data, dict):
        raise BadRequest(f"the request body must be a JSON object, got {type(data).__name__}")
    return data


def part_json(p) -> dict:
    return {"id": p.id, "title": p.title, "family": p.family, "answer": bool(p.answer),
            "page": f"/part/{p.id}",
            "variables": [{"name": v.name, "domain": v.domain.description, "spellings": list(v.spellings)}
                          for v in p.variables]}


async def parts(request: Request):
    return Json([part_json(p) for p in registry.all_parts()])


async def check(request: Request):
    data = await read_json(request)
    part, answer = text_field(data, "part", limit=200), text_field(data, "answer")
    variant = variant_field(data.get("variant"))
    verdict = await request.app.state.checker.check(part, answer, syntax_field(data), variant)
    return Json(verdict.to_json())


async def equivalent(request: Request):
    data = await read_json(request)
    expected, answer = text_field(data, "expected"), text_field(data, "answer")
    verdict = await request.app.state.checker.equivalent(expected, answer, variables_field(data.get("variables")),
                                                         syntax_field(data))
    return Json(verdict.to_json())


async def preview(request: Request):
    data = await read_json(request)
    read = await request.app.state.checker.preview(text_field(data, "answer"),
                                                   text_field(data, "part", required=False, limit=200),
                                                   syntax_field(data))
    return Json(read)


async def audit(request: Request):
    data = await read_json(request)
    text = text_field(data, "text", limit=request.app.state.settings.max_body)
    report = await request.app.state.checker.audit(text, text_field(data, "part", required=False, limit=200))
    return Json({**report.to_json(), "html": audit_body(text, report)})


ROUTES = [("/api/parts", parts, ["GET"]), ("/api/check", check, ["POST"]),
          ("/api/equivalent", equivalent, ["POST"]), ("/api/preview", preview, ["POST"]),
          ("/api/audit", audit, ["POST"])]
