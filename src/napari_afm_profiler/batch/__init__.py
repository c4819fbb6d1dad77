"""Batch analysis of many AFM files: the interactive pipeline over folders, on dask.distributed."""

import lazy_loader as _lazy

# Submodules load on first use: importing the package costs nothing (scikit-image's pattern).
__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submod_attrs={
        "config": ["BatchConfig", "DEFAULT_YAML", "config_from_dict", "load_config"],
        "process": ["FileOutcome"],
        "runner": ["BatchSummary", "SERIAL", "discover", "run", "run_batch_steps"],
        "store": ["ResultStore"],
    },
)
