"""The random test inputs of ``mirage-run`` and ``mirage-runtime-run``, in NumPy.

Element ``i`` of argument ``a`` for seed ``s`` is (runtime/support/include/
mirage-support/RandomInputs.h, the C++ generator that both tools share)

    stream = splitmix64(splitmix64(s) ^ (a << 32))
    u      = (splitmix64(stream + i) >> 11) · 2^-53          (uniform in [0, 1))
    value  = round_to_dtype(float32(low + (high − low) · u))

with [low, high) the argument's ``mirage.input_range`` (the manifest's
``input_range``), else [-0.5, 0.5). This module computes the same values bit
for bit, so a GPU host with no MLIR runs every contender on the inputs the
compile side's reference outputs were computed from (the compile side saves
outputs, which are small, not inputs: MoE's weights alone are 512 MiB).

It stays pure NumPy on purpose rather than calling the C++ generator through
libMirageRuntime.so with ctypes: the GPU side runs its PyTorch, Triton and
FlashAttention contenders, and ``--dry-run``, where the runtime was not built
(harness/gpu.py carries on without it), and the runtime's C API is for
loading and launching kernels, not for test data. Two guards keep the copies
equal: benchmarks/tests/test_inputs.py compares this module with mirage-run's
``--save-inputs`` files bit for bit, and pins the values that
runtime/support/unittests/RandomInputsTest.cpp pins for the C++ generator.
"""

import numpy as np

DEFAULT_RANGE = (-0.5, 0.5)
_CHUNK = 1 << 22


def _splitmix64(x):
    """SplitMix64's output function on a uint64 array (wrapping arithmetic)."""
    with np.errstate(over="ignore"):
        x = x + np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def _splitmix64_scalar(x):
    return int(_splitmix64(np.array([x & 0xFFFFFFFFFFFFFFFF], dtype=np.uint64))[0])


def round_bf16(values):
    """float32 -> bfloat16 values (round to nearest even), kept as float32,
    as the interpreter stores bf16 and NumPy has no bfloat16."""
    bits = np.asarray(values, dtype=np.float32).view(np.uint32).astype(np.uint64)
    nan = np.isnan(np.asarray(values, dtype=np.float32))
    bits = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16) << 16
    out = bits.astype(np.uint32).view(np.float32)
    out[nan] = np.nan
    return out


def random_values(seed, arg_index, begin, count, low, high):
    """Elements [begin, begin + count) of argument `arg_index`'s input for
    `seed`, uniform in [low, high), as float32 before any rounding to f16 or
    bf16 (the C++ fillRandomInputValues)."""
    stream = _splitmix64_scalar(_splitmix64_scalar(seed) ^ (int(arg_index) << 32))
    with np.errstate(over="ignore"):
        index = (np.arange(count, dtype=np.uint64) + np.uint64(begin & 0xFFFFFFFFFFFFFFFF)
                 + np.uint64(stream))
    u = (_splitmix64(index) >> np.uint64(11)).astype(np.float64) * 2.0 ** -53
    return (low + (high - low) * u).astype(np.float32)


def random_tensor(shape, dtype, seed, arg_index, input_range=None):
    """The test input of argument `arg_index` (0-based) for `seed`: a NumPy
    array of `shape`, float16 for 'f16', float32 for 'f32' and for 'bf16'
    (bf16 values, as float32 since NumPy has no bfloat16)."""
    if dtype not in ("f16", "bf16", "f32"):
        raise ValueError(f"unsupported dtype {dtype!r}")
    low, high = input_range if input_range is not None else DEFAULT_RANGE
    count = int(np.prod(shape, dtype=np.int64))
    out = np.empty(count, dtype=np.float16 if dtype == "f16" else np.float32)
    for begin in range(0, count, _CHUNK):
        end = min(count, begin + _CHUNK)
        values = random_values(seed, arg_index, begin, end - begin, low, high)
        if dtype == "f16":
            out[begin:end] = values.astype(np.float16)
        elif dtype == "bf16":
            out[begin:end] = round_bf16(values)
        else:
            out[begin:end] = values
    return out.reshape(shape)


def program_inputs(arguments, seed=0):
    """The inputs of every argument: `arguments` holds (shape, dtype,
    input_range or None) triples, in order."""
    return [random_tensor(shape, dtype, seed, index, input_range)
            for index, (shape, dtype, input_range) in enumerate(arguments)]


def allclose_report(output, reference, rtol, atol=None):
    """mirage-run's comparison (docs/mirage-run.md): an element passes when
    |out − ref| <= atol + rtol·|ref|, atol defaulting to rtol·max|ref|; NaN or
    Inf in either fails. Returns (passed, max_abs_error, max_rel_error) with
    max_rel_error = max|out − ref| / max|ref|."""
    out = np.asarray(output, dtype=np.float64)
    ref = np.asarray(reference, dtype=np.float64)
    if out.shape != ref.shape:
        raise ValueError(f"shape {out.shape} differs from the reference's {ref.shape}")
    finite = bool(np.isfinite(out).all() and np.isfinite(ref).all())
    scale = float(np.abs(ref).max()) if ref.size else 0.0
    if atol is None:
        atol = rtol * scale
    diff = np.abs(out - ref)
    max_abs = float(diff.max()) if diff.size else 0.0
    max_rel = max_abs / scale if scale > 0 else (0.0 if max_abs == 0 else float("inf"))
    passed = finite and bool((diff <= atol + rtol * np.abs(ref)).all())
    return passed, max_abs, max_rel


#: Default relative tolerances, as mirage-run's.
DEFAULT_RTOL = {"f16": 1e-2, "bf16": 3e-2, "f32": 1e-4}
