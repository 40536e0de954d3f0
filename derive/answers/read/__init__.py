"""Reading an answer: text -> lexemes (lexer) -> tokens (resolver) -> tree (grammar, builder,
nodes) -> Answer, with the vocabulary and limits that bound it, and the tree's evaluation
(NumPy, SymPy, LaTeX). Imports nothing from decide or serve."""
