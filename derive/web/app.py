"""The Starlette application: routes to small endpoints, the guards wrapped around them, the
worker pool started and warmed with the server, and every refusal answered in words (JSON under
``/api/``, a page elsewhere), never a traceback (a crash is answered by SecurityHeaders).

>>> from starlette.testclient import TestClient                         # doctest: +SKIP
>>> with TestClient(create_app(Settings(warm=False))) as client:       # doctest: +SKIP
...     client.post("/api/check", json={"part": "softmax.ce_grad", "answer": "s - y"}).json()["status"]
'correct'
"""
from __future__ import annotations

import contextlib
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..answers.serve.worker import shared_pool
from ..errors import DeriveError, UnknownPart
from .api import ROUTES as API_ROUTES, SlowBody
from .pages import ROUTES as PAGE_ROUTES, render
from .checking import Checker
from .guards import BodyLimit, BodyTooLarge, RateLimit, SecurityHeaders, TokenBuckets
from .settings import Settings

__all__ = ["create_app"]

STATIC = Path(__file__).resolve().parent / "static"
MESSAGES = {404: "no such page", 405: "method not allowed here", 408: "the request took too long to arrive",
            413: "the request body is too large", 500: "the server failed; the error is logged"}


def _error(request: Request, status: int, message: str):
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": message, "status": status}, status_code=status)
    return render(request, "error.html.j2", status=status, code=status, message=message)


async def _http_error(request: Request, exc: HTTPException):
    detail = exc.detail if isinstance(exc.detail, str) and exc.status_code != 404 else MESSAGES.get(exc.status_code)
    return _error(request, exc.status_code, detail or "the request was refused")


async def _derive_error(request: Request, exc: DeriveError):
    return _error(request, 404 if isinstance(exc, UnknownPart) else 400, str(exc))


async def _too_large(request: Request, exc: BodyTooLarge):
    return _error(request, 413, str(exc))


async def _slow(request: Request, exc: SlowBody):
    return _error(request, 408, str(exc))


def create_app(settings: Settings | None = None) -> Starlette:
    """The server's app; the pool is sized, started and warmed when the app starts (lifespan)."""
    settings = settings or Settings()
    checker = Checker(settings.timeout)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        pool = shared_pool()
        before = pool.size
        if pool.size != settings.workers:
            pool.resize(settings.workers)
        if settings.warm:
            from anyio import to_thread
            await to_thread.run_sync(checker.warm)
        try:
            yield
        finally:
            pool.terminate()   # no worker outlives the server
            if pool.size != before:   # the process's own callers get the pool they had
                pool.resize(before)

    routes = [Route(path, fn, methods=methods) for path, fn, methods in PAGE_ROUTES + API_ROUTES]
    routes.append(Mount("/static", StaticFiles(directory=STATIC), name="static"))
    if settings.sheets is not None:
        routes.append(Mount("/sheets", StaticFiles(directory=settings.sheets, check_dir=False), name="sheets"))
    app = Starlette(
        routes=routes, lifespan=lifespan,
        middleware=[Middleware(SecurityHeaders), Middleware(RateLimit, buckets=TokenBuckets(settings.rate, settings.burst)),
                    Middleware(BodyLimit, max_body=settings.max_body)],
        exception_handlers={HTTPException: _http_error, DeriveError: _derive_error, BodyTooLarge: _too_large,
                            SlowBody: _slow})
    app.state.settings = settings
    app.state.checker = checker
    return app
