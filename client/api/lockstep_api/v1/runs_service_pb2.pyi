from google.protobuf import struct_pb2 as _struct_pb2
from lockstep_api.v1 import enums_pb2 as _enums_pb2
from lockstep_api.v1 import message_pb2 as _message_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class StreamRunRequest(_message.Message):
    __slots__ = ("thread_id", "graph_id", "input", "command", "stream_modes", "interrupt_before", "interrupt_after", "checkpoint_id", "multitask_strategy", "on_disconnect", "config", "metadata", "durability", "context", "subgraphs", "checkpoint_ns")
    THREAD_ID_FIELD_NUMBER: _ClassVar[int]
    GRAPH_ID_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    COMMAND_FIELD_NUMBER: _ClassVar[int]
    STREAM_MODES_FIELD_NUMBER: _ClassVar[int]
    INTERRUPT_BEFORE_FIELD_NUMBER: _ClassVar[int]
    INTERRUPT_AFTER_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_ID_FIELD_NUMBER: _ClassVar[int]
    MULTITASK_STRATEGY_FIELD_NUMBER: _ClassVar[int]
    ON_DISCONNECT_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    DURABILITY_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    SUBGRAPHS_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_NS_FIELD_NUMBER: _ClassVar[int]
    thread_id: str
    graph_id: str
    input: _struct_pb2.Struct
    command: _message_pb2.Command
    stream_modes: _containers.RepeatedScalarFieldContainer[_enums_pb2.StreamMode]
    interrupt_before: _containers.RepeatedScalarFieldContainer[str]
    interrupt_after: _containers.RepeatedScalarFieldContainer[str]
    checkpoint_id: str
    multitask_strategy: _enums_pb2.MultitaskStrategy
    on_disconnect: _enums_pb2.OnDisconnect
    config: _struct_pb2.Struct
    metadata: _struct_pb2.Struct
    durability: _enums_pb2.Durability
    context: _struct_pb2.Struct
    subgraphs: bool
    checkpoint_ns: str
    def __init__(self, thread_id: _Optional[str] = ..., graph_id: _Optional[str] = ..., input: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., command: _Optional[_Union[_message_pb2.Command, _Mapping]] = ..., stream_modes: _Optional[_Iterable[_Union[_enums_pb2.StreamMode, str]]] = ..., interrupt_before: _Optional[_Iterable[str]] = ..., interrupt_after: _Optional[_Iterable[str]] = ..., checkpoint_id: _Optional[str] = ..., multitask_strategy: _Optional[_Union[_enums_pb2.MultitaskStrategy, str]] = ..., on_disconnect: _Optional[_Union[_enums_pb2.OnDisconnect, str]] = ..., config: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., durability: _Optional[_Union[_enums_pb2.Durability, str]] = ..., context: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., subgraphs: _Optional[bool] = ..., checkpoint_ns: _Optional[str] = ...) -> None: ...

class StreamRunResponse(_message.Message):
    __slots__ = ("event",)
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: _message_pb2.RunEvent
    def __init__(self, event: _Optional[_Union[_message_pb2.RunEvent, _Mapping]] = ...) -> None: ...

class WaitRunRequest(_message.Message):
    __slots__ = ("thread_id", "graph_id", "input", "command", "stream_modes", "interrupt_before", "interrupt_after", "checkpoint_id", "multitask_strategy", "on_disconnect", "config", "metadata", "durability", "context", "subgraphs", "checkpoint_ns")
    THREAD_ID_FIELD_NUMBER: _ClassVar[int]
    GRAPH_ID_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    COMMAND_FIELD_NUMBER: _ClassVar[int]
    STREAM_MODES_FIELD_NUMBER: _ClassVar[int]
    INTERRUPT_BEFORE_FIELD_NUMBER: _ClassVar[int]
    INTERRUPT_AFTER_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_ID_FIELD_NUMBER: _ClassVar[int]
    MULTITASK_STRATEGY_FIELD_NUMBER: _ClassVar[int]
    ON_DISCONNECT_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    DURABILITY_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    SUBGRAPHS_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_NS_FIELD_NUMBER: _ClassVar[int]
    thread_id: str
    graph_id: str
    input: _struct_pb2.Struct
    command: _message_pb2.Command
    stream_modes: _containers.RepeatedScalarFieldContainer[_enums_pb2.StreamMode]
    interrupt_before: _containers.RepeatedScalarFieldContainer[str]
    interrupt_after: _containers.RepeatedScalarFieldContainer[str]
    checkpoint_id: str
    multitask_strategy: _enums_pb2.MultitaskStrategy
    on_disconnect: _enums_pb2.OnDisconnect
    config: _struct_pb2.Struct
    metadata: _struct_pb2.Struct
    durability: _enums_pb2.Durability
    context: _struct_pb2.Struct
    subgraphs: bool
    checkpoint_ns: str
    def __init__(self, thread_id: _Optional[str] = ..., graph_id: _Optional[str] = ..., input: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., command: _Optional[_Union[_message_pb2.Command, _Mapping]] = ..., stream_modes: _Optional[_Iterable[_Union[_enums_pb2.StreamMode, str]]] = ..., interrupt_before: _Optional[_Iterable[str]] = ..., interrupt_after: _Optional[_Iterable[str]] = ..., checkpoint_id: _Optional[str] = ..., multitask_strategy: _Optional[_Union[_enums_pb2.MultitaskStrategy, str]] = ..., on_disconnect: _Optional[_Union[_enums_pb2.OnDisconnect, str]] = ..., config: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., durability: _Optional[_Union[_enums_pb2.Durability, str]] = ..., context: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., subgraphs: _Optional[bool] = ..., checkpoint_ns: _Optional[str] = ...) -> None: ...

