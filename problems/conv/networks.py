"""Conv arithmetic, worked on whole networks: a depthwise separable network against a standard
one (parameters, mults, the cheaper and by how much), and two plain networks (parameters and
the activations stored per image). Every layer's numbers are derived from a declarative layer
list (``derive.maths.networks``) and checked against an instrumented NumPy forward pass."""
import numpy as np
import sympy as sp

from derive import Derivation, Figure, Oracle, Part, Sheet
from derive.maths.networks import (Shape, analyse, conv, depthwise, fc, layer_rows, network_totals, pointwise,
                                   pool, textbook_totals, totals)
from derive.verify.agreement import AgreementCheck
from derive.verify.conv_figures import draw_stage_mults
from derive.verify.instrumented import measured_network_totals, per_layer
from derive.verify.tables import worked_table

from .arithmetic import EXACT, EXACT_REASON, MACS


AB_INPUT = Shape(512, 512, 3)
NETWORK_A = tuple(layer for c in (64, 128, 256) for layer in (depthwise(4, 2, 1), pointwise(c)))
NETWORK_B = tuple(conv(c, 4, 2, 1) for c in (64, 128, 256))


def ab_vector(p_a, p_b, m_a, m_b):
    return sp.Matrix([p_a, p_b, m_a, m_b, sp.Rational(m_b, m_a)])


def ab_derived():
    return ab_vector(*network_totals((NETWORK_A, NETWORK_B), AB_INPUT, ("params", "mults")))


def ab_measured(_values=None):
    p_a, p_b, m_a, m_b = measured_network_totals((NETWORK_A, NETWORK_B), AB_INPUT, ("params", "mults"))
    return np.array([p_a, p_b, m_a, m_b, m_b / m_a], dtype=float)


def ab_rows():
    rows = layer_rows((("A", NETWORK_A), ("B", NETWORK_B)), AB_INPUT, ("params", "mults"))
    ratio = ab_derived()
    cheaper = "A" if ratio[4] > 1 else "B"
    return rows + [(f"B / A ({cheaper} is cheaper)", "-", sp.Rational(ratio[1], ratio[0]), ratio[4])]


AB_CHECK = AgreementCheck("every layer's output side, parameters and mults agree with the instrumented forward pass",
                       lambda: per_layer((("A", NETWORK_A), ("B", NETWORK_B)), AB_INPUT, ("side", "params", "mults"), True)[0],
                       lambda: per_layer((("A", NETWORK_A), ("B", NETWORK_B)), AB_INPUT, ("side", "params", "mults"), True)[1],
                       r"a float32 NumPy forward pass of both networks on a $512 \times 512 \times 3$ input: shapes from its "
                       "sliding windows, parameters from its weight arrays, products counted as performed",
                       EXACT, EXACT_REASON)
NETWORKS_AB = Part(
    id="conv.networks_ab", title="Worked: depthwise separable network A against standard network B",
    sheet=Sheet(
        statement=r"Input $512 \times 512 \times 3$, no bias. Network A: three stages of a depthwise $4 \times 4$ "
                  r"convolution (stride 2, padding 1) then a pointwise $1 \times 1$ one, channels "
                  r"$3 \to 64 \to 128 \to 256$. Network B: three standard $4 \times 4$ convolutions, stride 2, padding "
                  r"1, same channels. Give every layer's output shape, parameters and mults, the totals, which network "
                  r"is cheaper and by what ratio. " + MACS,
        demonstrations=(worked_table("Every layer, from the description (mults: multiply-accumulates, no bias)",
                                     ("layer", "output", "params", "mults"), ab_rows),),
        figures=(Figure("ab-cost", "Mults per stage, network A (depthwise and pointwise) against network B "
                        "(log scale)", lambda ax: draw_stage_mults(ax, NETWORK_A, NETWORK_B, AB_INPUT)),)),
    derivation=Derivation(
        derive=lambda v: ab_derived(),
        result=lambda v: ab_vector(*textbook_totals((NETWORK_A, NETWORK_B), AB_INPUT, (1, 2))),
        result_lhs=r"\left(P_A, P_B, M_A, M_B, M_B / M_A\right)^\top",
        oracle=Oracle(ab_measured, "totals of the instrumented NumPy forward pass (products counted, weight "
                      "entries counted)", 1e-12, r"integer counts and their ratio in float64: error $\approx 10^{-16}$", cases=1),
        checks=(AB_CHECK,)),
)


