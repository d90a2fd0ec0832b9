"""Writing result tables atomically: ``PREFIX.parquet`` and ``PREFIX.tsv.gz`` (+ YAML sidecar).

Every file is written to a temporary name in the destination folder and renamed into place when
complete, so a crash or a kill never leaves a half-written file that looks whole.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from gwaskit.errors import InputError


def _read_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


#: The process umask, read once at import (reading it means setting it, which is not thread-safe).
_UMASK = _read_umask()


def _host() -> str:
    return socket.gethostname().replace(".", "_")


def _remove_stale_temporaries(path: Path, suffix: str = ".tmp") -> None:
    """Delete temporaries of ``path`` left by killed processes of this host (temporary names
    carry host and process id, so a killed writer's leftover is told from a live one's)."""
    host = _host()
    pattern = f".{glob.escape(path.name)}.{glob.escape(host)}-*{suffix}"
    for stale in path.parent.glob(pattern):
        pid = stale.name[len(f".{path.name}.{host}-") :].split(".", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            if stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)
            else:
                stale.unlink(missing_ok=True)


@contextmanager
def scratch_folder(path: str | Path) -> Iterator[Path]:
    """A temporary folder beside the output ``path`` (same file system, for renames), removed
    afterwards; one left by a killed process of this host is removed by the next call."""
    path = Path(path)
    if not path.parent.is_dir():
        raise InputError(path.parent, "output folder does not exist; create it first.")
    _remove_stale_temporaries(path, suffix=".scratch")
    with tempfile.TemporaryDirectory(
        prefix=f".{path.name}.{_host()}-{os.getpid()}.", suffix=".scratch", dir=path.parent
    ) as tmp:
        yield Path(tmp)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, another user's
        return True
    return True


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` if the block succeeds."""
    path = Path(path)
    folder = path.parent
    if not folder.is_dir():
        raise InputError(folder, "output folder does not exist; create it first.")
    _remove_stale_temporaries(path)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{path.name}.{_host()}-{os.getpid()}.", suffix=".tmp", dir=folder
    )
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        tmp_path.chmod(0o666 & ~_UMASK)  # mkstemp makes 0600; results are for sharing
        os.replace(tmp_path, path)
    finally:
        tmp_path.unlink(missing_ok=True)


@contextmanager
def atomic_paths(paths: Sequence[str | Path]) -> Iterator[list[Path]]:
    """Temporary paths beside each of ``paths``, all renamed into place only once the block
    has written every one of them: a failure leaves none of the new files (and the old ones,
    if any, untouched), so a table never lands without its sidecar or side table."""
    targets = [Path(p) for p in paths]
    temps: list[Path] = []
    try:
        for path in targets:
            if not path.parent.is_dir():
                raise InputError(path.parent, "output folder does not exist; create it first.")
            _remove_stale_temporaries(path)
            fd, tmp = tempfile.mkstemp(
                prefix=f".{path.name}.{_host()}-{os.getpid()}.", suffix=".tmp", dir=path.parent
            )
            os.close(fd)
            temps.append(Path(tmp))
        yield temps
        for tmp, path in zip(temps, targets, strict=True):
            tmp.chmod(0o666 & ~_UMASK)  # mkstemp makes 0600; results are for sharing
            os.replace(tmp, path)
    finally:
        for tmp in temps:
            tmp.unlink(missing_ok=True)


def write_table(
    table: pl.DataFrame,
    prefix: str | Path,
    *,
    metadata: Mapping[str, Any] | None = None,
    tsv: bool = True,
    compresslevel: int = 6,
    ssf: bool = False,
) -> list[Path]:
    """Write ``PREFIX.parquet`` (canonical) and ``PREFIX.tsv.gz``; with ``metadata``, also the
    YAML sidecar ``PREFIX.tsv.gz-meta.yaml`` (GWAS-SSF) and the same keys in the Parquet footer.

    The ``.tsv.gz`` is one standard gzip stream written by polars' own deflate (no file name, no
    time stamp: identical tables give identical bytes). ``compresslevel`` is its gzip level: 6
    (gzip's default) is within 1% of level 9's size at a quarter of the time; 2 is about twice as
    fast again for files about 6% larger.

    With ``ssf`` (summary statistics), the ``.tsv.gz`` is the GWAS-SSF file the GWAS Catalog
    accepts (:func:`gwaskit.io.ssf.ssf_tables`): the rows it cannot hold go to the side table
    ``PREFIX.untested.tsv.gz`` with their reason code, and the sidecar carries the file's name,
    MD5 and date (:func:`gwaskit.io.ssf.ssf_metadata`); the Parquet keeps every row as gwaskit
    works with it. During a verb's run, ``metadata`` gains the key ``provenance``
    (:func:`gwaskit.provenance.current_record`). All files are staged and renamed into place
    together (:func:`atomic_paths`). Returns the paths written.
    """
    prefix = Path(prefix)
    if metadata is not None:
        from gwaskit.provenance import current_record

        record = current_record()
        if record is not None:  # a verb's run: its provenance (gwaskit.provenance)
            metadata = {**metadata, "provenance": record}

    def named(suffix: str) -> Path:
        return prefix.with_name(prefix.name + suffix)

    targets = [named(".parquet")]
    if tsv:
        targets.append(named(".tsv.gz"))
        if ssf:
            targets.append(named(".untested.tsv.gz"))
        if metadata is not None:
            targets.append(named(".tsv.gz-meta.yaml"))
    with atomic_paths(targets) as temps:
        table.write_parquet(temps[0], metadata=_flat_metadata(metadata), statistics=False)
        if tsv:
            text_table, untested = table, None
            if ssf:
                from gwaskit.io.ssf import ssf_tables

                split = ssf_tables(table)
                text_table, untested = split.data, split.untested
            _write_tsv_gz(text_table, temps[1], compresslevel)
            if untested is not None:
                _write_tsv_gz(untested, temps[2], compresslevel)
            if metadata is not None:
                sidecar = dict(metadata)
                if ssf:
                    from gwaskit.io.ssf import ssf_metadata

                    sidecar = ssf_metadata(metadata, temps[1], targets[1].name)
                temps[-1].write_text(yaml.safe_dump(sidecar, sort_keys=False))
    return targets


