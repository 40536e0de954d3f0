"""`derive serve` as a process: its address, what a public host exposes, a clean Ctrl-C, a
port in use, problem files, raw requests no client normalises, a slow client."""
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

from .live import alive, children, raw_get, start_server


def test_ctrl_c_stops_the_server_and_leaves_no_process():
    proc, url = start_server("--workers", "2")
    workers = children(proc.pid)
    assert len(workers) >= 2, "the pool is started (and warmed) with the server"
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=30) == 0
    time.sleep(0.5)
    assert not [w for w in workers if alive(w)], "a checking worker outlived the server"


def test_a_public_host_says_what_it_exposes():
    proc = subprocess.Popen([sys.executable, "-m", "derive", "serve", "--host", "0.0.0.0", "--port", "0",
                             "--workers", "1"], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            stderr=subprocess.PIPE, text=True)
    try:
        lines = [proc.stderr.readline() for _ in range(2)]
        assert "every network interface" in lines[1] and "anyone who can reach this machine" in lines[1]
        assert "expected answers are not shown" in lines[1]
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)


@pytest.mark.parametrize("target", ["/static/../../../pyproject.toml", "/static/%2e%2e/%2e%2e/%2e%2e/pyproject.toml",
                                    "/static/..%2f..%2f..%2fpyproject.toml", "/static//etc/passwd",
                                    "/static/%2Fetc%2Fpasswd", "/static/....//....//etc/passwd"])
def test_a_raw_path_traversal_reads_nothing(server, target):
    status, data = raw_get(server, target)
    assert status in (400, 404) and b"[build-system]" not in data and b"root:" not in data


def test_a_slow_client_is_cut_off_without_holding_a_worker(server):
    host, port = server.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as slow:
        slow.sendall(b"POST /api/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100\r\n\r\n{\"part\": ")
        started = time.monotonic()
        # meanwhile the checker answers others at once
        status, data = raw_get(server, "/api/parts")
        assert status == 200
        reply = slow.recv(65536)
        assert b" 408 " in reply.split(b"\r\n")[0] and time.monotonic() - started < 20


def _apt_lines(text: str) -> list[set[str]]:
    return [set(line.replace("\\\n", " ").split("`")[0].split(">")[0].split()) - {"-y", "-qq", "--no-install-recommends"}
            for line in text.replace("\\\n", " ").split("apt-get install")[1:]]


def test_the_readme_and_ci_install_the_same_browser():
    readme = _apt_lines((ROOT / "README.md").read_text())
    ci = _apt_lines((ROOT / ".ci" / "run").read_text())
    assert {"chromium"} in readme and {"chromium"} in ci
    assert "DERIVE_BROWSER_REQUIRED=1" in (ROOT / ".ci" / "run").read_text()


def test_pages_are_quick_to_serve(server):
    import httpx
    with httpx.Client(base_url=server) as c:
        for path in ("/", "/part/softmax.ce_grad", "/audit", "/static/serve.js"):
            c.get(path)   # the first render compiles the template
            started = time.monotonic()
            got = c.get(path)
            assert got.status_code == 200 and time.monotonic() - started < 0.2, path


def test_a_port_in_use_is_said_in_words(server):
    port = server.rsplit(":", 1)[1]
    out = subprocess.run([sys.executable, "-m", "derive", "serve", "--port", port, "--workers", "1"], cwd=ROOT,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and f"could not listen on 127.0.0.1:{port}" in out.stderr


def test_problems_files_are_served(tmp_path):
    readme = (ROOT / "README.md").read_text()
    module = re.search(r"```python\n(\"\"\"Softmax with temperature.*?)```", readme, re.S).group(1)
    (tmp_path / "temperature.py").write_text(module)
    proc, url = start_server("--workers", "1", "--problems", str(tmp_path / "temperature.py"))
    try:
        import httpx
        ids = [p["id"] for p in httpx.get(url + "/api/parts").json()]
        assert "temperature.jacobian" in ids and "softmax.ce_grad" in ids
        assert httpx.get(url + "/part/temperature.jacobian").status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
