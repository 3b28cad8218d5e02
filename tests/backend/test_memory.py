"""The malloc settings that let large arrays be reused between training steps."""

import subprocess
import sys

import pytest

CODE = "import ember.backend._memory as m; print(m.keep_large_blocks())"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt is Linux-only")
def test_applied_on_import_and_opt_out():
    on = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, check=True)
    off = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, check=True,
                         env={"EMBER_KEEP_MEMORY": "0", "PATH": ""})
    assert on.stdout.strip() in ("True", "False")  # False only on a libc without mallopt
    assert off.stdout.strip() == "False"


def test_openblas_timeout_default_respects_the_users_setting():
    code = "import os, ember.backend; print(os.environ['OPENBLAS_THREAD_TIMEOUT'])"
    mine = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, env={"OPENBLAS_THREAD_TIMEOUT": "9", "PATH": ""})
    assert mine.stdout.strip() == "9"
