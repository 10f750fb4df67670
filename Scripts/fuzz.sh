#!/usr/bin/env bash
# Fuzzes the CohortLensCore readers with libFuzzer + AddressSanitizer.
#
#   Scripts/fuzz.sh SECONDS [TARGET]     TARGET: csv, number, config, series (default: all, SECONDS each)
#
# Each target is built without SwiftPM: the CohortLensCore sources compiled together with
# Fuzz/<Target>Fuzz.swift (`swiftc -sanitize=fuzzer,address -parse-as-library`; the series target
# also compiles the TimeSeries sources it needs, SeriesTable and SeriesNormalization), into
# .build/fuzz/<target>. The run starts from the seed corpus Fuzz/corpus/<target>/ (kept in git) and
# grows a working corpus in .build/fuzz/corpus-<target>/ (not in git). Crashes, leaks and timeouts are
# written to .build/fuzz/artifacts-<target>/ and make the script exit non-zero: minimise one with
#   .build/fuzz/<target> -minimize_crash=1 -runs=100000 <crash-file>
# then add it to Fuzz/corpus/<target>/ and a regression test to Tests/CohortLensCoreTests.
# Extra libFuzzer flags may be passed in FUZZ_FLAGS (e.g. FUZZ_FLAGS="-jobs=2 -workers=2").
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET="${1:?usage: Scripts/fuzz.sh SECONDS [csv|number|config|series]}"
TARGETS="${2:-csv number config series}"
SWIFTC="${SWIFTC:-swiftc}"
mkdir -p .build/fuzz
CORE_SOURCES=$(find Sources/CohortLensCore -name '*.swift' | sort)
status=0
for target in $TARGETS; do
  case "$target" in
    csv) file=Fuzz/CSVFuzz.swift; max_len=1024 ;;
    number) file=Fuzz/NumberFuzz.swift; max_len=64 ;;
    config) file=Fuzz/ConfigFuzz.swift; max_len=8192 ;;
    series) file=Fuzz/SeriesFuzz.swift; max_len=1024 ;;
    *) echo "unknown target '$target' (csv, number, config, series)" >&2; exit 64 ;;
  esac
  extra=""
  if [ "$target" = series ]; then extra="Sources/TimeSeries/SeriesTable.swift Sources/TimeSeries/SeriesNormalization.swift"; fi
  bin=.build/fuzz/$target
  # shellcheck disable=SC2086
  if [ ! -x "$bin" ] || [ -n "$(find Sources/CohortLensCore "$file" $extra -newer "$bin" -name '*.swift' | head -1)" ]; then
    echo "building $bin" >&2
    # shellcheck disable=SC2086
    "$SWIFTC" -sanitize=fuzzer,address -parse-as-library -O -g -module-name CohortLensCore \
      $CORE_SOURCES $extra "$file" -o "$bin" 2> >(grep -v "Cannot export local symbol" >&2)
  fi
  work=.build/fuzz/corpus-$target
  artifacts=.build/fuzz/artifacts-$target/
  mkdir -p "$work" "$artifacts"
  echo "fuzzing $target for $SECONDS_PER_TARGET s" >&2
  # shellcheck disable=SC2086
  if ! "$bin" "$work" "Fuzz/corpus/$target" -max_total_time="$SECONDS_PER_TARGET" -max_len="$max_len" \
      -timeout=10 -rss_limit_mb=4096 -artifact_prefix="$artifacts" -print_final_stats=1 ${FUZZ_FLAGS:-} \
      2> ".build/fuzz/$target.log"; then
    status=1
    echo "$target: FAILED — see .build/fuzz/$target.log and $artifacts" >&2
  fi
  grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb|^Done|^#[0-9]+ *DONE' ".build/fuzz/$target.log" >&2 || true
done
exit $status
