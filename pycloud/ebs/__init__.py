"""EBS block access outside the AWS API: the shared data plane (``runtime.py``), the NBD server and
the Python API for tests (``open_volume``)."""

from __future__ import annotations

from typing import Any

__all__ = ["Volume", "open_volume"]


def __getattr__(name: str) -> Any:
    # lazily: EC2 imports pycloud.ebs.runtime on its first request and needs none of the client side
    if name in __all__:
        from pycloud.ebs import api

        return getattr(api, name)
    raise AttributeError(f"module 'pycloud.ebs' has no attribute {name!r}")
