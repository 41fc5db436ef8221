"""botocore service models, loaded lazily per service and kept in a compact form.

botocore is never imported here: importing it costs ~90 ms of start-up. The model files are read
straight from botocore's data directory, documentation is stripped, and the result is cached in
memory (and on disk, keyed by botocore's version, so later processes skip the JSON parse).

Shapes stay in botocore's JSON form (``{"type": "structure", "members": {...}}``), which every
parser and serializer walks directly.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import marshal
import os
import re
import threading
from functools import cached_property
from pathlib import Path
from typing import Any

_DROP_KEYS = ("documentation", "documentationUrl", "examples", "deprecatedMessage")
_lock = threading.Lock()
_models: dict[str, ServiceModel] = {}


def botocore_data_dir() -> Path:
    """botocore's ``data`` directory, found without importing botocore."""
    spec = importlib.util.find_spec("botocore")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("botocore is not installed")
    return Path(list(spec.submodule_search_locations)[0]) / "data"


def botocore_version() -> str:
    """botocore's version string, read from its source without importing it."""
    init = botocore_data_dir().parent / "__init__.py"
    match = re.search(r"__version__\s*=\s*['\"]([^'\"]+)", init.read_text())
    return match.group(1) if match else "unknown"


def _cache_dir() -> Path:
    base = os.environ.get("PYCLOUD_MODEL_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "pycloud", "models"
    )
    return Path(base) / botocore_version()


def _strip(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip(v) for k, v in node.items() if k not in _DROP_KEYS}
    if isinstance(node, list):
        return [_strip(v) for v in node]
    return node


def _latest_model_file(service: str) -> Path:
    service_dir = botocore_data_dir() / service
    if not service_dir.is_dir():
        raise KeyError(service)
    for version in sorted((p.name for p in service_dir.iterdir() if p.is_dir()), reverse=True):
        for name in ("service-2.json.gz", "service-2.json"):
            candidate = service_dir / version / name
            if candidate.exists():
                return candidate
    raise KeyError(service)


def _read_model(service: str) -> dict[str, Any]:
    cache_file = _cache_dir() / f"{service}.marshal"
    try:
        with open(cache_file, "rb") as fh:
            return marshal.load(fh)
    except (OSError, EOFError, ValueError, TypeError):
        pass
    path = _latest_model_file(service)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as fh:
        raw = json.load(fh)
    model = _strip(raw)
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache_file.with_suffix(f".{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            marshal.dump(model, fh)
        os.replace(tmp, cache_file)
    except OSError:
        pass  # a read-only home is fine: the in-memory copy is enough
    return model


class ServiceModel:
    """One AWS service's API model: metadata, operations and shapes (botocore JSON form)."""

    def __init__(self, name: str, raw: dict[str, Any]) -> None:
        self.name = name
        self.metadata: dict[str, Any] = raw["metadata"]
        self.operations: dict[str, dict[str, Any]] = raw["operations"]
        self.shapes: dict[str, dict[str, Any]] = raw["shapes"]
        self.codecs: dict[Any, Any] = {}
        """Per-shape compiled codecs, filled by the protocols on first use (see ``rpc_tree``)."""

    @property
    def protocol(self) -> str:
        """The protocol botocore picks by default for this service."""
        return self.metadata["protocol"]

    @property
    def protocols(self) -> list[str]:
        """Every protocol the service's clients may use (newest first)."""
        return self.metadata.get("protocols") or [self.metadata["protocol"]]

    @property
    def signing_name(self) -> str:
        return self.metadata.get("signingName") or self.metadata["endpointPrefix"]

    def operation(self, name: str) -> dict[str, Any]:
        """The operation's model; raises KeyError for unknown names."""
        return self.operations[name]

    def shape(self, name: str) -> dict[str, Any]:
        return self.shapes[name]

    def input_shape(self, operation: str) -> dict[str, Any] | None:
        ref = self.operations[operation].get("input")
        return self.shapes[ref["shape"]] if ref else None

    def output_shape(self, operation: str) -> dict[str, Any] | None:
        ref = self.operations[operation].get("output")
        return self.shapes[ref["shape"]] if ref else None

    @cached_property
    def error_shapes(self) -> dict[str, dict[str, Any]]:
        """Error shapes by the code clients see (``error.code`` when the model renames them)."""
        result: dict[str, dict[str, Any]] = {}
        for name, shape in self.shapes.items():
            if shape.get("exception"):
                code = (shape.get("error") or {}).get("code") or name
                result[code] = shape
        return result


def load_service_model(service: str) -> ServiceModel:
    """The model of a botocore service by its data-directory name (``s3``, ``dynamodb``...)."""
    model = _models.get(service)
    if model is not None:
        return model
    with _lock:
        model = _models.get(service)
        if model is None:
            model = ServiceModel(service, _read_model(service))
            _models[service] = model
    return model
