"""Answer checking that cannot be fooled (issue 9, items 1-5): every example of the issue's
"What went wrong" as one table of input, verdict and a fragment of the diagnosis, message
or evidence that shows why; then the properties behind them (exact points, every size,
exact sets, breakpoints, the vocabulary)."""
from types import SimpleNamespace as V

import mpmath
import numpy as np
import pytest
import sympy as sp

from derive import all_parts
from derive.answers.decide.judge import judge
from derive.answers.read.parse import Vocabulary, parse_answer
from derive.model.verdict import CORRECT, INCORRECT, INVALID, Diagnosis
from derive.answers.serve.worker import check
from derive.maths.sets import compare_sets
from derive.model import registry

REGISTERED = {p.id for p in all_parts()}
BUMP = "sigma(z)*(1 - sigma(z)) + heaviside(z - 0.3) - heaviside(z - 0.30001)"


def row(part_id, answer, status, fragment=None, where="diagnosis"):
    return pytest.param(part_id, answer, status, fragment, where, id=f"{part_id}:{answer}",
                        marks=pytest.mark.skipif(part_id not in REGISTERED, reason="not registered"))


# (part, answer, verdict, fragment, field the fragment is in)
ISSUE_EXAMPLES = [
    # Size-dependent additions: found at the first size where they differ.
    row("softmax.ce_grad", "s - y + (C-2)*(C-3)*(C-4)*s", INCORRECT, "'C': 5", "counterexample"),
    row("softmax.jacobian", "diag(s) - s s^T + [C = 7] I", INCORRECT, "'C': 7", "counterexample"),
    row("optim.gd_closed_form", "(I - eps H)^t w_0 + t(t-1)(t-2) H w_0", INCORRECT, "'t': 3",
        "counterexample"),
    # Tiny offsets: decided in high precision, not within a float tolerance.
    row("softmax.ce_grad", "s - y + 9e-9", INCORRECT, "precision: the answer differs"),
    row("activation.sigmoid_grad_max", "0.250000009", INCORRECT, "confirmed at", "message"),
    row("activation.tanh_grad", "1.000000005*(1 - tanh(z)^2)", INCORRECT, "extra factor"),
    # Closed or shifted bounds: the sets compared exactly, a witness at the differing end.
    row("optim.gd_step_bound", "0 < eps <= 2/lambda_max", INCORRECT,
        "includes the upper end $eps = \\frac{2}{\\lambda_{\\max}}$", "message"),
    row("optim.gd_step_bound", "0 <= eps < 2/lambda_max", INCORRECT, "lower end $0$ should be excluded"),
    row("optim.gd_step_bound", "0 < eps < 2.002/lambda_max", INCORRECT,
        "\\frac{2001}{1000 \\lambda_{\\max}}", "message"),
    row("optim.gd_step_bound", "0.0005 < eps < 2/lambda_max", INCORRECT, "\\frac{1}{4000}", "message"),
    row("optim.newton_step_bound", "0 < eps <= 2", INCORRECT, "includes the upper end $eps = 2$", "message"),
    row("optim.newton_step_bound", "0 <= eps < 2", INCORRECT, "lower end $0$ should be excluded"),
    row("optim.newton_step_bound", "0 < eps < 2.002", INCORRECT, "\\frac{2001}{1000}", "message"),
    row("optim.newton_step_bound", "0.0005 < eps < 2", INCORRECT, "\\frac{1}{4000}", "message"),
    # Differences confined to a region: breakpoints and large magnitudes are sampled.
    row("softmax.ce_grad", "s - y + relu(z_1 - 50)", INCORRECT, "'z': [", "counterexample"),
    row("activation.sigmoid_grad", BUMP, INCORRECT, "'z': 0.3000", "counterexample"),
    row("activation.relu_grad", "sigma(10000 z)", INCORRECT, "'z': ", "counterexample"),
    # Right answers that cancellation, overflow or the vocabulary used to reject.
    row("activation.tanh_grad", "1 - tanh(z)^2 + exp(40 z) - exp(40 z)", CORRECT, "proved", "evidence"),
    row("softmax.ce_grad", "exp(z + 800)/sum(exp(z + 800)) - y", CORRECT, "proved for all sizes", "evidence"),
    row("activation.tanh_grad", "sech(z)^2", CORRECT, "proved", "evidence"),
    row("activation.tanh_grad", r"1 - \tanh^2 z", CORRECT, "proved", "evidence"),
    row("activation.tanh_sigmoid", r"\frac{\sinh z}{\cosh z}", CORRECT, "proved", "evidence"),
    # Parsing: the inner product where the outer one is needed; an over-long sum.
    row("softmax.jacobian", "s^T s", INCORRECT, "transpose: $s^\\top s$ is the inner product"),
    row("softmax.jacobian", "diag(s) - s^T s", INCORRECT, "transpose: $s^\\top s$ is the inner product"),
    row("softmax.ce_grad", "s - y + sum_{i=1}^{C^5} 0*s", INVALID, "the sum over i has 1024 terms at C = 4",
        "message"),
    # Evidence says exactly what holds.
    row("softmax.ce_grad", "s - y", CORRECT, "proved for all sizes", "evidence"),
    row("softmax.jacobian", "s_i(delta_ij - s_j)", CORRECT, "proved for all sizes", "evidence"),
    row("dropout.unit_regulariser", "1/2*sum(p_i*(1-p_i)*w_i^2*x_i^2, i, 1, n)", CORRECT,
        "proved for all sizes: an identity with the sizes as symbols", "evidence"),
    row("optim.gd_step_bound", "0 < eps < 2/lambda_max", CORRECT, "proved", "evidence"),
]


