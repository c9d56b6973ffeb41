"""The run domain: runs as plain data, the manager that keeps one run per thread
at a time, and the multitask strategies; it imports no protobuf and no gRPC."""
