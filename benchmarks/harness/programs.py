"""Each benchmark program written in PyTorch, as a PyTorch user would.

``EAGER[name](*inputs)`` computes what benchmarks/<name>.mlir computes, on
the same argument order, shapes and layouts (K of the attention programs is
stored transposed, (D, N), as the programs have it). It is the PyTorch eager
baseline, torch.compile's input, and, run on float32 copies of the inputs,
the reference every contender is checked against.

Idiomatic forms, not op-by-op transcriptions: ``torch.softmax`` (one fused,
max-subtracting kernel) for exp / Σexp, ``F.rms_norm`` (eps = 0, as the
programs' rms_norm) where PyTorch has it. Both are mathematically what the
programs compute; they are what make PyTorch fast.

``ATTENTION[name]`` says how an attention program maps onto
softmax(Q·Kᵀ)·V for the attention-specific baselines (SDPA, FlashAttention,
the Triton kernel): which inputs are Q, Kᵀ, V, and which are first passed
through rms_norm (QKNorm).
"""


def rms_norm(x):
    """x / √(mean(x²)) over the last dim (the programs' rms_norm, eps = 0)."""
    import torch
    import torch.nn.functional as F
    if hasattr(F, "rms_norm"):
        return F.rms_norm(x, (x.shape[-1],), eps=0.0)
    return (x.float() * torch.rsqrt(x.float().pow(2).mean(-1, keepdim=True))).to(x.dtype)


def attention(q, kt, v):
    """softmax(q·kt)·v over the last dim; no 1/√d scale (the programs have none)."""
    import torch
    return torch.softmax(q @ kt, dim=-1) @ v


def qknorm(q, kt, v):
    return attention(rms_norm(q), kt, rms_norm(v))


def rmsnorm_linear(x, w):
    return rms_norm(x) @ w


def lora(x, w, a, b):
    return x @ w + (x @ a) @ b


def gated_mlp(x, w1, w2):
    import torch.nn.functional as F
    return F.silu(x @ w1) * (x @ w2)


def ntrans(h, x, alpha):
    return rms_norm(x + alpha * (rms_norm(h) + x))


def moe(x, a, b):
    import torch
    return torch.exp(x @ a) @ b


EAGER = {
    "gqa": attention,
    "qknorm": qknorm,
    "rmsnorm": rmsnorm_linear,
    "lora": lora,
    "gated_mlp": gated_mlp,
    "ntrans": ntrans,
    "mha": attention,
    "mqa": attention,
    "moe": moe,
    "seed_attention": attention,
}

#: name -> argument indices of (Q, Kᵀ, V), and whether Q and V are
#: rms-normalised first (QKNorm); Q is (B, M, D), Kᵀ (B, D, N), V (B, N, D).
ATTENTION = {
    "gqa": ((0, 1, 2), False),
    "qknorm": ((0, 1, 2), True),
    "mha": ((0, 1, 2), False),
    "mqa": ((0, 1, 2), False),
    "seed_attention": ((0, 1, 2), False),
}
