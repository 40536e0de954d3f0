"""Plots of optimiser runs for the optim sheet: gradient descent on a quadratic below, at and
above the step bound, and Adam's first moment with and without bias correction. The runs come
from derive.verify.dynamics; each plot draws on the Matplotlib axes the renderer passes in."""
import numpy as np

from .dynamics import gradient_descent, moving_average, run

GD_DEMO = np.diag([1.0, 4.0]), np.array([1.0, 1.0])   # 2 / lambda_max = 0.5


def plot_gd_losses(ax):
    """f(w_t) on H = diag(1, 4) for steps 0.45, 0.5 = 2/lambda_max and 0.52."""
    h, w_start = GD_DEMO
    for eps, style in ((0.45, "-"), (0.5, "--"), (0.52, ":")):
        losses = [0.5 * w @ h @ w for w in run(gradient_descent, h, w_start, eps, 40)]
        ax.semilogy(losses, style, label=rf"$\epsilon = {eps}$" + (r" $= 2/\lambda_{\max}$" if eps == 0.5 else ""))
    ax.set_xlabel("step $t$")
    ax.set_ylabel(r"$f(w_t) = \frac{1}{2} w_t^\top H w_t$")
    ax.legend()


def plot_gd_paths(ax):
    """The lambda_max coordinate of the same three runs."""
    h, w_start = GD_DEMO
    for eps, marker in ((0.45, "o"), (0.5, "s"), (0.52, "^")):
        path = run(gradient_descent, h, w_start, eps, 20)
        ax.plot(path[:, 1], marker=marker, ms=3, lw=0.8, label=rf"$\epsilon = {eps}$")
    ax.axhline(0, color="0.6", lw=0.5)
    ax.set_xlabel("step $t$")
    ax.set_ylabel(r"$w_{t,2}$ (the $\lambda_{\max} = 4$ direction)")
    ax.legend()


def plot_adam_moments(ax):
    """m_t, the corrected m_t / (1 - beta_1^t) and E[m_t] for noisy gradients of mean 1."""
    rng = np.random.default_rng(0)
    b, t = 0.9, np.arange(1, 41)
    g = 1.0 + 0.5 * rng.standard_normal(t.size)
    m = moving_average(g, b)
    ax.plot(t, g, ".", color="0.6", label="$g_t$ (mean 1, sd 0.5)")
    ax.plot(t, m, label=r"$m_t$")
    ax.plot(t, m / (1 - b ** t), label=r"$\hat m_t = m_t / (1 - \beta_1^t)$")
    ax.plot(t, 1 - b ** t, "--", color="0.3", label=r"$\mathbb{E}[m_t] = (1 - \beta_1^t)\,\mathbb{E}[g]$")
    ax.axhline(1.0, color="0.3", lw=0.6)
    ax.set_xlabel(r"step $t$ ($\beta_1 = 0.9$)")
    ax.legend(fontsize="small")
