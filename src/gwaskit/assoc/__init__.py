"""Association models (linear, logistic with Firth fallback, score + saddlepoint, trend) and
the chunked genome-wide scan."""
