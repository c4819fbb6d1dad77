"""``python -m napari_afm_profiler.cli``: the same as the ``afm-profiler`` command."""

import sys

from napari_afm_profiler.cli import main

sys.exit(main())
