"""Problem families: one module per family of ../shared/catalogue.md."""
