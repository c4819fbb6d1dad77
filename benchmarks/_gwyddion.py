"""Build the small C programs that use Gwyddion (GPL) as an outside reference in the benchmarks."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

SOURCES = Path(__file__).resolve().parent / "gwyddion"


def build_gwyddion_tool(name: str, *flags: str) -> Path | None:
    """Compile ``gwyddion/<name>.c`` against the system's Gwyddion; None when that is not possible."""
    if shutil.which("pkg-config") is None or shutil.which("cc") is None:
        return None
    if subprocess.run(["pkg-config", "--exists", "gwyddion"]).returncode != 0:
        return None
    out = Path(tempfile.mkdtemp(prefix=f"{name}_")) / name
    cflags = subprocess.run(["pkg-config", "--cflags", "gwyddion"], capture_output=True, text=True).stdout.split()
    libs = subprocess.run(["pkg-config", "--libs", "gwyddion"], capture_output=True, text=True).stdout.split()
    cmd = ["cc", "-O2", "-w", *flags, *cflags, str(SOURCES / f"{name}.c"), "-o", str(out), "-Wl,--as-needed", *libs,
           "-lm"]
    return out if subprocess.run(cmd, capture_output=True).returncode == 0 else None
