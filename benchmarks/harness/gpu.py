"""The GPU side: run the packages and the baselines, check, time, record.

Needs PyTorch (with CUDA), NumPy, the runtime's shared library and the
compile side's output directory (harness.json, packages, reference
outputs); no LLVM or MLIR. Triton, the flash_attn package and matplotlib are
used when present. For each program:

1. regenerate the compile side's inputs (inputs.py, bit for bit) on the GPU;
2. compute the reference: the PyTorch program (programs.py) on float32 copies
   of the inputs, TF32 off; check that it agrees with the interpreter's
   output from the compile side (a check of the inputs and of programs.py);
3. build the contenders: the Mirage package (runtime, on PyTorch's memory
   and stream), PyTorch eager, torch.compile, and for attention
   scaled_dot_product_attention (PyTorch's dispatch, and forced to its
   FlashAttention-2 backend), flash_attn's kernel when installed, and the
   Triton kernel (triton_attention.py, tuned per shape);
4. run each once and check its output against the reference with
   mirage-run's tolerance; time those that pass (timing.py);
5. record latency statistics, bandwidth, FLOP/s, fractions of the peaks and
   the speedup of Mirage over the best baseline.
"""

import datetime
import json
import math
import os
import platform
import subprocess
import sys
import traceback

from . import compile as compile_side
from . import metrics
from .programs import ATTENTION, EAGER

CONTENDERS = ("mirage", "eager", "compile", "sdpa", "sdpa-flash", "flash_attn", "triton")

LABELS = {
    "mirage": "Mirage",
    "eager": "PyTorch eager",
    "compile": "torch.compile",
    "sdpa": "SDPA",
    "sdpa-flash": "SDPA (FlashAttention-2 backend)",
    "flash_attn": "flash_attn",
    "triton": "Triton",
}


class Skip(Exception):
    """The GPU part cannot run here (no PyTorch, no GPU); the message says why."""


class SetupError(Exception):
    """The GPU part could run here but is set up wrong (no packages for the
    device, peaks missing); the message says what to do."""


def detect_torch(dry_run):
    """PyTorch, or Skip with the reason."""
    try:
        import torch
    except ImportError:
        raise Skip(f"PyTorch is not installed for {sys.executable}")
    if dry_run:
        return torch
    if not torch.cuda.is_available():
        raise Skip(f"PyTorch {torch.__version__} (CUDA {torch.version.cuda}) sees no CUDA "
                   "device (torch.cuda.is_available() is False)")
    return torch


def _nvidia_smi():
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=driver_version,clocks.max.sm,clocks.max.memory,power.limit",
             "--format=csv,noheader", "-i", "0"], capture_output=True, text=True, timeout=20)
        if out.returncode == 0 and out.stdout.strip():
            driver, sm, mem, power = [f.strip() for f in out.stdout.strip().splitlines()[0].split(",")]
            return {"driver": driver, "max_sm_clock": sm, "max_mem_clock": mem, "power_limit": power}
    except (OSError, subprocess.SubprocessError, ValueError):
        pass
    return {}


def _torch_dtype(torch, dtype):
    return {"f16": torch.float16, "bf16": torch.bfloat16, "f32": torch.float32}[dtype]


def _to_numpy(tensor):
    return tensor.detach().float().cpu().numpy()


