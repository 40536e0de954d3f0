"""Checking in warm worker processes under hard limits: ``check(part_id, answer)``.

No input can hang or crash the caller, and no worker outlives it:

- each answer has a wall-clock limit (the caller kills an overrunning worker and the answer
  comes back ``undecided``), a CPU-time limit (RLIMIT_CPU, so a worker whose caller cannot
  kill it stops by itself) and a memory limit (RLIMIT_AS);
- a worker exits when its caller dies: the kernel sends it SIGKILL (PR_SET_PDEATHSIG on
  Linux), and a watcher thread in the worker exits when the caller's end of a lifeline pipe
  closes (everywhere, and as a second line of defence);
- concurrent callers (threads) are served by a small pool of workers, so one hostile
  answer occupies one worker while the others go on.
"""
from __future__ import annotations

import logging
import multiprocessing as mp
import os
import signal
import sys
import collections
import threading
import time
from concurrent.futures import Future
from queue import SimpleQueue
from typing import Callable

from ...errors import AnswerEvaluationError, DeriveError, InvalidArgument
from ...model import registry
from ...model.parameters import variant_part
from ..decide.judge import judge
from ...model.verdict import INVALID, UNDECIDED, Verdict

_LOG = logging.getLogger(__name__)
# What a student reads when the checker itself broke: a crash is derive's bug, never their answer's.
COULD_NOT_DECIDE = "the checker could not decide"

__all__ = ["WorkerPool", "answered", "check", "cores", "default_pool_size", "shared_pool"]

MEMORY_HEADROOM = 2 * 1024 ** 3   # bytes a worker may allocate beyond its size at start
# numpy may run a few BLAS threads, so one wall second can be more than one CPU second; the
# CPU limit is a backstop for a worker whose caller is gone, not the limit a caller sees.
CPU_SECONDS_PER_WALL_SECOND = 2
_PR_SET_PDEATHSIG = 1


def default_pool_size() -> int:
    """Workers serving concurrent callers: the machine's cores, at least 2, at most 4."""
    return min(4, max(2, cores()))


def cores() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


# ----------------------------------------------------------------------------- in the worker
def _die_with_parent(parent_pid: int) -> None:
    """Ask the kernel to SIGKILL this process when the thread that forked it ends (Linux)."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent_pid:   # the parent died before the request above took effect
        os._exit(1)


def _watch_lifeline(fd: int) -> None:
    """Exit as soon as the caller's end of the lifeline closes (the caller died)."""
    def watch():
        try:
            while os.read(fd, 1):
                pass
        except OSError:
            pass
        os._exit(1)
    threading.Thread(target=watch, name="derive-lifeline", daemon=True).start()


def _memory_limit() -> None:
    """Cap the worker's address space so a hostile answer cannot exhaust the machine."""
    try:
        import resource
        with open("/proc/self/statm") as fh:
            current = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        cap = current + MEMORY_HEADROOM
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard == resource.RLIM_INFINITY or hard > cap:
            resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
        # SIGXCPU would otherwise dump a core of the size above.
        resource.setrlimit(resource.RLIMIT_CORE, (0, resource.getrlimit(resource.RLIMIT_CORE)[1]))
    except (OSError, ValueError, ImportError):
        pass


def _cpu_limit(seconds: float) -> None:
    """Let this request use ``seconds`` more CPU time; past it the kernel stops the worker.

    A warm worker accumulates CPU time over many requests, so the soft limit is moved up
    before each one (the hard limit is left alone so it can be moved again)."""
    try:
        import resource
        usage = resource.getrusage(resource.RUSAGE_SELF)
        soft = int(usage.ru_utime + usage.ru_stime + seconds) + 1
        hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
        resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))
    except (OSError, ValueError, ImportError):
        pass


def _serve(conn, lifeline: int, parent_pid: int, inherited: list) -> None:
    _die_with_parent(parent_pid)
    # Close the caller's ends of this worker's pipes and of its siblings' (inherited by
    # fork): a caller's death must close every copy for the watches to see it.
    for other_conn, other_lifeline in inherited:
        other_conn.close()
        try:
            os.close(other_lifeline)
        except OSError:
            pass
    _watch_lifeline(lifeline)
    _memory_limit()
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        if request is None:
            return
        _, judging, args, cpu_seconds = request   # (label, function, its arguments, CPU s)
        _cpu_limit(cpu_seconds)
        conn.send(judging(*args))


