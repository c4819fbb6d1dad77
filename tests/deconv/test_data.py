"""Torch datasets of pairs: the stream equals the stored dataset of the same seed."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from napari_afm_profiler.deconv.data import PairFileDataset, VirtualPairStream  # noqa: E402
from napari_afm_profiler.synth import ObjectSpec, SynthConfig, make_dataset, save_dataset  # noqa: E402

CONFIG = SynthConfig(kind="dome", shape=(32, 32), objects=ObjectSpec(size_nm=(6, 8), height_nm=(3, 4)))


def test_stream_matches_the_dataset_of_the_same_seed(tmp_path):
    data = make_dataset(CONFIG, 3, seed=5)
    loader = torch.utils.data.DataLoader(VirtualPairStream(CONFIG, seed=5), batch_size=3)
    image, surface = next(iter(loader))
    assert image.shape == (3, 1, 32, 32) and image.dtype == torch.float32
    np.testing.assert_allclose(image[:, 0].numpy(), data["image"], rtol=1e-6)
    np.testing.assert_allclose(surface[:, 0].numpy(), data["surface"], rtol=1e-6)
    files = PairFileDataset(save_dataset(tmp_path / "d.npz", data), indices=[2, 0])
    assert len(files) == 2
    np.testing.assert_allclose(files[0][0][0].numpy(), data["image"][2], rtol=1e-6)


def test_workers_stream_different_pairs():
    stream = VirtualPairStream(CONFIG, seed=1)
    # numba's thread pool does not survive fork: worker processes are spawned
    loader = torch.utils.data.DataLoader(stream, batch_size=2, num_workers=2, multiprocessing_context="spawn")
    first, second = [batch[0] for _, batch in zip(range(2), loader)]
    assert not torch.equal(first, second)
