#!/bin/sh
# A ptxas that rejects everything, for mirage-export-kernel-package.mlir.
echo "ptxas fatal   : simulated failure of $*" >&2
exit 1
