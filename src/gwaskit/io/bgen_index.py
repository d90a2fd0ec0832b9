"""The variant index of a BGEN file: cbgen's metafile, kept in a private cache and never trusted
blindly.

cbgen needs a "metafile" (variant identifiers and file offsets). One beside the file
(``FILE.bgen.metafile``, as bgen-reader writes it) is used when it describes *this* file;
otherwise one is built in gwaskit's cache folder (``$GWASKIT_CACHE``, else
``$XDG_CACHE_HOME/gwaskit``, else ``~/.cache/gwaskit``; a per-user folder in the system temp
folder if none of those is usable), so nothing is written beside the user's files.

A ``.bgen`` replaced by another file keeps its name, and may keep an older or newer mtime, so
neither the name nor the mtime alone identifies it:

* a cached metafile is keyed by the resolved path, size, mtime (ns) and a SHA-256 of the file's
  first and last 64 KiB (its header, sample block and first and last variants);
* every metafile, cached or beside the file, is checked before use: it must list as many variants
  as the header declares, and the identifiers of its first, middle and last variants must be those
  read from the ``.bgen`` at the offsets it gives. A stale one beside the file is ignored (with a
  log line) and a stale cached one rebuilt.

The cache folder is private: created with mode 0700 (an existing one of the user's is set to
0700), and used only if it is a real folder (not a symlink) owned by the user. A metafile is built in a fresh private
temporary folder inside it (``mkdtemp``) and moved into place with an atomic rename, so no other
user can place or swap a file at the name cbgen writes to.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import stat
import struct
import tempfile
from pathlib import Path

import numpy as np

from gwaskit.errors import InputError

log = logging.getLogger(__name__)

#: Bytes hashed at each end of the file for the cache key.
_HASHED = 64 * 1024


def cache_dir() -> Path:
    """gwaskit's private cache folder (see the module docstring); created if needed."""
    candidates = []
    if os.environ.get("GWASKIT_CACHE"):
        candidates.append(Path(os.environ["GWASKIT_CACHE"]))
    if os.environ.get("XDG_CACHE_HOME"):
        candidates.append(Path(os.environ["XDG_CACHE_HOME"]) / "gwaskit")
    candidates.append(Path.home() / ".cache" / "gwaskit")
    candidates.append(Path(tempfile.gettempdir()) / f"gwaskit-{os.getuid()}")
    for folder in candidates:
        if _private_folder(folder):
            return folder
    raise InputError(
        candidates[-1],
        "no private writable cache folder for the BGEN index (each candidate is missing, not "
        "writable, or owned by another user); set GWASKIT_CACHE to a folder of your own.",
    )


def _private_folder(folder: Path) -> bool:
    """Create ``folder`` (mode 0700) if needed; whether it is a usable private folder."""
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            folder.mkdir(mode=0o700)
        info = os.lstat(folder)
    except OSError:
        return False
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        return False  # a symlink, a file, or another user's folder
    if info.st_mode & 0o077:
        try:
            os.chmod(folder, 0o700)
        except OSError:
            return False
    return os.access(folder, os.W_OK | os.X_OK)


def file_key(path: Path) -> str:
    """A hex key of the file's identity: resolved path, size, mtime and its two ends' bytes."""
    info = path.stat()
    digest = hashlib.sha256(f"{path.resolve()}|{info.st_size}|{info.st_mtime_ns}|".encode())
    with open(path, "rb") as handle:
        digest.update(handle.read(_HASHED))
        handle.seek(max(0, info.st_size - _HASHED))
        digest.update(handle.read(_HASHED))
    return digest.hexdigest()


