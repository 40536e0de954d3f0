"""The checking workers: none outlives its caller, each answer has a CPU-time limit next to
the wall-clock one, and concurrent callers do not queue behind one hostile answer."""
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from derive.answers.serve import worker
from derive.model.verdict import CORRECT, INVALID, UNDECIDED
from derive.errors import InvalidArgument

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def children(pid: int) -> set[int]:
    """Every live descendant of ``pid`` (zombies count as gone)."""
    found, frontier = set(), {pid}
    while frontier:
        parents, frontier = frontier, set()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) in parents and fields[0] != "Z":
                frontier.add(int(entry.name))
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# The caller: checks an answer whose check never ends (the judge is replaced by a busy loop,
# inherited by the forked worker), from the main thread or from a short-lived thread.
CALLER = textwrap.dedent("""
    import sys, threading
    import derive
    from derive.answers.serve import worker

    def spin(*args, **kwargs):
        while True:
            pass

    worker.judge = spin
    if sys.argv[1] == "lifeline only":      # no PR_SET_PDEATHSIG: the pipe watch alone
        worker._die_with_parent = lambda parent_pid: None
    if sys.argv[1] == "from a thread":
        caller = threading.Thread(target=derive.check, args=("softmax.ce_grad", "s - y"),
                                  kwargs={"timeout": 600})
        caller.start()
        caller.join()
    else:
        derive.check("softmax.ce_grad", "s - y", timeout=600)
""")


