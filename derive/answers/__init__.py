"""Checking a student's answer, in three stages, each importing only the stages after it:
serve (worker pool, batches, free expressions) -> decide (points, precision, equivalence, sets,
diagnosis, counterexamples, the judge) -> read (text to one tree: lexer, resolver, grammar,
builder, nodes, vocabulary, limits). May import render.printing, verify, maths, model and
errors; never pipeline or cli."""
