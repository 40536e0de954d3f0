r"""Optimisers: Adam's moment estimates, their bias and its correction, and gradient
descent and damped Newton on a quadratic $f(w) = \frac12 w^\top H w$: closed forms, step-size
bounds and the optimal step.

Recurrences are solved with a symbolic step count t (``derive.maths.recurrences``), step-size
bounds come from SymPy's inequality solvers and are compared as sets
(``derive.maths.inequalities``), and what the algorithms do is checked by running them
(``derive.verify.simulation``)."""
import sympy as sp

from derive import Derivation, Figure, Grading, Oracle, Param, Parameters, Part, Sheet, Slip, Step, Variable, parametrised
from derive.model.domains import NONZERO, POSITIVE, SPD, STEP_COUNT, STEP_SIZE, Interval
from derive.model.functions import identity, zero_vector
from derive.maths.inequalities import as_relational, intersection_over
from derive.maths.moving_averages import (adam_closed_form, adam_first_step, adam_trajectory, ema, ema_at,
                                          ema_iterated, ema_mean, moment, step_sum)
from derive.maths.quadratics import iterate, linear_factor, minimax_step, quadratic_gradient
from derive.maths.recurrences import Induction, expect_linear
from derive.verify.dynamics_figures import plot_adam_moments, plot_gd_losses, plot_gd_paths
from derive.verify.optimiser_oracles import (CONVERGENCE_REASON, GD_STEP_BOUND_CHECK, MC_REASON,
                                             NEWTON_STEP_BOUND_CHECK, RATE_MARGIN, adam_numpy, closed_form_check,
                                             closed_form_strategy, gd_converges, gd_loop, moment_loop,
                                             monte_carlo_first_moment, newton_converges, optimal_rate_check,
                                             step_bound_strategy, ternary_search_step, trajectory_check,
                                             trajectory_strategy, unbiased_check, unbiased_strategy)
from derive.verify.simulation import Simulation

TITLE = "Optimisers: Adam and gradient descent on quadratics"

EPS_SPELLINGS = ("epsilon", r"\epsilon", r"\varepsilon")


def beta(k):
    return Variable(f"beta_{k}", domain=Interval(low=0.0, high=1.0, description="in (0, 1)"),
                    spellings=(rf"\beta_{k}", rf"\beta_{{{k}}}"), latex=rf"\beta_{k}")


beta_1, beta_2 = beta(1), beta(2)
alpha = Variable("alpha", domain=POSITIVE, spellings=(r"\alpha",), latex=r"\alpha")
adam_eps = Variable("eps", domain=POSITIVE, spellings=EPS_SPELLINGS, latex=r"\epsilon")
step = Variable("eps", domain=STEP_SIZE, spellings=EPS_SPELLINGS, latex=r"\epsilon")
# Sampled apart (lambda_min < 1 < lambda_max) so every sample is a valid spectrum.
lambda_min = Variable("lambda_min", domain=Interval(low=0.25, high=1.0, description="the smallest eigenvalue of H: positive"),
                      spellings=(r"\lambda_{\min}", r"\lambda_{min}"), latex=r"\lambda_{\min}")
lambda_max = Variable("lambda_max", domain=Interval(low=1.0, high=4.0, description="the largest eigenvalue of H"),
                      spellings=(r"\lambda_{\max}", r"\lambda_{max}"), latex=r"\lambda_{\max}")
kappa = Variable("kappa", spellings=(r"\kappa",), latex=r"\kappa",
                 definition=lambda v: v.lambda_max / v.lambda_min,
                 numeric=lambda x: x["lambda_max"] / x["lambda_min"])
H = Variable("H", ("n", "n"), SPD, symmetric=True)
w_0 = Variable("w_0", ("n",), spellings=("w0",), latex="w_0")

T = sp.Symbol("t", integer=True, nonnegative=True)   # the step count of symbolic recurrences
G = sp.IndexedBase("g")                                # the gradient sequence g_1, g_2, ...
SQUARES = sp.IndexedBase("q")                          # q_i = g_i^2, the sequence the second moment averages
LAMBDA = sp.Symbol("lambda", positive=True)            # one eigenvalue of H
I = sp.Symbol("i", integer=True, positive=True)        # the summation index solve_first_order uses


