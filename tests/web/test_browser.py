"""`derive serve` as a user meets it: a real server on a free loopback port, started by the
test, driven by headless Chromium (Debian's, through Playwright). Screenshots are written to
DERIVE_SCREENSHOTS (default: a temporary folder) to be looked at."""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BROWSERS = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]


def browser_path() -> str | None:
    return next((p for p in BROWSERS if os.access(p, os.X_OK)), None) or shutil.which("chromium")


def start_server(*args) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "derive", "serve", "--port", "0", *args], cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, stderr=subprocess.PIPE, text=True)
    deadline, seen = time.monotonic() + 120, []
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        seen.append(line)
        found = re.search(r"derive serve: (http://\S+?)/ ", line)
        if found:
            return proc, found.group(1)
    proc.kill()
    raise AssertionError("the server did not say its address:\n" + "".join(seen))


def children(pid: int) -> set[int]:
    out = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.add(int(stat.parent.name))
    return out


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture(scope="module")
def server():
    proc, url = start_server("--workers", "2")
    yield url
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=30)


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


def raw_get(url: str, target: str) -> tuple[int, bytes]:
    """A request line sent as written: no client normalises the path first."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    return int(data.split(b" ", 2)[1]), data


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


@pytest.fixture(scope="module")
def browser():
    path = browser_path()
    if path is None and os.environ.get("DERIVE_BROWSER_REQUIRED"):
        pytest.fail("DERIVE_BROWSER_REQUIRED is set but no Chromium is installed (apt-get install chromium)")
    if path is None:
        pytest.skip("no Chromium: install Debian's chromium (apt-get install chromium) to run the browser tests")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.problems = []
    page.on("console", lambda m: m.type in ("error", "warning") and page.problems.append(m.text))
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    yield page
    context.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    folder = Path(os.environ.get("DERIVE_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_type_see_the_preview_check_and_read_the_counterexample(server, page, shots):
    started = time.monotonic()
    page.goto(f"{server}/part/softmax.ce_grad")
    assert time.monotonic() - started < 2
    box = page.locator("#answer")
    box.press_sequentially("y - s +", delay=20)
    page.wait_for_selector("#preview.problem")
    assert "ends too early" in page.inner_text("#preview")
    page.screenshot(path=str(shots / "part-problem.png"))
    box.press("Backspace")
    box.press("Backspace")
    page.wait_for_selector("#preview.read math")
    read = page.eval_on_selector("#preview math", "m => [...m.querySelectorAll('mi, mo')].map(e => e.textContent)")
    assert read == ["y", "−", "s"] and page.inner_text("#preview .label").strip() == "Read as:"
    page.screenshot(path=str(shots / "part-preview.png"))
    page.click("#check")
    page.wait_for_selector("#verdict")
    assert page.inner_text("#verdict h2").lower() == "incorrect"
    rows = dict(r.split("\t") for r in page.inner_text("#counterexample").splitlines()[1:] if "\t" in r)
    assert rows["your answer"] == "(-0.922643, 0.922643)" and rows["expected"] == "(0.922643, -0.922643)"
    assert "slip" in page.inner_text(".diagnosis")
    page.wait_for_selector("#preview.read math")   # the answer is kept, and read again
    page.screenshot(path=str(shots / "part-verdict.png"), full_page=True)
    assert page.problems == [], page.problems     # no script error, no CSP violation


def test_a_right_answer_in_latex(server, page, shots):
    page.goto(f"{server}/part/softmax.ce_grad")
    page.locator("#answer").press_sequentially(r"\hat{y} - y", delay=10)
    page.wait_for_selector("#preview.read math")
    page.click("#check")
    page.wait_for_selector("#verdict.correct")
    assert "proved" in page.inner_text("#verdict")
    page.screenshot(path=str(shots / "part-correct.png"), full_page=True)
    assert page.problems == [], page.problems


def test_hostile_input_is_shown_as_text(server, page):
    page.goto(f"{server}/part/softmax.ce_grad")
    page.locator("#answer").fill("<img src=x onerror=alert(1)>")
    page.click("#check")
    page.wait_for_selector("#verdict")
    assert page.locator("#verdict img").count() == 0 and page.locator("main img").count() == 0
    assert page.input_value("#answer") == "<img src=x onerror=alert(1)>"


SOLUTION = r"""# tanh through the sigmoid

We rewrite $\tanh$ with exponentials:

$$\tanh(z) = \frac{e^z - e^{-z}}{e^z + e^{-z}} = \frac{1 - e^{-2z}}{1 + e^{-2z}} = 2\sigma(z) - 1$$

so the two activations differ by a shift and a scale.
"""


def test_audit_page_paste_and_read_the_highlighted_step(server, page, shots):
    page.goto(f"{server}/audit")
    page.fill("#text", SOLUTION)
    page.select_option("#part", "activation.tanh_sigmoid")
    page.click("#audit")
    page.wait_for_selector("#first-wrong")
    assert "step 3 is wrong" in page.inner_text(".headline")
    wrong = page.locator("#first-wrong")
    assert "wrong" in wrong.get_attribute("class") and "Does not follow" in wrong.get_attribute("title")
    assert page.locator(".step.proved").count() == 2
    outline = page.eval_on_selector("#first-wrong", "e => getComputedStyle(e).outlineStyle")
    assert outline == "solid"   # the served audit style applies under the CSP
    page.screenshot(path=str(shots / "audit.png"), full_page=True)
    assert page.problems == [], page.problems


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


def test_the_index_links_every_part(server, page, shots):
    page.goto(server + "/")
    links = page.eval_on_selector_all(".parts a", "as => as.map(a => a.getAttribute('href'))")
    assert "/part/softmax.ce_grad" in links and len(links) == len(set(links)) >= 60
    page.screenshot(path=str(shots / "index.png"))
    assert page.problems == [], page.problems
    assert page.goto(server + "/part/no.such_part").status == 404
    assert "no.such_part" in page.inner_text(".problem")
