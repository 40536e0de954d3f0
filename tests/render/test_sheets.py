"""Sheet contexts: formulas printed from the general namespace, verification put into
words, numbers as LaTeX."""
import pytest
import sympy as sp

from derive import Derivation, Grading, InvalidArgument, Part, Sheet, Variable, verify_part
from derive.model.registry import Family
from derive.model.claim import PartRecord
from derive.pipeline import finish
from derive.render.sheets import _sizes_sentence, family_sheet, part_sheet, scientific
from derive.verify.claims import PROVED, Claim, PartReport


@pytest.mark.parametrize("x, tex", [
    (None, "n/a"), (0.0, "$0$"), (1e-6, "$10^{-6}$"), (3.14e-11, r"$3.1 \times 10^{-11}$"),
    (0.5, "$0.5$"), (-4e-17, r"$-4 \times 10^{-17}$"), (float("inf"), r"$\infty$"), (float("nan"), "NaN"),
])
def test_scientific(x, tex):
    assert scientific(x) == tex


@pytest.mark.parametrize("sizes, sentence", [
    (({"C": 2}, {"C": 3}, {"C": 4}), "at $C = 2, 3, 4$"),
    (({},), ""),
    (({"N": 2, "d": 1}, {"N": 3, "d": 2}), "at $N = 2, d = 1$; $N = 3, d = 2$"),
])
def test_sizes_sentence(sizes, sentence):
    assert _sizes_sentence(sizes) == sentence


def _softmax_part(name="jacobian"):
    from problems.softmax import PARTS
    return next(p for p in PARTS if p.id == f"softmax.{name}")


def test_the_computed_instance_is_sympys_output_at_the_smallest_size():
    part = _softmax_part("nll")
    sheet = part_sheet(finish(part, cases=3))
    assert sheet.instance_label == "What SymPy computes from the forward definition at $C = 2$:"
    assert sheet.instance == (r"-\log p(y \mid x) = - y_{1} \log{\left(s_{1} \right)} "
                              r"- y_{2} \log{\left(s_{2} \right)}")


def test_a_softmax_sheet_prints_general_formulas_and_chains_steps():
    part = _softmax_part()
    sheet = part_sheet(finish(part, cases=3))
    assert sheet.result == r"J = \frac{\partial s}{\partial z} = \operatorname{diag}\left(s\right) - s s^\top"
    first, second = sheet.steps
    assert first.equation.startswith(r"\frac{\partial s_i}{\partial z_j} = \frac{")
    # the second step repeats the left side, so it continues the chain under a phantom
    assert second.equation == (r"\phantom{\frac{\partial s_i}{\partial z_j}} = "
                               r"s_{i} \left(\delta_{i j} - s_{j}\right)")
    assert sheet.outcome == PROVED
    headings = [c.heading for c in sheet.checks]
    assert headings == ["Closed form", "Derivation steps", "Numeric cross-check"]
    assert "at $C = 2, 3, 4, 5, 6$" in sheet.checks[0].lines[0]
    assert any("tolerance of $10^{-6}$" in line for line in sheet.checks[2].lines)
    assert sheet.instance is None          # the 2 x 2 Jacobian of exponentials is too long to help
    assert sheet.notation[1].endswith(r"$s = \operatorname{softmax}\left(z\right)$")


def test_further_claims_are_listed_with_their_own_words():
    part = Part("toy.double", "Double", Sheet("Find $2x$."),
                Derivation(lambda v: 2 * v.x, lambda v: 2 * v.x, "y", (Variable("x"),)))
    extra = Claim(part.id, "simulation", "running it agrees", PROVED, "a loop in NumPy", (), cases=7,
                  worst_error=1e-15, tolerance=1e-12, detail="float64 round-off")
    sheet = part_sheet(finish(part, report=PartReport(part, (extra,))))
    check = sheet.checks[-1]
    assert check.heading == "Simulation: running it agrees"
    assert check.lines == ("Method: a loop in NumPy.",
                           r"7 random cases; worst error $10^{-15}$ against a tolerance of $10^{-12}$: "
                           "float64 round-off.")
    assert sheet.instance is None          # SymPy's output is the result itself


