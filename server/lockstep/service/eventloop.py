"""Which asyncio event loop the server runs on.

uvloop (libuv) runs asyncio's callbacks, futures and thread handoffs faster
than the standard loop: on the seed benchmark about a tenth more runs a second
and a third of a millisecond less per run. It is an optional dependency
(`pip install 'lockstep[uvloop]'`), used when installed unless told otherwise.
"""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Coroutine
from typing import Any

CHOICES = ("auto", "asyncio", "uvloop")


def chosen(loop: str = "auto") -> str:
    """The loop `loop` names: "auto" is uvloop if it is installed, else asyncio."""
    if loop not in CHOICES:
        raise ValueError(f"unknown event loop {loop!r}: use one of {', '.join(CHOICES)}")
    installed = importlib.util.find_spec("uvloop") is not None
    if loop == "uvloop" and not installed:
        raise ValueError("--loop uvloop: uvloop is not installed (pip install 'lockstep[uvloop]')")
    if loop == "auto":
        return "uvloop" if installed else "asyncio"
    return loop


def run(main: Coroutine[Any, Any, None], loop: str = "auto") -> None:
    """asyncio.run(main) on the chosen loop."""
    if chosen(loop) == "uvloop":
        import uvloop

        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(main)
    else:
        asyncio.run(main)
