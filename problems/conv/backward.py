r"""The conv backward pass: for $E = \sum G \odot O$ with $O$ the cross-correlation of $X$ with
$W$ (stride $s$, zero padding $P$, dilation $d$, $g$ groups), the gradients with respect to
$W$, $X$ and the bias are derived by SymPy at explicit sizes and proved equal to the index
forms entry by entry; a tensor index outside its range, or not an integer, contributes 0."""
import sympy as sp

from derive import Derivation, DerivedSize, Figure, Grading, Oracle, Part, Sheet, Slip, Step, Variable
from derive.maths.convolution import (INDEX, banded, chain_rule, chain_rule_weight_2d, conv1d_matrix,
                                      cross_correlate, derived_gradient, grad_bias_2d, grad_input_1d, grad_input_2d,
                                      grad_weight_1d, grad_weight_2d, input_deltas_1d, input_deltas_2d, INPUT_SIDE,
                                      multiplication_ratio, output_size, per_group, per_output, transposed_conv1d)
from derive.maths.tensors import index_formula
from derive.model.functions import as_sympy, held_fraction
from derive.verify.conv_checks import FrameworkCheck, ScipyCheck, gradient_oracle as oracle
from derive.verify.conv_figures import draw_footprint, draw_matrix
from derive.verify.conv_structure import (LowRankIdentity, TransposeIsAdjoint, TruncatedSvdCheck,
                                          ZeroPaddingSlip, measured_ratio, toeplitz_jacobian)
from derive.verify.numeric import FD_RTOL, FD_TOLERANCE_REASON

H_OUT = DerivedSize("H_out", lambda z: output_size(z["H_in"], z["K_h"], z["s"], z["P"], z["d"]))
W_OUT = DerivedSize("W_out", lambda z: output_size(z["W_in"], z["K_w"], z["s"], z["P"], z["d"]))
C_G = DerivedSize("C_g", lambda z: per_group(z["C"], z["F"], z["g"]))
N_OUT = DerivedSize("N_out", lambda z: output_size(z["N"], z["K"], z["s"], z["P"], z["d"]))


def tensor(name, shape, *spellings):
    return Variable(name, shape, indexed=True, index_base=0, spellings=spellings)


LAYER = (tensor("X", ("B", "C", "H_in", "W_in")), tensor("W", ("F", C_G, "K_h", "K_w")),
         tensor("b", ("F",), "bias"), tensor("G", ("B", "F", H_OUT, W_OUT)))
SIGNAL = (tensor("X", ("N",)), tensor("W", ("K",)), tensor("G", (N_OUT,)))

# One proof size per row, covering batch 1-2, channels 1-3, inputs 3-6, kernels 1-3,
# stride 1-3, padding 0-2, dilation 1-2, groups 1 to depthwise.
NAMES_2D = ("B", "C", "F", "g", "H_in", "W_in", "K_h", "K_w", "s", "P", "d")
ROWS_2D = [(1, 1, 1, 1, 3, 3, 1, 1, 1, 0, 1), (1, 2, 2, 1, 4, 3, 2, 2, 1, 0, 1),
           (2, 2, 3, 1, 5, 4, 2, 3, 2, 1, 1), (1, 3, 3, 3, 6, 5, 3, 2, 3, 2, 1),
           (2, 2, 2, 2, 5, 6, 2, 2, 1, 0, 2), (1, 2, 4, 2, 4, 4, 3, 3, 2, 2, 2)]
# The numeric oracle draws each size on its own, so every combination must be a valid layer.
NUMERIC_2D = {"B": [1, 2], "C": [2], "F": [2], "g": [1, 2], "H_in": [5], "W_in": [5, 6],
              "K_h": [1, 3], "K_w": [2], "s": [1, 2, 3], "P": [0, 1], "d": [1, 2]}
NAMES_1D = ("N", "K", "s", "P", "d")
ROWS_1D = [(3, 1, 1, 0, 1), (4, 2, 1, 0, 1), (5, 3, 1, 0, 1), (6, 3, 2, 1, 1), (6, 2, 3, 2, 2), (5, 2, 1, 1, 2),
           (8, 1, 3, 1, 1)]
NUMERIC_1D = {"N": [5, 8, 13], "K": [1, 2, 3], "s": [1, 2, 3], "P": [0, 1, 2], "d": [1, 2]}


