"""The JSON API and the pages through Starlette's TestClient: verdicts as the checker gives them,
refusals as JSON with fitting statuses, the limits (size, rate) and the security rules."""
import json
import warnings

import pytest

with warnings.catch_warnings():   # Starlette asks for httpx2 in future; httpx is what it runs on today
    warnings.filterwarnings("ignore", message=".*httpx2")
    from starlette.testclient import TestClient

import derive
from derive.web import Settings, create_app
from derive.web.guards import TokenBuckets

HEADERS = {"x-content-type-options": "nosniff", "x-frame-options": "DENY"}


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    sheets = tmp_path_factory.mktemp("sheets")
    (sheets / "softmax.html").write_text("<html><body>the softmax sheet</body></html>")
    (sheets.parent / "secret.txt").write_text("SECRET beside the sheets")
    settings = Settings(workers=2, warm=False, rate=1000, burst=1000, max_body=64 * 1024, sheets=sheets)
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        yield c


def test_parts_lists_every_registered_part(client):
    parts = client.get("/api/parts").json()
    assert {p["id"] for p in parts} == {p.id for p in derive.all_parts()}
    ce = next(p for p in parts if p["id"] == "softmax.ce_grad")
    assert ce["answer"] is True and ce["page"] == "/part/softmax.ce_grad"


def test_check_answers_the_verdicts_fields_as_the_library_does(client):
    got = client.post("/api/check", json={"part": "softmax.ce_grad", "answer": "y - s"}).json()
    want = derive.check("softmax.ce_grad", "y - s").to_json()
    assert got == json.loads(json.dumps(want, default=str))
    assert got["status"] == "incorrect" and got["counterexample"]["values"]["y"] == [0, 1]
    assert got["diagnosis"]["kind"] == "slip"
    right = client.post("/api/check", json={"part": "softmax.ce_grad", "answer": r"\hat{y} - y", "syntax": "latex"})
    assert right.status_code == 200 and right.json()["status"] == "correct"


def test_an_ill_formed_answer_is_an_invalid_verdict_not_an_http_error(client):
    got = client.post("/api/check", json={"part": "softmax.ce_grad", "answer": "s - y +"})
    assert got.status_code == 200 and got.json()["status"] == "invalid" and got.json()["position"] == 7


def test_equivalent_and_its_variables(client):
    got = client.post("/api/equivalent", json={"expected": "sin(x)^2 + cos(x)^2", "answer": "1"}).json()
    assert got["status"] == "correct"
    got = client.post("/api/equivalent", json={"expected": "sqrt(x^2)", "answer": "x",
                                               "variables": {"x": "positive"}}).json()
    assert got["status"] == "correct"
    got = client.post("/api/equivalent", json={"expected": "sqrt(x^2)", "answer": "x"}).json()
    assert got["status"] == "incorrect"


def test_preview_says_what_was_read_or_where_it_stops(client):
    got = client.post("/api/preview", json={"answer": r"\frac{1}{1+e^{-z}}"}).json()
    assert got["status"] == "read" and got["mathml"].startswith("<math") and "<mfrac>" in got["mathml"]
    got = client.post("/api/preview", json={"answer": "s - y +", "part": "softmax.ce_grad"}).json()
    assert got["status"] == "problem" and got["position"] == 7 and got["mathml"] is None


def test_audit_gives_the_report_and_its_annotated_html(client):
    text = "$$\\tanh(z) = \\frac{e^z - e^{-z}}{e^z + e^{-z}} = 2\\sigma(z) - 1$$"
    got = client.post("/api/audit", json={"text": text, "part": "activation.tanh_sigmoid"}).json()
    assert got["first_wrong"] == [1, 2]
    assert 'id="first-wrong"' in got["html"]


