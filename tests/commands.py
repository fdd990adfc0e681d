"""Running digitpad's commands as a person runs them: in a subprocess, with this process's environment (which
the autouse fixtures point at temporary per-user folders) plus the changes a test asks for.

One place for what every command-line test did in its own copy: the interpreter, the captured text, the
timeout that turns a hang into a failure instead of a stuck suite.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the repository: importable from a subprocess run elsewhere


def environment(env: Mapping[str, str | None] | None = None, cwd=None) -> dict[str, str]:
    """os.environ as it is now, with `env` laid over it; a value of None removes that variable (no display, say).
    A command run from another folder (`cwd`) still imports this tree's code, not an installed copy."""
    result = dict(os.environ)
    if cwd is not None:
        result["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    for key, value in (env or {}).items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result


def run_python(*args: str, code: str, env=None, cwd=None, timeout: float = 120, **kwargs):
    """`python -c CODE ARGS...`: a probe that runs a command's entry point and checks something about it."""
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          env=environment(env, cwd), cwd=cwd, timeout=timeout, **kwargs)


def run_trainer(*args: str, code: str | None = None, env=None, cwd=None, timeout: float = 300, **kwargs):
    """`trainer ARGS...` (as `python -m trainer`), or a probe `code` given the same arguments."""
    command = ["-c", code] if code else ["-m", "trainer"]
    return subprocess.run([sys.executable, *command, *args], capture_output=True, text=True,
                          env=environment(env, cwd), cwd=cwd, timeout=timeout, **kwargs)


def run_digitpad(*args: str, env=None, cwd=None, timeout: float = 120, **kwargs):
    """`digitpad ARGS...` (as `python -m digitpad.app`)."""
    return subprocess.run([sys.executable, "-m", "digitpad.app", *args], capture_output=True, text=True,
                          env=environment(env, cwd), cwd=cwd, timeout=timeout, **kwargs)
