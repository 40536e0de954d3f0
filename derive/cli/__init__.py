"""The derive command: every subcommand's argument parsing and output.
May import anything in derive; nothing in derive imports it."""
from .main import main

__all__ = ["main"]