@pytest.mark.parametrize("path, body, status, words", [
    ("/api/check", {"part": "no.such_part", "answer": "x"}, 404, "no.such_part"),
    ("/api/check", {"part": "softmax.ce_grad"}, 400, "'answer' must be text"),
    ("/api/check", {"part": "softmax.ce_grad", "answer": 3}, 400, "got int"),
    ("/api/check", {"part": "softmax.ce_grad", "answer": "s", "syntax": "python"}, 400, "'syntax' must be one of"),
    ("/api/check", {"part": "softmax.ce_grad", "answer": "s", "variant": ["a", "list"]}, 400, "'variant' must be"),
    ("/api/check", {"part": "softmax.ce_grad", "answer": "s", "variant": "x" * 201}, 400, "'variant' must be"),
    ("/api/check", [1, 2], 400, "JSON object"),
    ("/api/check", {"part": "softmax.ce_grad", "answer": "x" * 5000}, 400, "at most 4,000"),
    ("/api/equivalent", {"expected": "x +", "answer": "x"}, 400, "does not parse"),
    ("/api/equivalent", {"expected": "x", "answer": "x", "variables": ["x"]}, 400, "'variables' must be"),
    ("/api/preview", {"answer": "x", "part": "nope"}, 404, "nope"),
    ("/api/audit", {"text": "$$x = x$$", "part": "nope.nope"}, 404, "nope.nope"),
    ("/api/audit", {"text": "a\x00b"}, 400, "NUL"),
])
def test_refusals_are_json_with_a_fitting_status(client, path, body, status, words):
    got = client.post(path, json=body)
    assert got.status_code == status, got.text
    assert got.headers["content-type"] == "application/json" and words in got.json()["error"]
    assert "Traceback" not in got.text


def test_bad_json_wrong_method_and_unknown_routes(client):
    assert client.post("/api/check", content=b"{not json", headers={"content-type": "application/json"}).status_code == 400
    got = client.get("/api/check")
    assert got.status_code == 405 and got.json()["status"] == 405
    assert client.get("/api/nothing").json()["status"] == 404
    page = client.get("/part/no.such_part")
    assert page.status_code == 404 and "no.such_part" in page.text and page.headers["content-type"].startswith("text/html")


def test_an_oversized_body_is_refused_before_and_while_it_is_read(client):
    big = json.dumps({"text": "x" * 70_000})
    assert client.post("/api/audit", content=big, headers={"content-type": "application/json"}).status_code == 413

    def chunks():   # no Content-Length: counted as it streams
        for _ in range(20):
            yield b"x" * 8192
    got = client.post("/api/audit", content=chunks())
    assert got.status_code == 413 and "larger than 65,536 bytes" in got.json()["error"]


def test_a_flood_from_one_client_gets_429_with_retry_after():
    settings = Settings(workers=2, warm=False, rate=1, burst=3)
    with TestClient(create_app(settings)) as c:
        codes = [c.post("/api/preview", json={"answer": "x"}).status_code for _ in range(25)]
        assert codes[:6] == [200] * 6 and codes[6] == 429   # a preview costs half a check
        got = c.post("/api/check", json={"part": "softmax.ce_grad", "answer": "s - y"})
        assert got.status_code == 429 and int(got.headers["retry-after"]) >= 1
        assert "too many requests" in got.json()["error"]


def test_token_buckets_refill_at_their_rate():
    b = TokenBuckets(rate=2, burst=2)
    assert [b.take("a", 1, now=0.0) for _ in range(3)] == [0.0, 0.0, 0.5]
    assert b.take("b", 1, now=0.0) == 0.0            # per client
    assert b.take("a", 1, now=0.5) == 0.0            # refilled


@pytest.mark.parametrize("path", [
    "/static/../app.py", "/static/%2e%2e/app.py", "/static/..%2fapp.py", "/static/%2e%2e%2f%2e%2e%2fpyproject.toml",
    "/static//etc/passwd", "/static/%2fetc%2fpasswd", "/sheets/../secret.txt", "/sheets/%2e%2e/secret.txt",
    "/sheets/..%2fsecret.txt", "/sheets/%2e%2e%5csecret.txt", "/sheets//etc/passwd", "/part/..%2f..%2fetc%2fpasswd",
])
def test_no_file_outside_the_served_folders_can_be_read(client, path):
    got = client.get(path)
    assert got.status_code in (400, 404), (path, got.status_code)
    assert "SECRET" not in got.text and "root:" not in got.text and "import" not in got.text


