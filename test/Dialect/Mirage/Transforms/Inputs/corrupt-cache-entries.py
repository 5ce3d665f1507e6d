"""Overwrites every cache entry in a directory (argv[1]) with argv[2]."""
import pathlib
import sys

entries = sorted(pathlib.Path(sys.argv[1]).glob("*.mlir"))
if not entries:
    sys.exit(f"no cache entries in {sys.argv[1]}")
for entry in entries:
    entry.write_text(sys.argv[2])