# What SymPy computes is shown for two images of 2 x 1 pixels: the batch and the spatial sums
# show in four terms, a line that fits the page (the first proof size gives nine).
INSTANCE_2D = dict(zip(NAMES_2D, (2, 1, 1, 1, 2, 1, 1, 1, 1, 0, 1)))


def columns(names, rows):
    return {n: [row[k] for row in rows] for k, n in enumerate(names)}


# derive check judges answers in the catalogue's case: the proof rows' layers with no padding,
# dilation 1 and one group, plus larger ones (strides 1 to 5 in 2-D; stride 1 in 1-D, as the
# catalogue states), so a term that vanishes at a few sizes cannot pass.
# Then every size alone from 4 up to 12, the others minimal: an answer that uses a size as a
# number ((s-1)(s-2)... times a term) differs from the right one at some size it is judged at.
SWEEP = range(4, 13)
SWEEP_2D = ([(1, k, 1, 1, 3, 3, 1, 1, 1, 0, 1) for k in SWEEP] + [(1, 1, k, 1, 3, 3, 1, 1, 1, 0, 1) for k in SWEEP]
            + [(k, 1, 1, 1, 3, 3, 1, 1, 1, 0, 1) for k in SWEEP] + [(1, 1, 1, 1, k, k, k - 2, k - 1, 1, 0, 1) for k in SWEEP]
            + [(1, 1, 1, 1, k + 1, k + 2, 1, 2, k, 0, 1) for k in SWEEP])
ANSWER_2D = columns(NAMES_2D, [row[:3] + (1,) + row[4:9] + (0, 1) for row in ROWS_2D]
                    + [(1, 2, 2, 1, 9, 7, 2, 3, 4, 0, 1), (2, 1, 2, 1, 11, 6, 3, 1, 5, 0, 1)] + SWEEP_2D)
ANSWER_1D = columns(NAMES_1D, [(row[0], row[1], 1, 0, 1) for row in ROWS_1D] + [(12, 4, 1, 0, 1), (13, 5, 1, 0, 1)]
                    + [(k + 2, k, 1, 0, 1) for k in SWEEP])
EXPECTS = r" in index notation (indices from 0) at stride $s$, no padding, dilation 1, one group"


a, n, f, c, h, w, i, j, m = (INDEX[x] for x in "anfchwijm")
WRT_FREE = {"W": (f, c, h, w), "X": (n, c, h, w), "b": (f,)}
def chain_step(wrt, lhs, out=(a, sp.Symbol("f'", integer=True), i, j)):
    return Step(lhs, lambda v: chain_rule(v, wrt, WRT_FREE[wrt], out),
                "chain rule through every output entry $O_{a,f',i,j}$")


DW = r"\frac{\partial E}{\partial W_{f,c,h,w}}"
DX = r"\frac{\partial E}{\partial X_{n,c,h,w}}"
DB = r"\frac{\partial E}{\partial b_{f}}"
DX_1D = r"\frac{\partial L}{\partial X_m}"
MULTS_DIRECT, MULTS_SEPARABLE = r"\text{mults}_{\text{direct}}", r"\text{mults}_{\text{separable}}"
RATIO = rf"\frac{{{MULTS_SEPARABLE}}}{{{MULTS_DIRECT}}}"
STATEMENT_2D = (r"A conv layer maps $X$ of shape $(B, C, H_{in}, W_{in})$ with weights $W$ of shape "
                r"$(F, C_g, K_h, K_w)$ and bias $b$ of shape $(F)$ to "
                r"$O_{a,f,i,j} = b_f + \sum_{c,k,l} W_{f,c,k,l} X_{a, C_g \gamma(f) + c, s i + d k - P, s j + d l - P}$, "
                r"where $C_g = C/g$ is the number of input channels per group and $\gamma(f) = \lfloor f g / F \rfloor$ "
                r"the group of filter $f$ (cross-correlation, stride $s$, zero padding $P$, dilation $d$, $g$ groups; "
                r"$H_{out} = \lfloor (H_{in} + 2P - d(K_h - 1) - 1)/s \rfloor + 1$). With $G = \partial E / \partial O$, ")
CATALOGUE_FORM = " At $P = 0$, $d = 1$, $g = 1$ this is the catalogue's form."


