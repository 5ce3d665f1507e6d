"""Edits the cache entries in a directory (argv[1]) that mention argv[2]:
replaces the first occurrence of argv[3] by argv[4] in each. Fails if no
entry changed."""
import pathlib
import sys

directory, function, old, new = sys.argv[1:5]
changed = 0
for entry in sorted(pathlib.Path(directory).glob("*.mlir")):
    text = entry.read_text()
    if function in text and old in text:
        entry.write_text(text.replace(old, new, 1))
        changed += 1
if not changed:
    sys.exit(f"no cache entry in {directory} mentions both {function} and {old}")
