r"""Batch normalisation of one feature over a mini-batch $x_1, \dots, x_m$:
$\mu = \frac1m \sum_i x_i$, the biased batch variance $\sigma^2 = \frac1m \sum_i (x_i - \mu)^2$,
$\hat x_i = (x_i - \mu) / \sqrt{\sigma^2 + \epsilon}$ and $y_i = \gamma \hat x_i + \beta$, with
upstream gradients $g_i = \partial l / \partial y_i$ of a loss $l$ (taken as
$l = \sum_i g_i y_i$, which has exactly these gradients). SymPy differentiates the forward pass
at every $m = 2, \dots, 6$; the paper's intermediate gradients are derived node by node along
the computation graph. Answers may use $x_i$, $\mu$, $\sigma^2$ and $\hat x_i$ together."""
import numpy as np
import sympy as sp

from derive import (Demonstration, Derivation, Figure, Grading, Namespace, Oracle, Part, Sheet, Slip, Step,
                    Variable)
from derive.maths.normalisation import (batch_mean, batch_norm, batch_variance, class_expectation, d_mu,
                                        d_mu_target, d_mu_value, d_var, d_var_target, d_var_value, d_xhat, inv_std,
                                        mean_of, normalised, normalised_of, ones, stationary_value,
                                        test_time_class_mean, train_time_class_mean, variance_of)
from derive.model.domains import NONZERO, POSITIVE
from derive.verify import normalisation as bn
from derive.verify.refutation import Refutation

TITLE = "Batch normalisation"
SIZES = {"m": range(2, 7)}
# Every proof size and beyond; the sampler adds near-constant batches. Large batches
# (m = 64, 256) are the JAX check's: there the closed form is evaluated with numbers first.
NUMERIC = {"m": [2, 3, 4, 5, 6, 9, 12]}
# The identities' exact proof costs ~3 s more at m = 6 alone (sums of the whole gradient
# under one square root); it is proved at m = 2..5 and tested at every NUMERIC size.
IDENTITY_SIZES = {"m": range(2, 6)}
JAX_SIZES = [2, 5, 17, 64, 256]
MOMENTUM = sp.Rational(1, 10)   # PyTorch's BatchNorm default


x = Variable("x", ("m",), bn.BATCH)
g = Variable("g", ("m",))
gamma = Variable("gamma", latex=r"\gamma")
beta = Variable("beta", latex=r"\beta")
eps = Variable("eps", domain=bn.SMALL_EPS, latex=r"\epsilon")
mu = Variable("mu", latex=r"\mu", spellings=(r"\mu_B", "mu_B"), definition=mean_of,
              numeric=lambda d: np.mean(d["x"]))
sigma2 = Variable("sigma2", latex=r"\sigma^2", spellings=("sigma^2", r"\sigma^2", r"\sigma_B^2", "sigma_B^2"),
                  definition=variance_of, numeric=lambda d: np.var(d["x"]))
xhat = Variable("xhat", ("m",), latex=r"\hat{x}", spellings=(r"\hat{x}", "x_hat"),
                definition=lambda v: normalised_of(v, v.eps), numeric=lambda d: bn.normalised(d["x"], d["eps"]))
VARIABLES = (x, g, gamma, beta, eps, mu, sigma2, xhat)


def loss(v, batch, eps_=None):
    """l = sum_i g_i y_i of the forward pass of ``batch`` (explicit sizes)."""
    y = batch_norm(batch, v.gamma, v.beta, v.eps if eps_ is None else eps_)
    return sum((v.g[k] * y[k] for k in range(v.m)), sp.S.Zero)


def gradient(v, eps_=None):
    return sp.Matrix([loss(v, v.x, eps_)]).jacobian(v.x).T


def compact(v):
    G = v.sum(lambda k: v.g[k], "m", "j")
    H = v.sum(lambda k: v.g[k] * v.xhat[k], "m", "j")
    return v.gamma / (v.m * sp.sqrt(v.sigma2 + v.eps)) * (v.m * v.g - G * ones(v.m) - v.xhat * H)


