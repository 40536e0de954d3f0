"""The verifier refutes wrong claims with counterexamples and reports what it did."""
import dataclasses
import json

import sympy as sp

from derive import Step, get_part, verify_part
from derive.model.functions import diag
from derive.verify.claims import PROVED, REFUTED


def test_dropping_the_factor_two_from_mse_grad_is_refuted_with_a_counterexample():
    part = get_part("softmax.mse_grad")
    wrong = dataclasses.replace(part, derivation=dataclasses.replace(
        part.derivation, result=lambda v: (diag(v.s) - v.s * v.s.T) * (v.s - v.y), steps=()))
    report = verify_part(wrong, seed=3)
    closed, numeric = report.claims[0], report.numeric()
    assert report.outcome == REFUTED
    assert closed.outcome == REFUTED and closed.counterexample["values"]["z"]
    derived, claimed = closed.counterexample["derived"], closed.counterexample["claimed"]
    assert derived != claimed
    assert numeric.outcome == REFUTED and numeric.worst_error > numeric.tolerance
    assert "C" in numeric.counterexample["sizes"]


def test_a_wrong_step_is_refuted_while_the_result_still_stands():
    part = get_part("softmax.jacobian")
    bad_step = Step("J_ij", lambda v, i, j: v.s[i] * (sp.KroneckerDelta(i, j) + v.s[j]), "sign slip", "ij")
    report = verify_part(dataclasses.replace(part, derivation=dataclasses.replace(part.derivation, steps=(bad_step,))),
                         seed=0)
    kinds = {c.kind: c.outcome for c in report.claims}
    assert kinds["closed form"] == PROVED
    assert kinds["step"] == REFUTED and report.outcome == REFUTED
    step = next(c for c in report.claims if c.kind == "step")
    assert step.counterexample["derived"] != step.counterexample["claimed"]


def test_a_wrong_sigmoid_derivative_is_refuted():
    part = get_part("activation.sigmoid_grad")
    from derive.model.functions import sigma
    wrong = dataclasses.replace(part, derivation=dataclasses.replace(
        part.derivation, result=lambda v: sigma(v.z) * (1 + sigma(v.z)), steps=()))
    report = verify_part(wrong)
    assert report.claims[0].outcome == REFUTED
    assert report.claims[0].counterexample is not None


def test_verification_is_reproducible_from_its_seed():
    part = get_part("softmax.ce_grad")
    first, second = verify_part(part, seed=7), verify_part(part, seed=7)
    assert first.numeric().worst_error == second.numeric().worst_error
    assert first.numeric().cases == second.numeric().cases


def test_cached_reports_are_reused_only_while_nothing_changed(tmp_path):
    from derive.model.claim import PartRecord
    from derive.verify.cache import ReportCache
    part = get_part("activation.tanh_grad")
    cache = ReportCache(tmp_path)
    settings = {"seed": 0, "budget": 10.0, "cases": 5}
    assert cache.load(part, settings) is None
    report = verify_part(part, cases=5)
    cache.store(PartRecord(report), settings)
    again = cache.load(part, settings)
    assert again is not None and again.report.claims == report.claims and again.outcome == report.outcome
    assert cache.load(part, {**settings, "seed": 1}) is None


def test_a_finished_record_round_trips_through_json_with_its_sizes_as_data():
    from fractions import Fraction
    from derive.model.claim import Instance, PartRecord, Worked
    part = get_part("softmax.ce_grad")
    report = verify_part(part, cases=5)
    assert report.claims[0].sizes[0] == {"C": 2}
    assert report.numeric().sizes == ({"C": (2, 3, 4, 5, 6, 9, 16)},)
    slip = {"answer": "y - s", "why": "sign", "status": "incorrect", "parsed": "y - s",
            "counterexample": {"sizes": {"C": 2}}, "diagnosis": None}
    worked = (Worked("costs", ("layer", "ratio", "params"), (("conv 1", Fraction(1, 73), 44272, None),)),
              Worked("overflow", (), (("exp(1000)", "inf"),)))
    record = PartRecord(report, (slip,), Instance("g = s - y", {"C": 2}), worked)
    again = PartRecord.from_json(part, json.loads(json.dumps(record.to_json())))
    assert again == record
    printed = report.to_json()["claims"]
    assert printed[0]["sizes"][0] == "C=2" and printed[-1]["sizes"] == ["C in [2, 3, 4, 5, 6, 9, 16]"]
