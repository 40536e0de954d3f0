"""Checking a student's answer, a pipeline read top to bottom: text -> lexemes (lexer) -> tokens
(resolver) -> tree (builder, nodes) -> Answer -> comparison (equivalence) -> verdict and diagnosis.
May import render.printing, verify, maths, model and errors; never cli. Each stage imports only later ones."""
