"""Optimisers: Adam's moment estimates, their bias and its correction, and gradient
descent and damped Newton on a quadratic f(w) = 1/2 w^T H w: closed forms, step-size
bounds and the optimal step.

Recurrences are solved with a symbolic step count t (``derive.recurrences``), step-size
bounds come from SymPy's inequality solvers and are compared as sets
(``derive.inequalities``), and what the algorithms do is checked by running them
(``derive.simulation``)."""
from functools import lru_cache

import numpy as np
import sympy as sp
from hypothesis import strategies as st

from derive import Figure, Oracle, Part, ProblemDefinitionError, Step, Variable
from derive.domains import POSITIVE, SPD, Domain, Interval
from derive.inequalities import as_relational, intersection_over, solution_set_at
from derive.numeric import scaled_error
from derive.recurrences import (Induction, expect_linear, instantiate, solve_first_order,
                                without_degenerate_branches)
from derive.simulation import Simulation, at_values, closed_form

TITLE = "Optimisers: Adam and gradient descent on quadratics"

DEFAULTS = {"alpha": 1e-3, "beta_1": 0.9, "beta_2": 0.999, "eps": 1e-8}
EPS_SPELLINGS = ("epsilon", r"\epsilon", r"\varepsilon")


class StepCount(Domain):
    """A number of steps t = 1, 2, ..."""

    def __init__(self):
        super().__init__("a step count t = 1, 2, ...", (("integer", True), ("positive", True)))

    def sample(self, rng, shape):
        return rng.integers(1, 16, size=shape).astype(float)


class NonZero(Domain):
    """A nonzero real (a first gradient; the update divides by |g_1|)."""

    def __init__(self):
        super().__init__("real, nonzero", (("real", True), ("nonzero", True)))

    def sample(self, rng, shape):
        return rng.choice([-1.0, 1.0], size=shape) * 10 ** rng.uniform(-3, 2, size=shape)


class StepSize(Domain):
    """A real step size, mostly in the interesting range (0, 2.2) and sometimes negative."""

    def __init__(self):
        super().__init__("real step size", (("real", True),))

    def sample(self, rng, shape):
        return rng.uniform(-0.3, 2.2, size=shape)


def beta(k):
    return Variable(f"beta_{k}", domain=Interval(low=0.0, high=1.0, description="in (0, 1)"),
                    spellings=(rf"\beta_{k}", rf"\beta_{{{k}}}"), latex=rf"\beta_{k}")


beta_1, beta_2 = beta(1), beta(2)
alpha = Variable("alpha", domain=POSITIVE, spellings=(r"\alpha",), latex=r"\alpha")
adam_eps = Variable("eps", domain=POSITIVE, spellings=EPS_SPELLINGS, latex=r"\epsilon")
step = Variable("eps", domain=StepSize(), spellings=EPS_SPELLINGS, latex=r"\epsilon")
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
LAMBDA = sp.Symbol("lambda", positive=True)            # one eigenvalue of H
I = sp.Symbol("i", integer=True, positive=True)        # the summation index solve_first_order uses


def between(low, x, high):
    """low < x < high, kept in that order for printing (Python would turn 0 < x into x > 0)."""
    return sp.And(sp.StrictLessThan(low, x), sp.StrictLessThan(x, high))


# ----------------------------------------------------------------------------- Adam, in SymPy
SQUARES = sp.IndexedBase("q")   # q_i = g_i^2, the sequence the second moment averages


@lru_cache(maxsize=None)
def moment(b, sequence=G):
    """x_t = b x_{t-1} + (1 - b) sequence_t from x_0 = 0, solved for symbolic t."""
    return solve_first_order(b, lambda i: (1 - b) * sequence[i], 0, T)


def stationary_mean(b, mean, sequence=G):
    """E[x_t] when every sequence_i has mean ``mean``: linearity of E, then the geometric sum."""
    expected = expect_linear(moment(b, sequence), sequence, lambda i: mean)
    return sp.factor(without_degenerate_branches(expected.doit(), b, 0, 1))


def over_steps(v, term, size="t"):
    """sum_{i=1}^{t} term(i, g_i): written out at an explicit size, a Sum at a symbolic one."""
    n = getattr(v, size)
    if v.general:
        i = sp.Symbol("i", integer=True, positive=True)
        return sp.Sum(term(i, v.g[i]), (i, 1, n))
    return sum((term(i + 1, v.g[i]) for i in range(n)), sp.S.Zero)


def unrolled(v):
    """m_t solved from its recurrence at symbolic t, then taken at the part's size."""
    if v.general:
        return moment(v.beta_1).subs(T, v.t)
    return instantiate(moment(v.beta_1), T, v.t, G, list(v.g))


def iterate_moment(v):
    m = sp.S.Zero
    for g in v.g:
        m = v.beta_1 * m + (1 - v.beta_1) * g
    return m


def adam_trajectory(v):
    """theta_1..theta_T by iterating Adam's update equations symbolically."""
    m = s = sp.S.Zero
    theta, out = v.theta_0, []
    for t, g in enumerate(v.g, 1):
        m = sp.expand(v.beta_1 * m + (1 - v.beta_1) * g)
        s = sp.expand(v.beta_2 * s + (1 - v.beta_2) * g ** 2)
        theta = theta - v.alpha * (m / (1 - v.beta_1 ** t)) / (sp.sqrt(s / (1 - v.beta_2 ** t)) + v.eps)
        out.append(theta)
    return sp.Matrix(out)


def adam_closed_form(v):
    """theta_t = theta_0 - alpha sum_{s<=t} mhat_s / (sqrt(vhat_s) + eps), moments unrolled."""
    s, i = (sp.Symbol(c, integer=True, positive=True) for c in "si")

    def hat(b, power, upto):
        if v.general:
            return (1 - b) * sp.Sum(b ** (upto - i) * v.g[i] ** power, (i, 1, upto)) / (1 - b ** upto)
        return sp.expand((1 - b) * sum(b ** (upto - k) * v.g[k - 1] ** power
                                       for k in range(1, upto + 1))) / (1 - b ** upto)

    def update(upto):
        return hat(v.beta_1, 1, upto) / (sp.sqrt(hat(v.beta_2, 2, upto)) + v.eps)
    if v.general:
        return v.theta_0 - v.alpha * sp.Sum(update(s), (s, 1, sp.Symbol("t", integer=True, positive=True)))
    return sp.Matrix([v.theta_0 - v.alpha * sum(update(u) for u in range(1, t + 1))
                      for t in range(1, v.T + 1)])


