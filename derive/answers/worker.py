"""Checking in a warm worker process under a hard time limit: ``check(part_id, answer)``.

No input can hang or crash the caller: an answer that overruns its time has its worker
killed and restarted, and comes back ``undecided``.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import threading

from ..errors import DeriveError, InvalidArgument
from ..model import registry
from .judge import judge
from .verdict import INVALID, UNDECIDED, Verdict

def _memory_limit():
    """Cap the worker's address space so a hostile answer cannot exhaust the machine."""
    try:
        import resource
        with open("/proc/self/statm") as fh:
            current = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        cap = current + 2 * 1024 ** 3
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard == resource.RLIM_INFINITY or hard > cap:
            resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    except (OSError, ValueError, ImportError):
        pass


def _serve(conn):
    _memory_limit()
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        if request is None:
            return
        part_id, text, syntax, seed, budget = request
        conn.send(_safe_judge(part_id, text, syntax, seed, budget))


def _safe_judge(part_id, text, syntax, seed, budget) -> Verdict:
    try:
        part = registry.get_part(part_id)
        return judge(part, text, syntax=syntax, seed=seed, proof_budget=budget)
    except DeriveError as exc:
        return Verdict(INVALID, str(exc), part=part_id)
    except MemoryError:
        return Verdict(UNDECIDED, "the check ran out of memory", part=part_id)
    except RecursionError:
        return Verdict(INVALID, "the answer is nested too deeply", part=part_id)
    except Exception as exc:  # the worker must answer every request, whatever happens
        return Verdict(UNDECIDED, f"the checker failed on this answer ({type(exc).__name__}: {exc})",
                       part=part_id)


class _Worker:
    """One warm checking process; killed and restarted when an answer overruns its time."""

    def __init__(self):
        self.proc = None
        self.conn = None
        self.lock = threading.Lock()
        self.parts: tuple = ()

    def start(self):
        methods = mp.get_all_start_methods()
        ctx = mp.get_context("fork" if "fork" in methods else "spawn")
        parent, child = ctx.Pipe()
        self.proc = ctx.Process(target=_serve, args=(child,), daemon=True, name="derive-check")
        self.proc.start()
        child.close()
        self.conn = parent
        self.parts = _registered()

    def stop(self):
        if self.proc is not None:
            if self.proc.is_alive():
                self.proc.kill()
            self.proc.join(timeout=2)
            self.conn.close()
        self.proc = self.conn = None

    def run(self, request, timeout: float) -> Verdict | None:
        with self.lock:
            # A forked worker knows the parts registered when it started; restart it after
            # a problem file is loaded.
            if self.proc is None or not self.proc.is_alive() or self.parts != _registered():
                self.stop()
                self.start()
            try:
                self.conn.send(request)
                if self.conn.poll(timeout):
                    return self.conn.recv()
            except (EOFError, OSError, BrokenPipeError):
                self.stop()
                return Verdict(UNDECIDED, "the checking process stopped unexpectedly", part=request[0])
            self.stop()
            return None


def _registered() -> tuple:
    return tuple(id(p) for p in registry.all_parts())


_WORKER = _Worker()


def check(part_id: str, answer: str, *, syntax: str = "auto", seed: int = 0,
          timeout: float | None = 5.0) -> Verdict:
    """Check ``answer`` to the part ``part_id``.

    Raises UnknownPart for an unknown id. ``timeout`` (seconds) is a hard limit enforced by
    a worker process; ``None`` checks in this process without a limit.
    """
    part = registry.get_part(part_id)
    if not isinstance(answer, str):
        return Verdict(INVALID, f"an answer must be text, got {type(answer).__name__}", part=part_id)
    if timeout is None:
        return _safe_judge(part.id, answer, syntax, seed, 1.0)
    if not (isinstance(timeout, (int, float)) and 0 < timeout < float("inf")):  # refuses nan too
        raise InvalidArgument(f"timeout must be a positive number of seconds (or None), got {timeout!r}")
    budget = min(1.0, timeout * 0.3)
    verdict = _WORKER.run((part.id, answer, syntax, seed, budget), timeout)
    if verdict is None:
        return Verdict(UNDECIDED, f"the check took longer than {timeout:g} s and was stopped",
                       part=part_id)
    return verdict
