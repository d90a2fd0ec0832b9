"""The same study given twice: files with identical content, found by size then SHA-256.

A study counted twice in a meta-analysis shrinks the standard error by a factor of
:math:`1/\\sqrt{2}` and doubles its weight, so its signals look far stronger than they are.
Only files of equal size can have identical content, so only those are compared: first by a
hash of their first and last 64 KiB, and only when those agree by a hash of every byte. Checking
a consortium's files (genotypes of many GB included) costs next to nothing unless two of them
are copies.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

from gwaskit.errors import InputError

#: The option that lets one study be given twice on purpose.
ALLOW_DUPLICATES = "--allow-duplicate-studies"
#: The suffixes of a genotype fileset's data file, for a PLINK prefix.
_GENOTYPE_DATA = (".bed", ".pgen")


def file_sha256(path: str | Path, *, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes (hex), read in ``chunk``-byte pieces."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _ends_sha256(path: Path, size: int, span: int = 1 << 16) -> str:
    """SHA-256 of the first and the last ``span`` bytes: a cheap first test of identity."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        digest.update(fh.read(span))
        if size > 2 * span:
            fh.seek(size - span)
        digest.update(fh.read(span))
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
    with the first earlier name holding the same content. Files are grouped by size, then by a
    hash of their ends; only those still sharing a group are hashed in full.
    """
    paths = {name: data_file(path) for name, path in files.items()}
    by_size: dict[int, list[str]] = {}
    for name, path in paths.items():
        if path.is_file():
            by_size.setdefault(path.stat().st_size, []).append(name)
    pairs = []
    for size, same_size in by_size.items():
        by_ends: dict[str, list[str]] = {}
        for name in same_size if len(same_size) > 1 else ():
            by_ends.setdefault(_ends_sha256(paths[name], size), []).append(name)
        for names in by_ends.values():
            first: dict[str, str] = {}
            for name in names if len(names) > 1 else ():
                digest = file_sha256(paths[name])
                if digest in first:
                    pairs.append((first[digest], name, digest))
                else:
                    first[digest] = name
    order = list(files)
    return sorted(pairs, key=lambda p: (order.index(p[1]), order.index(p[0])))


def check_distinct_files(
    files: Mapping[str, str | Path], *, allow: bool, option: str = ALLOW_DUPLICATES
) -> None:
    """Refuse two study names whose files have identical bytes (the same file twice, or a
    copy under another name), naming both, unless ``allow``; ``option`` is what the message
    tells the user to set when the two really are different studies.

    Raises
    ------
    InputError
        On the second file of the first identical pair.
    """
    if allow:
        return
    for first, second, digest in identical_files(files):
        same = Path(files[first]).resolve() == Path(files[second]).resolve()
        what = (
            "is the same file as" if same else f"has the same content (SHA-256 {digest[:12]}…) as"
        )
        raise InputError(
            files[second],
            f"study {second!r} {what} study {first!r} ({files[first]}); a study counted twice "
            f"looks twice as precise as it is. Give it once, or add {option} if these really "
            "are two studies.",
        )
