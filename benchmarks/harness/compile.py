"""The compile side: superoptimize, lower and package every benchmark program.

Runs where LLVM/MLIR and the project's tools are (build/bin). For each
program and target it runs

    mirage-opt --mirage-decompose --mirage-superoptimize="target=T cache-dir=none ..." P.mlir -o P.opt.mlir
    mirage-opt P.opt.mlir --mirage-lower-to-ptx=chip=C --mirage-export-kernel-package=output-dir=PKG

timing both (wall clock), and once per program

    mirage-run P.mlir --output-dir=reference/P           (the interpreter, seed 0)
    mirage-run P.opt.mlir --output-dir=...                (the μGraph found, same inputs)

and compares the two in NumPy with mirage-run's tolerance. What the GPU side
needs (packages, reference outputs, shapes, FLOPs, bytes, times) goes under
one directory with an index, harness.json; it holds no inputs (the GPU side
regenerates them, see inputs.py), so it is small enough to copy to a GPU host.
"""

import datetime
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import time

from . import metrics
from .mlir import load_program

FORMAT = "mirage-benchmark-harness"
VERSION = 1

#: The programs, in the order of docs/benchmarks.md.
PROGRAM_NAMES = ("gqa", "qknorm", "rmsnorm", "lora", "gated_mlp", "ntrans",
                 "mha", "mqa", "moe", "seed_attention")

#: Superoptimizer target -> PTX chip (mirage-opt --mirage-lower-to-ptx).
CHIPS = {"sm_80": "sm_80", "sm_90a": "sm_90a", "h200": "sm_90a"}

_REMARK = re.compile(
    r"mirage-superoptimize: @(?P<name>\w+): (?P<after>\d+) kernel\(s\) instead of "
    r"(?P<before>\d+), estimated (?P<est_after>[\d.]+) us instead of "
    r"(?P<est_before>[\d.]+|inf) us on (?P<device>[^;]+);.*?"
    r"(?P<explored>\d+) candidates explored, (?P<pruned>\d+) pruned, "
    r"(?P<rejected>\d+) rejected by verification;.*?"
    r"false accept <= 2\^(?P<bound>-?\d+).*?"
    r"search (?P<search>[\d.]+) s, total (?P<total>[\d.]+) s: (?P<plan>.*)$")


class CompileError(Exception):
    pass


def source_revision(root):
    """`git describe --always --dirty` of the checkout whose tools ran: a
    -dirty tree means uncommitted changes may be compiled into them."""
    try:
        out = subprocess.run(["git", "-C", root, "describe", "--always", "--dirty"],
                             capture_output=True, text=True, timeout=30)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def host_description():
    """'Intel(R) Xeon(R) Processor, 2 cores' (what compile times ran on)."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores"


def _load_average():
    """The 1-minute load average when a search starts: wall-clock times on a
    shared machine are only meaningful beside it (cores busy with other
    work slow the search down)."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def _run(command, what, timeout):
    start = time.monotonic()
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise CompileError(f"{what} took more than {timeout} s: {' '.join(command)}")
    except OSError as error:  # a tool missing, or being relinked under us
        raise CompileError(f"{what}: cannot run {command[0]}: {error}")
    wall = time.monotonic() - start
    if proc.returncode != 0:
        raise CompileError(f"{what} failed (exit {proc.returncode}): {' '.join(command)}\n"
                           f"{proc.stdout}{proc.stderr}")
    return proc, wall


def _sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def _load_index(out_dir):
    path = os.path.join(out_dir, "harness.json")
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            index = json.load(f)
        if index.get("format") == FORMAT and index.get("version") == VERSION:
            return index
    return {"format": FORMAT, "version": VERSION, "seed": 0, "programs": {}, "targets": {}}


def save_index(out_dir, index):
    path = os.path.join(out_dir, "harness.json")
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(index, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)


