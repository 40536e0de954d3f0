"""Showing parts: the one LaTeX printer, sheets, the Jinja environment and files, MathML, figures.
May import derive.verify, derive.maths, derive.model and derive.errors; never answers, pipeline or cli."""