class Context:
    """What every program's benchmark shares: torch, the device, the runtime,
    the timer, the options."""

    def __init__(self, torch, options, harness_dir, log, dry_run):
        self.torch, self.options, self.harness_dir, self.log = torch, options, harness_dir, log
        self.dry_run = dry_run
        self.index = compile_side.load_index(harness_dir)
        self.rt_device = None
        self.runtime = None
        if dry_run:
            self.device = "cpu"
            self.device_name = "CPU dry run (" + (platform.processor() or platform.machine()) + ")"
            self.capability = None
            self.num_sms = os.cpu_count()
            self.peak = None
        else:
            self.device = "cuda"
            torch.cuda.init()
            props = torch.cuda.get_device_properties(0)
            self.device_name = props.name
            self.capability = (props.major, props.minor)
            self.num_sms = props.multi_processor_count
            self.peak = metrics.lookup_device(props.name)
        if options.peak_bandwidth or options.peak_tflops:
            base = self.peak
            if base is None and not (options.peak_bandwidth and options.peak_tflops):
                raise SetupError(f"'{self.device_name}' is not in the peak table: give both "
                           "--peak-bandwidth and --peak-tflops")
            self.peak = metrics.DevicePeak(
                (), self.device_name,
                options.peak_bandwidth * 1e12 if options.peak_bandwidth else base.hbm_bytes_per_s,
                options.peak_tflops * 1e12 if options.peak_tflops else base.fp16_flops_per_s,
                base.l2_bytes if base else 50 * 2**20, base.target if base else "sm_90a",
                "given on the command line")
        self.target = options.target or self._default_target()
        if self.target not in self.index["targets"]:
            raise SetupError(f"the compile side has no packages for target {self.target} in "
                       f"{harness_dir} (it has: {', '.join(self.index['targets']) or 'none'}); run "
                       f"`benchmarks/run.py compile --targets {self.target}` where MLIR is")
        if dry_run:
            from .timing import CpuTimer
            self.timer = CpuTimer(min(options.warmup, 1), min(options.reps, 3), 1)
        else:
            from .timing import CudaTimer
            flush = 0 if options.no_flush else max(options.flush_mb * 2**20,
                                                   4 * (self.peak.l2_bytes if self.peak else 50 * 2**20))
            self.timer = CudaTimer(torch, flush, options.warmup, options.reps, options.rounds,
                                   options.host_lead_us)
            self._open_runtime()

    def _default_target(self):
        if self.peak:
            return self.peak.target
        if self.capability and self.capability[0] >= 9:
            return "sm_90a"
        if self.capability and self.capability[0] == 8:
            return "sm_80"
        return next(iter(self.index["targets"]), "sm_90a")

    def _open_runtime(self):
        from . import runtime
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        path = self.options.runtime_lib or runtime.find_library(root)
        if not path:
            self.runtime_error = ("libMirageRuntime.so not found (looked in: "
                                  + ", ".join(p for p in runtime.candidate_paths(root) if p)
                                  + "); build it with `cmake -G Ninja -S runtime -B build/rt && "
                                  "ninja -C build/rt`, or pass --runtime-lib")
            self.log("  " + self.runtime_error)
            return
        self.runtime = runtime.Runtime(path)
        self.rt_device = self.runtime.open_device(self.torch.cuda.current_device())
        self.runtime_error = None

    def environment(self):
        torch = self.torch
        env = {"device": self.device_name, "python": platform.python_version(),
               "torch": torch.__version__, "date": datetime.date.today().isoformat(),
               "target": self.target, "host": compile_side.host_description()}
        if not self.dry_run:
            env.update({"compute_capability": f"{self.capability[0]}.{self.capability[1]}",
                        "sms": self.num_sms, "cuda": torch.version.cuda,
                        "runtime_lib": self.runtime.path if self.runtime else None})
            env.update(_nvidia_smi())
        try:
            import triton
            env["triton"] = triton.__version__
        except ImportError:
            env["triton"] = None
        try:
            import flash_attn
            env["flash_attn"] = flash_attn.__version__
        except ImportError:
            env["flash_attn"] = None
        if self.peak:
            env["peak"] = {"label": self.peak.label, "hbm_bytes_per_s": self.peak.hbm_bytes_per_s,
                           "fp16_flops_per_s": self.peak.fp16_flops_per_s,
                           "l2_bytes": self.peak.l2_bytes, "source": self.peak.source}
        env["method"] = self.timer.describe()
        return env


class Contender:
    def __init__(self, key, label, fn, note=""):
        self.key, self.label, self.fn, self.note = key, label, fn, note


