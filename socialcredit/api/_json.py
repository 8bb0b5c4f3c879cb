"""The API's JSON response class."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import JSONResponse

__all__ = ["OrjsonResponse"]


class OrjsonResponse(JSONResponse):
    """JSON rendered with orjson (several times faster than the standard encoder)."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, default=str)
