"""The engine's mathematics: zero tests, expectations, recurrences, moving averages, quadratics,
inequalities as sets. May import derive.model and derive.errors; never verify, render, answers or cli."""
