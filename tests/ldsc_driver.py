"""Run the ``ldsc`` package (2.0.1, in its own venv) and print its estimates as JSON.

Used by ``tests/test_ldsc_reference.py``: ``.venv-ldsc/bin/python tests/ldsc_driver.py ARGS...``
takes ``ldsc.py``'s own arguments (``--h2`` or ``--rg`` with ``--ref-ld``/``--w-ld`` ...) and
prints the full-precision numbers that ``ldsc.py`` rounds in its log.
"""

import importlib.util
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

script = Path(sys.executable).parent / "ldsc.py"
spec = importlib.util.spec_from_file_location("ldsc_script", script)
ldsc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ldsc)
from ldscore import sumstats  # noqa: E402


class _Log:
    def log(self, *args, **kwargs):
        pass


def _hsq(h):
    out = {
        "tot": float(h.tot),
        "tot_se": float(h.tot_se),
        "cat": np.ravel(h.cat).tolist(),
        "cat_se": np.ravel(h.cat_se).tolist(),
        "prop": np.ravel(h.prop).tolist(),
        "prop_se": np.ravel(h.prop_se).tolist(),
        "coef": np.ravel(h.coef).tolist(),
        "coef_se": np.ravel(h.coef_se).tolist(),
        "intercept": float(h.intercept),
    }
    if not h.constrain_intercept:
        out["intercept_se"] = float(h.intercept_se)
    for name in ("mean_chisq", "lambda_gc", "ratio", "ratio_se"):
        value = getattr(h, name, None)
        if isinstance(value, int | float | np.floating):
            out[name] = float(value)
    return out


args = ldsc.parser.parse_args([*sys.argv[1:], "--out", tempfile.mkdtemp() + "/x"])
if args.h2:
    print(json.dumps({"h2": _hsq(sumstats.estimate_h2(args, _Log()))}))
else:
    results = []
    for r in sumstats.estimate_rg(args, _Log()):
        results.append(
            {
                "rg": None if r is None or r._negative_hsq else float(r.rg_ratio),
                "rg_se": None if r is None or r._negative_hsq else float(r.rg_se),
                "hsq1": _hsq(r.hsq1),
                "hsq2": _hsq(r.hsq2),
                "gencov": _hsq(r.gencov),
            }
        )
    print(json.dumps({"rg": results}))
