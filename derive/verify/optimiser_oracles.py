"""The optimisers in NumPy, independent of the SymPy recurrences of problems/optim.py: a plain
Adam loop (Kingma and Ba, Algorithm 1), Monte Carlo runs of its moment estimates, gradient
descent and damped Newton on random quadratics, and the simulation checks and Hypothesis
strategies built on them (each check takes the part and one drawn case and returns the error
and what it saw)."""
import numpy as np
from hypothesis import strategies as st

from .dynamics import (TAU, behaviour, best_constant_step, converges, damped_newton, gradient_descent,
                       moving_average, random_quadratic, run, spd_with_spectrum, step_bound_check,
                       step_bound_strategy)
from .numeric import scaled_error
from .random_oracles import MonteCarlo, generator_from
from .simulation import at_values, closed_form


# ----------------------------------------------------------------------------- Adam
ADAM_DEFAULTS = {"alpha": 1e-3, "beta_1": 0.9, "beta_2": 0.999, "eps": 1e-8}   # Kingma and Ba's


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


def moment_loop(x):
    """Adam's first moment m_t by a plain NumPy loop of its recurrence."""
    return moving_average(np.reshape(x["g"], -1), x["beta_1"])[-1]


MC_RUNS = 40_000
MC_REASON = (r"Monte Carlo over $40000$ runs with $g_i \sim N(\mathbb{E}[g], 1)$: $m_t$ has variance "
             r"$(1-\beta_1)(1-\beta_1^{2t})/(1+\beta_1) \le 1$, so the standard error is at most $0.005$ and "
             r"$0.03$ is six standard errors (a false alarm has probability about $2 \times 10^{-9}$ per case)")


def monte_carlo_first_moment(x):
    g = x["mu"] + generator_from(x).standard_normal((MC_RUNS, int(round(x["t"]))))
    return moving_average(g, x["beta_1"])[:, -1].mean()


def unbiased_check(part, case):
    """Many Adam runs on stationary N(mu, sigma^2) gradients: mean of mhat_t and vhat_t."""
    b1, b2, t, mu, sigma, seed = case
    g = mu + sigma * np.random.default_rng(seed).standard_normal((MC_RUNS, t))
    mhat = moving_average(g, b1)[:, -1] / (1 - b1 ** t)
    vhat = moving_average(g ** 2, b2)[:, -1] / (1 - b2 ** t)
    z = [MonteCarlo.from_samples(x).z(want) for x, want in ((mhat, mu), (vhat, mu ** 2 + sigma ** 2))]
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
    hyper = st.one_of(st.just(tuple(ADAM_DEFAULTS.values())),
                      st.tuples(st.floats(1e-4, 1.0), st.floats(0.5, 0.999), st.floats(0.5, 0.9999),
                                st.sampled_from([1e-8, 1e-3, 0.1])))
    return st.tuples(st.lists(gradient, min_size=1, max_size=6), hyper, st.floats(-5, 5))


# ----------------------------------------------------------------------------- gradient descent and Newton on a quadratic
def spectrum(lmin, lmax):
    """The parts' eigenvalue variables at extreme eigenvalues lmin < lmax."""
    return {"lambda_min": lmin, "lambda_max": lmax, "kappa": lmax / lmin}


def closed_form_check(part, case):
    """(I - eps H)^t w_0 from the closed form against a plain NumPy gradient-descent loop."""
    n, t, log_kappa, ratio, seed = case
    rng = np.random.default_rng(seed)
    h, q = spd_with_spectrum(rng, n, 10.0 ** -log_kappa, 1.0)
    values = {"H": h, "w_0": rng.standard_normal(n), "eps": ratio * 2.0}  # lambda_max = 1
    claimed = np.array(at_values(part, part.result, {"n": n, "t": t}, values), dtype=float).reshape(-1)
    w = run(gradient_descent, h, values["w_0"], values["eps"], t)[-1]
    return scaled_error(claimed, w), {"n": n, "t": t, "eps": values["eps"], "closed form": claimed,
                                      "NumPy loop": w}


def closed_form_strategy():
    return st.tuples(st.integers(1, 6), st.integers(0, 40), st.floats(0.0, 3.0), st.floats(-0.2, 1.2),
                     st.integers(0, 2 ** 32 - 1))


def optimal_rate_check(part, case):
    """GD at the claimed eps*: observed worst mode rate against (kappa - 1)/(kappa + 1), and
    no better rate 1% to either side."""
    n, lmin, lmax, h, q, w_0 = random_quadratic(case)
    eps_star = float(closed_form(part, part.result, {}, spectrum(lmin, lmax))[0, 0])
    best = (lmax / lmin - 1) / (lmax / lmin + 1)
    rates = [behaviour(gradient_descent, h, q, w_0, eps_star * f)[1] for f in (1.0, 0.99, 1.01)]
    error = abs(rates[0] - best) + max(0.0, rates[0] - min(rates[1:]))
    return error, {"n": n, "lambda_min": lmin, "lambda_max": lmax, "eps*": eps_star, "observed rate": rates[0],
                   "(kappa-1)/(kappa+1)": best, "rates at 0.99, 1.01 eps*": rates[1:]}


def ternary_search_step(x):
    """Oracle: the best constant step for the eigenvalues NumPy computes for a random SPD
    matrix with the sampled extreme eigenvalues."""
    h, _ = spd_with_spectrum(generator_from(x), 5, x["lambda_min"], x["lambda_max"])
    return best_constant_step(np.linalg.eigvalsh(h))


def gd_loop(x):
    """Oracle: t steps of a plain NumPy gradient-descent loop from w_0."""
    w_start = np.asarray(x["w_0"], dtype=float).reshape(-1)
    return run(gradient_descent, np.asarray(x["H"]), w_start, x["eps"], int(x["t"]))[-1].reshape(-1, 1)


def gd_converges(x):
    h, _ = spd_with_spectrum(generator_from(x), 4, x["lambda_min"], x["lambda_max"])
    return float(converges(gradient_descent, h, x["eps"], generator_from(x)))


def newton_converges(x):
    return float(converges(damped_newton, x["H"], x["eps"], generator_from(x)))


CONVERGENCE_REASON = (r"the claim's indicator against the observed behaviour ($1$ converges, $0$ not): "
                      r"they must agree exactly; per-mode rates are classified with margin $10^{-9}$")


# ----------------------------------------------------------------------------- step-size bounds, probed
# Each probe runs the method on random SPD matrices (step_bound_strategy) just inside, on and
# just outside the claimed bound; rates are classified with the margin RATE_MARGIN.
GD_STEP_BOUND_CHECK = step_bound_check(gradient_descent, spectrum)
NEWTON_STEP_BOUND_CHECK = step_bound_check(damped_newton, spectrum)
RATE_MARGIN = rf"$10^{{{round(np.log10(TAU))}}}$"
__all__ = ["ADAM_DEFAULTS", "CONVERGENCE_REASON", "GD_STEP_BOUND_CHECK", "MC_REASON", "NEWTON_STEP_BOUND_CHECK",
           "RATE_MARGIN", "adam_numpy", "closed_form_check", "closed_form_strategy", "gd_converges", "gd_loop",
           "moment_loop", "monte_carlo_first_moment", "newton_converges", "optimal_rate_check", "spectrum",
           "step_bound_strategy", "ternary_search_step", "trajectory_check", "trajectory_strategy",
           "unbiased_check", "unbiased_strategy"]
