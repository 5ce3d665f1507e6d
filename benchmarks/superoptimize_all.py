#!/usr/bin/env python3
"""Runs the superoptimizer on every benchmark program and prints a table.

For each benchmarks/<name>.mlir this runs

    mirage-opt --mirage-decompose --mirage-superoptimize=<options> <name>.mlir

(with the cache disabled, so every figure is a real search), checks the
result against the original with ``mirage-run --reference``, and prints one
Markdown row: search and total time (wall clock, seconds, on this machine),
candidates explored / pruned / rejected, kernels before and after, the
estimated cost (microseconds, from the cost model, for the target) before and
after, the false-accept bound of the verification, and the μGraph chosen.

Usage:
    benchmarks/superoptimize_all.py [--build DIR] [--target sm_90a]
        [--options "threads=2 ..."] [names...]

Exits 1 if any program fails to superoptimize or to match its original.
Only the standard library is needed.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAMES = ["gqa", "qknorm", "rmsnorm", "lora", "gated_mlp", "ntrans", "mha",
         "mqa", "moe", "seed_attention"]

REMARK = re.compile(
    r"@(?P<name>\w+): (?P<after>\d+) kernel\(s\) instead of (?P<before>\d+), "
    r"estimated (?P<cost_after>[\d.]+) us instead of (?P<cost_before>[\d.]+|inf) us "
    r"on (?P<device>[^;]+); (?P<derivations>\d+) derivation\(s\), "
    r"(?P<explored>\d+) candidates explored, (?P<pruned>\d+) pruned, "
    r"(?P<rejected>\d+) rejected by verification; verified by (?P<tests>\d+) "
    r"finite-field test\(s\) \(false accept <= 2\^(?P<bound>-?\d+)\) .*?"
    r"search (?P<search>[\d.]+) s, total (?P<total>[\d.]+) s: (?P<plan>.*)$")


def run(name, build, options, workdir):
    source = os.path.join(ROOT, "benchmarks", name + ".mlir")
    output = os.path.join(workdir, name + ".opt.mlir")
    start = time.monotonic()
    opt = subprocess.run(
        [os.path.join(build, "bin", "mirage-opt"), "--mirage-decompose",
         "--mirage-superoptimize=" + options, source, "-o", output],
        capture_output=True, text=True)
    wall = time.monotonic() - start
    if opt.returncode != 0:
        return None, f"mirage-opt failed:\n{opt.stderr}"
    match = None
    for line in opt.stderr.splitlines():
        match = REMARK.search(line) or match
    if not match:
        return None, f"no result remark in:\n{opt.stderr}"
    check = subprocess.run(
        [os.path.join(build, "bin", "mirage-run"), output,
         "--reference=" + source],
        capture_output=True, text=True)
    row = match.groupdict()
    row["wall"] = wall
    row["check"] = "pass" if check.returncode == 0 else "FAIL"
    if check.returncode != 0:
        return row, f"mirage-run --reference failed:\n{check.stdout}{check.stderr}"
    return row, None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=NAMES)
    parser.add_argument("--build", default=os.environ.get(
        "MIRAGE_BUILD_DIR", os.path.join(ROOT, "build")))
    parser.add_argument("--target", default="sm_90a")
    parser.add_argument("--options", default="",
                        help="extra pass options, space separated")
    args = parser.parse_args()
    options = f"target={args.target} cache-dir=none {args.options}".strip()

    print(f"mirage-superoptimize=\"{options}\" on {os.cpu_count()} cores\n")
    print("| program | search s | total s | explored | pruned | rejected | "
          "kernels before → after | est. µs before → after | bound | μGraph |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    failures = 0
    with tempfile.TemporaryDirectory() as workdir:
        for name in args.names:
            row, error = run(name, args.build, options, workdir)
            if row:
                print(f"| {name} | {float(row['search']):.2f} | "
                      f"{float(row['total']):.1f} | {row['explored']} | "
                      f"{row['pruned']} | {row['rejected']} | "
                      f"{row['before']} → {row['after']} | "
                      f"{row['cost_before']} → {row['cost_after']} | "
                      f"2^{row['bound']} | {row['plan']} |", flush=True)
            if error:
                failures += 1
                print(f"{name}: {error}", file=sys.stderr)
    if failures:
        print(f"\nFAIL: {failures} program(s)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
