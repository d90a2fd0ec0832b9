"""A user's allele-frequency reference table (``gwaskit meta --eaf-reference FILE``).

A tab-separated text table (plain or compressed) or Parquet with a header and, per variant,
a chromosome, a position, two alleles and the frequency of the first allele. Header names are
matched case-insensitively (a leading ``#`` ignored):

=================  ==============================================================
chromosome         ``chromosome``, ``chrom``, ``chr``, ``#chrom``
position           ``base_pair_location``, ``position``, ``pos``, ``bp``
allele counted     ``effect_allele``, ``alt``, ``a1``, ``allele1``
other allele       ``other_allele``, ``ref``, ``a2``, ``allele2``
its frequency      ``effect_allele_frequency``, ``eaf``, ``alt_freqs``, ``alt_freq``,
                   ``af``, ``freq``, ``a1_freq``, ``frequency``
=================  ==============================================================

Alleles are upper-cased and indels normalised (:func:`gwaskit.io.alleles.normalise_alleles`);
chromosomes as everywhere in gwaskit (``chr1`` -> ``1``, ``23`` -> ``X``).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from gwaskit.errors import InputError

_ALIASES = {
    "chromosome": ("chromosome", "chrom", "chr"),
    "base_pair_location": ("base_pair_location", "position", "pos", "bp"),
    "ref_ea": ("effect_allele", "alt", "a1", "allele1"),
    "ref_oa": ("other_allele", "ref", "a2", "allele2"),
    "ref_eaf": (
        "effect_allele_frequency",
        "eaf",
        "alt_freqs",
        "alt_freq",
        "af",
        "freq",
        "a1_freq",
        "frequency",
    ),
}
_WHAT = {
    "chromosome": "a chromosome",
    "base_pair_location": "a position",
    "ref_ea": "an effect (ALT/A1) allele",
    "ref_oa": "an other (REF/A2) allele",
    "ref_eaf": "a frequency",
}


def read_eaf_reference(path: str | Path) -> pl.DataFrame:
    """Read a reference frequency table as the columns of
    :data:`gwaskit.qc.frequency.REFERENCE_COLUMNS`.

    Raises :class:`InputError` naming the file when a column is missing or a frequency lies
    outside [0, 1].
    """
    from gwaskit.io.alleles import normalise_alleles
    from gwaskit.io.chromosomes import normalise_chromosomes
    from gwaskit.io.tables import read_table

    path = Path(path)
    table, _ = read_table(path, what="an allele-frequency reference table")
    lower = {c.lower().lstrip("#"): c for c in table.columns}
    found = {}
    for target, names in _ALIASES.items():
        column = next((lower[n] for n in names if n in lower), None)
        if column is None:
            need = "; ".join(f"{_WHAT[t]} ({', '.join(n)})" for t, n in _ALIASES.items())
            raise InputError(
                path,
                f"reference table has no column for {_WHAT[target]}; expected a header with "
                f"{need}; found {', '.join(table.columns)}.",
            )
        found[target] = column
    ref = table.select(
        pl.col(found["chromosome"]).cast(pl.String).alias("chromosome"),
        pl.col(found["base_pair_location"])
        .cast(pl.Int64, strict=False)
        .alias("base_pair_location"),
        pl.col(found["ref_ea"]).cast(pl.String).str.to_uppercase().alias("ref_ea"),
        pl.col(found["ref_oa"]).cast(pl.String).str.to_uppercase().alias("ref_oa"),
        pl.col(found["ref_eaf"]).cast(pl.Float64, strict=False).alias("ref_eaf"),
    )
    bad = ref.select(
        (
            pl.col("ref_eaf").is_not_null() & ((pl.col("ref_eaf") < 0) | (pl.col("ref_eaf") > 1))
        ).arg_true()
    ).to_series()
    if bad.len():
        row = int(bad[0])
        raise InputError(
            path,
            f"a frequency must be in [0, 1], got {ref['ref_eaf'][row]!r}.",
            column=found["ref_eaf"],
        )
    ref = ref.with_columns(normalise_chromosomes(ref["chromosome"]))
    pos, a, b = normalise_alleles(ref["base_pair_location"], ref["ref_ea"], ref["ref_oa"])
    return ref.with_columns(base_pair_location=pos, ref_ea=a, ref_oa=b).drop_nulls(
        ["chromosome", "base_pair_location", "ref_ea", "ref_oa", "ref_eaf"]
    )