# --- Toeplitz: 1-D conv, kernel (w_1, w_2, w_3), input length 4, padding 1, stride 1 ---------
TOEPLITZ_VARIABLES = (Variable("w_1"), Variable("w_2"), Variable("w_3"), Variable("x", (4,)), Variable("g", (4,)),
            Variable("a"), Variable("b"), Variable("c"))


def kernel(v):
    return (v.w_1, v.w_2, v.w_3)


def conv_output(v):
    """y = conv(x) from the SymPy forward, as a column (x explicit)."""
    x = sp.Array(list(v.x)).reshape(1, 1, 4)
    return sp.Matrix(list(sp.flatten(cross_correlate(x, sp.Array(kernel(v)).reshape(1, 1, 3), padding=1).tolist())))


FOOTPRINT = Figure("footprint", r"Input $7 \times 7$, kernel $3 \times 3$, stride 2: the input pixels output "
                   r"pixel $(1, 2)$ sees (red), and the gradient footprint of input pixel $(2, 2)$: the output "
                   r"windows it lies in (dashed), exactly the $G_{n,f,i,j}$ that $\partial E / \partial X_{n,c,2,2}$ "
                   r"gathers.", draw_footprint)

# Typical wrong answers for the answer parts, in index notation for the tensor parts: derive
# check names the slip when an answer equals one, and derive build judges each on the sheet.
SLIPS = {
    "conv.grad_weight_2d": (Slip(r"\sum_{a,i,j} G_{a,f,i,j} X_{a,c,i+h,j+w}", "the stride forgotten"),
        Slip(r"\sum_{a,i,j} G_{a,f,i,j} X_{a,f,s i+h,s j+w}", "channel indices swapped"),
        Slip(r"\sum_{a,i,j} G_{a,f,i,j} X_{a,c,s i-h,s j-w}", "the kernel index with the wrong sign"),
        Slip(r"\sum_{a,i,j} G_{a,f,i,j} X_{a,c,s i+K_h-1-h,s j+K_w-1-w}",
             "the kernel flipped (a convolution where the layer is a cross-correlation)")),
    "conv.grad_input_2d": (Slip(r"\sum_{f,i,j} G_{n,f,i,j} W_{f,c,h-i,w-j}", "the stride forgotten"),
        Slip(r"\sum_{f,i,j} G_{n,f,i,j} W_{c,f,h-s i,w-s j}", "channel indices swapped"),
        Slip(r"\sum_{f,i,j} G_{n,f,i,j} W_{f,c,s i-h,s j-w}", "the kernel flipped")),
    "conv.grad_bias": (Slip(r"\sum_{i,j} G_{0,f,i,j}", "the batch sum forgotten"),
        Slip(r"\sum_{a,f,i,j} G_{a,f,i,j}", "summed over the filters too")),
    "conv.grad_weight_1d": (Slip(r"\sum_{i} G_i X_{i-j}", "an index with the wrong sign"),
        Slip(r"\sum_{i} G_i W_{i+j}", "the weights in place of the input")),
    "conv.low_rank": (Slip("r/k", "only one of the two passes counted"), Slip("2*r*k", "the mults per output, not the ratio"),
        Slip("2/k", "the rank left out")),
}

GRAD_WEIGHT_2D = Part(
    id="conv.grad_weight_2d", title="Weight gradient of a 2-D convolution",
    sheet=Sheet(statement=STATEMENT_2D + r"find $\partial E / \partial W_{f,c,h,w}$." + CATALOGUE_FORM,
                instance_sizes=INSTANCE_2D),
    derivation=Derivation(
        variables=LAYER, sizes=columns(NAMES_2D, ROWS_2D), numeric_sizes=NUMERIC_2D,
        derive=lambda v: derived_gradient(v, "W"), result=index_formula(grad_weight_2d, WRT_FREE["W"], "W"),
        result_lhs=DW,
        steps=(chain_step("W", DW),
               Step(DW, index_formula(chain_rule_weight_2d, WRT_FREE["W"], "W"),
                    r"$\partial O_{a,f',i,j} / \partial W_{f,c,h,w}$ from the forward: Kronecker deltas pick "
                    r"the one weight: filter $f'$ reads input channel $C_g \gamma(f') + c'$"),
               Step(DW, index_formula(grad_weight_2d, WRT_FREE["W"], "W"),
                    r"the deltas collapse the sums over $f', c', k, l$ to $f' = f$, $c' = c$, $k = h$, $l = w$")),
        oracle=oracle("W"), checks=(FrameworkCheck("W"), ScipyCheck("W"))),
    grading=Grading(neighbours=("conv.grad_input_2d", "conv.grad_bias"), slips=SLIPS["conv.grad_weight_2d"],
                    answer_sizes=ANSWER_2D, expects=r"$\partial E / \partial W_{f,c,h,w}$" + EXPECTS),
)


