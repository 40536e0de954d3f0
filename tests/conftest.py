
import pytest
from hypothesis import settings

# Property tests are reproducible: derandomised, no example database in the work tree.
settings.register_profile("derive", derandomize=True, database=None, deadline=None)
settings.load_profile("derive")


@pytest.fixture
def rng():
    import numpy as np
    return np.random.default_rng(20261122)