def between(low, x, high):
    """low < x < high, kept in that order for printing (Python would turn 0 < x into x > 0)."""
    return sp.And(sp.StrictLessThan(low, x), sp.StrictLessThan(x, high))


# ----------------------------------------------------------------------------- Adam, in SymPy
def stationary_mean(b, mean, sequence=G):
    return ema_mean(b, mean, sequence, T)


def unrolled(v):
    """m_t solved from its recurrence at symbolic t, then taken at the part's size."""
    return ema_at(v.beta_1, G, T, v.t, None if v.general else v.g)


def over_steps(v, term, size="t"):
    """sum_{i=1}^{t} term(i, g_i): written out at an explicit size, a Sum at a symbolic one."""
    return step_sum(term, v.g, getattr(v, size))


def corrected_at(v, index, power, b):
    """The bias-corrected moment at step t = index + 1 (t = index in general)."""
    t = index if v.general else index + 1
    return moment(b, v.g, power, t) / (1 - b ** t)


# ----------------------------------------------------------------------------- quadratics, in SymPy
def gd_iterate(v, steps=None):
    return iterate(lambda w: w - v.eps * quadratic_gradient(v.H, w), v.w_0, v.t if steps is None else steps)


def gd_closed(v):
    a = identity(v.n) - v.eps * v.H
    return sp.MatPow(a, v.t) * v.w_0 if v.general else a ** v.t * v.w_0


def gd_step_bound(v):
    """|1 - eps lambda| < 1 for every eigenvalue in [lambda_min, lambda_max], solved for eps."""
    allowed = intersection_over(lambda lam: sp.Abs(1 - v.eps * lam) < 1, v.eps, LAMBDA,
                                v.lambda_min, v.lambda_max)
    return allowed.as_relational(v.eps)


def newton_factor(v):
    """c with w - eps H^{-1} grad f(w) = c w for every w (SymPy inverts the explicit H)."""
    return linear_factor(lambda w: w - v.eps * v.H.inv() * quadratic_gradient(v.H, w), v.n,
                         "optim: damped Newton")


def newton_bound(v):
    return as_relational(sp.Abs(newton_factor(v)) < 1, v.eps)


def optimal_step(v):
    """argmin and min over eps of max(|1 - eps lambda_min|, |1 - eps lambda_max|)."""
    return minimax_step(lambda e, lam: 1 - e * lam, v.lambda_min, v.lambda_max)


# ----------------------------------------------------------------------------- parts
g_seq = Variable("g", ("t",), latex="g")
mu = Variable("mu", spellings=("E[g]", r"\mathbb{E}[g]", r"\mathbb{E}[g_t]", r"\mu"), latex=r"\mathbb{E}[g]")
nu = Variable("nu", spellings=("E[g^2]", r"\mathbb{E}[g^2]", r"\mathbb{E}[g_t^2]", r"\nu"),
              latex=r"\mathbb{E}[g^2]")
t_count = Variable("t", domain=STEP_COUNT)

