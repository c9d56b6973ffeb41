"""The functional API, as `langgraph.func`: `@entrypoint` workflows made of `@task` calls."""

from lockstep.func.api import entrypoint, task

__all__ = ["entrypoint", "task"]
