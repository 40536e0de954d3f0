"""derive.audit on written solutions: the first wrong step found, valid chains never flagged,
unreadable terms never wrong, every step pointing into the document."""
import json

import pytest
import sympy

import derive
from derive import AuditReport, audit
from derive.errors import DeriveError, InvalidArgument, UnknownPart

from .audit_examples import BACKPROP_GIVEN, EXAMPLES


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_the_first_wrong_step_is_found_and_valid_chains_are_not_flagged(example):
    report = audit(example.text, part=example.part, given=example.given)
    assert report.first_wrong == example.wrong, report.headline
    for chain in report.chains:
        for step in chain.steps:
            assert example.text[step.span[0]:step.span[1]] == step.text


def steps_of(report, chain=1):
    return {s.index: s for s in report.chains[chain - 1].steps}


def test_the_tanh_chain_is_wrong_at_its_last_step_with_a_counterexample_in_z():
    (ex,) = [e for e in EXAMPLES if e.name == "issue_tanh"]
    report = audit(ex.text, part=ex.part)
    steps = steps_of(report)
    assert [steps[k].status for k in range(5)] == ["start", "proved", "proved", "proved", "wrong"]
    assert steps[4].counterexample["values"] == {"z": "1"}      # the simplest point that shows it
    assert "0.462117" in steps[4].message and "0.761594" in steps[4].message
    assert report.headline.startswith("chain 1, step 4 is wrong")


def test_the_right_tanh_identity_is_proved():
    report = audit(r"$$\tanh(z) = 2\sigma(2z) - 1$$", part="activation.tanh_sigmoid")
    assert steps_of(report)[1].status == "proved" and report.first_wrong is None


def test_the_conv_arithmetic_slip_says_220():
    report = audit(r"$$O = \left\lfloor \frac{224 - 5}{1} \right\rfloor + 1 = 219$$")
    step = steps_of(report)[2]
    assert step.status == "wrong" and "220" in step.message
    assert step.diagnosis.kind == "arithmetic"


def test_an_ocr_damaged_display_is_unreadable_and_gets_no_verdict():
    text = r"$$\mathcal{E}_{p} [ \mathbf{p}^{\mathsf{T}} \widehat{\mathbf{D}} ]\, \hat{\omega}^{\mathsf{T}} \mathbb{I} ]$$"
    report = audit(text)
    (step,) = report.chains[0].steps
    assert step.status == "unreadable" and report.first_wrong is None


def test_an_unreadable_step_is_skipped_and_the_chain_goes_on_from_the_last_step_read():
    report = audit(r"$$1 - \tanh^2(z) = 1 - tahn^2 z = 1 - \tanh(z)^2 = 1 + \tanh(z)^2$$")
    steps = steps_of(report)
    assert steps[1].status == "unreadable" and "a, h, n, t" in steps[1].message
    assert steps[2].status == "proved" and steps[2].compared_with == 0
    assert steps[3].status == "wrong"


def test_a_slip_undone_later_does_not_hide_the_first_one():
    report = audit(r"$$\frac{d}{dz}\sigma(z) = -\sigma(z)(1-\sigma(z)) = \sigma(z) - \sigma(z)^2 = \sigma(z)(1 - \sigma(z))$$")
    chain = report.chains[0]
    assert chain.first_wrong == 1
    steps = steps_of(report)
    assert steps[2].follows_right_value is True and steps[3].follows_right_value is True
    assert "steps 2-3 follow from the right value, not from step 1" in chain.summary


def test_definitions_given_and_stated_are_put_in():
    report = audit(r"$$\frac{\partial L}{\partial y} = y - t$$ $$\frac{\partial L}{\partial w} = (y - t)\, y(1-y)\, x$$",
                   given=BACKPROP_GIVEN)
    assert [c.steps[1].status for c in report.chains] == ["proved", "proved"]
    stated = audit(r"$$q = 3 x$$ $$q^2 = 9 x^2 = 9x$$")
    assert steps_of(stated, 2)[1].status == "proved" and steps_of(stated, 2)[2].status == "wrong"


