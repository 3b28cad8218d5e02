"""Builds ember's optional C kernels (src/ember/backend/_kernels.c); the rest of the project
is configured in pyproject.toml. Without a C compiler the build skips them and ember runs
their NumPy twins."""

import sys

from setuptools import Extension, setup

# No fused multiply-add and no fast-math: the kernels must round exactly as NumPy does.
# -fno-math-errno only lets sqrtf vectorize (it never sets errno on the values Adam sees).
FLAGS = [] if sys.platform == "win32" else ["-O3", "-ffp-contract=off", "-fno-math-errno",
                                            "-std=c99"]

setup(ext_modules=[Extension("ember.backend._kernels", ["src/ember/backend/_kernels.c"],
                             extra_compile_args=FLAGS, optional=True)])
