"""Conv arithmetic: the worked numbers the catalogue states come out of the derivation, wrong
counts are refuted by the instrumented oracle, and `derive check` takes the plain right answers."""
import dataclasses

import numpy as np
import pytest
import sympy as sp

from derive import get_part
from derive.answers.decide.judge import judge
from derive.maths.networks import analyse, totals, with_bias
from derive.verify.claims import PASSED, REFUTED, cross_check
from problems.conv import arithmetic as arith
from problems.conv import networks


def table(part_id, n=0):
    return get_part(part_id).demonstrations[n].data()


def test_networks_ab_per_layer_and_totals():
    rows = {row[0]: row for row in table("conv.networks_ab")["rows"]}
    assert rows["A1: depthwise 4x4 stride 2 padding 1"][1:] == ["256x256x3", 48, 3 * 256 ** 2 * 16]
    assert rows["B3: conv 4x4 stride 2 padding 1 to 256"][1:] == ["64x64x256", 16 * 128 * 256, 64 ** 2 * 16 * 128 * 256]
    assert rows["A: total"][2:] == [44272, 309329920] and rows["B: total"][2:] == [658432, 4496293888]
    ratio = rows["B / A (A is cheaper)"]
    assert ratio[3] == pytest.approx(4496293888 / 309329920)


def test_networks_12_activations_with_and_without_the_input():
    rows = {row[0]: row for row in table("conv.networks_12")["rows"]}
    assert rows["N1.9: max-pool 5x5 stride 2"][1] == "18x18x128"
    assert rows["N1.10: FC 1024 with bias"][2] == 18 * 18 * 128 * 1024 + 1024
    without = rows["N1: total"][3]
    assert rows["N1: activations with the input"][3] == without + 224 * 224
    assert rows["N2.1: conv 5x5 to 128 with bias"][1:3] == ["220x220x128", 25 * 128 + 128]


def test_worked_values_of_the_small_parts():
    assert [row[1] for row in table("conv.receptive_field")["rows"]] == [3, 5, 13, 21]
    assert [row[1] for row in table("conv.skip_grad")["rows"]] == pytest.approx([1.128, 0.128, 0.2256, 0.0256])
    se = table("conv.se_cost")["rows"]
    assert [row[0] for row in se] == ["7", "14", "224", "limit"] and se[-1][-1] == pytest.approx(1 / 73)
    assert se[0][-1] == pytest.approx((512 + 64 * 49) / ((9 * 64 + 64 ** 2) * 49))
    bilinear = {row[0]: row[1] for row in table("conv.bilinear")["rows"]}
    assert bilinear["corner (1, 2)"] == 0.375 and bilinear["half-pixel (1, 2)"] == pytest.approx(0.90625 * 0.84375)


def test_bias_counted_in_networks_ab_is_refuted_by_the_instrumented_oracle():
    def with_bias_counted(v):
        a, b = (totals(analyse(with_bias(n), networks.AB_INPUT)) for n in (networks.NETWORK_A, networks.NETWORK_B))
        # bias additions counted as mults too, the fvcore/thop convention broken on purpose
        extra = [sum(c.output.size for c in analyse(n, networks.AB_INPUT))
                 for n in (networks.NETWORK_A, networks.NETWORK_B)]
        return networks.ab_vector(a.params, b.params, a.mults + extra[0], b.mults + extra[1])
    part = get_part("conv.networks_ab")
    wrong = dataclasses.replace(part, derivation=dataclasses.replace(part.derivation, result=with_bias_counted))
    claim = cross_check(wrong, seed=0)
    assert claim.outcome == REFUTED
    claimed, measured = (np.ravel(claim.counterexample[k]) for k in ("closed form", "oracle"))
    assert claimed[0] == 44272 + 3 + 64 + 64 + 128 + 128 + 256    # one bias per output channel
    assert measured[0] == 44272                                    # weight entries only
    assert claimed[2] > measured[2] == 309329920                   # bias additions are not products
    assert cross_check(get_part("conv.networks_ab"), seed=0).outcome == PASSED


def test_k_instead_of_k_squared_is_refuted_by_counting_products():
    part = get_part("conv.mults")
    wrong = dataclasses.replace(part, derivation=dataclasses.replace(
        part.derivation, result=lambda v: v.O ** 2 * v.K * v.C_in * v.C_out))
    claim = cross_check(wrong, seed=0)
    assert claim.outcome == REFUTED and claim.counterexample["values"]["K"] > 1


ANSWERS = [
    ("conv.output_size", "floor((N + 2P - d(K-1) - 1)/S) + 1"),
    ("conv.output_size", r"\left\lfloor \frac{N + 2P - d(K - 1) - 1}{S} \right\rfloor + 1"),
    ("conv.params", "K^2 C_in + C_in C_out"),
    ("conv.params", r"K^2 C_{in} + C_{in} \times C_{out}"),
    ("conv.mults", r"O^2 K^2 C_{in} \cdot C_{out}"),
    ("conv.separable_ratio", r"\frac{1}{C_{out}} + \frac{1}{K^2}"),
    ("conv.multipliers", r"D_K^2 \alpha M \rho^2 D_F^2 + \alpha^2 M N \rho^2 D_F^2"),
    ("conv.receptive_field", "21"),
    ("conv.bilinear", "0.375"),
    ("conv.bilinear", "3/8"),
    ("conv.bilinear", r"0.75 \times 0.5"),
    ("conv.se_cost", r"\frac{1}{73}"),
    ("conv.skip_grad", "1.128"),
    ("conv.inverted_residual", "H W t C_in (C_in + k^2 + C_out)"),
]


@pytest.mark.parametrize("part_id,answer", ANSWERS)
def test_plain_right_answers_are_accepted(part_id, answer):
    verdict = judge(get_part(part_id), answer)
    assert verdict.status == "correct", verdict.message


def test_every_answer_part_is_marked_and_every_slip_is_diagnosed():
    answer_parts = {p.id for p in arith.PARTS + networks.PARTS if p.answer}
    assert answer_parts == {part for part, _ in ANSWERS}
    for part in arith.PARTS + networks.PARTS:
        for slip in part.slips:
            verdict = judge(part, slip.answer)
            assert verdict.status == "incorrect", (part.id, slip.answer, verdict.message)


def test_worked_results_are_exact_numbers():
    assert get_part("conv.se_cost").derive(None) == sp.Rational(1, 73)
    assert get_part("conv.skip_grad").derive(None) == sp.Rational(141, 125)
    assert get_part("conv.bilinear").derive(None) == sp.Rational(3, 8)


def test_no_result_is_named_like_one_of_its_variables():
    """conv.multipliers once called its cost M(alpha, rho) while M is the input channels."""
    import re
    for part in arith.PARTS + networks.PARTS:
        letters = set(re.findall(r"(?<![\\A-Za-z])[A-Za-z](?![A-Za-z])", re.sub(r"\\text\{[^}]*\}", "", part.result_lhs)))
        assert not letters & {v.name for v in part.variables}, (part.id, part.result_lhs)
