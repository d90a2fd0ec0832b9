"""Quality control of samples, variants and summary statistics."""
