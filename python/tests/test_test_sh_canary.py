"""The pytest canary of scripts/tests/test-sh-exit-status.sh.

It passes, unless MIRAGE_TEST_CANARY contains ``fail-pytest``: the self-test
sets that to check that scripts/test.sh fails when a Python test fails.
"""

import os


def test_sh_canary():
    assert "fail-pytest" not in os.environ.get("MIRAGE_TEST_CANARY", "").split(","), (
        "failing on purpose: MIRAGE_TEST_CANARY asks for it")
