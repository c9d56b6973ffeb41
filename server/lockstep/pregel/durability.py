"""durability="exit": a run saves nothing while it runs, and once it has ended (done,
paused, failed or stopped) saves only where it ended, as LangGraph does.

The loop queues its saves as always and holds them (Loop.take_saves) instead of
handing them to the store. At the end they are cut down to the last checkpoint (every value it holds
stored whole: the steps in between, which delta blobs would fold onto, are not
saved) and the pending writes recorded on it (a paused or failed step's).
"""

from __future__ import annotations

from typing import Any

from lockstep.checkpoint.base import Blob, checkpoint_id_of


def compact(loop: Any, held: list[Any]) -> list[Any]:
    """The saves to make once the run has ended, out of all it `held` (Loop.take_saves)."""
    last = next((s for s in reversed(held) if s.checkpoint is not None), None)
    if last is None:  # no step completed: the writes are on the checkpoint it started from
        return held
    checkpoint = last.checkpoint
    base = loop.held_base
    before = base.checkpoint.channel_versions if base is not None else {}
    blobs: dict[str, Blob] = {}
    for name, version in checkpoint.channel_versions.items():
        channel = loop.channels.get(name)
        if channel is None or not channel.stores_value or before.get(name) == version:
            continue
        blobs[name] = Blob("full", channel.get()) if channel.available() else Blob("empty")
    parent = base.config if base is not None else {"configurable": {"thread_id": loop.thread_id}}
    saves = [type(last)(parent, checkpoint, last.metadata, blobs, None)]
    final_id = checkpoint.id
    for save in held:
        if save.checkpoint is None and save.writes and checkpoint_id_of(save.config) == final_id:
            saves.append(save)
    return saves
