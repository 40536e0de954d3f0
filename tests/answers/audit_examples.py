"""Written solutions the audit is measured on: the issue's three and our own, in every family,
typed and OCR-damaged, with prose in several languages. ``wrong`` is the (chain, step) of the
first wrong step, or None for a valid document; ``given`` and ``part`` are passed on. Each
label was worked out by hand (the arithmetic is in the comments)."""
from pathlib import Path
from typing import NamedTuple


class Example(NamedTuple):
    name: str
    family: str
    text: str
    wrong: tuple | None
    given: str | None = None
    part: str | None = None


BACKPROP_GIVEN = "z = w x + b; y = sigma(z); L = 1/2 (y - t)^2"
CE_GIVEN = "s = sigma(z); L = -(t log(s) + (1 - t) log(1 - s))"

EXAMPLES = [
    # --- the examples -------------------------------------------------------------
    Example("issue_tanh", "activation", r"""Using the definitions of the sigmoid and tanh:
$$\tanh(z) = \frac{e^{z}-e^{-z}}{e^{z}+e^{-z}} = \frac{1-e^{-2z}}{1+e^{-2z}} = \frac{2}{1+e^{-2z}} - 1 = 2\sigma(z) - 1$$
""", (1, 4), part="activation.tanh_sigmoid"),
    Example("issue_conv", "conv", r"""$$O = \left\lfloor \frac{224 - 5}{1} \right\rfloor + 1 = 219$$   (the arithmetic is off: 220)
$$\mathcal{E}_{p} [ \mathbf{p}^{\mathsf{T}} \widehat{\mathbf{D}} ]\, \hat{\omega}^{\mathsf{T}} \mathbb{I} ]$$
""", (1, 2)),
    Example("issue_dropout", "dropout", r"""$$\mathbb{E}[E_D] = \frac12 \mathbb{E}\Big[\big(t - \sum_i \delta_i w_i x_i\big)^2\Big]
 = \frac12 \big(t - \sum_i p_i w_i x_i\big)^2 + \frac12 \sum_i \operatorname{Var}(\delta_i) w_i^2 x_i^2
 = E_{ENS} + \frac12 \sum_i p_i^2 w_i^2 x_i^2$$""", (1, 3), given="E_ENS = 1/2 (t - sum(p_i w_i x_i, i, 1, n))^2",
            part="dropout.unit_regulariser"),
    # --- activation -----------------------------------------------------------------------
    Example("sigmoid_grad_fr", "activation", r"""La dérivée de la sigmoïde :
$$\sigma'(z) = \frac{d}{dz}\left(\frac{1}{1+e^{-z}}\right) = \frac{e^{-z}}{(1+e^{-z})^2} = \sigma(z)\,(1-\sigma(z))$$
""", None),
    Example("sigmoid_grad_sign", "activation", r"""$$\sigma'(z) = \frac{e^{-z}}{(1+e^{-z})^2} = \sigma(z)\left(1+\sigma(z)\right)$$""", (1, 2)),
    Example("tanh_grad_he", "activation", r"""לכן הנגזרת של tanh היא
$$\frac{d}{dz}\tanh(z) = 1 - \tanh^2(z) = (1-\tanh z)(1+\tanh z)$$
וזה מה שרצינו להראות.""", None),
    Example("tanh_ocr", "activation", r"""$$\frac{d}{dz}\tanh(z) = 1 - \tanh^2(z) = 1 - tahn^2 z = (1 - \tanh z)(1 + \tanh z)$$""", None),
    # Two slips that cancel: the sign is lost in step 1 and silently restored in step 2.
    Example("sigmoid_cancel", "activation", r"""$$\frac{d}{dz}\sigma(z) = -\sigma(z)(1-\sigma(z)) = \sigma(z) - \sigma(z)^2$$""", (1, 1)),
    Example("relu_abs", "activation", r"""$$\max(0, z) = \frac{z + |z|}{2} \quad (1)$$""", None),
    Example("sigmoid_numbers", "activation", r"""Enfin $\sigma(0) = 0.5$ et $\sigma(1) \approx 0.7311$ et $\sigma(1) = 0.7211$.""", (3, 1)),
    Example("tanh_sigmoid_right", "activation", r"""$$\tanh(z) = \frac{1-e^{-2z}}{1+e^{-2z}} = \frac{2}{1+e^{-2z}} - 1 = 2\sigma(2z) - 1$$""", None,
            part="activation.tanh_sigmoid"),
    # --- softmax --------------------------------------------------------------------------
    Example("softmax_two_de", "softmax", r"""Für zwei Klassen gilt
$$\frac{e^{z_1}}{e^{z_1}+e^{z_2}} = \frac{1}{1 + e^{z_2 - z_1}} = \sigma(z_1 - z_2)$$
und mit $z = (1, 2)$:
$$s_1 = \frac{e^1}{e^1 + e^2} = \frac{1}{1 + e} \approx 0.2689$$""", None),
    Example("softmax_two_swapped", "softmax", r"""$$\frac{e^{z_1}}{e^{z_1}+e^{z_2}} = \frac{1}{1 + e^{z_2 - z_1}} = \sigma(z_2 - z_1)$$""", (1, 2)),
    Example("softmax_rounding", "softmax", r"""$$s_1 = \frac{e^1}{e^1 + e^2} = \frac{1}{1 + e} \approx 0.2731$$""", (1, 3)),
    # 1/(1+e) = 0.268941: 0.2689 is right to the digits written.
    Example("softmax_ce_grad", "softmax", r"""$$\frac{\partial L}{\partial z} = \frac{\partial L}{\partial s}\frac{\partial s}{\partial z}
= \left(-\frac{t}{s} + \frac{1-t}{1-s}\right) s(1-s) = s - t$$""", None, given=CE_GIVEN),
    Example("softmax_ce_grad_sign", "softmax", r"""$$\frac{\partial L}{\partial z} = \left(-\frac{t}{s} + \frac{1-t}{1-s}\right) s(1-s) = t - s$$""",
            (1, 2), given=CE_GIVEN),
    # --- backprop -------------------------------------------------------------------------
    Example("backprop_chain_de", "backprop", r"""Wir berechnen den Gradienten mit der Kettenregel:
$$\frac{\partial L}{\partial w} = \frac{\partial L}{\partial y}\frac{\partial y}{\partial z}\frac{\partial z}{\partial w} = (y - t)\,\sigma(z)(1-\sigma(z))\,x$$
""", None, given=BACKPROP_GIVEN),
    Example("backprop_align_slip", "backprop", r"""Also ist
\begin{align}
\frac{\partial L}{\partial b} &= (y-t)\, y (1-y) \\
&= (y - t) y (1 + y) \quad (2)
\end{align}""", (1, 2), given=BACKPROP_GIVEN),
    Example("backprop_wrong_input", "backprop", r"""$$\frac{\partial L}{\partial w} = (y - t)\, y (1-y)\, w$$""", (1, 1), given=BACKPROP_GIVEN),
    Example("backprop_ru", "backprop", r"""Градиент по смещению:
\[ \frac{\partial L}{\partial b} = \frac{\partial L}{\partial y} \cdot \frac{\partial y}{\partial z} = (y-t)\,\sigma'(z) \]""", None,
            given=BACKPROP_GIVEN),
    # --- conv -----------------------------------------------------------------------------
    # (224 - 7 + 2*3)/2 = 111.5 -> 111, + 1 = 112.
    Example("conv_stride", "conv", r"""$$O = \left\lfloor\frac{224 - 7 + 2\cdot 3}{2}\right\rfloor + 1 = \lfloor 111.5 \rfloor + 1 = 112$$""", None),
    Example("conv_stride_slip", "conv", r"""$$O = \left\lfloor\frac{224 - 7 + 2\cdot 3}{2}\right\rfloor + 1 = 112 + 1 = 113$$""", (1, 2)),
    # 3*3*64*128 = 73728, + 128 = 73856.
    Example("conv_params_ru", "conv", r"""Число параметров: $N = 3 \cdot 3 \cdot 64 \cdot 128 + 128 = 73\,856$, и $RF_3 = RF_2 + (k - 1) s = 5 + 2 \cdot 1 = 7$.""", None),
    Example("conv_thousands", "conv", r"""$$2^{17} = 131,072 \qquad 512 \cdot 256 = 131 072$$""", None),
    Example("conv_thousands_slip", "conv", r"""$$2^{17} = 131,027$$""", (1, 1)),
    Example("conv_formula_values", "conv", r"""Размер выхода:
$$O = \frac{W - K + 2P}{S} + 1 = \frac{32 - 5 + 2\cdot 2}{1} + 1 = 32$$""", None),
    # --- optim (Adam) ---------------------------------------------------------------------
    Example("adam_typed", "optim", r"""With $\beta_1 = 0.9$, $\beta_2 = 0.999$, $g_1 = 0.5$:
$$m_1 = (1-\beta_1) g_1 = 0.05, \qquad v_1 = (1 - \beta_2) g_1^2 = 0.00025$$
$$\hat m_1 = \frac{m_1}{1 - \beta_1^1} = \frac{0.05}{0.1} = 0.5$$
$$\hat v_1 = \frac{v_1}{1-\beta_2} = \frac{0.00025}{0.001} = 0.25$$
$$\Delta\theta = -\eta \frac{\hat m_1}{\sqrt{\hat v_1}+\epsilon} \approx -0.001 \cdot \frac{0.5}{0.5} = -0.001$$""", None),
    Example("adam_bias_slip", "optim", r"""$$\hat{m}_1 = \frac{0.05}{1 - 0.9} = 0.05$$""", (1, 2)),
    Example("adam_decimal_commas_de", "optim", r"""Mit $\beta_1 = 0,9$ und $g_1 = 0,5$ ist
$$m_1 = (1 - \beta_1)\, g_1 = 0,1 \cdot 0,5 = 0,05$$
und die Bias-Korrektur ergibt
$$\hat m_1 = \frac{0,05}{1 - 0,9} = 0,5$$""", None),
    Example("adam_decimal_commas_slip", "optim", r"""Mit $\beta_1 = 0,9$ und $g_1 = 0,5$ ist
$$m_1 = (1 - \beta_1)\, g_1 = 0,1 \cdot 0,5 = 0,005$$""", (3, 3)),
    # --- dropout --------------------------------------------------------------------------
    Example("dropout_scaling", "dropout", r"""$$\mathbb{E}\left[\frac{\delta}{p} x\right] = \frac{p}{p} x = x$$""", None),
    # --- batchnorm ------------------------------------------------------------------------
    # mean 2, variance (1 + 0 + 1)/3 = 0.6667, (1 - 2)/sqrt(0.6667) = -1.22471.
    Example("batchnorm_numbers", "batchnorm", r"""For the batch $x = (1, 2, 3)$:
$$\mu = \frac{1 + 2 + 3}{3} = 2, \qquad \sigma^2 = \frac{1 + 0 + 1}{3} = 0.6667$$
$$\hat{x}_1 = \frac{1 - 2}{\sqrt{0.6667}} \approx -1.2247$$""", None),
    Example("batchnorm_variance_slip", "batchnorm", r"""$$\sigma^2 = \frac{(1-2)^2 + (2-2)^2 + (3-2)^2}{3} = \frac{2}{3} = 0.6$$""", (1, 3)),
]