def answered(judging: Callable[[], Verdict], part_id: str) -> Verdict:
    """``judging()``, or the verdict its failure means: every request gets a verdict."""
    try:
        return judging()
    except MemoryError:
        return Verdict(UNDECIDED, "the check ran out of memory", part=part_id)
    except RecursionError:
        return Verdict(INVALID, "the answer is nested too deeply", part=part_id)
    except Exception as exc:  # the worker must answer every request, whatever happens
        if isinstance(exc, DeriveError) and not isinstance(exc, AnswerEvaluationError):
            return Verdict(INVALID, str(exc), part=part_id)   # refused input, in derive's words
        if isinstance(exc, AnswerEvaluationError):   # derive's own words for what it cannot do
            return Verdict(UNDECIDED, f"{COULD_NOT_DECIDE} ({exc})", part=part_id)
        # Anything else is a bug in derive: logged for us, never shown as the verdict's reason.
        _LOG.exception("checking an answer to %s crashed", part_id)
        return Verdict(UNDECIDED, COULD_NOT_DECIDE, part=part_id)


def judge_safely(part_id: str, text: str, syntax: str, seed: int, budget: float,
                 variant: tuple[str, int] | None = None) -> Verdict:
    """The verdict on an answer to a registered part (or to its variant ``(seed, attempt)``),
    whatever happens while judging it."""
    return answered(lambda: judge(_part_of(part_id, variant), text, syntax=syntax, seed=seed,
                                  proof_budget=budget), part_id)


_VARIANTS: dict[tuple, object] = {}


def _part_of(part_id: str, variant: tuple[str, int] | None):
    """The registered part, or its variant drawn again from (seed, attempt): drawing is
    deterministic, so the worker judges against the part the caller verified."""
    part = registry.get_part(part_id)
    if variant is None:
        return part
    key = (part_id, id(part), *variant)
    if key not in _VARIANTS:
        if len(_VARIANTS) > 2_000:
            _VARIANTS.clear()
        _VARIANTS[key] = variant_part(part, *variant)[0]
    return _VARIANTS[key]


# ----------------------------------------------------------------------------- in the caller
# The caller's ends of every live worker's pipes, so that a newly forked worker closes them.
_CALLER_ENDS: dict[int, tuple] = {}
_SPAWN_LOCK = threading.Lock()
_REGISTRY_LOCK = threading.Lock()


class _Spawner:
    """A long-lived thread that forks workers for callers on short-lived threads.

    PR_SET_PDEATHSIG fires when the *thread* that forked a worker ends, not the process, so
    a worker must be forked by the main thread or by this one, which lives as long as the
    process does."""

    _queue: SimpleQueue | None = None
    _lock = threading.Lock()

    @classmethod
    def call(cls, fn):
        if threading.current_thread() is threading.main_thread():
            return fn()
        with cls._lock:
            if cls._queue is None:
                cls._queue = SimpleQueue()
                threading.Thread(target=cls._run, args=(cls._queue,), name="derive-spawner",
                                 daemon=True).start()
        done: Future = Future()
        cls._queue.put((fn, done))
        return done.result()

    @staticmethod
    def _run(queue: SimpleQueue) -> None:
        while True:
            fn, done = queue.get()
            try:
                done.set_result(fn())
            except BaseException as exc:
                done.set_exception(exc)


class _Worker:
    """One warm checking process; killed and restarted when an answer overruns its time."""

    def __init__(self):
        self.proc = None
        self.conn = None
        self.lifeline = None
        self.parts: tuple = ()

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def start(self) -> None:
        _Spawner.call(self._fork)
        self.parts = _registered()

    def _fork(self) -> None:
        methods = mp.get_all_start_methods()
        ctx = mp.get_context("fork" if "fork" in methods else "spawn")
        with _SPAWN_LOCK:
            parent, child = ctx.Pipe()
            life_read, life_write = os.pipe()
            inherited = [(parent, life_write)] + list(_CALLER_ENDS.values())
            proc = ctx.Process(target=_serve, args=(child, life_read, os.getpid(), inherited),
                               daemon=True, name="derive-check")
            proc.start()
            child.close()
            os.close(life_read)
            self.proc, self.conn, self.lifeline = proc, parent, life_write
            _CALLER_ENDS[id(self)] = (parent, life_write)

    def stop(self) -> None:
        with _SPAWN_LOCK:
            _CALLER_ENDS.pop(id(self), None)
        if self.proc is not None:
            if self.proc.is_alive():
                self.proc.kill()
            self.proc.join(timeout=2)
            self.conn.close()
            os.close(self.lifeline)
        self.proc = self.conn = self.lifeline = None

    def run(self, request: tuple, deadline: float) -> Verdict | None:
        """The verdict, or None when the answer overran the ``deadline`` (a time.monotonic()
        value; the worker is then stopped). Starting a worker counts against it."""
        # A forked worker knows the parts registered when it started; restart it after a
        # problem file is loaded.
        if self.proc is None or not self.proc.is_alive() or self.parts != _registered():
            self.stop()
            self.start()
        try:
            self.conn.send(request)
            if self.conn.poll(max(0.0, deadline - time.monotonic())):
                return self.conn.recv()
        except (EOFError, OSError):
            self.proc.join(timeout=1)
            code = self.proc.exitcode
            self.stop()
            if code == -signal.SIGXCPU:
                return Verdict(UNDECIDED, f"the check used more than {request[-1]:g} s of CPU time "
                               "and was stopped", part=request[0])
            return Verdict(UNDECIDED, "the checking process stopped unexpectedly", part=request[0])
        self.stop()
        return None