def identities(v, eps_=None):
    d = gradient(v, eps_)
    xh = normalised(v.x, v.eps if eps_ is None else eps_)
    return sp.Matrix([sum(d), sum(xh[k] * d[k] for k in range(v.m))])


def weighted_compact(v):
    """sum_i xhat_i (dl/dx_i) with the compact form, proved equal to the derivation in grad_x."""
    c = compact(v)
    return sum((v.xhat[k] * c[k] for k in range(v.m)), sp.S.Zero)


def h_sum(v):
    return v.sum(lambda k: v.g[k] * v.xhat[k], "m", "j")


GRAD_X_ANSWER = "gamma/(m*sqrt(sigma^2+eps))*(m*g_i - sum(g_j, j, 1, m) - xhat_i*sum(g_j*xhat_j, j, 1, m))"
TEXTBOOK_ZERO = r"\sum_i \hat{x}_i \, \partial l / \partial x_i = 0"


# --- class_batches: what SymPy derives about the running statistics -----------------------
mu_a = Variable("mu_a", latex=r"\mu_a", spellings=(r"\mu_a",))
mu_b = Variable("mu_b", latex=r"\mu_b", spellings=(r"\mu_b",))
within = Variable("s2", domain=POSITIVE, latex=r"\sigma_w^2", spellings=(r"\sigma_w^2", "sigma_w^2"))
class_eps = Variable("eps", domain=POSITIVE, latex=r"\epsilon")
CLASS_SIZES = {"m": range(2, 5)}


def expected(v, statistic, mixed):
    return class_expectation(statistic, v.m, v.mu_a, v.mu_b, v.s2, mixed)


# --- the sheet's numbers -----------------------------------------------------------------
def exact_identity_values():
    """The derived sum_i xhat_i dl/dx_i at a near-constant batch for several eps, exactly."""
    v = Namespace(VARIABLES, {"m": 2})
    value = identities(v)[1]
    point = {v.x[0]: 0, v.x[1]: sp.Rational(1, 100), v.g[0]: 1, v.g[1]: 0, v.gamma: 1, v.beta: 0}
    rows = []
    for e in (0, sp.Rational(1, 10**5), sp.Rational(1, 1000), sp.Rational(1, 4)):
        exact = sp.nsimplify(sp.simplify(value.subs(point).subs(v.eps, e)))
        rows.append((rf"$\epsilon = {sp.latex(e)}$", "0 exactly" if exact == 0 else f"{float(exact):.6g}"))
    # Where the derived closed form vanishes, for gamma != 0, H = sum_j g_j xhat_j != 0, sigma^2 > 0.
    eps_, var_ = sp.Symbol("epsilon", nonnegative=True), sp.Symbol("sigma2", positive=True)
    gamma_, h_ = sp.Symbol("gamma", nonzero=True), sp.Symbol("H", nonzero=True)
    roots = sp.solveset(gamma_ * eps_ * (var_ + eps_) ** sp.Rational(-3, 2) * h_, eps_, sp.Interval(0, sp.oo))
    rows.append((r"the $\epsilon \ge 0$ where $\gamma \epsilon (\sigma^2 + \epsilon)^{-3/2} \sum_j g_j \hat x_j = 0$ "
                 r"(SymPy ``solveset``, for $\gamma \ne 0$, $\sum_j g_j \hat x_j \ne 0$, $\sigma^2 > 0$)",
                 "{" + ", ".join(str(r) for r in sorted(roots)) + "}" if roots.is_FiniteSet else str(roots)))
    return rows


CLASS_DEMO = {"mu_a": -1.0, "mu_b": 1.0, "s2": 0.25, "eps": 1e-5, "m": 32}


SETUP = (r"One feature over a mini-batch $x_1, \dots, x_m$: $\mu = \frac1m \sum_i x_i$, "
         r"$\sigma^2 = \frac1m \sum_i (x_i - \mu)^2$, $\hat x_i = (x_i - \mu)/\sqrt{\sigma^2 + \epsilon}$, "
         r"$y_i = \gamma \hat x_i + \beta$, $g_i = \partial l / \partial y_i$. ")


