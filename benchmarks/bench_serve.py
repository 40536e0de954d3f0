"""`derive serve` under load: concurrent clients (asyncio + httpx) posting a mix of right, wrong and
hostile answers to ``/api/check`` for a fixed time against a local server, plus one client that
floods (to show its 429s do not slow the others).

    python benchmarks/bench_serve.py [--clients 50] [--seconds 60] [--workers 2] [--url URL]

Without ``--url`` it starts ``derive serve --port 0`` from this tree and stops it with Ctrl-C
(SIGINT) at the end. Each client has its own address (X-Forwarded-For, which uvicorn trusts
from loopback), so each has its own token bucket, as students on their own machines would.

1. the single caller: every distinct answer once, one request at a time (this also warms the
   workers' caches for those answers, as a class repeating the same answers would; ``--fresh``
   of the load run's answers are drawn from 120 templated ones, which the single caller had
   judged in one worker only, so the other workers judge them anew);
2. the load run: ``--clients`` clients, each posting one answer after another (no pause) for
   ``--seconds``; the flooder posts previews as fast as 4 connections allow.

Reports throughput, latency p50/p95/p99/max of the checks, HTTP errors (5xx and others), 429s
(of the clients and of the flooder), verdicts that differ from the single caller's (status,
message and counterexample), and the ``undecided`` ones that said busy or timed out.
Targets (issue 23): p95 <= 1 s with 50 clients on the 2-core machine, no 5xx, no verdict
that differs.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]

RIGHT = [("softmax.ce_grad", "s - y"), ("softmax.ce_grad", r"\hat{y} - y"),
         ("softmax.mse_grad", r"2 (\operatorname{diag}(\hat{y}) - \hat{y}\hat{y}^\top)(\hat{y} - y)"),
         ("activation.sigmoid_grad", "sigma(z)*(1-sigma(z))"), ("activation.tanh_grad", "1 - tanh(z)^2"),
         ("optim.gd_step_bound", r"0 < \epsilon < 2/\lambda_{\max}"), ("activation.relu_grad", "[z > 0]")]
WRONG = [("softmax.ce_grad", "y - s"), ("softmax.ce_grad", "s + y"), ("activation.sigmoid_grad", "sigma(z)"),
         ("activation.tanh_grad", "1 + tanh(z)^2"), ("optim.gd_step_bound", r"0 < \epsilon \le 2/\lambda_{\max}"),
         ("softmax.mse_grad", r"(\hat{y} - y)"), ("activation.relu_grad", "[z >= 0] * z")]
HOSTILE = [("softmax.ce_grad", "(" * 200 + "s" + ")" * 200), ("softmax.ce_grad", "s^(9^9^9)"),
           ("softmax.ce_grad", "<script>alert(1)</script>"), ("softmax.ce_grad", "s - y +"),
           ("activation.sigmoid_grad", "sigma(" * 25 + "z" + ")" * 25), ("softmax.ce_grad", "\x00" * 50),
           ("activation.tanh_grad", "tanh(z)^(10^10) - tanh(z)^(10^10) + 1 - tanh(z)^2"),
           ("softmax.ce_grad", "__import__('os').system('id')"), ("softmax.ce_grad", "s" * 3000)]
MIX = RIGHT * 3 + WRONG * 3 + HOSTILE   # about 45% right, 45% wrong, 10% hostile
# Answers no worker has judged before (each a new tree): a right and a wrong one per number.
FRESH = [(p, a) for k in range(2, 62) for p, a in
         [("softmax.ce_grad", f"s - y + {k}*(y - y)"), ("activation.sigmoid_grad", f"{k}*sigma(z)*(1-sigma(z))")]]


def start_server(workers: int) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "derive", "serve", "--port", "0", "--workers", str(workers)],
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stderr=subprocess.PIPE, text=True)
    while line := proc.stderr.readline():
        found = re.search(r"derive serve: (http://\S+?)/ ", line)
        if found:
            return proc, found.group(1)
    raise SystemExit("the server did not start")


def key(verdict: dict) -> tuple:
    return verdict["status"], verdict["message"], repr(verdict.get("counterexample"))


async def single_caller(url: str) -> dict:
    out = {}
    async with httpx.AsyncClient(base_url=url, timeout=30, headers={"x-forwarded-for": "10.1.0.1"}) as c:
        for part, answer in dict.fromkeys(MIX + FRESH):
            r = await c.post("/api/check", json={"part": part, "answer": answer})
            if r.status_code == 429:
                await asyncio.sleep(float(r.headers["retry-after"]))
                r = await c.post("/api/check", json={"part": part, "answer": answer})
            out[(part, answer)] = key(r.json())
    return out


async def client(url: str, n: int, until: float, fresh: float, rows: list, seed: int) -> None:
    rng = np.random.default_rng(seed)
    async with httpx.AsyncClient(base_url=url, timeout=30, headers={"x-forwarded-for": f"10.0.{n // 250}.{n % 250 + 1}"}) as c:
        while time.monotonic() < until:
            part, answer = FRESH[rng.integers(len(FRESH))] if rng.random() < fresh else MIX[rng.integers(len(MIX))]
            started = time.monotonic()
            try:
                r = await c.post("/api/check", json={"part": part, "answer": answer})
                code, body = r.status_code, r.json()
            except (httpx.HTTPError, ValueError) as exc:
                code, body = 0, {"error": str(exc)}
            rows.append((time.monotonic() - started, code, part, answer, body))
            if code == 429:
                await asyncio.sleep(float(r.headers.get("retry-after", 1)))


async def flooder(url: str, until: float, codes: list) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=30, headers={"x-forwarded-for": "10.9.9.9"}) as c:
        async def one():
            while time.monotonic() < until:
                r = await c.post("/api/preview", json={"answer": "s - y", "part": "softmax.ce_grad"})
                codes.append(r.status_code)
        await asyncio.gather(*(one() for _ in range(4)))


async def load(url: str, clients: int, seconds: float, fresh: float) -> tuple[list, list, float]:
    rows, flood = [], []
    started = time.monotonic()
    until = started + seconds
    await asyncio.gather(flooder(url, until, flood),
                         *(client(url, n, until, fresh, rows, seed=n) for n in range(clients)))
    return rows, flood, time.monotonic() - started


def report(rows: list, flood: list, elapsed: float, expected: dict, clients: int) -> int:
    checks = [r for r in rows if r[1] == 200]
    latency = np.array([r[0] for r in checks]) if checks else np.zeros(1)
    errors = [r for r in rows if r[1] not in (200, 429)]
    fivexx = [r for r in rows if r[1] >= 500]
    busy = [r for r in checks if r[4]["status"] == "undecided" and ("busy" in r[4]["message"] or "longer than" in r[4]["message"])]
    differ = [r for r in checks if key(r[4]) != expected[(r[2], r[3])] and r not in busy]
    print("| clients | seconds | checks | checks/s | p50 | p95 | p99 | max | errors (5xx) | 429 clients | 429 flooder (of) | busy/timeout | differ |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    print(f"| {clients} | {elapsed:.0f} | {len(checks)} | {len(checks) / elapsed:.1f} | "
          f"{np.percentile(latency, 50) * 1000:.0f} ms | {np.percentile(latency, 95) * 1000:.0f} ms | "
          f"{np.percentile(latency, 99) * 1000:.0f} ms | {latency.max() * 1000:.0f} ms | {len(errors)} ({len(fivexx)}) | "
          f"{sum(r[1] == 429 for r in rows)} | {flood.count(429)} ({len(flood)}) | {len(busy)} | {len(differ)} |")
    for r in differ[:10]:
        print(f"  differs: {r[2]} {r[3][:60]!r}: {key(r[4])[:2]} vs {expected[(r[2], r[3])][:2]}")
    for r in errors[:5]:
        print(f"  error {r[1]}: {r[2]} {r[3][:60]!r}: {str(r[4])[:200]}")
    ok = not fivexx and not differ and np.percentile(latency, 95) <= 1.0
    print("targets (p95 <= 1 s, no 5xx, no differing verdict):", "met" if ok else "NOT met")
    return 0 if ok else 1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--fresh", type=float, default=0.05,
                    help="share of answers drawn from 120 templated ones no worker has judged (default 0.05)")
    ap.add_argument("--url", help="an already running server (default: start one from this tree)")
    args = ap.parse_args()
    proc = None
    url = args.url
    if url is None:
        proc, url = start_server(args.workers)
    try:
        expected = asyncio.run(single_caller(url))
        rows, flood, elapsed = asyncio.run(load(url, args.clients, args.seconds, args.fresh))
        return report(rows, flood, elapsed, expected, args.clients)
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
