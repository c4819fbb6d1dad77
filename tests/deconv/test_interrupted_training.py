"""A training process killed mid-epoch resumes from its checkpoint to the same weights as an unbroken run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

torch = pytest.importorskip("torch")

from napari_afm_profiler.deconv.training import train  # noqa: E402
from tests.deconv.test_train_infer import TINY  # noqa: E402

SCRIPT = textwrap.dedent("""
    import sys
    from dataclasses import replace
    import torch
    torch.set_num_threads(int(sys.argv[2]))  # the parent's count: same reduction order, same weights
    from napari_afm_profiler.deconv.training import train_steps
    from tests.deconv.test_train_infer import TINY
    for p in train_steps(replace(TINY, epochs=3), sys.argv[1]):
        print(p["stage"], p.get("epoch", "-"), p.get("step", ""), flush=True)
""")


def test_kill_mid_epoch_then_resume_gives_the_same_weights(tmp_path):
    config = TINY.__class__(**{**TINY.__dict__, "epochs": 3})
    unbroken = tmp_path / "unbroken"
    train(config, unbroken, command="pytest")
    killed = tmp_path / "killed"
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(killed), str(torch.get_num_threads())],
                            stdout=subprocess.PIPE, text=True, cwd=root,
                            env={**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")})
    try:
        for line in proc.stdout:
            stage, epoch, step = (line.split() + [""])[:3]
            if stage == "step" and epoch == "1" and step == "2":  # inside the second epoch
                proc.send_signal(signal.SIGKILL)
                break
    finally:
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    state = torch.load(killed / "checkpoint.pt", weights_only=True)
    assert int(state["epoch"]) == 0  # the last finished epoch survived the kill intact
    train(config, killed, resume=killed / "checkpoint.pt", command="pytest")
    a = torch.load(unbroken / "checkpoint.pt", weights_only=True)["model"]
    b = torch.load(killed / "checkpoint.pt", weights_only=True)["model"]
    assert a.keys() == b.keys()
    for name in a:
        assert torch.equal(a[name], b[name]), name
    assert (killed / "weights.safetensors").read_bytes() == (unbroken / "weights.safetensors").read_bytes()
