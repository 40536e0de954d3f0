"""derive: machine-verified solutions to deep-learning course problems.

The public front: declare parts with :class:`Part`, :class:`Variable`, :class:`Step`,
:class:`Oracle`; verify them with :func:`verify_part`; look them up with
:func:`get_part` and :func:`all_parts`.
"""
from .model.verdict import Verdict
from .answers.serve.audit import audit
from .answers.serve.free import equivalent
from .model.audit import AuditChain, AuditReport, AuditStep
from .pipeline.variants import Variant, check, variant
from .model.parameters import Param, Parameters, parametrised
from .errors import (AnswerSyntaxError, DeriveError, InvalidArgument, NotParametrised, OutputError,
                     ParameterOutOfRange, ProblemDefinitionError, RosterError, UnknownPart)
from .model.part import (Demonstration, Derivation, DerivedSize, Figure, Grading, Namespace, Oracle, Part, Sheet,
                          Slip, Step, Variable)
from .model import registry as _registry
from .model.registry import all_parts, families, get_part, load_file, select
from .verify.claims import Claim, PartReport, verify_part

# The course catalogue ships beside the engine as the package ``problems``. The front, which
# the command line, the pytest plugin and library callers all go through, hands it to the
# registry by name, so no engine module depends on it (the registry imports it when first asked).
CATALOGUE = "problems"
_registry.add_package(CATALOGUE)

__all__ = [
    "AnswerSyntaxError",
    "AuditChain",
    "AuditReport",
    "AuditStep",
    "Claim",
    "Demonstration",
    "Derivation",
    "DerivedSize",
    "DeriveError",
    "Figure",
    "Grading",
    "InvalidArgument",
    "Namespace",
    "NotParametrised",
    "Oracle",
    "OutputError",
    "Param",
    "ParameterOutOfRange",
    "Parameters",
    "Part",
    "PartReport",
    "ProblemDefinitionError",
    "RosterError",
    "Sheet",
    "Slip",
    "Step",
    "UnknownPart",
    "Variable",
    "Variant",
    "Verdict",
    "all_parts",
    "audit",
    "check",
    "equivalent",
    "families",
    "get_part",
    "load_file",
    "parametrised",
    "select",
    "variant",
    "verify_part",
]