def test_the_sheets_and_static_files_are_served(client):
    assert "the softmax sheet" in client.get("/sheets/softmax.html").text
    assert 'href="/sheets/softmax.html"' in client.get("/").text
    assert "safeMath" in client.get("/static/serve.js").text


@pytest.mark.parametrize("path", ["/", "/part/softmax.ce_grad", "/audit", "/api/parts", "/static/serve.css",
                                  "/no/such/page", "/sheets/softmax.html"])
def test_every_response_carries_the_security_headers(client, path):
    got = client.get(path)
    for name, value in HEADERS.items():
        assert got.headers[name] == value
    policy = got.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy or path.startswith("/sheets/")
    assert "script-src" not in policy or "script-src 'self'" in policy


HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'


def test_nothing_the_user_types_is_echoed_unescaped(client):
    page = client.post("/part/softmax.ce_grad", data={"answer": HOSTILE}).text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page          # shown back as text
    page = client.post("/audit", data={"text": f"{HOSTILE}\n$$x = {HOSTILE}$$"}).text
    assert "<script>alert" not in page and "<img src=x" not in page
    page = client.get("/part/softmax.ce_grad", params={"variant": HOSTILE})   # a seed is any text
    assert page.status_code == 200 and "<script>alert" not in page.text and "&lt;script&gt;" in page.text
    got = client.post("/api/preview", json={"answer": HOSTILE}).json()
    assert got["mathml"] is None or "<script" not in got["mathml"]


def test_the_part_page_shows_the_verdict_counterexample_and_diagnosis(client):
    page = client.post("/part/softmax.ce_grad", data={"answer": "y - s"}).text
    assert 'class="verdict incorrect"' in page and 'id="counterexample"' in page
    # the counterexample is the simplest found: s = (0.5, 0.5), y = (0, 1)
    assert "your answer" in page and "(-0.5, 0.5)" in page and "Diagnosis (slip)" in page
    assert "Expected answer" not in page   # --reveal is off by default


def test_reveal_is_a_server_setting():
    with TestClient(create_app(Settings(workers=2, warm=False, reveal=True))) as c:
        assert "Expected answer" in c.get("/part/softmax.ce_grad").text


def test_a_variant_is_accepted_and_said(client):
    page = client.get("/part/softmax.ce_grad?variant=7").text
    assert "Variant 7" in page and 'name="variant" value="7"' in page


def test_a_crash_is_a_json_500_with_the_headers_and_no_traceback(monkeypatch):
    app = create_app(Settings(workers=1, warm=False))

    async def broken(*args):
        raise RuntimeError("internal detail")
    monkeypatch.setattr(app.state.checker, "check", broken)
    with TestClient(app, raise_server_exceptions=False) as c:
        got = c.post("/api/check", json={"part": "softmax.ce_grad", "answer": "s - y"})
    assert got.status_code == 500 and got.json()["error"] == "the server failed; the error is logged"
    assert "internal detail" not in got.text and "Traceback" not in got.text
    assert got.headers["x-content-type-options"] == "nosniff"


def test_a_variant_page_and_check_use_the_seeds_own_numbers(client):
    # conv.receptive_field has parameters: the seed "alice" draws its own layer stack, so the
    # catalogue's answer is judged against alice's verified variant.
    import derive
    drawn = derive.variant("conv.receptive_field", "alice").part
    right = str(drawn.result(drawn.namespace({})))
    got = client.post("/api/check", json={"part": "conv.receptive_field", "answer": right, "variant": "alice"}).json()
    assert got["status"] == "correct", got
    page = client.get("/part/conv.receptive_field", params={"variant": "alice"}).text
    assert "drawn from this seed" in page
