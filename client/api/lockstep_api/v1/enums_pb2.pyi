from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from typing import ClassVar as _ClassVar

DESCRIPTOR: _descriptor.FileDescriptor

class ThreadStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    THREAD_STATUS_UNSPECIFIED: _ClassVar[ThreadStatus]
    THREAD_STATUS_IDLE: _ClassVar[ThreadStatus]
    THREAD_STATUS_BUSY: _ClassVar[ThreadStatus]
    THREAD_STATUS_INTERRUPTED: _ClassVar[ThreadStatus]
    THREAD_STATUS_ERROR: _ClassVar[ThreadStatus]

class RunStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RUN_STATUS_UNSPECIFIED: _ClassVar[RunStatus]
    RUN_STATUS_PENDING: _ClassVar[RunStatus]
    RUN_STATUS_RUNNING: _ClassVar[RunStatus]
    RUN_STATUS_SUCCESS: _ClassVar[RunStatus]
    RUN_STATUS_INTERRUPTED: _ClassVar[RunStatus]
    RUN_STATUS_ERROR: _ClassVar[RunStatus]
    RUN_STATUS_CANCELLED: _ClassVar[RunStatus]
    RUN_STATUS_TIMEOUT: _ClassVar[RunStatus]

class StreamMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STREAM_MODE_UNSPECIFIED: _ClassVar[StreamMode]
    STREAM_MODE_VALUES: _ClassVar[StreamMode]
    STREAM_MODE_UPDATES: _ClassVar[StreamMode]
    STREAM_MODE_DEBUG: _ClassVar[StreamMode]
    STREAM_MODE_CUSTOM: _ClassVar[StreamMode]
    STREAM_MODE_MESSAGES: _ClassVar[StreamMode]
    STREAM_MODE_CHECKPOINTS: _ClassVar[StreamMode]
    STREAM_MODE_TASKS: _ClassVar[StreamMode]

class MultitaskStrategy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MULTITASK_STRATEGY_UNSPECIFIED: _ClassVar[MultitaskStrategy]
    MULTITASK_STRATEGY_REJECT: _ClassVar[MultitaskStrategy]
    MULTITASK_STRATEGY_ENQUEUE: _ClassVar[MultitaskStrategy]
    MULTITASK_STRATEGY_INTERRUPT: _ClassVar[MultitaskStrategy]
    MULTITASK_STRATEGY_ROLLBACK: _ClassVar[MultitaskStrategy]

