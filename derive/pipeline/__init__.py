"""One pipeline for a part: derive -> verify -> judge the declared slips -> a finished record
(:class:`derive.model.claim.PartRecord`), computed once, cached, and printed by ``derive build``,
``derive show``, the notebook display and the pytest plugin alike. It does the maths a sheet
shows (the instance SymPy computes, the worked numbers), so rendering only formats.
May import answers, render, verify, maths, model and errors; never cli."""
from .records import finish, finish_all, verified, verify_all

__all__ = ["finish", "finish_all", "verified", "verify_all"]