def in_unit_interval(expr, *betas):
    """Simplify knowing 0 < beta < 1: SymPy reasons with gap = 1 - beta > 0."""
    gaps = {b: sp.Dummy(f"gap_{b}", positive=True) for b in betas}
    simpler = sp.simplify(expr.xreplace({b: 1 - gap for b, gap in gaps.items()}))
    return sp.simplify(simpler.xreplace({gap: 1 - b for b, gap in gaps.items()}))


def first_step(v, correct):
    """|theta_1 - theta_0| after one Adam step from m_0 = v_0 = 0 with eps = 0."""
    m1 = (1 - v.beta_1) * v.g_1
    s1 = (1 - v.beta_2) * v.g_1 ** 2
    if correct:
        m1, s1 = m1 / (1 - v.beta_1), s1 / (1 - v.beta_2)
    return in_unit_interval(sp.Abs(v.alpha * m1 / sp.sqrt(s1)), v.beta_1, v.beta_2)


# ----------------------------------------------------------------------------- Adam, in NumPy
def adam_numpy(theta_0, grads, alpha, beta_1, beta_2, eps, correct=True):
    """A plain NumPy Adam loop (Kingma and Ba, Algorithm 1) on a given gradient sequence."""
    m = v = 0.0
    theta, out = float(theta_0), []
    for t, g in enumerate(np.asarray(grads, dtype=float).reshape(-1), 1):
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g * g
        mhat, vhat = (m / (1 - beta_1 ** t), v / (1 - beta_2 ** t)) if correct else (m, v)
        theta = theta - alpha * mhat / (np.sqrt(vhat) + eps)
        out.append(theta)
    return np.array(out)


def seeded(x):
    """A Generator seeded from the sampled values, so each case is reproducible."""
    return np.random.default_rng([int(abs(float(np.sum(v))) * 1e6) % 2 ** 32 for v in x.values()])


MC_RUNS = 40_000
MC_REASON = ("Monte Carlo over 40000 runs with g_i ~ N(E[g], 1): m_t has variance "
             "(1-b)(1-b^(2t))/(1+b) <= 1, so the standard error is <= 0.005 and 0.03 is six "
             "standard errors (false alarm ~ 2e-9 per case)")


def monte_carlo_first_moment(x):
    rng, t, b = seeded(x), int(round(x["t"])), x["beta_1"]
    g = x["mu"] + rng.standard_normal((MC_RUNS, t))
    m = np.zeros(MC_RUNS)
    for k in range(t):
        m = b * m + (1 - b) * g[:, k]
    return m.mean()


def unbiased_check(part, case):
    """Many Adam runs on stationary N(mu, sigma^2) gradients: mean of mhat_t and vhat_t."""
    b1, b2, t, mu, sigma, seed = case
    rng = np.random.default_rng(seed)
    g = mu + sigma * rng.standard_normal((MC_RUNS, t))
    m = v = np.zeros(MC_RUNS)
    for k in range(t):
        m = b1 * m + (1 - b1) * g[:, k]
        v = b2 * v + (1 - b2) * g[:, k] ** 2
    mhat, vhat = m / (1 - b1 ** t), v / (1 - b2 ** t)
    z = [abs(x.mean() - want) / (x.std(ddof=1) / np.sqrt(MC_RUNS))
         for x, want in ((mhat, mu), (vhat, mu ** 2 + sigma ** 2))]
    return max(z), {"beta_1": b1, "beta_2": b2, "t": t, "E[g]": mu, "sd": sigma,
                    "mean mhat_t": mhat.mean(), "mean vhat_t": vhat.mean(), "z-scores": z}


def unbiased_strategy():
    unit = st.floats(0.5, 0.999)
    return st.tuples(unit, unit, st.integers(1, 30), st.floats(-3, 3), st.floats(0.1, 2),
                     st.integers(0, 2 ** 32 - 1))


def trajectory_check(part, case):
    """Closed form theta_1..theta_T against the plain NumPy loop on one gradient sequence."""
    grads, (alpha_, b1, b2, eps_), theta_0 = case
    values = {"g": np.array(grads), "theta_0": theta_0, "alpha": alpha_, "beta_1": b1,
              "beta_2": b2, "eps": eps_}
    claimed = closed_form(part, part.result, {"T": len(grads)}, values).reshape(-1)
    loop = adam_numpy(theta_0, grads, alpha_, b1, b2, eps_)
    return scaled_error(claimed, loop), {**values, "closed form": claimed, "NumPy loop": loop}


def trajectory_strategy():
    gradient = st.one_of(st.floats(-10, 10), st.just(0.0), st.floats(-1e-6, 1e-6))
    hyper = st.one_of(st.just(tuple(DEFAULTS.values())),
                      st.tuples(st.floats(1e-4, 1.0), st.floats(0.5, 0.999), st.floats(0.5, 0.9999),
                                st.sampled_from([1e-8, 1e-3, 0.1])))
    return st.tuples(st.lists(gradient, min_size=1, max_size=6), hyper, st.floats(-5, 5))


# ----------------------------------------------------------------------------- quadratics, in SymPy
def gradient(v, w):
    """grad f(w) for f(w) = 1/2 w^T H w, differentiated by SymPy (explicit sizes)."""
    x = sp.Matrix([sp.Symbol(f"x_{k}", real=True) for k in range(v.n)])
    f = (x.T * v.H * x)[0, 0] / 2
    return sp.Matrix([f]).jacobian(x).T.xreplace(dict(zip(x, w)))


