"""batch, abatch and with_config on a compiled graph, as LangChain's Runnable has them."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

# The keys a run config may have (LangChain's RunnableConfig): with_config takes them
# as keywords.
CONFIG_KEYS = frozenset(
    {"tags", "metadata", "callbacks", "run_name", "max_concurrency", "recursion_limit",
     "configurable", "run_id"}
)


def config_of(config: dict[str, Any] | None, kwargs: dict[str, Any]) -> dict[str, Any]:
    """`config` with the keyword config keys added; an unknown keyword is a TypeError."""
    unknown = sorted(set(kwargs) - CONFIG_KEYS)
    if unknown:
        raise TypeError(
            f"with_config() got an unexpected keyword argument {unknown[0]!r}; "
            f"config keys are {', '.join(sorted(CONFIG_KEYS))}"
        )
    return {**(config or {}), **kwargs}


def merge_configs(base: dict[str, Any] | None, extra: dict[str, Any] | None) -> dict[str, Any]:
    """`extra` over `base`, as LangChain merges configs: configurable and metadata
    merged key by key, tags joined, the rest replaced."""
    merged = dict(base or {})
    for key, value in (extra or {}).items():
        if key in ("configurable", "metadata") and isinstance(value, dict):
            merged[key] = {**(merged.get(key) or {}), **value}
        elif key == "tags" and value:
            merged[key] = list(dict.fromkeys([*(merged.get(key) or []), *value]))
        else:
            merged[key] = value
    return merged


def _configs(config: Any, count: int) -> list[dict[str, Any] | None]:
    if isinstance(config, Sequence) and not isinstance(config, str | dict):
        if len(config) != count:
            raise ValueError(f"batch got {len(config)} configs for {count} inputs; give one each")
        return list(config)
    return [config] * count


def batch(graph: Any, inputs: Sequence[Any], config: Any, return_exceptions: bool, kwargs: dict):
    inputs = list(inputs)
    if not inputs:
        return []
    configs = _configs(config, len(inputs))

    def one(pair: tuple[Any, Any]) -> Any:
        item, cfg = pair
        try:
            return graph.invoke(item, cfg, **kwargs)
        except Exception as exc:
            if return_exceptions:
                return exc
            raise

    if len(inputs) == 1:
        return [one((inputs[0], configs[0]))]
    limit = (configs[0] or {}).get("max_concurrency") or None
    with ThreadPoolExecutor(max_workers=limit) as pool:
        calls = [(item, cfg) for item, cfg in zip(inputs, configs, strict=True)]
        return list(pool.map(lambda pair: contextvars.copy_context().run(one, pair), calls))


async def abatch(
    graph: Any, inputs: Sequence[Any], config: Any, return_exceptions: bool, kwargs: dict
) -> list[Any]:
    inputs = list(inputs)
    if not inputs:
        return []
    configs = _configs(config, len(inputs))
    limit = (configs[0] or {}).get("max_concurrency")
    gate = asyncio.Semaphore(limit) if limit else None

    async def one(item: Any, cfg: Any) -> Any:
        if gate is None:
            return await graph.ainvoke(item, cfg, **kwargs)
        async with gate:
            return await graph.ainvoke(item, cfg, **kwargs)

    calls = [one(item, cfg) for item, cfg in zip(inputs, configs, strict=True)]
    return list(await asyncio.gather(*calls, return_exceptions=return_exceptions))
