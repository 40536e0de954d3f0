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
    return dataclasses.replace(part, id="conv.no_stride", derivation=dataclasses.replace(
        part.derivation, steps=(), checks=(FrameworkCheck("W"),),
        result=index_formula(without_stride, WRT_FREE["W"], "W")))


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
    assert claim.sizes == ({"B": 4, "C": 16, "F": 16, "H_in": 32, "W_in": 32},)


def test_without_jax_the_framework_check_is_skipped_never_passed(monkeypatch):
    monkeypatch.setattr(conv_checks, "jax_available", lambda: False)
    claim = FrameworkCheck("X").run(get_part("conv.grad_input_2d"), seed=0)
    assert claim.outcome == "skipped" and "JAX not installed" in claim.detail


# --- index notation a student can read (issue 18): named indices, proved as defined --------

import re  # noqa: E402

import sympy as sp  # noqa: E402

from derive.maths.convolution import INDEX, grad_input_1d, grad_input_2d  # noqa: E402
from derive.maths.tensors import Named  # noqa: E402
from derive.render.printing import definitions, latex, names_of  # noqa: E402

TENSOR_PARTS = ("conv.grad_weight_2d", "conv.grad_input_2d", "conv.grad_bias", "conv.grad_weight_1d",
                "conv.grad_input_1d")


def printed(part):
    """The general steps and result of a part, as the sheet prints them (LaTeX)."""
    names = names_of(part.variables)
    return [latex(s.rhs(part.general), names) for s in part.steps] + [latex(part.result(part.general), names)]


def subscripts(tex):
    """The contents of every subscript group _{...} (nested ones included)."""
    out = []
    for start in (m.end() for m in re.finditer(r"_\{", tex)):
        depth, k = 1, start
        while depth:
            depth += {"{": 1, "}": -1}.get(tex[k], 0)
            k += 1
        out.append(tex[start:k - 1])
    return out


@pytest.mark.parametrize("part_id", TENSOR_PARTS)
def test_no_subscript_holds_a_fraction_floor_or_mod(part_id):
    for tex in printed(get_part(part_id)):
        for sub in subscripts(tex):
            assert not re.search(r"\\frac|\\lfloor|\\bmod|\\operatorname\{mod\}", sub), (sub, tex)


@pytest.mark.parametrize("part_id", TENSOR_PARTS)
def test_every_named_index_is_defined_in_the_line_above_its_first_use(part_id):
    part = get_part(part_id)
    names, seen = names_of(part.variables), set()
    for step in part.steps:
        rhs = step.rhs(part.general)
        new = [n for n in rhs.atoms(Named) if n.label not in seen]
        clause = definitions(rhs, names, seen)   # what the sheet appends to the step's reason
        for n in new:
            assert f"${n.label} = {latex(n.definition, names, fold_short_frac=True)}$" in clause, (n.label, clause)
    assert {n.label for n in part.result(part.general).atoms(Named)} <= seen


def with_definition(form, label, definition):
    """``form`` with the named index ``label`` defined as ``definition(z)``: printed the same."""
    def changed(z):
        expr = form(z)
        old = next(n for n in expr.atoms(Named) if n.label == label)
        return expr.xreplace({old: Named(old.label, definition(z), old.meaning)})
    return changed


m, j, c = INDEX["m"], INDEX["j"], INDEX["c"]
WRONG_DEFINITIONS = [
    ("conv.grad_input_1d", grad_input_1d, "o_j", lambda z: (m - z["P"] - z["d"] * j) / z["s"], (m,)),
    ("conv.grad_input_2d", grad_input_2d, r"\gamma(c)", lambda z: sp.floor(c * z["g"] / z["F"]), WRT_FREE["X"]),
]


@pytest.mark.parametrize("part_id, form, label, definition, free", WRONG_DEFINITIONS)
def test_a_named_index_defined_wrongly_prints_the_same_and_is_refuted(part_id, form, label, definition, free):
    part = get_part(part_id)
    wrong = dataclasses.replace(part, id=part_id + "_wrong", derivation=dataclasses.replace(
        part.derivation, steps=(), checks=(),
        result=index_formula(with_definition(form, label, definition), free, "X")))
    assert printed(wrong)[-1] == printed(part)[-1]     # the names hide the change on the page ...
    closed = verify_part(wrong, seed=0, cases=2).claims[0]
    assert closed.kind == "closed form" and closed.outcome == REFUTED   # ... the proof does not


def test_low_rank_derives_both_costs_and_the_saving():
    part = get_part("conv.low_rank")
    k, r = part.general.sizes["k"], part.general.sizes["r"]
    shown = [s.rhs(part.general) for s in part.steps]
    assert k ** 2 in shown and 2 * r * k in shown           # k^2 per output direct, 2 r k separable
    report = verify_part(part, seed=0, cases=2)
    assert all(c.outcome == "proved" for c in report.claims if c.kind == "step")
    one_pass = dataclasses.replace(part, id="conv.low_rank_one_pass", derivation=dataclasses.replace(
        part.derivation, steps=(dataclasses.replace(part.steps[2], rhs=lambda v: v.r * v.k),)))   # the column pass forgotten
    assert verify_part(one_pass, seed=0, cases=2).claims[1].outcome == REFUTED