def gd_iterate(v, steps=None):
    w = v.w_0
    for _ in range(v.t if steps is None else steps):
        w = sp.expand(w - v.eps * gradient(v, w))
    return w


def identity(v):
    return sp.Identity(v.n) if v.general else sp.eye(v.n)


def gd_closed(v):
    a = identity(v) - v.eps * v.H
    return sp.MatPow(a, v.t) * v.w_0 if v.general else a ** v.t * v.w_0


def gd_step_bound(v):
    """|1 - eps lambda| < 1 for every eigenvalue in [lambda_min, lambda_max], solved for eps."""
    allowed = intersection_over(lambda lam: sp.Abs(1 - v.eps * lam) < 1, v.eps, LAMBDA,
                                v.lambda_min, v.lambda_max)
    return allowed.as_relational(v.eps)


def newton_factor(v):
    """c with w - eps H^{-1} grad f(w) = c w for every w (SymPy inverts the explicit H)."""
    w = sp.Matrix([sp.Symbol(f"w_{k}", real=True) for k in range(v.n)])
    new = w - v.eps * v.H.inv() * gradient(v, w)
    ratios = {sp.cancel(new[k] / w[k]) for k in range(v.n)}
    if len(ratios) != 1 or any(r.free_symbols & set(w) for r in ratios):
        raise ProblemDefinitionError(f"optim: damped Newton is not a multiple of w here: {ratios}")
    return ratios.pop()


def newton_bound(v):
    return as_relational(sp.Abs(newton_factor(v)) < 1, v.eps)


def optimal_step(v):
    """argmin and min over eps of max(|1 - eps lambda_min|, |1 - eps lambda_max|).

    The objective is convex and piecewise linear, equals 1 at eps = 0 and grows without
    bound, so its minimum sits at a kink: where the two lines cross or one vanishes.
    The kinks are compared with lambda_max = lambda_min (1 + d), d > 0.
    """
    e, d = sp.Symbol("e", positive=True), sp.Symbol("d", positive=True)
    lines = [1 - e * v.lambda_min, 1 - e * v.lambda_max]
    kinks = set(sp.solve(lines[0] ** 2 - lines[1] ** 2, e)) | {r for l in lines for r in sp.solve(l, e)}
    ordered = {v.lambda_max: v.lambda_min * (1 + d)}

    def worst(k):
        return sp.Max(*[sp.factor(s * l.subs(e, k).xreplace(ordered)) for l in lines for s in (1, -1)])
    values = {k: worst(k) for k in kinks}
    best = [k for k in kinks if all(sp.factor(values[o] - values[k]).is_nonnegative for o in kinks)]
    if len(best) != 1:
        raise ProblemDefinitionError(f"optim: no single best kink among {values}")
    rate = values[best[0]].subs(d, v.lambda_max / v.lambda_min - 1)
    return best[0], sp.simplify(rate)


# ----------------------------------------------------------------------------- quadratics, in NumPy
def spd_with_spectrum(rng, n, lam_min, lam_max):
    """A random SPD matrix with extreme eigenvalues lam_min and lam_max (n >= 2; lam_max
    alone for n = 1), and its eigenbasis."""
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    inner = rng.uniform(lam_min, lam_max, max(n - 2, 0))
    lam = np.sort(np.concatenate([[lam_min, lam_max], inner]))[-n:]
    return (q * lam) @ q.T, q


def gd_numpy(h, w, eps):
    return w - eps * (h @ w)


def newton_numpy(h, w, eps):
    return w - eps * np.linalg.solve(h, h @ w)


STEPS = 200
# Per-mode rates are measured to ~1e-13 after 200 float64 steps; the closest probe to a
# boundary moves the slowest mode's rate by at least 4e-5 (kappa <= 1000, 2% margin).
TAU = 1e-9


def behaviour(update, h, q, w_0, eps):
    """Run the iteration; classify it by its observed per-eigenmode rates |c_T / c_0|^(1/T)."""
    w, previous, c_0 = w_0, w_0, q.T @ w_0
    steps = 0
    for steps in range(1, STEPS + 1):
        previous, w = w, update(h, w, eps)
        if not np.all(np.isfinite(w)) or np.linalg.norm(w) > 1e100:
            return "diverges", float("inf")
    c, c_prev = q.T @ w, q.T @ previous
    rates = np.abs(c / c_0) ** (1 / steps)
    top = int(np.argmax(rates))
    worst = float(rates[top])
    if abs(worst - 1) <= TAU:  # the slowest mode keeps its size: constant, or flipping sign each step
        return ("oscillates without decay" if c[top] * c_prev[top] < 0 else "no decay, no growth"), worst
    return ("converges" if worst < 1 else "diverges"), worst


def claimed_interval(part, point):
    """The claimed set of step sizes at numeric eigenvalues (ends as floats)."""
    ns = part.namespace(part.proof_sizes()[0])
    scalars = {ns.objects[k]: v for k, v in point.items() if k in ns.objects}
    claim = part.result(ns).xreplace(ns.definitions()) if ns.definitions() else part.result(ns)
    return solution_set_at(claim, ns.objects["eps"], scalars)


def bound_check(update):
    """Run ``update`` at step sizes inside, on and outside the claimed bound; compare."""
    def check(part, case):
        n, log_kappa, log_lmax, seed = case
        rng = np.random.default_rng(seed)
        lmax = 10.0 ** log_lmax
        lmin = lmax / 10.0 ** log_kappa
        h, q = spd_with_spectrum(rng, n, lmin, lmax)
        w_0 = q @ (rng.choice([-1.0, 1.0], n) * rng.uniform(0.5, 1.5, n))
        claimed = claimed_interval(part, {"lambda_min": lmin, "lambda_max": lmax, "kappa": lmax / lmin})
        probes = _probes(claimed, 2 / lmax)
        bounded = isinstance(claimed, sp.Interval) and claimed.inf.is_finite and claimed.sup.is_finite
        shown = str(claimed)
        if bounded:
            left, right = ("(" if claimed.left_open else "["), (")" if claimed.right_open else "]")
            shown = f"{left}{float(claimed.inf):.6g}, {float(claimed.sup):.6g}{right}"
        record = {"n": n, "lambda_min": lmin, "lambda_max": lmax, "claimed set": shown}
        for eps, expected in probes:
            observed, rate = behaviour(update, h, q, w_0, eps)
            if observed != expected:
                return 1.0, {**record, "counterexample step size eps": eps, "claim says": expected,
                             "simulation shows": observed, "worst mode rate": rate}
        return 0.0, {**record, "probes": len(probes)}
    return check


