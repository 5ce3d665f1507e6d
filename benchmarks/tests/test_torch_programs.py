"""The PyTorch programs (the baselines and the reference) and the Triton
kernel against the interpreter's outputs, on the CPU. Skipped without
PyTorch (and the Triton cases without Triton): neither is a project
dependency; the GPU host has them."""

import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import BENCHMARKS, RUN_PY, torch_or_skip
from harness import inputs, mlir
from harness.compile import PROGRAM_NAMES

torch = torch_or_skip()
from harness.programs import ATTENTION, EAGER  # noqa: E402


@pytest.fixture(scope="module")
def references(tools, tmp_path_factory):
    out = tmp_path_factory.mktemp("references")
    refs = {}
    for name in PROGRAM_NAMES:
        subprocess.run([os.path.join(tools, "mirage-run"), os.path.join(BENCHMARKS, name + ".mlir"),
                        f"--output-dir={out / name}"], check=True, capture_output=True)
        refs[name] = np.load(out / name / "output0.npy")
    return refs


def program_inputs(name):
    program = mlir.load_program(os.path.join(BENCHMARKS, name + ".mlir"))
    arrays = inputs.program_inputs([(a.type.shape, a.type.dtype, a.input_range)
                                    for a in program.arguments], 0)
    return [torch.from_numpy(a).float() for a in arrays]


@pytest.mark.parametrize("name", PROGRAM_NAMES)
def test_eager_program_matches_interpreter(name, references):
    with torch.no_grad():
        out = EAGER[name](*program_inputs(name)).numpy()
    passed, _, rel = inputs.allclose_report(out, references[name], 1e-2)
    assert passed, f"{name}: max rel. error {rel:.2e}"
    assert rel < 5e-3


@pytest.mark.parametrize("name", sorted(ATTENTION))
def test_sdpa_form_matches_interpreter(name, references):
    from harness.programs import rms_norm
    F = torch.nn.functional
    (qi, ki, vi), normed = ATTENTION[name]
    args = program_inputs(name)
    q, k, v = args[qi], args[ki].transpose(-1, -2).contiguous(), args[vi]
    if normed:
        q, v = rms_norm(q), rms_norm(v)
    with torch.no_grad():
        out = F.scaled_dot_product_attention(q[None], k[None], v[None], scale=1.0)[0].numpy()
    passed, _, rel = inputs.allclose_report(out, references[name], 1e-2)
    assert passed, f"{name}: max rel. error {rel:.2e}"


TRITON_CHECK = r"""
import sys
sys.path.insert(0, sys.argv[1])
import torch
from harness import triton_attention as ta
torch.manual_seed(0)
for batch, rows, dim, keys in [(2, 40, 64, 512), (3, 1, 128, 256)]:
    q = (torch.rand(batch, rows, dim) - 0.5).half()
    kt = (torch.rand(batch, dim, keys) - 0.5).half()
    v = (torch.rand(batch, keys, dim) - 0.5).half()
    ref = torch.softmax(q.float() @ kt.float(), -1) @ v.float()
    for config in [ta.Config(16, 64, 1, 4, 2), ta.Config(32, 64, 4, 4, 2), ta.Config(16, 32, 2, 4, 2)]:
        out = ta.TritonAttention(q, kt, v, config)().float()
        err = ((out - ref).abs().max() / ref.abs().max()).item()
        assert err < 1e-2, (batch, rows, dim, keys, config, err)
        print("ok", batch, rows, dim, keys, config, f"{err:.1e}")
"""


def test_triton_attention_in_interpreter():
    pytest.importorskip("triton")
    proc = subprocess.run([sys.executable, "-c", TRITON_CHECK, BENCHMARKS], capture_output=True,
                          text=True, env=dict(os.environ, TRITON_INTERPRET="1"), timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("ok ") == 6


def test_candidate_configs_fit_the_shapes():
    pytest.importorskip("triton")
    from harness import triton_attention as ta
    for batch, rows, keys, dim in [(2, 256, 4096, 64), (32, 16, 4096, 64), (1, 1024, 4096, 64),
                                   (64, 1, 4096, 128)]:
        configs = ta.candidate_configs(batch, rows, keys, dim, 132)
        assert 1 <= len(configs) <= 12
        assert any(c.split == 1 for c in configs)
        for c in configs:
            assert keys % (c.split * c.block_n) == 0 and c.block_m >= 16
    # Decode attention (64 heads, one query): splits that fill 132 SMs.
    assert max(c.split for c in ta.candidate_configs(64, 1, 4096, 128, 132)) == 4


def test_dry_run_on_cpu(compiled, tmp_path):
    harness_dir, _, _ = compiled
    proc = subprocess.run(
        [sys.executable, RUN_PY, "gpu", "--dry-run-cpu", "lora", "--contenders", "mirage,eager",
         "--harness-dir", str(harness_dir), "--results", str(tmp_path)],
        capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    md = (tmp_path / "cpu-dry-run.md").read_text()
    assert "CPU DRY RUN, NOT A MEASUREMENT" in md
    assert "| lora | PyTorch eager |" in md
    assert "| lora | Mirage | unavailable |" in md
