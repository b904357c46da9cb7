"""Run every ``benchmarks/bench_*.py`` in turn; each prints JSON lines (figure, anchor, ratio)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

here = Path(__file__).resolve().parent
only = sys.argv[1:]
failed = []
for script in sorted(here.glob("bench_*.py")):
    if only and not any(o in script.stem for o in only):
        continue
    print(f"# {script.name}", file=sys.stderr, flush=True)
    if subprocess.run([sys.executable, str(script)], check=False).returncode != 0:
        failed.append(script.name)
if failed:
    sys.exit(f"benchmarks failed: {', '.join(failed)}")
