"""derive: machine-verified solutions to deep-learning course problems.

The public front: declare parts with :class:`Part`, :class:`Variable`, :class:`Step`,
:class:`Oracle`; verify them with :func:`verify_part`; look them up with
:func:`get_part` and :func:`all_parts`.
"""
from .model.verdict import Verdict
from .answers.serve.free import equivalent
from .answers.serve.worker import check
from .errors import (AnswerSyntaxError, DeriveError, InvalidArgument, OutputError,
                     ProblemDefinitionError, UnknownPart)
from .model.part import Demonstration, Figure, Namespace, Oracle, Part, Slip, Step, Variable
from .model.registry import all_parts, families, get_part, load_file, select
from .verify.claims import Claim, PartReport, verify_part

__all__ = [
    "AnswerSyntaxError",
    "Claim",
    "Demonstration",
    "DeriveError",
    "Figure",
    "InvalidArgument",
    "Namespace",
    "Oracle",
    "OutputError",
    "Part",
    "PartReport",
    "ProblemDefinitionError",
    "Slip",
    "Step",
    "UnknownPart",
    "Variable",
    "Verdict",
    "all_parts",
    "check",
    "equivalent",
    "families",
    "get_part",
    "load_file",
    "select",
    "verify_part",
]