class OnDisconnect(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ON_DISCONNECT_UNSPECIFIED: _ClassVar[OnDisconnect]
    ON_DISCONNECT_CANCEL: _ClassVar[OnDisconnect]
    ON_DISCONNECT_CONTINUE: _ClassVar[OnDisconnect]

class Durability(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DURABILITY_UNSPECIFIED: _ClassVar[Durability]
    DURABILITY_SYNC: _ClassVar[Durability]
    DURABILITY_ASYNC: _ClassVar[Durability]
    DURABILITY_EXIT: _ClassVar[Durability]

class InterruptWhen(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INTERRUPT_WHEN_UNSPECIFIED: _ClassVar[InterruptWhen]
    INTERRUPT_WHEN_DURING: _ClassVar[InterruptWhen]
    INTERRUPT_WHEN_BEFORE: _ClassVar[InterruptWhen]
    INTERRUPT_WHEN_AFTER: _ClassVar[InterruptWhen]

class CheckpointSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHECKPOINT_SOURCE_UNSPECIFIED: _ClassVar[CheckpointSource]
    CHECKPOINT_SOURCE_INPUT: _ClassVar[CheckpointSource]
    CHECKPOINT_SOURCE_LOOP: _ClassVar[CheckpointSource]
    CHECKPOINT_SOURCE_UPDATE: _ClassVar[CheckpointSource]
    CHECKPOINT_SOURCE_FORK: _ClassVar[CheckpointSource]

class IfExists(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    IF_EXISTS_UNSPECIFIED: _ClassVar[IfExists]
    IF_EXISTS_RAISE: _ClassVar[IfExists]
    IF_EXISTS_DO_NOTHING: _ClassVar[IfExists]

class ErrorReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ERROR_REASON_UNSPECIFIED: _ClassVar[ErrorReason]
    ERROR_REASON_INVALID_ARGUMENT: _ClassVar[ErrorReason]
    ERROR_REASON_INTERNAL: _ClassVar[ErrorReason]
    ERROR_REASON_GRAPH_NOT_FOUND: _ClassVar[ErrorReason]
    ERROR_REASON_THREAD_NOT_FOUND: _ClassVar[ErrorReason]
    ERROR_REASON_RUN_NOT_FOUND: _ClassVar[ErrorReason]
    ERROR_REASON_CHECKPOINT_NOT_FOUND: _ClassVar[ErrorReason]
    ERROR_REASON_THREAD_BUSY: _ClassVar[ErrorReason]
    ERROR_REASON_NOTHING_TO_RESUME: _ClassVar[ErrorReason]
    ERROR_REASON_DRAINING: _ClassVar[ErrorReason]
    ERROR_REASON_GRAPH_MISMATCH: _ClassVar[ErrorReason]
    ERROR_REASON_GRAPH_REQUIRED: _ClassVar[ErrorReason]
    ERROR_REASON_UNKNOWN_NODE: _ClassVar[ErrorReason]
    ERROR_REASON_UNKNOWN_MULTITASK_STRATEGY: _ClassVar[ErrorReason]
    ERROR_REASON_UNKNOWN_ON_DISCONNECT: _ClassVar[ErrorReason]
    ERROR_REASON_UNKNOWN_DURABILITY: _ClassVar[ErrorReason]
    ERROR_REASON_UNKNOWN_STREAM_MODE: _ClassVar[ErrorReason]
    ERROR_REASON_UNKNOWN_IF_EXISTS: _ClassVar[ErrorReason]
    ERROR_REASON_BAD_CONFIG: _ClassVar[ErrorReason]
    ERROR_REASON_INVALID_UPDATE: _ClassVar[ErrorReason]
    ERROR_REASON_STATE_TOO_LARGE: _ClassVar[ErrorReason]
    ERROR_REASON_RECURSION_LIMIT: _ClassVar[ErrorReason]
    ERROR_REASON_REPLY_TOO_LARGE: _ClassVar[ErrorReason]
    ERROR_REASON_TOO_MANY_EVENTS: _ClassVar[ErrorReason]
    ERROR_REASON_RUN_TIMEOUT: _ClassVar[ErrorReason]
    ERROR_REASON_THREAD_EXISTS: _ClassVar[ErrorReason]
    ERROR_REASON_THREAD_ID_TAKEN: _ClassVar[ErrorReason]
    ERROR_REASON_TOKEN_MISSING: _ClassVar[ErrorReason]
    ERROR_REASON_TOKEN_INVALID: _ClassVar[ErrorReason]
    ERROR_REASON_MALFORMED_REQUEST: _ClassVar[ErrorReason]
    ERROR_REASON_NOT_JSON: _ClassVar[ErrorReason]
    ERROR_REASON_TOO_DEEP: _ClassVar[ErrorReason]
    ERROR_REASON_TOO_LONG: _ClassVar[ErrorReason]
    ERROR_REASON_ITEM_NOT_FOUND: _ClassVar[ErrorReason]
    ERROR_REASON_INVALID_NAMESPACE: _ClassVar[ErrorReason]
    ERROR_REASON_INVALID_FILTER: _ClassVar[ErrorReason]
    ERROR_REASON_NAMESPACE_NOT_FOUND: _ClassVar[ErrorReason]
    ERROR_REASON_NOT_IMPLEMENTED: _ClassVar[ErrorReason]
THREAD_STATUS_UNSPECIFIED: ThreadStatus
THREAD_STATUS_IDLE: ThreadStatus
THREAD_STATUS_BUSY: ThreadStatus
THREAD_STATUS_INTERRUPTED: ThreadStatus
THREAD_STATUS_ERROR: ThreadStatus
RUN_STATUS_UNSPECIFIED: RunStatus
RUN_STATUS_PENDING: RunStatus
RUN_STATUS_RUNNING: RunStatus
RUN_STATUS_SUCCESS: RunStatus
RUN_STATUS_INTERRUPTED: RunStatus
RUN_STATUS_ERROR: RunStatus
RUN_STATUS_CANCELLED: RunStatus
RUN_STATUS_TIMEOUT: RunStatus
STREAM_MODE_UNSPECIFIED: StreamMode
STREAM_MODE_VALUES: StreamMode
STREAM_MODE_UPDATES: StreamMode
STREAM_MODE_DEBUG: StreamMode
STREAM_MODE_CUSTOM: StreamMode
STREAM_MODE_MESSAGES: StreamMode
STREAM_MODE_CHECKPOINTS: StreamMode
STREAM_MODE_TASKS: StreamMode
MULTITASK_STRATEGY_UNSPECIFIED: MultitaskStrategy
MULTITASK_STRATEGY_REJECT: MultitaskStrategy
MULTITASK_STRATEGY_ENQUEUE: MultitaskStrategy
MULTITASK_STRATEGY_INTERRUPT: MultitaskStrategy
MULTITASK_STRATEGY_ROLLBACK: MultitaskStrategy
ON_DISCONNECT_UNSPECIFIED: OnDisconnect
ON_DISCONNECT_CANCEL: OnDisconnect
ON_DISCONNECT_CONTINUE: OnDisconnect
DURABILITY_UNSPECIFIED: Durability
DURABILITY_SYNC: Durability
DURABILITY_ASYNC: Durability
DURABILITY_EXIT: Durability
INTERRUPT_WHEN_UNSPECIFIED: InterruptWhen
INTERRUPT_WHEN_DURING: InterruptWhen
INTERRUPT_WHEN_BEFORE: InterruptWhen
INTERRUPT_WHEN_AFTER: InterruptWhen
CHECKPOINT_SOURCE_UNSPECIFIED: CheckpointSource
CHECKPOINT_SOURCE_INPUT: CheckpointSource
CHECKPOINT_SOURCE_LOOP: CheckpointSource
CHECKPOINT_SOURCE_UPDATE: CheckpointSource
CHECKPOINT_SOURCE_FORK: CheckpointSource
IF_EXISTS_UNSPECIFIED: IfExists
IF_EXISTS_RAISE: IfExists
IF_EXISTS_DO_NOTHING: IfExists
ERROR_REASON_UNSPECIFIED: ErrorReason
ERROR_REASON_INVALID_ARGUMENT: ErrorReason
ERROR_REASON_INTERNAL: ErrorReason
ERROR_REASON_GRAPH_NOT_FOUND: ErrorReason
ERROR_REASON_THREAD_NOT_FOUND: ErrorReason
ERROR_REASON_RUN_NOT_FOUND: ErrorReason
ERROR_REASON_CHECKPOINT_NOT_FOUND: ErrorReason
ERROR_REASON_THREAD_BUSY: ErrorReason
ERROR_REASON_NOTHING_TO_RESUME: ErrorReason
ERROR_REASON_DRAINING: ErrorReason
ERROR_REASON_GRAPH_MISMATCH: ErrorReason
ERROR_REASON_GRAPH_REQUIRED: ErrorReason
ERROR_REASON_UNKNOWN_NODE: ErrorReason
ERROR_REASON_UNKNOWN_MULTITASK_STRATEGY: ErrorReason
ERROR_REASON_UNKNOWN_ON_DISCONNECT: ErrorReason
ERROR_REASON_UNKNOWN_DURABILITY: ErrorReason
ERROR_REASON_UNKNOWN_STREAM_MODE: ErrorReason
ERROR_REASON_UNKNOWN_IF_EXISTS: ErrorReason
ERROR_REASON_BAD_CONFIG: ErrorReason
ERROR_REASON_INVALID_UPDATE: ErrorReason
ERROR_REASON_STATE_TOO_LARGE: ErrorReason
ERROR_REASON_RECURSION_LIMIT: ErrorReason
ERROR_REASON_REPLY_TOO_LARGE: ErrorReason
ERROR_REASON_TOO_MANY_EVENTS: ErrorReason
ERROR_REASON_RUN_TIMEOUT: ErrorReason
ERROR_REASON_THREAD_EXISTS: ErrorReason
ERROR_REASON_THREAD_ID_TAKEN: ErrorReason
ERROR_REASON_TOKEN_MISSING: ErrorReason
ERROR_REASON_TOKEN_INVALID: ErrorReason
ERROR_REASON_MALFORMED_REQUEST: ErrorReason
ERROR_REASON_NOT_JSON: ErrorReason
ERROR_REASON_TOO_DEEP: ErrorReason
ERROR_REASON_TOO_LONG: ErrorReason
ERROR_REASON_ITEM_NOT_FOUND: ErrorReason
ERROR_REASON_INVALID_NAMESPACE: ErrorReason
ERROR_REASON_INVALID_FILTER: ErrorReason
ERROR_REASON_NAMESPACE_NOT_FOUND: ErrorReason
ERROR_REASON_NOT_IMPLEMENTED: ErrorReason
