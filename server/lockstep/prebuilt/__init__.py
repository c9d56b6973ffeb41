"""Ready-made pieces for tool-calling agents: `ToolNode` and `tools_condition`.

They work on LangChain messages and tools (langchain-core, the `lockstep[langchain]`
extra); importing this module without it raises an ImportError saying so.
"""

from lockstep.prebuilt.tool_node import (
    InjectedState,
    ToolInvocationError,
    ToolNode,
    tools_condition,
)

__all__ = ["InjectedState", "ToolInvocationError", "ToolNode", "tools_condition"]
