"""Decoding of query/ec2 request parameters (``Foo.member.1.Bar=x``) into shaped params.

The flat form parameters are first folded into a tree keyed by the dot-separated name parts, then
the input shape is walked over that tree. Naming differs between the two protocols:

* query: a member is its ``locationName`` or its name; lists are ``Name.member.N`` (or
  ``Name.<member locationName>.N``), flattened lists ``Name.N`` (the list member's ``locationName``
  replaces ``Name`` when set); maps ``Name.entry.N.key/value``, flattened ``Name.N.key/value``.
* ec2: a member is its ``queryName``, else its capitalised ``locationName``, else its name; every
  list is ``Name.N``.

Older SQS query clients used ``locationName``s the current models dropped (``Attribute.N.Name``,
``SendMessageBatchRequestEntry.N.Id``); for flattened collections without a ``locationName`` the
query decoder also accepts the singular member name or the item shape name and ``Name``/``Key``/
``Value`` entry names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

from pycloud.protocol import timestamps
from pycloud.protocol.errors import ServiceError
from pycloud.protocol.model import ServiceModel
from pycloud.protocol.shapes import (
    FLOAT_TYPES,
    INTEGER_TYPES,
    b64decode,
    is_flattened,
    parse_bool_text,
    parse_float_text,
    parse_int_text,
)

Node = dict[Any, Any]
"""A tree node: child name → Node; the key ``None`` holds the parameter's own value."""

InvalidValue = Callable[[str, str, str], ServiceError]
"""Builds the protocol's error for (parameter name, raw value, shape type)."""


