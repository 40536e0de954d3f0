"""Conv arithmetic: output sizes, parameters, multiply-accumulates, receptive fields, resampling
and block costs, all derived from a declarative layer list (``derive.maths.networks``).

Mults are multiply-accumulates; bias additions are not counted (the fvcore/thop convention).
Oracles (``derive.verify.instrumented``): a NumPy forward pass that counts the products it
performs, weight arrays whose entries are counted, the support of a gradient through the real
stack, and ``scipy.ndimage.map_coordinates``."""
import numpy as np
import sympy as sp
from hypothesis import strategies as st

from derive import (Derivation, Figure, Grading, Oracle, Param, Parameters, Part, Sheet, Slip, Step, Variable,
                    parametrised)
from derive.maths.networks import (OneOf, Shape, analyse, bilinear_weights, conv, count_layer, depthwise,
                                   field_terms, hat, map_coordinate, padding_sizes, pointwise, pool, receptive_fields,
                                   se_mults, se_over_separable, separable_conv_mults, sizes, totals)
from derive.model.functions import held_fraction
from derive.verify.numeric import FD_RTOL, FD_TOLERANCE_REASON, central_derivative
from derive.verify.conv_figures import draw_receptive_field, draw_se_ratio
from derive.verify.instrumented import (image_point_weights, measure, measured_se_limit, measured_se_over_separable,
                                        random_stacks, receptive_field_support as measured_field)
from derive.verify.simulation import Simulation
from derive.verify.tables import worked_table
from derive.verify.agreement import AgreementCheck

EXACT = 0.0
EXACT_REASON = "both sides are exact integer counts: any difference is a wrong count"
FLOAT_REASON = (r"the interpolation is a few float64 products of numbers in $[0, 1]$: error $\approx 10^{-16}$; "
                r"$10^{-12}$ leaves a wide margin, while a wrong weight or convention differs by $\ge 10^{-3}$")
MACS = "Mults are multiply-accumulates; bias additions are not counted (the fvcore/thop convention)."
C_IN = ("C_{in}", r"C_{\mathrm{in}}", r"C_{\text{in}}")
C_OUT = ("C_{out}", r"C_{\mathrm{out}}", r"C_{\text{out}}")


def integer(name, low, high, what, spellings=(), latex=None):
    return Variable(name, domain=sizes(low, high, what), spellings=spellings, latex=latex)


def ints(values, *names):
    return [int(round(values[n])) for n in names]


def decimal_text(value) -> str:
    """An exact rational with a finite decimal expansion as that decimal (0.128)."""
    from decimal import Decimal
    value = sp.Rational(value)
    return format((Decimal(int(value.p)) / Decimal(int(value.q))).normalize(), "f")


# ----------------------------------------------------------------------------- output size
N_, K_, S_, P_, d_ = (integer("N", 13, 64, "input side"), integer("K", 1, 5, "kernel side"),
                      integer("S", 1, 4, "stride"), Variable("P", domain=padding_sizes(3)),
                      integer("d", 1, 3, "dilation"))
# The worked number's layer: a variant's kernel always fits (d(K - 1) + 1 <= 9 < N).
OUTPUT_SIZE_PARAMETERS = (Param("N", 32, low=16, high=64, step=1, what="the input side"),
                          Param("K", 3, choices=(1, 3, 5), what="the kernel side"),
                          Param("S", 2, choices=(1, 2, 3), what="the stride"),
                          Param("P", 1, choices=(0, 1, 2, 3), what="the padding"),
                          Param("d", 1, choices=(1, 2), what="the dilation"))


def output_size(values):
    n, k, st, pad, dil = (values[name] for name in ("N", "K", "S", "P", "d"))
    return Part(
        id="conv.output_size", title="Output size of a convolution",
        sheet=Sheet(
            statement=r"A convolution with kernel $K$, stride $S$, zero padding $P$ and dilation $d$ reads an input "
                      r"of side $N$. How many outputs does it give along that side? (The kernel fits: "
                      r"$d(K - 1) + 1 \le N + 2P$.) Then give the number for "
                      rf"$N = {n}$, $K = {k}$, $S = {st}$, $P = {pad}$, $d = {dil}$."),
        derivation=Derivation(
            variables=(N_, K_, S_, P_, d_),
            derive=lambda v: count_layer(conv(1, v.K, v.S, v.P, v.d), Shape(v.N, v.N, 1)).output.height,
            result=lambda v: sp.floor((v.N + 2 * v.P - v.d * (v.K - 1) - 1) / v.S) + 1, result_lhs="O",
            steps=(Step(r"i_{\max}", lambda v: sp.floor((v.N + 2 * v.P - v.d * (v.K - 1) - 1) / v.S),
                        r"window $i$ covers padded entries $iS, iS + d, \dots, iS + d(K - 1)$; it is valid when "
                        r"$iS + d(K - 1) + 1 \le N + 2P$, which SymPy solves for $i$: the last valid window is the floor of "
                        r"the bound, and the windows $i = 0, 1, \dots, i_{\max}$ number $O = i_{\max} + 1$ (SymPy counts "
                        r"with symbolic integers, so this holds at every size where the kernel fits)",
                        target=lambda v: count_layer(conv(1, v.K, v.S, v.P, v.d), Shape(v.N, v.N, 1)).output.height - 1),),
            also=(Step(rf"O\big|_{{N = {n},\, K = {k},\, S = {st},\, P = {pad},\, d = {dil}}}",
                       lambda v: sp.floor(sp.Rational(n + 2 * pad - dil * (k - 1) - 1, st)) + 1,
                       "the closed form at these numbers, against the layer list's count",
                       target=lambda v: count_layer(conv(1, k, st, pad, dil), Shape(n, n, 1)).output.height),),
            oracle=Oracle(lambda x: measure([conv(1, *ints(x, "K", "S", "P", "d"))], Shape(*ints(x, "N", "N"), 1),
                                            compute=False)[0].output[0],
                          "the output side of NumPy's sliding windows over the zero-padded input", EXACT, EXACT_REASON)),
        grading=Grading(slips=(Slip("floor((N + 2P - K)/S) + 1", "the dilation forgotten"),
                               Slip("(N + 2P - d(K-1) - 1)/S + 1", "the floor forgotten"))),
    )


