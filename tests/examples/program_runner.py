"""What the Keras-guide and TensorFlow-tutorial tests share: running a program in a subprocess,
the strict-xfail parameters of programs that fail on ember at a known line, and the check that a
program imports only what its users swap."""

import ast
import subprocess
import time

import pytest


def failing_line(folder, name, xfail):
    """The 1-based number of the line that ``xfail[name]`` expects ``name``.py to fail at."""
    lines = (folder / f"{name}.py").read_text().splitlines()
    return lines.index(xfail[name][0]) + 1


def program_params(folder, names, xfail):
    """pytest params for ``names``; those in ``xfail`` are strict xfails naming their line."""
    params = []
    for name in sorted(names):
        marks = []
        if name in xfail:
            why = f"fails at {name}.py:{failing_line(folder, name, xfail)}: {xfail[name][1]}"
            marks.append(pytest.mark.xfail(strict=True, raises=AssertionError, reason=why))
        params.append(pytest.param(name, marks=marks, id=name))
    return params


def run(argv, env, cwd, limit):
    """``(completed process, seconds)`` of ``argv`` run with a time limit."""
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=limit)
    return proc, time.perf_counter() - start


def assert_only_swappable_imports(path, swaps, others, users):
    """Every import of ``path`` is one of ``swaps`` (the lines ``users`` change) or imports
    only modules in ``others``."""
    source = path.read_text()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            line = ast.get_source_segment(source, node)
            modules = ([a.name for a in node.names] if isinstance(node, ast.Import)
                       else [node.module])
            assert line in swaps or set(modules) <= others, (
                f"{path.name}: {line!r} is not one of the imports that {users} users swap")
    return source