def metafile_for(path: Path, bgen) -> tuple[Path, dict[str, np.ndarray]]:
    """A checked metafile of ``path`` and its variants (see :func:`read_metafile`)."""
    n_variants = bgen.nvariants
    beside = path.with_name(path.name + ".metafile")
    if beside.is_file():
        variants = _checked(path, beside, n_variants)
        if variants is not None:
            return beside, variants
        log.warning("%s does not describe %s (stale); building a new index", beside, path.name)
    target = cache_dir() / "bgen" / f"{file_key(path)}.metafile"
    if target.is_file():
        variants = _checked(path, target, n_variants)
        if variants is not None:
            return target, variants
        target.unlink(missing_ok=True)
    check_variant_blocks(path, n_variants)
    if not _private_folder(target.parent):
        raise InputError(target.parent, "the BGEN index cache folder is not private to you.")
    scratch = Path(tempfile.mkdtemp(dir=target.parent, prefix=".build-"))
    try:
        built = scratch / "index.metafile"
        try:
            bgen.create_metafile(built, verbose=False)
        except RuntimeError:
            raise InputError(
                path, "its variant index cannot be built (truncated or corrupt)."
            ) from None
        os.replace(built, target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    variants = _checked(path, target, n_variants)
    if variants is None:
        raise InputError(path, "its variant index does not match the file (corrupt file).")
    return target, variants


def _checked(path: Path, metafile: Path, n_variants: int):
    """The metafile's variants if it describes ``path``, else None.

    cbgen's offsets point at each variant's genotype data. The check walks from the first
    variant block (right after the header and sample blocks), and from the end of the genotype
    data of a middle and the second-to-last variant, to the next variant's identifiers and
    genotype offset, and compares them with the metafile's; the last variant's data must end
    where the file ends.
    """
    try:
        variants = read_metafile(metafile)
    except InputError:
        return None
    offsets = variants["offset"]
    if offsets.size != n_variants or n_variants == 0:
        return None
    size = path.stat().st_size
    with open(path, "rb") as handle:
        handle.seek(0)
        starts = {0: 4 + int.from_bytes(handle.read(4), "little")}
        for i in sorted(k for k in {n_variants // 2, n_variants - 2} if 0 <= k < n_variants - 1):
            end = _data_end(handle, int(offsets[i]), size)
            if end is None:
                return None
            starts[i + 1] = end
        for i, start in starts.items():
            found = variant_header(handle, start)
            expected = (
                bytes(variants["id"][i]),
                bytes(variants["rsid"][i]),
                bytes(variants["chromosome"][i]),
                int(variants["position"][i]),
                int(offsets[i]),
            )
            if found != expected:
                return None
        if _data_end(handle, int(offsets[-1]), size) != size:
            return None
    return variants


def _data_end(handle, at: int, size: int) -> int | None:
    """The end of the genotype data starting at byte ``at`` (its 4-byte length, then data)."""
    if at + 4 > size:
        return None
    handle.seek(at)
    end = at + 4 + int.from_bytes(handle.read(4), "little")
    return end if end <= size else None


def variant_header(handle, at: int) -> tuple[bytes, bytes, bytes, int, int] | None:
    """The ``(id, rsid, chromosome, position, genotype offset)`` of the layout-2 variant block
    starting at byte ``at``."""
    handle.seek(at)
    try:
        texts = []
        for _ in range(3):
            (length,) = struct.unpack("<H", handle.read(2))
            texts.append(handle.read(length))
        position, n_alleles = struct.unpack("<IH", handle.read(6))
        for _ in range(n_alleles):
            (length,) = struct.unpack("<I", handle.read(4))
            handle.seek(length, 1)
    except struct.error:
        return None
    return texts[0], texts[1], texts[2], position, handle.tell()


def read_metafile(metafile: Path) -> dict[str, np.ndarray]:
    """Variants of a cbgen metafile: ``id, rsid, chromosome`` (bytes), ``position``,
    ``alleles`` (bytes, comma-joined), ``n_alleles`` and ``offset`` arrays."""
    import cbgen

    parts: dict[str, list[np.ndarray]] = {
        k: [] for k in ("id", "rsid", "chromosome", "position", "alleles", "n_alleles", "offset")
    }
    try:
        with cbgen.bgen_metafile(metafile) as meta:
            for part in range(meta.npartitions):
                v = meta.read_partition(part).variants
                parts["id"].append(v.id)
                parts["rsid"].append(v.rsid)
                parts["chromosome"].append(v.chromosome)
                parts["position"].append(v.position)
                parts["alleles"].append(v.allele_ids)
                parts["n_alleles"].append(v.nalleles)
                parts["offset"].append(v.offset)
    except (RuntimeError, OSError):
        raise InputError(metafile, "the BGEN variant index cannot be read.") from None
    return {k: np.concatenate(v) if v else np.array([], dtype=np.int64) for k, v in parts.items()}


def check_variant_blocks(path: Path, n_variants: int) -> None:
    """Walk the variant blocks (layout 2) and check each lies inside the file.

    cbgen does not check this itself and crashes on a truncated file, so a metafile is only
    built after this walk. It reads each block's identifiers and skips its genotype data.
    """
    size = path.stat().st_size
    with open(path, "rb", buffering=1 << 20) as handle:
        at = 4 + int.from_bytes(handle.read(4), "little")
        handle.seek(at)
        for index in range(n_variants):
            try:
                for _ in range(3):  # id, rsid, chromosome
                    (length,) = struct.unpack("<H", handle.read(2))
                    handle.seek(length, 1)
                _position, n_alleles = struct.unpack("<IH", handle.read(6))
                for _ in range(n_alleles):
                    (length,) = struct.unpack("<I", handle.read(4))
                    handle.seek(length, 1)
                (length,) = struct.unpack("<I", handle.read(4))
            except struct.error:
                length, at = 0, size + 1
            else:
                at = handle.seek(length, 1)
            if at > size:
                raise InputError(
                    path,
                    f"is truncated: variant {index + 1} of {n_variants} ends beyond the end of "
                    "the file.",
                )