def test_a_given_name_is_a_claim_not_a_new_definition():
    report = audit(r"$$z = w x - b$$", given=BACKPROP_GIVEN)
    assert steps_of(report)[1].status == "wrong"


def test_a_name_stated_again_is_a_new_definition_not_a_wrong_step():
    report = audit(r"In (a) $$a = 3$$ and in (b) $$a = 5$$")
    assert report.first_wrong is None


def test_rounding_follows_the_digits_written():
    ok = audit(r"$$\frac{1}{1+e} = 0.2689 \approx 0.269$$")
    assert [s.status for s in ok.chains[0].steps] == ["start", "proved", "proved"]
    assert audit(r"$$\frac{1}{1+e} = 0.2731$$").first_wrong == (1, 1)
    assert audit(r"$$\frac{2}{3} = 0.6$$").first_wrong == (1, 1)     # 0.6 is not 2/3 rounded
    assert audit(r"$$\frac{2}{3} \approx 0.67$$").first_wrong is None


def test_inequalities_between_numbers_are_decided_and_others_are_unchecked():
    assert audit(r"$$\frac{1}{3} < 0.5 \le \frac{1}{2}$$").first_wrong is None
    assert audit(r"$$\frac{1}{3} > 0.5$$").first_wrong == (1, 1)
    report = audit(r"$$x^2 \ge 0 \Rightarrow y = 1$$")
    assert {s.status for s in report.chains[0].steps[1:]} == {"unchecked"}


def test_an_expectation_without_a_stated_law_is_not_judged():
    report = audit(r"$$\mathbb{E}[\delta_i] = p_i$$")
    assert steps_of(report)[0].status == "unchecked" and report.first_wrong is None


def test_expectations_and_variances_use_the_laws_the_document_states():
    text = (r"Let $\delta \sim \text{Bernoulli}(p)$. Then $$\mathbb{E}\left[\frac{\delta}{p} x\right] = \frac{p}{p} x = x$$"
            r" and $$\operatorname{Var}(\delta) = p(1-p) = p - p^2$$")
    report = audit(text)
    assert report.first_wrong is None and report.counts["proved"] == 4
    wrong = audit(text.replace("= p - p^2", "= p^2"))
    assert wrong.first_wrong == (3, 2)
    # a law stated after its use, with an index: delta_k ~ Bernoulli(p_k)
    assert audit(r"$$\mathbb{E}[\delta_1 + \delta_2] = p_1 + p_2$$ where $\delta_i \sim \mathrm{Bernoulli}(p_i)$").counts["proved"] == 1
    normal = r"$z \sim \mathcal{N}(0, \sigma^2)$: $$\mathbb{E}[(a z + b)^2] = a^2 \sigma^2 + b^2$$"
    assert audit(normal).counts["proved"] == 1
    assert audit(normal.replace("b^2$$", "b^2 + 1$$")).first_wrong == (2, 1)


def test_a_dropout_part_gives_its_masks_their_law():
    right = r"$$\mathbb{E}[(t - \delta w x)^2] = (t - p w x)^2 + p(1-p) w^2 x^2$$"
    assert audit(right, part="dropout.unit_regulariser").counts["proved"] == 1
    assert audit(right.replace("p(1-p)", "p^2"), part="dropout.unit_regulariser").first_wrong == (1, 1)
    assert audit(right).first_wrong is None    # without the part: no law, no verdict


DROPOUT = r"""$$\mathbb{E}[E_D] = \frac12 \mathbb{E}\Big[\big(t - \sum_i \delta_i w_i x_i\big)^2\Big]
 = \frac12 \big(t - \sum_i p_i w_i x_i\big)^2 + \frac12 \sum_i \operatorname{Var}(\delta_i) w_i^2 x_i^2
 = E_{ENS} + \frac12 \sum_i p_i^2 w_i^2 x_i^2$$"""
