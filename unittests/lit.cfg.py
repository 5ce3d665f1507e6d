# -*- Python -*-
# lit configuration of the Mirage GoogleTest unit tests: every executable named
# *Tests under build/unittests is a test suite.

import os

import lit.formats

config.name = "MIRAGE-Unit"
config.suffixes = []
config.test_exec_root = os.path.join(config.mirage_obj_root, "unittests")
config.test_source_root = config.test_exec_root
config.test_format = lit.formats.GoogleTest(".", "Tests")

# The sanitizers' options, for a MIRAGE_ENABLE_SANITIZERS build
# (scripts/sanitize.sh); lit passes them through itself, this repeats it for
# lit versions that do not.
for var in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS",
            "ASAN_SYMBOLIZER_PATH"):
    if var in os.environ:
        config.environment[var] = os.environ[var]
