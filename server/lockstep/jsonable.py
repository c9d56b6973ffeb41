"""Values as JSON-shaped data: graph values leaving the engine for the wire, and SDK
results the CLI prints."""

from __future__ import annotations

import base64
import dataclasses
import datetime
import math
from typing import Any

from lockstep.types import Interrupt


def jsonable(value: Any) -> Any:
    """A JSON-shaped copy of what graph code produced (tuples, dataclasses, objects)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, Interrupt):
        return {"value": jsonable(value.value), "id": value.id}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if hasattr(value, "model_dump"):
        return jsonable(value.model_dump())
    return repr(value)
