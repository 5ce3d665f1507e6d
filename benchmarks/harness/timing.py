"""Timing every contender the same way.

On a GPU (``CudaTimer``), each timed run is, on PyTorch's current stream:

    [flush L2: zero a buffer of flush_bytes]  [spin host_lead_us]  event  RUN  event

- **L2 flush** (on by default, the same for every contender): writing a
  buffer several times the L2's size evicts the inputs, so every run reads
  them from HBM, as a layer of a model does when other layers ran in between
  (triton.testing.do_bench does the same). ``flush_bytes=0`` turns it off
  for every contender alike (warm L2).
- **Host lead**: the flush and a spin kernel (``torch.cuda._sleep``) keep
  the GPU busy while Python enqueues the start event, the contender's
  launches and the end event, so the events measure the GPU's time for the
  contender, not Python's launch overhead. The host time each enqueue took
  is recorded; when it exceeds the lead, the result is flagged, since the
  latency then includes host overhead.
- **Rounds**: the repetitions are split into rounds, and each round runs the
  contenders in a rotated order, so that clock or thermal drift during a
  measurement is shared by all instead of falling on whoever ran last.
- **Warm-up**: untimed runs before the first round (compilation, autotuning,
  CUDA graph capture, the runtime's buffer allocation happen then).

``CpuTimer`` is the stand-in of the dry run on a machine without a GPU:
wall-clock time of each run, for checking the harness, not a measurement.
"""

import time


class CudaTimer:
    def __init__(self, torch, flush_bytes, warmup, reps, rounds, host_lead_us):
        self.torch = torch
        self.flush_bytes = flush_bytes
        self.warmup, self.reps, self.rounds = warmup, reps, max(1, min(rounds, reps))
        self.host_lead_us = host_lead_us
        self.cache = (torch.empty(flush_bytes // 4, dtype=torch.int32, device="cuda")
                      if flush_bytes else None)
        self.cycles_per_us = self._calibrate_sleep() if host_lead_us > 0 else 0.0
        self.prelude_us = self._prelude_time()

    def describe(self):
        flush = (f"L2 flushed before every timed run by zeroing a {self.flush_bytes / 2**20:.0f} MiB "
                 "buffer" if self.flush_bytes else "L2 not flushed (warm)")
        return (f"CUDA events around each run on one stream; {flush}; a {self.host_lead_us:g} µs "
                f"spin kernel before each run so that launches are enqueued ahead of the GPU; "
                f"{self.warmup} warm-up runs, then {self.reps} timed runs in {self.rounds} "
                "rounds, contenders in rotated order each round")

    def _calibrate_sleep(self):
        torch = self.torch
        if not hasattr(torch.cuda, "_sleep"):
            return 0.0
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        cycles = 1_000_000
        torch.cuda._sleep(cycles)
        start.record()
        torch.cuda._sleep(cycles)
        end.record()
        end.synchronize()
        return cycles / (start.elapsed_time(end) * 1000.0)

    def _prelude_time(self):
        """GPU µs of the flush and the spin: how far the host may lag."""
        torch = self.torch
        times = []
        for _ in range(5):
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            self._prelude()
            end.record()
            end.synchronize()
            times.append(start.elapsed_time(end) * 1000.0)
        return sorted(times)[2]

    def synchronize(self):
        self.torch.cuda.synchronize()

    def _prelude(self):
        if self.cache is not None:
            self.cache.zero_()
        if self.cycles_per_us:
            self.torch.cuda._sleep(int(self.host_lead_us * self.cycles_per_us))

    def time_once_each(self, fn, count):
        """`count` timed runs of fn; returns (GPU ms list, host enqueue µs list)."""
        torch = self.torch
        starts = [torch.cuda.Event(enable_timing=True) for _ in range(count)]
        ends = [torch.cuda.Event(enable_timing=True) for _ in range(count)]
        host = []
        for i in range(count):
            self._prelude()
            t0 = time.perf_counter()
            starts[i].record()
            fn()
            ends[i].record()
            host.append((time.perf_counter() - t0) * 1e6)
        torch.cuda.synchronize()
        return [s.elapsed_time(e) for s, e in zip(starts, ends)], host

    def measure(self, contenders):
        """Times every callable of `contenders` (name -> fn); returns
        name -> (ms list, host µs list)."""
        names = list(contenders)
        for name in names:
            for _ in range(self.warmup):
                contenders[name]()
        self.synchronize()
        results = {name: ([], []) for name in names}
        per_round = [self.reps // self.rounds + (1 if r < self.reps % self.rounds else 0)
                     for r in range(self.rounds)]
        for r, count in enumerate(per_round):
            order = names[r % len(names):] + names[:r % len(names)]
            for name in order:
                gpu, host = self.time_once_each(contenders[name], count)
                results[name][0].extend(gpu)
                results[name][1].extend(host)
        return results

    def quick(self, fn, reps=10):
        """Median ms of a few runs, same procedure: for autotuning choices."""
        fn()
        self.synchronize()
        gpu, _ = self.time_once_each(fn, reps)
        return sorted(gpu)[len(gpu) // 2]


class CpuTimer:
    """Wall-clock stand-in for the dry run without a GPU."""

    flush_bytes = 0
    host_lead_us = 0
    prelude_us = float("inf")

    def __init__(self, warmup, reps, rounds):
        self.warmup, self.reps, self.rounds = warmup, reps, max(1, min(rounds, reps))

    def describe(self):
        return (f"CPU DRY RUN: wall clock of {self.reps} runs after {self.warmup} warm-up runs; "
                "checks the harness, measures nothing about a GPU")

    def synchronize(self):
        pass

    def measure(self, contenders):
        results = {}
        for name, fn in contenders.items():
            for _ in range(self.warmup):
                fn()
            times = []
            for _ in range(self.reps):
                t0 = time.perf_counter()
                fn()
                times.append((time.perf_counter() - t0) * 1e3)
            results[name] = (times, [t * 1e3 for t in times])
        return results

    def quick(self, fn, reps=1):
        t0 = time.perf_counter()
        fn()
        return (time.perf_counter() - t0) * 1e3
