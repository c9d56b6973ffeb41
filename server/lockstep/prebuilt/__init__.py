"""Ready-made pieces for tool-calling agents: `ToolNode` and `tools_condition`, and
what a tool may ask ToolNode for (`InjectedState`, `InjectedStore`, `ToolRuntime`).

They work on LangChain messages and tools (langchain-core, the `lockstep[langchain]`
extra); importing this module without it raises an ImportError saying so.
"""

from lockstep.prebuilt.tool_node import (
    InjectedState,
    InjectedStore,
    ToolInvocationError,
    ToolNode,
    ToolRuntime,
    tools_condition,
)

__all__ = [
    "InjectedState",
    "InjectedStore",
    "ToolInvocationError",
    "ToolNode",
    "ToolRuntime",
    "tools_condition",
]
