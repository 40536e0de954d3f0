"""Running the app under uvicorn: the address printed once the socket is bound (so port 0 picks a
free one and says which), what a public host exposes, and a clean stop on Ctrl-C or SIGTERM
(uvicorn's graceful shutdown runs the app's lifespan, which kills every checking worker)."""
from __future__ import annotations

import sys
from typing import Callable

import uvicorn

from .app import create_app
from .settings import Settings

__all__ = ["LOOPBACK", "exposure", "run"]

LOOPBACK = ("127.0.0.1", "::1", "localhost")


def exposure(host: str, port: int | str, settings: Settings) -> str | None:
    """What a non-loopback host puts on the network, in words; None on loopback."""
    if host in LOOPBACK:
        return None
    where = "every network interface" if host in ("0.0.0.0", "::", "") else f"the interface {host}"
    return (f"listening on {where}: anyone who can reach this machine on port {port} can read every part's "
            f"page, check answers and audit documents ({settings.rate:g} checks/s per client, bursts of "
            f"{settings.burst:g}); expected answers are {'SHOWN (--reveal)' if settings.reveal else 'not shown'}")


class _Server(uvicorn.Server):
    def __init__(self, config, say: Callable[[str], None], settings: Settings):
        super().__init__(config)
        self.say, self.settings = say, settings

    async def startup(self, sockets=None):
        await super().startup(sockets)
        if self.should_exit:
            return
        for server in self.servers:
            for sock in server.sockets:
                host, port = sock.getsockname()[:2]
                shown = f"[{host}]" if ":" in host else host
                self.say(f"derive serve: http://{shown}:{port}/ ({self.settings.workers} checking "
                         f"worker{'s' * (self.settings.workers != 1)}; "
                         "Ctrl-C stops)")
                warning = exposure(self.config.host, port, self.settings)
                if warning:
                    self.say(f"derive serve: {warning}")


def run(settings: Settings, host: str = "127.0.0.1", port: int = 8000,
        say: Callable[[str], None] = lambda m: print(m, file=sys.stderr, flush=True)) -> int:
    """Serve until interrupted; 0 after a clean stop, 2 when the address cannot be bound."""
    config = uvicorn.Config(create_app(settings), host=host, port=port, log_level="warning",
                            access_log=False, timeout_keep_alive=5, timeout_graceful_shutdown=5,
                            lifespan="on", server_header=False)
    server = _Server(config, say, settings)
    try:
        server.run()
    except KeyboardInterrupt:   # uvicorn shuts down gracefully, then raises Ctrl-C again
        pass
    except SystemExit:          # uvicorn's way of saying it could not start (logged above)
        pass
    if server.started:
        say("derive serve: stopped")
        return 0
    say(f"derive serve: error: could not listen on {host}:{port} (is another server on that port? "
        "--port 0 picks a free one)")
    return 2