def _build_contenders(ctx, name, tins, record, wanted):
    """(contenders, {key: why not}) for one program."""
    torch = ctx.torch
    F = torch.nn.functional
    eager = EAGER[name]
    built, absent = [], {}

    def attempt(key, factory):
        if key not in wanted:
            return
        try:
            contender = factory()
        except Exception as error:  # a contender that cannot be built is reported, not fatal
            absent[key] = f"{type(error).__name__}: {error}".splitlines()[0][:300]
            if ctx.options.verbose:
                traceback.print_exc()
            return
        if contender is None:
            return
        built.append(contender)

    def mirage():
        if ctx.dry_run:
            raise RuntimeError("no GPU (dry run)")
        if ctx.runtime is None:
            raise RuntimeError(ctx.runtime_error)
        if record is None or record.get("status") != "ok":
            raise RuntimeError("not compiled: " + (record or {}).get("status", "no record"))
        package = ctx.rt_device.load(os.path.join(ctx.harness_dir, record["package"]))
        for (shape, dtype), t in zip(package.inputs, tins):
            if tuple(t.shape) != tuple(shape):
                raise RuntimeError(f"package input {shape} differs from the program's {tuple(t.shape)}")
        outs = [torch.empty(shape, dtype=_torch_dtype(torch, dtype), device="cuda")
                for shape, dtype in package.outputs]
        package.bind([t.data_ptr() for t in tins], [o.data_ptr() for o in outs])
        stream = torch.cuda.current_stream().cuda_stream

        def run():
            package.run(stream)
            return outs[0] if len(outs) == 1 else outs
        run()
        ctx.rt_device.synchronize()
        note = (f"{package.num_kernels} kernel(s), {package.binary_kind} for {package.chip}")
        contender = Contender("mirage", LABELS["mirage"], run, note)
        contender.package = package
        return contender

    attempt("mirage", mirage)
    attempt("eager", lambda: Contender("eager", LABELS["eager"], lambda: eager(*tins)))

    def compiled():
        mode = ctx.options.compile_mode
        mark = getattr(getattr(torch, "compiler", None), "cudagraph_mark_step_begin", None)
        errors = []
        # CUDA graphs (max-autotune, reduce-overhead) copy every input that is
        # not a parameter into a static buffer at each replay (MoE: 512 MiB)
        # unless it is marked static: these inputs never move, so mark them.
        mark_static = getattr(torch._dynamo, "mark_static_address", None)
        for m in ([mode, "default"] if mode != "default" else ["default"]):
            try:
                torch._dynamo.reset()
                if mark_static:
                    for t in tins:
                        mark_static(t)
                fn = torch.compile(eager, mode=m, fullgraph=True, dynamic=False)

                def run(fn=fn):
                    if mark:
                        mark()
                    return fn(*tins)
                run()
                note = f"mode={m}" + (f" ({mode} failed: {errors[0]})" if errors else "")
                return Contender("compile", f"torch.compile ({m})", run, note)
            except Exception as error:
                errors.append(f"{type(error).__name__}: {str(error).splitlines()[0][:200]}")
        raise RuntimeError("; ".join(errors))
    attempt("compile", compiled)

    if name in ATTENTION:
        (qi, ki, vi), normed = ATTENTION[name]
        q, kt, v = tins[qi], tins[ki], tins[vi]
        from .programs import rms_norm
        norm = rms_norm if normed else (lambda x: x)
        prefix = "rms_norm (eager) + " if normed else ""
        k = kt.transpose(-1, -2).contiguous()  # SDPA's layout, prepared outside timing

        def attention():
            return F.scaled_dot_product_attention(norm(q)[None], k[None], norm(v)[None],
                                                  scale=1.0)[0]

        def sdpa():
            attention()
            return Contender("sdpa", LABELS["sdpa"], attention,
                             prefix + "PyTorch's choice of backend; K given as (N, D)")
        attempt("sdpa", sdpa)

        def sdpa_flash():
            from torch.nn.attention import SDPBackend, sdpa_kernel

            def run():
                with sdpa_kernel(SDPBackend.FLASH_ATTENTION):
                    return attention()
            run()
            return Contender("sdpa-flash", LABELS["sdpa-flash"], run,
                             prefix + "FlashAttention-2 as built into PyTorch")
        attempt("sdpa-flash", sdpa_flash)

        def flash():
            from flash_attn import flash_attn_func
            # flash_attn's layout: (batch, seqlen, heads, dim); the programs'
            # batch dim is the heads.
            qf = q.permute(1, 0, 2).contiguous()[None]
            kf = kt.permute(2, 0, 1).contiguous()[None]
            vf = v.permute(1, 0, 2).contiguous()[None]

            def run():
                return flash_attn_func(norm(qf), kf, norm(vf), softmax_scale=1.0)[0].permute(1, 0, 2)
            run()
            return Contender("flash_attn", LABELS["flash_attn"], run,
                             prefix + "flash_attn_func; inputs in its (seq, heads, dim) layout")
        attempt("flash_attn", flash)

        def triton():
            from . import triton_attention
            base, config, tried = triton_attention.tune(
                norm(q).contiguous(), kt.contiguous(), norm(v).contiguous(),
                lambda f: ctx.timer.quick(f), ctx.num_sms,
                max_configs=1 if ctx.dry_run else None)
            if normed:
                run = lambda: base(norm(q), norm(v))  # noqa: E731
            else:
                run = base
            return Contender("triton", LABELS["triton"], run,
                             f"{prefix}{config} (fastest of {tried} configurations)")
        attempt("triton", triton)
    return built, absent


