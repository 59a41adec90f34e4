#!/usr/bin/env bash
# Create .venv-recbole: RecBole 1.2.1 in its own environment, so its pins never touch .venv.
# usage: bash bench/setup_recbole.sh   (idempotent)
#
# Facts behind the pins (checked on these machines):
# - RecBole 1.2.1 imports ray 2.6.3, which uses `np.bool8`: NumPy must be < 2.
# - ray imports `pkg_resources`, gone from setuptools 81; torch 2.13 itself asks for
#   setuptools >= 77.0.3, so the window that satisfies both is [77.0.3, 81).
# - torch 2.13.0 resolves to the local CPU wheel where one is on pip's find-links.
# - LightGCN calls dok_matrix._update, which SciPy 1.12 removed: scipy < 1.12.
# - pandas 3 changes string/copy semantics RecBole 1.2.1 was not written for: pandas < 3.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
VENV=.venv-recbole
if [[ ! -x "$VENV/bin/python" ]]; then
    "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip --disable-pip-version-check -q install \
    'torch==2.13.0' 'recbole==1.2.1' 'numpy<2' 'setuptools>=77.0.3,<81' 'pandas<3' \
    'ray==2.6.3' 'scipy<1.12' thop
"$VENV/bin/python" -W ignore - <<'PY'
import numpy, torch, recbole
from recbole.model.sequential_recommender import SASRec  # noqa: F401  (the import that breaks)
print(f"recbole {recbole.__version__}, torch {torch.__version__}, numpy {numpy.__version__}")
PY