# Whole homework documents (tests/answers/audit_documents/): several problems each, prose in
# German, Russian, Hebrew and English, values stated in the prose, units, rounded numbers
# carried from line to line. One holds a slip: dE/db = (h - y)(1 - h)^2 where tanh' gives
# (h - y)(1 - h^2).
DOCUMENTS = Path(__file__).parent / "audit_documents"
DOCUMENT_LABELS = {
    "activation_sigmoid_de.md": None, "activation_relu_softplus.md": None,
    "backprop_tanh_he.md": (6, 1), "conv_layer_ru.md": None, "optim_momentum_adam.md": None,
    "softmax_numbers.md": None, "dropout_batchnorm.md": None, "softmax_ce_de.md": None,
    "optim_adam_two_steps.md": None, "backprop_neuron.tex": None, "conv_receptive_field_ru.md": None,
    "dropout_batchnorm_typed.md": None,
    # As OCR (Mathpix) writes them: \begin{aligned} in $$, a display that opens with '=',
    # ^{\prime}, split names (R F_{2}), \operatorname{tanh}. Without --given, y = sigma(z) is
    # the problem's and the step using it is not flagged; with it, dL/db = (y-t) y (1+y) is.
    "backprop_ocr_de.md": None, "activation_tanh_ocr.md": None, "conv_alexnet_ocr.md": None,
    "softmax_grad_ocr.md": None,
    # -0.001 * (-0.2)/0.0632 = 0.00316, not 0.0316.
    "optim_adam_ocr.md": (9, 2),
    # Slips made while writing these, found by the audit and checked by hand:
    # 2 * 1,342 + 1 = 3,684 (decimal commas in German prose), not 3,864;
    "batchnorm_numbers_de.md": (10, 2),
    # 0.9 * 0.19 + 0.1 = 0.271, not 0.281;
    "optim_momentum_slip.md": (7, 2),
    # 32 - 5 + 1 = 28, not 27.
    "conv_sizes_slip.md": (13, 2),
    "backprop_logistic_ru.md": None, "softmax_logs.md": None,
    # Sums over entries with no known range, written out at n = 2 and 3: a mean defined with
    # a sum, the one-hot sum, and (sum_i a_i)^2 = sum_i a_i^2, which is wrong.
    "softmax_batch_sums.md": None, "backprop_linear_sums.md": (8, 1),
}
EXAMPLES += [Example("doc_" + name.split(".")[0], name.split("_")[0], (DOCUMENTS / name).read_text(encoding="utf-8"), wrong)
             for name, wrong in DOCUMENT_LABELS.items()]
EXAMPLES.append(Example("doc_backprop_ocr_de_given", "backprop",
                        (DOCUMENTS / "backprop_ocr_de.md").read_text(encoding="utf-8"), (2, 1), given=BACKPROP_GIVEN))