def bench_program(ctx, name):
    from . import inputs as inputs_mod
    torch = ctx.torch
    entry = ctx.index["programs"].get(name)
    if entry is None:
        return {"status": f"not in {ctx.harness_dir}/harness.json: run the compile side for it"}
    record = ctx.index["targets"][ctx.target]["programs"].get(name)
    result = {"program": name, "hbm_bytes": entry["hbm_bytes"], "matmul_flops": entry["matmul_flops"],
              "compile": record, "contenders": {}, "shapes": [a["shape"] for a in entry["arguments"]]}
    args = [(tuple(a["shape"]), a["dtype"], tuple(a["input_range"]) if a["input_range"] else None)
            for a in entry["arguments"]]
    seed = ctx.index.get("seed", 0)
    tins = []
    for array, (shape, dtype, _) in zip(inputs_mod.program_inputs(args, seed), args):
        tins.append(torch.from_numpy(array).to(ctx.device).to(_torch_dtype(torch, dtype)))
    out_dtype = entry["results"][0]["dtype"]
    rtol = ctx.options.rtol or inputs_mod.DEFAULT_RTOL[out_dtype]

    # The reference: the PyTorch program in float32, TF32 off.
    import numpy as np
    if not ctx.dry_run:
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    with torch.no_grad():
        reference = EAGER[name](*[t.float() for t in tins])
    reference = [_to_numpy(reference)] if not isinstance(reference, (list, tuple)) else [
        _to_numpy(r) for r in reference]
    interpreter = [np.load(os.path.join(ctx.harness_dir, p)) for p in entry.get("reference", [])]
    if interpreter:
        ok, _, rel = inputs_mod.allclose_report(interpreter[0], reference[0], rtol)
        result["interpreter_vs_reference"] = {"pass": ok, "max_rel_error": rel}
        if not ok:
            ctx.log(f"    warning: the interpreter's output differs from PyTorch's float32 output "
                    f"(max rel. error {rel:.2e}): the inputs or programs.py disagree with the program")

    with torch.no_grad():
        contenders, absent = _build_contenders(ctx, name, tins, record, ctx.options.contenders)
        for key, why in absent.items():
            result["contenders"][key] = {"label": LABELS[key], "status": "unavailable", "error": why}
            ctx.log(f"    {LABELS[key]}: unavailable ({why})")
        timed = {}
        for c in contenders:
            try:
                out = c.fn()
                out = out[0] if isinstance(out, (list, tuple)) else out
                ctx.timer.synchronize()
                if c.key == "mirage":
                    ctx.rt_device.synchronize()
                got = _to_numpy(out)
                ok, abs_err, rel = inputs_mod.allclose_report(got, reference[0], rtol)
                rel_interp = (inputs_mod.allclose_report(got, interpreter[0], rtol)[2]
                              if interpreter else math.nan)
            except Exception as error:
                result["contenders"][c.key] = {"label": c.label, "status": "error",
                                               "error": f"{type(error).__name__}: {error}"[:500]}
                ctx.log(f"    {c.label}: error ({type(error).__name__}: {error})")
                continue
            row = {"label": c.label, "note": c.note, "max_rel_error": rel, "max_abs_error": abs_err,
                   "max_rel_error_vs_interpreter": rel_interp, "rtol": rtol}
            if not ok:
                row.update(status="wrong output")
                ctx.log(f"    {c.label}: WRONG OUTPUT (max rel. error {rel:.2e}, rtol {rtol:g})")
            else:
                row["status"] = "ok"
                timed[c.key] = c.fn
            result["contenders"][c.key] = row
        measured = ctx.timer.measure(timed) if timed else {}
    for key, (times, host) in measured.items():
        summary = metrics.summarize(times)
        host_median = metrics.summarize(host).median
        row = result["contenders"][key]
        row.update({"times_ms": [round(t, 6) for t in times],
                    "median_ms": summary.median, "p10_ms": summary.p10, "p90_ms": summary.p90,
                    "min_ms": summary.min, "max_ms": summary.max, "mean_ms": summary.mean,
                    "stdev_ms": summary.stdev, "runs": summary.count,
                    "host_enqueue_us": host_median,
                    "host_bound": host_median > ctx.timer.prelude_us})
        row.update(metrics.achieved(summary.median, entry["hbm_bytes"], entry["matmul_flops"],
                                    ctx.peak))
    baselines = {k: r for k, r in result["contenders"].items()
                 if k != "mirage" and r.get("status") == "ok" and "median_ms" in r}
    if baselines:
        best = min(baselines, key=lambda k: baselines[k]["median_ms"])
        result["best_baseline"] = best
        mirage = result["contenders"].get("mirage", {})
        if "median_ms" in mirage:
            result["speedup"] = baselines[best]["median_ms"] / mirage["median_ms"]
    result["compute_bound"] = (metrics.is_compute_bound(entry["hbm_bytes"], entry["matmul_flops"],
                                                        ctx.peak) if ctx.peak else None)
    if ctx.dry_run:
        result["status"] = "dry run"
        return result
    result["status"] = ("ok" if result["contenders"].get("mirage", {}).get("status") == "ok"
                        else "mirage " + result["contenders"].get("mirage", {}).get("status", "not run"))
    return result


