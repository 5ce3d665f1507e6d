"""FLOPs, HBM bytes, device peaks and timing statistics.

Definitions used in every report:

- **Bytes** are the *compulsory* HBM traffic of a program: every input read
  once and every output written once (``hbm_bytes``). Any implementation
  moves at least this much, so bytes ÷ latency is a bandwidth every
  contender is measured by, and a kernel that rereads data or spills
  intermediates to HBM shows as a lower fraction of the peak.
- **FLOPs** are the matmul FLOPs, 2·M·N·K per matmul (``matmul_flops``): the
  work the tensor cores do, as FlashAttention and cuBLAS count it.
  Elementwise ops, reductions and normalisations are not counted; in these
  programs they are at most a few percent of the matmul FLOPs.
- A program is **compute-bound** on a device when its arithmetic intensity
  (FLOPs ÷ bytes) exceeds the device's ridge point (peak FLOP/s ÷ peak B/s);
  then TFLOP/s and its fraction of the peak are the figures that matter,
  else the fraction of the HBM peak.

Peaks are the vendor's datasheet figures, dense (no sparsity), in decimal
units (1 TB/s = 10^12 B/s), for fp16/bf16 inputs with fp32 accumulation.
"""

import dataclasses
import math
import statistics


def hbm_bytes(program):
    """Compulsory HBM bytes of a harness.mlir.Program: inputs + outputs."""
    return (sum(a.type.num_bytes for a in program.arguments)
            + sum(r.num_bytes for r in program.results))


def matmul_flops(program):
    """Matmul FLOPs of a harness.mlir.Program: Σ 2·(result elements)·K."""
    return sum(m.flops for m in program.matmuls)


@dataclasses.dataclass(frozen=True)
class DevicePeak:
    #: Lower-case substrings that all appear in torch.cuda.get_device_name().
    match: tuple
    label: str
    #: HBM bandwidth, bytes per second.
    hbm_bytes_per_s: float
    #: Dense fp16/bf16 tensor-core FLOP/s (fp32 accumulate).
    fp16_flops_per_s: float
    #: L2 cache, bytes.
    l2_bytes: int
    #: The compile target whose cost model and code fit this device.
    target: str
    source: str


_H100_DS = ("NVIDIA H100 Tensor Core GPU datasheet (nvidia.com, 2023): "
            "GPU memory bandwidth and FP16 Tensor Core TFLOPS (the datasheet's "
            "figure is with sparsity; dense is half)")
_H200_DS = ("NVIDIA H200 Tensor Core GPU datasheet (nvidia.com, 2024): "
            "GPU memory bandwidth and FP16 Tensor Core TFLOPS (halved: the "
            "datasheet's figure is with sparsity)")
_A100_DS = ("NVIDIA A100 Tensor Core GPU datasheet (nvidia.com, 2021): "
            "GPU memory bandwidth and FP16 Tensor Core TFLOPS (dense)")
_MB = 1024 * 1024

#: Checked in order: the first entry whose substrings all occur in the
#: device name wins, so the specific variants come before the generic ones.
DEVICE_PEAKS = (
    DevicePeak(("h100", "nvl"), "NVIDIA H100 NVL", 3.9e12, 835.5e12, 50 * _MB, "sm_90a", _H100_DS),
    DevicePeak(("h100", "pcie"), "NVIDIA H100 PCIe", 2.0e12, 756.5e12, 50 * _MB, "sm_90a", _H100_DS),
    DevicePeak(("h100",), "NVIDIA H100 SXM5", 3.35e12, 989.5e12, 50 * _MB, "sm_90a", _H100_DS),
    DevicePeak(("h200", "nvl"), "NVIDIA H200 NVL", 4.8e12, 835.5e12, 50 * _MB, "h200", _H200_DS),
    DevicePeak(("h200",), "NVIDIA H200 SXM", 4.8e12, 989.5e12, 50 * _MB, "h200", _H200_DS),
    DevicePeak(("a100", "pcie", "40gb"), "NVIDIA A100 PCIe 40GB", 1.555e12, 312e12, 40 * _MB, "sm_80", _A100_DS),
    DevicePeak(("a100", "pcie"), "NVIDIA A100 PCIe 80GB", 1.935e12, 312e12, 40 * _MB, "sm_80", _A100_DS),
    DevicePeak(("a100", "40gb"), "NVIDIA A100 SXM4 40GB", 1.555e12, 312e12, 40 * _MB, "sm_80", _A100_DS),
    DevicePeak(("a100",), "NVIDIA A100 SXM4 80GB", 2.039e12, 312e12, 40 * _MB, "sm_80", _A100_DS),
)


def lookup_device(name):
    """The DevicePeak of a CUDA device name (e.g. 'NVIDIA H100 80GB HBM3'),
    or None for a device this table does not know."""
    lowered = name.lower()
    for peak in DEVICE_PEAKS:
        if all(part in lowered for part in peak.match):
            return peak
    return None


def device_slug(name):
    """A file name for a device: 'NVIDIA H100 80GB HBM3' -> 'nvidia-h100-80gb-hbm3'."""
    slug = "".join(c if c.isalnum() else "-" for c in name.lower())
    return "-".join(part for part in slug.split("-") if part) or "unknown-device"


@dataclasses.dataclass(frozen=True)
class Summary:
    """Statistics of repeated latencies, in milliseconds."""

    count: int
    median: float
    mean: float
    min: float
    max: float
    p10: float
    p90: float
    stdev: float

    @property
    def spread(self):
        """Relative spread: (p90 − p10) / median."""
        return (self.p90 - self.p10) / self.median if self.median else math.nan


def percentile(sorted_values, fraction):
    """Linear interpolation between closest ranks (NumPy's default)."""
    if not sorted_values:
        raise ValueError("no values")
    position = (len(sorted_values) - 1) * fraction
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


def summarize(times_ms):
    values = sorted(float(t) for t in times_ms)
    if not values:
        raise ValueError("no timings to summarize")
    return Summary(
        count=len(values),
        median=statistics.median(values),
        mean=statistics.fmean(values),
        min=values[0],
        max=values[-1],
        p10=percentile(values, 0.10),
        p90=percentile(values, 0.90),
        stdev=statistics.stdev(values) if len(values) > 1 else 0.0,
    )


def achieved(latency_ms, num_bytes, flops, peak=None):
    """Bandwidth (B/s), FLOP/s and their fractions of `peak` (a DevicePeak,
    or None: fractions are NaN) for one latency."""
    seconds = latency_ms * 1e-3
    bandwidth = num_bytes / seconds
    flop_rate = flops / seconds
    return {
        "bytes_per_s": bandwidth,
        "flops_per_s": flop_rate,
        "hbm_fraction": bandwidth / peak.hbm_bytes_per_s if peak else math.nan,
        "flops_fraction": flop_rate / peak.fp16_flops_per_s if peak else math.nan,
    }


def is_compute_bound(num_bytes, flops, peak):
    """Whether the arithmetic intensity exceeds `peak`'s ridge point."""
    if peak is None or num_bytes == 0:
        return False
    return flops / num_bytes > peak.fp16_flops_per_s / peak.hbm_bytes_per_s