GRAD_INPUT_2D = Part(
    id="conv.grad_input_2d", title="Input gradient of a 2-D convolution",
    sheet=Sheet(statement=STATEMENT_2D + r"find $\partial E / \partial X_{n,c,h,w}$; a kernel index outside "
                          r"$\{0, \dots, K-1\}$ or not an integer contributes 0." + CATALOGUE_FORM,
                figures=(FOOTPRINT,)),
    derivation=Derivation(
        variables=LAYER, sizes=columns(NAMES_2D, ROWS_2D), numeric_sizes=NUMERIC_2D,
        derive=lambda v: derived_gradient(v, "X"), result=index_formula(grad_input_2d, WRT_FREE["X"], "X"),
        result_lhs=DX,
        steps=(chain_step("X", DX),
               Step(DX, index_formula(input_deltas_2d, WRT_FREE["X"], "X"),
                    r"$\partial O / \partial X_{n,c,h,w}$ from the forward: only the filters of $c$'s group read "
                    r"channel $c$ (as their channel $c - C_g \gamma(c)$), through the taps with $s i + d k - P = h$, "
                    r"$s j + d l - P = w$"),
               Step(DX, index_formula(grad_input_2d, WRT_FREE["X"], "X"),
                    r"change of index: the deltas fix $k = k_i$ and $l = l_j$; a tap that is not an integer in "
                    r"$\{0, \dots, K - 1\}$ contributes 0")),
        oracle=oracle("X"), checks=(FrameworkCheck("X"), ScipyCheck("X"))),
    grading=Grading(neighbours=("conv.grad_weight_2d", "conv.grad_bias"), slips=SLIPS["conv.grad_input_2d"],
                    answer_sizes=ANSWER_2D, expects=r"$\partial E / \partial X_{n,c,h,w}$" + EXPECTS),
)


GRAD_BIAS = Part(
    id="conv.grad_bias", title="Bias gradient of a 2-D convolution",
    sheet=Sheet(statement=STATEMENT_2D + r"find $\partial E / \partial b_f$.", instance_sizes=INSTANCE_2D),
    derivation=Derivation(
        variables=LAYER, sizes=columns(NAMES_2D, ROWS_2D[:4]), numeric_sizes=NUMERIC_2D,
        derive=lambda v: derived_gradient(v, "b"), result=index_formula(grad_bias_2d, WRT_FREE["b"], "b"),
        result_lhs=DB, steps=(chain_step("b", DB),), oracle=oracle("b"), checks=(FrameworkCheck("b"),)),
    grading=Grading(neighbours=("conv.grad_weight_2d",), slips=SLIPS["conv.grad_bias"], answer_sizes=ANSWER_2D,
                    expects=r"$\partial E / \partial b_f$" + EXPECTS),
)


GRAD_WEIGHT_1D = Part(
    id="conv.grad_weight_1d", title="Weight gradient of a 1-D convolution",
    sheet=Sheet(
        statement=r"$Z_i = \sum_{j=0}^{K-1} W_j X_{s i + d j - P}$ for $i = 0, \dots, N_{out}-1$ (zero padding $P$, "
                  r"stride $s$, dilation $d$; the catalogue's case is $s = d = 1$, $P = 0$), "
                  r"$G_i = \partial L / \partial Z_i$. Find $\partial L / \partial W_j$."),
    derivation=Derivation(
        variables=SIGNAL, sizes=columns(NAMES_1D, ROWS_1D), numeric_sizes=NUMERIC_1D,
        derive=lambda v: derived_gradient(v, "W"), result=index_formula(grad_weight_1d, (j,), "W"),
        result_lhs=r"\frac{\partial L}{\partial W_j}",
        steps=(Step(r"\frac{\partial L}{\partial W_j}",
                    lambda v: chain_rule(v, "W", (j,), (i,), "Z"), "chain rule through every $Z_i$"),),
        oracle=oracle("W", one_d=True), checks=(ScipyCheck("W", one_d=True),)),
    grading=Grading(neighbours=("conv.grad_input_1d",), slips=SLIPS["conv.grad_weight_1d"], answer_sizes=ANSWER_1D,
                    expects=r"$\partial L / \partial W_j$ in index notation (indices from 0) at stride 1, no padding, "
                            r"dilation 1"),
)