class WaitRunResponse(_message.Message):
    __slots__ = ("run_id", "thread_id", "status", "values", "interrupts", "error", "checkpoint")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    THREAD_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    INTERRUPTS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    thread_id: str
    status: _enums_pb2.RunStatus
    values: _struct_pb2.Struct
    interrupts: _containers.RepeatedCompositeFieldContainer[_message_pb2.Interrupt]
    error: _message_pb2.RunError
    checkpoint: _message_pb2.CheckpointRef
    def __init__(self, run_id: _Optional[str] = ..., thread_id: _Optional[str] = ..., status: _Optional[_Union[_enums_pb2.RunStatus, str]] = ..., values: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., interrupts: _Optional[_Iterable[_Union[_message_pb2.Interrupt, _Mapping]]] = ..., error: _Optional[_Union[_message_pb2.RunError, _Mapping]] = ..., checkpoint: _Optional[_Union[_message_pb2.CheckpointRef, _Mapping]] = ...) -> None: ...

class CreateRunRequest(_message.Message):
    __slots__ = ("thread_id", "graph_id", "input", "command", "stream_modes", "interrupt_before", "interrupt_after", "checkpoint_id", "multitask_strategy", "on_disconnect", "config", "metadata", "durability", "context", "subgraphs", "checkpoint_ns")
    THREAD_ID_FIELD_NUMBER: _ClassVar[int]
    GRAPH_ID_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    COMMAND_FIELD_NUMBER: _ClassVar[int]
    STREAM_MODES_FIELD_NUMBER: _ClassVar[int]
    INTERRUPT_BEFORE_FIELD_NUMBER: _ClassVar[int]
    INTERRUPT_AFTER_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_ID_FIELD_NUMBER: _ClassVar[int]
    MULTITASK_STRATEGY_FIELD_NUMBER: _ClassVar[int]
    ON_DISCONNECT_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    DURABILITY_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    SUBGRAPHS_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_NS_FIELD_NUMBER: _ClassVar[int]
    thread_id: str
    graph_id: str
    input: _struct_pb2.Struct
    command: _message_pb2.Command
    stream_modes: _containers.RepeatedScalarFieldContainer[_enums_pb2.StreamMode]
    interrupt_before: _containers.RepeatedScalarFieldContainer[str]
    interrupt_after: _containers.RepeatedScalarFieldContainer[str]
    checkpoint_id: str
    multitask_strategy: _enums_pb2.MultitaskStrategy
    on_disconnect: _enums_pb2.OnDisconnect
    config: _struct_pb2.Struct
    metadata: _struct_pb2.Struct
    durability: _enums_pb2.Durability
    context: _struct_pb2.Struct
    subgraphs: bool
    checkpoint_ns: str
    def __init__(self, thread_id: _Optional[str] = ..., graph_id: _Optional[str] = ..., input: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., command: _Optional[_Union[_message_pb2.Command, _Mapping]] = ..., stream_modes: _Optional[_Iterable[_Union[_enums_pb2.StreamMode, str]]] = ..., interrupt_before: _Optional[_Iterable[str]] = ..., interrupt_after: _Optional[_Iterable[str]] = ..., checkpoint_id: _Optional[str] = ..., multitask_strategy: _Optional[_Union[_enums_pb2.MultitaskStrategy, str]] = ..., on_disconnect: _Optional[_Union[_enums_pb2.OnDisconnect, str]] = ..., config: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., durability: _Optional[_Union[_enums_pb2.Durability, str]] = ..., context: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., subgraphs: _Optional[bool] = ..., checkpoint_ns: _Optional[str] = ...) -> None: ...

class CreateRunResponse(_message.Message):
    __slots__ = ("run",)
    RUN_FIELD_NUMBER: _ClassVar[int]
    run: _message_pb2.Run
    def __init__(self, run: _Optional[_Union[_message_pb2.Run, _Mapping]] = ...) -> None: ...

class JoinRunRequest(_message.Message):
    __slots__ = ("run_id",)
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    def __init__(self, run_id: _Optional[str] = ...) -> None: ...

class JoinRunResponse(_message.Message):
    __slots__ = ("event",)
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: _message_pb2.RunEvent
    def __init__(self, event: _Optional[_Union[_message_pb2.RunEvent, _Mapping]] = ...) -> None: ...

class CancelRunRequest(_message.Message):
    __slots__ = ("run_id", "wait")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    WAIT_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    wait: bool
    def __init__(self, run_id: _Optional[str] = ..., wait: _Optional[bool] = ...) -> None: ...

class CancelRunResponse(_message.Message):
    __slots__ = ("run",)
    RUN_FIELD_NUMBER: _ClassVar[int]
    run: _message_pb2.Run
    def __init__(self, run: _Optional[_Union[_message_pb2.Run, _Mapping]] = ...) -> None: ...

class ListRunsRequest(_message.Message):
    __slots__ = ("thread_id", "status", "page_size", "page_token")
    THREAD_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    thread_id: str
    status: _enums_pb2.RunStatus
    page_size: int
    page_token: str
    def __init__(self, thread_id: _Optional[str] = ..., status: _Optional[_Union[_enums_pb2.RunStatus, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListRunsResponse(_message.Message):
    __slots__ = ("runs", "next_page_token")
    RUNS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    runs: _containers.RepeatedCompositeFieldContainer[_message_pb2.Run]
    next_page_token: str
    def __init__(self, runs: _Optional[_Iterable[_Union[_message_pb2.Run, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