OUTPUT_SIZE = parametrised(Parameters(OUTPUT_SIZE_PARAMETERS, output_size))

# ----------------------------------------------------------------------------- parameters, mults
K_k, C_in, C_out = (integer("K", 1, 7, "kernel side"), integer("C_in", 1, 32, "input channels", C_IN, r"C_{\mathrm{in}}"),
                    integer("C_out", 1, 32, "output channels", C_OUT, r"C_{\mathrm{out}}"))
O_ = integer("O", 1, 8, "output side")
H_ANY = sp.Symbol("H", integer=True, positive=True)   # any input side: parameters do not depend on it


def separable(v):
    return [depthwise(v.K), pointwise(v.C_out)]


PARAMS = Part(
    id="conv.params", title="Parameters of a depthwise separable convolution",
    sheet=Sheet(
        statement=r"A standard $K \times K$ convolution $C_{\mathrm{in}} \to C_{\mathrm{out}}$ with bias has "
                  r"$(K^2 C_{\mathrm{in}} + 1) C_{\mathrm{out}}$ parameters. Count the parameters (no bias) of the "
                  r"depthwise separable replacement: a depthwise $K \times K$ convolution, then a pointwise "
                  r"$1 \times 1$ convolution to $C_{\mathrm{out}}$ channels."),
    derivation=Derivation(
        variables=(K_k, C_in, C_out),
        derive=lambda v: totals(analyse(separable(v), Shape(H_ANY, H_ANY, v.C_in))).params,
        result=lambda v: v.K ** 2 * v.C_in + v.C_in * v.C_out, result_lhs=r"P_{\mathrm{sep}}",
        steps=(Step(r"P_{\mathrm{dw}}", lambda v: v.K ** 2 * v.C_in,
                    r"the depthwise layer's $W$ has shape $K \times K \times C_{\mathrm{in}}$ (one filter per channel)",
                    target=lambda v: count_layer(depthwise(v.K), Shape(H_ANY, H_ANY, v.C_in)).params),
               Step(r"P_{\mathrm{pw}}", lambda v: v.C_in * v.C_out,
                    r"the pointwise layer's $W$ has shape $1 \times 1 \times C_{\mathrm{in}} \times C_{\mathrm{out}}$",
                    target=lambda v: count_layer(pointwise(v.C_out), Shape(H_ANY, H_ANY, v.C_in)).params),
               Step(r"P_{\mathrm{std}}", lambda v: (v.K ** 2 * v.C_in + 1) * v.C_out,
                    r"for comparison, the standard layer with bias: $W$ of shape $K \times K \times C_{\mathrm{in}} "
                    r"\times C_{\mathrm{out}}$ and $C_{\mathrm{out}}$ biases",
                    target=lambda v: count_layer(conv(v.C_out, v.K, bias=True), Shape(H_ANY, H_ANY, v.C_in)).params)),
        oracle=Oracle(lambda x: sum(m.params for m in measure(
            [depthwise(int(x["K"])), pointwise(int(x["C_out"]))], Shape(*ints(x, "K", "K", "C_in")), compute=False)),
            "entries of the instantiated NumPy weight arrays", EXACT, EXACT_REASON)),
    grading=Grading(neighbours=("conv.mults",),
                    slips=(Slip("K^2 C_in + C_in C_out + C_out", "the bias counted"),
                           Slip("K C_in + C_in C_out", "$K$ used instead of $K^2$"),
                           Slip("K^2 C_in", "the pointwise term forgotten"))),
)


def standard_mults(v):
    side = v.O + v.K - 1           # the input whose valid K x K convolution has side O
    return count_layer(conv(v.C_out, v.K), Shape(side, side, v.C_in)).mults


def separable_mults(v):
    side = v.O + v.K - 1
    return totals(analyse(separable(v), Shape(side, side, v.C_in))).mults


def measured_mults(x, separable_layers):
    o, k, c_in, c_out = ints(x, "O", "K", "C_in", "C_out")
    layers = [depthwise(k), pointwise(c_out)] if separable_layers else [conv(c_out, k)]
    return sum(m.mults for m in measure(layers, Shape(o + k - 1, o + k - 1, c_in)))