def _probes(claimed, scale):
    """Step sizes just inside, on and just outside each end of the claimed interval."""
    if isinstance(claimed, sp.Interval) and claimed.inf.is_finite and claimed.sup.is_finite:
        lo, hi = float(claimed.inf), float(claimed.sup)
        width = hi - lo
        # At the lower end eps = 0 nothing moves; at the upper end 1 - eps lambda_max = -1.
        return [(lo, "no decay, no growth"), (hi, "oscillates without decay"),
                (lo - 0.02 * width, "diverges"), (hi + 0.02 * width, "diverges"),
                (lo + 0.02 * width, "converges"), ((lo + hi) / 2, "converges"),
                (hi - 0.02 * width, "converges")]
    grid = scale * np.array([-0.5, 0.25, 0.5, 0.98, 1.02, 1.5, 3.0])
    return [(float(e), "converges" if claimed.contains(sp.Rational(float(e))) is sp.true else "diverges")
            for e in grid]


def bound_strategy():
    return st.tuples(st.integers(2, 8), st.floats(0.3, 3.0), st.floats(-1.0, 2.0), st.integers(0, 2 ** 32 - 1))


def closed_form_check(part, case):
    """(I - eps H)^t w_0 from the closed form against a plain NumPy gradient-descent loop."""
    n, t, log_kappa, ratio, seed = case
    rng = np.random.default_rng(seed)
    h, q = spd_with_spectrum(rng, n, 10.0 ** -log_kappa, 1.0)
    values = {"H": h, "w_0": rng.standard_normal(n), "eps": ratio * 2.0}  # lambda_max = 1
    claimed = np.array(at_values(part, part.result, {"n": n, "t": t}, values), dtype=float).reshape(-1)
    w = values["w_0"]
    for _ in range(t):
        w = gd_numpy(h, w, values["eps"])
    return scaled_error(claimed, w), {"n": n, "t": t, "eps": values["eps"], "closed form": claimed,
                                      "NumPy loop": w}


def closed_form_strategy():
    return st.tuples(st.integers(1, 6), st.integers(0, 40), st.floats(0.0, 3.0), st.floats(-0.2, 1.2),
                     st.integers(0, 2 ** 32 - 1))


def optimal_rate_check(part, case):
    """GD at the claimed eps*: observed worst mode rate against (kappa - 1)/(kappa + 1), and
    no better rate 1% to either side."""
    n, log_kappa, log_lmax, seed = case
    rng = np.random.default_rng(seed)
    lmax = 10.0 ** log_lmax
    lmin = lmax / 10.0 ** log_kappa
    h, q = spd_with_spectrum(rng, n, lmin, lmax)
    w_0 = q @ (rng.choice([-1.0, 1.0], n) * rng.uniform(0.5, 1.5, n))
    point = {"lambda_min": lmin, "lambda_max": lmax}
    eps_star = float(closed_form(part, part.result, {}, {**point, "kappa": lmax / lmin})[0, 0])
    kappa_ = lmax / lmin
    rates = [behaviour(gd_numpy, h, q, w_0, eps_star * f)[1] for f in (1.0, 0.99, 1.01)]
    error = abs(rates[0] - (kappa_ - 1) / (kappa_ + 1)) + max(0.0, rates[0] - min(rates[1:]))
    return error, {"n": n, **point, "eps*": eps_star, "observed rate": rates[0],
                   "(kappa-1)/(kappa+1)": (kappa_ - 1) / (kappa_ + 1), "rates at 0.99, 1.01 eps*": rates[1:]}


def minimax_step(x):
    """Oracle: ternary search of max_i |1 - eps lambda_i| over the eigenvalues NumPy computes
    for a random SPD matrix with the sampled extreme eigenvalues."""
    rng = seeded(x)
    h, _ = spd_with_spectrum(rng, 5, x["lambda_min"], x["lambda_max"])
    lam = np.linalg.eigvalsh(h)
    lo, hi = 0.0, 2.0 / lam.min()
    for _ in range(200):
        a, b = lo + (hi - lo) / 3, hi - (hi - lo) / 3
        if np.max(np.abs(1 - a * lam)) < np.max(np.abs(1 - b * lam)):
            hi = b
        else:
            lo = a
    return (lo + hi) / 2


def adam_numpy_moment(grads, b):
    m = 0.0
    for g in np.asarray(grads, dtype=float).reshape(-1):
        m = b * m + (1 - b) * g
    return m


def corrected_moments(v, b, power):
    """mhat_t (power 1) or vhat_t (power 2) for t = 1..T, by iterating the recurrence."""
    x, out = sp.S.Zero, []
    for t, g in enumerate(v.g, 1):
        x = b * x + (1 - b) * g ** power
        out.append(x / (1 - b ** t))
    return out


def over_steps_upto(v, index, power, b):
    """(1 - b) sum_{i <= t} b^(t-i) g_i^power / (1 - b^t) for step t = index + 1."""
    t = index if v.general else index + 1
    i = sp.Symbol("i", integer=True, positive=True)
    if v.general:
        return (1 - b) * sp.Sum(b ** (t - i) * v.g[i] ** power, (i, 1, t)) / (1 - b ** t)
    return (1 - b) * sum(b ** (t - k) * v.g[k - 1] ** power for k in range(1, t + 1)) / (1 - b ** t)


def zeros(v):
    return sp.ZeroMatrix(v.n, 1) if v.general else sp.zeros(v.n, 1)


