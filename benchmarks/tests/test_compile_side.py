"""`run.py all` on rmsnorm and lora without a GPU: the compile side's
packages, references, index and reports, and the GPU part's skip message."""

import csv
import json
import os

import numpy as np

from harness.compile import FORMAT, VERSION


def cuda_present():
    try:
        import torch
        return torch.cuda.is_available()
    except ImportError:
        return False


def test_run_all_succeeds_and_says_gpu_was_skipped(compiled):
    _, _, proc = compiled
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "rmsnorm         sm_90a  search" in proc.stdout
    if not cuda_present():
        assert "GPU PART SKIPPED: " in proc.stdout
        assert "Nothing was run on a GPU" in proc.stdout


def test_index(compiled):
    harness_dir, _, _ = compiled
    index = json.loads((harness_dir / "harness.json").read_text())
    assert (index["format"], index["version"], index["seed"]) == (FORMAT, VERSION, 0)
    rmsnorm = index["programs"]["rmsnorm"]
    assert rmsnorm["source"] == os.path.join("benchmarks", "rmsnorm.mlir")
    assert rmsnorm["hbm_bytes"] == 50_372_608 and rmsnorm["matmul_flops"] == 100_663_296
    assert rmsnorm["arguments"][1] == {"name": "w", "shape": [4096, 6144], "dtype": "f16",
                                       "input_range": [-0.015625, 0.015625]}
    target = index["targets"]["sm_90a"]
    assert target["chip"] == "sm_90a" and "cores" in target["host"]
    for name, kernels_before in (("rmsnorm", 2), ("lora", 4)):
        record = target["programs"][name]
        assert record["status"] == "ok", record
        # The superoptimizer fuses each into one kernel (docs/benchmarks.md).
        assert (record["kernels_before"], record["kernels_after"], record["launches"]) == (
            kernels_before, 1, 1)
        assert record["interpreter_check"] == "pass"
        assert 0 <= record["interpreter_max_rel_error"] < 1e-2
        assert 0 < record["search_s"] <= record["superoptimize_total_s"]
        assert record["superoptimize_wall_s"] > 0 and record["lower_wall_s"] > 0
        assert record["est_us_after"] < record["est_us_before"]
        assert "grid" in record["plan"]
        assert record["package"] == os.path.join("sm_90a", name, "package")


def test_packages_and_references(compiled):
    harness_dir, _, _ = compiled
    for name, inputs, output in (("rmsnorm", [[2, 4096], [4096, 6144]], [2, 6144]),
                                 ("lora", [[16, 256], [256, 4096], [256, 16], [16, 4096]], [16, 4096])):
        package = harness_dir / "sm_90a" / name / "package"
        manifest = json.loads((package / "manifest.json").read_text())
        assert manifest["format"] == "mirage-kernel-package" and manifest["version"] == 1
        assert (manifest["function"], manifest["chip"]) == (name, "sm_90a")
        assert [i["shape"] for i in manifest["inputs"]] == inputs
        assert [o["shape"] for o in manifest["outputs"]] == [output]
        assert len(manifest["kernels"]) == 1
        ptx = (package / manifest["ptx"]).read_text()
        assert f".entry {manifest['kernels'][0]['name']}" in ptx
        assert ".target sm_90a" in ptx
        reference = np.load(harness_dir / "reference" / name / "output0.npy")
        assert reference.dtype == np.float16 and list(reference.shape) == output
        assert np.isfinite(reference).all() and np.abs(reference).max() > 0.1


def test_compile_report(compiled):
    _, results, _ = compiled
    with open(results / "compile-sm_90a.csv", newline="") as f:
        rows = {r["program"]: r for r in csv.DictReader(f)}
    assert set(rows) == {"rmsnorm", "lora"}
    for row in rows.values():
        assert row["status"] == "ok" and row["target"] == "sm_90a"
        assert float(row["search_s"]) > 0 and float(row["lower_wall_s"]) > 0
        assert row["kernels_after"] == "1" and row["interpreter_check"] == "pass"
    assert rows["lora"]["hbm_bytes"] == str(2 * (16 * 256 + 256 * 4096 + 256 * 16 + 16 * 4096 + 16 * 4096))
    md = (results / "compile-sm_90a.md").read_text()
    assert md.startswith("# Compile side, target `sm_90a`")
    assert "| rmsnorm | " in md and "| lora | " in md and "no GPU was used" in md
    assert "Total: search " in md
    # No GPU results without a GPU.
    assert not [p for p in os.listdir(results) if p.endswith(".json")] or cuda_present()
