"""Benchmarks own their sections of ``RESULTS.md``: each writes its table between markers.

A section is delimited by ``<!-- results:NAME begin -->`` and ``<!-- results:NAME end -->``;
``--write`` replaces what lies between (or appends the section), with the command, the
commit, the date, the machine and the thread counts, so a table can never drift from the
script that produced it.  The file is replaced atomically.
"""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def provenance(threads: str) -> str:
    """One line naming the commit, date, machine and thread counts of a measurement."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                cwd=RESULTS.parent, check=False).stdout.strip() or "unknown"
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                               text=True, cwd=RESULTS.parent, check=False).stdout.strip()
    except OSError:
        commit, dirty = "unknown", ""
    cpu = platform.processor() or platform.machine()
    return (f"commit {commit}{' + local changes' if dirty else ''}, {datetime.date.today().isoformat()}, "
            f"{platform.system()} {cpu}, {os.cpu_count()} cores, python {platform.python_version()}, "
            f"threads: {threads}")


def write_section(name: str, body: str, *, title: str | None = None, path: Path = RESULTS) -> None:
    """Put ``body`` (markdown) into the section ``name`` of ``RESULTS.md`` with the command that made it.

    A section that does not exist yet is appended under the heading ``title``; an existing one
    keeps its heading and place.
    """
    begin, end = f"<!-- results:{name} begin -->", f"<!-- results:{name} end -->"
    command = "python " + " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])
    block = f"{begin}\nWritten by `{command}` (in `benchmarks/`).\n\n{body.rstrip()}\n{end}"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = head + block + rest.split(end, 1)[1]
    else:
        heading = f"## {title}\n\n" if title else ""
        text = text.rstrip() + "\n\n" + heading + block + "\n"
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


class _Tee:
    def __init__(self, stream: object) -> None:
        self.stream, self.parts = stream, []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return self.stream.write(text)  # type: ignore[attr-defined]

    def flush(self) -> None:
        self.stream.flush()  # type: ignore[attr-defined]


def writes_results(name: str, title: str, threads: str = "library defaults"):
    """Decorate a benchmark's ``main``: with ``--write`` its printed tables become the section ``name``.

    ``--write`` is taken out of ``sys.argv`` before the benchmark parses its own arguments;
    everything the benchmark prints is shown as usual and, at the end, written (with the
    provenance line) into ``RESULTS.md``.
    """
    import contextlib
    import functools

    def wrap(main):
        @functools.wraps(main)
        def run(*args, **kwargs):
            write = "--write" in sys.argv
            if write:
                sys.argv.remove("--write")
            tee = _Tee(sys.stdout)
            with contextlib.redirect_stdout(tee):
                result = main(*args, **kwargs)
            if write:
                sys.argv.append("--write")  # the command line recorded in the section
                body = provenance(threads) + "\n\n" + "".join(tee.parts).strip()
                write_section(name, body, title=title)
            return result
        return run
    return wrap
