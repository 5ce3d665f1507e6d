"""Attention inputs whose exponentials overflow f16, and checks against NumPy.

    attention_overflow.py gen DIR QSHAPE KSHAPE VSHAPE
        Writes DIR/q.npy, DIR/k.npy, DIR/v.npy (float16) for O = softmax(Q·K)·V
        with every score Q·K in about [20, 30]: e^20 = 4.9e8 is far beyond
        f16's largest value, 65504 (e^11.09), so exp(Q·K) computed and stored
        in f16 is inf.
    attention_overflow.py nonfinite OUT.npy
        Asserts that an output holds inf or NaN, and says how many.
    attention_overflow.py check DIR OUT.npy
        Compares an output with softmax(Q·K)·V computed in float64 from the
        same (f16) inputs, within the error that f16 storage of the scores and
        of the output allows (see tolerance()).

Shapes are written like 2x256x64. Run by lit with the project's Python.
"""

import sys

import numpy as np

# Scores s in [LOW, HIGH] (plus a little noise): the row max is near HIGH.
LOW, HIGH = 20.0, 30.0
F16_MAX = float(np.finfo(np.float16).max)


def shape(text):
    return tuple(int(d) for d in text.split("x"))


def gen(directory, q_shape, k_shape, v_shape):
    rng = np.random.default_rng(7)
    # Q·K = K[..., 0, :] (one column of Q is 1) + a small dot product.
    q = rng.uniform(-0.1, 0.1, size=q_shape)
    q[..., 0] = 1.0
    k = rng.uniform(-0.1, 0.1, size=k_shape)
    k[..., 0, :] = rng.uniform(LOW, HIGH, size=k[..., 0, :].shape)
    v = rng.uniform(-1.0, 1.0, size=v_shape)
    for name, x in (("q", q), ("k", k), ("v", v)):
        np.save(f"{directory}/{name}.npy", x.astype(np.float16))
    s = q.astype(np.float16).astype(np.float64) @ k.astype(np.float16).astype(np.float64)
    print(f"scores in [{s.min():.1f}, {s.max():.1f}]: e^{s.max():.1f} = "
          f"{np.exp(s.max()):.1e} > f16 max {F16_MAX:.0f}")


def load_inputs(directory):
    return [np.load(f"{directory}/{n}.npy").astype(np.float64) for n in "qkv"]


def reference(q, k, v):
    s = q @ k
    p = np.exp(s - s.max(axis=-1, keepdims=True))
    p /= p.sum(axis=-1, keepdims=True)
    return s, p @ v


def tolerance(ref):
    """mirage-run --reference's criterion for f16 outputs: 1e-2 of max|ref|.

    The kernels store the scores as f16 tiles (half an ulp is 2^-7 near 25,
    so each softmax weight carries up to 0.8% error) and the exponentials,
    sums and output in f16; what they compute is otherwise exact.
    """
    return 1e-2 * np.abs(ref).max()


def nonfinite(path):
    out = np.load(path)
    bad = int(np.count_nonzero(~np.isfinite(out)))
    print(f"{bad} of {out.size} outputs are inf or NaN")
    if bad == 0:
        sys.exit("expected the unstabilised kernels to overflow")


def check(directory, path):
    q, k, v = load_inputs(directory)
    _, ref = reference(q, k, v)
    out = np.load(path).astype(np.float64)
    if out.shape != ref.shape:
        sys.exit(f"shape {out.shape}, expected {ref.shape}")
    if not np.all(np.isfinite(out)):
        sys.exit(f"{np.count_nonzero(~np.isfinite(out))} outputs are not finite")
    err = float(np.abs(out - ref).max())
    tol = tolerance(ref)
    # For scale: what rounding the scores to f16 alone does to the result.
    s16 = (q @ k).astype(np.float16).astype(np.float64)
    p16 = np.exp(s16 - s16.max(axis=-1, keepdims=True))
    scores_only = float(np.abs((p16 / p16.sum(axis=-1, keepdims=True)) @ v - ref).max())
    verdict = "within" if err <= tol else "EXCEEDS"
    print(f"max |out - ref| = {err:.2e}, {verdict} 1e-2 of max |ref| = "
          f"{np.abs(ref).max():.2e} (f16 scores alone: {scores_only:.2e})")
    if err > tol:
        sys.exit(1)


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    if command == "gen":
        gen(args[0], shape(args[1]), shape(args[2]), shape(args[3]))
    elif command == "nonfinite":
        nonfinite(args[0])
    elif command == "check":
        check(args[0], args[1])
    else:
        sys.exit(f"unknown command {command}")