ENSEMBLE = "E_ENS = 1/2 (t - sum(p_i w_i x_i, i, 1, n))^2"


def test_the_dropout_variance_taken_as_p_squared_is_wrong():
    # Sums over entries are written out at n = 2 and 3, the masks are the part's Bernoulli(p_i).
    report = audit(DROPOUT, part="dropout.unit_regulariser", given=ENSEMBLE)
    steps = steps_of(report)
    assert report.first_wrong == (1, 3)
    assert steps[2].status == "unchecked" and "holds with n = 2 and 3" in steps[2].message
    values = steps[3].counterexample["values"]
    assert all(0 < sympy.Rational(values[k]) < 1 for k in values if k.startswith("p_"))   # p in (0, 1), as the part says
    # the right variance is not flagged
    right = DROPOUT.replace("p_i^2 w_i^2", "p_i (1 - p_i) w_i^2")
    assert audit(right, part="dropout.unit_regulariser", given=ENSEMBLE).first_wrong is None


def test_without_the_ensemble_error_the_last_dropout_step_is_unreadable_not_wrong():
    report = audit(DROPOUT, part="dropout.unit_regulariser")
    step = steps_of(report)[3]
    assert report.first_wrong is None and step.status == "unreadable" and "E_ENS" in step.message


def test_the_report_is_frozen_data_with_json():
    report = audit(r"$$O = \lfloor 219/1 \rfloor + 1 = 219$$")
    assert isinstance(report, AuditReport) and derive.audit is audit
    data = json.loads(json.dumps(report.to_json(), default=str))
    step = data["chains"][0]["steps"][2]
    assert step["status"] == "wrong" and step["span"] and step["diagnosis"]["kind"] == "arithmetic"
    assert data["first_wrong"] == [1, 2]
    with pytest.raises(Exception):
        report.headline = "x"


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(text=b"\x00\x01binary"), InvalidArgument, "NUL"),
    (dict(text=b"\xff\xfe"), InvalidArgument, "UTF-8"),
    (dict(text="x" * 500_001), InvalidArgument, "characters"),
    (dict(text=3), InvalidArgument, "text"),
    (dict(text="$$a = b$$", part="nope.nothing"), UnknownPart, "unknown part"),
    (dict(text="$$a = b$$", given="z w x"), InvalidArgument, "NAME = EXPRESSION"),
    (dict(text="$$a = b$$", given="x + y = 2"), InvalidArgument, "one name"),
    (dict(text="$$a = b$$", given="z = ((("), InvalidArgument, "does not read"),
])
def test_bad_input_gets_a_clear_message(kwargs, error, words):
    with pytest.raises(error) as info:
        audit(**kwargs)
    assert isinstance(info.value, DeriveError) and words in str(info.value)


@pytest.mark.parametrize("text", [
    "$$" + "(" * 400 + "x" + ")" * 400 + " = x$$",
    "$$x^{9999999999} = 1$$",
    "$$" + " + ".join(["x"] * 3000) + " = 1$$",
    r"$$\frac{\partial L}{\partial (w+1)} = 3$$",
    r"$$\frac{\partial q}{\partial w} = 0$$ $$\sum_{i=1}^{10^9} i = 5$$",
    "$$a = b$$ $" * 50,
    r"\begin{align} a &= \\ &= b",
])
def test_hostile_documents_give_a_report_never_a_crash(text):
    report = audit(text, timeout=5)
    assert isinstance(report.headline, str)


