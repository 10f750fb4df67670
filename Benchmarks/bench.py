#!/usr/bin/env python3
"""Run the peer (scikit-learn / pandas) and CohortLens on the same inputs and print a Markdown table.

Called by Benchmarks/run.sh (which prepares the venv, the release build and the data). Each timing is repeated
--repeat times and the minimum is kept. A CohortLens command that fails or times out is reported as "failed" with
its stderr; the run continues.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
COLS = ",".join(f"x{j}" for j in range(8))
CLUSTER_SIZES = [1000, 2000, 4000]
SILHOUETTE_SIZES = [8000, 20000]
TARGETS = {"cluster": 3.0, "silhouette": 2.0}
INGEST_TARGET_MBPS = 150.0


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def thread_env(single: bool) -> dict:
    env = dict(os.environ)
    for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if single:
            env[v] = "1"
        else:
            env.pop(v, None)
    return env


def run_peer(case: str, file: Path, repeat: int, single: bool, extra: list[str] | None = None) -> dict | None:
    cmd = [sys.executable, str(HERE / "peer.py"), case, "--file", str(file), "--repeat", str(repeat)] + (extra or [])
    p = subprocess.run(cmd, env=thread_env(single), capture_output=True, text=True)
    if p.returncode != 0:
        log(f"peer {case} {file.name} failed:\n{p.stderr}")
        return None
    return json.loads(p.stdout.strip().splitlines()[-1])


def run_peer_script(case: str, file: Path, repeat: int) -> float | None:
    """Wall time of the peer run as a user runs it: a fresh `python peer.py CASE` process doing the job once
    (interpreter start-up and imports included, default threads); minimum over `repeat` processes."""
    cmd = [sys.executable, str(HERE / "peer.py"), case, "--file", str(file), "--repeat", "1"]
    best = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        p = subprocess.run(cmd, env=thread_env(False), capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if p.returncode != 0:
            return None
        best = wall if best is None else min(best, wall)
    return best


def run_ours(cmd: list[str], repeat: int, timeout: float, output: Path | None) -> dict:
    """Wall time of the whole process (min over repeats) and its CPU time (user + sys of the child)."""
    walls, cpus, stdout = [], [], ""
    for _ in range(repeat):
        if output is not None and output.exists():
            output.unlink()
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
        except subprocess.TimeoutExpired:
            return dict(ok=False, error=f"timeout after {timeout:.0f} s: {' '.join(cmd)}")
        except OSError as e:
            return dict(ok=False, error=f"{e}: {' '.join(cmd)}")
        wall = time.perf_counter() - t0
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        if p.returncode != 0:
            return dict(ok=False, error=f"exit {p.returncode}: {' '.join(cmd)}\n{p.stderr.strip()[-4000:]}")
        walls.append(wall)
        cpus.append((r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime))
        stdout = p.stdout
    try:
        doc = json.loads(output.read_text() if output is not None and output.exists() else stdout)
    except (json.JSONDecodeError, OSError) as e:
        return dict(ok=False, error=f"output is not JSON ({e}): {' '.join(cmd)}\n{stdout[:2000]}")
    return dict(ok=True, wall_s=min(walls), cpu_s=min(cpus), wall_all=walls, json=doc)


def find_key(doc, key):
    """First value of `key` in a JSON document (breadth-first)."""
    queue = [doc]
    while queue:
        x = queue.pop(0)
        if isinstance(x, dict):
            if key in x:
                return x[key]
            queue.extend(x.values())
        elif isinstance(x, list):
            queue.extend(x)
    return None


def ari_vs_peer(ours_doc: dict, peer_labels_file: Path) -> str:
    from sklearn.metrics import adjusted_rand_score
    try:
        peer = json.loads(peer_labels_file.read_text())
        ids = [str(i) for i in ours_doc["ids"]]
        labels = ours_doc["sweep"][0]["labels"]
        mine = dict(zip(ids, labels))
        aligned = [mine[str(i)] for i in peer["ids"]]
        return f"{adjusted_rand_score(peer['labels'], aligned):.4f}"
    except Exception as e:  # noqa: BLE001
        return f"n/a ({type(e).__name__}: {e})"


def fmt(x, nd=3) -> str:
    return "—" if x is None else f"{x:.{nd}f}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=HERE / "data")
    ap.add_argument("--bin", type=Path, default=ROOT / ".build" / "release" / "cohortlens")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--timeout", type=float, default=900.0)
    ap.add_argument("--cases", default="cluster,silhouette,ingest")
    ap.add_argument("--no-default-threads", action="store_true", help="skip the default-thread peer column")
    ap.add_argument("--peer-only", action="store_true", help="do not run CohortLens")
    ap.add_argument("--output", type=Path, default=HERE / "results" / "latest.md")
    a = ap.parse_args()
    cases = set(a.cases.split(","))
    outdir = a.data / "out"
    outdir.mkdir(parents=True, exist_ok=True)
    have_bin = a.bin.exists() and not a.peer_only
    if not have_bin and not a.peer_only:
        log(f"CohortLens binary {a.bin} not found: CohortLens rows will be marked failed")

    rows, failures = [], []

    def ours_or_fail(tag: str, cmd: list[str], output: Path | None) -> dict:
        if a.peer_only:
            return dict(ok=False, error="skipped (--peer-only)", skipped=True)
        if not have_bin:
            return dict(ok=False, error=f"binary {a.bin} missing")
        log(f"ours  {tag}: {' '.join(cmd)}")
        r = run_ours(cmd, a.repeat, a.timeout, output)
        if not r["ok"]:
            log(f"FAILED {tag}: {r['error']}")
            failures.append((tag, r["error"]))
        return r

    def peers(case: str, file: Path, extra: list[str] | None = None) -> tuple[dict | None, dict | None]:
        log(f"peer  {case} {file.name} (1 thread)")
        p1 = run_peer(case, file, a.repeat, True, extra)
        pd_ = None
        if not a.no_default_threads:
            log(f"peer  {case} {file.name} (default threads)")
            pd_ = run_peer(case, file, a.repeat, False)
        return p1, pd_

    def add_row(case, n, p1, pd_, ours, compare, target_text, peer_note="", script=None):
        best_peer = min([p["total"]["wall_s"] for p in (p1, pd_) if p] or [None]) if (p1 or pd_) else None
        script_ratio = "—"
        if ours.get("ok") and best_peer:
            ratio = f"{best_peer / ours['wall_s']:.2f}×"
            ours_w, ours_c = fmt(ours["wall_s"]), fmt(ours["cpu_s"])
            if script:
                script_ratio = f"{script / ours['wall_s']:.1f}×"
        else:
            ratio = "—"
            ours_w = ours_c = "skipped" if ours.get("skipped") else "failed"
        rows.append([case, str(n),
                     fmt(p1["total"]["wall_s"]) if p1 else "failed", fmt(p1["total"]["cpu_s"]) if p1 else "failed",
                     (fmt(pd_["total"]["wall_s"]) if pd_ else ("—" if a.no_default_threads else "failed")),
                     peer_note, fmt(script) if script else "—", ours_w, ours_c, ratio, script_ratio, compare,
                     target_text])

    if "cluster" in cases:
        for n in CLUSTER_SIZES:
            f = a.data / f"blobs8_n{n}.csv"
            lab = outdir / f"peer_cluster_n{n}.json"
            p1, pd_ = peers("cluster", f, ["--labels-out", str(lab)])
            out = outdir / f"ours_cluster_n{n}.json"
            ours = ours_or_fail(f"cluster n={n}", [str(a.bin), "cluster", "--features", str(f), "--id", "id",
                                                   "--columns", COLS, "--scale", "none", "--gamma", "0.125",
                                                   "--k", "5", "--seed", "0", "--format", "json",
                                                   "--output", str(out), "--no-fsync"], out)
            compare = f"ARI {ari_vs_peer(ours['json'], lab)}" if ours.get("ok") and p1 else "—"
            note = f"fit {p1['fit']['wall_s']:.3f} / CPU {p1['fit']['cpu_s']:.3f}" if p1 else ""
            log(f"peer  cluster {f.name} (as a script)")
            script = None if a.peer_only else run_peer_script("cluster", f, a.repeat)
            add_row("cluster (SC k=5, RBF)", n, p1, pd_, ours, compare, "≥ 3×", note, script)

    if "silhouette" in cases:
        for n in SILHOUETTE_SIZES:
            f = a.data / f"blobs8_n{n}.csv"
            p1, pd_ = peers("silhouette", f)
            ours = ours_or_fail(f"scores n={n}", [str(a.bin), "scores", "--features", str(f), "--id", "id",
                                                  "--columns", COLS, "--labels", "truth", "--format", "json"], None)
            compare = "—"
            if ours.get("ok") and p1:
                v = find_key(ours["json"], "silhouette")
                compare = (f"Δsil {abs(float(v) - p1['silhouette']):.1e}" if isinstance(v, (int, float))
                           else "silhouette missing")
            log(f"peer  silhouette {f.name} (as a script)")
            script = None if a.peer_only else run_peer_script("silhouette", f, a.repeat)
            add_row("silhouette (8-D)", n, p1, pd_, ours, compare, "≥ 2×", "", script)

    if "ingest" in cases:
        f = a.data / "ingest_1m.csv"
        p1, pd_ = peers("ingest", f)
        ours = ours_or_fail("inspect 1M", [str(a.bin), "inspect", str(f), "--format", "json"], None)
        size_mb = f.stat().st_size / 1e6
        compare = "—"
        if ours.get("ok"):
            r = find_key(ours["json"], "rows")
            mbps = size_mb / ours["wall_s"]
            compare = f"ours {mbps:.0f} MB/s, rows {r}" + ("" if r == 1_000_000 else " (expected 1000000)")
        peer_note = f"pandas {size_mb / p1['total']['wall_s']:.0f} MB/s" if p1 else ""
        add_row(f"CSV ingest ({size_mb:.0f} MB, 12 cols)", p1["n"] if p1 else 1_000_000, p1, pd_, ours, compare,
                f"≥ {INGEST_TARGET_MBPS:.0f} MB/s", peer_note)

    header = ["case", "n", "peer wall s (1 thr)", "peer CPU s (1 thr)", "peer wall s (default thr)", "peer detail",
              "peer script wall s", "CohortLens wall s", "CohortLens CPU s", "ratio (peer/ours)",
              "ratio (script/ours)", "agreement", "target"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    meta = (f"Run {dt.datetime.now(dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')} on {platform.node()} "
            f"({os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}); min of {a.repeat} runs. "
            "Peer times are in-process (imports excluded); ratio = faster peer wall / CohortLens process wall "
            "(the strict comparison, used for the targets). 'peer script' = the same job as a fresh Python "
            "process (start-up and imports included), as a user runs it.")
    text = "\n".join(["# CohortLens benchmark", "", meta, ""] + lines) + "\n"
    if failures:
        text += "\n## Failures\n\n" + "\n".join(f"- **{t}**\n\n```\n{e}\n```" for t, e in failures) + "\n"
    print(text)
    a.output.parent.mkdir(parents=True, exist_ok=True)
    a.output.write_text(text)
    log(f"written {a.output}")


if __name__ == "__main__":
    main()