def twelve(*channels):
    layers = []
    for first, second in zip(channels[0::2], channels[1::2]):
        layers += [conv(first, 5, bias=True), conv(second, 5, bias=True), pool(5, 2)]
    return tuple(layers + [fc(1024, bias=True), fc(100, bias=True)])


N12_INPUT = Shape(224, 224, 1)
NETWORK_1, NETWORK_2 = twelve(16, 32, 32, 64, 64, 128), twelve(128, 64, 64, 32, 32, 16)
PAIR_12 = (("N1", NETWORK_1), ("N2", NETWORK_2))


def n12_vector(p1, p2, a1, a2):
    return sp.Matrix([p1, p2, a1, a2, a1 + N12_INPUT.size, a2 + N12_INPUT.size])


def n12_measured(_values=None):
    return np.array(measured_network_totals((NETWORK_1, NETWORK_2), N12_INPUT,
                                            ("params", "activations", "activations with input"), compute=False), dtype=float)


def n12_rows():
    rows = layer_rows(PAIR_12, N12_INPUT, ("params", "activations"))
    for tag, layers in PAIR_12:
        rows.append((f"{tag}: activations with the input", "-", "-", totals(analyse(layers, N12_INPUT)).activations_with_input))
    return rows


N12_CHECK = AgreementCheck("every layer's output side, parameters and activations agree with the NumPy pass",
                        lambda: per_layer(PAIR_12, N12_INPUT, ("side", "params", "activations"), False)[0],
                        lambda: per_layer(PAIR_12, N12_INPUT, ("side", "params", "activations"), False)[1],
                        "a shape-only NumPy pass: sides from sliding windows over each input, parameters "
                        "from the allocated weight and bias arrays, activations from the output arrays",
                        EXACT, EXACT_REASON)
NETWORKS_12 = Part(
    id="conv.networks_12", title="Worked: two plain networks, parameters and stored activations",
    sheet=Sheet(
        statement=r"Input $224 \times 224 \times 1$; convolutions $5 \times 5$, stride 1, no padding, with bias; "
                  r"max-pool $5 \times 5$, stride 2 (floor); then FC 1024 and FC 100 with bias. Network 1: conv16, "
                  r"conv32, pool, conv32, conv64, pool, conv64, conv128, pool, FC1024, FC100. Network 2: conv128, "
                  r"conv64, pool, conv64, conv32, pool, conv32, conv16, pool, FC1024, FC100. Give every layer's output "
                  r"shape and parameters, the totals, and the activations stored per image, without and with the input.",
        demonstrations=(worked_table("Every layer, from the description (activations: entries of the output)",
                                     ("layer", "output", "params", "activations"), n12_rows),)),
    derivation=Derivation(
        derive=lambda v: n12_vector(*network_totals((NETWORK_1, NETWORK_2), N12_INPUT, ("params", "activations"))),
        result=lambda v: n12_vector(*textbook_totals((NETWORK_1, NETWORK_2), N12_INPUT, (1, 3))),
        result_lhs=r"\left(P_1, P_2, A_1, A_2, A_1 + 224^2, A_2 + 224^2\right)^\top",
        oracle=Oracle(n12_measured, "a shape-only NumPy pass (sliding windows, allocated arrays)", EXACT,
                      EXACT_REASON, cases=1),
        checks=(N12_CHECK,)),
)


PARTS = [NETWORKS_AB, NETWORKS_12]
