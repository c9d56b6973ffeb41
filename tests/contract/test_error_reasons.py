"""Every reason the server can put in an error's ErrorInfo is declared in the protos
(lockstep.v1.ErrorReason), and every declared one is a reason the server sends.

The server names its reasons with `lockstep.runs.errors.Reason` (plain Python: its
run layer imports no protobuf); which it sends is read here from its source: the
reason argument of every refusal it raises, each refusal class's own reason, and
the `<WHAT>_NOT_FOUND` of each thing it looks up. A reason written as a bare
string instead of a `Reason` member is a failure of its own.
"""

from __future__ import annotations

import ast
from pathlib import Path

from lockstep.runs.errors import Code, RequestError, classify
from lockstep.runs.errors import Reason as ServerReason
from lockstep_api.reasons import Reason
from lockstep_api.v1 import enums_pb2

SERVER = Path(__file__).resolve().parents[2] / "server" / "lockstep"
# Refusals built with the reason as their second argument (`_Bad` is screening's).
REFUSALS = {"RequestError", "InvalidArgument", "AlreadyExists", "FailedPrecondition", "LimitExceeded", "_Bad"}


def _reason(node: ast.expr, where: str) -> str | None:
    """The reason a refusal's argument names: `Reason.X` gives X; a string is refused."""
    if isinstance(node, ast.Attribute) and getattr(node.value, "id", "") == "Reason":
        return node.attr
    assert not isinstance(node, ast.Constant), f"{where}: reason {node.value!r} is a bare string; use Reason"
    return None


def _sent_reasons() -> set[str]:
    found: set[str] = set()
    for path in [*SERVER.glob("service/*.py"), *SERVER.glob("runs/*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            where = f"{path.name}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                args = [*node.args[1:2], *(k.value for k in node.keywords if k.arg == "reason")]
                if name in REFUSALS:
                    found |= {r for a in args if (r := _reason(a, where))}
                if name == "NotFound" and node.args and isinstance(node.args[0], ast.Constant):
                    found.add(f"{node.args[0].value.upper()}_NOT_FOUND")
            if isinstance(node, ast.Assign) and any(
                getattr(t, "id", "") == "default_reason" for t in node.targets
            ):
                reason = _reason(node.value, where)
                if reason:
                    found.add(reason)
    # A refusal without a reason of its own gives its code's name.
    found.add(RequestError("x").reason)
    found.add(classify(RuntimeError("x")).reason)
    return found


def test_every_reason_the_server_sends_is_declared_and_every_declared_one_is_sent():
    sent = _sent_reasons()
    assert {"THREAD_BUSY", "DRAINING", "RUN_NOT_FOUND", "TOO_DEEP", "TOKEN_INVALID"} <= sent
    declared = {r.value for r in Reason}
    assert sent - declared == set(), "add these to ErrorReason in protos/lockstep/v1/enums.proto"
    assert declared - sent == set(), "ErrorReason declares reasons the server never sends"


def test_the_servers_reason_names_are_the_contracts():
    assert {r.value for r in ServerReason} == {r.value for r in Reason}
    assert ServerReason.THREAD_BUSY == Reason.THREAD_BUSY == "THREAD_BUSY"


def test_a_reason_on_the_wire_is_its_enum_value_name_without_the_prefix():
    assert Reason.THREAD_BUSY == "THREAD_BUSY"
    assert Reason.THREAD_BUSY.number == enums_pb2.ERROR_REASON_THREAD_BUSY
    assert "UNSPECIFIED" not in {r.value for r in Reason}
    assert classify(RuntimeError("boom")).code == Code.INTERNAL
