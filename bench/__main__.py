"""``make bench``: every benchmark in turn, each printing its figures beside a baseline.

Sizes are the issue targets; pass ``--quick`` for small sizes (a smoke run).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RUNS = [
    ("gateway_proxy.py", [], ["--duration", "2", "--rounds", "1"]),
    ("import_contacts.py", ["--rows", "100000"], ["--rows", "5000"]),
    ("search.py", ["--rows", "1000000"], ["--rows", "20000"]),
    ("read_path.py", [], ["--contacts", "1000", "--duration", "3", "--rounds", "1"]),
    ("webhook_dispatch.py", ["--events", "5000"], ["--events", "300"]),
]


def main() -> int:
    quick = "--quick" in sys.argv[1:]
    failed = 0
    for script, full, small in RUNS:
        args = small if quick else full
        print(f"\n=== bench/{script} {' '.join(args)}", flush=True)
        failed |= subprocess.call([sys.executable, str(HERE / script), *args]) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
