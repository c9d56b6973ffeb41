"""`python -m lockstep serve ...` and the `lockstep` console script (the CLI is lockstep.cli)."""

from __future__ import annotations

import sys

from lockstep.cli import main, parser

__all__ = ["main", "parser"]

if __name__ == "__main__":
    sys.exit(main())
