"""What the report needs to know about the analysis, read once from its inputs: the trait
type (odds ratios or betas, cases or not) and the meta-analysis estimators used."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from gwaskit.report.inputs import ReportInputs

#: Names of the random-effects estimators of tau², by the value of ``--random-method``.
RANDOM_ESTIMATORS = {"dl": "DerSimonian–Laird", "reml": "REML"}
_BINARY = {"binary", "logistic", "firth", "case-control", "case_control", "cc"}
_QUANTITATIVE = {"quantitative", "linear", "continuous", "qt"}


def flatten(mapping: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """Nested parameters as ``("a.b.c", value)`` pairs."""
    out: list[tuple[str, Any]] = []
    for k, v in mapping.items():
        if isinstance(v, Mapping):
            out.extend(flatten(v, f"{prefix}{k}."))
        else:
            out.append((f"{prefix}{k}", v))
    return out


def parameters(inputs: ReportInputs) -> dict[str, Any]:
    """The manifest's parameters, flattened (``meta.method`` ...); empty when not recorded."""
    params = inputs.manifest.get("parameters")
    return dict(flatten(params)) if isinstance(params, Mapping) else {}


def parameter(inputs: ReportInputs, *names: str) -> Any:
    """The first recorded parameter whose last key is one of ``names`` (manifest top level
    first, then ``parameters``), else None."""
    for name in names:
        if inputs.manifest.get(name) is not None:
            return inputs.manifest[name]
    for key, value in parameters(inputs).items():
        if key.split(".")[-1] in names and value is not None:
            return value
    return None


def is_binary(inputs: ReportInputs) -> bool:
    """Whether the trait is binary (effects are log odds ratios, studies have cases).

    The recorded trait type or association model decides (``trait_type``, ``--trait``,
    ``association.model``); without one, the case counts do: a binary trait's tables carry
    ``n_cases``. With neither, binary (the report's historical reading)."""
    params = parameters(inputs)
    model = params.get("association.model", params.get("model"))
    for value in (parameter(inputs, "trait_type", "trait_kind"), model):
        word = str(value).lower() if value is not None else ""
        if word in _BINARY:
            return True
        if word in _QUANTITATIVE:
            return False
    tables = [inputs.studies, inputs.meta, *inputs.per_study.values()]
    with_cases = [t for t in tables if t is not None and "n_cases" in t.columns]
    if with_cases:
        return any(
            t["n_cases"].cast(pl.Float64, strict=False).drop_nulls().len() for t in with_cases
        )
    with_n = [t for t in tables if t is not None and "n" in t.columns]
    return not with_n  # sample sizes but no case counts anywhere: quantitative


def meta_method(inputs: ReportInputs) -> str | None:
    """The meta-analysis method recorded (``fixed``, ``random``, ``samplesize``), else None:
    ``meta.method`` (the pipeline's plan), else a top-level ``method``."""
    params = parameters(inputs)
    value = params.get("meta.method", params.get("method", inputs.manifest.get("method")))
    return str(value) if value is not None else None


def random_estimator(inputs: ReportInputs) -> str | None:
    """The random-effects estimator of tau² used (``DerSimonian–Laird``, ``REML``), with
    Hartung–Knapp–Sidik–Jonkman when recorded; None when not recorded."""
    value = parameter(inputs, "random_method")
    if value is None:
        return None
    name = RANDOM_ESTIMATORS.get(str(value).lower(), str(value))
    if parameter(inputs, "hksj") is True:
        name += " with the Hartung–Knapp–Sidik–Jonkman adjustment"
    return name
