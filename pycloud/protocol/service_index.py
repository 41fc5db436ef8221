"""Which botocore service a request is for, without loading every service model.

``service_index.json`` (shipped with the package) holds each service's routing metadata:
signing name, endpoint prefix, JSON target prefix and the protocols its clients may speak (a
query-compatible JSON service such as SQS also lists ``query``). Regenerate it after a botocore
upgrade with ``python -m pycloud.protocol.service_index``.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

INDEX_FILE = Path(__file__).with_name("service_index.json")


@lru_cache(maxsize=1)
def service_index() -> dict[str, dict[str, Any]]:
    """Routing metadata per service name (``{"s3": {"signing": "s3", ...}}``)."""
    with open(INDEX_FILE, encoding="utf-8") as fh:
        return json.load(fh)


@lru_cache(maxsize=1)
def by_target_prefix() -> dict[str, str]:
    """JSON/CBOR target prefix (``DynamoDB_20120810``) → service name."""
    return {meta["target"]: name for name, meta in service_index().items() if meta.get("target")}


@lru_cache(maxsize=1)
def by_signing_name() -> dict[str, list[str]]:
    """SigV4 signing name (``monitoring``) → service names that sign with it."""
    result: dict[str, list[str]] = {}
    for name, meta in service_index().items():
        result.setdefault(meta["signing"], []).append(name)
    return result


def _generate() -> dict[str, dict[str, Any]]:
    import gzip

    from pycloud.protocol.model import _latest_model_file, botocore_data_dir

    index: dict[str, dict[str, Any]] = {}
    for service_dir in sorted(botocore_data_dir().iterdir()):
        try:
            path = _latest_model_file(service_dir.name)
        except KeyError:
            continue
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as fh:
            meta = json.load(fh)["metadata"]
        protocols = list(meta.get("protocols") or [meta["protocol"]])
        if "awsQueryCompatible" in meta and "query" not in protocols:
            # Services that moved from query to JSON (SQS) still answer query clients (older SDKs).
            protocols.append("query")
        entry: dict[str, Any] = {
            "signing": meta.get("signingName") or meta["endpointPrefix"],
            "prefix": meta["endpointPrefix"],
            "protocols": protocols,
        }
        if meta.get("targetPrefix"):
            entry["target"] = meta["targetPrefix"]
        index[service_dir.name] = entry
    return index


if __name__ == "__main__":
    INDEX_FILE.write_text(json.dumps(_generate(), indent=0, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {INDEX_FILE}")
