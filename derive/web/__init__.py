"""The checking server (``derive serve``): pages and a JSON API over the checker, its limits
(size, rate, time) and security headers, run by uvicorn.
May import pipeline, answers, render, verify, maths, model and errors; never cli."""
from .app import create_app
from .settings import Settings

__all__ = ["Settings", "create_app"]
