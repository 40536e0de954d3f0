"""Limits and headers every request passes through, as ASGI middleware (Starlette's model:
cross-cutting rules are wrapped around the routes, not repeated in each endpoint).

- :class:`SecurityHeaders`: a strict Content-Security-Policy (scripts and styles only from
  this origin's files, nothing inline, no frames, no plugins), nosniff, no referrer;
- :class:`BodyLimit`: a request body longer than the limit is refused with 413, by its
  Content-Length before it is read and by counting when it is streamed;
- :class:`RateLimit`: a token bucket per client; an empty bucket answers 429 with Retry-After.
"""
from __future__ import annotations

import json
import logging
import math
import threading
import time

_LOG = logging.getLogger(__name__)

__all__ = ["BodyLimit", "BodyTooLarge", "RateLimit", "SecurityHeaders", "TokenBuckets", "error_body"]

def error_body(status: int, message: str, **extra) -> bytes:
    return json.dumps({"error": message, "status": status, **extra}).encode()


async def _send_error(send, status: int, message: str, headers: list | None = None) -> None:
    body = error_body(status, message)
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
                + (headers or [])})
    await send({"type": "http.response.body", "body": body})


def _policy(path: str) -> str:
    if path.startswith("/sheets/"):   # the built sheets: their own inline styles, never a script
        return ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
                "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
    return ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")


class SecurityHeaders:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        policy = _policy(scope.get("path", "")).encode()
        started = False

        async def with_headers(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.lower() not in (b"content-security-policy", b"x-content-type-options")]
                headers += [(b"content-security-policy", policy), (b"x-content-type-options", b"nosniff"),
                            (b"x-frame-options", b"DENY"), (b"referrer-policy", b"no-referrer"),
                            (b"cross-origin-opener-policy", b"same-origin")]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, with_headers)
        except Exception:   # derive's bug: logged for us; the client reads a JSON 500, with the headers
            _LOG.exception("request %s %s failed", scope.get("method"), scope.get("path"))
            if started:
                raise
            await _send_error(with_headers, 500, "the server failed; the error is logged")


class BodyTooLarge(Exception):
    """Raised while an endpoint reads a streamed body past the limit (answered 413)."""

    def __init__(self, limit: int):
        super().__init__(f"the request body is larger than {limit:,} bytes")
        self.limit = limit


class BodyLimit:
    def __init__(self, app, max_body: int):
        self.app, self.max_body = app, max_body

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope.get("headers", [])).get(b"content-length")
        if length is not None:
            if not length.isdigit():
                return await _send_error(send, 400, "Content-Length is not a number")
            if int(length) > self.max_body:
                return await _send_error(send, 413, f"the request body is larger than {self.max_body:,} bytes")
        seen = 0

        async def counted():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise BodyTooLarge(self.max_body)
            return message

        await self.app(scope, counted, send)


class TokenBuckets:
    """Per-client buckets of ``burst`` tokens refilled at ``rate`` a second.

    >>> b = TokenBuckets(rate=1, burst=2)
    >>> b.take("a", 1, now=0.0), b.take("a", 1, now=0.0), b.take("a", 1, now=0.0)
    (0.0, 0.0, 1.0)
    """

    def __init__(self, rate: float, burst: float, max_clients: int = 100_000):
        self.rate, self.burst, self.max_clients = rate, burst, max_clients
        self._buckets: dict[str, tuple[float, float]] = {}   # client -> (tokens, when)
        self._lock = threading.Lock()

    def take(self, client: str, cost: float, now: float | None = None) -> float:
        """0 when ``cost`` tokens were taken, else the seconds until they will be there."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, when = self._buckets.get(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - when) * self.rate)
            if tokens >= cost:
                self._buckets[client] = (tokens - cost, now)
                return 0.0
            self._buckets[client] = (tokens, now)
            if len(self._buckets) > self.max_clients:   # forget the full ones: memory stays bounded
                self._forget(now)
            return (cost - tokens) / self.rate

    def _forget(self, now: float) -> None:
        self._buckets = {c: (t, w) for c, (t, w) in self._buckets.items()
                         if t + (now - w) * self.rate < self.burst}


# What a request costs: a check judges in a worker; a preview only parses; a page is cheap.
COSTS = {"/api/check": 1.0, "/api/equivalent": 1.0, "/api/audit": 2.0, "/audit": 2.0, "/api/preview": 0.5}


def cost(method: str, path: str) -> float:
    if path in COSTS:
        return COSTS[path] if method == "POST" or path == "/api/preview" else 0.05
    if method == "POST" and path.startswith("/part/"):
        return 1.0
    return 0.05


class RateLimit:
    def __init__(self, app, buckets: TokenBuckets):
        self.app, self.buckets = app, buckets

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        client = (scope.get("client") or ("unknown", 0))[0]
        wait = self.buckets.take(client, cost(scope.get("method", "GET"), scope.get("path", "")))
        if wait > 0:
            retry = max(1, math.ceil(wait))
            return await _send_error(send, 429, f"too many requests from this client; try again in {retry} s",
                                     [(b"retry-after", str(retry).encode())])
        await self.app(scope, receive, send)