GRAD_GAMMA = Part(
    id="batchnorm.grad_gamma", title="Gradient with respect to the scale γ",
    sheet=Sheet(statement=SETUP + r"Find $\partial l / \partial \gamma$."),
    derivation=Derivation(
        variables=VARIABLES, sizes=SIZES, numeric_sizes=NUMERIC, derive=lambda v: sp.diff(loss(v, v.x), v.gamma),
        result=lambda v: h_sum(v), result_lhs=r"\frac{\partial l}{\partial \gamma}",
        steps=(Step(r"\frac{\partial l}{\partial \gamma}", lambda v: v.sum(lambda k: v.g[k] * v.xhat[k], "m", "i"),
                    r"$y_i = \gamma \hat x_i + \beta$ gives $\partial y_i / \partial \gamma = \hat x_i$; sum over the "
                    r"batch, since $\gamma$ is shared by every $y_i$"),),
        oracle=bn.gradient_oracle("gamma", r"in $\gamma$")),
    grading=Grading(neighbours=("batchnorm.grad_beta", "batchnorm.grad_x"),
                    slips=(Slip("sum(g_j, j, 1, m)", r"$\partial l / \partial \beta$: the factor $\hat x_i$ lost"),
                           Slip("sum(g_j*x_j, j, 1, m)", r"$x_j$ in place of the normalised $\hat x_j$"))),
)


GRAD_BETA = Part(
    id="batchnorm.grad_beta", title="Gradient with respect to the shift β",
    sheet=Sheet(statement=SETUP + r"Find $\partial l / \partial \beta$."),
    derivation=Derivation(
        variables=VARIABLES, sizes=SIZES, numeric_sizes=NUMERIC, derive=lambda v: sp.diff(loss(v, v.x), v.beta),
        result=lambda v: v.sum(lambda k: v.g[k], "m", "j"), result_lhs=r"\frac{\partial l}{\partial \beta}",
        oracle=bn.gradient_oracle("beta", r"in $\beta$")),
    grading=Grading(neighbours=("batchnorm.grad_gamma",),
                    slips=(Slip("g_i", r"one $g_i$: $\beta$ is shared by the batch, so its gradient sums over $i$"),)),
)


