"""The run layer is plain Python: importing it loads neither gRPC nor protobuf."""

from __future__ import annotations

import subprocess
import sys

CODE = """
import sys
import lockstep.runs.errors, lockstep.runs.hosting, lockstep.runs.limits
import lockstep.runs.manager, lockstep.runs.model, lockstep.runs.multitask, lockstep.runs.threads
loaded = sorted(
    m for m in sys.modules
    if m in ("grpc", "google.protobuf", "lockstep_api", "lockstep_client", "lockstep.service")
    or m.startswith(("grpc.", "grpc_", "google.protobuf.", "lockstep_api.", "lockstep.service."))
)
print(",".join(loaded))
"""


def test_the_run_layer_imports_no_grpc_and_no_protobuf():
    out = subprocess.run(
        [sys.executable, "-c", CODE], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == ""
