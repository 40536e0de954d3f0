"""Exports of answer parts to the platforms a course already grades on: PrairieLearn question
folders (:func:`prairielearn`) and a Gradescope autograder (:func:`gradescope`). Each export
carries derive itself, so the platform's grading code calls derive's own checker.
May import answers, model and errors (and the front's catalogue through the registry); never
cli. The platform code it writes lives in ``templates/`` as text (``*.tmpl``), not modules."""
from .gradescope import gradescope
from .prairielearn import prairielearn

__all__ = ["gradescope", "prairielearn"]
