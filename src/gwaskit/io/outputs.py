"""Where outputs go: checked before any computing, described without revealing the site's
layout.

:func:`check_output` is called by every command before it reads a genotype: the output folder
must exist, be a folder, accept a new file, and have room (at least :data:`MIN_FREE_BYTES`), so
that a read-only folder or a full disk is reported at once, not after an hour of work.
:func:`file_record` describes an input by its name, size and SHA-256 checksum: what goes into
anything meant to leave a site (sidecars, Parquet footers, manifests, upload bundles), in place
of an absolute path that would reveal a consortium's file layout.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from gwaskit.errors import InputError, ParameterError

#: The least free space an output folder must have before a command starts (64 MiB). Setting
#: ``GWASKIT_MIN_FREE_MB`` changes it.
MIN_FREE_BYTES = 64 << 20


def min_free_bytes() -> int:
    """:data:`MIN_FREE_BYTES`, or ``GWASKIT_MIN_FREE_MB`` mebibytes when that is set."""
    value = os.environ.get("GWASKIT_MIN_FREE_MB")
    if value is None:
        return MIN_FREE_BYTES
    try:
        return max(int(float(value) * (1 << 20)), 0)
    except ValueError:
        raise ParameterError(
            f"GWASKIT_MIN_FREE_MB must be a number of mebibytes, got {value!r}."
        ) from None


def check_output(path: str | Path, *, option: str = "--out", folder: bool = False) -> Path:
    """Check that outputs can be written at ``path`` before anything is computed.

    Parameters
    ----------
    path
        An output prefix or file (``folder=False``: its parent folder must exist) or an output
        folder (``folder=True``: it, or the nearest folder above it, must exist).
    option
        The option or plan key that named ``path``, for the message.

    Returns
    -------
    Path
        The folder the outputs go to (existing).

    Raises
    ------
    ParameterError
        ``path`` is a folder where a file prefix is expected, or a file where a folder is.
    InputError
        The folder does not exist, is read-only or lacks free space.
    """
    text = str(path)
    path = Path(path)
    if not folder and text.endswith(("/", os.sep)):
        raise ParameterError(
            f"{option} must be a file prefix such as DIR/name, but {text!r} ends with a '/'; "
            f"to write into that folder, give {option} {text}NAME."
        )
    if folder:
        if path.exists() and not path.is_dir():
            raise ParameterError(
                f"{option} must be a folder, but {str(path)!r} is an existing file."
            )
        target = path
        while not target.exists() and target != target.parent:
            target = target.parent
    else:
        if not path.name or path.is_dir():
            raise ParameterError(
                f"{option} must be a file prefix such as DIR/name, but {str(path)!r} is a folder."
            )
        target = path.parent
        if not target.is_dir():
            raise InputError(
                target,
                f"output folder does not exist ({option} {text}); create it first "
                f"(mkdir -p {target}).",
            )
    _check_writable(target, option)
    return target


def _check_writable(folder: Path, option: str) -> None:
    try:
        fd, probe = tempfile.mkstemp(prefix=".gwaskit-write-check.", dir=folder)
    except OSError as exc:
        reason = "read-only" if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM) else None
        detail = reason or (exc.strerror or type(exc).__name__).lower()
        raise InputError(
            folder, f"cannot write here ({detail}); choose another folder for {option}."
        ) from None
    os.close(fd)
    os.unlink(probe)
    free = shutil.disk_usage(folder).free
    needed = min_free_bytes()
    if free < needed:
        raise InputError(
            folder,
            f"only {free / (1 << 20):.1f} MiB free for {option}; at least "
            f"{needed / (1 << 20):.0f} MiB are needed (GWASKIT_MIN_FREE_MB sets the minimum).",
        )


def file_record(path: str | Path) -> dict[str, Any]:
    """``{"file": name, "bytes": size, "sha256": hex}`` of a file: what a shared output says of
    an input, instead of its absolute path. A PLINK prefix stands for its ``.bed``/``.pgen``."""
    path = Path(path)
    if not path.is_file():
        for suffix in (".bed", ".pgen"):
            candidate = path.with_name(path.name + suffix)
            if candidate.is_file():
                path = candidate
                break
        else:
            return {"file": path.name}
    return {"file": path.name, "bytes": path.stat().st_size, "sha256": sha256(path)}


def sha256(path: str | Path) -> str:
    """The SHA-256 checksum of a file, as 64 hex digits (read 1 MiB at a time)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