ADAM_UNROLL = Part(
    id="optim.adam_unroll", title="Adam's first moment, unrolled",
    sheet=Sheet(statement=r"Adam keeps $m_t = \beta_1 m_{t-1} + (1 - \beta_1) g_t$ from $m_0 = 0$. "
                          r"Write $m_t$ as a sum over the gradients $g_1, \dots, g_t$.",
                instance_sizes={"t": 3}),
    derivation=Derivation(
        variables=(g_seq, beta_1), sizes={"t": range(1, 7)}, derive=unrolled,
        result=lambda v: (1 - v.beta_1) * over_steps(v, lambda i, g: v.beta_1 ** (v.t - i) * g), result_lhs="m_t",
        steps=(
            Step(r"m_t / \beta_1^t", lambda v: over_steps(v, lambda i, g: (1 - v.beta_1) * g / v.beta_1 ** i),
                 r"$c_t = m_t / \beta_1^t$ ($\beta_1^t$ solves the homogeneous recurrence, by SymPy's rsolve) "
                 r"obeys $c_t - c_{t-1} = (1 - \beta_1) g_t / \beta_1^t$; "
                 r"telescope from $c_0 = 0$", target=lambda v: unrolled(v) / v.beta_1 ** v.t),
            Step("m_t", lambda v: over_steps(v, lambda i, g: (1 - v.beta_1) * v.beta_1 ** (v.t - i) * g),
                 r"the same as iterating the recurrence $t$ times from $m_0 = 0$", target=lambda v: ema_iterated(v.beta_1, v.g)[-1]),
        ),
        oracle=Oracle(moment_loop,
                      "a plain NumPy loop of the recurrence", 1e-12,
                      r"at most $6$ multiply-adds per step in float64 on $O(1)$ numbers: error about $10^{-15}$"),
        checks=(Induction(r"$m_t = (1 - \beta_1) \sum_{i=1}^{t} \beta_1^{t-i} g_i$ for every $t$",
                          lambda v: over_steps(v, lambda i, g: (1 - v.beta_1) * v.beta_1 ** (v.t - i) * g),
                          lambda v, prev, t: v.beta_1 * prev + (1 - v.beta_1) * G[t],
                          lambda v: 0, sequence="g"),)),
    grading=Grading(neighbours=("optim.adam_bias",),
                    slips=(Slip("sum(beta_1^(t-i)*g_i, i, 1, t)", r"the factor $1 - \beta_1$ forgotten"),
                           Slip("(1-beta_1)*sum(beta_1^i*g_i, i, 1, t)",
                                r"the exponent reversed: the oldest gradient weighted most"))),
)


ADAM_BIAS = Part(
    id="optim.adam_bias", title="Bias of Adam's moments and its correction",
    sheet=Sheet(statement=r"For stationary gradients ($\mathbb{E}[g_i] = \mathbb{E}[g]$ for every $i$), find "
                          r"$\mathbb{E}[m_t]$, and the factor that makes $\hat m_t = m_t/(1 - \beta_1^t)$ unbiased; "
                          r"likewise for $v_t$ with $\beta_2$ and $\mathbb{E}[g^2]$.",
                figures=(Figure("adam_moments", r"$m_t$ and the corrected $\hat m_t$ over the first $40$ steps "
                                r"for noisy gradients with $\mathbb{E}[g] = 1$ (NumPy)", plot_adam_moments),)),
    derivation=Derivation(
        variables=(beta_1, t_count, mu, beta_2, nu), derive=lambda v: stationary_mean(v.beta_1, v.mu).subs(T, v.t),
        result=lambda v: (1 - v.beta_1 ** v.t) * v.mu, result_lhs=r"\mathbb{E}[m_t]",
        steps=(
            Step(r"\mathbb{E}[m_t]", lambda v: (1 - v.beta_1) * v.mu * sp.Sum(v.beta_1 ** (v.t - I), (I, 1, v.t)),
                 r"linearity of $\mathbb{E}$ on $m_t = (1 - \beta_1) \sum_i \beta_1^{t-i} g_i$, "
                 r"with $\mathbb{E}[g_i] = \mathbb{E}[g]$",
                 target=lambda v: expect_linear(ema(v.beta_1, G, T), G, lambda i: v.mu).subs(T, v.t)),
            Step(r"\mathbb{E}[m_t]", lambda v: v.mu * (1 - v.beta_1) * (1 - v.beta_1 ** v.t) / (1 - v.beta_1),
                 r"geometric sum $\sum_{i=1}^t \beta_1^{t-i} = (1 - \beta_1^t)/(1 - \beta_1)$"),
        ),
        # The correction factor, and the same for v_t: each proved against its own derivation.
        also=(
            Step(r"\mathbb{E}[\hat m_t] = \mathbb{E}\left[\frac{m_t}{1 - \beta_1^t}\right]", lambda v: v.mu,
                 r"dividing by the bias-correction factor $1 - \beta_1^t$",
                 target=lambda v: stationary_mean(v.beta_1, v.mu).subs(T, v.t) / (1 - v.beta_1 ** v.t)),
            Step(r"\mathbb{E}[v_t]", lambda v: (1 - v.beta_2 ** v.t) * v.nu,
                 r"the same derivation for $v_t = \beta_2 v_{t-1} + (1 - \beta_2) g_t^2$",
                 target=lambda v: stationary_mean(v.beta_2, v.nu, SQUARES).subs(T, v.t)),
            Step(r"\mathbb{E}[\hat v_t] = \mathbb{E}\left[\frac{v_t}{1 - \beta_2^t}\right]", lambda v: v.nu,
                 r"dividing by $1 - \beta_2^t$",
                 target=lambda v: stationary_mean(v.beta_2, v.nu, SQUARES).subs(T, v.t) / (1 - v.beta_2 ** v.t)),
        ),
        oracle=Oracle(monte_carlo_first_moment, r"Monte Carlo: the mean of $m_t$ over $40000$ simulated runs "
                      "of the recurrence with stationary Gaussian gradients", 0.03, MC_REASON, cases=25)),
    grading=Grading(
        neighbours=("optim.adam_unroll",), expects=r"$\mathbb{E}[m_t]$ in $\beta_1$, $t$ and $\mathbb{E}[g]$",
        slips=(Slip("E[g]", r"the bias forgotten: that is $\mathbb{E}[\hat m_t]$"),
               Slip("beta_1^t*E[g]", r"the weight of the zero start given instead of the rest"))),
)


