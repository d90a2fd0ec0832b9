"""gwaskit: genome-wide association studies and their meta-analysis, in one tool.

The functions a Python user calls are the ones the verbs and the pipeline call; each takes and
returns tables (polars) or frozen dataclasses. They are imported on first use, so ``import
gwaskit`` stays fast (the command line imports only the verb it runs). A pandas DataFrame given
to any of them (as an argument, or as the values of a dict of studies) is converted to polars
first; results are polars. See ``docs/api.md``.
"""

import functools
import inspect
from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import Any

#: The distribution name on the package index (``pip install gwaskit-suite``); the import name
#: and the command are ``gwaskit``. (``gwaskit`` on the index is an unrelated empty package.)
DISTRIBUTION = "gwaskit-suite"

try:
    __version__ = version(DISTRIBUTION)
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

#: Public name -> the module that defines it.
_API = {
    # inputs
    "open_genotypes": "gwaskit.io.genotypes",
    "read_sumstats": "gwaskit.io.sumstats",
    # association
    "align_phenotypes": "gwaskit.assoc.api",
    "association_scan": "gwaskit.assoc.api",
    "run_scan": "gwaskit.assoc.scan",
    "whole_genome_regression": "gwaskit.wgr.model",
    "loco_scan": "gwaskit.wgr.step2",
    # meta-analysis
    "qc_sumstats": "gwaskit.qc.sumstats",
    "harmonise": "gwaskit.meta.harmonise",
    "meta_analyse": "gwaskit.meta.combine",
    "prepare_study": "gwaskit.meta.prepare",
    "PreparedStudy": "gwaskit.meta.prepare",
    "meta_analyse_studies": "gwaskit.meta.analyse",
    # LD score regression
    "compute_ld_scores": "gwaskit.ldsc.scores",
    "LdScores": "gwaskit.ldsc.scores",
    "munge_sumstats": "gwaskit.ldsc.munge",
    "estimate_h2": "gwaskit.ldsc.estimate",
    "estimate_rg": "gwaskit.ldsc.estimate",
    "rg_matrix": "gwaskit.ldsc.estimate",
    "h2_liability": "gwaskit.ldsc.regression",
    # loci
    "define_loci": "gwaskit.loci.define",
    "cojo_loci": "gwaskit.loci.cojo",
    "replicate_loci": "gwaskit.loci.replicate",
    # fine-mapping and colocalisation
    "finemap_loci": "gwaskit.finemap.loci",
    "coloc_loci": "gwaskit.finemap.coloc",
    "susie_suff_stat": "gwaskit.finemap.susie",
    "susie_individual": "gwaskit.finemap.susie",
    "coloc_abf": "gwaskit.finemap.abf",
    # subtypes
    "analyse_subtypes": "gwaskit.subtypes.analyse",
    # genes, tissues, report
    "annotate_genes": "gwaskit.annotate.genes",
    "tissue_enrichment": "gwaskit.annotate.tissues",
    "build_report": "gwaskit.report.build",
}

__all__ = ["__version__", *sorted(_API)]
#: Functions that convert pandas tables themselves, column by column (text kept as text, so a
#: bad value is reported at its row): not wrapped by :func:`_accept_pandas`.
_TAKES_PANDAS = frozenset({"association_scan", "align_phenotypes"})


def __getattr__(name: str) -> Any:
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'gwaskit' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    if inspect.isfunction(value) and name not in _TAKES_PANDAS:
        value = _accept_pandas(value)
    globals()[name] = value  # the next access skips this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_API))


def _is_pandas_frame(value: Any) -> bool:
    kind = type(value)
    return kind.__name__ == "DataFrame" and kind.__module__.partition(".")[0] == "pandas"


def _as_polars(value: Any) -> Any:
    """A pandas DataFrame (or a dict whose values are) as polars; anything else unchanged."""
    if _is_pandas_frame(value):
        import polars as pl

        return pl.from_pandas(value)
    if isinstance(value, dict) and value and all(_is_pandas_frame(v) for v in value.values()):
        return {k: _as_polars(v) for k, v in value.items()}
    return value


def _accept_pandas(func: Any) -> Any:
    """``func`` taking pandas tables wherever it takes polars ones (converted on the way in)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        args = tuple(_as_polars(a) for a in args)
        kwargs = {k: _as_polars(v) for k, v in kwargs.items()}
        return func(*args, **kwargs)

    return wrapper
