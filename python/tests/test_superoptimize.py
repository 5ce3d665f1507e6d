"""The superoptimizer from Python: a round trip on a small graph, the cache,
progress, Ctrl-C, and the warning when the input is kept."""

import os
import signal

import numpy as np
import pytest

import mirage as mi
from mirage import _mirage
from conftest import assert_close, stored


def rmsnorm_linear(dtype=mi.float16, rows=2, hidden=256, cols=512):
    graph = mi.new_kernel_graph("rmsnorm_linear")
    X = graph.new_input((rows, hidden), dtype=dtype)
    W = graph.new_input((hidden, cols), dtype=dtype)
    graph.mark_output(graph.matmul(graph.rms_norm(X, [hidden]), W))
    return graph


def rmsnorm_linear_inputs(dtype=mi.float16, rows=2, hidden=256, cols=512):
    rng = np.random.default_rng(3)
    return [rng.uniform(-1, 1, size=(rows, hidden)).astype(dtype.numpy_dtype),
            rng.uniform(-0.1, 0.1, size=(hidden, cols)).astype(dtype.numpy_dtype)]


def rmsnorm_linear_reference(x, w, dtype):
    xs, ws = stored(x, dtype), stored(w, dtype)
    return xs / np.sqrt(np.mean(xs * xs, axis=1, keepdims=True)) @ ws


def test_round_trip(tmp_path):
    graph = rmsnorm_linear()
    optimized = graph.superoptimize(cache_dir=tmp_path, threads=2, seed=1)
    assert optimized is not graph
    text = optimized.to_mlir()
    # One graph-defined kernel: RMSNorm and the matmul fused (the fusion the
    # Mirage paper reports for RMSNorm + Linear).
    assert text.count("mirage.graph_kernel") == 1
    assert "mirage.input_iterator" in text and "mirage.output_saver" in text
    report = optimized.superoptimize_report
    assert "1 kernel(s) instead of 2" in report and "verified by" in report
    # Same signature, and the same values as NumPy.
    assert [t.shape for t in optimized.inputs] == [(2, 256), (256, 512)]
    assert [t.shape for t in optimized.outputs] == [(2, 512)]
    x, w = rmsnorm_linear_inputs()
    (out,) = optimized(inputs=[x, w])
    assert_close(out, rmsnorm_linear_reference(x, w, mi.float16), mi.float16, rtol=1e-2)
    # The input graph is unchanged.
    assert "graph_kernel" not in graph.to_mlir()


def test_cache(tmp_path):
    first = rmsnorm_linear().superoptimize(cache_dir=tmp_path)
    assert list(tmp_path.glob("*.mlir")), "the result was not cached"
    second = rmsnorm_linear().superoptimize(cache_dir=tmp_path)
    assert "reused the μGraph cached in" in second.superoptimize_report
    assert second.to_mlir() == first.to_mlir()


def test_nothing_to_gain_keeps_the_input(tmp_path):
    graph = mi.new_kernel_graph()
    A = graph.new_input((64, 64))
    B = graph.new_input((64, 64))
    graph.mark_output(graph.matmul(A, B))
    optimized = graph.superoptimize(cache_dir=False)
    assert "no μGraph beats the input" in optimized.superoptimize_report
    assert "mirage.matmul" in optimized.to_mlir()


def test_budget_ran_out_warns():
    graph = rmsnorm_linear()
    with pytest.warns(mi.SuperoptimizeWarning, match="time budget of 0.0 s ran out"):
        optimized = graph.superoptimize(time_budget=0, cache_dir=False)
    x, w = rmsnorm_linear_inputs()
    (out,) = optimized([x, w])
    assert_close(out, rmsnorm_linear_reference(x, w, mi.float16), mi.float16, rtol=1e-2)


def test_progress_and_verbose(capsys):
    rmsnorm_linear().superoptimize(cache_dir=False, progress=True, verbose=True)
    err = capsys.readouterr().err
    assert "mirage: superoptimizing @rmsnorm_linear:" in err
    assert "candidates" in err and "best" in err
    assert "mirage: remark: mirage-superoptimize: @rmsnorm_linear: 1 kernel(s)" in err


def test_no_progress_on_short_searches(capsys):
    rmsnorm_linear().superoptimize(cache_dir=False)
    assert capsys.readouterr().err == ""


def qknorm_graph():
    """benchmarks/qknorm.mlir: its search takes about 10 s on 2 cores."""
    graph = mi.new_kernel_graph("qknorm")
    Q = graph.new_input((2, 256, 64))
    K = graph.new_input((2, 64, 4096))
    V = graph.new_input((2, 4096, 64))
    S = graph.matmul(graph.rms_norm(Q, [64]), K)
    E = graph.exp(S)
    P = graph.div(E, graph.reduction(E, 2))
    graph.mark_output(graph.matmul(P, graph.rms_norm(V, [64])))
    return graph