BUSY = object()   # no worker came free within the caller's time limit


class WorkerPool:
    """Up to ``size`` warm workers, started when first needed; a caller takes an idle one.

    >>> pool = WorkerPool(2)                                  # doctest: +SKIP
    >>> pool.check("softmax.ce_grad", "s - y").status        # doctest: +SKIP
    'correct'
    >>> pool.stop()                                           # doctest: +SKIP
    """

    def __init__(self, size: int | None = None):
        size = default_pool_size() if size is None else size
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise InvalidArgument(f"a worker pool needs a whole number of workers >= 1, got {size!r}")
        self.size = size
        self._workers = tuple(_Worker() for _ in range(size))
        self._idle: list[_Worker] = list(self._workers)
        # Callers waiting for a worker, oldest first: a freed worker goes to the oldest, so a
        # caller that has just finished cannot take it again ahead of one already waiting.
        self._waiting: collections.deque[list] = collections.deque()
        self._cond = threading.Condition()

    def pids(self) -> list[int]:
        """Process ids of the started workers (for tests and monitoring)."""
        return [w.pid for w in self._workers if w.pid is not None]

    def check(self, part_id: str, answer: str, *, syntax: str = "auto", seed: int = 0,
              timeout: float = 5.0, variant: tuple[str, int] | None = None) -> Verdict:
        """Like :func:`check`, in one of this pool's workers."""
        part, refused = _prepare(part_id, answer, variant)
        if refused is not None:
            return refused
        _check_timeout(timeout, allow_none=False)
        return self.run(part.id, judge_safely, (part.id, answer, syntax, seed), timeout, variant)

    def run(self, label: str, judging: Callable[..., Verdict], args: tuple,
            timeout: float, variant: tuple[str, int] | None = None) -> Verdict:
        """``judging(*args, budget)`` in one of this pool's workers, stopped after ``timeout``
        seconds (then ``undecided``); ``budget`` is the share of the time a proof may take,
        and the worker may use a little more CPU time than the wall-clock limit (BLAS
        threads) before the kernel stops it. ``judging`` must be a module-level function
        (it is sent to the worker) that returns a verdict whatever happens."""
        # A proof may take up to 2 s of a 5 s limit: for a part with sizes it is the only way
        # to `correct`, and a loaded machine slows it several times over.
        budget = min(2.0, timeout * 0.4)
        cpu = CPU_SECONDS_PER_WALL_SECOND * timeout + 1
        waited: list[float] = []
        verdict = self._run((label, judging, args + (budget,) + ((variant,) if variant else ()), cpu),
                            timeout, waited)
        if verdict is BUSY:
            return Verdict(UNDECIDED, f"busy: every checking process was in use for the whole time "
                           f"limit of {timeout:g} s; try again in a moment", part=label)
        if verdict is None and waited and waited[0] > max(timeout / 2, 0.5):
            return Verdict(UNDECIDED, f"busy: the check waited {waited[0]:.1f} s for a checking process "
                           f"and the rest of the {timeout:g} s limit was not enough; try again in a moment",
                           part=label)
        if verdict is None:
            return Verdict(UNDECIDED, f"the check took longer than {timeout:g} s and was stopped",
                           part=label)
        return verdict

    def _run(self, request: tuple, timeout: float, waited: list | None = None) -> Verdict | None:
        """The worker's verdict; None past the time limit; BUSY when no worker came free
        within it. The limit covers the whole wait, so a caller behind busy workers hears
        back within ``timeout`` seconds, as one that got a worker at once does. The seconds
        spent waiting for a worker are appended to ``waited``."""
        started = time.monotonic()
        deadline = started + timeout
        with self._cond:
            if self._idle and not self._waiting:
                worker = self._idle.pop()
            else:
                ticket: list = [None]   # filled with a worker by the caller that frees one
                self._waiting.append(ticket)
                while ticket[0] is None:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        self._waiting.remove(ticket)
                        return BUSY
                    self._cond.wait(remaining)
                worker = ticket[0]
        if waited is not None:
            waited.append(time.monotonic() - started)
        try:
            return worker.run(request, deadline)
        finally:
            self._release(worker)

    def _release(self, worker) -> None:
        """Hand the worker to the oldest waiting caller, else put it back among the idle."""
        with self._cond:
            if self._waiting:
                self._waiting.popleft()[0] = worker
                self._cond.notify_all()
            else:
                self._idle.append(worker)
                self._cond.notify()

    def stop(self) -> None:
        """Stop the idle workers (they restart when next needed; busy ones finish first)."""
        with self._cond:   # take them, so that no caller uses one while it stops
            idle, self._idle = self._idle, []
        try:
            for worker in idle:
                worker.stop()
        finally:
            for worker in idle:
                self._release(worker)

    def resize(self, size: int) -> None:
        """Serve with ``size`` workers from now on (a server sets its pool once, before its
        first request; busy workers of the old size are killed as by :meth:`terminate`)."""
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise InvalidArgument(f"a worker pool needs a whole number of workers >= 1, got {size!r}")
        self.terminate()
        with self._cond:
            self.size = size
            self._workers = tuple(_Worker() for _ in range(size))
            self._idle = list(self._workers)

    def start_all(self) -> None:
        """Fork every idle worker now rather than at its first request (a server warms its
        pool before it listens)."""
        with self._cond:
            idle, self._idle = self._idle, []
        try:
            for worker in idle:
                if worker.proc is None or not worker.proc.is_alive():
                    worker.start()
        finally:
            for worker in idle:
                self._release(worker)

    def terminate(self) -> None:
        """Kill every worker, busy ones too (their callers get ``undecided``), then stop."""
        for worker in self._workers:
            proc = worker.proc
            if proc is not None and proc.is_alive():
                proc.kill()   # the caller waiting on it sees the pipe close and cleans up
        self.stop()

    def __enter__(self) -> "WorkerPool":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _registered() -> tuple:
    return tuple(id(p) for p in registry.all_parts())


