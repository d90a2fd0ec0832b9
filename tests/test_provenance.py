"""Every verb writes PREFIX.log (as plink writes one) and the same provenance record in the
metadata of its tables: gwaskit and dependency versions, parameters, input checksums, command
line, start and end time (gwaskit.provenance)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import yaml

from _report_data import make_results, write_results
from gwaskit.cli import VERBS, main
from gwaskit.io.sumstats import write_sumstats
from gwaskit.io.tables import read_parquet_metadata
from gwaskit.provenance import PROVENANCE_KEYS, provenance_record
from loci_fixtures import simulate_ld_genotypes, sumstats_from_genotypes, write_bed

#: Verbs without an output prefix: nothing to log beside (info prints, init writes the plan
#: file it is given, run keeps a manifest per task).
NO_PREFIX = {"info", "init", "run"}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def runs(tmp_path_factory, test_data: Path) -> dict[str, tuple[Path, list[Path]]]:
    """Each verb run once on small inputs: verb -> (its log, the inputs it was given)."""
    folder = tmp_path_factory.mktemp("provenance")
    rng = np.random.default_rng(5)
    x = simulate_ld_genotypes(200, 4, 30, 0.9, rng)
    x = x[:, x.std(axis=0) > 0]
    positions = 1_000_000 + 2_500 * np.arange(x.shape[1])
    bed = write_bed(folder / "ref.bed", x, "1", positions)
    variants = pl.DataFrame(
        {
            "chromosome": ["1"] * x.shape[1],
            "base_pair_location": positions.astype(np.int64),
            "variant_id": [f"v{j}" for j in range(x.shape[1])],
            "effect_allele": ["A"] * x.shape[1],
            "other_allele": ["G"] * x.shape[1],
        }
    )
    signal = 0.7 * (x[:, 20] - x[:, 20].mean()) / x[:, 20].std()
    studies = {}
    for name in ("a", "b", "c"):
        y = signal + rng.standard_normal(x.shape[0])
        studies[name] = folder / f"{name}.parquet"
        write_sumstats(
            sumstats_from_genotypes(x, y, variants),
            folder / name,
            metadata={"genome_assembly": "GRCh37"},
            tsv=False,
        )
    with open(bed.with_suffix(".fam")) as fam:
        ids = [line.split()[:2] for line in fam]
    pheno = folder / "pheno.txt"
    case = signal + rng.standard_normal(x.shape[0]) > 0.5
    pheno.write_text(
        "FID\tIID\tCC\n"
        + "".join(f"{f}\t{i}\t{1 + c:d}\n" for (f, i), c in zip(ids, case, strict=True))
    )
    results = write_results(folder / "results", make_results(seed=3, n_background=500))
    out = folder / "out"
    out.mkdir()
    prefix = str(bed.with_suffix(""))
    loci = out / "loci.parquet"
    chain = test_data / "liftover_hg19_hg38" / "hg19ToHg38.over.chain.gz"
    steps = {
        "simulate": (["simulate", "--out", str(out / "sim"), "--cohorts", "1", "--samples",
                      "100", "--variants", "300", "--chromosomes", "1"], []),
        "qc": (["qc", prefix, "--pheno", str(pheno), "--out", str(out / "qc")],
               [bed, pheno]),
        "pca": (["pca", prefix, "--pcs", "2", "--out", str(out / "pca")], [bed]),
        "assoc": (["assoc", prefix, "--pheno", str(pheno), "--out", str(out / "assoc")],
                  [bed, pheno]),
        "meta": (["meta", "--study", f"A={studies['a']}", "--study", f"B={studies['b']}",
                  "--population", "none", "--out", str(out / "meta")],
                 [studies["a"], studies["b"]]),
        "loci": (["loci", str(out / "meta.parquet"), "--p", "1e-4", "--out", str(out / "loci")],
                 [out / "meta.parquet"]),
        "finemap": (["finemap", str(out / "meta.parquet"), "--loci", str(loci), "--ld-ref",
                     prefix, "--out", str(out / "finemap")], [loci, bed]),
        "coloc": (["coloc", str(studies["a"]), str(studies["b"]), "--loci", str(loci),
                   "--out", str(out / "coloc")], [studies["a"], loci]),
        "replicate": (["replicate", str(loci), "--study", f"R={studies['c']}", "--out",
                       str(out / "replicate")], [loci, studies["c"]]),
        "annotate": (["annotate", str(loci), "--sumstats", str(out / "meta.parquet"),
                      "--ld-ref", prefix, "--out", str(out / "annotate")], [loci, bed]),
        "subtypes": (["subtypes", "--subtype", f"A={studies['a']}", "--subtype",
                      f"B={studies['b']}", "--loci", str(loci), "--r", "0.1", "--out",
                      str(out / "subtypes")], [studies["a"], loci]),
        "ldsc": (["ldsc", "munge", str(studies["c"]), "--out", str(out / "munged")],
                 [studies["c"]]),
        "report": (["report", str(results), "--out", str(out / "report.html")], []),
        "liftover": (["liftover", "--sumstats", str(studies["c"]), "--chain", str(chain),
                      "--to", "GRCh38", "--out", str(out / "liftover")], [studies["c"], chain]),
        "wgr": (["wgr", prefix, "--pheno", str(pheno), "--out", str(out / "wgr")],
                [bed, pheno]),
    }  # fmt: skip
    logs = {
        "simulate": out / "sim" / "simulate.log",
        "ldsc": out / "munged.log",
        "report": out / "report.log",
    }
    done = {}
    for verb, (argv, inputs) in steps.items():
        assert main([*argv, "--no-progress", "--threads", "1"]) == 0, argv
        done[verb] = (logs.get(verb, out / f"{verb}.log"), inputs)
    return done


def test_every_verb_with_an_output_is_in_the_loop(runs):
    assert set(runs) == set(VERBS) - NO_PREFIX


@pytest.mark.parametrize("verb", sorted(set(VERBS) - NO_PREFIX))
def test_verb__writes_prefix_log_with_provenance(runs, verb):
    log, inputs = runs[verb]
    text = log.read_text()
    assert text.startswith("gwaskit ")
    for heading in ("Start time:", "Command line: gwaskit", "Messages:", "Outputs:", "End time:"):
        assert heading in text, heading
    outputs = text.split("Outputs:\n", 1)[1].split("\n\n", 1)[0].split("\n")
    assert outputs and all(Path(line.strip()).is_file() for line in outputs), outputs
    assert not any(".tmp" in line or ".partial" in line for line in outputs)
    record = yaml.safe_load(text.split("Provenance:\n", 1)[1])
    assert tuple(record) == PROVENANCE_KEYS
    checksums = {r["sha256"] for r in record["inputs"]}
    for path in inputs:  # every input named on the command line, with its checksum
        assert _sha(path) in checksums, path
    assert str(log.parent) not in record["command_line"]  # file names only, no site paths


@pytest.mark.parametrize("verb", sorted(set(VERBS) - NO_PREFIX - {"simulate", "report", "ldsc"}))
def test_verb__tables_carry_the_same_provenance_keys(runs, verb):
    log, _ = runs[verb]
    logged = yaml.safe_load(log.read_text().split("Provenance:\n", 1)[1])
    tables = sorted(log.parent.glob(f"{log.stem}*.parquet"))
    with_meta = [(t.name, read_parquet_metadata(t)) for t in tables if read_parquet_metadata(t)]
    if verb == "wgr":  # its predictions are REGENIE's .loco text files; settings in a YAML
        settings = log.with_suffix(".wgr.yaml")
        with_meta = [(settings.name, yaml.safe_load(settings.read_text()))]
    assert with_meta, f"{verb} wrote no table with metadata"
    for name, metadata in with_meta:
        record = metadata["provenance"]
        assert tuple(record) == PROVENANCE_KEYS, name
        assert record["inputs"] == logged["inputs"]
        assert record["parameters"] == logged["parameters"]
        assert record["software"]["gwaskit"] == record["gwaskit_version"]
    sidecars = sorted(log.parent.glob(f"{log.stem}*-meta.yaml"))
    for sidecar in sidecars:
        assert tuple(yaml.safe_load(sidecar.read_text())["provenance"]) == PROVENANCE_KEYS


def test_provenance_record__times_follow_source_date_epoch(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    record = provenance_record(parameters={}, inputs=[], command_line=["gwaskit"], started="x")
    assert record["ended"] == "2026-01-01T00:00:00Z"
    assert set(record["software"]) >= {"gwaskit", "python", "numpy", "polars", "scipy"}


def test_run_verb__records_nothing_for_its_in_process_tasks(monkeypatch):
    """`gwaskit run` has no output prefix: its tasks (verbs dispatched in-process) must not
    inherit a record (the times would change their bytes on every rerun)."""
    import gwaskit.cli.run as run_verb
    from gwaskit.provenance import current_record

    seen = []
    monkeypatch.setattr(run_verb, "run", lambda args: seen.append(current_record()) or 0)
    assert main(["run", "plan.toml", "--dry-run"]) == 0
    assert seen == [None]


def test_verb__same_bytes_at_another_prefix_with_pinned_times(tmp_path, monkeypatch):
    """The record leaves out what cannot change a result (--out, --threads): with the times
    pinned (SOURCE_DATE_EPOCH), the same run at two prefixes writes the same bytes."""
    from assoc_helpers import simulate_genotypes, write_table
    from assoc_helpers import write_bed as write_plink

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    rng = np.random.default_rng(2)
    g = simulate_genotypes(rng, 120, rng.uniform(0.1, 0.5, 12))
    iid = write_plink(tmp_path / "g", g)
    write_table(tmp_path / "p.txt", iid, {"Q": rng.normal(size=120)})
    argv = ["assoc", str(tmp_path / "g"), "--pheno", str(tmp_path / "p.txt"), "--no-progress"]
    assert main([*argv, "--threads", "1", "--out", str(tmp_path / "one")]) == 0
    assert main([*argv, "--threads", "2", "--out", str(tmp_path / "two")]) == 0
    for suffix in (".parquet", ".tsv.gz"):
        one, two = (tmp_path / f"{p}{suffix}" for p in ("one", "two"))
        assert one.read_bytes() == two.read_bytes(), suffix
    # the GWAS-SSF sidecar names its data file (data_file_name): all else is equal
    one, two = (
        yaml.safe_load((tmp_path / f"{p}.tsv.gz-meta.yaml").read_text()) for p in ("one", "two")
    )
    assert one.pop("data_file_name") == "one.tsv.gz" and two.pop("data_file_name") == "two.tsv.gz"
    assert one == two
    record = read_parquet_metadata(tmp_path / "one.parquet")["provenance"]
    assert record["command_line"] == "gwaskit assoc g --pheno p.txt"
    assert record["started"] == record["ended"] == "2026-01-01T00:00:00Z"
    assert "out" not in record["parameters"] and "threads" not in record["parameters"]


def test_checksums__streamed_in_the_background_and_errors_named(tmp_path):
    from gwaskit.cli._runlog import _Checksums
    from gwaskit.errors import InputError

    data = tmp_path / "big.bin"
    data.write_bytes(np.random.default_rng(0).bytes(3 << 20))  # three 1 MiB blocks
    records = _Checksums([data]).result()
    assert records == [{"file": "big.bin", "bytes": 3 << 20, "sha256": _sha(data)}]
    with pytest.raises(InputError, match=r"folder.*cannot be read for its checksum"):
        (tmp_path / "folder").mkdir()
        _Checksums([tmp_path / "folder"]).result()
    stopped = _Checksums([data] * 50)
    stopped.stop()
    assert len(stopped.result()) < 50  # abandoned: returns with what it had, not 150 MiB later
