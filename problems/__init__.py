"""Problem families: one module per family of ../shared/catalogue.md (conv, the largest, a package).

A family module reads like its catalogue entry: a docstring introducing the family, ``TITLE``,
each part a module constant ``NAME = Part(id, title, Sheet(...), Derivation(...), Grading(...))``
with the helpers it alone needs just above it, and ``PARTS = [...]`` at the end in catalogue
order. It imports only:

- ``derive``: the declarations (Part, Sheet, Derivation, Grading, Variable, Step, Oracle, Slip,
  Figure, Demonstration);
- ``derive.model.domains`` and ``derive.model.functions``: the notation formulas are written in
  (``Notation``: a symbol with a plain name that prints as the LaTeX it carries);
- ``derive.maths.*``: the tools that derive (expectations, recurrences, convolutions, networks)
  and a family's own derivation helpers (e.g. ``maths.dropout``, ``maths.softmax_losses``);
- ``derive.verify.*``: the independent checks: ``numpy_oracles`` for the common oracle shapes
  (``gradient_in``, ``derivative_in``, ``jacobian_of``, ``differences``, ``direct``) and the NumPy
  ``sigmoid`` and ``softmax``; simulations, worked tables, and a family's own oracles, plots and
  worked examples (e.g. ``dropout_oracles``, ``backprop_oracles``, ``relu_fit``, ``dynamics_figures``, ``conv_figures``).

A part declares what it claims; anything longer than a line or two that is not the claim (a
NumPy oracle, a figure, a table, a search) is an engine tool the part names.

The engine never imports this package: derive's front hands it to the registry by name.
"""
