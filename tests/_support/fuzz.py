"""Mutation fuzzing of the readers: every malformed file must end in a format error or a valid image.

Used by ``benchmarks/fuzz_readers.py`` (tens of thousands of cases) and by the test suite (a
quick, seeded subset). A case *fails* when reading raises anything but the project's own error,
takes longer than the time limit, or runs out of the memory limit (an allocation sized from an
absurd header).
"""

from __future__ import annotations

import random
import re
import resource
import signal
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from napari_afm_profiler.errors import AfmProfilerError

INTERESTING = [b"\x00", b"\xff", b"\x7f", b"\x80", b"\x00\x00\x00\x00", b"\xff\xff\xff\xff", b"\x7f\xff\xff\xff",
               b"\x00\x00\x00\x80", b"\xff\xff\xff\x7f", b"\x00\x00\xf0\x7f", b"\x00\x00\xc0\x7f"]
NUMBERS = [b"0", b"-1", b"1", b"65536", b"99999999", b"2147483648", b"1e308", b"-1e308", b"nan", b"inf", b"", b"x"]
_DIGITS = re.compile(rb"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


@dataclass(frozen=True)
class CaseResult:
    """How one malformed file was handled.

    Attributes
    ----------
    outcome : {"image", "format-error", "failure"}
    mutation : str
        What was done to the bytes.
    detail : str
        The error message or the failure's traceback summary.
    seconds : float
    """

    outcome: str
    mutation: str
    detail: str
    seconds: float


def mutations(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """Return one random mutation of ``data`` and its description."""
    n = len(data)
    kind = rng.choice(["flip", "flip", "overwrite", "truncate", "number", "number", "delete", "duplicate", "zero"])
    head = min(n, 4096)
    if n == 0:
        return bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 64))), "random bytes"
    buf = bytearray(data)
    if kind == "flip":
        k = rng.randint(1, 8)
        for _ in range(k):
            i = rng.randrange(head if rng.random() < 0.7 else n)
            buf[i] ^= 1 << rng.randrange(8)
        return bytes(buf), f"flip {k} bit(s)"
    if kind == "overwrite":
        value = rng.choice(INTERESTING)
        i = rng.randrange(max(1, (head if rng.random() < 0.8 else n) - len(value)))
        buf[i:i + len(value)] = value
        return bytes(buf), f"overwrite {value.hex()} at {i}"
    if kind == "truncate":
        cut = rng.choice([rng.randrange(n), rng.randrange(head), n - rng.randint(1, min(n, 16))])
        return bytes(buf[:cut]), f"truncate to {cut}"
    if kind == "number":
        # change a number written as text (header fields of text-headed formats)
        matches = list(_DIGITS.finditer(data[: min(n, 65536)]))
        if matches:
            m = rng.choice(matches)
            value = rng.choice(NUMBERS)
            return data[: m.start()] + value + data[m.end():], f"header number {m.group()!r} -> {value!r}"
        return mutations(data, rng)
    if kind == "delete":
        i = rng.randrange(n)
        k = rng.randint(1, 64)
        return bytes(buf[:i] + buf[i + k:]), f"delete {k} byte(s) at {i}"
    if kind == "duplicate":
        i = rng.randrange(n)
        k = rng.randint(1, 64)
        return bytes(buf[:i] + buf[i:i + k] * 2 + buf[i + k:]), f"duplicate {k} byte(s) at {i}"
    i = rng.randrange(head)
    k = rng.randint(1, 256)
    buf[i:i + k] = bytes(min(k, n - i))
    return bytes(buf), f"zero {k} byte(s) at {i}"


class _Timeout(BaseException):  # noqa: N818 - not an Exception, so readers' broad handlers cannot swallow it
    pass


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    def handler(signum: int, frame: object) -> None:
        raise _Timeout

    previous = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def limit_memory(max_bytes: int) -> None:
    """Cap this process's address space, so that an absurd allocation raises MemoryError."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = max_bytes if hard == resource.RLIM_INFINITY else min(max_bytes, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def check_read(path: Path, read: Callable[[Path], object], time_limit: float = 2.0) -> tuple[str, str]:
    """Read one file; return ``(outcome, detail)``."""
    start = time.perf_counter()
    try:
        with _time_limit(time_limit):
            scans = read(path)
    except AfmProfilerError as exc:
        elapsed = time.perf_counter() - start
        if elapsed > time_limit:  # stuck in compiled code, where the alarm cannot interrupt
            return "failure", f"took {elapsed:.1f} s (limit {time_limit} s) before: {exc}"
        return "format-error", str(exc)
    except _Timeout:
        return "failure", f"took more than {time_limit} s"
    except MemoryError:
        return "failure", "MemoryError: an allocation sized from the header"
    except Exception as exc:  # noqa: BLE001 - that is what the fuzzer looks for
        tb = traceback.extract_tb(exc.__traceback__)[-1]
        return "failure", f"{type(exc).__name__}: {exc} ({Path(tb.filename).name}:{tb.lineno})"
    elapsed = time.perf_counter() - start
    if elapsed > time_limit:
        return "failure", f"took {elapsed:.1f} s (limit {time_limit} s)"
    for scan in scans:  # a "valid image" must be one: finite shape, float data
        data = np.asarray(scan.data)
        if data.ndim not in (2, 3) or data.size == 0 or not np.issubdtype(data.dtype, np.floating):
            return "failure", f"returned an invalid image: shape {data.shape}, dtype {data.dtype}"
    return "image", f"{len(scans)} channel(s)"


def fuzz_file(sample: Path, n_cases: int, *, seed: int = 0, time_limit: float = 2.0,
              read: Callable[[Path], object] | None = None) -> Iterator[CaseResult]:
    """Mutate ``sample`` ``n_cases`` times and read every mutant (same suffix, temporary folder).

    Parameters
    ----------
    sample : Path
    n_cases : int
    seed : int
    time_limit : float
        Seconds a single read may take.
    read : callable, optional
        Reader (default :func:`napari_afm_profiler.io.read_afm`).

    Yields
    ------
    CaseResult
    """
    from napari_afm_profiler.io import read_afm

    read = read or read_afm
    data = sample.read_bytes()
    try:  # warm-up: the first read of a format imports its libraries, which is not the file's fault
        read(sample)
    except Exception:  # noqa: BLE001, S110 - the sample's own problems are the reader tests' business
        pass
    rng = random.Random(f"{sample.name}-{seed}")
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / sample.name
        for _ in range(n_cases):
            mutant, what = mutations(data, rng)
            target.write_bytes(mutant)
            start = time.perf_counter()
            outcome, detail = check_read(target, read, time_limit)
            yield CaseResult(outcome, what, detail, time.perf_counter() - start)
