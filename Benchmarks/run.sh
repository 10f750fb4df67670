#!/usr/bin/env bash
# CohortLens vs the Python reference stack, same inputs, one run. Not part of `make test`.
#
#   Benchmarks/run.sh                    # venv + release build + data + all cases
#   Benchmarks/run.sh --no-build         # reuse .build/release/cohortlens
#   Benchmarks/run.sh --peer-only        # Python side only (no build, no CohortLens)
#   Benchmarks/run.sh --cases cluster,silhouette,ingest --repeat 3 --no-default-threads
#
# Options other than --no-build are passed to Benchmarks/bench.py. Output: Markdown table on stdout and in
# Benchmarks/results/latest.md. Inputs are generated once into Benchmarks/data/ (both directories are gitignored).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
VENV="${BENCH_VENV:-$HERE/.venv}"

BUILD=1
ARGS=()
for arg in "$@"; do
  case "$arg" in
    --no-build) BUILD=0 ;;
    --peer-only) BUILD=0; ARGS+=("$arg") ;;
    *) ARGS+=("$arg") ;;
  esac
done

if [ ! -x "$VENV/bin/python" ]; then
  echo "Creating $VENV" >&2
  python3 -m venv "$VENV"
fi
PY="$VENV/bin/python"
if ! "$PY" -c 'import sklearn, scipy, numpy, pandas, sys; sys.exit(0 if (sklearn.__version__, scipy.__version__, numpy.__version__) == ("1.9.1", "1.17.1", "2.4.6") else 1)' 2>/dev/null; then
  echo "Installing the reference stack into $VENV" >&2
  "$PY" -m pip install --quiet --upgrade pip
  "$PY" -m pip install --quiet "scikit-learn==1.9.1" "scipy==1.17.1" "numpy==2.4.6" pandas
fi
# The other peers (DTW, fairness, LIME), each pinned as in Scripts/golden/requirements.txt.
if ! "$PY" -c 'import tslearn, dtaidistance, fairlearn, lime' 2>/dev/null; then
  echo "Installing tslearn, dtaidistance, fairlearn and lime into $VENV" >&2
  "$PY" -m pip install --quiet "tslearn==0.10.0" "dtaidistance==2.5.1" "fairlearn==0.15.0" "lime==0.2.0.1" >&2 || true
fi

if [ "$BUILD" = 1 ]; then
  echo "Building release binary" >&2
  # The release flags of the Makefile (`make release`), so that `make bench` does not build twice.
  RELEASE_FLAGS="${RELEASE_FLAGS:---static-swift-stdlib --disable-local-rpath -Xswiftc -Xfrontend -Xswiftc -disable-concrete-type-metadata-mangled-name-accessors -Xlinker --no-export-dynamic}"
  # shellcheck disable=SC2086
  if ! (cd "$ROOT" && swift build -c release $RELEASE_FLAGS >&2); then
    echo "swift build -c release failed; CohortLens rows will be marked failed" >&2
  fi
fi

"$PY" "$HERE/generate.py" --out "$HERE/data" >&2
"$PY" "$HERE/bench.py" --data "$HERE/data" --bin "$ROOT/.build/release/cohortlens" \
  --output "$HERE/results/latest.md" ${ARGS[@]+"${ARGS[@]}"}
if [ -z "${SKIP_FAIRNESS:-}" ] && "$PY" -m pip install --quiet "fairlearn==0.15.0" >&2; then "$PY" "$HERE/fairness_bench.py" --binary "$ROOT/.build/release/cohortlens" --repeat 3 | tee "$HERE/results/fairness.md"; fi
"$PY" -c "import tslearn, dtaidistance" 2>/dev/null && "$PY" "$HERE/dtw_bench.py" --binary "$ROOT/.build/release/cohortlens" || echo "dtw_bench.py skipped (needs tslearn==0.10.0 dtaidistance==2.5.1 in $PY)" >&2
"$PY" -c "import lime" 2>/dev/null && "$PY" "$HERE/lime_bench.py" --bin "$ROOT/.build/release/cohortlens" --data "$HERE/data" | tee "$HERE/results/lime.md" || echo "lime benchmark skipped (pip install lime==0.2.0.1 into $VENV to run it)" >&2
