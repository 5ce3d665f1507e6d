"""The ctypes bindings against the real libMirageRuntime.so: it loads, and
without a driver every entry point reports the runtime's own error."""

import glob
import os

import pytest

from conftest import ROOT, TOOLS
from harness import runtime

LIB = os.path.join(os.path.dirname(TOOLS), "lib", "libMirageRuntime.so")


@pytest.fixture
def lib():
    if not os.path.exists(LIB):
        pytest.skip(f"{LIB} not built (no cuda.h at configure time)")
    with open(LIB, "rb") as f:
        if b"libasan.so" in f.read():
            # A MIRAGE_ENABLE_SANITIZERS build (scripts/sanitize.sh): ASan's
            # runtime must be the first library of the process, so this
            # Python cannot load the library; its unit tests run it instead.
            pytest.skip(f"{LIB} is built with AddressSanitizer")
    return runtime.Runtime(LIB)


def test_no_driver_error(lib):
    if glob.glob("/dev/nvidia*"):
        pytest.skip("a GPU driver is present")
    with pytest.raises(runtime.MirageRtError) as error:
        lib.device_count()
    assert error.value.status == 2
    assert "MIRAGE_RT_ERROR_NO_DRIVER: cannot load the CUDA driver: libcuda.so.1" in str(error.value)
    with pytest.raises(runtime.MirageRtError):
        lib.open_device(0)


def test_library_search_order(monkeypatch, tmp_path):
    monkeypatch.setenv("MIRAGE_RUNTIME_LIB", "/nowhere/libMirageRuntime.so")
    paths = runtime.candidate_paths(ROOT)
    assert paths[0] == "/nowhere/libMirageRuntime.so"
    assert paths[1:] == [os.path.join(ROOT, b, "lib", "libMirageRuntime.so")
                         for b in ("build/rt", "build-rt", "build")]
    monkeypatch.delenv("MIRAGE_RUNTIME_LIB")
    assert runtime.find_library(str(tmp_path)) is None
