"""Refusing arguments Lockstep does not act on, instead of ignoring them.

Public functions take exactly LangGraph 1.2's parameters. One that Lockstep does
not implement yet, or does not mean to, is still declared (so a misspelt keyword
is Python's own TypeError), and refused here when given a non-default value.
"""

from __future__ import annotations

from typing import Any


def not_yet(where: str, **given: Any) -> None:
    """Refuse LangGraph parameters Lockstep will implement but does not yet.
    Each value is compared with its default: None, False, or an empty sequence."""
    for name, value in given.items():
        if value is not None and value is not False and value != () and value != []:
            raise NotImplementedError(
                f"{where}({name}=...) is not supported by Lockstep yet; "
                f"leave {name} out"
            )


def unsupported(where: str, **given: tuple[Any, str]) -> None:
    """Refuse LangGraph parameters Lockstep deliberately does without: each is
    (value, what to do instead); a value of None (or ()) is the default."""
    for name, (value, instead) in given.items():
        if value is not None and value != () and value != []:
            raise NotImplementedError(f"{where}({name}=...) is not supported by Lockstep: {instead}")
