"""The multitask strategies: what a new run does when its thread is busy.

REJECT refuses it (THREAD_BUSY); ENQUEUE queues it behind the runs already
there; INTERRUPT and ROLLBACK cancel the queued runs and stop the active one at
its next step boundary, then go next; ROLLBACK also undoes what the stopped run
wrote (the saver's `rewind`, once the engine has stopped). As in LangGraph.
"""

from __future__ import annotations

from lockstep.runs.model import Multitask, Run


def waits(strategy: Multitask, busy: Run | None, editing: bool) -> bool:
    """Whether a run may wait for its thread: it is busy with a run (not an edit)
    and the run's strategy is not REJECT. Otherwise the thread must be idle."""
    return busy is not None and strategy != Multitask.REJECT and not editing


def takes_over(strategy: Multitask) -> bool:
    """Whether a run with `strategy` stops the thread's runs instead of waiting for them."""
    return strategy in (Multitask.INTERRUPT, Multitask.ROLLBACK)


def supersede(active: Run, strategy: Multitask, by: str) -> bool:
    """Mark the thread's active run as giving way to run `by` (its metadata says
    so); False if an earlier run already took it over (it is stopping)."""
    if active.superseded is not None:
        return False
    active.superseded = strategy
    verb = "rolled_back_by" if strategy == Multitask.ROLLBACK else "interrupted_by"
    active.metadata[f"lockstep_{verb}"] = by
    return True
