#!/usr/bin/env python3
"""The benchmark harness: Mirage's kernels against PyTorch, torch.compile,
FlashAttention and Triton.

    benchmarks/run.py compile [--targets sm_90a,h200] [programs...]
        Where LLVM/MLIR and build/bin are: superoptimize and lower every
        benchmark program to a kernel package, record search and compile
        times, write the interpreter's reference outputs; all under
        build/harness (copy it to the GPU host), and the compile-side report
        to benchmarks/results/compile-<target>.md/.csv/.png.

    benchmarks/run.py gpu [programs...]
        Where a GPU, PyTorch and the runtime's library are (no MLIR needed):
        run the packages and the baselines, check every output against
        PyTorch's, time them with CUDA events and write
        benchmarks/results/<device>.json/.md/.csv/.png. Without a GPU (or
        without PyTorch) it says that the GPU part was skipped and exits 0.

    benchmarks/run.py all
        compile, then gpu (the GPU part is skipped without a GPU).

    benchmarks/run.py report [RESULTS.json ...]
        Rewrite the Markdown, CSV and PNG from results JSON files (e.g. where
        matplotlib is, after a GPU host without it); with --compile, the
        compile-side reports from build/harness/harness.json.

Exit status: 0 success (including a skipped GPU part); 1 a program failed to
compile or its Mirage output was wrong or did not run; 2 bad usage.
See docs/benchmark-harness.md.
"""

import argparse
import glob
import os
import shlex
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from harness import compile as compile_side  # noqa: E402
from harness.gpu import CONTENDERS  # noqa: E402

SKIP_BANNER = "GPU PART SKIPPED"


def _command():
    return "benchmarks/run.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])


def _add_common(parser):
    parser.add_argument("programs", nargs="*", help="programs to run (default: all)")
    parser.add_argument("--harness-dir", default=os.path.join(ROOT, "build", "harness"),
                        help="the compile side's output: packages, references, harness.json "
                             "(default: build/harness)")
    parser.add_argument("--results", default=os.path.join(HERE, "results"),
                        help="where reports go (default: benchmarks/results)")


def _add_compile(parser):
    parser.add_argument("--build", default=os.environ.get("MIRAGE_BUILD_DIR",
                                                          os.path.join(ROOT, "build")),
                        help="the project's build directory, holding bin/mirage-opt and "
                             "bin/mirage-run (default: build or $MIRAGE_BUILD_DIR)")
    parser.add_argument("--targets", default="sm_90a,h200",
                        help="comma-separated superoptimizer targets: sm_80, sm_90a, h200 "
                             "(default: sm_90a,h200)")
    parser.add_argument("--options", default="",
                        help="extra --mirage-superoptimize options, space separated")
    parser.add_argument("--seed", type=int, default=0, help="seed of the test inputs")
    parser.add_argument("--timeout", type=int, default=900,
                        help="seconds any one tool run may take")
    parser.add_argument("--no-report", action="store_true",
                        help="do not write compile-<target>.md/.csv/.png to --results")


def _add_gpu(parser):
    parser.add_argument("--target", default=None,
                        help="which packages to run (default: from the device: h200 on an "
                             "H200, sm_90a on an H100, sm_80 on an A100)")
    parser.add_argument("--runtime-lib", default=None,
                        help="libMirageRuntime.so (default: $MIRAGE_RUNTIME_LIB, build/rt/lib, "
                             "build-rt/lib, build/lib)")
    parser.add_argument("--contenders", default=",".join(CONTENDERS),
                        help="comma-separated subset of " + ",".join(CONTENDERS))
    parser.add_argument("--reps", type=int, default=100, help="timed runs per contender")
    parser.add_argument("--warmup", type=int, default=10, help="untimed runs first")
    parser.add_argument("--rounds", type=int, default=5,
                        help="rounds the timed runs are split into, contenders rotated")
    parser.add_argument("--flush-mb", type=int, default=256,
                        help="L2 flush buffer in MiB (at least 4x the L2 is used)")
    parser.add_argument("--no-flush", action="store_true",
                        help="do not flush L2 between runs (for every contender)")
    parser.add_argument("--host-lead-us", type=float, default=50.0,
                        help="µs of GPU spin before each run, so launches queue ahead")
    parser.add_argument("--compile-mode", default="max-autotune",
                        help="torch.compile mode (falls back to 'default' where it fails)")
    parser.add_argument("--rtol", type=float, default=None,
                        help="relative tolerance of the output check (default mirage-run's)")
    parser.add_argument("--peak-bandwidth", type=float, default=None,
                        help="HBM peak in TB/s, for a device the table lacks")
    parser.add_argument("--peak-tflops", type=float, default=None,
                        help="dense fp16 tensor-core peak in TFLOP/s")
    parser.add_argument("--dry-run-cpu", action="store_true",
                        help="no GPU: run the PyTorch and Triton (interpreted) contenders on the "
                             "CPU to check the harness; results are not measurements")
    parser.add_argument("--verbose", action="store_true")


