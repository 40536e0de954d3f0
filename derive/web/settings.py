"""What a server is started with: one frozen record the app, its limits and pages read."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import InvalidArgument

__all__ = ["Settings"]


@dataclass(frozen=True)
class Settings:
    """``rate`` tokens a second refill each client's bucket of ``burst`` tokens (a check costs
    one, a preview half); ``max_body`` bytes per request; ``timeout`` seconds per check,
    waiting for a worker included; ``body_timeout`` seconds to send a request's body;
    ``sheets`` the folder of built sheets linked from the index (None: no links)."""
    workers: int = 2
    reveal: bool = False
    rate: float = 2.0
    burst: float = 20.0
    max_body: int = 512 * 1024
    timeout: float = 5.0
    body_timeout: float = 10.0
    sheets: Path | None = None
    warm: bool = True

    def __post_init__(self):
        for name in ("rate", "burst", "timeout", "body_timeout"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value < float("inf")):
                raise InvalidArgument(f"{name} must be a positive number, got {value!r}")
        if not isinstance(self.max_body, int) or self.max_body < 1024:
            raise InvalidArgument(f"max_body must be a whole number of bytes >= 1024, got {self.max_body!r}")
        if not isinstance(self.workers, int) or isinstance(self.workers, bool) or self.workers < 1:
            raise InvalidArgument(f"workers must be a whole number >= 1, got {self.workers!r}")