def gd_loop(x):
    """Oracle: t steps of a plain NumPy gradient-descent loop from w_0."""
    w = np.asarray(x["w_0"], dtype=float).reshape(-1)
    for _ in range(int(x["t"])):
        w = gd_numpy(np.asarray(x["H"]), w, x["eps"])
    return w.reshape(-1, 1)


def converges(update, h, x):
    """Oracle: 1 if the iteration at the sampled step size converges on h, else 0."""
    lam, q = np.linalg.eigh(h)
    rng = seeded(x)
    w_0 = q @ (rng.choice([-1.0, 1.0], len(lam)) * rng.uniform(0.5, 1.5, len(lam)))
    return float(behaviour(update, h, q, w_0, x["eps"])[0] == "converges")


def gd_converges(x):
    h, _ = spd_with_spectrum(seeded(x), 4, x["lambda_min"], x["lambda_max"])
    return converges(gd_numpy, h, x)


CONVERGENCE_REASON = ("the claim's indicator against the observed behaviour (1 converges, 0 not): "
                      "they must agree exactly; per-mode rates are classified with margin 1e-9")


# ----------------------------------------------------------------------------- figures
def _plot_gd_losses(ax):
    h, w_0 = np.diag([1.0, 4.0]), np.array([1.0, 1.0])
    for eps, style in ((0.45, "-"), (0.5, "--"), (0.52, ":")):
        w, losses = w_0, []
        for _ in range(41):
            losses.append(0.5 * w @ h @ w)
            w = gd_numpy(h, w, eps)
        ax.semilogy(losses, style, label=rf"$\epsilon = {eps}$" + (r" $= 2/\lambda_{\max}$" if eps == 0.5 else ""))
    ax.set_xlabel("step $t$")
    ax.set_ylabel(r"$f(w_t) = \frac{1}{2} w_t^\top H w_t$")
    ax.legend()


def _plot_gd_paths(ax):
    h, w_0 = np.diag([1.0, 4.0]), np.array([1.0, 1.0])
    for eps, marker in ((0.45, "o"), (0.5, "s"), (0.52, "^")):
        path = [w_0]
        for _ in range(20):
            path.append(gd_numpy(h, path[-1], eps))
        ax.plot(np.array(path)[:, 1], marker=marker, ms=3, lw=0.8, label=rf"$\epsilon = {eps}$")
    ax.axhline(0, color="0.6", lw=0.5)
    ax.set_xlabel("step $t$")
    ax.set_ylabel(r"$w_{t,2}$ (the $\lambda_{\max} = 4$ direction)")
    ax.legend()


def _plot_adam_moments(ax):
    rng = np.random.default_rng(0)
    b, t = 0.9, np.arange(1, 41)
    g = 1.0 + 0.5 * rng.standard_normal(t.size)
    m = np.zeros(t.size)
    for k in range(t.size):
        m[k] = b * (m[k - 1] if k else 0.0) + (1 - b) * g[k]
    ax.plot(t, g, ".", color="0.6", label="$g_t$ (mean 1, sd 0.5)")
    ax.plot(t, m, label=r"$m_t$")
    ax.plot(t, m / (1 - b ** t), label=r"$\hat m_t = m_t / (1 - \beta_1^t)$")
    ax.plot(t, 1 - b ** t, "--", color="0.3", label=r"$\mathbb{E}[m_t] = (1 - \beta_1^t)\,\mathbb{E}[g]$")
    ax.axhline(1.0, color="0.3", lw=0.6)
    ax.set_xlabel(r"step $t$ ($\beta_1 = 0.9$)")
    ax.legend(fontsize="small")


# ----------------------------------------------------------------------------- parts
g_seq = Variable("g", ("t",), latex="g")
mu = Variable("mu", spellings=("E[g]", r"\mathbb{E}[g]", r"\mathbb{E}[g_t]", r"\mu"), latex=r"\mathbb{E}[g]")
nu = Variable("nu", spellings=("E[g^2]", r"\mathbb{E}[g^2]", r"\mathbb{E}[g_t^2]", r"\nu"),
              latex=r"\mathbb{E}[g^2]")
t_count = Variable("t", domain=StepCount())