def test_a_declared_slip_names_the_meaning_of_a_wrong_end():
    verdict = check("optim.gd_step_bound", "0 < eps <= 2/lambda_max", timeout=None)
    slips = {s.answer: s.why for s in registry.get_part("optim.gd_step_bound").slips}
    if "0 < eps <= 2/lambda_max" in slips:
        assert verdict.diagnosis == Diagnosis("slip", slips["0 < eps <= 2/lambda_max"])
    assert verdict.counterexample["values"] == {"eps": "\\frac{2}{\\lambda_{\\max}}"}


@pytest.mark.parametrize("part_id,answer,status,fragment,where", ISSUE_EXAMPLES)
def test_issue_examples_get_their_right_verdict(part_id, answer, status, fragment, where):
    verdict = check(part_id, answer, timeout=None)
    assert verdict.status == status, verdict
    if fragment is not None:
        assert fragment in str(getattr(verdict, where)), verdict


def test_sum_range_limit_points_at_the_sum():
    verdict = check("softmax.ce_grad", "s - y + sum_{i=1}^{C^5} 0*s", timeout=None)
    assert verdict.status == INVALID and verdict.position == 8


# --------------------------------------------------------------------------- exact points
def test_a_counterexample_shows_every_variable_either_side_uses_and_no_other():
    verdict = check("optim.adam_first_step", "alpha", timeout=None)
    assert verdict.status == INCORRECT
    assert set(verdict.counterexample["values"]) == {"alpha", "beta_1", "beta_2"}


def test_a_counterexample_is_confirmed_in_high_precision_and_shows_the_difference():
    verdict = check("softmax.ce_grad", "s - y + 9e-9", timeout=None)
    ce = verdict.counterexample
    assert ce["precision"].endswith("digits") and int(ce["precision"].split()[0]) >= 60
    assert float(ce["difference"]) == pytest.approx(9e-9, rel=1e-2)
    got, want = np.array(ce["answer"], float), np.array(ce["expected"], float)
    assert np.max(np.abs(got - want)) == pytest.approx(9e-9, rel=1e-3)   # shown digits suffice


def test_counterexample_prefers_a_visible_difference():
    verdict = check("softmax.ce_grad", "s - y + relu(z_1 - 50)", timeout=None)
    assert float(verdict.counterexample["difference"]) > 1e-6


def test_high_precision_rejects_what_the_float_proposal_accepts():
    from derive.answers.decide.equivalence import compare, target, vocabulary
    part = registry.get_part("softmax.ce_grad")
    floats = compare(parse_answer("s - y + 9e-9", vocabulary(part)), target(part).batches(0))
    assert floats.equal is True   # why floats only propose and high precision decides
    assert judge(part, "s - y + 9e-9").status == INCORRECT


def test_precise_decision_needs_more_digits_only_when_the_answer_cancels():
    from derive.answers.decide.equivalence import vocabulary
    from derive.answers.decide.precision import DIFFERENT, EQUAL, PreciseTarget, decide
    part = registry.get_part("activation.tanh_grad")
    target = PreciseTarget(part, {})
    vocab = vocabulary(part)
    cancelling = parse_answer("1 - tanh(z)^2 + exp(40 z) - exp(40 z)", vocab)
    for z in (0.5, 5.0, 60.0):
        d = decide(cancelling, target, {"z": z}, {})
        assert d.status == EQUAL, (z, d)
    assert decide(cancelling, target, {"z": 60.0}, {}).digits > 1000   # e^2400 ~ 10^1042
    off = parse_answer("1 - tanh(z)^2 + 1e-250", vocab)
    assert decide(off, target, {"z": 0.5}, {}).status == DIFFERENT