COUNTED = "products counted by an instrumented NumPy convolution"
MULTS = Part(
    id="conv.mults", title="Multiply-accumulates of a standard convolution",
    sheet=Sheet(statement=r"A $K \times K$ convolution $C_{\mathrm{in}} \to C_{\mathrm{out}}$ (stride 1) gives an "
                          r"$O \times O \times C_{\mathrm{out}}$ output. How many mults does it take? " + MACS),
    derivation=Derivation(
        variables=(O_, K_k, C_in, C_out), derive=standard_mults,
        result=lambda v: v.O ** 2 * v.K ** 2 * v.C_in * v.C_out, result_lhs=r"M_{\mathrm{std}}",
        steps=(Step(r"M_{\mathrm{std}}", lambda v: sp.Mul(sp.UnevaluatedExpr(v.O ** 2 * v.C_out),
                                                          sp.UnevaluatedExpr(v.K ** 2 * v.C_in), evaluate=False),
                    r"each of the $O^2 C_{\mathrm{out}}$ outputs sums $K^2 C_{\mathrm{in}}$ products "
                    r"$W(f, c, k, l) X(c, i + k, j + l)$"),
               Step(r"M_{\mathrm{dw}}", lambda v: v.O ** 2 * v.K ** 2 * v.C_in,
                    r"depthwise: each of the $O^2 C_{\mathrm{in}}$ outputs sums $K^2$ products",
                    target=lambda v: count_layer(depthwise(v.K), Shape(v.O + v.K - 1, v.O + v.K - 1, v.C_in)).mults),
               Step(r"M_{\mathrm{pw}}", lambda v: v.O ** 2 * v.C_in * v.C_out,
                    r"pointwise: each of the $O^2 C_{\mathrm{out}}$ outputs sums $C_{\mathrm{in}}$ products",
                    target=lambda v: count_layer(pointwise(v.C_out), Shape(v.O, v.O, v.C_in)).mults)),
        oracle=Oracle(lambda x: measured_mults(x, False), COUNTED, EXACT, EXACT_REASON)),
    grading=Grading(neighbours=("conv.params",),
                    slips=(Slip("O^2 K C_in C_out", "$K$ used instead of $K^2$"),
                           Slip("O^2 K^2 C_in C_out + O^2 C_out", "the bias additions counted"))),
)

SEPARABLE_RATIO = Part(
    id="conv.separable_ratio", title="Depthwise separable against standard: the cost ratio",
    sheet=Sheet(
        statement=r"Divide the mults of the depthwise separable convolution (depthwise $K \times K$, then "
                  r"pointwise to $C_{\mathrm{out}}$) by those of the standard one, on the same $O \times O$ output."),
    derivation=Derivation(
        variables=(O_, K_k, C_in, C_out), derive=lambda v: separable_mults(v) / standard_mults(v),
        result=lambda v: 1 / v.C_out + 1 / v.K ** 2, result_lhs=r"\frac{M_{\mathrm{sep}}}{M_{\mathrm{std}}}",
        steps=(Step(r"\frac{M_{\mathrm{sep}}}{M_{\mathrm{std}}}",
                    lambda v: held_fraction(v.O ** 2 * v.K ** 2 * v.C_in + v.O ** 2 * v.C_in * v.C_out,
                                            v.O ** 2 * v.K ** 2 * v.C_in * v.C_out),
                    "depthwise plus pointwise mults over the standard count"),),
        oracle=Oracle(lambda x: measured_mults(x, True) / measured_mults(x, False),
                      "the ratio of products counted by instrumented NumPy convolutions", 1e-12,
                      r"a ratio of exact integer counts in float64: error $\approx 10^{-16}$")),
    grading=Grading(
        neighbours=("conv.mults",),
        slips=(Slip("1/C_out + 1/K", "$K$ used instead of $K^2$"), Slip("1/K^2", "the pointwise term forgotten"))),
)

# ----------------------------------------------------------------------------- width and resolution multipliers
D_K = Variable("D_K", domain=OneOf(values=(1.0, 3.0, 5.0), description="kernel side: 1, 3 or 5"),
               spellings=("D_{K}",), latex="D_K")
M_ = Variable("M", domain=OneOf(values=(4.0, 8.0, 12.0, 16.0), description="input channels: a multiple of 4"))
N_ch = Variable("N", domain=OneOf(values=(4.0, 8.0, 12.0, 16.0), description="output channels: a multiple of 4"))
D_F = Variable("D_F", domain=OneOf(values=(7.0, 14.0), description="feature-map side: 7 or 14"),
               spellings=("D_{F}",), latex="D_F")
alpha = Variable("alpha", domain=OneOf(values=(0.25, 0.5, 0.75, 1.0), description="width multiplier in (0, 1]"),
                 spellings=(r"\alpha",), latex=r"\alpha")
rho = Variable("rho", domain=OneOf(values=tuple(k / 7 for k in range(2, 8)), description="resolution multiplier in (0, 1]"),
               spellings=(r"\rho",), latex=r"\rho")
_F, _CI, _CO, _K = sp.symbols("F C_i C_o k", integer=True, positive=True)