def test_a_formula_read_at_a_point_is_not_a_wrong_identity():
    # v = -eta g/(1 - mu) = -1: g = 1 is said in the prose; z = 0 in sigma'(0) likewise.
    assert audit(r"$$v_\infty = -\frac{0.1\, g}{1 - 0.9} = -1$$").first_wrong is None
    assert audit(r"$$\sigma(z)(1 - \sigma(z)) = \frac{1}{4}$$").first_wrong is None
    assert audit(r"$$f(-3) = 0.01 \cdot (-3) = -0.03 \quad f(2) = 2$$").first_wrong is None


def test_rounded_numbers_carry_their_rounding_into_a_computation():
    # -log(0.6652) = 0.407768...; 0.6652 itself may be off by 0.00005, which moves it 7.5e-5.
    assert audit(r"$$-\log 0.6652 \approx 0.4076$$").first_wrong is None
    assert audit(r"$$-\log 0.6652 = 0.4176$$").first_wrong == (1, 1)
    text = r"$$s_1 = \frac{e^2}{11.107} \approx 0.6652$$ $$L = -\log s_1 = -\log 0.6652 \approx 0.4076$$"
    assert audit(text).first_wrong is None


def test_a_change_of_units_is_not_judged():
    report = audit(r"Memory: $28 \times 28 \times 16 \times 4 = 50\,176 \text{ B} \approx 49 \text{ KiB}$.")
    steps = steps_of(report)
    assert steps[1].status == "proved" and steps[2].status == "unchecked" and report.first_wrong is None


def test_sums_over_vector_entries_are_not_judged_as_scalars():
    # Read as scalars, z_j would be one number for every j and the valid step below wrong.
    report = audit(r"$$\sum_{i=1}^{n} (x_i + y_i) = \sum_{i=1}^{n} x_i + \sum_{j=1}^{n} y_j$$")
    assert report.first_wrong is None
    assert audit(r"$$\sum_{i=1}^{4} i^2 = 30 = 31$$").first_wrong == (1, 2)


def test_a_derivative_uses_the_formula_not_a_value_at_a_point():
    text = r"""$$y = \sigma(w x + b)$$ $$L = \frac12 (y - t)^2$$ With $w = 1$, $b = 0$, $x = 2$, $t = 1$:
$$y = \sigma(2) \approx 0.8808$$
$$\frac{\partial L}{\partial w} \approx (0.8808 - 1) \cdot 0.8808 \cdot 0.1192 \cdot 2 \approx -0.0250$$"""
    report = audit(text)
    last = report.chains[-1]
    assert [s.status for s in last.steps] == ["start", "proved", "proved"]
    wrong = audit(text.replace("-0.0250", "-0.0350"))
    assert wrong.first_wrong == (len(wrong.chains), 2)


def test_a_derivative_through_a_vectors_entries_is_not_taken():
    report = audit(r"$$s_k = \frac{e^{z_k}}{\sum_{j=1}^{K} e^{z_j}}$$ $$\frac{\partial s_k}{\partial z_k} = s_k(1 - s_k)$$")
    assert report.first_wrong is None


def test_a_display_that_opens_with_a_relation_continues_the_one_before():
    text = "a) $\\frac{d}{dz} z^3 = 3 z^2 \\cdot 1$\n$$\n\\begin{aligned}\n& =3 z^{2} \\\\\n& =3 z^{3}\n\\end{aligned}\n$$"
    report = audit(text)
    (chain,) = report.chains
    assert [s.status for s in chain.steps] == ["start", "proved", "proved", "wrong"]
    assert text[chain.steps[3].span[0]:chain.steps[3].span[1]] == "3 z^{3}"


def test_ocr_spellings_are_read():
    report = audit(r"$$\operatorname{tanh}^{\prime}(z)=\frac{d}{d z} \frac{\sinh z}{\cosh z}=1-\tanh ^{2} z$$")
    assert [s.status for s in report.chains[0].steps] == ["start", "proved", "proved"]


