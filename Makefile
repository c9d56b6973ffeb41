# The README's commands: `make run` serves the examples, `make test` runs the tests.
# Both set themselves up on a machine with nothing but python3.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: setup run test fuzz lint bench proto ts-proto clean browser postgres

setup: $(STAMP)

# Three distributions, installed editable in one pip command so that lockstep-api and
# lockstep-client (on no package index) come from client/api/ and client/.
$(STAMP): pyproject.toml client/pyproject.toml client/api/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e client/api -e client -e '.[dev]'
	touch $(STAMP)

run: setup
	$(PY) -m lockstep serve

test: setup browser postgres
	$(PY) -m pytest

# The inspector's browser tests drive the system's Chromium (Debian's package, through
# Playwright); installed when missing, a no-op when it is there.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; }

# The PostgreSQL backend's tests start a throwaway PostgreSQL server (initdb, pg_ctl) in a
# temporary directory; Debian's package is installed when there is none (its binaries live
# in /usr/lib/postgresql/VERSION/bin, where the tests look). LOCKSTEP_TEST_POSTGRES=
# postgresql://... points the tests at a running server instead.
postgres:
	@[ -n "$$LOCKSTEP_TEST_POSTGRES" ] || command -v initdb >/dev/null 2>&1 || \
	  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql; }

# The wire fuzz with FUZZ_EXAMPLES cases per RPC and kind (`make test` runs 150), seeded at
# random each time: a failure prints the case and how to replay it (@reproduce_failure).
FUZZ_EXAMPLES ?= 2000
fuzz: setup
	LOCKSTEP_WIRE_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest tests/server/test_fuzz_wire.py --timeout 0

# buf breaking: protos/ must not break clients generated from the released contract,
# protos/released.binpb (a buf image of protos/). To release a contract version (its
# additions are then promised to clients), regenerate and commit the image:
#   .venv/bin/buf build --exclude-source-info -o protos/released.binpb
# A change that must break clients goes in a new package (lockstep.v2), not into v1.
lint: setup
	$(VENV)/bin/ruff check server client tests bench scripts
	$(VENV)/bin/buf lint
	$(VENV)/bin/buf breaking protos --against protos/released.binpb

# The stubs generated from protos/: Python (client/api/lockstep_api) and TypeScript
# (clients/ts/src/gen). Tests fail when either is stale.
proto: setup ts-proto
	$(PY) scripts/genproto.py

# TypeScript: buf (the dev extra's) runs ts-proto from clients/ts's package-lock.json.
ts-proto: setup
	test -x clients/ts/node_modules/.bin/protoc-gen-ts_proto || \
	  (cd clients/ts && npm ci --no-audit --no-fund)
	$(PY) scripts/genproto_ts.py

bench: setup postgres
	$(PY) bench/engine.py
	$(PY) bench/server.py
	$(PY) bench/load.py
	$(PY) bench/postgres.py

clean:
	rm -rf $(VENV) .lockstep
