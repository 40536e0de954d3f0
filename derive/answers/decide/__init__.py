"""Deciding an answer: where to compare (points), how exactly (precision, decision), whether
equal (equivalence, sets, index answers), why not (diagnosis), and the words of the outcome
(presentation); the judge puts them together. Imports read, never serve."""
