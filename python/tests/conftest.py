"""Shared helpers of the mirage package's tests.

Reference results are computed here with NumPy in float64, from the ops'
definitions, independently of the package; `stored` rounds values the way a
kernel that stores a dtype does.
"""

import os

import numpy as np
import pytest

import mirage as mi

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BENCHMARKS = os.path.join(REPO, "benchmarks")


def round_bf16(x):
    """Round float values to bfloat16 (nearest even), as float64."""
    bits = np.asarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    bits = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16 << 16
    return bits.astype(np.uint32).view(np.float32).astype(np.float64)


def stored(x, dtype):
    """`x` rounded to `dtype` (mi.float16 / bfloat16 / float32), as float64."""
    if dtype is mi.bfloat16:
        return round_bf16(x)
    return np.asarray(x).astype(dtype.numpy_dtype).astype(np.float64)


def as_input(x, dtype):
    """A NumPy array the graph accepts for an input of `dtype`."""
    return np.asarray(x).astype(dtype.numpy_dtype)


def assert_close(out, expected, dtype, rtol=None):
    """`out` within `rtol` of `expected`, relative to its largest value."""
    rtol = rtol if rtol is not None else {"float32": 1e-5, "float16": 2e-3,
                                          "bfloat16": 1.6e-2}[dtype.name]
    out = np.asarray(out, dtype=np.float64)
    scale = max(1e-30, float(np.max(np.abs(expected))))
    np.testing.assert_allclose(out, expected, rtol=rtol, atol=rtol * scale)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """The superoptimizer's default cache (~/.cache/mirage-mlir) goes to a
    temporary directory: tests neither read nor leave cached results."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
