"""The workload registry: ``WORKLOADS`` maps a name to its class, filled by ``@register``.

Adding a workload (DynamoDB PutItem, say) is one small ``Workload`` subclass decorated with
``@register`` in a module imported below.
"""

from __future__ import annotations

from pycloud.bench.workloads.base import Option, SpecError, Workload, parse_mix, parse_size, parse_sizes

WORKLOADS: dict[str, type[Workload]] = {}


def register(cls: type[Workload]) -> type[Workload]:
    """Class decorator adding a workload to ``WORKLOADS`` under its ``name``."""
    if not cls.name or cls.name in WORKLOADS:
        raise ValueError(f"workload name {cls.name!r} is empty or already registered")
    WORKLOADS[cls.name] = cls
    return cls


def all_options() -> dict[str, Option]:
    """Every workload option by name (one flag per name, shared by the workloads that declare it)."""
    out: dict[str, Option] = {}
    for cls in WORKLOADS.values():
        for option in cls.options:
            out.setdefault(option.name, option)
    return out


from pycloud.bench.workloads import http, s3, sqs  # noqa: E402,F401 - registers the workloads

__all__ = ["WORKLOADS", "Option", "SpecError", "Workload", "all_options", "parse_mix", "parse_size",
           "parse_sizes", "register"]