# The worked number's β's: the usual choices, all below 1 (no zero denominator).
ADAM_FIRST_PARAMETERS = (Param("beta_1", "0.9", choices=("0.5", "0.8", "0.9", "0.95", "0.99"), what="beta_1 of the worked number"),
                         Param("beta_2", "0.999", choices=("0.99", "0.995", "0.999", "0.9999"), what="beta_2 of the worked number"))


def adam_first(values):
    at = {"beta_1": sp.Rational(values["beta_1"]), "beta_2": sp.Rational(values["beta_2"])}
    ratio = (1 - at["beta_1"]) / sp.sqrt(1 - at["beta_2"])
    worked = (rf"at $\beta_1 = {values['beta_1']}$, $\beta_2 = {values['beta_2']}$: "
              rf"${sp.latex(sp.Float(1 - at['beta_1'], 6))}/\sqrt{{{sp.latex(sp.Float(1 - at['beta_2'], 6))}}} = "
              rf"{sp.latex(ratio)}" + ("$" if ratio.is_Rational else rf" \approx {float(ratio):.3g}$"))
    return Part(
        id="optim.adam_first_step", title="Adam's first step with and without bias correction",
        sheet=Sheet(statement=r"With $\epsilon = 0$, find the magnitude of Adam's first update $|\theta_1 - \theta_0|$ "
                              r"with and without bias correction; then evaluate it at "
                              rf"$\beta_1 = {values['beta_1']}$, $\beta_2 = {values['beta_2']}$."),
        derivation=Derivation(
            variables=(alpha, beta_1, beta_2, Variable("g_1", domain=NONZERO, latex="g_1")),
            derive=lambda v: adam_first_step(v.alpha, v.beta_1, v.beta_2, v.g_1, correct=False),
            result=lambda v: v.alpha * (1 - v.beta_1) / sp.sqrt(1 - v.beta_2),
            result_lhs=r"|\theta_1 - \theta_0|_{\text{uncorrected}}",
            steps=(
                Step("m_1", lambda v: (1 - v.beta_1) * v.g_1, r"$m_0 = 0$",
                     target=lambda v: v.beta_1 * 0 + (1 - v.beta_1) * v.g_1),
                Step(r"|\theta_1 - \theta_0|_{\text{corrected}}", lambda v: v.alpha,
                     r"$\hat m_1 = g_1$ and $\hat v_1 = g_1^2$, so the step is $\alpha\, g_1 / |g_1|$",
                     target=lambda v: adam_first_step(v.alpha, v.beta_1, v.beta_2, v.g_1, correct=True)),
                Step(r"|\theta_1 - \theta_0|_{\text{uncorrected}}", lambda v: ratio * v.alpha, worked,
                     target=lambda v: adam_first_step(v.alpha, v.beta_1, v.beta_2, v.g_1, correct=False).subs(
                         {v.beta_1: at["beta_1"], v.beta_2: at["beta_2"]})),
            ),
            oracle=Oracle(lambda x: abs(adam_numpy(0.0, [x["g_1"]], x["alpha"], x["beta_1"], x["beta_2"], 0.0,
                                                   correct=False)[0]),
                          r"one step of a plain NumPy Adam loop without bias correction, $\epsilon = 0$", 1e-12,
                          r"a handful of float64 operations: relative error about $10^{-15}$")),
        grading=Grading(neighbours=("optim.adam_bias",),
                        expects=r"the magnitude without correction, $|\theta_1 - \theta_0|_{\text{uncorrected}}$",
                        slips=(Slip("alpha", r"the corrected magnitude"),
                               Slip("alpha*(1-beta_1)/(1-beta_2)", r"the square root of $\hat v_1$ forgotten"))),
    )


