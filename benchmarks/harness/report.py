"""Markdown, CSV and PNG reports of the compile side and of the GPU side.

- ``write_compile_report(index, target, results_dir)`` ->
  compile-<target>.md / .csv (/ .png with matplotlib): search and compile
  times on the machine that compiled.
- ``write_gpu_report(results_json)`` -> <device>.md / .csv (/ .png) beside
  the JSON the GPU side wrote.
matplotlib is optional: without it the PNG is skipped with a message.
"""

import csv
import json
import math
import os

from .compile import PROGRAM_NAMES
from .gpu import CONTENDERS, LABELS


def _ordered(names):
    """Programs in the order of docs/benchmarks.md (JSON files sort keys)."""
    rank = {n: i for i, n in enumerate(PROGRAM_NAMES)}
    return sorted(names, key=lambda n: (rank.get(n, len(rank)), n))


def _f(value, fmt="{:.2f}", missing="–"):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return missing
    return fmt.format(value)


def _mib(n):
    return f"{n / 2**20:.2f} MiB" if n >= 2**20 else f"{n / 1024:.0f} KiB"


# ---------------------------------------------------------------- compile side

COMPILE_FIELDS = ["target", "program", "status", "search_s", "superoptimize_total_s",
                  "superoptimize_wall_s", "lower_wall_s", "kernels_before", "kernels_after",
                  "launches", "est_us_before", "est_us_after", "explored", "pruned",
                  "false_accept_log2", "interpreter_check", "interpreter_max_rel_error", "cubin",
                  "hbm_bytes", "matmul_flops", "load_average", "plan"]


def compile_rows(index, target):
    rows = []
    programs = index["targets"][target]["programs"]
    for name in _ordered(programs):
        record = programs[name]
        entry = index["programs"].get(name, {})
        row = {"target": target, "program": name, "hbm_bytes": entry.get("hbm_bytes"),
               "matmul_flops": entry.get("matmul_flops")}
        row.update({k: record.get(k) for k in COMPILE_FIELDS if k in record})
        rows.append(row)
    return rows