# --------------------------------------------------------------------------- every size
@pytest.mark.parametrize("size", range(2, 13))
def test_an_answer_wrong_at_one_size_only_is_caught_at_that_size(size):
    verdict = check("softmax.ce_grad", f"s - y + [C = {size}] s", timeout=None)
    assert verdict.status == INCORRECT and verdict.counterexample["sizes"] == {"C": size}


def test_size_sweep_covers_every_size_up_to_12():
    from derive.answers.decide.points import size_sweep
    part = registry.get_part("optim.gd_closed_form")
    ts = sorted({s["t"] for s in size_sweep(part, ["t"])})
    assert ts == list(range(0, 13))


# --------------------------------------------------------------------------- exact sets
LAM = sp.Symbol("lambda_max", positive=True)


@pytest.mark.parametrize("answer,equal,witness,in_answer", [
    (sp.Interval.open(0, 2 / LAM), True, None, None),
    (sp.Interval.open(0, 1 / LAM + 1 / LAM), True, None, None),
    (sp.Interval.Lopen(0, 2 / LAM), False, 2 / LAM, True),
    (sp.Interval.Ropen(0, 2 / LAM), False, 0, True),
    (sp.Interval.open(0, sp.Rational(2002, 1000) / LAM), False, sp.Rational(2001, 1000) / LAM, True),
    (sp.Interval.open(sp.Rational(1, 2000), 2 / LAM), False, sp.Rational(1, 4000), False),
    (sp.Interval.open(0, 1 / LAM), False, sp.Rational(3, 2) / LAM, False),
    (sp.S.EmptySet, False, 1 / LAM, False),
])
def test_sets_are_compared_end_by_end(answer, equal, witness, in_answer):
    d = compare_sets(answer, sp.Interval.open(0, 2 / LAM))
    assert d.equal is equal
    if witness is not None:
        assert sp.simplify(d.witness - witness) == 0 and d.in_first is in_answer
        # The witness really is in exactly one of the sets, for every lambda_max > 0.
        inside_answer = answer.contains(d.witness)
        inside_expected = sp.Interval.open(0, 2 / LAM).contains(d.witness)
        assert sp.simplify(inside_answer) != sp.simplify(inside_expected) or d.reason == "shifted"


def test_witness_of_a_shifted_end_is_in_one_set_only_at_sampled_parameters():
    d = compare_sets(sp.Interval.open(0, sp.Rational(2002, 1000) / LAM), sp.Interval.open(0, 2 / LAM))
    for lam in (0.5, 1, 3.7):
        w = d.witness.subs(LAM, lam)
        assert 2 / lam < w < 2.002 / lam


# --------------------------------------------------------------------------- breakpoints
@pytest.mark.parametrize("answer", [
    "heaviside(z) + heaviside(z - 0.7) - heaviside(z - 0.700001)",
    "heaviside(z) + 0.001*relu(z - 59)",
    "heaviside(z) + [floor(z) = 3]*0.5",
    "heaviside(z) + abs(z + 0.25) - abs(z + 0.25000001)",
    "heaviside(z) + 10^(-12)*heaviside(z - 0.5)*heaviside(0.50001 - z)",   # below float resolution
])
def test_a_difference_confined_near_a_breakpoint_or_far_out_is_found(answer):
    verdict = check("activation.relu_grad", answer, timeout=None)
    assert verdict.status == INCORRECT, verdict


def test_piecewise_answers_that_are_right_are_proved():
    for answer in ("heaviside(z)", "(sign(z) + 1)/2", "(abs(z)/z + 1)/2"):
        verdict = check("activation.relu_grad", answer, timeout=None)
        assert verdict.status == CORRECT and verdict.evidence == "proved: an exact identity", (answer, verdict)


# --------------------------------------------------------------------------- vocabulary
VOCAB = Vocabulary.from_variables([V(name="s", shape=("C",), spellings=()),
                                   V(name="z", shape=(), spellings=()),
                                   V(name="T", shape=(), spellings=())])


