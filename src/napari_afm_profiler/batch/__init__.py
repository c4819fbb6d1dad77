"""Batch analysis of many AFM files: the interactive pipeline over folders, on dask.distributed."""

from napari_afm_profiler.batch.config import DEFAULT_YAML, BatchConfig, config_from_dict, load_config
from napari_afm_profiler.batch.process import FileOutcome, process_file, threshold_regions
from napari_afm_profiler.batch.run import SERIAL, BatchSummary, discover, run_batch_steps
from napari_afm_profiler.batch.store import ResultStore

__all__ = [
    "DEFAULT_YAML",
    "SERIAL",
    "BatchConfig",
    "BatchSummary",
    "FileOutcome",
    "ResultStore",
    "config_from_dict",
    "discover",
    "load_config",
    "process_file",
    "run_batch_steps",
    "threshold_regions",
]
