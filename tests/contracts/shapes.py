"""Compare an answer's shape (keys and JSON types) with a contract fixture's, so an emulator can
be checked against the published examples without comparing values."""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float | Decimal):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def shape_differences(
    expected: Any, actual: Any, *, ignore: Iterable[str] = (), path: str = "$"
) -> list[str]:
    """Every place where ``actual`` lacks a key of ``expected`` or holds another JSON type.

    ``null`` on either side matches any type (the specs mark most fields nullable); arrays are
    compared item by item against the fixture's first item; keys only ``actual`` has are fine.
    ``ignore`` lists paths (``$.data.consents``, array indexes written ``[]``) not compared, with
    everything under them.
    """
    skipped = tuple(ignore)
    return [
        found
        for found in _differences(expected, actual, path)
        if not any(_generic(found).startswith(prefix) for prefix in skipped)
    ]


def _generic(found: str) -> str:
    return re.sub(r"\[\d+\]", "[]", found.split(":", 1)[0])


def _differences(expected: Any, actual: Any, path: str) -> list[str]:
    if expected is None or actual is None:
        return []
    if json_type(expected) != json_type(actual):
        return [f"{path}: expected {json_type(expected)}, got {json_type(actual)}"]
    if isinstance(expected, dict):
        found: list[str] = []
        for key, value in expected.items():
            if key not in actual:
                found.append(f"{path}.{key}: missing")
            else:
                found += _differences(value, actual[key], f"{path}.{key}")
        return found
    if isinstance(expected, list) and expected:
        found = []
        for index, item in enumerate(actual):
            found += _differences(expected[0], item, f"{path}[{index}]")
        return found
    return []