ADAM_FIRST_STEP = parametrised(Parameters(ADAM_FIRST_PARAMETERS, adam_first))


ADAM_UPDATE = Part(
    id="optim.adam_update", title="The Adam update, step by step",
    sheet=Sheet(statement=r"Adam with $\alpha = 10^{-3}$, $\beta_1 = 0.9$, $\beta_2 = 0.999$, $\epsilon = 10^{-8}$: "
                          r"$m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t$, $v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2$, "
                          r"$\hat m_t = m_t/(1-\beta_1^t)$, $\hat v_t = v_t/(1-\beta_2^t)$, "
                          r"$\theta_t = \theta_{t-1} - \alpha \hat m_t / (\sqrt{\hat v_t} + \epsilon)$."),
    derivation=Derivation(
        variables=(Variable("g", ("T",), latex="g"), Variable("theta_0", latex=r"\theta_0"), alpha, beta_1,
                   beta_2, adam_eps),
        sizes={"T": range(1, 4)}, numeric_sizes={"T": [1, 2, 3, 5, 8]}, derive=lambda v: adam_trajectory(v.theta_0, v.g, v.alpha, v.beta_1, v.beta_2, v.eps),
        result=lambda v: adam_closed_form(v.theta_0, v.g, v.alpha, v.beta_1, v.beta_2, v.eps, None if v.general else v.T), result_lhs=r"\theta_t",
        steps=(
            Step(r"\hat m_t", lambda v, i: corrected_at(v, i, 1, v.beta_1),
                 r"the unrolled $m_t$ of the first part, over $1 - \beta_1^t$", "t",
                 target=lambda v: sp.Matrix(ema_iterated(v.beta_1, v.g, corrected=True))),
            Step(r"\hat v_t", lambda v, i: corrected_at(v, i, 2, v.beta_2),
                 r"likewise with $\beta_2$ and $g_i^2$", "t",
                 target=lambda v: sp.Matrix(ema_iterated(v.beta_2, [g ** 2 for g in v.g], corrected=True))),
        ),
        oracle=Oracle(lambda x: adam_numpy(x["theta_0"], x["g"], x["alpha"], x["beta_1"], x["beta_2"], x["eps"]),
                      r"a plain NumPy Adam loop, $\theta_1, \dots, \theta_T$ compared at every step", 1e-10,
                      r"at most $8$ steps of float64 arithmetic; the update's sensitivity to round-off in "
                      r"$m_t$ is bounded by $1/\sqrt{1 - \beta_2}$, so errors stay below $10^{-13}$"),
        checks=(
            Simulation(r"$\theta_1, \dots, \theta_T$ match a NumPy Adam loop on Hypothesis-generated gradient "
                       "sequences (zeros, tiny and large gradients; default and random hyperparameters)",
                       trajectory_strategy, trajectory_check,
                       "closed form (lambdified) against a plain NumPy Adam loop", 1e-10,
                       r"up to $6$ float64 steps; see the numeric cross-check", cases=60),
            Simulation(r"the corrected estimates are unbiased: $\mathbb{E}[\hat m_t] = \mathbb{E}[g]$, "
                       r"$\mathbb{E}[\hat v_t] = \mathbb{E}[g^2]$",
                       unbiased_strategy, unbiased_check,
                       r"$40000$ simulated Adam runs per case on stationary $N(\mathbb{E}[g], \sigma^2)$ gradients; "
                       r"error = largest $|\text{mean} - \text{expectation}|$ in standard errors", 5.0,
                       r"a $z$-score above $5$ has probability about $6 \times 10^{-7}$ per comparison when the "
                       r"estimate is unbiased; a bias of $\beta^t \mathbb{E}[g]$ shows as $z$ in the hundreds for "
                       r"small $t$", cases=12),
        )),
)


