"""A Triton attention kernel for the attention programs (Triton contender).

Triton ships no kernel library (``triton.ops`` was removed in Triton 3.0);
what it ships for attention is the fused-attention tutorial
(python/tutorials/06-fused-attention.py, FlashAttention-2's algorithm).
This is that algorithm, forward only, written for these programs' layout and
semantics, plus FlashDecoding's split of the keys across blocks for the
decode shapes (few query rows, many keys):

    O[b] = softmax(Q[b] · Kᵀ[b]) · V[b]       Q (B, M, D), Kᵀ (B, D, N), V (B, N, D)

with no 1/√D scale (the programs have none) and Kᵀ in the programs' (D, N)
layout, read as it is. Each block takes BLOCK_M query rows of one batch entry
and a chunk of N/SPLIT keys, runs the online softmax (running max and sum,
fp32) over BLOCK_N keys at a time with ``tl.dot`` for both products, and
writes either the normalised output (SPLIT = 1) or fp32 partials that a
second kernel combines. ``tune`` picks BLOCK_M, BLOCK_N, SPLIT and warps per
shape by timing a few configurations, as ``triton.autotune`` would.

Runs under TRITON_INTERPRET=1 on the CPU too (how its tests check it).
"""

import triton
import triton.language as tl


@triton.jit
def _attention_kernel(Q, KT, V, O, OP, MP, LP, M_ROWS, N_KEYS, CHUNK,
                      stride_qb, stride_qm, stride_kb, stride_kd, stride_vb, stride_vn,
                      stride_ob, stride_om,
                      D: tl.constexpr, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr,
                      SPLIT: tl.constexpr):
    pid_m = tl.program_id(0)
    pid_b = tl.program_id(1)
    pid_s = tl.program_id(2)
    offs_m = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_d = tl.arange(0, D)
    row_ok = offs_m < M_ROWS
    q = tl.load(Q + pid_b * stride_qb + offs_m[:, None] * stride_qm + offs_d[None, :],
                mask=row_ok[:, None], other=0.0)
    m_i = tl.full([BLOCK_M], float("-inf"), dtype=tl.float32)
    l_i = tl.zeros([BLOCK_M], dtype=tl.float32)
    acc = tl.zeros([BLOCK_M, D], dtype=tl.float32)
    start = pid_s * CHUNK
    for n0 in range(start, start + CHUNK, BLOCK_N):
        offs_n = n0 + tl.arange(0, BLOCK_N)
        kt = tl.load(KT + pid_b * stride_kb + offs_d[:, None] * stride_kd + offs_n[None, :])
        s = tl.dot(q, kt)
        m_new = tl.maximum(m_i, tl.max(s, 1))
        alpha = tl.exp(m_i - m_new)
        p = tl.exp(s - m_new[:, None])
        l_i = l_i * alpha + tl.sum(p, 1)
        v = tl.load(V + pid_b * stride_vb + offs_n[:, None] * stride_vn + offs_d[None, :])
        acc = acc * alpha[:, None] + tl.dot(p.to(v.dtype), v)
        m_i = m_new
    if SPLIT == 1:
        out = acc / l_i[:, None]
        tl.store(O + pid_b * stride_ob + offs_m[:, None] * stride_om + offs_d[None, :],
                 out.to(O.dtype.element_ty), mask=row_ok[:, None])
    else:
        # Partials laid out [B, SPLIT, M_ROWS] (+ [D] for the accumulator).
        row = (pid_b * SPLIT + pid_s) * M_ROWS + offs_m
        tl.store(OP + row[:, None] * D + offs_d[None, :], acc, mask=row_ok[:, None])
        tl.store(MP + row, m_i, mask=row_ok)
        tl.store(LP + row, l_i, mask=row_ok)


@triton.jit
def _combine_kernel(O, OP, MP, LP, M_ROWS, stride_ob, stride_om,
                    D: tl.constexpr, BLOCK_M: tl.constexpr, SPLIT: tl.constexpr):
    pid_m = tl.program_id(0)
    pid_b = tl.program_id(1)
    offs_m = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_d = tl.arange(0, D)
    row_ok = offs_m < M_ROWS
    m_max = tl.full([BLOCK_M], float("-inf"), dtype=tl.float32)
    for s in tl.static_range(SPLIT):
        row = (pid_b * SPLIT + s) * M_ROWS + offs_m
        m_max = tl.maximum(m_max, tl.load(MP + row, mask=row_ok, other=0.0))
    total = tl.zeros([BLOCK_M], dtype=tl.float32)
    acc = tl.zeros([BLOCK_M, D], dtype=tl.float32)
    for s in tl.static_range(SPLIT):
        row = (pid_b * SPLIT + s) * M_ROWS + offs_m
        scale = tl.exp(tl.load(MP + row, mask=row_ok, other=0.0) - m_max)
        total += tl.load(LP + row, mask=row_ok, other=0.0) * scale
        part = tl.load(OP + row[:, None] * D + offs_d[None, :], mask=row_ok[:, None], other=0.0)
        acc += part * scale[:, None]
    out = acc / total[:, None]
    tl.store(O + pid_b * stride_ob + offs_m[:, None] * stride_om + offs_d[None, :],
             out.to(O.dtype.element_ty), mask=row_ok[:, None])


