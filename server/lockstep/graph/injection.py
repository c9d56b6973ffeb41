"""Which run values a node or path function asks for, read from its signature.

As LangGraph 1.2: by parameter NAME (`config`, `writer`, `store`, `runtime`,
`previous`), keyword-passable, and only when the annotation is absent or one
LangGraph accepts for that name; never by position. So `lambda s, i=i: ...` keeps
its default and `def node(state, options=None)` gets None.
"""

from __future__ import annotations

import inspect
import re
import warnings
from collections.abc import Callable
from typing import Any

_KINDS = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
_ANY = None  # any annotation is accepted

# name -> the annotations (as normalised text, "" for none) under which it is injected
_ACCEPTED: dict[str, frozenset[str] | None] = {
    "config": frozenset(
        {"", "RunnableConfig", "Optional[RunnableConfig]", "RunnableConfig|None",
         "Union[RunnableConfig,None]", "Union[RunnableConfig,NoneType]"}
    ),
    "writer": frozenset({"", "StreamWriter", "Callable[[Any],None]", "Callable[[Any],NoneType]"}),
    "store": frozenset(
        {"", "BaseStore", "Optional[BaseStore]", "BaseStore|None",
         "Union[BaseStore,None]", "Union[BaseStore,NoneType]"}
    ),
    "runtime": _ANY,
    "previous": _ANY,
}
_QUALIFIER = re.compile(r"\b(?:[A-Za-z_][\w]*\.)+")


def wanted(fn: Callable[..., Any]) -> tuple[str, ...]:
    """The injectable names `fn` takes, in a fixed order; () for most nodes."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):  # builtins and the like: the state only
        return ()
    names = []
    for name, accepted in _ACCEPTED.items():
        param = params.get(name)
        if param is None or param.kind not in _KINDS:
            continue
        if accepted is not None and _text(param.annotation) not in accepted:
            if name == "config":
                warnings.warn(
                    f"{_label(fn)}: the 'config' parameter is annotated {param.annotation!r}, "
                    "so it is not passed the run's config; annotate it RunnableConfig "
                    "(or RunnableConfig | None), or leave it unannotated",
                    UserWarning,
                    stacklevel=4,
                )
            continue
        names.append(name)
    return tuple(names)


def _text(annotation: Any) -> str:
    """An annotation as comparable text: no module paths, no spaces."""
    if annotation is inspect.Parameter.empty:
        return ""
    if isinstance(annotation, str):
        text = annotation
    elif isinstance(annotation, type):
        text = annotation.__name__
    else:
        text = repr(annotation)
    return _QUALIFIER.sub("", text).replace(" ", "").replace("typing.", "")


def _label(fn: Callable[..., Any]) -> str:
    return getattr(fn, "__qualname__", None) or type(fn).__name__