GD_CLOSED_FORM = Part(
    id="optim.gd_closed_form", title="Gradient descent on a quadratic, in closed form",
    sheet=Sheet(statement=r"For $f(w) = \frac12 w^\top H w$ and $w_{t+1} = w_t - \epsilon \nabla f(w_t)$, "
                          r"find $w_t$ in terms of $w_0$.",
                instance_sizes={"n": 1, "t": 3}),
    derivation=Derivation(
        variables=(H, w_0, step), sizes={"n": [1, 2, 3, 3], "t": [0, 1, 2, 3]}, derive=gd_iterate, result=gd_closed,
        result_lhs="w_t",
        steps=(
            Step(r"\nabla f(w_0)", lambda v: v.H * v.w_0, "differentiate $f$; $H$ is symmetric",
                 target=lambda v: quadratic_gradient(v.H, v.w_0)),
            Step("w_1", lambda v: (identity(v.n) - v.eps * v.H) * v.w_0, r"one step: $w_0 - \epsilon H w_0$",
                 target=lambda v: gd_iterate(v, 1)),
        ),
        numeric_sizes={"n": [1, 2, 3, 4], "t": [0, 1, 2, 3, 5]},
        oracle=Oracle(gd_loop, r"a plain NumPy gradient-descent loop of $t$ steps", 1e-9,
                      r"at most $5$ float64 matrix-vector steps on $O(1)$ numbers: error about $10^{-14}$"),
        checks=(
            Induction(r"$w_t = (I - \epsilon H)^t w_0$ for every $t$ and $n$", gd_closed,
                      lambda v, prev, t: prev - v.eps * v.H * prev, lambda v: v.w_0),
            Simulation(r"the closed form equals a NumPy gradient-descent loop ($t \le 40$, $n \le 6$)",
                       closed_form_strategy, closed_form_check,
                       r"$(I - \epsilon H)^t w_0$ evaluated at the sampled numbers against a NumPy loop", 1e-9,
                       r"$40$ float64 matrix-vector steps with $|1 - \epsilon\lambda| \le 1.4$: error below "
                       r"$10^{-9}$ of the largest value", cases=40),
        )),
    grading=Grading(neighbours=("optim.gd_step_bound", "optim.newton_step_bound"),
                    slips=(Slip("(I + eps*H)^t*w_0", r"the step taken uphill: $+\epsilon \nabla f$"),
                           Slip("(I - eps*H)^(t-1)*w_0", r"one step too few: the count started at $w_1$"))),
)


