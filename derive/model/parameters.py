"""Parameters of a part, and the variant a seed draws.

A part that declares :class:`Parameters` is a function of them: ``build(values) -> Part`` makes
its statement, derivation, worked numbers and answer from the values, and the catalogue's part is
``build`` at the defaults. Each :class:`Param` has a finite set of values (a grid of exact
decimals, a range of integers, or choices), so a variant is always one of the values written down.

A variant is drawn from SHA-256 of the part id, the seed text and the attempt, never from
Python's ``hash()`` or a library's random stream, so the same seed gives the same variant on
every machine and version of Python and NumPy.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, Callable, Mapping

from ..errors import InvalidArgument, NotParametrised, ParameterOutOfRange, ProblemDefinitionError

MAX_DRAWS = 200   # draws of one attempt before giving up on ``valid`` (a definition error)


@dataclass(frozen=True)
class Param:
    """One parameter: a grid ``low, low + step, ..., high`` (exact decimals as text, "0.05";
    integers as ints) or ``choices``; ``default`` is the catalogue's value.

    ``Param("eta", "0.1", low="0.05", high="0.5", step="0.05", what="learning rate")``
    """
    name: str
    default: Any
    low: Any = None
    high: Any = None
    step: Any = None
    choices: tuple = ()
    what: str = ""

    def __post_init__(self):
        if self.choices:
            if self.low is not None or self.high is not None:
                raise ProblemDefinitionError(f"parameter {self.name!r}: give choices or a range, not both")
        elif self.low is None or self.high is None or self.step is None:
            raise ProblemDefinitionError(f"parameter {self.name!r}: give choices, or low, high and step")
        elif not self.values():
            raise ProblemDefinitionError(f"parameter {self.name!r}: the range {self.low}..{self.high} is empty")
        if not self.allows(self.default):
            raise ProblemDefinitionError(f"parameter {self.name!r}: default {self.default!r} is not "
                                         f"among its values ({self.allowed()})")

    @property
    def integer(self) -> bool:
        return not self.choices and all(isinstance(x, int) for x in (self.low, self.high, self.step))

    def values(self) -> tuple:
        """Every value the parameter may take, in order."""
        if self.choices:
            return tuple(self.choices)
        if self.integer:
            return tuple(range(self.low, self.high + 1, self.step))
        low, high, step = (Decimal(str(x)) for x in (self.low, self.high, self.step))
        count = int((high - low) / step) + 1
        return tuple(format((low + k * step).normalize(), "f") for k in range(count))

    def allows(self, value) -> bool:
        if self.choices:
            return value in self.choices
        if self.integer:
            return isinstance(value, int) and not isinstance(value, bool) and value in self.values()
        try:
            return Decimal(str(value)) in {Decimal(v) for v in self.values()}
        except ArithmeticError:
            return False

    def normal(self, value):
        """The value as the parameter's own kind: a grid value as its canonical text."""
        if self.choices or self.integer:
            return value
        return next(v for v in self.values() if Decimal(v) == Decimal(str(value)))

    def allowed(self) -> str:
        if self.choices:
            return "one of " + ", ".join(str(c) for c in self.choices)
        return f"{self.low} to {self.high} in steps of {self.step}"


@dataclass(frozen=True)
class Parameters:
    """What a part varies, how it is made from the values, and which combinations make sense.

    ``valid(values) -> str | None`` names what is wrong with a combination (a kernel that does
    not fit, a zero denominator), or None; a draw that is not valid is drawn again.
    """
    params: tuple[Param, ...]
    build: Callable[[Mapping[str, Any]], Any] = field(compare=False)
    valid: Callable[[Mapping[str, Any]], str | None] | None = field(default=None, compare=False)

    def __post_init__(self):
        names = [p.name for p in self.params]
        if len(set(names)) != len(names) or not names:
            raise ProblemDefinitionError(f"parameters {names} must be distinct and at least one")
        if self.valid is not None and self.valid(self.defaults()):
            raise ProblemDefinitionError(f"the default parameters {self.defaults()} are not valid: "
                                         f"{self.valid(self.defaults())}")

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def checked(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """The values, each checked against its range and the combination against ``valid``;
        a missing value takes its default."""
        known = {p.name: p for p in self.params}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise InvalidArgument(f"unknown parameter {unknown[0]!r}; this part's parameters are "
                                  f"{', '.join(known)}")
        out = self.defaults()
        for name, value in values.items():
            if not known[name].allows(value):
                raise ParameterOutOfRange(f"parameter {name} = {value!r} is outside its range: "
                                          f"{known[name].what or name} takes {known[name].allowed()}")
            out[name] = known[name].normal(value)
        reason = self.valid(out) if self.valid else None
        if reason:
            raise ParameterOutOfRange(f"parameters {out} do not make a sensible problem: {reason}")
        return out

    def draw(self, part_id: str, seed: str, attempt: int) -> dict[str, Any]:
        """The values of one attempt for the seed: deterministic, valid, and (for a seed) not the
        catalogue's defaults when another combination exists."""
        defaults = self.defaults()
        for n in range(MAX_DRAWS):
            values = {}
            for p in self.params:
                choices = p.values()
                values[p.name] = choices[_index(part_id, seed, attempt, n, p.name, len(choices))]
            if (self.valid is None or not self.valid(values)) and values != defaults:
                return values
        raise ProblemDefinitionError(f"{part_id}: no valid parameters in {MAX_DRAWS} draws; widen the ranges")

    def make(self, values: Mapping[str, Any]):
        return self.build(self.checked(values))


def seed_bytes(part_id: str, seed: str, attempt: int, *more: Any) -> bytes:
    """SHA-256 of the part id, the seed and the attempt (and anything else), fields kept apart."""
    text = "\x1f".join([part_id, seed, str(attempt), *map(str, more)])
    return hashlib.sha256(text.encode("utf-8")).digest()


def _index(part_id: str, seed: str, attempt: int, n: int, name: str, count: int) -> int:
    # 256 bits reduced mod a small count: the bias is below 2^-240
    return int.from_bytes(seed_bytes(part_id, seed, attempt, n, name), "big") % count


def checked_seed(seed) -> str:
    if not isinstance(seed, str):
        raise InvalidArgument(f"a variant seed must be text (a student id such as 'alice'), not "
                              f"{type(seed).__name__} {seed!r}")
    if not seed.strip():
        raise InvalidArgument("a variant seed must be non-empty text (a student id such as 'alice')")
    try:
        seed.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidArgument(f"a variant seed must be text that UTF-8 can encode; {seed!r} has "
                              f"{seed[exc.start]!r} at position {exc.start}") from None
    return seed


def parametrised(parameters: Parameters):
    """The catalogue's part: ``build`` at the defaults, carrying its parameters."""
    part = parameters.make(parameters.defaults())
    return replace(part, parameters=parameters)


def variant_part(part, seed: str, attempt: int = 0):
    """(the part drawn for ``seed`` at ``attempt``, its values), unverified; the pipeline's
    ``variant`` verifies it and redraws one that fails."""
    seed = checked_seed(seed)
    _require_parameters(part)
    values = part.parameters.draw(part.id, seed, attempt)
    return replace(part.parameters.make(values), parameters=part.parameters), values


def with_values(part, values: Mapping[str, Any]):
    """The part at given parameter values (each checked against its range)."""
    _require_parameters(part)
    return replace(part.parameters.make(values), parameters=part.parameters)


def _require_parameters(part) -> None:
    if part.parameters is None:
        from .registry import all_parts
        raise NotParametrised(part.id, [p.id for p in all_parts() if p.parameters is not None])
