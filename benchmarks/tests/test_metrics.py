"""FLOP and byte counts, statistics, the device table: hand-computed values."""

import math
import os

import pytest

from conftest import BENCHMARKS
from harness import metrics, mlir


def program(name):
    return mlir.load_program(os.path.join(BENCHMARKS, name + ".mlir"))


def test_rmsnorm_counts_by_hand():
    # X (2, 4096), W (4096, 6144), Y (2, 6144), all fp16.
    p = program("rmsnorm")
    assert metrics.hbm_bytes(p) == 2 * (2 * 4096 + 4096 * 6144 + 2 * 6144) == 50_372_608
    assert metrics.matmul_flops(p) == 2 * 2 * 6144 * 4096 == 100_663_296


def test_attention_counts_by_hand():
    # gqa: Q (2,256,64), K (2,64,4096), V (2,4096,64), O (2,256,64): two
    # batched matmuls of 2·256·4096·64 multiply-adds each.
    p = program("gqa")
    assert metrics.matmul_flops(p) == 2 * (2 * 2 * 256 * 4096 * 64) == 536_870_912
    assert metrics.hbm_bytes(p) == 2 * (2 * 256 * 64 * 2 + 2 * 64 * 4096 * 2) == 2_228_224
    # seed_attention's softmax is composite: only its two matmuls count.
    assert metrics.matmul_flops(program("seed_attention")) == 2 * (2 * 64 * 4096 * 128)
    # nTrans has no matmul.
    assert metrics.matmul_flops(program("ntrans")) == 0
    assert metrics.hbm_bytes(program("ntrans")) == 4 * 8 * 4096 * 2


def test_lora_parses_every_matmul_and_range():
    p = program("lora")
    assert p.name == "lora"
    assert [a.type.shape for a in p.arguments] == [(16, 256), (256, 4096), (256, 16), (16, 4096)]
    assert [a.input_range for a in p.arguments] == [None, (-0.0625, 0.0625), (-0.0625, 0.0625),
                                                    (-0.25, 0.25)]
    assert [m.flops for m in p.matmuls] == [2 * 16 * 4096 * 256, 2 * 16 * 16 * 256,
                                            2 * 16 * 4096 * 16]
    assert p.results == (mlir.TensorType((16, 4096), "f16"),)


def test_every_benchmark_parses():
    for name in ("gqa", "qknorm", "rmsnorm", "lora", "gated_mlp", "ntrans", "mha", "mqa", "moe",
                 "seed_attention"):
        p = program(name)
        assert p.name == name and p.arguments and len(p.results) == 1


def test_achieved_and_bound():
    h100 = metrics.lookup_device("NVIDIA H100 80GB HBM3")
    # 50,372,608 bytes in 20 µs: 2.5186 TB/s, 75.2% of 3.35 TB/s.
    got = metrics.achieved(0.020, 50_372_608, 100_663_296, h100)
    assert got["bytes_per_s"] == pytest.approx(2.5186304e12)
    assert got["hbm_fraction"] == pytest.approx(2.5186304e12 / 3.35e12)
    assert got["flops_per_s"] == pytest.approx(5.0331648e12)
    assert got["flops_fraction"] == pytest.approx(5.0331648e12 / 989.5e12)
    assert not metrics.is_compute_bound(50_372_608, 100_663_296, h100)   # 2 FLOP/B
    assert metrics.is_compute_bound(1_310_720, 536_870_912, h100)        # mqa-like: 410 FLOP/B
    assert math.isnan(metrics.achieved(1.0, 1, 1, None)["hbm_fraction"])


def test_device_table():
    assert metrics.lookup_device("NVIDIA H100 80GB HBM3").hbm_bytes_per_s == 3.35e12
    assert metrics.lookup_device("NVIDIA H100 PCIe").hbm_bytes_per_s == 2.0e12
    assert metrics.lookup_device("NVIDIA H100 NVL").hbm_bytes_per_s == 3.9e12
    h200 = metrics.lookup_device("NVIDIA H200")
    assert (h200.hbm_bytes_per_s, h200.target) == (4.8e12, "h200")
    assert metrics.lookup_device("NVIDIA A100-SXM4-80GB").hbm_bytes_per_s == 2.039e12
    assert metrics.lookup_device("NVIDIA A100-SXM4-40GB").hbm_bytes_per_s == 1.555e12
    assert metrics.lookup_device("NVIDIA A100 80GB PCIe").target == "sm_80"
    assert metrics.lookup_device("NVIDIA GeForce RTX 4090") is None
    assert metrics.device_slug("NVIDIA H100 80GB HBM3") == "nvidia-h100-80gb-hbm3"


def test_summary_statistics():
    s = metrics.summarize([5.0, 1.0, 4.0, 2.0, 3.0])
    assert (s.count, s.median, s.min, s.max, s.mean) == (5, 3.0, 1.0, 5.0, 3.0)
    # NumPy's default percentile (linear): position 0.4 and 3.6.
    assert s.p10 == pytest.approx(1.4)
    assert s.p90 == pytest.approx(4.6)
    assert s.spread == pytest.approx((4.6 - 1.4) / 3.0)
    assert metrics.summarize([2.0]).stdev == 0.0
    with pytest.raises(ValueError):
        metrics.summarize([])
