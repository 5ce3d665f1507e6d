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
