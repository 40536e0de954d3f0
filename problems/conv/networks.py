"""Conv arithmetic, worked on whole networks: a depthwise separable network against a standard
one (parameters, mults, the cheaper and by how much), and two plain networks (parameters and
the activations stored per image). Every layer's numbers are derived from a declarative layer
list (``derive.maths.networks``) and checked against an instrumented NumPy forward pass."""
import numpy as np
import sympy as sp

from derive import Derivation, Figure, Oracle, Param, Parameters, Part, Sheet, parametrised
from derive.maths.networks import (Shape, analyse, conv, depthwise, fc, layer_rows, network_totals, pointwise,
                                   pool, textbook_totals, totals)
from derive.verify.agreement import AgreementCheck
from derive.verify.conv_figures import draw_stage_mults
from derive.verify.instrumented import measured_network_totals, per_layer
from derive.verify.tables import worked_table

from .arithmetic import EXACT, EXACT_REASON, MACS


# The course's networks and a variant's: input sides that halve cleanly through three stride-2
# stages (kernel k with padding k/2 - 1 halves an even side), 1 or 3 input channels, and channel
# counts that grow stage by stage.
AB_PARAMETERS = (Param("side", 512, choices=(128, 256, 512), what="the input side"),
                 Param("channels", 3, choices=(1, 3), what="the input channels"),
                 Param("kernel", 4, choices=(2, 4), what="the kernel side (padding kernel/2 - 1)"),
                 Param("c1", 64, choices=(32, 64), what="the first stage's channels"),
                 Param("c2", 128, choices=(64, 128), what="the second stage's channels"),
                 Param("c3", 256, choices=(128, 256), what="the third stage's channels"))


def growing(values):
    return None if values["c1"] <= values["c2"] <= values["c3"] else "the channels must not shrink from stage to stage"


def ab_vector(p_a, p_b, m_a, m_b):
    return sp.Matrix([p_a, p_b, m_a, m_b, sp.Rational(m_b, m_a)])


def networks_ab(values):
    k, side, chans = values["kernel"], values["side"], (values["c1"], values["c2"], values["c3"])
    pad = k // 2 - 1
    shape = Shape(side, side, values["channels"])
    net_a = tuple(layer for c in chans for layer in (depthwise(k, 2, pad), pointwise(c)))
    net_b = tuple(conv(c, k, 2, pad) for c in chans)
    pair = (("A", net_a), ("B", net_b))

    def derived():
        return ab_vector(*network_totals((net_a, net_b), shape, ("params", "mults")))

    def measured(_values=None):
        p_a, p_b, m_a, m_b = measured_network_totals((net_a, net_b), shape, ("params", "mults"))
        return np.array([p_a, p_b, m_a, m_b, m_b / m_a], dtype=float)

    def rows():
        ratio = derived()
        cheaper = "A" if ratio[4] > 1 else "B"
        return (layer_rows(pair, shape, ("params", "mults"))
                + [(f"B / A ({cheaper} is cheaper)", "-", sp.Rational(ratio[1], ratio[0]), ratio[4])])
    compared = lambda: per_layer(pair, shape, ("side", "params", "mults"), True)
    return Part(
        id="conv.networks_ab", title="Worked: depthwise separable network A against standard network B",
        sheet=Sheet(
            statement=rf"Input ${side} \times {side} \times {values['channels']}$, no bias. Network A: three stages of a "
                      rf"depthwise ${k} \times {k}$ convolution (stride 2, padding {pad}) then a pointwise $1 \times 1$ one, "
                      rf"channels ${values['channels']} \to {chans[0]} \to {chans[1]} \to {chans[2]}$. Network B: three "
                      rf"standard ${k} \times {k}$ convolutions, stride 2, padding {pad}, same channels. Give every layer's "
                      r"output shape, parameters and mults, the totals, which network is cheaper and by what ratio. " + MACS,
            demonstrations=(worked_table("Every layer, from the description (mults: multiply-accumulates, no bias)",
                                         ("layer", "output", "params", "mults"), rows),),
            figures=(Figure("ab-cost", "Mults per stage, network A (depthwise and pointwise) against network B "
                            "(log scale)", lambda ax: draw_stage_mults(ax, net_a, net_b, shape)),)),
        derivation=Derivation(
            derive=lambda v: derived(),
            result=lambda v: ab_vector(*textbook_totals((net_a, net_b), shape, (1, 2))),
            result_lhs=r"\left(P_A, P_B, M_A, M_B, M_B / M_A\right)^\top",
            oracle=Oracle(measured, "totals of the instrumented NumPy forward pass (products counted, weight "
                          "entries counted)", 1e-12, r"integer counts and their ratio in float64: error $\approx 10^{-16}$",
                          cases=1),
            checks=(AgreementCheck("every layer's output side, parameters and mults agree with the instrumented forward pass",
                                   lambda: compared()[0], lambda: compared()[1],
                                   rf"a float32 NumPy forward pass of both networks on a ${side} \times {side} \times "
                                   rf"{values['channels']}$ input: shapes from its sliding windows, parameters from its "
                                   "weight arrays, products counted as performed", EXACT, EXACT_REASON),)),
    )