GRAD_X = Part(
    id="batchnorm.grad_x", title="The backward pass to the inputs",
    sheet=Sheet(
        statement=SETUP + r"Find $\partial l / \partial x_i$, through $\hat x$, $\sigma^2$ and $\mu$.",
        figures=(Figure("graph", r"The computation graph of batch normalisation; each edge carries its local "
                        r"derivative, and the backward pass multiplies them along every path from $l$ back to $x_i$",
                        bn.draw_graph),)),
    derivation=Derivation(
        variables=VARIABLES, sizes=SIZES, numeric_sizes=NUMERIC, derive=gradient, result=compact,
        result_lhs=r"\frac{\partial l}{\partial x}",
        steps=(
            Step(r"\frac{\partial l}{\partial \hat{x}_i}", lambda v, i: v.g[i] * v.gamma,
                 r"node $y_i = \gamma \hat x_i + \beta$", "i",
                 target=lambda v: sp.Matrix([sum(v.g[k] * (v.gamma * v.xhat[k] + v.beta) for k in range(v.m))]).jacobian(v.xhat).T),
            Step(r"\frac{\partial l}{\partial \sigma^2}", d_var_value,
                 r"node $\hat x_i$: $\partial \hat x_i / \partial \sigma^2 = -\frac12 (x_i - \mu)(\sigma^2 + \epsilon)^{-3/2}$, "
                 r"summed over every $\hat x_i$ that $\sigma^2$ feeds", target=d_var_target),
            Step(r"\frac{\partial l}{\partial \mu}", d_mu_value,
                 r"$\mu$ feeds every $\hat x_i$ directly and $\sigma^2$ too; the second path carries "
                 r"$\sum_k (x_k - \mu) = 0$ at the batch mean", target=d_mu_target),
            Step(r"\frac{\partial l}{\partial x_i}", lambda v, i: d_xhat(v, i) * inv_std(v)
                 + d_var(v) * 2 * (v.x[i] - v.mu) / v.m + d_mu(v) / v.m,
                 r"$x_i$ reaches $l$ along three edges of the graph: into $\hat x_i$, into $\sigma^2$ and into $\mu$; "
                 r"the sum is proved equal to the compact form below (which is proved equal to SymPy's derivative)",
                 "i", target=compact),
        ),
        oracle=bn.gradient_oracle("x", "in every $x_i$"),
        checks=(bn.JaxGradientCheck("the closed form agrees with JAX autodiff", bn.jax_loss, "x", JAX_SIZES,
                                    1e-9, r"both sides are float64 evaluations of $O(m)$ operations on the same "
                                    r"inputs: round-off $\approx 10^{-13}$ relative even on near-constant batches, "
                                    r"where both divide by the same small spread; a wrong term errs by $O(1)$"),)),
    grading=Grading(
        neighbours=("batchnorm.grad_gamma", "batchnorm.grad_beta"),
        slips=(Slip("gamma*g_i/sqrt(sigma^2+eps)", r"only the direct path through $\hat x_i$: the paths through "
                    r"$\mu$ and $\sigma^2$ are missing"),
               Slip("gamma/(m*sqrt(sigma^2+eps))*(m*g_i - sum(g_j, j, 1, m))",
                    r"the $\hat x_i \sum_j g_j \hat x_j$ term (the path through $\sigma^2$) is missing"),
               Slip("gamma/sqrt(sigma^2+eps)*(m*g_i - sum(g_j, j, 1, m) - xhat_i*sum(g_j*xhat_j, j, 1, m))",
                    r"the factor $1/m$ lost"),
               Slip("gamma/(m*sqrt(sum((x_j-mu)^2, j, 1, m)/(m-1)+eps))*(m*g_i - sum(g_j, j, 1, m)"
                    " - (x_i-mu)/sqrt(sum((x_j-mu)^2, j, 1, m)/(m-1)+eps)*sum(g_j*(x_j-mu), j, 1, m)"
                    "/sqrt(sum((x_j-mu)^2, j, 1, m)/(m-1)+eps))",
                    r"the unbiased variance $\frac{1}{m-1}\sum_j (x_j - \mu)^2$ used for $\sigma^2$; training-time "
                    r"batch normalisation divides by $m$"))),
)


GRAD_IDENTITIES = Part(
    id="batchnorm.grad_identities", title="The two sums of the input gradient, with exact ε",
    sheet=Sheet(
        statement=SETUP + r"Find $\sum_i \partial l / \partial x_i$ and $\sum_i \hat x_i\, \partial l / \partial x_i$ "
                  r"for $\epsilon > 0$. Textbooks state both are 0; which one is, and when?",
        demonstrations=(Demonstration(r"The derived $\sum_i \hat x_i\, \partial l / \partial x_i$ in exact arithmetic on "
                                      r"the near-constant batch $x = (0, 0.01)$ ($\sigma^2 = 2.5 \times 10^{-5}$), "
                                      r"$g = (1, 0)$, $\gamma = 1$: once $\epsilon$ is comparable to $\sigma^2$ the textbook's "
                                      r"value $0$ is far off", exact_identity_values),)),
    derivation=Derivation(
        variables=VARIABLES, sizes=IDENTITY_SIZES, numeric_sizes=NUMERIC, derive=identities,
        result=lambda v: sp.Matrix([0, v.gamma * v.eps * (v.sigma2 + v.eps) ** sp.Rational(-3, 2) * h_sum(v)]),
        result_lhs=r"\begin{pmatrix} \sum_i \partial l / \partial x_i \\ \sum_i \hat x_i\, \partial l / \partial x_i \end{pmatrix}",
        steps=(
            Step(r"\sum_i \hat{x}_i", lambda v: 0, r"$\sum_i (x_i - \mu) = 0$",
                 target=lambda v: sum(normalised(v.x, v.eps))),
            Step(r"\sum_i \hat{x}_i^2", lambda v: v.m * v.sigma2 / (v.sigma2 + v.eps),
                 r"$\sum_i (x_i - \mu)^2 = m \sigma^2$: below $m$ whenever $\epsilon > 0$",
                 target=lambda v: sum(e ** 2 for e in normalised(v.x, v.eps))),
            Step(r"\sum_i \frac{\partial l}{\partial x_i}", lambda v: -v.gamma / (v.m * sp.sqrt(v.sigma2 + v.eps))
                 * h_sum(v) * v.sum(lambda k: v.xhat[k], "m", "i"),
                 r"sum the compact form of $\partial l / \partial x_i$ (proved in ``batchnorm.grad_x``) over $i$: $m g_i$ and "
                 r"$\sum_j g_j$ cancel, and $\sum_i \hat x_i = 0$", target=lambda v: sum(compact(v))),
            Step(r"\sum_i \hat{x}_i \frac{\partial l}{\partial x_i}", lambda v: v.gamma * h_sum(v) / sp.sqrt(v.sigma2 + v.eps)
                 * (1 - v.sigma2 / (v.sigma2 + v.eps)),
                 r"multiply the compact form by $\hat x_i$, sum, and use the two sums above; "
                 r"$1 - \sigma^2 / (\sigma^2 + \epsilon) = \epsilon / (\sigma^2 + \epsilon)$, which is 0 only at "
                 r"$\epsilon = 0$ (for $\gamma \neq 0$, $\sum_j g_j \hat x_j \neq 0$)", target=lambda v: weighted_compact(v)),
        ),
        oracle=Oracle(bn.gradient_sums, "sums of central finite differences of a NumPy batch-norm forward",
                      bn.FD_TOLERANCE, bn.FD_REASON),
        checks=(Refutation(r"the textbook identity $" + TEXTBOOK_ZERO + r"$ is false for $\epsilon > 0$",
                           lambda v: sp.Matrix([0, 0]), {"m": 2},
                           {"x": (0, 1), "g": (1, 0), "gamma": 1, "beta": 0, "eps": sp.Rational(1, 4)}),)),
)