class _InterruptingJob:
    """A superoptimizer job that sends this process a real SIGINT (Ctrl-C) at
    the first poll that finds the search in its kernel stage, and again at
    each later poll while `presses` lasts: a Ctrl-C at a known point of the
    run, not after a delay."""

    def __init__(self, job, presses):
        self._job = job
        self._presses = presses
        self._searching = False

    def wait(self, seconds):
        if self._presses and (self._searching or
                              self._job.progress()["stage"] == "searching kernels"):
            self._searching = True
            self._presses -= 1
            os.kill(os.getpid(), signal.SIGINT)
        return self._job.wait(seconds)

    def __getattr__(self, name):
        return getattr(self._job, name)


@pytest.fixture
def ctrl_c(monkeypatch):
    """Makes superoptimize() runs get Ctrl-C `presses` times (the fixture's
    value is a function setting it). SIGINT raises KeyboardInterrupt during
    the test even when the process started with it ignored (a background job
    of a non-interactive shell)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    real_job = mi.graph._mirage.SuperoptimizeJob

    class Module:
        def __getattr__(self, name):
            return getattr(_mirage, name)

    def press(times):
        module = Module()
        module.SuperoptimizeJob = lambda *args: _InterruptingJob(real_job(*args), times)
        monkeypatch.setattr(mi.graph, "_mirage", module)

    try:
        yield press
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.fixture(scope="module")
def os_threads():
    """A function counting this process's OS threads, after a run that has
    started the process-wide thread pools (LLVM's parallel executor), which
    live as long as the process: any thread beyond that count is one a run
    left behind."""
    qknorm_graph().superoptimize(time_budget=1, cache_dir=False)
    return lambda: len(os.listdir("/proc/self/task"))


def test_ctrl_c_returns_the_best_so_far(capsys, ctrl_c, os_threads):
    """One Ctrl-C stops the search; the best μGraph found so far is verified
    and returned, not cached, and no thread of the run is left behind."""
    threads = os_threads()
    ctrl_c(1)
    optimized = qknorm_graph().superoptimize(time_budget=120, cache_dir=False)
    assert "the search was interrupted" in optimized.superoptimize_report
    assert "interrupted: verifying the best μGraph found so far" in capsys.readouterr().err
    assert os_threads() <= threads
    rng = np.random.default_rng(5)
    # Small keys, so that the sum of 4096 exponentials stays within fp16.
    q, k, v = (rng.uniform(-r, r, size=s).astype(np.float16)
               for r, s in [(0.5, (2, 256, 64)), (0.05, (2, 64, 4096)),
                            (0.5, (2, 4096, 64))])
    (out,) = optimized([q, k, v])
    (ref,) = qknorm_graph()([q, k, v])
    assert_close(out, ref.astype(np.float64), mi.float16, rtol=2e-2)


def test_second_ctrl_c_aborts(capsys, ctrl_c, os_threads):
    """A second Ctrl-C stops the verification too: superoptimize() raises
    KeyboardInterrupt, and no thread of the run is left behind."""
    threads = os_threads()
    ctrl_c(2)
    with pytest.raises(KeyboardInterrupt):
        qknorm_graph().superoptimize(time_budget=120, cache_dir=False)
    assert "mirage: aborted" in capsys.readouterr().err
    assert os_threads() <= threads


def test_nan_time_budget_is_an_error():
    with pytest.raises(mi.GraphError, match="time_budget must be >= 0"):
        rmsnorm_linear().superoptimize(time_budget=float("nan"), cache_dir=False)


def test_verify_memory_limit():
    """With no memory for verification nothing can be verified: the input is
    kept with a warning that says so; with a little, the same graph as with
    plenty (tested in pieces)."""
    with pytest.warns(mi.SuperoptimizeWarning, match="within the memory limit"):
        kept = rmsnorm_linear().superoptimize(cache_dir=False, verify_memory_limit=0)
    assert "graph_kernel" not in kept.to_mlir()
    small = rmsnorm_linear(rows=8, hidden=1024, cols=4096).superoptimize(
        cache_dir=False, verify_memory_limit=16)
    large = rmsnorm_linear(rows=8, hidden=1024, cols=4096).superoptimize(
        cache_dir=False)
    assert "evaluated in" in small.superoptimize_report
    assert small.to_mlir() == large.to_mlir()