class Config:
    def __init__(self, block_m, block_n, split, num_warps, num_stages):
        self.block_m, self.block_n, self.split = block_m, block_n, split
        self.num_warps, self.num_stages = num_warps, num_stages

    def __repr__(self):
        return (f"BLOCK_M={self.block_m} BLOCK_N={self.block_n} SPLIT={self.split} "
                f"warps={self.num_warps} stages={self.num_stages}")


class TritonAttention:
    """softmax(q·kt)·v for q (B, M, D), kt (B, D, N), v (B, N, D), fp16 or
    bf16, contiguous. Allocates its output and partials once; __call__
    returns the output (the same tensor every call)."""

    def __init__(self, q, kt, v, config):
        import torch
        self.q, self.kt, self.v, self.config = q, kt, v, config
        batch, rows, dim = q.shape
        keys = kt.shape[2]
        if kt.shape != (batch, dim, keys) or v.shape != (batch, keys, dim):
            raise ValueError(f"shapes q {tuple(q.shape)}, kt {tuple(kt.shape)}, v {tuple(v.shape)}")
        if dim & (dim - 1) or dim < 16:
            raise ValueError(f"head dim {dim} is not a power of two >= 16")
        if keys % (config.split * config.block_n):
            raise ValueError(f"{keys} keys do not split into {config.split} chunks of "
                             f"{config.block_n}-key blocks")
        for t in (q, kt, v):
            if not t.is_contiguous():
                raise ValueError("q, kt and v must be contiguous")
        self.out = torch.empty_like(q)
        self.rows, self.keys, self.dim, self.batch = rows, keys, dim, batch
        parts = batch * config.split * rows
        self.op = torch.empty((parts, dim), dtype=torch.float32, device=q.device)
        self.mp = torch.empty((parts,), dtype=torch.float32, device=q.device)
        self.lp = torch.empty((parts,), dtype=torch.float32, device=q.device)
        self.grid = (triton.cdiv(rows, config.block_m), batch, config.split)

    def __call__(self, q=None, v=None):
        """Runs on the bound tensors, or on `q` / `v` of the same shape
        given here (QKNorm normalises them first)."""
        c, kt, o = self.config, self.kt, self.out
        q = self.q if q is None else q
        v = self.v if v is None else v
        _attention_kernel[self.grid](
            q, kt, v, o, self.op, self.mp, self.lp, self.rows, self.keys,
            self.keys // c.split,
            q.stride(0), q.stride(1), kt.stride(0), kt.stride(1), v.stride(0), v.stride(1),
            o.stride(0), o.stride(1),
            D=self.dim, BLOCK_M=c.block_m, BLOCK_N=c.block_n, SPLIT=c.split,
            num_warps=c.num_warps, num_stages=c.num_stages)
        if c.split > 1:
            _combine_kernel[(self.grid[0], self.batch)](
                o, self.op, self.mp, self.lp, self.rows, o.stride(0), o.stride(1),
                D=self.dim, BLOCK_M=c.block_m, SPLIT=c.split, num_warps=4)
        return o


def candidate_configs(batch, rows, keys, dim, num_sms):
    """Configurations worth timing for a shape: two BLOCK_M (16 for up to 16
    rows, as tl.dot needs 16; else 64 and 128, capped by the rows), two
    BLOCK_N (64 and 128; 32 and 64 for D = 128, to keep the tiles in
    registers), and SPLIT 1 plus the two powers of two that bring the grid
    nearest 2 blocks per SM (FlashDecoding's split of the keys)."""
    if rows <= 16:
        block_ms = [16]
    else:
        block_ms = sorted({min(64, _pow2_at_least(rows)), min(128, _pow2_at_least(rows))})
    configs = []
    for block_m in block_ms:
        blocks = triton.cdiv(rows, block_m) * batch
        high = _pow2_at_least(max(1, (2 * num_sms) // blocks))
        splits = sorted({1} | {min(s, 32) for s in (high // 2, high) if s >= 2})
        for block_n in ((32, 64) if dim > 64 else (64, 128)):
            for split in splits:
                if keys % (split * block_n) == 0:
                    configs.append(Config(block_m, block_n, split, 4 if block_m <= 64 else 8, 2))
    return configs


def _pow2_at_least(n):
    p = 1
    while p < n:
        p *= 2
    return p


def tune(q, kt, v, time_fn, num_sms, log=None, max_configs=None):
    """Times every candidate configuration with `time_fn(callable) -> ms`
    and returns (the fastest TritonAttention, its Config, the number tried).
    Configurations that fail to compile or launch are skipped."""
    best, best_ms, tried = None, float("inf"), 0
    batch, rows, dim = q.shape
    for config in candidate_configs(batch, rows, kt.shape[2], dim, num_sms)[:max_configs]:
        try:
            attention = TritonAttention(q, kt, v, config)
            attention()
            ms = time_fn(attention)
        except Exception as error:  # a config the compiler or the GPU refuses
            if log:
                log(f"      triton {config}: skipped ({type(error).__name__}: {error})")
            continue
        tried += 1
        if ms < best_ms:
            best, best_ms = attention, ms
    if best is None:
        raise RuntimeError("no Triton attention configuration ran")
    return best, best.config, tried