def _write_tsv_gz(table: pl.DataFrame, path: Path, compresslevel: int) -> None:
    table.write_csv(
        path,
        separator="\t",
        null_value="NA",
        compression="gzip",
        compression_level=compresslevel,
        check_extension=False,
    )


def _flat_metadata(metadata: Mapping[str, Any] | None) -> dict[str, str] | None:
    if metadata is None:
        return None
    return {"gwaskit": yaml.safe_dump(dict(metadata), sort_keys=False)}


def read_parquet_metadata(path: str | Path) -> dict[str, Any]:
    """The metadata mapping stored by :func:`write_table` in a Parquet footer (``{}`` if none)."""
    import pyarrow.parquet as pq

    raw = pq.read_metadata(path).metadata or {}
    text = raw.get(b"gwaskit")
    return yaml.safe_load(text) if text else {}


def read_table(
    path: str | Path,
    *,
    schema: Mapping[str, pl.DataType] | None = None,
    what: str = "a gwaskit table",
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """A table written by :func:`write_table`, from its ``.parquet`` or its ``.tsv.gz`` (plain or
    compressed text too), told apart by content, not by name; with its metadata.

    A text table is tab-separated with a header, ``NA`` (or an empty field) for missing values;
    the columns of ``schema`` get its types (``true``/``false`` for booleans), the others are
    typed as integers, else floats, else strings. Its metadata is its YAML sidecar
    (``FILE-meta.yaml``), when there is one. A bare ``PREFIX`` finds ``PREFIX.parquet``, else
    ``PREFIX.tsv.gz``.

    Raises :class:`InputError` naming the file for a missing, damaged or unparsable table.
    """
    from gwaskit.io.compression import sniff, text_source

    path = Path(path)
    if not path.is_file():
        for suffix in (".parquet", ".tsv.gz"):
            candidate = path.with_name(path.name + suffix)
            if candidate.is_file():
                path = candidate
                break
    if not path.is_file():
        raise InputError(path, f"file not found (expected {what}, .parquet or .tsv.gz).")
    if sniff(path) == "parquet":
        try:
            return pl.read_parquet(path), read_parquet_metadata(path)
        except Exception as exc:  # polars and pyarrow raise several types for a damaged file
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise InputError(path, f"not a readable Parquet file ({reason}).") from None
    source = text_source(path, what)
    try:
        raw = pl.read_csv(
            source, separator="\t", infer_schema=False, null_values=["NA", ""], quote_char=None
        )
    except (pl.exceptions.PolarsError, OSError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else "empty"
        raise InputError(path, f"not a readable tab-separated table ({reason}).") from None
    table = raw.with_columns(_typed(raw[name], (schema or {}).get(name)) for name in raw.columns)
    bad = [
        name
        for name in (schema or {})
        if name in raw.columns and table[name].null_count() > raw[name].null_count()
    ]
    if bad:
        name = bad[0]
        row = int((table[name].is_null() & raw[name].is_not_null()).arg_true()[0])
        raise InputError(
            path,
            f"expected a {schema[name]} value, got {raw[name][row]!r}.",  # type: ignore[index]
            line=row + 2,
            column=name,
        )
    return table, _sidecar_metadata(path)


def _typed(column: pl.Series, dtype: pl.DataType | None) -> pl.Series:
    """A string column as ``dtype`` (unparsable values become null, for the caller to report),
    or, with no ``dtype``, as the first of Int64, Float64 and String that holds every value."""
    if dtype is not None:
        if dtype == pl.Boolean:
            lower = column.str.to_lowercase()
            return (
                pl.select(
                    pl.when(lower == "true")
                    .then(True)
                    .when(lower == "false")
                    .then(False)
                    .otherwise(None)
                    .alias(column.name)
                )
            ).to_series()
        return column.cast(dtype, strict=False)
    if column.null_count() == column.len():
        return column
    for candidate in (pl.Int64, pl.Float64):
        cast = column.cast(candidate, strict=False)
        if cast.null_count() == column.null_count():
            return cast
    return column


def _sidecar_metadata(path: Path) -> dict[str, Any]:
    """The YAML sidecar of a text table (``FILE-meta.yaml``), or ``{}``."""
    sidecar = path.with_name(path.name + "-meta.yaml")
    if not sidecar.is_file():
        return {}
    try:
        data = yaml.safe_load(sidecar.read_text())
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InputError(sidecar, f"is not valid YAML ({exc}).") from None
    return dict(data) if isinstance(data, Mapping) else {}
