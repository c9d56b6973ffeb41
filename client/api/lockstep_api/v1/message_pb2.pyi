import datetime

from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from lockstep_api.v1 import enums_pb2 as _enums_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GraphSummary(_message.Message):
    __slots__ = ("graph_id", "description", "metadata")
    GRAPH_ID_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    graph_id: str
    description: str
    metadata: _struct_pb2.Struct
    def __init__(self, graph_id: _Optional[str] = ..., description: _Optional[str] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class Graph(_message.Message):
    __slots__ = ("graph_id", "description", "nodes", "edges", "state_keys", "interrupt_before", "interrupt_after", "mermaid", "state_schema", "metadata")
    GRAPH_ID_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    NODES_FIELD_NUMBER: _ClassVar[int]
    EDGES_FIELD_NUMBER: _ClassVar[int]
    STATE_KEYS_FIELD_NUMBER: _ClassVar[int]
    INTERRUPT_BEFORE_FIELD_NUMBER: _ClassVar[int]
    INTERRUPT_AFTER_FIELD_NUMBER: _ClassVar[int]
    MERMAID_FIELD_NUMBER: _ClassVar[int]
    STATE_SCHEMA_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    graph_id: str
    description: str
    nodes: _containers.RepeatedCompositeFieldContainer[GraphNode]
    edges: _containers.RepeatedCompositeFieldContainer[Edge]
    state_keys: _containers.RepeatedCompositeFieldContainer[StateKey]
    interrupt_before: _containers.RepeatedScalarFieldContainer[str]
    interrupt_after: _containers.RepeatedScalarFieldContainer[str]
    mermaid: str
    state_schema: _struct_pb2.Struct
    metadata: _struct_pb2.Struct
    def __init__(self, graph_id: _Optional[str] = ..., description: _Optional[str] = ..., nodes: _Optional[_Iterable[_Union[GraphNode, _Mapping]]] = ..., edges: _Optional[_Iterable[_Union[Edge, _Mapping]]] = ..., state_keys: _Optional[_Iterable[_Union[StateKey, _Mapping]]] = ..., interrupt_before: _Optional[_Iterable[str]] = ..., interrupt_after: _Optional[_Iterable[str]] = ..., mermaid: _Optional[str] = ..., state_schema: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class GraphNode(_message.Message):
    __slots__ = ("name", "metadata")
    NAME_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    name: str
    metadata: _struct_pb2.Struct
    def __init__(self, name: _Optional[str] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class Edge(_message.Message):
    __slots__ = ("source", "target", "conditional", "label")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    CONDITIONAL_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    source: str
    target: str
    conditional: bool
    label: str
    def __init__(self, source: _Optional[str] = ..., target: _Optional[str] = ..., conditional: _Optional[bool] = ..., label: _Optional[str] = ...) -> None: ...

class StateKey(_message.Message):
    __slots__ = ("name", "reducer", "type")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REDUCER_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    name: str
    reducer: str
    type: str
    def __init__(self, name: _Optional[str] = ..., reducer: _Optional[str] = ..., type: _Optional[str] = ...) -> None: ...

class Thread(_message.Message):
    __slots__ = ("thread_id", "graph_id", "status", "created_at", "updated_at", "metadata", "values", "interrupts")
    THREAD_ID_FIELD_NUMBER: _ClassVar[int]
    GRAPH_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    INTERRUPTS_FIELD_NUMBER: _ClassVar[int]
    thread_id: str
    graph_id: str
    status: _enums_pb2.ThreadStatus
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    metadata: _struct_pb2.Struct
    values: _struct_pb2.Struct
    interrupts: _containers.RepeatedCompositeFieldContainer[Interrupt]
    def __init__(self, thread_id: _Optional[str] = ..., graph_id: _Optional[str] = ..., status: _Optional[_Union[_enums_pb2.ThreadStatus, str]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., values: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., interrupts: _Optional[_Iterable[_Union[Interrupt, _Mapping]]] = ...) -> None: ...

class CheckpointRef(_message.Message):
    __slots__ = ("thread_id", "checkpoint_id", "checkpoint_ns")
    THREAD_ID_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_ID_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_NS_FIELD_NUMBER: _ClassVar[int]
    thread_id: str
    checkpoint_id: str
    checkpoint_ns: str
    def __init__(self, thread_id: _Optional[str] = ..., checkpoint_id: _Optional[str] = ..., checkpoint_ns: _Optional[str] = ...) -> None: ...

class CheckpointMetadata(_message.Message):
    __slots__ = ("source", "step", "parents", "extra")
    class ParentsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    PARENTS_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    source: _enums_pb2.CheckpointSource
    step: int
    parents: _containers.ScalarMap[str, str]
    extra: _struct_pb2.Struct
    def __init__(self, source: _Optional[_Union[_enums_pb2.CheckpointSource, str]] = ..., step: _Optional[int] = ..., parents: _Optional[_Mapping[str, str]] = ..., extra: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class Interrupt(_message.Message):
    __slots__ = ("id", "value", "node", "when", "task_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    NODE_FIELD_NUMBER: _ClassVar[int]
    WHEN_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    value: _struct_pb2.Value
    node: str
    when: _enums_pb2.InterruptWhen
    task_id: str
    def __init__(self, id: _Optional[str] = ..., value: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., node: _Optional[str] = ..., when: _Optional[_Union[_enums_pb2.InterruptWhen, str]] = ..., task_id: _Optional[str] = ...) -> None: ...

class Task(_message.Message):
    __slots__ = ("id", "name", "error", "interrupts", "result", "state", "subgraph")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    INTERRUPTS_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    SUBGRAPH_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    error: str
    interrupts: _containers.RepeatedCompositeFieldContainer[Interrupt]
    result: _struct_pb2.Value
    state: StateSnapshot
    subgraph: CheckpointRef
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., error: _Optional[str] = ..., interrupts: _Optional[_Iterable[_Union[Interrupt, _Mapping]]] = ..., result: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., state: _Optional[_Union[StateSnapshot, _Mapping]] = ..., subgraph: _Optional[_Union[CheckpointRef, _Mapping]] = ...) -> None: ...

class StateSnapshot(_message.Message):
    __slots__ = ("values", "next", "checkpoint", "metadata", "created_at", "parent_checkpoint", "tasks", "interrupts")
    VALUES_FIELD_NUMBER: _ClassVar[int]
    NEXT_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    PARENT_CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    TASKS_FIELD_NUMBER: _ClassVar[int]
    INTERRUPTS_FIELD_NUMBER: _ClassVar[int]
    values: _struct_pb2.Struct
    next: _containers.RepeatedScalarFieldContainer[str]
    checkpoint: CheckpointRef
    metadata: CheckpointMetadata
    created_at: _timestamp_pb2.Timestamp
    parent_checkpoint: CheckpointRef
    tasks: _containers.RepeatedCompositeFieldContainer[Task]
    interrupts: _containers.RepeatedCompositeFieldContainer[Interrupt]
    def __init__(self, values: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., next: _Optional[_Iterable[str]] = ..., checkpoint: _Optional[_Union[CheckpointRef, _Mapping]] = ..., metadata: _Optional[_Union[CheckpointMetadata, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., parent_checkpoint: _Optional[_Union[CheckpointRef, _Mapping]] = ..., tasks: _Optional[_Iterable[_Union[Task, _Mapping]]] = ..., interrupts: _Optional[_Iterable[_Union[Interrupt, _Mapping]]] = ...) -> None: ...

class Command(_message.Message):
    __slots__ = ("resume", "resume_by_id", "update", "goto")
    class ResumeByIdEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _struct_pb2.Value
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ...) -> None: ...
    RESUME_FIELD_NUMBER: _ClassVar[int]
    RESUME_BY_ID_FIELD_NUMBER: _ClassVar[int]
    UPDATE_FIELD_NUMBER: _ClassVar[int]
    GOTO_FIELD_NUMBER: _ClassVar[int]
    resume: _struct_pb2.Value
    resume_by_id: _containers.MessageMap[str, _struct_pb2.Value]
    update: _struct_pb2.Struct
    goto: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, resume: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., resume_by_id: _Optional[_Mapping[str, _struct_pb2.Value]] = ..., update: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., goto: _Optional[_Iterable[str]] = ...) -> None: ...

class Run(_message.Message):
    __slots__ = ("run_id", "thread_id", "graph_id", "status", "created_at", "updated_at", "metadata", "multitask_strategy", "error")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    THREAD_ID_FIELD_NUMBER: _ClassVar[int]
    GRAPH_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    MULTITASK_STRATEGY_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    thread_id: str
    graph_id: str
    status: _enums_pb2.RunStatus
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    metadata: _struct_pb2.Struct
    multitask_strategy: _enums_pb2.MultitaskStrategy
    error: RunError
    def __init__(self, run_id: _Optional[str] = ..., thread_id: _Optional[str] = ..., graph_id: _Optional[str] = ..., status: _Optional[_Union[_enums_pb2.RunStatus, str]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., multitask_strategy: _Optional[_Union[_enums_pb2.MultitaskStrategy, str]] = ..., error: _Optional[_Union[RunError, _Mapping]] = ...) -> None: ...

class RunEvent(_message.Message):
    __slots__ = ("metadata", "values", "updates", "interrupt", "debug", "custom", "error", "end", "messages", "checkpoints", "tasks", "namespace")
    METADATA_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    UPDATES_FIELD_NUMBER: _ClassVar[int]
    INTERRUPT_FIELD_NUMBER: _ClassVar[int]
    DEBUG_FIELD_NUMBER: _ClassVar[int]
    CUSTOM_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINTS_FIELD_NUMBER: _ClassVar[int]
    TASKS_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    metadata: RunMetadata
    values: _struct_pb2.Struct
    updates: NodeUpdate
    interrupt: Interrupt
    debug: _struct_pb2.Struct
    custom: _struct_pb2.Value
    error: RunError
    end: RunEnd
    messages: MessageChunk
    checkpoints: _struct_pb2.Struct
    tasks: _struct_pb2.Struct
    namespace: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, metadata: _Optional[_Union[RunMetadata, _Mapping]] = ..., values: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., updates: _Optional[_Union[NodeUpdate, _Mapping]] = ..., interrupt: _Optional[_Union[Interrupt, _Mapping]] = ..., debug: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., custom: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., error: _Optional[_Union[RunError, _Mapping]] = ..., end: _Optional[_Union[RunEnd, _Mapping]] = ..., messages: _Optional[_Union[MessageChunk, _Mapping]] = ..., checkpoints: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., tasks: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., namespace: _Optional[_Iterable[str]] = ...) -> None: ...

class MessageChunk(_message.Message):
    __slots__ = ("message", "metadata")
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    message: _struct_pb2.Struct
    metadata: _struct_pb2.Struct
    def __init__(self, message: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class RunMetadata(_message.Message):
    __slots__ = ("run_id", "thread_id", "graph_id")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    THREAD_ID_FIELD_NUMBER: _ClassVar[int]
    GRAPH_ID_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    thread_id: str
    graph_id: str
    def __init__(self, run_id: _Optional[str] = ..., thread_id: _Optional[str] = ..., graph_id: _Optional[str] = ...) -> None: ...

class NodeUpdate(_message.Message):
    __slots__ = ("node", "values")
    NODE_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    node: str
    values: _struct_pb2.Struct
    def __init__(self, node: _Optional[str] = ..., values: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class RunError(_message.Message):
    __slots__ = ("message", "node", "code", "error_type")
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    NODE_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    ERROR_TYPE_FIELD_NUMBER: _ClassVar[int]
    message: str
    node: str
    code: int
    error_type: str
    def __init__(self, message: _Optional[str] = ..., node: _Optional[str] = ..., code: _Optional[int] = ..., error_type: _Optional[str] = ...) -> None: ...

class RunEnd(_message.Message):
    __slots__ = ("status", "checkpoint")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    status: _enums_pb2.RunStatus
    checkpoint: CheckpointRef
    def __init__(self, status: _Optional[_Union[_enums_pb2.RunStatus, str]] = ..., checkpoint: _Optional[_Union[CheckpointRef, _Mapping]] = ...) -> None: ...