def load_index(out_dir):
    """The index written by compile_all; raises FileNotFoundError without one."""
    path = os.path.join(out_dir, "harness.json")
    with open(path, encoding="utf-8") as f:
        index = json.load(f)
    if index.get("format") != FORMAT or index.get("version") != VERSION:
        raise ValueError(f"{path} is not a version-{VERSION} {FORMAT} index")
    return index


def describe_program(source, root):
    """The program's entry in harness.json: shapes, ranges, FLOPs, bytes."""
    program = load_program(source)
    return {
        "function": program.name,
        "source": os.path.relpath(source, root),
        "source_sha256": _sha256(source),
        "arguments": [{"name": a.name, "shape": list(a.type.shape), "dtype": a.type.dtype,
                       "input_range": list(a.input_range) if a.input_range else None}
                      for a in program.arguments],
        "results": [{"shape": list(r.shape), "dtype": r.dtype} for r in program.results],
        "hbm_bytes": metrics.hbm_bytes(program),
        "matmul_flops": metrics.matmul_flops(program),
    }


def write_reference(name, source, tools, out_dir, seed, timeout):
    """Interprets the source program on the seed's inputs; returns the
    outputs' paths relative to out_dir and the seconds it took."""
    ref_dir = os.path.join(out_dir, "reference", name)
    shutil.rmtree(ref_dir, ignore_errors=True)
    os.makedirs(ref_dir)
    _, wall = _run([os.path.join(tools, "mirage-run"), source, f"--seed={seed}",
                    f"--output-dir={ref_dir}"], f"mirage-run on {name}", timeout)
    outputs = sorted(f for f in os.listdir(ref_dir) if re.fullmatch(r"output\d+\.npy", f))
    outputs.sort(key=lambda f: int(f[len("output"):-len(".npy")]))
    return [os.path.relpath(os.path.join(ref_dir, f), out_dir) for f in outputs], wall


