"""`python -m bench` (make bench): every benchmark in turn."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def main() -> int:
    names = sorted(
        info.name for info in pkgutil.iter_modules([str(Path(__file__).parent)]) if info.name != "__main__"
    )
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        if hasattr(module, "main"):
            print(f"=== bench.{name}", flush=True)
            module.main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
