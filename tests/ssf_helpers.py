"""Running the GWAS Catalog's own validator (``gwas-ssf validate`` of gwas-sumstats-tools, in
``.venv-ssf``) on a GWAS-SSF file and its YAML sidecar."""

from __future__ import annotations

import subprocess
from pathlib import Path

#: Checks a sidecar against the validator's metadata model (pydantic) and the data file it names.
_METADATA_CHECK = """
import hashlib, sys, yaml
from pathlib import Path
from gwas_sumstats_tools.schema.metadata import SumStatsMetadata
data = Path(sys.argv[1])
raw = yaml.safe_load(Path(str(data) + "-meta.yaml").read_text())
meta = SumStatsMetadata(**raw)
assert meta.data_file_name == data.name, (meta.data_file_name, data.name)
assert meta.data_file_md5sum == hashlib.md5(data.read_bytes()).hexdigest(), "md5"
assert isinstance(raw.get("genotyping_technology", []), list), "genotyping_technology"
print("metadata valid")
"""


def validate_ssf(gwas_ssf: Path, data: Path, *, metadata: bool = True) -> str:
    """Run ``gwas-ssf validate`` on ``data`` (no minimum row count) and, with ``metadata``,
    check its sidecar; raise AssertionError with the validator's output if either fails."""
    result = subprocess.run(
        [str(gwas_ssf), "validate", str(data), "--min-rows", "1"],
        capture_output=True,
        text=True,
        check=False,
    )
    out = result.stdout + result.stderr
    assert result.returncode == 0 and "Validation status: True" in out, out
    if metadata:
        python = gwas_ssf.parent / "python"
        check = subprocess.run(
            [str(python), "-c", _METADATA_CHECK, str(data)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert check.returncode == 0, check.stdout + check.stderr
    return out