BIAS_CANCELS = Part(
    id="batchnorm.bias_cancels", title="A bias before batch normalisation cancels",
    sheet=Sheet(
        statement=SETUP + r"Show $\mathrm{BN}(x + b\mathbf{1}) = \mathrm{BN}(x)$ for every constant $b$, and what it "
                  r"means for a convolution or linear layer with a bias feeding batch normalisation."),
    derivation=Derivation(
        variables=(x, Variable("b"), g, gamma, beta, eps, mu, sigma2, xhat), sizes=SIZES, numeric_sizes=NUMERIC,
        derive=lambda v: batch_norm(v.x + v.b * ones(v.m), v.gamma, v.beta, v.eps),
        result=lambda v: v.gamma * v.xhat + v.beta * ones(v.m), result_lhs=r"\mathrm{BN}(x + b\mathbf{1})",
        steps=(
            Step(r"\mu(x + b\mathbf{1})", lambda v: v.mu + v.b, "the mean moves with the batch",
                 target=lambda v: batch_mean(v.x + v.b * ones(v.m))),
            Step(r"x_i + b - \mu(x + b\mathbf{1})", lambda v, i: v.x[i] - v.mu, "the shift cancels in every deviation", "i",
                 target=lambda v: v.x + v.b * ones(v.m) - batch_mean(v.x + v.b * ones(v.m)) * ones(v.m)),
            Step(r"\sigma^2(x + b\mathbf{1})", lambda v: v.sigma2, "so the variance, made of deviations, is unchanged",
                 target=lambda v: batch_variance(v.x + v.b * ones(v.m))),
            Step(r"\frac{\partial l}{\partial b}", lambda v: 0,
                 r"differentiate $l = \sum_i g_i y_i$ through $\mathrm{BN}(x + b \mathbf 1)$: a convolution or "
                 r"linear bias in front of batch normalisation gets zero gradient and never learns; it is redundant "
                 r"(its role is taken by $\beta$), which is why such layers are built without one",
                 target=lambda v: sp.diff(sum((v.g[k] * batch_norm(v.x + v.b * ones(v.m), v.gamma, v.beta, v.eps)[k]
                                               for k in range(v.m)), sp.S.Zero), v.b)),
        ),
        oracle=Oracle(lambda d: bn.batch_norm(d["x"] + d["b"], d["gamma"], d["beta"], d["eps"]),
                      "a NumPy batch-norm forward of the shifted batch", 1e-7,
                      r"the shift $b$ (up to about 30) is added in float64 before centring, which loses up to "
                      r"$|b| \varepsilon / s$ relative to the spread $s$: up to $\approx 10^{-8}$ on near-constant "
                      r"batches; a "
                      r"shift that did not cancel errs by $O(|b| / s)$")),
)