def form_pairs(body: bytes, query: dict[str, list[str]]) -> list[tuple[str, str]]:
    """All request parameters: the query string's, then the form body's.

    Raises ValueError when the body is not UTF-8.
    """
    pairs = [(name, value) for name, values in query.items() for value in values]
    if body:
        pairs.extend(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    return pairs


def build_tree(pairs: Iterable[tuple[str, str]]) -> Node:
    """Fold ``A.b.1=x`` style parameters into a nested dict (later values win)."""
    root: Node = {}
    for name, value in pairs:
        node = root
        for part in name.split("."):
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            node = child
        node[None] = value
    return root


def _indexed(node: Node) -> list[Node]:
    """Children of ``node`` named by positive integers, in index order."""
    numbered = [(int(key), child) for key, child in node.items() if isinstance(key, str) and key.isdigit()]
    numbered.sort(key=lambda pair: pair[0])
    return [child for index, child in numbered if index > 0]


def _singular(name: str) -> str:
    if name.endswith("ies"):
        return name[:-3] + "y"
    if name.endswith("sses") or name.endswith("xes"):
        return name[:-2]
    if name.endswith("s") and not name.endswith("ss"):
        return name[:-1]
    return name


class QueryDecoder:
    """Walks an input shape over a parameter tree for the query (``ec2=False``) or ec2 protocol."""

    def __init__(self, service: ServiceModel, invalid: InvalidValue, ec2: bool = False) -> None:
        self.service = service
        self.invalid = invalid
        self.ec2 = ec2

    def decode(self, shape: dict[str, Any], tree: Node) -> dict[str, Any]:
        """The params of input ``shape`` found in ``tree``."""
        return self._structure(shape, tree, "")

    # -- naming ---------------------------------------------------------------------------------

    def _member_names(self, name: str, ref: dict[str, Any], shape: dict[str, Any]) -> list[str]:
        if self.ec2:
            if "queryName" in ref:
                return [ref["queryName"]]
            loc = ref.get("locationName")
            return [loc[:1].upper() + loc[1:]] if loc else [name]
        names = [ref.get("locationName") or name]
        if shape["type"] in ("list", "map") and is_flattened(ref, shape):
            member_loc = shape["member"].get("locationName") if shape["type"] == "list" else None
            if member_loc:
                names = [member_loc]
            elif "locationName" not in ref:
                names.append(_singular(name))
                if shape["type"] == "list":
                    names.append(shape["member"]["shape"])
        return names

    def _entry_name(self, ref: dict[str, Any], default: str, legacy: tuple[str, ...]) -> list[str]:
        loc = ref.get("locationName")
        if loc:
            return [loc[:1].upper() + loc[1:]] if self.ec2 else [loc]
        return [default] if self.ec2 else [default, *legacy]

    # -- walking --------------------------------------------------------------------------------

    def _structure(self, shape: dict[str, Any], node: Node, path: str) -> dict[str, Any]:
        result: dict[str, Any] = {}
        shapes = self.service.shapes
        for name, ref in shape.get("members", {}).items():
            member_shape = shapes[ref["shape"]]
            for wire_name in self._member_names(name, ref, member_shape):
                child = node.get(wire_name)
                if child is not None:
                    result[name] = self._value(ref, member_shape, child, f"{path}{wire_name}")
                    break
        return result

    def _value(self, ref: dict[str, Any], shape: dict[str, Any], node: Node, path: str) -> Any:
        kind = shape["type"]
        if kind == "structure":
            return self._structure(shape, node, path + ".")
        if kind == "list":
            return self._list(ref, shape, node, path)
        if kind == "map":
            return self._map(ref, shape, node, path)
        raw = node.get(None)
        if raw is None:
            # A scalar sent only with sub-keys (``Foo.bar=1`` for a string ``Foo``) is not a value.
            raise self.invalid(path, "", kind)
        return self._scalar(ref, shape, raw, path)

    def _list(self, ref: dict[str, Any], shape: dict[str, Any], node: Node, path: str) -> list[Any]:
        member_ref = shape["member"]
        member_shape = self.service.shapes[member_ref["shape"]]
        if self.ec2 or is_flattened(ref, shape):
            container = node
            item_path = path
        else:
            item_name = member_ref.get("locationName") or "member"
            container = node.get(item_name) or {}
            item_path = f"{path}.{item_name}"
        items = _indexed(container)
        return [self._value(member_ref, member_shape, item, f"{item_path}.{i}") for i, item in enumerate(items, 1)]

    def _map(self, ref: dict[str, Any], shape: dict[str, Any], node: Node, path: str) -> dict[Any, Any]:
        shapes = self.service.shapes
        key_ref, value_ref = shape["key"], shape["value"]
        key_shape, value_shape = shapes[key_ref["shape"]], shapes[value_ref["shape"]]
        key_names = self._entry_name(key_ref, "key", ("Name", "Key"))
        value_names = self._entry_name(value_ref, "value", ("Value",))
        container = node if is_flattened(ref, shape) else node.get("entry") or {}
        result: dict[Any, Any] = {}
        for entry in _indexed(container):
            key_node = next((entry[n] for n in key_names if n in entry), None)
            value_node = next((entry[n] for n in value_names if n in entry), None)
            if key_node is None:
                continue
            key = self._value(key_ref, key_shape, key_node, path)
            result[key] = (
                None if value_node is None else self._value(value_ref, value_shape, value_node, f"{path}.{key}")
            )
        return result

    def _scalar(self, ref: dict[str, Any], shape: dict[str, Any], raw: str, path: str) -> Any:
        kind = shape["type"]
        try:
            if kind in ("string", "character"):
                return raw
            if kind in INTEGER_TYPES:
                return parse_int_text(raw, kind)
            if kind in FLOAT_TYPES:
                return parse_float_text(raw)
            if kind == "boolean":
                return parse_bool_text(raw)
            if kind == "blob":
                return b64decode(raw)
            if kind == "timestamp":
                fmt = ref.get("timestampFormat") or shape.get("timestampFormat") or "iso8601"
                return timestamps.parse_timestamp(raw, fmt)
        except (ValueError, ServiceError) as exc:
            raise self.invalid(path, raw, kind) from exc
        return raw