def compile_program(name, source, target, tools, out_dir, options, seed, timeout, references):
    """Superoptimizes and packages one program for one target; returns its
    record for harness.json. `references` are the reference outputs' paths
    (relative to out_dir), to check the μGraph found against."""
    import numpy as np
    from .inputs import DEFAULT_RTOL, allclose_report

    work = os.path.join(out_dir, target, name)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    opt = os.path.join(work, name + ".opt.mlir")
    pass_options = f"target={target} cache-dir=none {options}".strip()
    proc, search_wall = _run(
        [os.path.join(tools, "mirage-opt"), "--mirage-decompose",
         f"--mirage-superoptimize={pass_options}", source, "-o", opt],
        f"mirage-superoptimize on {name}", timeout)
    with open(os.path.join(work, "superoptimize.log"), "w", encoding="utf-8") as f:
        f.write(proc.stderr)
    record = {"status": "ok", "superoptimize_options": pass_options,
              "superoptimize_wall_s": round(search_wall, 3), "load_average": _load_average()}
    remark = None
    for line in proc.stderr.splitlines():
        remark = _REMARK.search(line) or remark
    if remark:
        fields = remark.groupdict()
        record.update({
            "search_s": float(fields["search"]),
            "superoptimize_total_s": float(fields["total"]),
            "kernels_before": int(fields["before"]),
            "kernels_after": int(fields["after"]),
            "est_us_before": float(fields["est_before"]),
            "est_us_after": float(fields["est_after"]),
            "explored": int(fields["explored"]),
            "pruned": int(fields["pruned"]),
            "rejected": int(fields["rejected"]),
            "false_accept_log2": int(fields["bound"]),
            "plan": fields["plan"].strip(),
        })
    else:
        # The input was kept (nothing beat it) or a cache entry was reused:
        # the remark says so in words; keep its last line.
        lines = [l for l in proc.stderr.splitlines() if "mirage-superoptimize" in l]
        record["plan"] = lines[-1].split("mirage-superoptimize:", 1)[-1].strip() if lines else ""

    package = os.path.join(work, "package")
    chip = CHIPS[target]
    _, lower_wall = _run(
        [os.path.join(tools, "mirage-opt"), opt, f"--mirage-lower-to-ptx=chip={chip}",
         f"--mirage-export-kernel-package=output-dir={package}", "-o", os.devnull],
        f"lowering {name} to PTX", timeout)
    with open(os.path.join(package, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    record.update({
        "lower_wall_s": round(lower_wall, 3),
        "chip": chip,
        "package": os.path.relpath(package, out_dir),
        "cubin": bool(manifest.get("cubin")),
        "launches": len(manifest["kernels"]),
    })

    # The μGraph found, in the interpreter, against the source's outputs.
    check_dir = os.path.join(work, "check")
    os.makedirs(check_dir)
    _run([os.path.join(tools, "mirage-run"), opt, f"--seed={seed}",
          f"--output-dir={check_dir}"], f"mirage-run on the μGraph of {name}", timeout)
    passed, worst = True, 0.0
    for i, ref in enumerate(references):
        reference = np.load(os.path.join(out_dir, ref))
        output = np.load(os.path.join(check_dir, f"output{i}.npy"))
        dtype = manifest["outputs"][i]["dtype"]
        ok, _, rel = allclose_report(output, reference, DEFAULT_RTOL[dtype])
        passed = passed and ok
        worst = max(worst, rel)
    shutil.rmtree(check_dir)
    record["interpreter_check"] = "pass" if passed else "FAIL"
    record["interpreter_max_rel_error"] = worst
    if not passed:
        record["status"] = "interpreter check failed"
    return record


def compile_all(root, tools, out_dir, targets, names=PROGRAM_NAMES, options="",
                seed=0, timeout=600, log=print, command=None):
    """The compile side for `targets` (e.g. ['sm_90a', 'h200']); returns the
    index, also written to out_dir/harness.json. A program that fails is
    recorded with its error and the others go on."""
    os.makedirs(out_dir, exist_ok=True)
    index = _load_index(out_dir)
    index["seed"] = seed
    host = host_description()
    revision = source_revision(root)
    for target in targets:
        if target not in CHIPS:
            raise ValueError(f"unknown target {target!r}; expected one of {', '.join(CHIPS)}")
    for name in names:
        source = os.path.join(root, "benchmarks", name + ".mlir")
        entry = describe_program(source, root)
        try:
            entry["reference"], entry["reference_wall_s"] = write_reference(
                name, source, tools, out_dir, seed, timeout)
        except CompileError as error:
            entry["reference"], entry["reference_error"] = [], str(error)
        index["programs"][name] = entry
        for target in targets:
            target_entry = index["targets"].setdefault(target, {"programs": {}})
            target_entry.update({"chip": CHIPS[target], "host": host, "revision": revision,
                                 "date": datetime.date.today().isoformat(),
                                 "command": command})
            if not entry["reference"]:
                record = {"status": "no reference: " + entry["reference_error"]}
            else:
                try:
                    record = compile_program(name, source, target, tools, out_dir, options,
                                             seed, timeout, entry["reference"])
                except CompileError as error:
                    record = {"status": "compile failed", "error": str(error)}
            target_entry["programs"][name] = record
            log(_progress_line(name, target, record))
            save_index(out_dir, index)
    save_index(out_dir, index)
    return index


def _progress_line(name, target, record):
    if record.get("status") != "ok":
        detail = record.get("error", "").splitlines()
        return f"  {name:15s} {target:7s} {record['status']}" + (f": {detail[0]}" if detail else "")
    return (f"  {name:15s} {target:7s} search {record.get('search_s', float('nan')):6.2f} s, "
            f"superoptimize {record['superoptimize_wall_s']:6.2f} s, lower {record['lower_wall_s']:5.2f} s, "
            f"{record.get('kernels_before', '?')} -> {record.get('kernels_after', '?')} kernels, "
            f"interpreter check {record['interpreter_check']}")
