"""The same study given twice: files with identical content, found by size then SHA-256.

A study counted twice in a meta-analysis shrinks the standard error by a factor of
:math:`1/\\sqrt{2}` and doubles its weight, so its signals look far stronger than they are.
Only files of equal size can have identical content, so only those are hashed: checking a
consortium's files costs nothing unless two of them are the same size.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

#: The suffixes of a genotype fileset's data file, for a PLINK prefix.
_GENOTYPE_DATA = (".bed", ".pgen")


def file_sha256(path: str | Path, *, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes (hex), read in ``chunk``-byte pieces."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def data_file(path: str | Path) -> Path:
    """The file that holds a dataset's data: ``path`` itself, or for a PLINK prefix its
    ``.bed``/``.pgen`` (the sample and variant lists may be relabelled copies)."""
    path = Path(path)
    if path.is_file():
        return path
    for suffix in _GENOTYPE_DATA:
        candidate = path.with_name(path.name + suffix)
        if candidate.is_file():
            return candidate
    return path


def identical_files(files: Mapping[str, str | Path]) -> list[tuple[str, str, str]]:
    """Pairs of names whose files have identical bytes, as ``(first, second, sha256)``.

    ``files`` maps a study name to its file (in the order given); each later name is paired
    with the first earlier name holding the same content. Files are grouped by size and only
    those sharing a size are hashed.
    """
    paths = {name: data_file(path) for name, path in files.items()}
    by_size: dict[int, list[str]] = {}
    for name, path in paths.items():
        if path.is_file():
            by_size.setdefault(path.stat().st_size, []).append(name)
    pairs = []
    for names in by_size.values():
        if len(names) < 2:
            continue
        first: dict[str, str] = {}
        for name in names:
            digest = file_sha256(paths[name])
            if digest in first:
                pairs.append((first[digest], name, digest))
            else:
                first[digest] = name
    order = list(files)
    return sorted(pairs, key=lambda p: (order.index(p[1]), order.index(p[0])))
