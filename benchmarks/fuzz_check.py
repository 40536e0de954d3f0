"""Fuzz the answer checker across every answer part: no exception escapes, no check outlives its
hard limit.

    python benchmarks/fuzz_check.py [--inputs 10000] [--seed 0] [--timeout 5]

Inputs are seeded: token soups drawn from each part's own vocabulary (its names and spellings,
numbers, operators, functions, LaTeX commands, brackets), well-formed random expressions over
those names (so many reach the comparison, not only the parser), mutations of the part's expected
answer (characters inserted, deleted, swapped), and hostile strings (deep nesting, huge powers,
long inputs, control characters, surrogates). Each goes through ``derive.check`` with its worker
and time limit, as a student's answer would. Prints the count per status, the slowest checks and
every escaped exception; exits 1 if any exception escaped or any check ran past its limit.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import derive  # noqa: E402
from derive.answers.decide.judge import expected_latex  # noqa: E402

OPERATORS = ["+", "-", "*", "/", "^", "**", "@", "(", ")", "[", "]", "{", "}", "|", "||", ",", "_",
             "'", ".T", "^T", "=", "<", "<=", ">", "!", " ", " ", " "]
FUNCTIONS = ["exp", "log", "sqrt", "sigma", "tanh", "relu", "diag", "sum", "max", "min", "floor",
             "sech", "abs", "softmax", "inv", "trace", "norm", "sign", "cosh", "heaviside"]
LATEX = [r"\frac{", r"\sqrt{", r"\hat{", r"\sum_{i=1}^{n}", r"\left(", r"\right)", r"\cdot", r"\top",
         r"\operatorname{diag}", r"\epsilon", r"\lambda_{\max}", r"\|", r"\delta_{ij}", r"\times",
         r"\lfloor", r"\rfloor", r"\mathbb{1}", r"\sigma'", r"\tanh^2", r"\beta_1"]
NUMBERS = ["0", "1", "2", "0.5", "1e-9", "3/8", "1000", "-1", "0.33", "12", "1e308", "9" * 40]
HOSTILE = ["(" * 400 + "z" + ")" * 400, "2^2^2^2^2^2^2^2", "9^9^9^9", "z" * 5000, "factorial(100000)",
           "__import__('os').system('true')", "\x00\x01\x1b[2J", "\ud800", "sum(z, i, 1, 10**12)",
           r"\frac{" * 200, "exp(exp(exp(exp(z))))", "1/0", "0^0", "log(0)", "-" * 300 + "z"]


def vocabulary_words(part) -> list[str]:
    words = []
    for var in part.variables:
        words += [var.name, *getattr(var, "spellings", ())]
    return words or ["z"]


def token_soup(rng: random.Random, part) -> str:
    pool = vocabulary_words(part) * 3 + OPERATORS * 2 + FUNCTIONS + LATEX + NUMBERS
    return "".join(rng.choice(pool) for _ in range(rng.randint(1, 24)))


SCALAR_FUNCTIONS = ["exp", "log", "sqrt", "sigma", "tanh", "relu", "abs", "sech", "cosh", "heaviside"]


def expression(rng: random.Random, part, depth: int = 0) -> str:
    """A well-formed random expression over the part's own names: these reach the comparison,
    not just the parser."""
    words = vocabulary_words(part)
    if depth > 3 or rng.random() < 0.3:
        return rng.choice(words + words + ["1", "2", "0.5", "3/8", "1e-9"])
    kind = rng.random()
    a = expression(rng, part, depth + 1)
    if kind < 0.5:
        return f"({a} {rng.choice(['+', '-', '*', '/'])} {expression(rng, part, depth + 1)})"
    if kind < 0.75:
        return f"{rng.choice(SCALAR_FUNCTIONS)}({a})"
    if kind < 0.85:
        return f"({a})^{rng.choice(['2', '3', 'T', '-1'])}"
    return f"-{a}"


def mutation(rng: random.Random, text: str) -> str:
    chars = list(text) or ["z"]
    for _ in range(rng.randint(1, 4)):
        k = rng.randrange(len(chars))
        move = rng.random()
        if move < 0.4:
            chars.insert(k, rng.choice("()+-*/^_{}[]|\\ 0123456789azTs,"))
        elif move < 0.7 and len(chars) > 1:
            del chars[k]
        else:
            j = rng.randrange(len(chars))
            chars[k], chars[j] = chars[j], chars[k]
    return "".join(chars)


def inputs(rng: random.Random, parts, count: int):
    expected = {}
    for part in parts:
        try:
            expected[part.id] = expected_latex(part)
        except Exception:
            expected[part.id] = part.variables[0].name if part.variables else "z"
    for n in range(count):
        part = parts[n % len(parts)]
        kind = rng.random()
        if kind < 0.3:
            yield part, token_soup(rng, part)
        elif kind < 0.6:
            yield part, expression(rng, part)
        elif kind < 0.9:
            yield part, mutation(rng, expected[part.id])
        else:
            yield part, rng.choice(HOSTILE)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--inputs", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=5.0)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    parts = [p for p in derive.all_parts() if p.answer]
    statuses, escaped, slow = Counter(), [], []
    # A check may run to its limit, then the worker is killed and restarted: allow that much.
    limit = args.timeout + 2.0
    started = time.perf_counter()
    for n, (part, text) in enumerate(inputs(rng, parts, args.inputs), 1):
        t0 = time.perf_counter()
        try:
            verdict = derive.check(part.id, text, timeout=args.timeout)
            statuses[verdict.status] += 1
        except Exception as exc:  # the point of the fuzz: nothing may escape
            escaped.append((part.id, text, f"{type(exc).__name__}: {exc}"))
        took = time.perf_counter() - t0
        slow.append((took, part.id, text))
        if n % 1000 == 0:
            print(f"{n} inputs, {time.perf_counter() - started:.0f} s", file=sys.stderr)
    slow.sort(reverse=True)
    over = [s for s in slow if s[0] > limit]
    print(f"{args.inputs} inputs over {len(parts)} answer parts in {time.perf_counter() - started:.0f} s")
    print("statuses: " + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())))
    print(f"escaped exceptions: {len(escaped)}")
    for part_id, text, what in escaped[:20]:
        print(f"  {part_id} {text[:80]!r}: {what}")
    print(f"checks past the {args.timeout:g} s limit (+2 s to kill and restart): {len(over)}")
    print("slowest: " + "; ".join(f"{t:.2f} s {p}" for t, p, _ in slow[:5]))
    return 1 if escaped or over else 0


if __name__ == "__main__":
    sys.exit(main())