def results_path(results_dir, device_name, dry_run):
    slug = metrics.device_slug(device_name) if not dry_run else "cpu-dry-run"
    return os.path.join(results_dir, slug + ".json")


def run_gpu(options, harness_dir, results_dir, log=print):
    """Runs the GPU side; returns (exit status, path of the results JSON or None).
    Raises Skip when it cannot run here."""
    if options.dry_run_cpu:
        # Triton kernels run in Triton's interpreter on the CPU; the variable
        # is read when triton is first imported.
        os.environ.setdefault("TRITON_INTERPRET", "1")
    torch = detect_torch(options.dry_run_cpu)
    try:
        import numpy  # noqa: F401
    except ImportError:
        raise SetupError(f"NumPy is not installed for {sys.executable}; the GPU side needs it "
                         "(inputs, .npy references)")
    ctx = Context(torch, options, harness_dir, log, options.dry_run_cpu)
    if ctx.peak is None and not ctx.dry_run:
        log(f"  note: no datasheet peaks for '{ctx.device_name}'; fractions of the peak are left "
            "out (give --peak-bandwidth / --peak-tflops)")
    env = ctx.environment()
    log(f"GPU side on {ctx.device_name}, packages for {ctx.target} from {harness_dir}")
    log(f"  {env['method']}")
    path = results_path(results_dir, ctx.device_name, ctx.dry_run)
    os.makedirs(results_dir, exist_ok=True)
    data = {"format": "mirage-benchmark-results", "version": 1, "programs": {}}
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            old = json.load(f)
        if old.get("format") == data["format"] and old.get("environment", {}).get("target") == ctx.target:
            data = old
    data["environment"] = env
    data["compile_host"] = ctx.index["targets"][ctx.target].get("host")
    data["dry_run"] = ctx.dry_run
    status = 0
    names = options.programs or [n for n in compile_side.PROGRAM_NAMES if n in ctx.index["programs"]]
    for name in names:
        log(f"  {name}:")
        try:
            result = bench_program(ctx, name)
        except Exception as error:
            traceback.print_exc()
            result = {"program": name, "status": f"harness error: {type(error).__name__}: {error}"}
        result["method"] = env["method"]
        result["date"] = env["date"]
        data["programs"][name] = result
        for key, row in result.get("contenders", {}).items():
            if "median_ms" in row:
                log(f"    {row['label']:34s} {row['median_ms'] * 1e3:10.2f} µs median "
                    f"(p10 {row['p10_ms'] * 1e3:.2f}, p90 {row['p90_ms'] * 1e3:.2f}), "
                    f"max rel. error {row['max_rel_error']:.1e}"
                    + ("  [host-bound]" if row.get("host_bound") else ""))
        if "speedup" in result:
            log(f"    speedup of Mirage over the best baseline "
                f"({LABELS[result['best_baseline']]}): {result['speedup']:.2f}x")
        if result["status"] not in ("ok", "dry run"):
            status = 1
            log(f"    {result['status']}")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1, sort_keys=True)
            f.write("\n")
    return status, path
