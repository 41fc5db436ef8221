"""Build script for the native core, ``pycloud._core`` (metadata lives in pyproject.toml).

Compiles every ``csrc/**/*.cc`` except the ``*_test.cc`` native unit tests into one pybind11
extension. ``PYCLOUD_SANITIZE=1`` builds it with AddressSanitizer and UBSan (load it with
``LD_PRELOAD=$(g++ -print-file-name=libasan.so)`` since Python itself is not instrumented).
No system libraries are needed: the hashers carry their own implementations.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from pybind11.setup_helpers import ParallelCompile, Pybind11Extension, build_ext
from setuptools import setup

ROOT = Path(__file__).resolve().parent
CSRC = ROOT / "csrc"


def native_sources() -> list[str]:
    """All C++ sources of the extension, relative to the project root, in a stable order."""
    return sorted(str(path.relative_to(ROOT)) for path in CSRC.rglob("*.cc") if not path.name.endswith("_test.cc"))


def native_headers() -> list[str]:
    """Every header under csrc/: listed as dependencies so editing one triggers a rebuild."""
    return sorted(str(path.relative_to(ROOT)) for path in CSRC.rglob("*.h"))


def env_flag(name: str) -> bool:
    """True when the environment variable is set to a truthy value (1, true, yes, on)."""
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def compiler_flags() -> tuple[list[str], list[str]]:
    """Extra compile and link flags: -O2 with warnings, plus sanitizers when requested."""
    if sys.platform == "win32":
        return ["/O2", "/W3"], []
    compile_args = ["-O2", "-Wall", "-Wextra"]
    link_args: list[str] = []
    if env_flag("PYCLOUD_SANITIZE"):
        sanitize = ["-fsanitize=address,undefined", "-fno-omit-frame-pointer"]
        compile_args += [*sanitize, "-g"]
        link_args += sanitize
    return compile_args, link_args


# Compile the sources in parallel (NPY_NUM_BUILD_JOBS-style override: PYCLOUD_BUILD_JOBS).
ParallelCompile("PYCLOUD_BUILD_JOBS", default=0).install()

_compile_args, _link_args = compiler_flags()

ext_modules = [
    Pybind11Extension(
        "pycloud._core",
        native_sources(),
        include_dirs=[str(CSRC)],
        depends=native_headers(),
        cxx_std=17,
        extra_compile_args=_compile_args,
        extra_link_args=_link_args,
    ),
]

setup(ext_modules=ext_modules, cmdclass={"build_ext": build_ext})
