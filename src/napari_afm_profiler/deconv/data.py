"""Torch datasets of (image, surface) pairs: streamed from the virtual generator, or from a ``.npz`` file.

Tensors are float32 ``(1, ny, nx)`` in nm, no normalisation (the paper keeps true heights).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset, IterableDataset, get_worker_info

from napari_afm_profiler.synth import SynthConfig, iter_pairs, load_dataset


class VirtualPairStream(IterableDataset):
    """Endless virtual pairs made on the fly (no files), reproducible from ``seed``.

    With several ``DataLoader`` workers each worker streams from its own seed
    (``seed + 1000003 * worker_id``), so no pair repeats across workers; start them with
    ``multiprocessing_context="spawn"`` (the compiled tip kernels' thread pool does not
    survive ``fork``).

    Parameters
    ----------
    config : SynthConfig
        Generator settings.
    seed : int
        Seed of the stream; worker 0 of a single-process loader gives exactly the pairs
        of a dataset made with the same seed.
    tip : ndarray, optional
        Tip array to image with instead of ``config.tip``.
    """

    def __init__(self, config: SynthConfig, seed: int = 0, tip: np.ndarray | None = None) -> None:
        super().__init__()
        config.check()
        self.config, self.seed, self.tip = config, seed, tip

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        worker = get_worker_info()
        seed = self.seed + (1000003 * worker.id if worker is not None else 0)
        for pair in iter_pairs(self.config, seed, tip=self.tip):
            yield _tensor(pair.image), _tensor(pair.surface)


class PairFileDataset(Dataset):
    """Pairs of a ``.npz`` dataset (ours or built from the user's layers), optionally a subset.

    Parameters
    ----------
    path : str or Path
        The dataset file.
    indices : sequence of int, optional
        Pairs to use (e.g. a training or validation split).
    """

    def __init__(self, path: str | Path, indices: Any = None) -> None:
        data = load_dataset(path)
        self.image, self.surface = data["image"], data["surface"]
        self.pixel_size_nm = data["pixel_size_nm"]
        self.indices = np.arange(len(self.image)) if indices is None else np.asarray(indices)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        k = self.indices[i]
        return _tensor(self.image[k]), _tensor(self.surface[k])


def _tensor(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))[None]