SCALE = Part(
    id="batchnorm.scale", title="Scaling the input before batch normalisation",
    sheet=Sheet(
        statement=r"With $\epsilon = 0$, find $\hat x_i$ of the scaled batch $\alpha x$ ($\alpha \neq 0$) in terms of "
                  r"$\alpha$ and $\hat x_i = (x_i - \mu)/\sigma$, the normalised unscaled batch."),
    derivation=Derivation(
        variables=(x, Variable("alpha", domain=NONZERO, latex=r"\alpha"), mu, sigma2,
                   Variable("xhat", ("m",), latex=r"\hat{x}", spellings=(r"\hat{x}", "x_hat"),
                            definition=lambda v: normalised_of(v, 0), numeric=lambda d: bn.normalised(d["x"], 0.0))),
        sizes=SIZES, numeric_sizes=NUMERIC,
        # factor_terms takes alpha out of every sum, so SymPy itself writes sqrt(alpha^2) = |alpha|.
        derive=lambda v: normalised(v.alpha * v.x, 0).applyfunc(sp.factor_terms),
        result=lambda v: sp.sign(v.alpha) * v.xhat, result_lhs=r"\hat{x}(\alpha x)",
        steps=(
            Step(r"\mu(\alpha x)", lambda v: v.alpha * v.mu, "the mean is linear",
                 target=lambda v: batch_mean(v.alpha * v.x)),
            Step(r"\sigma^2(\alpha x)", lambda v: v.alpha ** 2 * v.sigma2, r"every deviation scales by $\alpha$",
                 target=lambda v: batch_variance(v.alpha * v.x)),
            Step(r"\sqrt{\sigma^2(\alpha x)}", lambda v: sp.Abs(v.alpha) * sp.sqrt(v.sigma2),
                 r"$\sqrt{\alpha^2} = |\alpha|$, proved separately for $\alpha > 0$ and $\alpha < 0$",
                 target=lambda v: sp.sqrt(batch_variance(v.alpha * v.x))),
            Step(r"\hat{x}_i(\alpha x)", lambda v, i: v.alpha / sp.Abs(v.alpha) * v.xhat[i],
                 r"so $\alpha / |\alpha| = \operatorname{sign}(\alpha)$ multiplies $\hat x_i$: for $\alpha > 0$ the "
                 r"scale of the layer before batch normalisation changes nothing; a negative scale flips the sign", "i"),
        ),
        oracle=Oracle(lambda d: bn.normalised(d["alpha"] * d["x"], 0.0), "a NumPy normalisation of the scaled batch", 1e-9,
                      r"centring and one division in float64, on batches whose spread is at least $10^{-5}$ of their "
                      r"level: error below $10^{-10}$; a wrong sign or factor errs by $O(1)$")),
    grading=Grading(
        slips=(Slip("xhat_i", r"the sign of $\alpha$ dropped: right only for $\alpha > 0$"),
               Slip("alpha*xhat_i", r"the scale does not survive normalisation: $\alpha$ cancels up to its sign"))),
)


