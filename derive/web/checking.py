"""The checker as the server calls it: each judging call runs on a thread of a bounded set, the
judging itself in the shared worker pool under the per-request limit (which covers waiting for
a worker). Input is validated here, once, for the API and the pages alike: a bad field raises
:class:`BadRequest` (400), an unknown part UnknownPart (404)."""
from __future__ import annotations

import inspect
import threading
from typing import Any, Mapping

import anyio
from anyio import to_thread

from ..answers.decide.equivalence import is_index_part
from ..answers.decide.index_judge import expected_index_latex
from ..answers.decide.judge import expected_latex
from ..answers.serve.audit import audit
from ..answers.serve.free import equivalent
from ..answers.serve.preview import preview
from ..answers.serve.worker import check, shared_pool
from ..pipeline.variants import check as check_variant, variant as draw_variant
from ..errors import InvalidArgument
from ..model import registry
from ..model.verdict import Verdict
from ..render.mathml import to_mathml

__all__ = ["BadRequest", "Checker"]

SYNTAXES = ("auto", "text", "latex")
MAX_ANSWER = 4000          # characters of an answer or expected expression
# Whether derive.check draws a part's variant from a seed (the variants issue); until it does,
# a page or request naming a variant is served the part's one statement and says so.
VARIANTS = "variant" in inspect.signature(check).parameters


class BadRequest(InvalidArgument):
    """A request the server refuses with 400, in words that name the field."""


def text_field(data: Mapping, name: str, *, required: bool = True, limit: int = MAX_ANSWER) -> str | None:
    value = data.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise BadRequest(f"'{name}' must be text" + ("" if value is None else f", got {type(value).__name__}"))
    if len(value) > limit:
        raise BadRequest(f"'{name}' has {len(value):,} characters; at most {limit:,} are read")
    return value


def syntax_field(data: Mapping) -> str:
    syntax = data.get("syntax", "auto") or "auto"
    if syntax not in SYNTAXES:
        raise BadRequest(f"'syntax' must be one of {', '.join(SYNTAXES)}, got {str(syntax)[:40]!r}")
    return syntax


def variant_field(value: Any) -> str | None:
    """A variant seed: any short text (a student id) or a whole number, as derive.variant takes."""
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip() or len(value) > 200 or not value.isprintable():
        raise BadRequest(f"'variant' must be a seed of 1 to 200 printable characters (a student id), "
                         f"got {str(value)[:40]!r}")
    return value.strip()


def has_variants(part_id: str) -> bool:
    """Whether the part has parameters, so that a seed draws its own variant."""
    return VARIANTS and registry.get_part(part_id).parameters is not None


def variables_field(value: Any) -> dict | None:
    """``{"x": "positive", "A": ["matrix", 3, 3]}``: JSON lists become the tuples derive reads."""
    if value is None:
        return None
    if not isinstance(value, dict) or len(value) > 50:
        raise BadRequest("'variables' must be an object of at most 50 names, such as {\"x\": \"positive\"}")
    return {str(k): tuple(v) if isinstance(v, list) else v for k, v in value.items()}


class Checker:
    """The server's judging: ``timeout`` seconds per check, at most ``threads`` at once."""

    def __init__(self, timeout: float, threads: int = 64):
        self.timeout = timeout
        self.limiter = anyio.CapacityLimiter(threads)
        # Previews are read in this process: at most two at once, so a client typing hostile
        # text as fast as its bucket allows cannot take the server's CPU from the others.
        self.preview_limiter = anyio.CapacityLimiter(2)

    async def _run(self, fn, *args):
        return await to_thread.run_sync(fn, *args, limiter=self.limiter)

    async def check(self, part: str, answer: str, syntax: str, variant: str | None) -> Verdict:
        registry.get_part(part)   # UnknownPart (404) before any thread is taken
        if variant is not None and has_variants(part):
            return await self._run(lambda: check_variant(part, answer, syntax=syntax, timeout=self.timeout,
                                                         variant=variant))
        return await self._run(lambda: shared_pool().check(part, answer, syntax=syntax, timeout=self.timeout))

    async def variant_part(self, part_id: str, seed: str):
        """The part a seed draws (verified; the first time takes a few seconds)."""
        return (await self._run(lambda: draw_variant(part_id, seed))).part

    async def equivalent(self, expected: str, answer: str, variables: dict | None, syntax: str) -> Verdict:
        return await self._run(lambda: equivalent(expected, answer, variables=variables, syntax=syntax,
                                                  timeout=self.timeout))

    async def preview(self, answer: str, part: str | None, syntax: str) -> dict:
        """What the answer was read as, with its MathML, or the problem with it."""
        if part is not None:
            registry.get_part(part)
        read = await to_thread.run_sync(lambda: preview(answer, part, syntax=syntax), limiter=self.preview_limiter)
        out = read.to_json()
        out["mathml"] = to_mathml(read.latex, display=True) if read.latex is not None else None
        return out

    async def audit(self, text: str, part: str | None):
        if part is not None:
            registry.get_part(part)
        return await self._run(lambda: audit(text, part=part, timeout=self.timeout))

    def warm(self) -> None:
        """Fork every worker and judge one answer in each, so the first student waits for no start."""
        pool = shared_pool()
        pool.start_all()
        takers = [p.id for p in registry.all_parts() if p.answer]
        if takers:
            threads = [threading.Thread(target=pool.check, args=(takers[0], "0"), kwargs={"timeout": 30})
                       for _ in range(pool.size)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()


def expected_answer(part_id: str, part=None) -> str:
    """The expected answer as LaTeX (shown only when the server reveals answers), of the
    part itself or of the variant given."""
    part = part if part is not None else registry.get_part(part_id)
    return expected_index_latex(part) if is_index_part(part) else expected_latex(part)
