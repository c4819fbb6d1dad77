"""Fuzz every reader with mutated copies of the real sample files.

    python benchmarks/fuzz_readers.py [--cases 10000] [--only gwy,spm] [--save failures/] [--memory-gb 4]

Each sample in ``../shared/afm-samples`` is mutated ``--cases`` times (bit flips, overwrites with
boundary values, truncation, deletion and duplication of byte runs, zeroed runs, and numbers in
text headers replaced by 0, -1, huge, NaN or garbage). Every mutant must give the project's
format error or a valid image; anything else, a read slower than 2 s, or a MemoryError under
the ``--memory-gb`` address-space cap (an allocation sized from an absurd header) is a failure,
printed with the mutation that caused it and, with ``--save``, kept for reproduction.
"""

from __future__ import annotations

import argparse
import collections
import logging
import random
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the test-support helpers live in tests/
from tests._support.fuzz import fuzz_file, limit_memory, mutations  # noqa: E402

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "afm-samples"


sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import writes_results  # noqa: E402


@writes_results("fuzz", "Reader fuzzing (script-written)", "1")
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=Path, default=SAMPLES)
    parser.add_argument("--cases", type=int, default=10000, help="mutants per sample file")
    parser.add_argument("--only", default=None, help="comma-separated suffixes to fuzz (e.g. gwy,spm)")
    parser.add_argument("--save", type=Path, default=None, help="folder to keep the failing mutants in")
    parser.add_argument("--memory-gb", type=float, default=4.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    limit_memory(int(args.memory_gb * 1024**3))
    logging.disable(logging.CRITICAL)  # tifffile logs every malformed tag it skips
    warnings.simplefilter("ignore")
    wanted = None if args.only is None else {"." + s.strip(".") for s in args.only.split(",")}
    samples = sorted(p for p in args.samples.iterdir() if p.is_file() and p.suffix not in (".md", ".json")
                     and (wanted is None or p.suffix.lower() in wanted))
    print(f"{'sample':40s} {'cases':>6s} {'images':>7s} {'format errors':>13s} {'failures':>8s} {'slowest (s)':>11s}")
    total_failures = 0
    for sample in samples:
        counts: collections.Counter[str] = collections.Counter()
        slowest = 0.0
        failures = []
        start = time.perf_counter()
        for i, case in enumerate(fuzz_file(sample, args.cases, seed=args.seed)):
            counts[case.outcome] += 1
            slowest = max(slowest, case.seconds)
            if case.outcome == "failure":
                failures.append((i, case))
        total_failures += len(failures)
        print(f"{sample.name:40s} {args.cases:6d} {counts['image']:7d} {counts['format-error']:13d} "
              f"{len(failures):8d} {slowest:11.2f}   ({time.perf_counter() - start:.0f} s)")
        for i, case in failures[:5]:
            print(f"    case {i}: {case.mutation}: {case.detail}")
        if args.save and failures:
            args.save.mkdir(parents=True, exist_ok=True)
            data = sample.read_bytes()
            rng = random.Random(f"{sample.name}-{args.seed}")
            bad = {i for i, _ in failures}
            for i in range(max(bad) + 1):
                mutant, _ = mutations(data, rng)
                if i in bad:
                    (args.save / f"{i:06d}-{sample.name}").write_bytes(mutant)
    print(f"\n{total_failures} failure(s) in {len(samples)} sample files x {args.cases} cases")


if __name__ == "__main__":
    main()