PARTS = [
    Part(
        id="optim.adam_unroll",
        title="Adam's first moment, unrolled",
        statement=r"Adam keeps $m_t = \beta_1 m_{t-1} + (1 - \beta_1) g_t$ from $m_0 = 0$. "
                  r"Write $m_t$ as a sum over the gradients $g_1, \dots, g_t$.",
        variables=(g_seq, beta_1), sizes={"t": range(1, 7)}, answer=True,
        neighbours=("optim.adam_bias",),
        derive=unrolled,
        result=lambda v: (1 - v.beta_1) * over_steps(v, lambda i, g: v.beta_1 ** (v.t - i) * g),
        result_lhs="m_t",
        steps=(
            Step(r"m_t / \beta_1^t", lambda v: over_steps(v, lambda i, g: (1 - v.beta_1) * g / v.beta_1 ** i),
                 r"$c_t = m_t / \beta_1^t$ ($\beta_1^t$ solves the homogeneous recurrence, by SymPy's rsolve) "
                 r"obeys $c_t - c_{t-1} = (1 - \beta_1) g_t / \beta_1^t$; "
                 r"telescope from $c_0 = 0$", target=lambda v: unrolled(v) / v.beta_1 ** v.t),
            Step("m_t", lambda v: over_steps(v, lambda i, g: (1 - v.beta_1) * v.beta_1 ** (v.t - i) * g),
                 r"the same as iterating the recurrence $t$ times from $m_0 = 0$", target=iterate_moment),
        ),
        oracle=Oracle(lambda x: adam_numpy_moment(x["g"], x["beta_1"]),
                      "a plain NumPy loop of the recurrence", 1e-12,
                      "at most 6 multiply-adds per step in float64 on O(1) numbers: error ~ 1e-15"),
        checks=(Induction("m_t = (1 - beta_1) sum_i beta_1^(t-i) g_i for every t",
                          lambda v: over_steps(v, lambda i, g: (1 - v.beta_1) * v.beta_1 ** (v.t - i) * g),
                          lambda v, prev, t: v.beta_1 * prev + (1 - v.beta_1) * G[t],
                          lambda v: 0, sequence="g"),),
    ),
    Part(
        id="optim.adam_bias",
        title="Bias of Adam's moments and its correction",
        statement=r"For stationary gradients ($\mathbb{E}[g_i] = \mathbb{E}[g]$ for every $i$), find "
                  r"$\mathbb{E}[m_t]$, and the factor that makes $\hat m_t = m_t/(1 - \beta_1^t)$ unbiased; "
                  r"likewise for $v_t$ with $\beta_2$ and $\mathbb{E}[g^2]$.",
        variables=(beta_1, t_count, mu, beta_2, nu), answer=True,
        neighbours=("optim.adam_unroll",),
        derive=lambda v: stationary_mean(v.beta_1, v.mu).subs(T, v.t),
        result=lambda v: (1 - v.beta_1 ** v.t) * v.mu,
        result_lhs=r"\mathbb{E}[m_t]",
        steps=(
            Step(r"\mathbb{E}[m_t]", lambda v: (1 - v.beta_1) * v.mu * sp.Sum(v.beta_1 ** (v.t - I), (I, 1, v.t)),
                 r"linearity of $\mathbb{E}$ on $m_t = (1 - \beta_1) \sum_i \beta_1^{t-i} g_i$, "
                 r"with $\mathbb{E}[g_i] = \mathbb{E}[g]$",
                 target=lambda v: expect_linear(moment(v.beta_1), G, lambda i: v.mu).subs(T, v.t)),
            Step(r"\mathbb{E}[m_t]", lambda v: v.mu * (1 - v.beta_1) * (1 - v.beta_1 ** v.t) / (1 - v.beta_1),
                 r"geometric sum $\sum_{i=1}^t \beta_1^{t-i} = (1 - \beta_1^t)/(1 - \beta_1)$"),
            Step(r"\mathbb{E}[\hat m_t]", lambda v: v.mu,
                 r"dividing by the bias-correction factor $1 - \beta_1^t$",
                 target=lambda v: stationary_mean(v.beta_1, v.mu).subs(T, v.t) / (1 - v.beta_1 ** v.t)),
            Step(r"\mathbb{E}[v_t]", lambda v: (1 - v.beta_2 ** v.t) * v.nu,
                 r"the same derivation for $v_t = \beta_2 v_{t-1} + (1 - \beta_2) g_t^2$",
                 target=lambda v: stationary_mean(v.beta_2, v.nu, SQUARES).subs(T, v.t)),
            Step(r"\mathbb{E}[\hat v_t]", lambda v: v.nu, r"dividing by $1 - \beta_2^t$",
                 target=lambda v: stationary_mean(v.beta_2, v.nu, SQUARES).subs(T, v.t) / (1 - v.beta_2 ** v.t)),
        ),
        oracle=Oracle(monte_carlo_first_moment, "Monte Carlo: the mean of m_t over 40000 simulated runs "
                      "of the recurrence with stationary Gaussian gradients", 0.03, MC_REASON, cases=25),
        figures=(Figure("adam_moments", r"$m_t$ and the corrected $\hat m_t$ over the first 40 steps "
                        r"for noisy gradients with $\mathbb{E}[g] = 1$ (NumPy)", _plot_adam_moments),),
    ),
    Part(
        id="optim.adam_first_step",
        title="Adam's first step with and without bias correction",
        statement=r"With $\epsilon = 0$, find the magnitude of Adam's first update $|\theta_1 - \theta_0|$ "
                  r"with and without bias correction. Answer: the magnitude without correction.",
        variables=(alpha, beta_1, beta_2, Variable("g_1", domain=NonZero(), latex="g_1")), answer=True,
        neighbours=("optim.adam_bias",),
        derive=lambda v: first_step(v, correct=False),
        result=lambda v: v.alpha * (1 - v.beta_1) / sp.sqrt(1 - v.beta_2),
        result_lhs=r"|\theta_1 - \theta_0|_{\text{uncorrected}}",
        steps=(
            Step("m_1", lambda v: (1 - v.beta_1) * v.g_1, r"$m_0 = 0$",
                 target=lambda v: v.beta_1 * 0 + (1 - v.beta_1) * v.g_1),
            Step(r"|\theta_1 - \theta_0|_{\text{corrected}}", lambda v: v.alpha,
                 r"$\hat m_1 = g_1$ and $\hat v_1 = g_1^2$, so the step is $\alpha\, g_1 / |g_1|$",
                 target=lambda v: first_step(v, correct=True)),
            Step(r"|\theta_1 - \theta_0|_{\text{uncorrected}}", lambda v: sp.sqrt(10) * v.alpha,
                 r"at $\beta_1 = 0.9$, $\beta_2 = 0.999$: $0.1/\sqrt{0.001} = \sqrt{10} \approx 3.16$",
                 target=lambda v: first_step(v, correct=False).subs({v.beta_1: sp.Rational(9, 10),
                                                                     v.beta_2: sp.Rational(999, 1000)})),
        ),
        oracle=Oracle(lambda x: abs(adam_numpy(0.0, [x["g_1"]], x["alpha"], x["beta_1"], x["beta_2"], 0.0,
                                               correct=False)[0]),
                      "one step of a plain NumPy Adam loop without bias correction, eps = 0", 1e-12,
                      "a handful of float64 operations: relative error ~ 1e-15"),
    ),
    Part(
        id="optim.adam_update",
        title="The Adam update, step by step",
        statement=r"Adam with $\alpha = 10^{-3}$, $\beta_1 = 0.9$, $\beta_2 = 0.999$, $\epsilon = 10^{-8}$: "
                  r"$m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t$, $v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2$, "
                  r"$\hat m_t = m_t/(1-\beta_1^t)$, $\hat v_t = v_t/(1-\beta_2^t)$, "
                  r"$\theta_t = \theta_{t-1} - \alpha \hat m_t / (\sqrt{\hat v_t} + \epsilon)$.",
        variables=(Variable("g", ("T",), latex="g"), Variable("theta_0", latex=r"\theta_0"), alpha, beta_1,
                   beta_2, adam_eps),
        sizes={"T": range(1, 4)}, numeric_sizes={"T": [1, 2, 3, 5, 8]},
        derive=adam_trajectory,
        result=adam_closed_form,
        result_lhs=r"\theta_t",
        steps=(
            Step(r"\hat m_t", lambda v, i: over_steps_upto(v, i, 1, v.beta_1),
                 r"the unrolled $m_t$ (optim.adam\_unroll) over $1 - \beta_1^t$", "t",
                 target=lambda v: sp.Matrix(corrected_moments(v, v.beta_1, 1))),
            Step(r"\hat v_t", lambda v, i: over_steps_upto(v, i, 2, v.beta_2),
                 r"likewise with $\beta_2$ and $g_i^2$", "t",
                 target=lambda v: sp.Matrix(corrected_moments(v, v.beta_2, 2))),
        ),
        oracle=Oracle(lambda x: adam_numpy(x["theta_0"], x["g"], x["alpha"], x["beta_1"], x["beta_2"], x["eps"]),
                      "a plain NumPy Adam loop, theta_1..theta_T compared at every step", 1e-10,
                      "at most 8 steps of float64 arithmetic; the update's sensitivity to round-off in "
                      "m_t is bounded by 1/sqrt(1 - beta_2), so errors stay below 1e-13"),
        checks=(
            Simulation("theta_1..theta_T match a NumPy Adam loop on Hypothesis-generated gradient sequences "
                       "(zeros, tiny and large gradients; default and random hyperparameters)",
                       trajectory_strategy, trajectory_check,
                       "closed form (lambdified) against a plain NumPy Adam loop", 1e-10,
                       "up to 6 float64 steps; see the numeric cross-check", cases=60),
            Simulation("the corrected estimates are unbiased: E[mhat_t] = E[g], E[vhat_t] = E[g^2]",
                       unbiased_strategy, unbiased_check,
                       "40000 simulated Adam runs per case on stationary N(E[g], sd^2) gradients; "
                       "error = largest |mean - expectation| in standard errors", 5.0,
                       "a z-score above 5 has probability ~ 6e-7 per comparison when the estimate "
                       "is unbiased; a bias of beta^t E[g] shows as z in the hundreds for small t", cases=12),
        ),
    ),
    Part(
        id="optim.gd_closed_form",
        title="Gradient descent on a quadratic, in closed form",
        statement=r"For $f(w) = \frac12 w^\top H w$ and $w_{t+1} = w_t - \epsilon \nabla f(w_t)$, "
                  r"find $w_t$ in terms of $w_0$.",
        variables=(H, w_0, step), sizes={"n": [1, 2, 3, 3], "t": [0, 1, 2, 3]}, answer=True,
        neighbours=("optim.gd_step_bound", "optim.newton_step_bound"),
        derive=gd_iterate,
        result=gd_closed,
        result_lhs="w_t",
        steps=(
            Step(r"\nabla f(w_0)", lambda v: v.H * v.w_0, "differentiate $f$; $H$ is symmetric",
                 target=lambda v: gradient(v, v.w_0)),
            Step("w_1", lambda v: (identity(v) - v.eps * v.H) * v.w_0, r"one step: $w_0 - \epsilon H w_0$",
                 target=lambda v: gd_iterate(v, 1)),
        ),
        numeric_sizes={"n": [1, 2, 3, 4], "t": [0, 1, 2, 3, 5]},
        oracle=Oracle(gd_loop, "a plain NumPy gradient-descent loop of t steps", 1e-9,
                      "at most 5 float64 matrix-vector steps on O(1) numbers: error ~ 1e-14"),
        checks=(
            Induction("w_t = (I - eps H)^t w_0 for every t and n", gd_closed,
                      lambda v, prev, t: prev - v.eps * v.H * prev, lambda v: v.w_0),
            Simulation("the closed form equals a NumPy gradient-descent loop (t up to 40, n up to 6)",
                       closed_form_strategy, closed_form_check,
                       "(I - eps H)^t w_0 evaluated at the sampled numbers against a NumPy loop", 1e-9,
                       "40 float64 matrix-vector steps with |1 - eps lambda| <= 1.4: error below 1e-9 of "
                       "the largest value", cases=40),
        ),
    ),
    Part(
        id="optim.gd_step_bound",
        title="The step-size bound of gradient descent",
        statement=r"For symmetric positive definite $H$ with eigenvalues in $[\lambda_{\min}, \lambda_{\max}]$, "
                  r"for which $\epsilon$ does gradient descent on $\frac12 w^\top H w$ converge from every $w_0$?",
        variables=(step, lambda_max, lambda_min), answer=True,
        neighbours=("optim.gd_optimal_step", "optim.newton_step_bound"),
        derive=gd_step_bound,
        result=lambda v: between(0, v.eps, 2 / v.lambda_max),
        result_lhs=r"\{\epsilon : w_t \to 0 \ \forall w_0\}",
        steps=(
            Step(r"\{\epsilon : |1 - \epsilon\lambda| < 1\}", lambda v: between(0, v.eps, 2 / LAMBDA),
                 r"in $H$'s eigenbasis $w_t = \sum_i (1 - \epsilon\lambda_i)^t (q_i^\top w_0) q_i$: each mode "
                 r"decays iff $|1 - \epsilon\lambda_i| < 1$ (SymPy's inequality solver)",
                 target=lambda v: as_relational(sp.Abs(1 - v.eps * LAMBDA) < 1, v.eps)),
            Step(r"\{\epsilon : w_t \to 0 \ \forall w_0\}", lambda v: between(0, v.eps, 2 / v.lambda_max),
                 r"$2/\lambda$ decreases in $\lambda$, so over the spectrum $\lambda_{\max}$ binds"),
        ),
        oracle=Oracle(gd_converges, "NumPy gradient descent at the sampled step size on a random 4x4 SPD "
                      "matrix with the sampled extreme eigenvalues: converges or not", 0.0,
                      CONVERGENCE_REASON),
        checks=(Simulation("GD converges just inside the claimed bound, diverges just outside, and neither "
                           "decays nor grows on it (oscillating at the upper end)",
                           bound_strategy, bound_check(gd_numpy),
                           "NumPy gradient descent on random SPD matrices (Hypothesis picks n in 2..8, "
                           "condition number 2..1000, lambda_max 0.1..100) at 7 step sizes per matrix: "
                           "per-eigenmode rates over 200 steps", 0.0,
                           "a probe passes when the observed behaviour is exactly the claimed one; rates "
                           f"are classified with a margin of {TAU:g}", cases=30),),
        figures=(Figure("gd_losses", r"$f(w_t)$ on $H = \operatorname{diag}(1, 4)$ ($2/\lambda_{\max} = 0.5$): "
                        r"below, at and above the bound (NumPy)", _plot_gd_losses),
                 Figure("gd_paths", r"The iterates' $\lambda_{\max}$ coordinate on $H = \operatorname{diag}(1, 4)$ "
                        r"flips sign every step: shrinking below the bound, constant at it, growing above",
                        _plot_gd_paths)),
    ),
    Part(
        id="optim.gd_optimal_step",
        title="The optimal constant step and its rate",
        statement=r"Which $\epsilon$ minimises the worst contraction $\max(|1 - \epsilon\lambda_{\min}|, "
                  r"|1 - \epsilon\lambda_{\max}|)$, and what rate does it give, with "
                  r"$\kappa = \lambda_{\max}/\lambda_{\min}$?",
        variables=(lambda_min, lambda_max, kappa), answer=True,
        neighbours=("optim.gd_step_bound",),
        derive=lambda v: optimal_step(v)[0],
        result=lambda v: 2 / (v.lambda_min + v.lambda_max),
        result_lhs=r"\epsilon^*",
        steps=(
            Step(r"\epsilon^*", lambda v: 2 / (v.lambda_min + v.lambda_max),
                 r"where $1 - \epsilon\lambda_{\min} = -(1 - \epsilon\lambda_{\max})$: the two extreme modes "
                 r"contract equally, in opposite directions",
                 target=lambda v: sp.solve((1 - LAMBDA * v.lambda_min) + (1 - LAMBDA * v.lambda_max), LAMBDA)[0]),
            Step(r"\rho(\epsilon^*)", lambda v: (v.kappa - 1) / (v.kappa + 1),
                 r"the worst contraction at $\epsilon^*$, in $\kappa$", target=lambda v: optimal_step(v)[1]),
        ),
        oracle=Oracle(minimax_step, "ternary search of max_i |1 - eps lambda_i| over the eigenvalues NumPy "
                      "computes for a random 5x5 SPD matrix with the sampled extremes", 1e-9,
                      "200 ternary steps shrink the bracket below float64 resolution; eigvalsh errs by "
                      "~1e-15 lambda_max, so the minimiser is accurate to ~1e-14", cases=30),
        checks=(Simulation("GD at eps* contracts its worst mode by exactly (kappa - 1)/(kappa + 1), and 1% "
                           "smaller or larger steps do worse", bound_strategy, optimal_rate_check,
                           "NumPy gradient descent on random SPD matrices (Hypothesis picks n, kappa up to "
                           "1000, lambda_max): observed per-mode rates over 200 steps", 1e-9,
                           "rates measured from 200 float64 steps are accurate to ~1e-13", cases=30),),
    ),
    Part(
        id="optim.newton_step_bound",
        title="Damped Newton on a quadratic",
        statement=r"Damped Newton $w_{t+1} = w_t - \epsilon H^{-1} \nabla f(w_t)$ on $f(w) = \frac12 w^\top H w$: "
                  r"find $w_t$ and the step sizes for which it converges; what happens at $\epsilon = 1$?",
        variables=(step, H, w_0), sizes={"n": [1, 2, 3]}, answer=True,
        neighbours=("optim.gd_step_bound",),
        derive=newton_bound,
        result=lambda v: between(0, v.eps, 2),
        result_lhs=r"\{\epsilon : w_t \to 0 \ \forall w_0\}",
        steps=(
            Step("w_1", lambda v: (1 - v.eps) * v.w_0, r"$H^{-1} \nabla f(w_0) = H^{-1} H w_0 = w_0$",
                 target=lambda v: newton_factor(v) * v.w_0),
            Step("w_t", lambda v: (1 - v.eps) ** T * v.w_0, r"solving $w_t = (1 - \epsilon) w_{t-1}$ "
                 r"(SymPy's rsolve, entry by entry)",
                 target=lambda v: sp.rsolve(sp.Function("x")(T) - newton_factor(v) * sp.Function("x")(T - 1),
                                            sp.Function("x")(T), {sp.Function("x")(0): 1}) * v.w_0),
            Step(r"w_1 \big|_{\epsilon = 1}", lambda v: zeros(v), "one full Newton step lands on the minimum",
                 target=lambda v: (newton_factor(v) * v.w_0).subs(v.eps, 1)),
        ),
        oracle=Oracle(lambda x: converges(newton_numpy, x["H"], x), "NumPy damped Newton at the sampled "
                      "step size on the sampled SPD matrix: converges or not", 0.0, CONVERGENCE_REASON),
        checks=(
            Induction("w_t = (1 - eps)^t w_0 for every t and n", lambda v: (1 - v.eps) ** T * v.w_0,
                      lambda v, prev, t: prev - v.eps * prev, lambda v: v.w_0, t=T),
            Simulation("damped Newton converges just inside the claimed bound, diverges just outside, and "
                       "neither decays nor grows on it", bound_strategy, bound_check(newton_numpy),
                       "NumPy damped Newton (np.linalg.solve) on random SPD matrices at 7 step sizes per "
                       "matrix: per-eigenmode rates over 200 steps", 0.0,
                       "a probe passes when the observed behaviour is exactly the claimed one", cases=20),
        ),
    ),
]

