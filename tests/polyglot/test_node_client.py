"""The seed scenario from a second language: clients/node (Node.js, @grpc/grpc-js and
@grpc/proto-loader reading protos/ at run time) against a real server process.

Needs node and npm on PATH; `npm ci` runs when clients/node/node_modules is missing or
was installed from another package-lock.json (node_tools.py).
"""

from __future__ import annotations

import os
import subprocess

import pytest
from node_tools import NPM_TIMEOUT, ROOT, ensure_node_modules, show, tool

NODE_CLIENT = ROOT / "clients" / "node"
NODE_TIMEOUT = 120

pytestmark = pytest.mark.timeout(NPM_TIMEOUT + NODE_TIMEOUT + 60)


@pytest.mark.parametrize("program", ["seed.mjs", "subgraph.mjs"])
def test_node_client_runs_the_seed_scenario_and_a_subgraph_interrupt(live_server, program):
    """seed.mjs: the seed scenario; subgraph.mjs: the `nested` example paused inside its
    subgraph, its nested state, and the resume that continues there."""
    node = tool("node")
    ensure_node_modules(NODE_CLIENT)
    env = {**os.environ, "LOCKSTEP_ADDRESS": live_server.address}
    proc = subprocess.run(
        [node, "--test", program],
        cwd=NODE_CLIENT,
        env=env,
        capture_output=True,
        text=True,
        timeout=NODE_TIMEOUT,
    )
    assert proc.returncode == 0, (
        f"`node --test {program}` against {live_server.address} failed ({proc.returncode}):\n"
        f"{show(proc)}\n--- server log ---\n{live_server.log()}"
    )
    # The runner really ran the scenario (not zero tests).
    assert "# fail 0" in proc.stdout and "# pass 0" not in proc.stdout, show(proc)