def _prepare(part_id: str, answer, variant: tuple[str, int] | None = None) -> tuple:
    """(part, None) when the answer can be checked, else (part, the invalid verdict).
    Raises UnknownPart for an unknown id, NotParametrised for a variant of a part without
    parameters, InvalidArgument for a variant seed that is not text."""
    with _REGISTRY_LOCK:   # the first call loads the problem modules; callers wait for it
        part = registry.get_part(part_id)
        if variant is not None:
            variant_part(part, *variant)   # refuses a bad seed or a part without parameters here
    if not part.answer:
        return part, _refusal(part)
    if not isinstance(answer, str):
        return part, Verdict(INVALID, f"an answer must be text, got {type(answer).__name__}",
                             part=part.id)
    return part, None


def _refusal(part) -> Verdict:
    takers = [p.id for p in registry.all_parts() if p.answer]
    near = [p for p in takers if p.split(".")[0] == part.family] or takers
    shown = ", ".join(near[:12]) + (" ..." if len(near) > 12 else "")
    return Verdict(INVALID, f"{part.id} takes no answer; the parts that do: {shown}"
                   + ("" if near is takers else " (run `derive list` for the others)"), part=part.id)


def _check_timeout(timeout, *, allow_none: bool) -> None:
    if timeout is None and allow_none:
        return
    if not (isinstance(timeout, (int, float)) and not isinstance(timeout, bool)
            and 0 < timeout < float("inf")):  # refuses nan too
        raise InvalidArgument(f"timeout must be a positive number of seconds (or None), got {timeout!r}")


_POOL = WorkerPool()


def shared_pool() -> WorkerPool:
    """The pool behind :func:`check`, :func:`derive.equivalent` and :func:`derive.audit`."""
    return _POOL


def check(part_id: str, answer: str, *, syntax: str = "auto", seed: int = 0,
          timeout: float | None = 5.0, variant: tuple[str, int] | None = None) -> Verdict:
    """Check ``answer`` to the part ``part_id``.

    Raises UnknownPart for an unknown id; a part that takes no answers gives ``invalid``.
    ``timeout`` (seconds) is a hard limit enforced by a worker process; ``None`` checks in
    this process without a limit.
    """
    part, refused = _prepare(part_id, answer, variant)
    if refused is not None:
        return refused
    _check_timeout(timeout, allow_none=True)
    if timeout is None:
        return judge_safely(part.id, answer, syntax, seed, 1.0, variant)
    return _POOL.check(part.id, answer, syntax=syntax, seed=seed, timeout=timeout, variant=variant)
