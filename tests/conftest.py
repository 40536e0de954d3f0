
import pytest
from hypothesis import settings

# Property tests are reproducible: derandomised, no example database in the work tree.
settings.register_profile("derive", derandomize=True, database=None, deadline=None)
settings.load_profile("derive")


@pytest.fixture
def rng():
    import numpy as np
    return np.random.default_rng(20261122)


@pytest.fixture(autouse=True)
def registry_restored():
    """A test that loads a problem file (``--problems temperature.py``) registers its family in
    the process-wide registry; without this it would leak into every later test (a page build
    would render ``temperature.*``). The registry is put back as it was after each test."""
    from derive.model import registry
    families, packages, imported = dict(registry._families), list(registry._packages), set(registry._imported)
    yield
    registry._families.clear()
    registry._families.update(families)
    registry._packages[:] = packages
    registry._imported.clear()
    registry._imported.update(imported)
