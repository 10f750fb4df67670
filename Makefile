# CohortLens — set-up, build, test, run.
#   make run    install missing system packages, build release, run the main job on the bundled data
#   make test   install missing system packages, run the test suite
SHELL := /bin/bash
SWIFT ?= swift
OPENBLAS_NUM_THREADS ?= 2
export OPENBLAS_NUM_THREADS
OUT ?= out
BIN = .build/release/cohortlens

.PHONY: deps build release test run bench clean tsan fuzz

# System libraries (LAPACKE + OpenBLAS), installed only when lapacke.h is missing.
deps:
	@if [ ! -f /usr/include/lapacke.h ] || [ ! -e /usr/include/x86_64-linux-gnu/cblas.h -a ! -e /usr/include/cblas.h ]; then \
	  echo "Installing liblapacke-dev libopenblas-dev ..."; \
	  SUDO=""; if [ "$$(id -u)" != "0" ]; then SUDO="sudo"; fi; \
	  $$SUDO apt-get update && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y liblapacke-dev libopenblas-dev; \
	fi

build: deps
	$(SWIFT) build

# The Swift runtime is linked statically into the release binary: start-up drops from about 10.3 to 7.9 ms of
# CPU (`cohortlens --version`, perf stat, 20 runs; no dynamic loading of the nine Swift libraries). LAPACKE and
# OpenBLAS are linked from their static archives in release builds too (Package.swift, `lapackLinking`):
# `cohortlens --version` 10.6 -> 7.2 ms wall.
# --disable-local-rpath: no `$ORIGIN` RUNPATH in the release binary (nothing is loaded from its folder: the Swift
# runtime, LAPACKE and OpenBLAS are linked statically), so the loader no longer tries 25 paths under the binary's
# folder (glibc-hwcaps/x86-64-v2..v4, tls, x86_64) for its system libraries before their own folder.
# -disable-concrete-type-metadata-mangled-name-accessors: generic types such as `Set<String>`, `[ExactText: [Int]]`
# or `[Range<Int>]` get their metadata from accessor calls that pass the conformances (`String: Hashable`)
# directly, instead of from mangled names that the runtime demangles and whose conformances it looks up by
# scanning all ≈ 3,900 conformance records of the binary: the benchmark `cluster` run went from 4 such scans to
# none (breakpoint on the runtime's conformance cache), outputs unchanged; the binary grows by 0.2 %.
# --no-export-dynamic: the Swift toolchain's static-stdlib link arguments export every Swift symbol of the program
# (≈ 4,500) to the dynamic symbol table, which nothing reads (no dlsym, no plug-ins; crash messages unchanged: the
# static binary has no swift-backtrace helper). Without them the loader's symbol lookups for the shared libraries
# and the runtime's start-up dladdr (locating swift-backtrace) no longer search that table.
RELEASE_FLAGS ?= --static-swift-stdlib --disable-local-rpath \
  -Xswiftc -Xfrontend -Xswiftc -disable-concrete-type-metadata-mangled-name-accessors \
  -Xlinker --no-export-dynamic
export RELEASE_FLAGS
release: deps
	$(SWIFT) build -c release $(RELEASE_FLAGS)

test: deps
	$(SWIFT) test

# The main job: the bundled course audit (Examples/audit/default.yaml) on the data in Fixtures/ — DTW clusters
# of the EPFL flipped classroom, fairness of its pass/fail model, LIME explanations, the lecture 12 BiLSTM and the
# OULAD early-warning engine. Writes $(REPORT)/report.html, report.json and tables/*.csv.
REPORT ?= report
run: release
	$(BIN) audit --out $(REPORT) --progress

bench: release
	Benchmarks/run.sh

# Thread sanitizer over the concurrent code: DTW pairwise engine and neighbours, silhouette, k sweep,
# k-means, affinity rows, fairness bootstrap, cohort explanations, column summaries, background
# hashing, interrupt clean-up table. OpenBLAS runs on
# one thread (its own threads are not instrumented). Own build folder, so the debug build is kept.
TSAN_FILTER ?= TimeSeriesTests|ClusteringTests|LinearAlgebraTests|FairnessTests|ExplanationTests|CohortLensCoreTests\.(ColumnSummaryTests|SHA256Tests|InterruptCleanupTests|CSVReaderTests)
tsan: deps
	OPENBLAS_NUM_THREADS=1 $(SWIFT) test --sanitize=thread --build-path .build/tsan --filter '$(TSAN_FILTER)'

# libFuzzer + AddressSanitizer over the CSV reader, the number parser and the configuration reader
# (FUZZ_SECONDS per target; crashes land in .build/fuzz/artifacts-<target>/). See Scripts/fuzz.sh.
FUZZ_SECONDS ?= 60
fuzz:
	Scripts/fuzz.sh $(FUZZ_SECONDS)

clean:
	rm -rf .build $(OUT) $(REPORT)
