"""`derive serve` as a user meets it: a real server on a free loopback port, started by the
test, driven by headless Chromium (Debian's, through Playwright). Screenshots are written to
DERIVE_SCREENSHOTS (default: a temporary folder) to be looked at."""
import os
import shutil
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BROWSERS = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]


def browser_path() -> str | None:
    return next((p for p in BROWSERS if os.access(p, os.X_OK)), None) or shutil.which("chromium")


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
    assert rows["your answer"] == "(-0.5, 0.5)" and rows["expected"] == "(0.5, -0.5)"   # the simplest point
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


def test_a_file_is_loaded_into_the_audit_box(server, page):
    page.goto(f"{server}/audit")
    page.set_input_files("#file", files=[{"name": "solution.md", "mimeType": "text/markdown",
                                          "buffer": SOLUTION.encode()}])
    page.wait_for_function("document.getElementById('text').value.length > 0")
    assert page.input_value("#text") == SOLUTION
    page.set_input_files("#file", files=[{"name": "photo.png", "mimeType": "image/png", "buffer": b"\x89PNG"}])
    assert "choose a .md or .tex file" in page.inner_text("#file-problem")
    assert page.problems == [], page.problems


def test_the_index_links_every_part(server, page, shots):
    page.goto(server + "/")
    links = page.eval_on_selector_all(".parts a", "as => as.map(a => a.getAttribute('href'))")
    assert "/part/softmax.ce_grad" in links and len(links) == len(set(links)) >= 60
    page.screenshot(path=str(shots / "index.png"))
    assert page.problems == [], page.problems
    assert page.goto(server + "/part/no.such_part").status == 404
    assert "no.such_part" in page.inner_text(".problem")