GRAD_INPUT_1D = Part(
    id="conv.grad_input_1d", title="Input gradient of a 1-D convolution",
    sheet=Sheet(
        statement=r"For the same $Z$, find $\partial L / \partial X_m$: the full convolution of $G$ with $W$ "
                  r"(at $s = d = 1$, $P = 0$); an index of $G$ outside $\{0, \dots, N_{out}-1\}$ or not an integer "
                  r"contributes 0.",
        # the full convolution: G slides past W
        instance_sizes=dict(N=4, K=2, s=1, P=0, d=1)),
    derivation=Derivation(
        variables=SIGNAL, sizes=columns(NAMES_1D, ROWS_1D), numeric_sizes=NUMERIC_1D,
        derive=lambda v: derived_gradient(v, "X"), result=index_formula(grad_input_1d, (m,), "X"), result_lhs=DX_1D,
        steps=(Step(DX_1D, lambda v: chain_rule(v, "X", (m,), (i,), "Z"), "chain rule through every $Z_i$"),
               Step(DX_1D, index_formula(input_deltas_1d, (m,), "X"),
                    r"$\partial Z_i / \partial X_m$ from the forward: tap $j$ of output $i$ reads "
                    r"$X_{s i + d j - P}$, so it contributes $W_j$ when $s i + d j - P = m$ and 0 otherwise"),
               Step(DX_1D, index_formula(grad_input_1d, (m,), "X"),
                    r"the delta fixes $i = o_j$; the bracket is 1 when $o_j$ is an output position, an integer in "
                    r"$\{0, \dots, N_{out} - 1\}$, and 0 otherwise")),
        oracle=oracle("X", one_d=True), checks=(ScipyCheck("X", one_d=True),)),
)


TOEPLITZ = Part(
    id="conv.toeplitz", title="Convolution as a banded matrix; transposed convolutions",
    sheet=Sheet(
        statement=r"A 1-D conv with kernel $(w_1, w_2, w_3)$ on an input of length 4, padding 1, stride 1, is "
                  r"$y = M x$. Find $M$ (the Jacobian $\partial y / \partial x$) and show $\partial L / \partial x "
                  r"= M^\top \partial L / \partial y$ ($g = \partial L / \partial y$). With kernel $(a, b, c)$ and no "
                  r"padding, the transposed conv maps length 4 to 6 at stride 1 ($y = M'^\top x$, $M'$ the "
                  r"$4 \times 6$ matrix of the valid stride-1 conv) and to $(4-1)2 + 3 = 9$ at stride 2 "
                  r"($y = (M'')^\top x$, $M''$ the $4 \times 9$ matrix of the valid stride-2 conv).",
        figures=(Figure("toeplitz-m", r"$M$: the $4 \times 4$ band of the padded stride-1 conv.",
                        lambda ax: draw_matrix(ax, banded(sp.symbols("w_1:4"), 4, 1), "M (padding 1, stride 1)")),
                 Figure("toeplitz-stride-2", r"$M''$: the $4 \times 9$ matrix of the valid stride-2 conv; the "
                        r"transposed conv is $(M'')^\top$, each row of $M''$ is the kernel shifted by 2, not by 1 and then padded.",
                        lambda ax: draw_matrix(ax, conv1d_matrix(sp.symbols("a b c"), 9, 2), "M'' (stride 2)")))),
    derivation=Derivation(
        variables=TOEPLITZ_VARIABLES, derive=lambda v: conv_output(v).jacobian(v.x), result=lambda v: banded(kernel(v), 4, 1),
        result_lhs="M",
        steps=(Step(r"\frac{\partial L}{\partial x}", lambda v: banded(kernel(v), 4, 1).T * v.g,
                    r"$L$ depends on $x$ through $y = M x$, so $\partial L / \partial x = M^\top g$",
                    target=lambda v: sp.Matrix([(v.g.T * conv_output(v))[0, 0]]).jacobian(v.x).T),
               Step(r"\mathrm{conv}^\top_{s=1}(x)", lambda v: conv1d_matrix((v.a, v.b, v.c), 6, 1).T * v.x,
                    r"$M'^\top x$, $M'$ the Jacobian of the valid stride-1 conv of a length-6 input: each $x_i$ "
                    r"scatters $(a, b, c)$ from position $i$",
                    target=lambda v: transposed_conv1d(list(v.x), (v.a, v.b, v.c), 1)),
               Step(r"\mathrm{conv}^\top_{s=2}(x)", lambda v: conv1d_matrix((v.a, v.b, v.c), 9, 2).T * v.x,
                    r"$(M'')^\top x$: each $x_i$ scatters $(a, b, c)$ from position $2i$ (length 9)",
                    target=lambda v: transposed_conv1d(list(v.x), (v.a, v.b, v.c), 2))),
        oracle=Oracle(toeplitz_jacobian, r"central differences of the NumPy forward (the Jacobian $\partial y / \partial x$)",
                      FD_RTOL, FD_TOLERANCE_REASON, cases=20),
        checks=(TransposeIsAdjoint(), ZeroPaddingSlip())),
)