def thinned_cost(v):
    """The separable layer's mults at map side F, channels C_i -> C_o, then F = rho D_F, C = alpha M, N."""
    same = [depthwise(_K, padding=(_K - 1) / 2), pointwise(_CO)]
    cost = totals(analyse(same, Shape(_F, _F, _CI))).mults
    return cost.subs({_F: v.rho * v.D_F, _CI: v.alpha * v.M, _CO: v.alpha * v.N, _K: v.D_K})


def measured_thinned(x):
    k, side, c_in, c_out = (int(round(x["D_K"])), int(round(x["rho"] * x["D_F"])),
                            int(round(x["alpha"] * x["M"])), int(round(x["alpha"] * x["N"])))
    return sum(m.mults for m in measure([depthwise(k, padding=(k - 1) // 2), pointwise(c_out)],
                                        Shape(side, side, c_in)))


MULTIPLIERS = Part(
    id="conv.multipliers", title="Width and resolution multipliers",
    sheet=Sheet(
        statement=r"A depthwise separable layer (depthwise $D_K \times D_K$ with 'same' padding, then pointwise "
                  r"$M \to N$) runs on a $D_F \times D_F$ map. Thin every layer to $\alpha M$ and $\alpha N$ channels "
                  r"and shrink the map to $\rho D_F$. What is its cost, $\text{mults}(\alpha, \rho)$? " + MACS),
    derivation=Derivation(
        variables=(D_K, M_, N_ch, D_F, alpha, rho), derive=thinned_cost,
        result=lambda v: v.D_K ** 2 * v.alpha * v.M * v.rho ** 2 * v.D_F ** 2
        + v.alpha ** 2 * v.M * v.N * v.rho ** 2 * v.D_F ** 2,
        # not M: M is the input channels
        result_lhs=r"\text{mults}(\alpha, \rho)",
        oracle=Oracle(measured_thinned, COUNTED + r" at integer $\alpha M$, $\alpha N$ and $\rho D_F$", 1e-12,
                      r"the closed form is evaluated in float64 at fractional $\alpha$ and $\rho$ (error $\approx 10^{-16}$); the "
                      "count is exact, and a wrong term or power is off by at least 1 part in 50")),
    grading=Grading(neighbours=("conv.separable_ratio",),
                    slips=(Slip("D_K alpha M rho^2 D_F^2 + alpha^2 M N rho^2 D_F^2", "$D_K$ used instead of $D_K^2$"),
                           Slip("D_K^2 alpha M rho^2 D_F^2", "the pointwise term forgotten"))),
)

# ----------------------------------------------------------------------------- receptive field
# The course's stack and how a variant changes it: odd kernels, strides of 1 or 2, pools of 2 or 3
# with stride equal to their size (so the windows tile); every choice fits (no padding is needed
# for a field, which does not depend on the input size).
RF_PARAMETERS = (Param("k1", 3, choices=(3, 5, 7), what="the first convolution's kernel side"),
                 Param("s1", 2, choices=(1, 2), what="the first convolution's stride"),
                 Param("q1", 2, choices=(2, 3), what="the first max-pool's size and stride"),
                 Param("k2", 3, choices=(3, 5), what="the second convolution's kernel side"),
                 Param("s2", 2, choices=(1, 2), what="the second convolution's stride"),
                 Param("q2", 2, choices=(2, 3), what="the second max-pool's size and stride"))


def rf_stack(values):
    return (conv(1, values["k1"], values["s1"], name=f"conv {values['k1']}x{values['k1']} stride {values['s1']}"),
            pool(values["q1"], values["q1"]),
            conv(1, values["k2"], values["s2"], name=f"conv {values['k2']}x{values['k2']} stride {values['s2']}"),
            pool(values["q2"], values["q2"]))


def receptive_field(values):
    stack = rf_stack(values)
    side = int(sum(field_terms(stack)))
    k1, s1, q1, k2, s2, q2 = (values[n] for n in ("k1", "s1", "q1", "k2", "s2", "q2"))
    return Part(
        id="conv.receptive_field", title="Receptive field of a stack of convolutions and pools",
        sheet=Sheet(
            statement=rf"Stack conv ${k1} \times {k1}$ stride {s1}, max-pool ${q1} \times {q1}$ stride {q1}, "
                      rf"conv ${k2} \times {k2}$ stride {s2}, max-pool ${q2} \times {q2}$ stride {q2} (no padding, "
                      r"dilation 1). What is the side of the receptive field of one output pixel, in input pixels? "
                      r"Give it after every layer.",
            demonstrations=(worked_table("Receptive-field side after every layer",
                                         ("layer", "derived $r$", "gradient support"),
                                         lambda: [(layer.name, r, measured_field(stack[:n])) for n, (layer, r) in
                                                  enumerate(zip(stack, receptive_fields(stack)), 1)]),),
            figures=(Figure("receptive-field", "Receptive-field side after each layer",
                            lambda ax: draw_receptive_field(ax, stack)),)),
        derivation=Derivation(
            derive=lambda v: receptive_fields(stack)[-1], result=lambda v: sum(field_terms(stack)), result_lhs="r",
            steps=(Step("r", lambda v: sp.Add(*field_terms(stack), evaluate=False),
                        r"$r = 1 + \sum_l (k_l - 1) d_l \prod_{i<l} s_i$: each layer widens the field by $k_l - 1$ of its "
                        r"input's steps, and one step there is $\prod_{i<l} s_i$ input pixels"),),
            oracle=Oracle(lambda x: measured_field(stack), "the support of the gradient of the output pixel with respect to the input, by a NumPy "
                          "backward pass through the stack (average pools stand for the max pools: same windows, and "
                          "positive weights so nothing cancels)", EXACT, EXACT_REASON, cases=1),
            checks=(AgreementCheck("the field after every layer equals the gradient support of that prefix of the stack",
                                lambda: {f"r_{n}": float(r) for n, r in enumerate(receptive_fields(stack), 1)},
                                lambda: {f"r_{n}": float(measured_field(stack[:n])) for n in range(1, len(stack) + 1)},
                                "NumPy backward pass, support read off", EXACT, EXACT_REASON),
                    Simulation(r"on random stacks of convolutions (kernel $k \in \{1, \dots, 5\}$, stride and dilation in "
                               r"$\{1, 2, 3\}$) and pools, the "
                               "catalogue's sum equals the gradient support", random_stacks,
                               lambda part, layers: (abs(float(sum(field_terms(layers))) - measured_field(layers)),
                                                     {"stack": [layer.name for layer in layers],
                                                      "formula": int(sum(field_terms(layers))),
                                                      "gradient support": measured_field(layers)}),
                               "NumPy backward pass through the random stack", EXACT, EXACT_REASON, cases=30))),
        grading=Grading(
            slips=(Slip(str(side ** 2), rf"the side length squared: ${side}^2 = {side ** 2}$ pixels is the field's "
                                        r"area, the answer is its side"),)),
    )


RECEPTIVE_FIELD = parametrised(Parameters(RF_PARAMETERS, receptive_field))
RF_STACK = rf_stack(RECEPTIVE_FIELD.parameters.defaults())


# ----------------------------------------------------------------------------- bilinear resampling
# The course's 32 x 32 image, 10 x 10 map and point (4, 8), and a variant's: a point whose map
# coordinates are not whole (four neighbours with distinct weights), whose neighbours lie on the
# map, and where the half-pixel convention gives another weight (so the slip is a slip).
# Scales image/map of 2, 3.2, 4, 6.4 and 8 keep every coordinate a finite decimal.
BILINEAR_PARAMETERS = (Param("image", 32, choices=(32, 64), what="the image side"),
                       Param("map", 10, choices=(8, 10, 16), what="the map side"),
                       Param("x", 4, low=2, high=28, step=1, what="the point's first coordinate"),
                       Param("y", 8, low=2, high=28, step=1, what="the point's second coordinate"))


def bilinear_case(values):
    scale = sp.Rational(values["image"], values["map"])
    point = (values["x"], values["y"])
    cell = tuple(int(sp.floor(map_coordinate(x, scale))) for x in point)
    return scale, point, cell


def point_weights(convention, scale, point):
    return bilinear_weights(*(map_coordinate(x, scale, convention) for x in point))


def interpolated(convention, scale, point, side):
    return image_point_weights((side, side), float(scale), point, convention)


def sensible_point(values):
    scale, point, cell = bilinear_case(values)
    coordinates = [map_coordinate(x, scale) for x in point]
    if any(u.is_integer for u in coordinates):
        return f"the point {point} lands on a map cell's centre, so it has fewer than four neighbours"
    half = [map_coordinate(x, scale, "half-pixel") for x in point]
    if any(c + 1 > values["map"] - 1 for c in cell) or any(not 0 <= t < values["map"] - 1 for t in half):
        return f"the point {point} has neighbours off the {values['map']} x {values['map']} map"
    if point_weights("half-pixel", scale, point).get(cell, 0) == point_weights("corner", scale, point)[cell]:
        return "both conventions give the same weight"
    return None


def bilinear(values):
    scale, point, cell = bilinear_case(values)
    side = values["map"]
    u, v = (map_coordinate(x, scale) for x in point)
    slip = point_weights("half-pixel", scale, point).get(cell, sp.S.Zero)

    def weight_errors(at):
        worst = 0.0
        for convention in ("corner", "half-pixel"):
            ours, theirs = point_weights(convention, scale, at), interpolated(convention, scale, at, side)
            worst = max([worst] + [abs(float(ours.get(c, 0)) - theirs.get(c, 0.0)) for c in set(ours) | set(theirs)])
        return worst
    # random points whose four neighbours lie on the map under both conventions
    low, high = max(2.0, float(scale) / 2), min(28.0, float((side - 1) * scale) - 1)
    return Part(
        id="conv.bilinear", title="Bilinear weights from image to activation map",
        sheet=Sheet(
            statement=rf"A ${values['image']} \times {values['image']}$ image gives a ${side} \times {side}$ activation map "
                      rf"(scale ${decimal_text(scale)}$). The image point $({point[0]}, {point[1]})$ maps to "
                      rf"$({point[0]}/{decimal_text(scale)}, {point[1]}/{decimal_text(scale)}) = ({decimal_text(u)}, {decimal_text(v)})$ "
                      r"(no half-pixel offset, cells numbered from 0). Give the bilinear weights of the four neighbouring "
                      rf"map cells; the answer is the weight of cell $({cell[0]}, {cell[1]})$. The solution also gives the "
                      r"weights under the half-pixel-centre convention (PyTorch's ``align_corners=False``), "
                      rf"$u = (x + 1/2)/{decimal_text(scale)} - 1/2$.",
            demonstrations=(worked_table("Weights of the four neighbouring cells under both conventions",
                                         ("convention, cell", "SymPy", "``map_coordinates``"),
                                         lambda: [(f"{conv_} {c}", w, interpolated(conv_, scale, point, side).get(c, 0.0))
                                                  for conv_ in ("corner", "half-pixel")
                                                  for c, w in point_weights(conv_, scale, point).items()]),)),
        derivation=Derivation(
            derive=lambda v_: point_weights("corner", scale, point)[cell],
            result=lambda v_: sp.Mul(*[1 - (t - sp.floor(t)) for t in (map_coordinate(x, scale) for x in point)]),
            result_lhs=rf"w_{{{cell[0]},{cell[1]}}}",
            steps=(Step(rf"w_{{{cell[0]},{cell[1]}}}", lambda v_: sp.Mul(*[hat(map_coordinate(x, scale) - c)
                                                                           for x, c in zip(point, cell)], evaluate=False),
                        r"the weight of cell $(i, j)$ is $\max(0, 1 - |u - i|) \max(0, 1 - |v - j|)$"),),
            oracle=Oracle(lambda x: interpolated("corner", scale, point, side)[cell],
                          "``scipy.ndimage.map_coordinates`` (order 1) on the indicator map of cell "
                          rf"$({cell[0]}, {cell[1]})$", 1e-12, FLOAT_REASON, cases=1),
            checks=(AgreementCheck("all four weights under both conventions agree with ``map_coordinates``",
                                lambda: {f"{c} {k}": float(w) for c in ("corner", "half-pixel")
                                         for k, w in point_weights(c, scale, point).items()},
                                lambda: {f"{c} {k}": w for c in ("corner", "half-pixel")
                                         for k, w in interpolated(c, scale, point, side).items()},
                                "``scipy.ndimage.map_coordinates``, order 1", 1e-12, FLOAT_REASON),
                    Simulation("at random image points, every bilinear weight under both conventions equals "
                               "those of ``map_coordinates``", lambda: st.tuples(st.floats(low, high), st.floats(low, high)),
                               lambda part, at: (weight_errors(at), {"point": at}),
                               "``scipy.ndimage.map_coordinates``, order 1", 1e-12, FLOAT_REASON, cases=30))),
        grading=Grading(
            slips=(Slip(str(sp.nsimplify(slip)) if not slip.is_Integer else str(slip),
                        "the half-pixel convention (``align_corners=False``) used instead of the catalogue's"),)),
    )


BILINEAR = parametrised(Parameters(BILINEAR_PARAMETERS, bilinear, sensible_point))

# ----------------------------------------------------------------------------- squeeze-and-excitation
H_SE = sp.Symbol("H", integer=True, positive=True)
# The course's C = 64, r = 16 at H = W = 7, 14, 224, and a variant's: channel counts the reduction
# divides (C/r hidden units is a whole number), and a middle map size between the two ends.
SE_PARAMETERS = (Param("C", 64, choices=(32, 64, 96, 128, 256), what="the channels C"),
                 Param("r", 16, choices=(4, 8, 16), what="the reduction r"),
                 Param("H", 14, choices=(14, 28, 56), what="the middle map side"))


def r_divides_c(values):
    return None if values["C"] % values["r"] == 0 else f"r = {values['r']} does not divide C = {values['C']}"


def se_cost(values):
    c, r, sides = values["C"], values["r"], (7, values["H"], 224)
    limit = sp.limit(se_over_separable(c, r, H_SE), H_SE, sp.oo)
    return Part(
        id="conv.se_cost", title="Cost of a squeeze-and-excitation block",
        sheet=Sheet(
            statement=rf"A squeeze-and-excitation block on $C = {c}$ channels with reduction $r = {r}$ costs "
                      r"$2C^2/r$ mults for its two FC layers and $CHW$ for the rescale. Compare it with a $3 \times 3$ "
                      r"depthwise separable convolution $C \to C$, $(9C + C^2)HW$: give the ratio at "
                      rf"$H = W = {sides[0]}, {sides[1]}, {sides[2]}$ and its limit as $H = W \to \infty$ (the answer). " + MACS,
            demonstrations=(worked_table("The ratio at the three sizes, and its limit",
                                         ("$H = W$", "SE mults", "separable mults", "ratio"),
                                         lambda: [(str(s_), se_mults(c, r, s_), separable_conv_mults(c, s_),
                                                   se_over_separable(c, r, s_)) for s_ in sides]
                                         + [("limit", "-", "-", limit)]),),
            figures=(Figure("se-ratio", "SE block cost over depthwise separable convolution cost against $H = W$",
                            lambda ax: draw_se_ratio(ax, c, r, sides, limit)),)),
        derivation=Derivation(
            derive=lambda v: sp.limit(se_over_separable(c, r, H_SE), H_SE, sp.oo),
            result=lambda v: sp.limit((2 * sp.Integer(c) ** 2 / r + c * H_SE ** 2)
                                      / ((9 * c + c ** 2) * H_SE ** 2), H_SE, sp.oo),
            result_lhs=r"\lim_{H \to \infty} \frac{M_{\mathrm{SE}}}{M_{\mathrm{sep}}}",
            steps=(Step(r"M_{\mathrm{SE}}", lambda v: 2 * sp.Integer(c) ** 2 / r + c * H_SE ** 2,
                        r"two FC layers $C \to C/r \to C$ on the squeezed vector ($C^2/r$ products each), then one product "
                        r"per entry of the $H \times W \times C$ map; derived from the layer list",
                        target=lambda v: se_mults(c, r, H_SE)),
                   Step(r"M_{\mathrm{sep}}", lambda v: (9 * c + c ** 2) * H_SE ** 2,
                        r"depthwise $3 \times 3$ ('same' padding): $9 C H W$; pointwise $C \to C$: $C^2 H W$",
                        target=lambda v: separable_conv_mults(c, H_SE))),
            oracle=Oracle(lambda x: measured_se_limit(c, r), r"the ratio of the slopes in $HW$ of products counted by instrumented NumPy SE and "
                          r"separable blocks at $H = W = 7, 14, 28$ (the third confirms the counts are affine in $HW$)",
                          1e-12, r"exact integer counts in float64: error $\approx 10^{-16}$", cases=1),
            checks=(AgreementCheck(rf"the ratio at $H = W = {sides[0]}, {sides[1]}, {sides[2]}$ agrees with instrumented NumPy blocks",
                                lambda: {f"H={s_}": float(se_over_separable(c, r, s_)) for s_ in sides},
                                lambda: {f"H={s_}": measured_se_over_separable(c, r, s_) for s_ in sides},
                                "products counted by instrumented NumPy forward passes", 1e-12,
                                r"ratios of exact integer counts in float64: error $\approx 10^{-16}$"),)),
        grading=Grading(),
    )


SE_COST = parametrised(Parameters(SE_PARAMETERS, se_cost, r_divides_c))

# ----------------------------------------------------------------------------- skip connection
POINT_A = -1.0
# The course's w_1 = w_2 = 0.8, A' = 0.2, and a variant's: positive weights (so at a = -1 every
# activation's input is negative and a leaky ReLU of slope A' has slope A' there, for the oracle),
# slopes of common leaky ReLUs.
SKIP_PARAMETERS = (Param("w1", "0.8", low="0.5", high="1.5", step="0.1", what="w_1"),
                   Param("w2", "0.8", low="0.5", high="1.5", step="0.1", what="w_2"),
                   Param("slope", "0.2", choices=("0.1", "0.2", "0.25", "0.5"), what="A'"))


def block_slope(skip, outer, w_1, w_2, slope):
    """dh/da by SymPy for h = w_2 A(w_1 a) (+ a), optionally through an outer A, at A' = slope."""
    a, w1, w2 = sp.symbols("a w_1 w_2", real=True)
    act = sp.Function("A")
    h = w2 * act(w1 * a) + (a if skip else 0)
    derivative = sp.diff(act(h) if outer else h, a)
    derivative = derivative.replace(lambda e: isinstance(e, (sp.Subs, sp.Derivative)), lambda e: slope)
    return derivative.subs({w1: w_1, w2: w_2})


def numpy_slope(skip, outer, w_1, w_2, slope):
    """Central differences of a NumPy forward with A = leaky ReLU of slope A', at a = -1 where every
    activation's input is negative, so A' is the slope at each."""
    w_1, w_2, slope = float(w_1), float(w_2), float(slope)
    act = lambda z: np.where(z > 0, z, slope * z)
    forward = lambda a: (lambda h: act(h) if outer else h)(w_2 * act(w_1 * a) + (a if skip else 0.0))
    return float(central_derivative(forward, POINT_A))


SKIP_CASES = [(f"{'with' if s else 'without'} the skip{', outer A' if o else ''}", s, o)
              for o in (False, True) for s in (True, False)]


def skip_grad(values):
    w_1, w_2, slope = (sp.Rational(values[n]) for n in ("w1", "w2", "slope"))
    at = (w_1, w_2, slope)
    weights = (rf"$w_1 = w_2 = {values['w1']}$" if w_1 == w_2 else rf"$w_1 = {values['w1']}$, $w_2 = {values['w2']}$")
    branch = sp.Mul(w_2, slope, w_1)
    return Part(
        id="conv.skip_grad", title="Gradient through a skip connection",
        sheet=Sheet(
            statement=r"For the scalar block $h = w_2 A(w_1 a) + a$, find $\partial h / \partial a$ at "
                      rf"{weights}, $A' = {values['slope']}$ (the answer: with the skip). The solution also gives it without "
                      r"the skip, and through an outer activation $a' = A(w_2 A(w_1 a) + a)$ with the same "
                      rf"$A' = {values['slope']}$.",
            demonstrations=(worked_table("With and without the skip, with and without the outer activation",
                                         ("block", "SymPy", "finite differences"),
                                         lambda: [(label, block_slope(s, o, *at), numpy_slope(s, o, *at))
                                                  for label, s, o in SKIP_CASES]),)),
        derivation=Derivation(
            derive=lambda v: block_slope(True, False, *at), result=lambda v: w_2 * slope * w_1 + 1,
            result_lhs=r"\frac{\partial h}{\partial a}",
            steps=(Step(r"\frac{\partial h}{\partial a}", lambda v: sp.Add(sp.Mul(w_2, slope, w_1, evaluate=False), 1,
                                                                          evaluate=False),
                        r"chain rule: $w_2 A'(w_1 a) w_1$ through the branch, $1$ through the skip"),),
            oracle=Oracle(lambda x: numpy_slope(True, False, *at), "central differences of a NumPy forward ($A$ = "
                          rf"leaky ReLU, slope {values['slope']}, at $a = -1$)", FD_RTOL, FD_TOLERANCE_REASON, cases=1),
            checks=(AgreementCheck("all four slopes agree with central differences of the NumPy forward",
                                lambda: {label: float(block_slope(s, o, *at)) for label, s, o in SKIP_CASES},
                                lambda: {label: numpy_slope(s, o, *at) for label, s, o in SKIP_CASES},
                                "central finite differences of the NumPy forward", FD_RTOL, FD_TOLERANCE_REASON),)),
        grading=Grading(slips=(Slip(decimal_text(branch), "the skip's identity term forgotten"),)),
    )


SKIP_GRAD = parametrised(Parameters(SKIP_PARAMETERS, skip_grad))

# ----------------------------------------------------------------------------- inverted residual
IR_VARS = (integer("H", 1, 6, "map height"), integer("W", 1, 6, "map width"), integer("t", 1, 4, "expansion factor"),
           integer("C_in", 1, 6, "input channels", C_IN, r"C_{\mathrm{in}}"),
           Variable("k", domain=OneOf(values=(1.0, 3.0, 5.0), description="kernel side: 1, 3 or 5")),
           integer("C_out", 1, 6, "output channels", C_OUT, r"C_{\mathrm{out}}"))


def inverted_residual(t, c_in, k, c_out, padding):
    return [pointwise(t * c_in), depthwise(k, padding=padding), pointwise(c_out)]


INVERTED_RESIDUAL = Part(
    id="conv.inverted_residual", title="Cost of a MobileNetV2 inverted residual block",
    sheet=Sheet(
        statement=r"A MobileNetV2 block (stride 1, expansion $t$) on an $H \times W$ map: $1 \times 1$ convolution "
                  r"$C_{\mathrm{in}} \to t C_{\mathrm{in}}$, depthwise $k \times k$ ('same' padding), $1 \times 1$ "
                  r"projection $t C_{\mathrm{in}} \to C_{\mathrm{out}}$. How many mults? " + MACS),
    derivation=Derivation(
        variables=IR_VARS,
        derive=lambda v: totals(analyse(inverted_residual(v.t, v.C_in, v.k, v.C_out, (v.k - 1) / 2),
                                        Shape(v.H, v.W, v.C_in))).mults,
        result=lambda v: v.H * v.W * v.t * v.C_in * (v.C_in + v.k ** 2 + v.C_out), result_lhs=r"M_{\mathrm{IR}}",
        steps=tuple(Step(lhs, term, why, target=lambda v, n=n: analyse(inverted_residual(
            v.t, v.C_in, v.k, v.C_out, (v.k - 1) / 2), Shape(v.H, v.W, v.C_in))[n].mults) for n, (lhs, term, why) in enumerate((
                (r"M_{\mathrm{expand}}", lambda v: v.H * v.W * v.t * v.C_in * v.C_in,
                 r"$1 \times 1$, $C_{\mathrm{in}} \to t C_{\mathrm{in}}$: $t C_{\mathrm{in}}$ outputs per pixel, "
                 r"$C_{\mathrm{in}}$ products each"),
                (r"M_{\mathrm{dw}}", lambda v: v.H * v.W * v.t * v.C_in * v.k ** 2,
                 r"depthwise $k \times k$ on $t C_{\mathrm{in}}$ channels, 'same' padding keeps $H \times W$"),
                (r"M_{\mathrm{project}}", lambda v: v.H * v.W * v.t * v.C_in * v.C_out,
                 r"$1 \times 1$ projection $t C_{\mathrm{in}} \to C_{\mathrm{out}}$ (the term often forgotten)")))),
        oracle=Oracle(lambda x: sum(m.mults for m in measure(
            inverted_residual(*ints(x, "t", "C_in", "k", "C_out"), int(round(x["k"] - 1)) // 2),
            Shape(*ints(x, "H", "W", "C_in")))), COUNTED, EXACT, EXACT_REASON)),
    grading=Grading(neighbours=("conv.separable_ratio",),
                    slips=(Slip("H W t C_in (C_in + k^2)", "the projection term forgotten"),
                           Slip("H W t C_in (C_in + k + C_out)", "$k$ used instead of $k^2$"))),
)

PARTS = [OUTPUT_SIZE, PARAMS, MULTS, SEPARABLE_RATIO, MULTIPLIERS, RECEPTIVE_FIELD, BILINEAR, SE_COST,
         SKIP_GRAD, INVERTED_RESIDUAL]