@pytest.mark.slow
@pytest.mark.parametrize("how", ["main thread", "from a thread", "lifeline only"])
def test_killing_a_caller_leaves_no_process_behind(tmp_path, how):
    script = tmp_path / "caller.py"
    script.write_text(CALLER)
    caller = subprocess.Popen([sys.executable, str(script), how], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        busy = set()
        while not busy and time.monotonic() < deadline:   # wait until a worker is spinning
            time.sleep(0.2)
            busy = {p for p in children(caller.pid) if cpu_seconds(p) > 0.3}
        assert busy, f"no busy worker appeared: {caller.poll()} {caller.stderr.read1() if caller.poll() else ''}"
        left = children(caller.pid)
    finally:
        caller.send_signal(signal.SIGKILL)
        caller.wait()
    deadline = time.monotonic() + 10
    while any(alive(p) for p in left) and time.monotonic() < deadline:
        time.sleep(0.1)
    survivors = [p for p in left if alive(p)]
    for p in survivors:    # do not leave them spinning on a shared machine
        os.kill(p, signal.SIGKILL)
    assert not survivors, f"{how}: processes {survivors} outlived their killed caller"


def slow_for(text, seconds=None, spin=False):
    """A judge that takes forever on ``text`` only (forked workers inherit it)."""
    real = worker.judge

    def judge(part, answer, **kwargs):
        if answer == text:
            if spin:
                while True:
                    pass
            time.sleep(seconds)
        return real(part, answer, **kwargs)
    return judge


@pytest.mark.slow
def test_threads_do_not_queue_behind_a_hostile_answer(monkeypatch):
    worker._POOL.stop()
    monkeypatch.setattr(worker, "judge", slow_for("HOSTILE", 60))
    hostile = {}

    def check_hostile():
        hostile["verdict"] = worker.check("softmax.ce_grad", "HOSTILE", timeout=6)
        hostile["done"] = time.monotonic()
    thread = threading.Thread(target=check_hostile)
    thread.start()
    time.sleep(0.5)
    started = time.monotonic()
    verdict = worker.check("softmax.ce_grad", "s - y", timeout=30)
    finished = time.monotonic()
    thread.join()
    monkeypatch.undo()
    worker._POOL.stop()
    assert verdict.status == CORRECT
    assert "done" in hostile and finished < hostile["done"], "the honest answer waited for the hostile one"
    assert finished - started < 5
    assert hostile["verdict"].status == UNDECIDED and "longer than 6 s" in hostile["verdict"].message


@pytest.mark.slow
def test_the_time_limit_covers_waiting_for_a_busy_pool(monkeypatch):
    # One worker, held by a hostile answer for its whole 8 s: a second caller with a 1 s limit
    # hears "busy" at about 1 s instead of queueing behind it; once the worker is free again,
    # checks go through.
    monkeypatch.setattr(worker, "judge", slow_for("HOSTILE", 60))
    pool = worker.WorkerPool(1)
    try:
        hostile = {}
        thread = threading.Thread(target=lambda: hostile.update(
            verdict=pool.check("softmax.ce_grad", "HOSTILE", timeout=8)))
        thread.start()
        time.sleep(0.5)
        started = time.monotonic()
        verdict = pool.check("softmax.ce_grad", "s - y", timeout=1)
        waited = time.monotonic() - started
        assert verdict.status == UNDECIDED and verdict.message.startswith("busy:"), verdict
        assert 0.9 <= waited < 3, waited
        thread.join()
        assert hostile["verdict"].status == UNDECIDED and "longer than 8 s" in hostile["verdict"].message
        monkeypatch.undo()
        assert pool.check("softmax.ce_grad", "s - y", timeout=30).status == CORRECT
    finally:
        pool.stop()


@pytest.mark.slow
def test_a_worker_stops_itself_past_its_cpu_time(monkeypatch):
    worker._POOL.stop()
    monkeypatch.setattr(worker, "judge", slow_for("SPIN", spin=True))
    pool = worker.WorkerPool(1)
    try:
        started = time.monotonic()
        # A wall-clock limit of a minute that the caller never reaches: one CPU second is
        # allowed, so the kernel stops the worker (SIGXCPU) within about two.
        verdict = pool._run(("softmax.ce_grad", worker.judge_safely,
                             ("softmax.ce_grad", "SPIN", "auto", 0, 0.3), 1), 60)   # 60 s limit
        elapsed = time.monotonic() - started
        assert verdict.status == UNDECIDED and "more than 1 s of CPU time" in verdict.message, verdict
        assert elapsed < 20
        monkeypatch.undo()
        assert pool.check("softmax.ce_grad", "y - s", timeout=30).status == "incorrect"
    finally:
        pool.stop()


def test_a_part_without_answers_refuses_one_in_python_and_in_the_worker():
    for timeout in (None, 5):
        verdict = worker.check("softmax.shift", "softmax(z)", timeout=timeout)
        assert verdict.status == INVALID
        assert verdict.message.startswith("softmax.shift takes no answer; the parts that do: softmax.")
        assert "softmax.ce_grad" in verdict.message and "softmax.shift," not in verdict.message


@pytest.mark.parametrize("size", [0, -2, 1.5, True, "2"])
def test_a_pool_needs_a_whole_number_of_workers(size):
    with pytest.raises(InvalidArgument, match=f"got {size!r}"):
        worker.WorkerPool(size)


def test_the_default_pool_is_small():
    assert 2 <= worker.default_pool_size() <= 4


class _SlowWorker:
    """Stands in for a worker process: each request takes 0.15 s and is recorded."""

    def __init__(self, served):
        self.served, self.pid, self.proc = served, None, None

    def run(self, request, deadline):
        time.sleep(0.15)
        self.served.append(request)
        return "verdict"

    def stop(self):
        pass


def test_a_waiting_caller_is_served_before_a_caller_that_comes_back():
    # One worker; a caller that checks again the moment it finishes must not take the worker
    # ahead of one already waiting (the load run saw quick answers come back "busy" so).
    served = []
    pool = worker.WorkerPool(1)
    pool._workers = (_SlowWorker(served),)
    pool._idle = list(pool._workers)
    results = {}

    def greedy():
        for k in range(6):
            pool._run(("greedy", k), timeout=5)

    def waiting():
        time.sleep(0.05)   # arrives while the greedy caller's first check runs
        results["waiting"] = pool._run(("waiting", 0), timeout=0.5)

    threads = [threading.Thread(target=greedy), threading.Thread(target=waiting)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results["waiting"] == "verdict", served
    assert served.index(("waiting", 0)) == 1, served   # right after the check it waited for


def test_a_pool_is_started_and_resized_before_it_serves():
    pool = worker.WorkerPool(1)
    try:
        pool.start_all()
        first = pool.pids()
        assert len(first) == 1 and pool.check("softmax.ce_grad", "s - y").status == CORRECT
        pool.resize(2)
        assert pool.size == 2 and pool.pids() == []     # the old worker is killed, none started yet
        pool.start_all()
        assert len(pool.pids()) == 2 and not set(first) & set(pool.pids())
        with pytest.raises(InvalidArgument, match="whole number of workers"):
            pool.resize(0)
    finally:
        pool.terminate()
    assert pool.pids() == []
