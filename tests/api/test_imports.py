"""Who imports whom: the wire package stands alone, and the server's gRPC layer uses it, not the SDK.

Each check runs in a fresh interpreter, so modules other tests loaded do not count.
"""

from __future__ import annotations

import subprocess
import sys


def _loaded_after(code: str, prefixes: tuple[str, ...]) -> list[str]:
    """The modules named `p` or `p.*` for p in prefixes that are loaded after running code."""
    probe = (
        f"{code}\n"
        "import sys\n"
        f"print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in {prefixes!r})))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.strip()
    return [m for m in out.split(",") if m]


def test_the_wire_package_imports_neither_server_nor_sdk():
    code = (
        "import pkgutil, importlib, lockstep_api\n"
        "for m in pkgutil.walk_packages(lockstep_api.__path__, 'lockstep_api.'):\n"
        "    importlib.import_module(m.name)\n"
        "import lockstep_api.v1.runs_service_pb2_grpc, lockstep_api.convert\n"
    )
    assert _loaded_after(code, ("lockstep", "lockstep_client")) == []


def test_the_server_layer_imports_the_wire_package_not_the_sdk():
    code = (
        "import pkgutil, importlib, lockstep.service\n"
        "for m in pkgutil.walk_packages(lockstep.service.__path__, 'lockstep.service.'):\n"
        "    importlib.import_module(m.name)\n"
    )
    loaded = _loaded_after(code, ("lockstep_api", "lockstep_client"))
    assert "lockstep_api.v1.runs_service_pb2" in loaded
    assert [m for m in loaded if m.split(".")[0] == "lockstep_client"] == []
