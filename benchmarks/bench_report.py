"""Time the full report (`clvkit report`) on the demo data at 10k, 100k and 1M customers.

Run: ``.venv/bin/python benchmarks/bench_report.py [--customers 10000 100000 1000000]
[--dir DIR] [--jobs 2] [--lang en]``.

The demo data (:func:`clvkit.datasets.write_demo`, seed 42, with the realistic bad rows
of ``quality_issues=True`` so the data-quality page has content) are written once per
size as Parquet into ``DIR/demo-<n>`` and reused by later runs. Each report runs as
``clvkit report --data DIR/demo-<n> --out DIR/report-<n>`` in a child process (as a
user would start it), then the script reads the report's ``run.json`` and
``scores/meta.json`` and prints, per size:

* the data check and load (preflight, printed by the run),
* the scoring run and its steps (summary, holdout model choice, model fits, churn
  classifier, segments, KPIs),
* the seconds of every notebook (papermill, kernel start included; two at a time by
  default, so they overlap and do not add up to the total),
* the wall time of the whole command, and the load average of the machine before and
  after (on a shared machine the numbers are only comparable at similar load).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import clvkit as ck

_PREFLIGHT = re.compile(r"preflight: data checked in ([\d.]+) s")
_SCORING = re.compile(r"scoring done in ([\d.]+) s")
_NOTEBOOK = re.compile(r"\[\d+/\d+\] (\S+) done in ([\d.]+) s")


def demo_folder(root: Path, n: int) -> Path:
    """Write the demo tables for ``n`` customers once; return their folder."""
    folder = root / f"demo-{n}"
    if not (folder / "transactions.parquet").exists():
        start = time.perf_counter()
        ck.datasets.write_demo(folder, n_customers=n, seed=42, formats=("parquet",),
                               quality_issues=True)
        print(f"wrote the demo data for {n:,} customers in {time.perf_counter() - start:.1f} s "
              f"to {folder}", flush=True)
    return folder


def _from_log(text: str) -> dict:
    """What the run's progress lines say (kept when a run is stopped by the timeout)."""
    found = _PREFLIGHT.search(text)
    scoring = _SCORING.search(text)
    return {"preflight": float(found.group(1)) if found else float("nan"),
            "scoring": float(scoring.group(1)) if scoring else float("nan"),
            "notebooks": {m.group(1): float(m.group(2)) for m in _NOTEBOOK.finditer(text)}}


def run_once(root: Path, n: int, *, jobs: int, lang: str, timeout: int) -> dict:
    """Run ``clvkit report`` on the demo of ``n`` customers; return its timings.

    The run's progress lines go to ``DIR/report-<n>.log``; a run still going after
    ``timeout`` seconds is stopped (SIGTERM, then SIGKILL) and what it finished is
    returned with ``"stopped": True``.
    """
    data = demo_folder(root, n)
    out = root / f"report-{n}"
    log = root / f"report-{n}.log"
    cmd = [sys.executable, "-c", "import sys; from clvkit.cli import main; sys.exit(main())",
           "report", "--data", str(data), "--out", str(out), "--jobs", str(jobs),
           "--lang", lang]
    load_before = os.getloadavg()
    start = time.perf_counter()
    with open(log, "w", encoding="utf-8") as fh:
        child = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, text=True)
        try:
            code, stopped = child.wait(timeout=timeout), False
        except subprocess.TimeoutExpired:
            child.terminate()
            try:
                code = child.wait(timeout=120)
            except subprocess.TimeoutExpired:
                child.kill()
                code = child.wait()
            stopped = True
    wall = time.perf_counter() - start
    text = log.read_text(encoding="utf-8")
    result = {"customers": n, "orders": float("nan"), **_from_log(text), "scoring_steps": {},
              "total": wall, "wall": wall, "load": (load_before[0], os.getloadavg()[0]),
              "stopped": stopped}
    if stopped:
        return result
    if code != 0:
        print(text[-3000:], file=sys.stderr)
        msg = f"clvkit report failed on {n:,} customers (exit {code}); log: {log}"
        raise SystemExit(msg)
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    meta = json.loads((out / "scores" / "meta.json").read_text(encoding="utf-8"))
    result.update(orders=record["kpis"]["orders"]["value"],
                  scoring=record.get("scoring_seconds", result["scoring"]),
                  scoring_steps=meta.get("timings", {}),
                  notebooks={nb["name"]: nb["seconds"] for nb in record["notebooks"]},
                  total=record["seconds"])
    return result


def _print(result: dict) -> None:
    n = result["customers"]
    if result["stopped"]:
        print(f"\n{n:,} customers: STOPPED by the timeout after {result['wall']:.0f} s; "
              "what finished:")
    print(f"\n{n:,} customers, {result['orders']:,} purchases "
          f"(load average {result['load'][0]:.1f} before, {result['load'][1]:.1f} after)")
    print(f"  {'data check + load':<24} {result['preflight']:7.1f} s")
    steps = ", ".join(f"{k} {v:.1f}" for k, v in result["scoring_steps"].items()
                      if k != "total")
    print(f"  {'scoring':<24} {result['scoring']:7.1f} s   ({steps})")
    for name, seconds in result["notebooks"].items():
        print(f"  {name:<24} {seconds:7.1f} s")
    print(f"  {'report total':<24} {result['total']:7.1f} s   (command {result['wall']:.1f} s)")


def main() -> None:
    """Run the report at every requested size and print the timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, nargs="+",
                        default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--dir", type=Path, default=None,
                        help="folder for the demo data and the reports (default: a "
                             "clvkit-bench-report folder in the system's temp folder)")
    parser.add_argument("--jobs", type=int, default=2, help="notebooks run at the same time")
    parser.add_argument("--lang", choices=("en", "zh"), default="en")
    parser.add_argument("--timeout", type=int, default=1500,
                        help="seconds one report may take before the script gives up")
    args = parser.parse_args()
    root = args.dir or Path(tempfile.gettempdir()) / "clvkit-bench-report"
    root.mkdir(parents=True, exist_ok=True)
    results = []
    for n in args.customers:
        results.append(run_once(root, n, jobs=args.jobs, lang=args.lang, timeout=args.timeout))
        _print(results[-1])
    names = list(dict.fromkeys(k for r in results for k in r["notebooks"]))
    print("\n| step | " + " | ".join(f"{r['customers']:,}" for r in results) + " |")
    print("| --- |" + " ---: |" * len(results))
    rows = [("data check + load", [r["preflight"] for r in results]),
            ("scoring", [r["scoring"] for r in results]),
            *((name, [r["notebooks"].get(name, float("nan")) for r in results])
              for name in names),
            ("**total**", [r["total"] for r in results])]
    for label, values in rows:
        print(f"| {label} | " + " | ".join(f"{v:.1f}" for v in values) + " |")


if __name__ == "__main__":
    main()
