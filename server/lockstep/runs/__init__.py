"""The run domain: runs as plain data, the manager that keeps one run per thread
at a time, the multitask strategies, the thread operations (`threads`) and the
refusals with their reasons (`errors`); it imports no protobuf and no gRPC."""
