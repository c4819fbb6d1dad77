"""Batch analysis of many AFM files: the interactive pipeline over folders, on dask.distributed."""

import lazy_loader as _lazy

# Submodules load on first use: importing the package costs nothing (scikit-image's pattern).
__getattr__, _dir, _names = _lazy.attach(
    __name__,
    submod_attrs={
        "config": ["BatchConfig", "DEFAULT_YAML", "config_from_dict", "load_config"],
        "process": ["process_file", "threshold_regions", "FileOutcome"],
        "runner": ["BatchSummary", "SERIAL", "discover", "run", "run_batch_steps"],
        "store": ["ResultStore"],
    },
)

# kept importable for one release (``from ... import process_file``), no longer part of the curated namespace
_HIDDEN = {'process_file', 'threshold_regions'}
__all__ = [n for n in _names if n not in _HIDDEN]


def __dir__() -> list[str]:
    return list(__all__)