def test_a_record_for_another_part_is_rejected():
    part = _softmax_part()
    other = Part("toy.other", "t", Sheet("s"), Derivation(lambda v: sp.S.One, lambda v: sp.S.One, "y"))
    with pytest.raises(InvalidArgument, match=r"softmax.jacobian \(given the record of toy.other\)"):
        family_sheet(Family("softmax", "S", "", (part,)), {part.id: PartRecord(PartReport(other, ()))})
    with pytest.raises(InvalidArgument, match=r"no finished record for parts \['softmax.jacobian'\]"):
        family_sheet(Family("softmax", "S", "", (part,)), {})


def _toy(also=(), grading=None):
    x = Variable("x")
    return Part("toy.cube", "Cube", Sheet("Find the slope."),
                Derivation(lambda v: sp.diff(v.x ** 3, v.x), lambda v: 3 * v.x ** 2, "f'(x)", (x,), also=also),
                grading)


def test_every_asked_quantity_is_boxed_and_each_further_result_is_proved():
    from derive import Step
    part = _toy(also=(Step("f''(x)", lambda v: 6 * v.x, "", target=lambda v: sp.diff(v.x ** 3, v.x, 2)),
                      Step("f'''(x)", lambda v: 7, "", target=lambda v: sp.diff(v.x ** 3, v.x, 3))))
    report = verify_part(part)
    sheet = part_sheet(finish(part, report=report))
    assert sheet.results == ("f'(x) = 3 x^{2}", "f''(x) = 6 x", "f'''(x) = 7")
    further = next(c for c in sheet.checks if c.heading == "Further results")
    assert further.outcome == "refuted"                # 7 is not the third derivative
    assert "Result 2 refuted" in " ".join(further.lines)


def test_a_set_in_set_builder_form_prints_as_an_interval():
    from derive.render.sheets import equation
    e, lam = sp.Symbol("epsilon", real=True), sp.Symbol("lambda", positive=True)
    condition = sp.And(sp.StrictLessThan(0, e), sp.StrictLessThan(e, 2 / lam))
    assert equation(r"\{\epsilon : |1 - \epsilon\lambda| < 1\}", condition, {}) == \
        r"\{\epsilon : |1 - \epsilon\lambda| < 1\} = \left(0, \frac{2}{\lambda}\right)"
    assert equation("c", condition, {}).startswith("c = 0 < ")   # not a set: stays a condition


def test_answer_parts_say_what_derive_check_expects_and_show_their_slips():
    part = _toy(grading=Grading(expects=r"the slope $f'(x)$"))
    verdict = {"answer": "x^3", "why": "the function for its slope", "status": "incorrect", "parsed": "x^{3}",
               "counterexample": {"values": {"x": 0.5}, "answer": 0.125, "expected": 0.75}, "diagnosis": None}
    sheet = part_sheet(PartRecord(verify_part(part), (verdict,)))
    assert sheet.expects == r"the slope $f'(x)$"
    (slip,) = sheet.slips
    assert slip.answer == "$x^{3}$" and slip.outcome == "refuted"
    assert slip.verdict == "``derive check`` says incorrect: at $x = 0.5$ it gives $0.125$ where the result is $0.75$."
    assert part_sheet(finish(_toy(grading=Grading()))).expects == "$f'(x)$"


def test_a_sheet_is_laid_out_from_the_record_without_deriving_or_computing_again():
    from derive import Demonstration
    calls = []

    def derive(v):
        calls.append("derive")
        return 2 * v.x
    part = Part("toy.twice", "Twice",
                Sheet("Find $2x$.", demonstrations=(
                    Demonstration("numbers", lambda: calls.append("compute") or [("a", "1")]),)),
                Derivation(derive, lambda v: 2 * v.x, "y", (Variable("x"),)))
    record = finish(part, report=PartReport(part, ()))
    assert calls == ["derive", "compute"]          # the pipeline computes each once
    calls.clear()
    first, second = part_sheet(record), part_sheet(record)
    assert calls == [] and first == second and len(first.demonstrations[0].rows) == 1
