"""A diagnosis is data: a kind and a detail, shown as "kind: detail", JSON as an object."""
import json

from derive.model.verdict import INCORRECT, Diagnosis, Verdict


def test_a_diagnosis_reads_kind_colon_detail_and_is_an_object_in_json():
    diagnosis = Diagnosis("sign", "the answer has the opposite sign")
    assert str(diagnosis) == "sign: the answer has the opposite sign" and str(Diagnosis("sign")) == "sign"
    verdict = Verdict(INCORRECT, "Not equal.", diagnosis=diagnosis)
    assert verdict.diagnosis_kind == "sign"
    data = json.loads(json.dumps(verdict.to_json()))
    assert data["diagnosis"] == {"kind": "sign", "detail": "the answer has the opposite sign"}
    assert Verdict(INCORRECT, "Not equal.").to_json()["diagnosis"] is None
