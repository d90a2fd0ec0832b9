"""The report's sections, one module per group; each function returns rendered HTML."""
