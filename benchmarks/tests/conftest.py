"""Shared fixtures of the harness's tests: where the tools are, and the
compile side run once (rmsnorm and lora, sm_90a) into a temporary directory."""

import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
BENCHMARKS = os.path.dirname(HERE)
ROOT = os.path.dirname(BENCHMARKS)
sys.path.insert(0, BENCHMARKS)

TOOLS = os.environ.get("MIRAGE_TOOLS_DIR", os.path.join(ROOT, "build", "bin"))
RUN_PY = os.path.join(BENCHMARKS, "run.py")


def have_tools():
    return all(os.access(os.path.join(TOOLS, t), os.X_OK) for t in ("mirage-opt", "mirage-run"))


@pytest.fixture(scope="session")
def tools():
    if not have_tools():
        pytest.skip(f"mirage-opt / mirage-run not built in {TOOLS}")
    return TOOLS


@pytest.fixture(scope="session")
def compiled(tmp_path_factory, tools):
    """`run.py all rmsnorm lora --targets sm_90a` into a temporary directory:
    (harness dir, results dir, completed process)."""
    work = tmp_path_factory.mktemp("harness")
    harness_dir, results = work / "harness", work / "results"
    proc = subprocess.run(
        [sys.executable, RUN_PY, "all", "rmsnorm", "lora", "--targets", "sm_90a",
         "--build", os.path.dirname(tools), "--harness-dir", str(harness_dir),
         "--results", str(results)],
        capture_output=True, text=True, timeout=600)
    return harness_dir, results, proc


def torch_or_skip():
    return pytest.importorskip("torch", reason="PyTorch is not installed (GPU-side baselines)")