def test_a_name_standing_for_the_problems_expression_is_not_a_wrong_step():
    report = audit(r"$$(y-t)\,\sigma(z)(1-\sigma(z))\,x = (y-t)\, y (1-y)\, x$$")
    step = report.chains[0].steps[1]
    assert step.status == "unchecked" and "y = sigma(z)" in step.message
    # but a slip beside it is still one: no name stands for anything there
    assert audit(r"$$(y-t)\,\sigma(z)(1-\sigma(z))\,x = (y-t)\,\sigma(z)(1+\sigma(z))\,x$$").first_wrong == (1, 1)


def test_a_step_across_an_unreadable_term_keeps_the_relations_on_the_way():
    # x^2 => f'(x) [unreadable] = 2x: 2x does not claim to equal x^2.
    assert audit(r"$$f(x) = x^2 \Rightarrow f'(x) = 2x$$").first_wrong is None
    # across '=' it is still an equality, and a slip is still found
    assert audit(r"$$(1+x)^2 = 1 + 2x + @x^2 = 1 + 2x + 2x^2$$").first_wrong == (1, 2)


@pytest.mark.parametrize("text", [
    r"$$\frac{3}{4} = 0.75 = 75\%$$",
    r"$$\frac{\partial}{\partial w} \frac{1}{2}(wx - t)^2 = (wx - t)\,x$$",
    r"$$\frac{d}{dz} z^2 + 3 = 2z + 3$$",
    r"$$1.5 \times 10^{-4} \cdot 2 = 3 \times 10^{-4} = 0.0003$$",
])
def test_common_notations_are_proved(text):
    report = audit(text)
    assert {s.status for s in report.chains[0].steps[1:]} == {"proved"}, report.headline


def test_a_vector_given_as_a_list_defines_its_entries_and_the_range_of_its_sums():
    text = r"""Softmax of $z = (2, 1, 0)$:
$$\sum_j e^{z_j} = e^2 + e + 1 \approx 11.107$$
$$s_1 = \frac{e^{z_1}}{\sum_{j=1}^{3} e^{z_j}} \approx 0.6652$$"""
    report = audit(text)
    assert report.first_wrong is None and report.counts["proved"] == 3
    assert audit(text.replace("e^2 + e + 1", "e^2 + e")).first_wrong == (2, 1)
    assert audit(r"$$\sum_{i=1}^{4} i^2 = 30 = 31$$").first_wrong == (1, 2)


def test_a_step_that_uses_a_one_hot_sum_is_not_wrong():
    # s_i sum_k y_k - y_i = s_i - y_i needs sum_k y_k = 1: a constraint of the problem.
    text = r"$$y = (y_1, y_2, y_3)$$ $$\sum_k y_k s_1 - y_1 = s_1 - y_1$$"
    step = audit(text).chains[1].steps[1]
    assert step.status == "unchecked" and "sum to 1" in step.message
    assert audit(r"$$\sum_{k=1}^{3} y_k s_1 - y_1 = s_1 - 2 y_1$$").first_wrong == (1, 1)


def test_a_name_defined_with_a_sum_is_written_out_with_it():
    text = r"$$\bar x = \frac{1}{n}\sum_{i=1}^{n} x_i$$ $$\sum_i (x_i - \bar x) = \sum_i x_i - n \bar x = 0$$"
    report = audit(text)
    assert report.first_wrong is None
    assert all("holds with n = 2 and 3" in s.message for s in report.chains[1].steps[1:])
    assert audit(text.replace("= 0$$", "= 1$$")).first_wrong == (2, 2)


@pytest.mark.parametrize("text", [
    r"$$\sigma(z)(1-\sigma(z)) = \sigma(z) - \sigma(z)2$$",    # OCR lost the ^ of \sigma(z)^2
    r"$$(x + 1)^2 = x2 + 2x + 1$$",
])
def test_a_lost_superscript_is_ocr_damage_not_a_wrong_step(text):
    report = audit(text)
    step = report.chains[0].steps[1]
    assert report.first_wrong is None and step.status == "unreadable" and "OCR" in step.message