NETWORKS_AB = parametrised(Parameters(AB_PARAMETERS, networks_ab, growing))
# The course's networks, for tests that recompute them.
AB_INPUT = Shape(512, 512, 3)
NETWORK_A = tuple(layer for c in (64, 128, 256) for layer in (depthwise(4, 2, 1), pointwise(c)))
NETWORK_B = tuple(conv(c, 4, 2, 1) for c in (64, 128, 256))


def twelve(channels, hidden=1024, classes=100):
    layers = []
    for first, second in zip(channels[0::2], channels[1::2]):
        layers += [conv(first, 5, bias=True), conv(second, 5, bias=True), pool(5, 2)]
    return tuple(layers + [fc(hidden, bias=True), fc(classes, bias=True)])


# The course's pair and a variant's: input sides that stay positive through six 5 x 5 convolutions
# and three pools, the first width doubling along network 1 and halving along network 2.
N12_PARAMETERS = (Param("side", 224, choices=(128, 160, 192, 224), what="the input side"),
                  Param("width", 16, choices=(8, 16), what="network 1's first width (then 2x, 2x, 4x, 4x, 8x)"),
                  Param("hidden", 1024, choices=(256, 512, 1024), what="the hidden FC layer's units"),
                  Param("classes", 100, choices=(10, 100), what="the classes"))


def networks_12(values):
    w, side = values["width"], values["side"]
    widths = (w, 2 * w, 2 * w, 4 * w, 4 * w, 8 * w)
    shape = Shape(side, side, 1)
    net_1 = twelve(widths, values["hidden"], values["classes"])
    net_2 = twelve(widths[::-1], values["hidden"], values["classes"])
    pair = (("N1", net_1), ("N2", net_2))

    def vector(p1, p2, a1, a2):
        return sp.Matrix([p1, p2, a1, a2, a1 + shape.size, a2 + shape.size])

    def measured(_values=None):
        return np.array(measured_network_totals((net_1, net_2), shape, ("params", "activations", "activations with input"),
                                                compute=False), dtype=float)

    def rows():
        out = layer_rows(pair, shape, ("params", "activations"))
        for tag, layers in pair:
            out.append((f"{tag}: activations with the input", "-", "-", totals(analyse(layers, shape)).activations_with_input))
        return out
    compared = lambda: per_layer(pair, shape, ("side", "params", "activations"), False)

    def names(channels):
        return ", ".join([f"conv{channels[0]}", f"conv{channels[1]}", "pool", f"conv{channels[2]}", f"conv{channels[3]}",
                          "pool", f"conv{channels[4]}", f"conv{channels[5]}", "pool", f"FC{values['hidden']}",
                          f"FC{values['classes']}"])
    return Part(
        id="conv.networks_12", title="Worked: two plain networks, parameters and stored activations",
        sheet=Sheet(
            statement=rf"Input ${side} \times {side} \times 1$; convolutions $5 \times 5$, stride 1, no padding, with bias; "
                      rf"max-pool $5 \times 5$, stride 2 (floor); then FC {values['hidden']} and FC {values['classes']} with "
                      rf"bias. Network 1: {names(widths)}. Network 2: {names(widths[::-1])}. Give every layer's output "
                      r"shape and parameters, the totals, and the activations stored per image, without and with the input.",
            demonstrations=(worked_table("Every layer, from the description (activations: entries of the output)",
                                         ("layer", "output", "params", "activations"), rows),)),
        derivation=Derivation(
            derive=lambda v: vector(*network_totals((net_1, net_2), shape, ("params", "activations"))),
            result=lambda v: vector(*textbook_totals((net_1, net_2), shape, (1, 3))),
            result_lhs=rf"\left(P_1, P_2, A_1, A_2, A_1 + {side}^2, A_2 + {side}^2\right)^\top",
            oracle=Oracle(measured, "a shape-only NumPy pass (sliding windows, allocated arrays)", EXACT,
                          EXACT_REASON, cases=1),
            checks=(AgreementCheck("every layer's output side, parameters and activations agree with the NumPy pass",
                                   lambda: compared()[0], lambda: compared()[1],
                                   "a shape-only NumPy pass: sides from sliding windows over each input, parameters "
                                   "from the allocated weight and bias arrays, activations from the output arrays",
                                   EXACT, EXACT_REASON),)),
    )


NETWORKS_12 = parametrised(Parameters(N12_PARAMETERS, networks_12))
N12_INPUT = Shape(224, 224, 1)


PARTS = [NETWORKS_AB, NETWORKS_12]
