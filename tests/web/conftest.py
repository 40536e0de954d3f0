"""The server the browser and server tests share: started once per module on a free port,
stopped with Ctrl-C."""
import signal

import pytest

from .live import start_server


@pytest.fixture(scope="module")
def server():
    proc, url = start_server("--workers", "2")
    yield url
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=30)