def cmd_compile(args):
    targets = [t for t in args.targets.split(",") if t]
    names = args.programs or list(compile_side.PROGRAM_NAMES)
    tools = os.path.join(args.build, "bin")
    for tool in ("mirage-opt", "mirage-run"):
        if not os.access(os.path.join(tools, tool), os.X_OK):
            print(f"run.py compile: {tools}/{tool} not found: build the project first "
                  "(scripts/setup.sh, or ninja -C build)", file=sys.stderr)
            return 2
    print(f"Compile side: {len(names)} program(s) for {', '.join(targets)} on "
          f"{compile_side.host_description()}, into {args.harness_dir}")
    index = compile_side.compile_all(ROOT, tools, args.harness_dir, targets, names,
                                     args.options, args.seed, args.timeout, command=_command())
    failed = [(t, n) for t in targets for n in names
              if index["targets"][t]["programs"][n].get("status") != "ok"]
    if not args.no_report:
        from harness import report
        for target in targets:
            base = report.write_compile_report(index, target, args.results, _command())
            print(f"  wrote {os.path.relpath(base, ROOT)}.md / .csv")
    if failed:
        print("FAIL: " + ", ".join(f"{n} ({t})" for t, n in failed), file=sys.stderr)
        return 1
    return 0


def cmd_gpu(args):
    from harness import gpu, report
    args.contenders = [c for c in args.contenders.split(",") if c]
    unknown = set(args.contenders) - set(CONTENDERS)
    if unknown:
        print(f"run.py gpu: unknown contender(s) {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    results = args.results
    if args.dry_run_cpu and results == os.path.join(HERE, "results"):
        results = os.path.join(args.harness_dir, "dry-run")
    try:
        status, path = gpu.run_gpu(args, args.harness_dir, results)
    except gpu.Skip as skip:
        print(f"{SKIP_BANNER}: {skip}. Nothing was run on a GPU and no GPU results were written; "
              "the compile side's results stand alone. See docs/benchmark-harness.md to run the "
              "GPU part on a GPU host.")
        return 0
    except gpu.SetupError as error:
        print(f"run.py gpu: {error}", file=sys.stderr)
        return 2
    except FileNotFoundError as error:
        print(f"run.py gpu: {error}: run `benchmarks/run.py compile` first (where MLIR is) and "
              "copy its output directory here", file=sys.stderr)
        return 2
    base = report.write_gpu_report(path, _command())
    print(f"  wrote {base}.json / .md / .csv" + (" / .png" if os.path.exists(base + ".png") else ""))
    return status


def cmd_report(args):
    from harness import report
    if args.compile:
        index = compile_side.load_index(args.harness_dir)
        for target in index["targets"]:
            base = report.write_compile_report(index, target, args.results)
            print(f"wrote {base}.md / .csv" + (" / .png" if os.path.exists(base + ".png") else ""))
        return 0
    paths = args.files or sorted(p for p in glob.glob(os.path.join(args.results, "*.json")))
    if not paths:
        print(f"run.py report: no results JSON in {args.results}", file=sys.stderr)
        return 2
    for path in paths:
        base = report.write_gpu_report(path)
        print(f"wrote {base}.md / .csv" + (" / .png" if os.path.exists(base + ".png") else ""))
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("compile", help="superoptimize and package (needs MLIR's tools)")
    _add_common(p)
    _add_compile(p)
    p = sub.add_parser("gpu", help="run and time on the GPU (needs PyTorch, a GPU, the runtime)")
    _add_common(p)
    _add_gpu(p)
    p = sub.add_parser("all", help="compile, then gpu")
    _add_common(p)
    _add_compile(p)
    _add_gpu(p)
    p = sub.add_parser("report", help="rewrite reports from results JSON")
    p.add_argument("files", nargs="*")
    p.add_argument("--results", default=os.path.join(HERE, "results"))
    p.add_argument("--compile", action="store_true",
                   help="rewrite the compile-side reports from --harness-dir instead")
    p.add_argument("--harness-dir", default=os.path.join(ROOT, "build", "harness"))
    args = parser.parse_args(argv)
    if args.command == "compile":
        return cmd_compile(args)
    if args.command == "gpu":
        return cmd_gpu(args)
    if args.command == "report":
        return cmd_report(args)
    status = cmd_compile(args)
    if status == 2:
        return status
    return max(status, cmd_gpu(args))


if __name__ == "__main__":
    sys.exit(main())