GD_STEP_BOUND = Part(
    id="optim.gd_step_bound", title="The step-size bound of gradient descent",
    sheet=Sheet(
        statement=r"For symmetric positive definite $H$ with eigenvalues in $[\lambda_{\min}, \lambda_{\max}]$, "
                  r"for which $\epsilon$ does gradient descent on $\frac12 w^\top H w$ converge from every $w_0$?",
        figures=(Figure("gd_losses", r"$f(w_t)$ on $H = \operatorname{diag}(1, 4)$ ($2/\lambda_{\max} = 0.5$): "
                        r"below, at and above the bound (NumPy)", plot_gd_losses),
                 Figure("gd_paths", r"The iterates' $\lambda_{\max}$ coordinate on $H = \operatorname{diag}(1, 4)$ "
                        r"flips sign every step: shrinking below the bound, constant at it, growing above",
                        plot_gd_paths))),
    derivation=Derivation(
        variables=(step, lambda_max, lambda_min), derive=gd_step_bound,
        result=lambda v: between(0, v.eps, 2 / v.lambda_max), result_lhs=r"\{\epsilon : w_t \to 0 \ \forall w_0\}",
        steps=(
            Step(r"\{\epsilon : |1 - \epsilon\lambda| < 1\}", lambda v: between(0, v.eps, 2 / LAMBDA),
                 r"in $H$'s eigenbasis $w_t = \sum_i (1 - \epsilon\lambda_i)^t (q_i^\top w_0) q_i$: each mode "
                 r"decays iff $|1 - \epsilon\lambda_i| < 1$ (SymPy's inequality solver)",
                 target=lambda v: as_relational(sp.Abs(1 - v.eps * LAMBDA) < 1, v.eps)),
            Step(r"\{\epsilon : w_t \to 0 \ \forall w_0\}", lambda v: between(0, v.eps, 2 / v.lambda_max),
                 r"$2/\lambda$ decreases in $\lambda$, so over the spectrum $\lambda_{\max}$ binds"),
        ),
        oracle=Oracle(gd_converges, r"NumPy gradient descent at the sampled step size on a random $4 \times 4$ "
                      "SPD matrix with the sampled extreme eigenvalues: converges or not", 0.0,
                      CONVERGENCE_REASON),
        checks=(Simulation("GD converges just inside the claimed bound, diverges just outside, and neither "
                           "decays nor grows on it (oscillating at the upper end)",
                           step_bound_strategy, GD_STEP_BOUND_CHECK,
                           r"NumPy gradient descent on random SPD matrices (Hypothesis picks $2 \le n \le 8$, "
                           r"condition number from $2$ to $1000$, $0.1 \le \lambda_{\max} \le 100$) at $7$ step "
                           r"sizes per matrix: per-eigenmode rates over $200$ steps", 0.0,
                           "a probe passes when the observed behaviour is exactly the claimed one; rates "
                           "are classified with a margin of " + RATE_MARGIN, cases=30),)),
    grading=Grading(
        neighbours=("optim.gd_optimal_step", "optim.newton_step_bound"),
        expects=r"the condition on $\epsilon$, e.g. as an inequality in $\epsilon$ and $\lambda_{\max}$",
        slips=(Slip("0 < eps <= 2/lambda_max", r"the endpoint included: there the top mode oscillates forever"),
               Slip("0 < eps < 2/(lambda_min + lambda_max)", r"the optimal step taken for the bound"),
               Slip("eps < 2/lambda_max", r"the lower end dropped: a negative step climbs"))),
)


GD_OPTIMAL_STEP = Part(
    id="optim.gd_optimal_step", title="The optimal constant step and its rate",
    sheet=Sheet(statement=r"Which $\epsilon$ minimises the worst contraction $\max(|1 - \epsilon\lambda_{\min}|, "
                          r"|1 - \epsilon\lambda_{\max}|)$, and what rate does it give, with "
                          r"$\kappa = \lambda_{\max}/\lambda_{\min}$?"),
    derivation=Derivation(
        variables=(lambda_min, lambda_max, kappa), derive=lambda v: optimal_step(v)[0],
        result=lambda v: 2 / (v.lambda_min + v.lambda_max), result_lhs=r"\epsilon^*",
        steps=(
            Step(r"\epsilon^*", lambda v: 2 / (v.lambda_min + v.lambda_max),
                 r"where $1 - \epsilon\lambda_{\min} = -(1 - \epsilon\lambda_{\max})$: the two extreme modes "
                 r"contract equally, in opposite directions",
                 target=lambda v: sp.solve((1 - LAMBDA * v.lambda_min) + (1 - LAMBDA * v.lambda_max), LAMBDA)[0]),
        ),
        also=(Step(r"\rho(\epsilon^*) = \max_i |1 - \epsilon^* \lambda_i|", lambda v: (v.kappa - 1) / (v.kappa + 1),
                   r"the worst contraction at $\epsilon^*$, in $\kappa$", target=lambda v: optimal_step(v)[1]),),
        oracle=Oracle(ternary_search_step, r"ternary search of $\max_i |1 - \epsilon\lambda_i|$ over the eigenvalues "
                      r"NumPy computes for a random $5 \times 5$ SPD matrix with the sampled extremes", 1e-9,
                      r"$200$ ternary steps shrink the bracket below float64 resolution; eigvalsh errs by "
                      r"about $10^{-15} \lambda_{\max}$, so the minimiser is accurate to about $10^{-14}$", cases=30),
        checks=(Simulation(r"GD at $\epsilon^*$ contracts its worst mode by exactly $(\kappa - 1)/(\kappa + 1)$, and "
                           r"steps $1\%$ smaller or larger do worse", step_bound_strategy, optimal_rate_check,
                           r"NumPy gradient descent on random SPD matrices (Hypothesis picks $n$, $\kappa \le 1000$ "
                           r"and $\lambda_{\max}$): observed per-mode rates over $200$ steps", 1e-9,
                           r"rates measured from $200$ float64 steps are accurate to about $10^{-13}$", cases=30),)),
    grading=Grading(
        neighbours=("optim.gd_step_bound",),
        expects=r"the optimal step $\epsilon^*$ in $\lambda_{\min}$ and $\lambda_{\max}$",
        slips=(Slip("1/lambda_max", r"the step that makes the top mode vanish, leaving the bottom one slow"),
               Slip("2/lambda_max", r"the edge of the convergence bound, where the top mode stops contracting"))),
)


