"""Optional libraries (JAX): without them a check's claim is "skipped", never passed.

:func:`jax_numpy` imports JAX in float64 or raises :class:`~derive.errors.MissingLibrary`;
:class:`~derive.verify.agreement.AgreementCheck` turns that into the outcome ``skipped``.
"""
from __future__ import annotations

from ..errors import MissingLibrary
from ..model.claim import SKIPPED

__all__ = ["SKIPPED", "jax_numpy"]


def jax_numpy():
    """(jax, jax.numpy) computing in float64, or MissingLibrary("JAX not installed")."""
    try:
        import jax
    except ImportError as error:
        raise MissingLibrary("JAX not installed") from error
    jax.config.update("jax_enable_x64", True)   # float64, so tolerances are float64's
    import jax.numpy as jnp
    return jax, jnp
