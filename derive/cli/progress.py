"""What ``derive build`` and ``derive verify`` are doing, with the time since they started.

On a terminal one live line is rewritten in place (carriage return and clear-to-end) and
ticks while a slow stage runs, so a part that takes 15 s is visibly busy, not hung. Anywhere
else (a log, CI, a pipe) every stage is one plain line, so the log shows where time went:

    [   0.0 s] verifying activation.sigmoid_grad (1/6)
    [  10.4 s] judging the slips of activation.sigmoid_grad (1/5)
    [  11.0 s] rendering activation.relu_fit (6/6)
    [  26.3 s] wrote build/activation.html
"""
from __future__ import annotations

import shutil
import sys
import threading
import time
from typing import Callable, TextIO

CLEAR = "\r\033[K"   # back to column 0, erase to the end of the line


class Progress:
    """Stages (transient: the next one replaces it on a terminal) and notes (kept lines,
    such as ``wrote build/x.html`` or a warning), each stamped with the elapsed time."""

    def __init__(self, stream: TextIO | None = None, *, live: bool | None = None,
                 clock: Callable[[], float] = time.monotonic, tick: float = 0.5):
        self.stream = stream if stream is not None else sys.stderr
        self.live = _is_terminal(self.stream) if live is None else live
        self.clock = clock
        self.started = clock()
        self._stage = ""
        self._stage_started = self.started
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker = None
        if self.live:
            # Re-draws the line while one stage runs long; the work itself never waits on it.
            self._ticker = threading.Thread(target=self._tick, args=(tick,), daemon=True)
            self._ticker.start()

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def elapsed(self) -> float:
        return self.clock() - self.started

    def _stamp(self) -> str:
        return f"[{self.elapsed():>6.1f} s]"

    def stage(self, text: str) -> None:
        """A stage begins: a plain line, or the live line rewritten."""
        with self._lock:
            self._stage, self._stage_started = text, self.clock()
            if self.live:
                self._draw()
            else:
                self._write(f"{self._stamp()} {text}\n")

    def note(self, text: str) -> None:
        """A line that stays (a file written, a warning); the live line is redrawn below it."""
        with self._lock:
            if self.live:
                self._write(f"{CLEAR}{self._stamp()} {text}\n")
                self._draw()
            else:
                self._write(f"{self._stamp()} {text}\n")

    def close(self) -> None:
        """Stop ticking and clear the live line (notes already printed stay)."""
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(timeout=1)
            self._ticker = None
        with self._lock:
            if self.live and self._stage:
                self._write(CLEAR)
            self._stage = ""

    # ---------------------------------------------------------------- internals

    def _draw(self) -> None:
        if not self._stage:
            return
        own = self.clock() - self._stage_started
        line = f"{self._stamp()} {self._stage}" + (f" ... {own:.0f} s" if own >= 1 else "")
        width = shutil.get_terminal_size((100, 20)).columns - 1
        if len(line) > width:   # a wrapped line could not be rewritten in place
            line = line[:max(width - 3, 0)] + "..."
        self._write(CLEAR + line)

    def _tick(self, every: float) -> None:
        while not self._stop.wait(every):
            with self._lock:
                self._draw()

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):   # a closed or broken stderr must not stop the work
            pass


class BatchProgress:
    """Progress through a batch, ``progress(done, total)``: one line rewritten in place with
    the rate on a terminal, a line per 10% anywhere else. (Not a :class:`Progress`: a batch
    reports counts thousands of times, not a few stages.)"""

    def __init__(self, label: str, unit: str, stream: TextIO | None = None):
        self.label, self.unit = label, unit
        self.stream = stream or sys.stderr
        self.tty = _is_terminal(self.stream)
        self.started = time.perf_counter()
        self.last = -1.0

    def __call__(self, done: int, total: int) -> None:
        now = time.perf_counter()
        if self.tty:
            if now - self.last < 0.1 and done != total:
                return
            self.last = now
            rate = done / max(now - self.started, 1e-9)
            self.stream.write(f"\r{self.label} {done}/{total} ({rate:.0f} {self.unit}/s)")
            if done == total:
                self.stream.write("\n")
        elif done == total or done % max(1, total // 10) == 0:
            self.stream.write(f"{self.label} {done}/{total}\n")
        self.stream.flush()


def _is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
