"""Reserved names shared by the builder and the runtime."""

START = "__start__"
END = "__end__"
INTERRUPT = "__interrupt__"

# Hidden channels and pending-write kinds. Users never name these.
ERROR = "__error__"
RESUME = "__resume__"
SENDS = "__sends__"
RETURN = "__return__"
# A versions_seen entry (beside the nodes'): edges update_state marked seen for nodes it
# skipped, with the version each node had really read before.
SKIPPED = "__skipped__"

RESERVED = frozenset({START, END, INTERRUPT, ERROR, RESUME, SENDS, RETURN, SKIPPED})


#: The prefix of the trigger channels edges write to wake a node (`branch_channel`).
BRANCH_PREFIX = "branch:to:"


def branch_channel(node: str) -> str:
    """The trigger channel an edge writes to wake `node`."""
    return f"{BRANCH_PREFIX}{node}"


def join_channel(sources: tuple[str, ...], target: str) -> str:
    """The barrier channel for an edge that waits for every one of `sources`."""
    return f"join:{'+'.join(sources)}:{target}"
