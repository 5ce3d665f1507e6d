"""The NumPy input generator against mirage-run's, bit for bit, and the
output comparison against mirage-run's rule."""

import os
import subprocess

import numpy as np
import pytest

from conftest import BENCHMARKS
from harness import inputs, mlir

MIXED = """
func.func @f(%a: tensor<3x5xf32>,
             %b: tensor<7xbf16> {mirage.input_range = [-2.000000e+00, 3.000000e+00]},
             %c: tensor<4x4xf16>) -> tensor<3x5xf32> {
  %r = mirage.exp %a : tensor<3x5xf32>
  return %r : tensor<3x5xf32>
}
"""


def generated_and_saved(tools, tmp_path, source, seed):
    out = tmp_path / "saved"
    subprocess.run([os.path.join(tools, "mirage-run"), str(source), f"--seed={seed}",
                    f"--output-dir={out}", "--save-inputs"], check=True, capture_output=True)
    program = mlir.load_program(source)
    generated = inputs.program_inputs(
        [(a.type.shape, a.type.dtype, a.input_range) for a in program.arguments], seed)
    saved = [np.load(out / f"input{i}.npy") for i in range(len(program.arguments))]
    return generated, saved


def test_lora_inputs_bit_for_bit(tools, tmp_path):
    generated, saved = generated_and_saved(tools, tmp_path, os.path.join(BENCHMARKS, "lora.mlir"), 3)
    assert len(generated) == 4
    for g, s in zip(generated, saved):
        assert g.dtype == s.dtype == np.float16 and g.shape == s.shape
        assert np.array_equal(g.view(np.uint16), s.view(np.uint16))
    # The ranges applied: W within ±1/16, B within ±1/4, X within ±1/2.
    assert np.abs(generated[1]).max() <= 0.0625 and np.abs(generated[3]).max() <= 0.25
    assert np.abs(generated[0]).max() > 0.4


def test_f32_bf16_f16_inputs_bit_for_bit(tools, tmp_path):
    source = tmp_path / "mixed.mlir"
    source.write_text(MIXED)
    generated, saved = generated_and_saved(tools, tmp_path, str(source), 5)
    assert [g.dtype for g in generated] == [np.float32, np.float32, np.float16]
    for g, s in zip(generated, saved):
        assert np.array_equal(g, s)
    # bf16 values: the low 16 bits are zero.
    assert not (generated[1].view(np.uint32) & 0xFFFF).any()
    assert generated[1].min() >= -2.0 and generated[1].max() <= 3.0


def test_chunks_do_not_change_values():
    # More elements than one chunk: the stream continues across chunks.
    whole = inputs.random_tensor((inputs._CHUNK + 10,), "f16", 1, 2)
    tail = inputs.random_tensor((inputs._CHUNK + 10,), "f16", 1, 2)[inputs._CHUNK:]
    assert np.array_equal(whole[inputs._CHUNK:], tail)
    assert not np.array_equal(whole[:10], inputs.random_tensor((10,), "f16", 1, 3))


def test_pinned_values_of_the_cpp_generator():
    # The values runtime/support/unittests/RandomInputsTest.cpp pins for the
    # C++ generator (mirage-support/RandomInputs.h), as float32 bit patterns:
    # this module agrees with it on hosts without the tools, too.
    assert inputs._splitmix64_scalar(0) == 0xE220A8397B1DCDAF
    cases = [((0, 0, 0, -0.5, 0.5), 0xBEB8FB15),
             ((3, 1, 12345, -0.5, 0.5), 0x3E3941AD),
             ((2**64 - 1, 7, 2**40, -0.5, 0.5), 0xBE948A6E),
             ((5, 2, 1, -2.0, 3.0), 0xBF987AA3)]
    for (seed, arg, index, low, high), bits in cases:
        value = inputs.random_values(seed, arg, index, 1, low, high)
        assert int(value.view(np.uint32)[0]) == bits, (seed, arg, index)
    # The counter wraps around 2^64 without a seam, as in C++.
    wrapped = inputs.random_values(1, 0, 2**64 - 2, 4, 0.0, 1.0)
    assert wrapped[3] == inputs.random_values(1, 0, 1, 1, 0.0, 1.0)[0]


def test_largest_seed_bit_for_bit(tools, tmp_path):
    source = tmp_path / "mixed.mlir"
    source.write_text(MIXED)
    generated, saved = generated_and_saved(tools, tmp_path, str(source), 2**64 - 1)
    for g, s in zip(generated, saved):
        assert np.array_equal(g.view(np.uint32 if g.dtype == np.float32 else np.uint16),
                              s.view(np.uint32 if s.dtype == np.float32 else np.uint16))


def test_allclose_report_is_mirage_runs_rule():
    ref = np.array([1.0, -2.0, 0.0, 4.0])
    # atol = rtol·max|ref| = 0.04: an error of 0.03 at 0 passes, 0.05 fails.
    passed, max_abs, max_rel = inputs.allclose_report(ref + [0, 0, 0.03, 0], ref, 1e-2)
    assert passed
    assert (max_abs, max_rel) == pytest.approx((0.03, 0.03 / 4))
    assert not inputs.allclose_report(ref + [0, 0, 0.05, 0], ref, 1e-2)[0]
    assert not inputs.allclose_report(ref * np.nan, ref, 1e-2)[0]
    with pytest.raises(ValueError):
        inputs.allclose_report(ref[:2], ref, 1e-2)
