#!/usr/bin/env bash
# Regenerate every golden file in Fixtures/golden/ (and the derived fixture tables) with the pinned
# reference stack.
#
#   Scripts/golden/regenerate.sh              # venv in .venv/ at the repository root (created if missing)
#   VENV=/tmp/golden-venv Scripts/golden/regenerate.sh
#   PYTHON=/path/to/python Scripts/golden/regenerate.sh   # use an existing interpreter, no venv, no pip
#
# Runs derive_fixtures.py first, then every other Scripts/golden/*.py in name order.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"

if [ -n "${PYTHON:-}" ]; then
  PY="$PYTHON"
else
  VENV="${VENV:-$ROOT/.venv}"
  if [ ! -x "$VENV/bin/python" ]; then
    echo "Creating virtual environment in $VENV"
    python3 -m venv "$VENV"
  fi
  PY="$VENV/bin/python"
  "$PY" -m pip install --quiet --upgrade pip
  "$PY" -m pip install --quiet -r "$HERE/requirements.txt"
fi

export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"

"$PY" -c 'import sklearn, scipy, numpy; print("scikit-learn", sklearn.__version__, "scipy", scipy.__version__, "numpy", numpy.__version__)'

echo "== derive_fixtures.py"
"$PY" "$HERE/derive_fixtures.py"
for script in "$HERE"/*.py; do
  name="$(basename "$script")"
  [ "$name" = "derive_fixtures.py" ] && continue
  echo "== $name"
  "$PY" "$script"
done
echo "Done. Review with: git -C \"$ROOT\" status --short Fixtures/"