@pytest.mark.parametrize("text,latex", [
    ("s s^T / T", r"\frac{s s^\top}{T}"),           # a variable named T: still a transpose
    ("s^T s", r"s^\top s"),
    ("z^T", "z^{T}"),                               # a scalar to the power T
    (r"\tanh^2 z", r"\tanh^{2}{\left(z \right)}"),     # a function's power as the sheets write it
    (r"\cosh^{2} z - \sinh^2 z", r"\cosh^{2}{\left(z \right)} - \sinh^{2}{\left(z \right)}"),
    ("sech(z) csch(z) coth(z)", None),
    (r"\operatorname{sech}^2 z", r"\operatorname{sech}^{2}{\left(z \right)}"),
])
def test_vocabulary_and_function_powers(text, latex):
    answer = parse_answer(text, VOCAB)
    if latex is not None:
        assert answer.latex() == latex


@pytest.mark.parametrize("name,value", [("sech", 1 / np.cosh(0.3)), ("csch", 1 / np.sinh(0.3)),
                                        ("coth", 1 / np.tanh(0.3)), ("cosh", np.cosh(0.3)),
                                        ("sinh", np.sinh(0.3))])
def test_hyperbolic_functions_evaluate_in_floats_and_high_precision(name, value):
    answer = parse_answer(f"{name}(z)", VOCAB)
    assert answer.evaluate({"z": 0.3}) == pytest.approx(value, rel=1e-14)
    from derive.answers.decide.precision import PreciseEvaluator
    with mpmath.workdps(50):
        ev = PreciseEvaluator({"z": np.array(mpmath.mpf(0.3), dtype=object).reshape(1, 1, 1)}, {}, {})
        assert float(ev(answer.tree).reshape(-1)[0]) == pytest.approx(value, rel=1e-15)


# --------------------------------------------------------------------------- spellings
LABELS = Vocabulary.from_variables([V(name="s", shape=("C",), spellings=()),
                                    V(name="y", shape=("N",), spellings=()),
                                    V(name="c", shape=("C",), spellings=())])
AT = {"s": [0.2, 0.3, 0.5], "y": [2, 3, 3], "c": [1.0, 10.0, 100.0]}


@pytest.mark.parametrize("text,value", [
    (r"\sum_{i=1}^{N} c_{y_i}", 210.0),                       # nested subscripts: labels
    (r"-\sum_i \log s_{y_i}", -np.log(0.3) - 2 * np.log(0.5)),
    (r"c_{y_1}", 10.0),
    (r"\sum_i [y_i = 3]", 2.0),                                # indicator spellings
    (r"\sum_i \delta(y_i = 3)", 2.0),
    (r"\sum_i \mathbb{1}[y_i = 3]", 2.0),
    ("sum_i delta(y_i = 2)", 1.0),
    (r"0.75 \times 0.5", 0.375),                               # \times and \cdot between numbers
    (r"0.75 \cdot 0.5", 0.375),
    (r"\left\lfloor \frac{7}{2} \right\rfloor + \lceil 0.5 \rceil", 4.0),
])
def test_label_indicator_and_number_spellings(text, value):
    assert parse_answer(text, LABELS).evaluate(AT) == pytest.approx(value)


def test_a_label_past_the_vector_is_an_evaluation_error_not_a_crash():
    from derive.errors import AnswerEvaluationError
    with pytest.raises(AnswerEvaluationError, match="past the end of c"):
        parse_answer("c_{y_1}", LABELS).evaluate({**AT, "y": [4, 1, 1]})


@pytest.mark.parametrize("part_id,answer", [
    ("activation.sigmoid_grad", r"\sigma'(z)"),
    ("activation.tanh_grad", "tanh'(z)"),
    ("backprop.neuron_grad_b", r"(y - t) \sigma'(wx+b)"),
    ("conv.params", r"K^2 C_{in} + C_{in} C_{out}"),
    ("conv.params", "K^2 C_in + C_in C_out"),
    ("conv.output_size", r"\left\lfloor \frac{N + 2P - d(K-1) - 1}{S} \right\rfloor + 1"),
])
def test_more_spellings_of_right_answers(part_id, answer):
    if part_id not in REGISTERED:
        pytest.skip(f"{part_id} is not registered")
    assert check(part_id, answer, timeout=None).status == CORRECT


def test_a_value_far_below_float_range_is_shown_not_crashed_on():
    """beta_1^(2006+...) is computed at thousands of digits; the counterexample still prints it."""
    verdict = judge(registry.get_part("optim.adam_unroll"), r"(1-\beta_1)\sum_{i=1}^{t} \beta_1^{t-i+2006} g_i")
    assert verdict.status == INCORRECT
    assert "e-" in str(verdict.counterexample["answer"])
