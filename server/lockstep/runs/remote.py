"""A run another server on the same store is running: followed through the store.

Its events are the ones its server appended (`Coordination.append_events`); a
follower here reads them in order and waits for more until the end event. If the
run ended and its events were pruned meanwhile, the run's record says how it
ended, as for a run known only from the store.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from lockstep.runs.model import EndEvent, Run, RunEvent, event_from_record
from lockstep.stores.coordination import Coordination
from lockstep.stores.runs import ACTIVE, RunRecord, RunStore

# How long a follower waits for events before it looks at the run's record again.
_RECHECK_SECONDS = 1.0


@dataclass
class RemoteRun(Run):
    coordination: Coordination | None = field(default=None, repr=False)
    records: RunStore | None = field(default=None, repr=False)

    @classmethod
    def of(cls, record: RunRecord, coordination: Coordination, records: RunStore) -> RemoteRun:
        return cls(**Run.recorded(record), coordination=coordination, records=records)

    async def follow(self, start: int = 0) -> AsyncIterator[RunEvent]:
        assert self.coordination is not None and self.records is not None
        after = start - 1
        while not self.done:
            found = await self.coordination.wait_events(self.run_id, after, _RECHECK_SECONDS)
            for seq, data in found:
                event = event_from_record(data)
                after = seq
                if isinstance(event, EndEvent):
                    self.status, self.done = event.status, True
                yield event
                if self.done:
                    return
            if found:
                continue
            record = await asyncio.to_thread(self.records.get, self.run_id)
            if record is None or record.status in ACTIVE:
                continue
            # Ended: its last events may have landed since the wait, or been pruned.
            found = await asyncio.to_thread(self.coordination.read_events, self.run_id, after)
            if found:
                continue
            for event in Run.ended(record).events[1:]:  # its error, if any, and its end
                yield event
            self.status, self.error, self.done = (
                Run.ended(record).status,
                Run.ended(record).error,
                True,
            )
