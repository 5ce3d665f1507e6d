# -*- Python -*-
# lit configuration of the Mirage regression tests (test/); the GoogleTest
# unit tests have their own in unittests/.

import os
import shutil
import subprocess

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "MIRAGE"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.mirage_obj_root, "test")
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "Inputs"]

llvm_config.use_default_substitutions()
config.substitutions.append(("%mirage_src_root", config.mirage_src_root))
config.substitutions.append(("%benchmarks", os.path.join(config.mirage_src_root, "benchmarks")))
# `%python` is lit's own (the Python running lit); tests that need NumPy use
# the project's environment.
config.substitutions.append(("%mirage_python", config.python_executable))
# MLIR's runtime support library for mlir-runner tests (vector.print).
config.substitutions.append(("%mlir_c_runner_utils", os.path.join(
    config.llvm_shlib_dir, "libmlir_c_runner_utils.so")))

llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.mirage_tools_dir, append_path=True)
tools = [ToolSubst("mirage-opt", unresolved="fatal"), ToolSubst("mirage-run", unresolved="fatal")]
llvm_config.add_tool_substitutions(tools, [config.mirage_tools_dir, config.llvm_tools_dir])
config.environment["MIRAGE_TOOLS_DIR"] = config.mirage_tools_dir

# Optional features.
def python_has(module):
    try:
        subprocess.run([config.python_executable, "-c", "import " + module],
                       check=True, capture_output=True)
        return True
    except (OSError, subprocess.CalledProcessError):
        return False

if python_has("numpy") and python_has("pytest"):
    config.available_features.add("numpy")
ptxas = shutil.which("ptxas") or (
    "/usr/local/cuda/bin/ptxas" if os.path.exists("/usr/local/cuda/bin/ptxas")
    else None)
if ptxas:
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", ptxas))
# scripts/tests/test-sh-exit-status.sh makes test/scripts/test-sh-canary.test
# fail through this, to check that scripts/test.sh then fails.
if "fail-lit" in os.environ.get("MIRAGE_TEST_CANARY", "").split(","):
    config.available_features.add("test-sh-canary-fail")
if os.path.exists("/dev/nvidia0") or os.path.exists("/dev/nvidiactl"):
    config.available_features.add("cuda")

# A MIRAGE_ENABLE_SANITIZERS build (scripts/sanitize.sh): `asan` and `ubsan`
# for tests that cannot run under them. The sanitizers' options reach the
# tools: lit passes the *SAN_OPTIONS variables through its scrubbed
# environment, and this repeats it for lit versions that do not.
if getattr(config, "mirage_sanitizers", False):
    config.available_features.update(["asan", "ubsan"])
for var in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS",
            "ASAN_SYMBOLIZER_PATH"):
    if var in os.environ:
        config.environment[var] = os.environ[var]