def write_compile_report(index, target, results_dir, command=None, log=print):
    os.makedirs(results_dir, exist_ok=True)
    rows = compile_rows(index, target)
    base = os.path.join(results_dir, f"compile-{target}")
    with open(base + ".csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, COMPILE_FIELDS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    info = index["targets"][target]
    command = info.get("command") or command
    lines = [
        f"# Compile side, target `{target}` (PTX for {info.get('chip')})",
        "",
        f"Command: `{command}` ({info.get('date')}).",
        f"Machine: {info.get('host')}; no GPU was used. Times are wall clock. "
        f"Tools built from `{info.get('revision')}`.",
        "",
        "*Search* is the superoptimizer's search (its remark); *superoptimize* the",
        "whole `mirage-opt --mirage-decompose --mirage-superoptimize` run (search,",
        "verification, building the IR, parsing and printing); *lower* the",
        "`mirage-opt --mirage-lower-to-ptx --mirage-export-kernel-package` run (PTX,",
        "cubin with ptxas when found, manifest). *Check*: the μGraph found, run in",
        "the interpreter, against the source program's output (seed 0, mirage-run's",
        "tolerance). Bytes are the compulsory HBM traffic (inputs + outputs), FLOPs",
        "the matmul FLOPs ([metrics.py](../harness/metrics.py)). The GPU part of the",
        "harness was not run here: see [docs/benchmark-harness.md](../../docs/benchmark-harness.md).",
        "",
        "| program | search s | superoptimize s | lower s | kernels before → after | launches | est. µs before → after | check | bytes | GFLOP | μGraph |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if r.get("status") != "ok":
            lines.append(f"| {r['program']} | {r.get('status')} | | | | | | | | | |")
            continue
        lines.append(
            f"| {r['program']} | {_f(r.get('search_s'))} | {_f(r.get('superoptimize_wall_s'))} | "
            f"{_f(r.get('lower_wall_s'))} | {r.get('kernels_before', '?')} → {r.get('kernels_after', '?')} | "
            f"{r.get('launches')} | {_f(r.get('est_us_before'), '{:.1f}')} → {_f(r.get('est_us_after'), '{:.1f}')} | "
            f"{r.get('interpreter_check')} ({_f(r.get('interpreter_max_rel_error'), '{:.1e}')}) | "
            f"{_mib(r['hbm_bytes'])} | {_f(r['matmul_flops'] / 1e9, '{:.3f}')} | {r.get('plan', '')} |")
    ok = [r for r in rows if r.get("status") == "ok"]
    loads = [r["load_average"] for r in rows if r.get("load_average") is not None]
    if loads:
        lines[3] += (f" The 1-minute load average when each search started ranged from "
                     f"{min(loads):.1f} to {max(loads):.1f} on {os.cpu_count()} cores"
                     + ("; above the core count, other work shared the CPU and the times are "
                        "inflated." if max(loads) > (os.cpu_count() or 1) else "."))
    if ok:
        lines += ["", f"Total: search {sum(r.get('search_s') or 0 for r in ok):.2f} s, superoptimize "
                  f"{sum(r['superoptimize_wall_s'] for r in ok):.1f} s, lower "
                  f"{sum(r['lower_wall_s'] for r in ok):.2f} s for {len(ok)} programs."]
    with open(base + ".md", "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    _plot_compile(rows, target, info, base + ".png", log)
    return base


def _pyplot(log):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        return plt
    except ImportError:
        log("  matplotlib is not installed: no PNG (run `benchmarks/run.py report` where it is)")
        return None


def _plot_compile(rows, target, info, path, log):
    plt = _pyplot(log)
    if plt is None:
        return
    rows = [r for r in rows if r.get("status") == "ok"]
    if not rows:
        return
    names = [r["program"] for r in rows]
    search = [r.get("search_s") or 0 for r in rows]
    rest = [max(0.0, r["superoptimize_wall_s"] - (r.get("search_s") or 0)) for r in rows]
    lower = [r["lower_wall_s"] for r in rows]
    fig, ax = plt.subplots(figsize=(10, 4.5))
    ax.bar(names, search, label="search")
    ax.bar(names, rest, bottom=search, label="verification, IR, I/O")
    ax.bar(names, lower, bottom=[a + b for a, b in zip(search, rest)], label="lowering to PTX + package")
    ax.set_ylabel("seconds (wall clock)")
    ax.set_title(f"Compile side for {target}: {info.get('host')} ({info.get('date')})")
    ax.legend()
    plt.setp(ax.get_xticklabels(), rotation=30, ha="right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


# -------------------------------------------------------------------- GPU side

GPU_FIELDS = ["device", "program", "contender", "label", "status", "median_us", "p10_us", "p90_us",
              "min_us", "max_us", "runs", "spread_pct", "hbm_bytes", "matmul_flops", "gb_per_s",
              "hbm_peak_pct", "tflops", "tflops_peak_pct", "compute_bound", "max_rel_error",
              "speedup_vs_best_baseline", "best_baseline", "host_bound", "search_s",
              "superoptimize_wall_s", "lower_wall_s", "kernels", "note", "error"]


def gpu_rows(data):
    device = data["environment"]["device"]
    rows = []
    for name in _ordered(data["programs"]):
        result = data["programs"][name]
        compile_record = result.get("compile") or {}
        for key in CONTENDERS:
            c = result.get("contenders", {}).get(key)
            if c is None:
                continue
            row = {"device": device, "program": name, "contender": key, "label": c.get("label"),
                   "status": c.get("status"), "hbm_bytes": result.get("hbm_bytes"),
                   "matmul_flops": result.get("matmul_flops"),
                   "compute_bound": result.get("compute_bound"),
                   "max_rel_error": c.get("max_rel_error"), "note": c.get("note", ""),
                   "error": c.get("error", ""), "host_bound": c.get("host_bound")}
            if "median_ms" in c:
                row.update({
                    "median_us": c["median_ms"] * 1e3, "p10_us": c["p10_ms"] * 1e3,
                    "p90_us": c["p90_ms"] * 1e3, "min_us": c["min_ms"] * 1e3,
                    "max_us": c["max_ms"] * 1e3, "runs": c["runs"],
                    "spread_pct": 100 * (c["p90_ms"] - c["p10_ms"]) / c["median_ms"],
                    "gb_per_s": c["bytes_per_s"] / 1e9, "hbm_peak_pct": 100 * c["hbm_fraction"],
                    "tflops": c["flops_per_s"] / 1e12, "tflops_peak_pct": 100 * c["flops_fraction"]})
            if key == "mirage":
                row.update({"speedup_vs_best_baseline": result.get("speedup"),
                            "best_baseline": result.get("best_baseline"),
                            "search_s": compile_record.get("search_s"),
                            "superoptimize_wall_s": compile_record.get("superoptimize_wall_s"),
                            "lower_wall_s": compile_record.get("lower_wall_s"),
                            "kernels": compile_record.get("kernels_after")})
            rows.append(row)
    return rows


def _fmt_csv(value):
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.6g}"
    return "" if value is None else value


def write_gpu_report(results_json, command=None, log=print):
    with open(results_json, encoding="utf-8") as f:
        data = json.load(f)
    base = results_json[:-len(".json")]
    rows = gpu_rows(data)
    with open(base + ".csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, GPU_FIELDS, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _fmt_csv(v) for k, v in row.items()})
    env = data["environment"]
    peak = env.get("peak")
    dry = data.get("dry_run")
    lines = [f"# Benchmarks on {env['device']}" + (" — CPU DRY RUN, NOT A MEASUREMENT" if dry else ""), ""]
    if command:
        lines.append(f"Command: `{command}`.")
    lines += [
        f"Date {env['date']}. GPU: {env['device']}"
        + (f", compute capability {env.get('compute_capability')}, {env.get('sms')} SMs" if not dry else "")
        + (f", driver {env['driver']}" if env.get("driver") else "")
        + f"; PyTorch {env['torch']}" + (f" (CUDA {env['cuda']})" if env.get("cuda") else "")
        + f", Triton {env.get('triton') or 'not installed'}"
        + f", flash_attn {env.get('flash_attn') or 'not installed'}; Python {env['python']}.",
        f"Kernels compiled for `{env['target']}` on {data.get('compile_host')}.",
        "",
        f"Method: {env['method']}. Latency is the median; the spread is p10–p90 of the",
        "timed runs. Every contender's output was checked against PyTorch's float32",
        "output on the same inputs (mirage-run's tolerance: |out − ref| ≤ rtol·(max|ref| + |ref|),",
        "rtol 1e-2 for fp16) before it was timed; one that fails is reported and not timed.",
        "",
    ]
    if peak:
        lines += [f"Peaks ({peak['label']}): HBM {peak['hbm_bytes_per_s'] / 1e12:.2f} TB/s, dense fp16 tensor "
                  f"cores {peak['fp16_flops_per_s'] / 1e12:.1f} TFLOP/s, L2 {peak['l2_bytes'] / 2**20:.0f} MiB; "
                  f"source: {peak['source']}.", ""]
    lines += [
        "Bytes are the compulsory HBM traffic (every input read once, every output written",
        "once), so GB/s = bytes ÷ latency is comparable across contenders; FLOPs are the",
        "matmul FLOPs (2·M·N·K). *Bound* says which peak matters: compute when FLOPs ÷ bytes",
        "exceeds the device's ridge point. Speedup = best baseline's median ÷ Mirage's median.",
        "",
        "## Mirage against the best baseline",
        "",
        "| program | bound | Mirage µs (p10–p90) | best baseline | its µs | speedup | Mirage GB/s (% peak) | Mirage TFLOP/s (% peak) | max rel. error |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    by_program = {}
    for row in rows:
        by_program.setdefault(row["program"], {})[row["contender"]] = row
    for name in _ordered(data["programs"]):
        result = data["programs"][name]
        cs = by_program.get(name, {})
        m = cs.get("mirage", {})
        best = result.get("best_baseline")
        b = cs.get(best, {}) if best else {}
        bound = {True: "compute", False: "memory"}.get(result.get("compute_bound"), "–")
        if "median_us" in m:
            mirage = f"{m['median_us']:.2f} ({m['p10_us']:.2f}–{m['p90_us']:.2f})"
            bw = f"{m['gb_per_s']:.0f} ({_f(m['hbm_peak_pct'], '{:.0f}%')})"
            fl = f"{m['tflops']:.1f} ({_f(m['tflops_peak_pct'], '{:.0f}%')})" if m["matmul_flops"] else "–"
            err = _f(m.get("max_rel_error"), "{:.1e}")
        else:
            mirage = m.get("status") or result.get("status", "not run")
            if m.get("error"):
                mirage += ": " + m["error"].splitlines()[0][:80]
            bw = fl = err = "–"
        lines.append(
            f"| {name} | {bound} | {mirage} | {LABELS.get(best, '–') if best else '–'} | "
            f"{_f(b.get('median_us'))} | {_f(result.get('speedup'), '{:.2f}×')} | {bw} | {fl} | {err} |")
    lines += ["", "## Every contender", "",
              "| program | contender | µs median | p10–p90 | GB/s | % HBM peak | TFLOP/s | % FLOP peak | max rel. error | notes |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        if "median_us" in row:
            notes = row.get("note", "") + (" **host-bound: latency includes launch overhead**"
                                           if row.get("host_bound") else "")
            lines.append(
                f"| {row['program']} | {row['label']} | {row['median_us']:.2f} | "
                f"{row['p10_us']:.2f}–{row['p90_us']:.2f} | {row['gb_per_s']:.0f} | "
                f"{_f(row['hbm_peak_pct'], '{:.1f}')} | {row['tflops']:.2f} | "
                f"{_f(row['tflops_peak_pct'], '{:.1f}')} | {_f(row['max_rel_error'], '{:.1e}')} | {notes} |")
        else:
            why = (row.get("error") or "").splitlines()[0][:120] if row.get("error") else ""
            err = _f(row.get("max_rel_error"), "{:.1e}")
            lines.append(f"| {row['program']} | {row['label']} | {row['status']} | | | | | | {err} | {why} |")
    lines += ["", "## Compile side (on the compiling machine, not the GPU host)", "",
              "| program | search s | superoptimize s | lower s | kernels | μGraph |", "|---|---|---|---|---|---|"]
    for name in _ordered(data["programs"]):
        c = data["programs"][name].get("compile") or {}
        lines.append(f"| {name} | {_f(c.get('search_s'))} | {_f(c.get('superoptimize_wall_s'))} | "
                     f"{_f(c.get('lower_wall_s'))} | {c.get('kernels_before', '?')} → {c.get('kernels_after', '?')} | "
                     f"{c.get('plan', c.get('status', ''))} |")
    with open(base + ".md", "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    _plot_gpu(data, rows, base + ".png", log)
    return base


def _plot_gpu(data, rows, path, log):
    plt = _pyplot(log)
    if plt is None:
        return
    programs = _ordered(data["programs"])
    keys = [k for k in CONTENDERS if any(r["contender"] == k and "median_us" in r for r in rows)]
    if not keys:
        return
    lookup = {(r["program"], r["contender"]): r for r in rows}
    env = data["environment"]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(12, 8), sharex=True)
    width = 0.8 / len(keys)
    for i, key in enumerate(keys):
        xs, lat, bw = [], [], []
        for p, name in enumerate(programs):
            r = lookup.get((name, key))
            if r and "median_us" in r:
                xs.append(p - 0.4 + width * (i + 0.5))
                lat.append(r["median_us"])
                bw.append(r["hbm_peak_pct"] if not math.isnan(r["hbm_peak_pct"]) else r["gb_per_s"])
        top.bar(xs, lat, width, label=LABELS[key])
        bottom.bar(xs, bw, width, label=LABELS[key])
    top.set_yscale("log")
    top.set_ylabel("latency, µs (median, log scale)")
    top.legend(ncol=4, fontsize=8)
    has_peak = bool(env.get("peak"))
    bottom.set_ylabel("% of HBM peak (compulsory bytes)" if has_peak else "GB/s (compulsory bytes)")
    if has_peak:
        bottom.axhline(100, color="grey", linewidth=0.8, linestyle="--")
    bottom.set_xticks(range(len(programs)))
    bottom.set_xticklabels(programs, rotation=30, ha="right")
    title = f"{env['device']}, {env['date']}"
    if data.get("dry_run"):
        title += " — CPU dry run, not a measurement"
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
