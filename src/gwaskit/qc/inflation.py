"""Genomic inflation worth a warning.

λGC, the median association chi-square over its expectation under no association (0.4549;
Devlin & Roeder 1999, doi:10.1111/j.0006-341X.1999.00997.x), well above 1 means population
structure or relatedness the model does not account for (heterogeneous-stock mice scanned with
5 PCs reach 5.4; a mixed model brings them to 0.91), or, in large studies of polygenic traits,
true signal (LD score regression's intercept tells the two apart). gwaskit warns above a
threshold, 1.2 by default (``--lambda-warn``), on the terminal and in the report.
"""

from __future__ import annotations

import math

from gwaskit.errors import ParameterError

#: Default λGC above which gwaskit warns.
LAMBDA_WARN = 1.2


def check_lambda_warn(threshold: float) -> float:
    """``threshold`` if it is a number > 0 (``inf`` switches the warning off)."""
    if not threshold > 0:  # also NaN
        raise ParameterError(
            f"--lambda-warn must be a number > 0 (inf: never warn), got {threshold!r}."
        )
    return float(threshold)


def inflation_warning(what: str, lam: float, threshold: float = LAMBDA_WARN) -> str | None:
    """One sentence when ``lam`` (λGC of ``what``) exceeds ``threshold``, else ``None``."""
    if not (math.isfinite(lam) and lam > threshold):
        return None
    return (
        f"{what}: lambda GC {lam:.2f} is above {threshold:g}: population structure or "
        "relatedness not accounted for (add principal components or use a mixed model), "
        "or polygenic signal in a large study (check with LD score regression)."
    )
