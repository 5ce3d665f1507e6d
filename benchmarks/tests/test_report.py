"""The GPU report (Markdown, CSV) from a results file: figures derived as
documented. The timings below are a hand-written fixture, not measurements."""

import csv
import json

import pytest

from harness import metrics, report

H100 = metrics.lookup_device("NVIDIA H100 80GB HBM3")
BYTES, FLOPS = 50_372_608, 100_663_296   # rmsnorm


def contender(label, times_ms):
    s = metrics.summarize(times_ms)
    row = {"label": label, "status": "ok", "note": "", "max_rel_error": 1e-3,
           "median_ms": s.median, "p10_ms": s.p10, "p90_ms": s.p90, "min_ms": s.min,
           "max_ms": s.max, "mean_ms": s.mean, "stdev_ms": s.stdev, "runs": s.count,
           "host_enqueue_us": 10.0, "host_bound": False}
    row.update(metrics.achieved(s.median, BYTES, FLOPS, H100))
    return row


def results_file(tmp_path):
    data = {
        "format": "mirage-benchmark-results", "version": 1, "dry_run": False,
        "compile_host": "a test CPU, 2 cores",
        "environment": {"device": "NVIDIA H100 80GB HBM3", "date": "2026-01-01", "python": "3.11",
                        "torch": "2.x", "cuda": "12.x", "triton": None, "flash_attn": None,
                        "target": "sm_90a", "compute_capability": "9.0", "sms": 132,
                        "method": "fixture",
                        "peak": {"label": H100.label, "hbm_bytes_per_s": H100.hbm_bytes_per_s,
                                 "fp16_flops_per_s": H100.fp16_flops_per_s,
                                 "l2_bytes": H100.l2_bytes, "source": H100.source}},
        "programs": {"rmsnorm": {
            "program": "rmsnorm", "hbm_bytes": BYTES, "matmul_flops": FLOPS, "status": "ok",
            "compute_bound": False, "best_baseline": "compile", "speedup": 30.0 / 20.0,
            "compile": {"search_s": 0.3, "superoptimize_wall_s": 1.3, "lower_wall_s": 0.3,
                        "kernels_before": 2, "kernels_after": 1, "plan": "[matmul ...]"},
            "contenders": {
                "mirage": contender("Mirage", [0.019, 0.020, 0.021]),
                "eager": contender("PyTorch eager", [0.039, 0.040, 0.041]),
                "compile": contender("torch.compile (max-autotune)", [0.029, 0.030, 0.031]),
                "sdpa": {"label": "SDPA", "status": "wrong output", "max_rel_error": 0.5},
                "triton": {"label": "Triton", "status": "unavailable", "error": "ImportError: x"},
            }}},
    }
    path = tmp_path / "nvidia-h100-80gb-hbm3.json"
    path.write_text(json.dumps(data))
    return path


def test_gpu_report(tmp_path):
    base = report.write_gpu_report(str(results_file(tmp_path)), "benchmarks/run.py gpu",
                                   log=lambda *_: None)
    with open(base + ".csv", newline="") as f:
        rows = {r["contender"]: r for r in csv.DictReader(f)}
    assert set(rows) == {"mirage", "eager", "compile", "sdpa", "triton"}
    mirage = rows["mirage"]
    assert float(mirage["median_us"]) == pytest.approx(20.0)
    # 50,372,608 B in 20 µs = 2518.6 GB/s = 75.2% of 3.35 TB/s; 5.03 TFLOP/s.
    assert float(mirage["gb_per_s"]) == pytest.approx(2518.63, rel=1e-5)
    assert float(mirage["hbm_peak_pct"]) == pytest.approx(75.183, rel=1e-4)
    assert float(mirage["tflops"]) == pytest.approx(5.0331648, rel=1e-5)
    assert float(mirage["speedup_vs_best_baseline"]) == pytest.approx(1.5)
    assert mirage["best_baseline"] == "compile" and mirage["kernels"] == "1"
    assert float(rows["compile"]["p10_us"]) == pytest.approx(29.2)
    assert rows["sdpa"]["status"] == "wrong output" and rows["sdpa"]["median_us"] == ""
    md = open(base + ".md").read()
    assert md.startswith("# Benchmarks on NVIDIA H100 80GB HBM3\n")
    assert ("| rmsnorm | memory | 20.00 (19.20–20.80) | torch.compile | 30.00 | 1.50× | "
            "2519 (75%) | 5.0 (1%) | 1.0e-03 |") in md
    assert "HBM 3.35 TB/s, dense fp16 tensor cores 989.5 TFLOP/s" in md
    assert "| rmsnorm | Triton | unavailable |" in md
