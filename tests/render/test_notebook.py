"""The example notebook runs (nbclient) and renders to HTML (nbconvert); parts, reports and
verdicts show themselves in MathML as the sheet does."""
import os
from pathlib import Path

import pytest

import derive

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "derive.ipynb"


def test_a_part_shows_statement_result_and_verification_in_mathml():
    html = derive.get_part("activation.tanh_grad")._repr_html_()
    assert "Derivative of tanh" in html and "<math" in html
    assert "Closed form" in html and "Numeric cross-check" in html and "proved" in html
    assert derive.get_part("activation.tanh_grad")._repr_latex_().startswith("$$")


def test_a_verdict_shows_badge_message_counterexample_and_parsed_answer():
    html = derive.check("softmax.ce_grad", "y - s")._repr_html_()
    assert "incorrect" in html and "counterexample" in html and "your answer" in html
    assert html.count("<math") >= 2          # the parsed answer and the variable names


@pytest.mark.slow
def test_the_example_notebook_runs_and_renders(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nbconvert = pytest.importorskip("nbconvert")
    notebook = nbformat.read(EXAMPLE, as_version=4)
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    html_outputs = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert len(html_outputs) == 4            # the part, two verdicts, the refuted report
    assert "refuted" in html_outputs[-1] and "counterexample" in html_outputs[-1]
    body, _ = nbconvert.HTMLExporter().from_notebook_node(notebook)
    out = Path(os.environ.get("DERIVE_NOTEBOOK_HTML", tmp_path / "derive.html"))
    out.write_text(body, encoding="utf-8")
    assert "<math" in body


def test_showing_a_part_twice_verifies_it_once(monkeypatch):
    import dataclasses
    from derive.pipeline import records
    calls, real = [], records.verify_part
    monkeypatch.setattr(records, "verify_part", lambda *a, **k: calls.append(1) or real(*a, **k))
    part = dataclasses.replace(derive.get_part("activation.relu_grad"))   # a new object: nothing remembered
    assert part._repr_html_() == part._repr_html_()
    assert len(calls) == 1