CLASS_BATCHES = Part(
    id="batchnorm.class_batches", title="One-class mini-batches: training and test disagree",
    sheet=Sheet(
        statement=r"Two classes $a, b$ give one feature with means $\mu_a, \mu_b$ and within-class variance "
                  r"$\sigma_w^2$. Training normalises each mini-batch of $m$ samples by its own statistics and keeps "
                  r"PyTorch's running mean and variance (momentum $0.1$, unbiased batch variance), which are used at "
                  r"test time. Every mini-batch holds one class, in shuffled order; compare mixed batches. Find class "
                  r"$a$'s mean normalised value in training and at test time.",
        figures=(Figure("class-means", r"Each class's mean normalised feature in training (batch statistics) and at "
                        r"test (running statistics), from the simulation in the table above.",
                        lambda ax: bn.draw_class_means(ax, CLASS_DEMO)),),
        demonstrations=(Demonstration(
            r"A seeded NumPy simulation (seed 0): classes $a, b$ with means $-1, +1$, within-class variance $0.25$, "
            r"$m = 32$, $\epsilon = 10^{-5}$, 4000 batches. What it means: every one-class batch is normalised by its "
            r"own mean, so in training both classes sit at 0 and the layers after batch normalisation never see this "
            r"feature tell them apart; at test time the running statistics, which average over the classes, put them "
            r"at $\pm(\mu_b - \mu_a)/(2\sqrt{\sigma_w^2 + \epsilon})$, inputs the network never met in training. "
            r"With mixed batches the training and test values agree, as the derived result says.",
            lambda: bn.class_table(CLASS_DEMO)),)),
    derivation=Derivation(
        variables=(mu_a, mu_b, within, class_eps), sizes=CLASS_SIZES, numeric_sizes={"m": [2, 3, 4, 8, 32]},
        derive=lambda v: sp.Matrix([train_time_class_mean(v.m, v.mu_a, v.eps)] + [test_time_class_mean(
            v.m, v.mu_a, v.mu_b, v.s2, v.eps, MOMENTUM, mixed) for mixed in (False, True)]),
        result=lambda v: sp.Matrix([0, (v.mu_a - v.mu_b) / (2 * sp.sqrt(v.s2 + v.eps)),
                                    (v.mu_a - v.mu_b) / (2 * sp.sqrt(v.s2 + (v.mu_a - v.mu_b) ** 2 / 4 + v.eps))]),
        result_lhs=r"\begin{pmatrix} \text{training, one-class batches} \\ \text{test, after one-class batches} "
                   r"\\ \text{test, after mixed batches} \end{pmatrix}",
        steps=(
            Step(r"\mathbb{E}[\mu_B]", lambda v: (v.mu_a + v.mu_b) / 2,
                 r"one-class or mixed, a batch's mean is $\mu_a$ or $\mu_b$ on average, each with probability $\frac12$ "
                 r"(expectation engine over the class labels and Gaussian noise)",
                 target=lambda v: expected(v, batch_mean, False)),
            Step(r"\mathbb{E}[s_B^2]_{\text{one class}}", lambda v: v.s2,
                 r"a one-class batch's unbiased variance sees only the within-class spread",
                 target=lambda v: expected(v, lambda b: batch_variance(b, unbiased=True), False)),
            Step(r"\mathbb{E}[s_B^2]_{\text{mixed}}", lambda v: v.s2 + (v.mu_a - v.mu_b) ** 2 / 4,
                 r"a mixed batch's also sees the between-class spread $(\mu_a - \mu_b)^2/4$",
                 target=lambda v: expected(v, lambda b: batch_variance(b, unbiased=True), True)),
            Step(r"r_{\mu}", lambda v: (v.mu_a + v.mu_b) / 2,
                 r"the running mean's fixed point $r = 0.9\, r + 0.1\, \mathbb{E}[\mu_B]$; likewise the running variance "
                 r"settles at $\mathbb{E}[s_B^2]$", target=lambda v: stationary_value(MOMENTUM, (v.mu_a + v.mu_b) / 2)),
        ),
        oracle=Oracle(bn.class_batches_oracle,
                      "a seeded NumPy simulation of 20000 training batches per setting, PyTorch's running-statistics "
                      "update, the running statistics averaged after 200 batches", 0.05,
                      r"sampling error of the time-averaged running statistics over 20000 batches: worst "
                      r"$1.2 \times 10^{-2}$ (at $m = 2$) over 300 seeded cases, smaller for larger $m$; 0.05 leaves "
                      r"a factor 4, while the one-class test value differs from the training value 0 and from the "
                      r"mixed value by $O(1)$", cases=12)),
)


PARTS = [GRAD_GAMMA, GRAD_BETA, GRAD_X, GRAD_IDENTITIES, BIAS_CANCELS, SCALE, CLASS_BATCHES]