NEWTON_STEP_BOUND = Part(
    id="optim.newton_step_bound", title="Damped Newton on a quadratic",
    sheet=Sheet(
        statement=r"Damped Newton $w_{t+1} = w_t - \epsilon H^{-1} \nabla f(w_t)$ on $f(w) = \frac12 w^\top H w$: "
                  r"find $w_t$ and the step sizes for which it converges; what happens at $\epsilon = 1$?"),
    derivation=Derivation(
        variables=(step, H, w_0), sizes={"n": [1, 2, 3]}, derive=newton_bound, result=lambda v: between(0, v.eps, 2),
        result_lhs=r"\{\epsilon : w_t \to 0 \ \forall w_0\}",
        steps=(
            Step("w_1", lambda v: (1 - v.eps) * v.w_0, r"$H^{-1} \nabla f(w_0) = H^{-1} H w_0 = w_0$",
                 target=lambda v: newton_factor(v) * v.w_0),
        ),
        # w_t and the step at eps = 1 are asked for too: boxed, each proved against its derivation.
        also=(
            Step("w_t", lambda v: (1 - v.eps) ** T * v.w_0, r"solving $w_t = (1 - \epsilon) w_{t-1}$ "
                 r"(SymPy's rsolve, entry by entry)",
                 target=lambda v: sp.rsolve(sp.Function("x")(T) - newton_factor(v) * sp.Function("x")(T - 1),
                                            sp.Function("x")(T), {sp.Function("x")(0): 1}) * v.w_0),
            Step(r"w_1 \big|_{\epsilon = 1}", lambda v: zero_vector(v.n), "one full Newton step lands on the minimum",
                 target=lambda v: (newton_factor(v) * v.w_0).subs(v.eps, 1)),
        ),
        oracle=Oracle(newton_converges, "NumPy damped Newton at the sampled "
                      "step size on the sampled SPD matrix: converges or not", 0.0, CONVERGENCE_REASON),
        checks=(
            Induction(r"$w_t = (1 - \epsilon)^t w_0$ for every $t$ and $n$", lambda v: (1 - v.eps) ** T * v.w_0,
                      lambda v, prev, t: prev - v.eps * prev, lambda v: v.w_0, t=T),
            Simulation("damped Newton converges just inside the claimed bound, diverges just outside, and "
                       "neither decays nor grows on it", step_bound_strategy, NEWTON_STEP_BOUND_CHECK,
                       r"NumPy damped Newton (``np.linalg.solve``) on random SPD matrices at $7$ step sizes per "
                       r"matrix: per-eigenmode rates over $200$ steps", 0.0,
                       "a probe passes when the observed behaviour is exactly the claimed one", cases=20),
        )),
    grading=Grading(
        neighbours=("optim.gd_step_bound",), expects=r"the condition on $\epsilon$ for convergence",
        slips=(Slip("0 < eps < 1", r"stopping at the one-step optimum $\epsilon = 1$"),
               Slip("0 < eps <= 2", r"the endpoint included: at $\epsilon = 2$ the iterates flip sign forever"))),
)


PARTS = [ADAM_UNROLL, ADAM_BIAS, ADAM_FIRST_STEP, ADAM_UPDATE, GD_CLOSED_FORM, GD_STEP_BOUND, GD_OPTIMAL_STEP, NEWTON_STEP_BOUND]
