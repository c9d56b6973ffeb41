from google.protobuf import struct_pb2 as _struct_pb2
from lockstep_api.v1 import enums_pb2 as _enums_pb2
from lockstep_api.v1 import message_pb2 as _message_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateThreadRequest(_message.Message):
    __slots__ = ("thread_id", "graph_id", "metadata", "if_exists")
    THREAD_ID_FIELD_NUMBER: _ClassVar[int]
    GRAPH_ID_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    IF_EXISTS_FIELD_NUMBER: _ClassVar[int]
    thread_id: str
    graph_id: str
    metadata: _struct_pb2.Struct
    if_exists: _enums_pb2.IfExists
    def __init__(self, thread_id: _Optional[str] = ..., graph_id: _Optional[str] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., if_exists: _Optional[_Union[_enums_pb2.IfExists, str]] = ...) -> None: ...

class CreateThreadResponse(_message.Message):
    __slots__ = ("thread",)
    THREAD_FIELD_NUMBER: _ClassVar[int]
    thread: _message_pb2.Thread
    def __init__(self, thread: _Optional[_Union[_message_pb2.Thread, _Mapping]] = ...) -> None: ...

class GetThreadRequest(_message.Message):
    __slots__ = ("thread_id",)
    THREAD_ID_FIELD_NUMBER: _ClassVar[int]
    thread_id: str
    def __init__(self, thread_id: _Optional[str] = ...) -> None: ...

class GetThreadResponse(_message.Message):
    __slots__ = ("thread",)
    THREAD_FIELD_NUMBER: _ClassVar[int]
    thread: _message_pb2.Thread
    def __init__(self, thread: _Optional[_Union[_message_pb2.Thread, _Mapping]] = ...) -> None: ...

class ListThreadsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "graph_id", "status", "metadata")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    GRAPH_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    graph_id: str
    status: _enums_pb2.ThreadStatus
    metadata: _struct_pb2.Struct
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., graph_id: _Optional[str] = ..., status: _Optional[_Union[_enums_pb2.ThreadStatus, str]] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class ListThreadsResponse(_message.Message):
    __slots__ = ("threads", "next_page_token")
    THREADS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    threads: _containers.RepeatedCompositeFieldContainer[_message_pb2.Thread]
    next_page_token: str
    def __init__(self, threads: _Optional[_Iterable[_Union[_message_pb2.Thread, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class DeleteThreadRequest(_message.Message):
    __slots__ = ("thread_id",)
    THREAD_ID_FIELD_NUMBER: _ClassVar[int]
    thread_id: str
    def __init__(self, thread_id: _Optional[str] = ...) -> None: ...

class DeleteThreadResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetStateRequest(_message.Message):
    __slots__ = ("thread_id", "checkpoint_id", "checkpoint_ns", "graph_id", "subgraphs")
    THREAD_ID_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_ID_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_NS_FIELD_NUMBER: _ClassVar[int]
    GRAPH_ID_FIELD_NUMBER: _ClassVar[int]
    SUBGRAPHS_FIELD_NUMBER: _ClassVar[int]
    thread_id: str
    checkpoint_id: str
    checkpoint_ns: str
    graph_id: str
    subgraphs: bool
    def __init__(self, thread_id: _Optional[str] = ..., checkpoint_id: _Optional[str] = ..., checkpoint_ns: _Optional[str] = ..., graph_id: _Optional[str] = ..., subgraphs: _Optional[bool] = ...) -> None: ...

class GetStateResponse(_message.Message):
    __slots__ = ("state",)
    STATE_FIELD_NUMBER: _ClassVar[int]
    state: _message_pb2.StateSnapshot
    def __init__(self, state: _Optional[_Union[_message_pb2.StateSnapshot, _Mapping]] = ...) -> None: ...

class UpdateStateRequest(_message.Message):
    __slots__ = ("thread_id", "values", "as_node", "checkpoint_id", "checkpoint_ns", "graph_id")
    THREAD_ID_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    AS_NODE_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_ID_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_NS_FIELD_NUMBER: _ClassVar[int]
    GRAPH_ID_FIELD_NUMBER: _ClassVar[int]
    thread_id: str
    values: _struct_pb2.Struct
    as_node: str
    checkpoint_id: str
    checkpoint_ns: str
    graph_id: str
    def __init__(self, thread_id: _Optional[str] = ..., values: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., as_node: _Optional[str] = ..., checkpoint_id: _Optional[str] = ..., checkpoint_ns: _Optional[str] = ..., graph_id: _Optional[str] = ...) -> None: ...

class UpdateStateResponse(_message.Message):
    __slots__ = ("checkpoint",)
    CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    checkpoint: _message_pb2.CheckpointRef
    def __init__(self, checkpoint: _Optional[_Union[_message_pb2.CheckpointRef, _Mapping]] = ...) -> None: ...

class GetStateHistoryRequest(_message.Message):
    __slots__ = ("thread_id", "page_size", "page_token", "before", "checkpoint_ns", "filter", "graph_id")
    THREAD_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    BEFORE_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_NS_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    GRAPH_ID_FIELD_NUMBER: _ClassVar[int]
    thread_id: str
    page_size: int
    page_token: str
    before: str
    checkpoint_ns: str
    filter: _struct_pb2.Struct
    graph_id: str
    def __init__(self, thread_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., before: _Optional[str] = ..., checkpoint_ns: _Optional[str] = ..., filter: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., graph_id: _Optional[str] = ...) -> None: ...

class GetStateHistoryResponse(_message.Message):
    __slots__ = ("states", "next_page_token")
    STATES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    states: _containers.RepeatedCompositeFieldContainer[_message_pb2.StateSnapshot]
    next_page_token: str
    def __init__(self, states: _Optional[_Iterable[_Union[_message_pb2.StateSnapshot, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