LOW_RANK = Part(
    id="conv.low_rank", title="A low-rank kernel as pairs of 1-D convolutions",
    sheet=Sheet(
        statement=r"A $k \times k$ kernel of rank $r$, $W = \sum_{i=1}^r \sigma_i u_i v_i^\top$ (its SVD truncated), "
                  r"is $r$ pairs of 1-D convolutions (rows with $v_i$, then columns with $\sigma_i u_i$). Find the "
                  r"ratio of multiplications per output, separable over direct, as the input grows.",
        instance_sizes={"k": 5, "r": 1}),
    derivation=Derivation(
        sizes={"k": [2, 3, 3, 4, 5], "r": [1, 1, 2, 3, 2]}, numeric_sizes={"k": [3, 4], "r": [1, 2, 3]},
        derive=lambda v: multiplication_ratio(v.k, v.r), result=lambda v: 2 * as_sympy(v.r) / v.k, result_lhs=RATIO,
        steps=(Step(MULTS_DIRECT, lambda v: as_sympy(v.k) ** 2,
                    r"per output of the direct $k \times k$ conv on an $N \times N$ input: SymPy sums its loops over "
                    r"the $O \times O$ outputs ($O = N - k + 1$) and the $k \times k$ taps, and divides by $O^2$",
                    target=lambda v: per_output(v.k, v.r)[0]),
               Step(MULTS_SEPARABLE, lambda v: v.r * v.k * (2 * INPUT_SIDE - v.k + 1) / (INPUT_SIDE - v.k + 1),
                    r"per output of the $r$ pairs of passes: the row pass with $v_i$ makes $k$ products for each of "
                    r"the $N \times O$ entries it computes, the column pass with $\sigma_i u_i$ another $k$ for each "
                    r"of the $O \times O$ outputs; their sum divided by $O^2$",
                    target=lambda v: per_output(v.k, v.r)[1]),
               Step(MULTS_SEPARABLE, lambda v: 2 * v.r * v.k,
                    r"as the input grows ($N \to \infty$, so $N / O \to 1$): the row pass's extra rows no longer count",
                    target=lambda v: sp.limit(per_output(v.k, v.r)[1], INPUT_SIDE, sp.oo)),
               Step(RATIO, lambda v: held_fraction(2 * v.r * v.k, as_sympy(v.k) ** 2),
                    r"the saving: the separable form takes $2 r k$ of the $k^2$ mults per output, fewer when $r < k/2$")),
        oracle=Oracle(lambda x: measured_ratio(int(x["k"]), int(x["r"])),
                      "multiplications counted while running both algorithms in NumPy, extrapolated in N",
                      1e-9, r"the counted ratio is exactly $(r/k)(N/O + 1)$, $O = N - k + 1$, so extrapolating "
                      r"two sizes in $1/O$ leaves only float rounding ($10^{-15}$); a wrong count errs by at least "
                      r"$1/k$", cases=6),
        checks=(LowRankIdentity(), TruncatedSvdCheck())),
    grading=Grading(slips=SLIPS["conv.low_rank"]),
)


PARTS = [GRAD_WEIGHT_2D, GRAD_INPUT_2D, GRAD_BIAS, GRAD_WEIGHT_1D, GRAD_INPUT_1D, TOEPLITZ, LOW_RANK]
