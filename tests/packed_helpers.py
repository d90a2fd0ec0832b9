"""Random PLINK 1 filesets for the decoding and counting tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def write_random_bed(prefix: Path, n_samples: int, n_variants: int, seed: int = 0) -> np.ndarray:
    """A .bed/.bim/.fam of uniformly random bytes (padding bits too); returns the packed rows."""
    rng = np.random.default_rng(seed)
    packed = rng.integers(0, 256, (n_variants, (n_samples + 3) // 4), dtype=np.uint8)
    prefix.with_suffix(".bed").write_bytes(b"\x6c\x1b\x01" + packed.tobytes())
    prefix.with_suffix(".bim").write_text(
        "".join(f"1\tv{j}\t0\t{j + 1}\tA\tG\n" for j in range(n_variants))
    )
    prefix.with_suffix(".fam").write_text(
        "".join(f"f{i}\ti{i}\t0\t0\t0\t-9\n" for i in range(n_samples))
    )
    return packed
