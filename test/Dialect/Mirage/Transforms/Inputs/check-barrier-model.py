"""Checks mirage-schedule-block-graphs' barrier model against the lowering.

For each input (a file, or each `// -----` case of one), with --prepare
after the μGraph optimizer passes that precede the scheduler in
mirage-lower-to-tiles, runs

  - mirage-schedule-block-graphs with -mlir-pass-statistics: the barriers
    its model predicts before and after reordering (summed over kernels);
  - convert-mirage-to-gpu and mirage-map-tiles-to-threads on the input and
    on the reordered output: the gpu.barrier ops of the thread-level code.

and prints one line per input:

  NAME: model BEFORE -> AFTER, lowering BEFORE -> AFTER: agree|DISAGREE, fewer|same|MORE

Usage: check-barrier-model.py [--prepare] TARGET FILE...
(mirage-opt from PATH)
"""

import os
import re
import subprocess
import sys

PREPARE = ["--mirage-decompose", "--mirage-safe-softmax",
           "--mirage-expand-predefined-kernels", "--mirage-form-thread-graphs"]


def opt(args, text):
    result = subprocess.run(["mirage-opt", *args, "-"],
                            input=text, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"mirage-opt {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout, result.stderr


def statistic(report, name):
    match = re.search(r"\(S\)\s+(\d+) " + re.escape(name) + " ", report)
    if not match:
        sys.exit(f"no statistic {name} in:\n{report}")
    return int(match.group(1))


def barriers(target, text):
    tiles, _ = opt([f"--convert-mirage-to-gpu=target={target}"], text)
    threads, _ = opt(["--pass-pipeline=builtin.module(gpu.module("
                             "mirage-map-tiles-to-threads))"], tiles)
    return len(re.findall(r"\bgpu\.barrier\b", threads))


def check(target, prepare, name, text):
    prepared = opt(PREPARE, text)[0] if prepare else text
    scheduled, report = opt(
        [f"--mirage-schedule-block-graphs=target={target}",
                "-mlir-pass-statistics"], prepared)
    model = (statistic(report, "barriers-before"),
             statistic(report, "barriers-after"))
    lowering = (barriers(target, prepared), barriers(target, scheduled))
    agree = "agree" if model == lowering else "DISAGREE"
    trend = ("fewer" if lowering[1] < lowering[0] else
             "same" if lowering[1] == lowering[0] else "MORE")
    print(f"{name}: model {model[0]} -> {model[1]}, lowering {lowering[0]} -> "
          f"{lowering[1]}: {agree}, {trend}")


def main():
    args = sys.argv[1:]
    prepare = args[0] == "--prepare"
    if prepare:
        args = args[1:]
    target, files = args[0], args[1:]
    for path in files:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        base = os.path.splitext(os.path.basename(path))[0]
        cases = re.split(r"^// -----\s*$", text, flags=re.M)
        for i, case in enumerate(cases):
            name = base
            if len(cases) > 1:
                func = re.search(r"func\.func @(\w+)", case)
                name = func.group(1) if func else f"{base}#{i}"
            check(target, prepare, name, case)


if __name__ == "__main__":
    main()
