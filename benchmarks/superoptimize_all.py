#!/usr/bin/env python3
"""Runs the superoptimizer on every benchmark program and prints a table.

For each program (benchmarks/<name>.mlir, and the model programs in
benchmarks/models/) this runs

    mirage-opt --mirage-decompose --mirage-superoptimize=<options> <file>

(with the cache disabled, so every figure is a real search), checks the
result against the original with ``mirage-run --reference`` (except for
programs whose inputs do not fit the interpreter comfortably: the model
programs, whose result the superoptimizer has verified already), and prints
one Markdown row:

- ops → kernels: the input's kernel-level ops and the kernels of the result;
- est. µs: the cost model's estimate for the target, of the result;
- floor µs: the HBM floor of the target, the bytes of the inputs and
  outputs over the peak bandwidth (lib/Target/GpuTarget.cpp's figures,
  repeated below), and the estimate as a multiple of it;
- search s, verify s: stages 1–2 and the rest (verification and building the
  IR), wall clock, from the pass's remark;
- peak RSS: the most memory the mirage-opt process held (getrusage);
- bound: the verification's false-accept bound; the μGraph chosen.

Usage:
    benchmarks/superoptimize_all.py [--build DIR] [--target sm_90a]
        [--options "threads=2 ..."] [--no-check] [names...]

Names are bundled programs (gqa, ...) or model programs (models/llama3_8b_mlp,
...); the default is all of them. Exits 1 if any program fails to
superoptimize or to match its original. Only the standard library is needed.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUNDLED = ["gqa", "qknorm", "rmsnorm", "lora", "gated_mlp", "ntrans", "mha",
           "mqa", "moe", "seed_attention"]
MODELS = ["models/llama3_8b_attention", "models/llama3_8b_out_proj",
          "models/llama3_8b_mlp", "models/llama3_8b_mlp_chain4"]

# Peak HBM bandwidth per target, bytes per second: the figures of
# lib/Target/GpuTarget.cpp (NVIDIA's datasheets: A100 80GB SXM, H100 SXM5,
# H200 SXM).
HBM_BYTES_PER_SECOND = {"sm_80": 2.039e12, "sm_90a": 3.35e12, "h200": 4.8e12}

CHOSEN = re.compile(
    r"@(?P<name>\w+): (?P<after>\d+) kernel\(s\) instead of (?P<before>\d+), "
    r"estimated (?P<cost_after>[\d.]+) us instead of (?P<cost_before>[\d.]+|inf) us "
    r"on (?P<device>[^;]+); (?P<derivations>\d+) derivation\(s\), "
    r"(?P<explored>\d+) candidates explored, (?P<pruned>\d+) pruned, "
    r"(?P<rejected>\d+) rejected by verification.*?; verified by (?P<tests>\d+) "
    r"finite-field test\(s\) \(false accept <= 2\^(?P<bound>-?\d+)\) .*?"
    r"search (?P<search>[\d.]+) s, total (?P<total>[\d.]+) s.*?: (?P<plan>.*)$")
# The input kept: "no μGraph beats the input (N kernel(s), estimated X us on
# D); keeping it" (a remark), or "<why>; keeping the input (N kernel(s),
# estimated X us on D)" (a warning).
KEPT = re.compile(
    r"@(?P<name>\w+): (?:no μGraph beats the input |.*?; keeping the input )"
    r"\((?P<before>\d+) kernel\(s\), estimated (?P<cost_before>[\d.]+|inf) us")
TENSOR = re.compile(r"tensor<((?:\d+x)*)(f16|bf16|f32)>")
BYTES = {"f16": 2, "bf16": 2, "f32": 4}


def signature_bytes(source):
    """Bytes of the arguments and results of the (only) function in
    `source`: the least any kernel must move through HBM."""
    text = open(source).read()
    header = text[text.index("func.func"):text.index("{", text.index("func.func"))]
    total = 0
    for dims, dtype in TENSOR.findall(header):
        count = 1
        for d in dims.split("x")[:-1]:
            count *= int(d)
        total += count * BYTES[dtype]
    return total


def run_tool(argv):
    """Runs a command; returns (returncode, stdout, stderr, seconds, peak RSS
    in MiB), the RSS from the kernel's accounting of that child alone."""
    start = time.monotonic()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(argv, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.monotonic() - start
        out.seek(0)
        err.seek(0)
        return proc.returncode, out.read(), err.read(), wall, usage.ru_maxrss / 1024


def run(name, build, options, workdir, check):
    source = os.path.join(ROOT, "benchmarks", name + ".mlir")
    output = os.path.join(workdir, os.path.basename(name) + ".opt.mlir")
    code, _, stderr, wall, rss = run_tool(
        [os.path.join(build, "bin", "mirage-opt"), "--mirage-decompose",
         "--mirage-superoptimize=" + options, source, "-o", output])
    if code != 0:
        return None, f"mirage-opt failed:\n{stderr}"
    row = None
    for line in stderr.splitlines():
        match = CHOSEN.search(line)
        if match:
            row = dict(match.groupdict(), kept=False)
            continue
        match = KEPT.search(line)
        if match and (row is None or row["kept"]):
            row = dict(match.groupdict(), kept=True, after=match["before"],
                       cost_after=match["cost_before"], plan="(the input)",
                       bound="-", search=None, total=None)
    if not row:
        return None, f"no result remark in:\n{stderr}"
    row["wall"], row["rss"] = wall, rss
    row["floor"] = signature_bytes(source)
    row["check"] = "-"
    if check and not row["kept"]:
        code, stdout, stderr, _, _ = run_tool(
            [os.path.join(build, "bin", "mirage-run"), output,
             "--reference=" + source])
        row["check"] = "pass" if code == 0 else "FAIL"
        if code != 0:
            return row, f"mirage-run --reference failed:\n{stdout}{stderr}"
    return row, None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=BUNDLED + MODELS)
    parser.add_argument("--build", default=os.environ.get(
        "MIRAGE_BUILD_DIR", os.path.join(ROOT, "build")))
    parser.add_argument("--target", default="sm_90a",
                        choices=sorted(HBM_BYTES_PER_SECOND))
    parser.add_argument("--options", default="",
                        help="extra pass options, space separated")
    parser.add_argument("--no-check", action="store_true",
                        help="skip mirage-run --reference on every program")
    args = parser.parse_args()
    options = f"target={args.target} cache-dir=none {args.options}".strip()
    bandwidth = HBM_BYTES_PER_SECOND[args.target]

    print(f"mirage-superoptimize=\"{options}\" on {os.cpu_count()} cores\n")
    print("| program | ops → kernels | est. µs | floor µs (×) | search s | "
          "verify s | peak RSS MiB | explored | bound | check | μGraph |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    failures = 0
    with tempfile.TemporaryDirectory() as workdir:
        for name in args.names:
            check = not args.no_check and not name.startswith("models/")
            row, error = run(name, args.build, options, workdir, check)
            if row:
                floor = row["floor"] / bandwidth * 1e6
                cost = float(row["cost_after"])
                search = f"{float(row['search']):.2f}" if row["search"] else "-"
                verify = (f"{float(row['total']) - float(row['search']):.1f}"
                          if row["total"] else "-")
                print(f"| {name} | {row['before']} → {row['after']} | "
                      f"{cost:.1f} | {floor:.1f} ({cost / floor:.2f}×) | "
                      f"{search} | {verify} | {row['rss']:.0f} | "
                      f"{row.get('explored', '-')} | "
                      f"{'-' if row['kept'] else '2^' + row['bound']} | "
                      f"{row['check']} | {row['plan']} |", flush=True)
            if error:
                failures += 1
                print(f"{name}: {error}", file=sys.stderr)
    if failures:
        print(f"\nFAIL: {failures} program(s)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
