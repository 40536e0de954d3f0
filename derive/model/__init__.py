"""What a part is: parts, variables, steps, oracles, claims as data, domains, notation, the registry.
May import only derive.errors (and SymPy/NumPy); everything else in derive builds on this."""
