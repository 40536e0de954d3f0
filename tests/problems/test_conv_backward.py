"""The conv backward parts beyond "every part verifies": a wrong closed form (the weight
gradient without the stride) is refuted by the proof and by JAX, a missing JAX is reported
as skipped, and the framework check reaches a 4 x 16 x 32 x 32 layer."""
import dataclasses

import pytest

from derive import get_part, verify_part
from derive.maths.convolution import grad_weight_2d
from derive.maths.tensors import index_formula
from derive.model.claim import PASSED, REFUTED
from derive.verify import conv_checks
from derive.verify.conv_checks import FrameworkCheck
from derive.verify.conv_oracles import jax_available
from problems.conv.backward import WRT_FREE


def without_stride(z):
    return grad_weight_2d({**z, "s": 1})


@pytest.fixture(scope="module")
def wrong_part():
    part = get_part("conv.grad_weight_2d")
    return dataclasses.replace(part, id="conv.no_stride", steps=(), checks=(FrameworkCheck("W"),),
                               result=index_formula(without_stride, WRT_FREE["W"], "W"))


def test_forgetting_the_stride_is_refuted_by_the_proof_with_a_counterexample(wrong_part):
    report = verify_part(wrong_part, seed=0, cases=3)
    closed = report.claims[0]
    assert closed.kind == "closed form" and closed.outcome == REFUTED
    assert closed.counterexample["sizes"]["s"] > 1
    assert closed.counterexample["derived"] != closed.counterexample["claimed"]
    numeric = report.numeric()   # and central differences of the NumPy forward disagree too
    assert numeric.outcome == REFUTED and numeric.counterexample["error"] > 1e-3


@pytest.mark.skipif(not jax_available(), reason="JAX not installed")
def test_forgetting_the_stride_is_refuted_by_jax(wrong_part):
    claim = FrameworkCheck("W").run(wrong_part, seed=0)
    assert claim.outcome == REFUTED and claim.worst_error > 1e-3
    assert claim.counterexample["sizes"]["s"] > 1


@pytest.mark.skipif(not jax_available(), reason="JAX not installed")
def test_jax_agrees_with_the_closed_form_up_to_a_4x16x32x32_layer():
    claim = FrameworkCheck("W").run(get_part("conv.grad_weight_2d"), seed=3)
    assert claim.outcome == PASSED and claim.worst_error < 1e-9
    assert claim.sizes == ("B=4, C=16, F=16, H_in=32, W_in=32",)


def test_without_jax_the_framework_check_is_skipped_never_passed(monkeypatch):
    monkeypatch.setattr(conv_checks, "jax_available", lambda: False)
    claim = FrameworkCheck("X").run(get_part("conv.grad_input_2d"), seed=0)
    assert claim.outcome == "skipped" and "JAX not installed" in claim.detail
