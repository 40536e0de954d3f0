"""``derive serve``: the checking pages and JSON API on a local (or, when asked, public) address."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..model import registry


def _positive(kind):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
        return value
    return parse


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"a port is a whole number from 0 to 65535 (0: any free one), got {text!r}")
    return int(text)


def cmd_serve(args) -> int:
    from ..answers.serve.worker import default_pool_size
    from ..web.server import run
    from ..web.settings import Settings
    for path in args.serve_problems:
        registry.load_file(path)
    registry.all_parts()   # load the catalogue before the workers fork, so each starts warm
    sheets = Path(args.sheets) if args.sheets else (Path("build") if Path("build").is_dir() else None)
    settings = Settings(workers=args.workers or default_pool_size(), reveal=args.reveal, rate=args.rate,
                        burst=args.burst, max_body=args.max_body, timeout=args.timeout, sheets=sheets)
    return run(settings, host=args.host, port=args.port)


def add_serve_command(sub) -> None:
    p = sub.add_parser("serve", help="serve the checking pages and JSON API")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1, this machine "
                   "only; 0.0.0.0 exposes the server to the network and says so)")
    p.add_argument("--port", type=_port, default=8000, help="port (default 8000; 0 picks a free one)")
    p.add_argument("--problems", dest="serve_problems", action="append", default=[], metavar="FILE",
                   help="also serve the parts of this problem module (repeatable)")
    p.add_argument("--workers", type=_positive(int), default=None,
                   help="checking worker processes (default: the machine's cores, 2 to 4)")
    p.add_argument("--reveal", action="store_true", help="show each part's expected answer on its page")
    p.add_argument("--rate", type=_positive(float), default=2.0,
                   help="checks per second each client may make, on average (default 2)")
    p.add_argument("--burst", type=_positive(float), default=20.0,
                   help="checks a client may make at once before the rate applies (default 20)")
    p.add_argument("--max-body", type=_positive(int), default=512 * 1024,
                   help="largest request body in bytes (default 524288; also bounds an audited document)")
    p.add_argument("--timeout", type=_positive(float), default=5.0,
                   help="seconds per check, waiting for a worker included (default 5)")
    p.add_argument("--sheets", default=None, metavar="DIR",
                   help="folder of built sheets to link and serve under /sheets/ (default: build/ if it exists)")
    p.set_defaults(run=cmd_serve)
