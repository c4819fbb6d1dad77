"""Format detection and dispatch: one entry point, :func:`read_afm`, for every supported file.

Provenance of the own parsers (the licence stays BSD-3): each is written from the format's
published or vendor documentation and from the files themselves; the expected values they
are tested against (``oracle.json``, the orientation and channel fingerprints) come from
independent readers, mostly Gwyddion's file modules run as an outside program.  No code of a
GPL reader (Gwyddion, AFMReader, pySPM-based readers) is in, or imported by, this package.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from napari_afm_profiler.errors import AFMFormatError
from napari_afm_profiler.io import (
    ascii_matrix,
    asd,
    generic,
    gsf,
    gwy,
    ibw,
    jpk,
    jpk_h5,
    mdt,
    mi,
    nanoscope,
    nid,
    park,
    sxm,
    wsxm,
)
from napari_afm_profiler.io.scan import AfmScan, order_channels

Reader = Callable[[Path], list[AfmScan]]


@dataclass(frozen=True)
class FormatInfo:
    """A supported format: its name, instrument, reader and the library doing the parsing."""

    name: str
    instrument: str
    reader: Reader
    library: str
    lazy: bool = False  # the reader takes ``lazy=True`` and then returns stacks as dask arrays


FORMATS: dict[str, FormatInfo] = {
    "gwy": FormatInfo("gwy", "Gwyddion (GWYP; legacy GWYO)", gwy.read_gwy,
                      "own bounds-checked parser (gwyfile hangs on corrupt files)"),
    "gsf": FormatInfo("gsf", "Gwyddion Simple Field", gsf.read_gsf, "own parser"),
    "nanoscope": FormatInfo("nanoscope", "Bruker/Veeco Nanoscope", nanoscope.read_nanoscope, "own parser"),
    "ibw": FormatInfo("ibw", "Asylum Research (Igor binary wave)", ibw.read_ibw, "igor2"),
    "jpk": FormatInfo("jpk", "JPK/Bruker image, QI image", jpk.read_jpk, "tifffile"),
    "jpk-h5": FormatInfo("jpk-h5", "JPK/Bruker HDF5 image series", jpk_h5.read_jpk_h5, "h5py", lazy=True),
    "sxm": FormatInfo("sxm", "Nanonis", sxm.read_sxm, "own parser"),
    "nid": FormatInfo("nid", "Nanosurf", nid.read_nid, "NSFopen"),
    "mdt": FormatInfo("mdt", "NT-MDT (scanned and MDA frames)", mdt.read_mdt, "own parser"),
    "asd": FormatInfo("asd", "High-speed AFM (RIBM/Ando lab)", asd.read_asd, "own parser", lazy=True),
    "park": FormatInfo("park", "Park Systems TIFF", park.read_park, "tifffile + own header parser"),
    "wsxm": FormatInfo("wsxm", "WSxM", wsxm.read_wsxm, "own parser"),
    "mi": FormatInfo("mi", "Molecular Imaging / Agilent PicoView", mi.read_mi, "own parser"),
    "ascii-matrix": FormatInfo("ascii-matrix", "Gwyddion ASCII matrix export", ascii_matrix.read_ascii_matrix,
                               "numpy"),
    "tiff": FormatInfo("tiff", "Any TIFF: Park, JPK, own export, ImageJ, OME", generic.read_tiff,
                       "tifffile, bioio"),
    "npy": FormatInfo("npy", "NumPy array (heights in nm)", generic.read_npy, "numpy"),
    "bioimage": FormatInfo("bioimage", "Generic microscopy (OME-TIFF, CZI, ND2, LIF ...)", generic.read_bioimage,
                           "bioio (aicsimageio if only that is installed)"),
}

# suffix -> candidate formats, checked in order by content sniffing
SUFFIXES: dict[str, tuple[str, ...]] = {
    ".gwy": ("gwy",), ".gsf": ("gsf",), ".spm": ("nanoscope",), ".di": ("nanoscope",),
    ".ibw": ("ibw",), ".jpk": ("jpk",), ".jpk-qi-image": ("jpk",), ".h5-jpk": ("jpk-h5",),
    ".sxm": ("sxm",), ".nid": ("nid",), ".mdt": ("mdt",), ".asd": ("asd",),
    ".tiff": ("tiff",), ".tif": ("tiff",),
    ".stp": ("wsxm",), ".top": ("wsxm",), ".mi": ("mi",), ".txt": ("ascii-matrix",), ".npy": ("npy",),
    ".czi": ("bioimage",), ".nd2": ("bioimage",), ".lif": ("bioimage",), ".ome.tif": ("tiff",),
    ".ome.tiff": ("tiff",),
}
_NUMBERED = re.compile(r"^\.\d{3}$")
# Suffixes that ordinary microscopy and numerical files share with AFM data: read on request
# (CLI, API), but napari is offered them only when the content carries AFM metadata, so that
# opening a fluorescence TIFF does not ask the user to choose a reader.
GENERIC_SUFFIXES = frozenset({".tif", ".tiff", ".ome.tif", ".ome.tiff", ".npy", ".czi", ".nd2", ".lif"})
# Our own TIFF export under a name napari can tell from any TIFF (``scan.afm.tif``).
OWN_EXPORT_SUFFIXES = (".afm.tif", ".afm.tiff")


def supported_suffixes() -> list[str]:
    """Every file-name suffix the readers accept (numbered Nanoscope suffixes listed as .000-.999).

    Examples
    --------
    >>> suffixes = supported_suffixes()
    >>> all(s in suffixes for s in (".gwy", ".spm", ".ibw", ".nid", ".asd", ".001"))
    True
    """
    return sorted(SUFFIXES) + [f".{i:03d}" for i in range(1000)]


def napari_suffixes() -> list[str]:
    """Suffixes the napari reader claims: the AFM-specific ones and the own-export TIFF names."""
    return sorted(set(SUFFIXES) - GENERIC_SUFFIXES) + list(OWN_EXPORT_SUFFIXES)


def is_generic(path: str | Path) -> bool:
    """Whether ``path`` has a suffix that non-AFM files use as well (TIFF, NumPy, CZI ...)."""
    return _suffix(Path(path)) in GENERIC_SUFFIXES


def carries_afm_metadata(path: str | Path) -> bool:
    """Whether a generic file (TIFF) is AFM data: a Park or JPK TIFF, or this plugin's own export.

    Never raises; ``.npy``, CZI, ND2 and LIF files never carry AFM metadata.
    """
    from napari_afm_profiler.io._common import open_tiff
    from napari_afm_profiler.io.generic import afm_tiff_kind

    if _candidates(_suffix(Path(path))) != ("tiff",):
        return False
    try:
        with open_tiff(Path(path)) as tif:
            return afm_tiff_kind(tif) is not None
    except Exception:
        return False


def _suffix(path: Path) -> str:
    name = path.name.lower()
    for multi in (".ome.tiff", ".ome.tif", ".jpk-qi-image", ".h5-jpk"):
        if name.endswith(multi):
            return multi
    return path.suffix.lower()


def detect_format(path: str | Path) -> str | None:
    """Name of the format of ``path`` (by suffix, confirmed by content), or None if unsupported.

    Never raises: unreadable files give None so that other napari readers can try.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from pathlib import Path
    >>> from napari_afm_profiler.io.writers import write_image
    >>> detect_format(write_image(Path(tempfile.mkdtemp()) / "scan.gwy", np.zeros((4, 4)), pixel_size_nm=(1.0, 1.0)))
    'gwy'
    """
    path = Path(path)
    suffix = _suffix(path)
    candidates = _candidates(suffix)
    if candidates is None:
        return None
    try:
        with open(path, "rb") as handle:
            head = handle.read(4096)
    except OSError:
        return candidates[0]  # let the reader report the I/O problem with a clear message
    for name in candidates:
        if _content_matches(name, head):
            return name
    if _NUMBERED.match(suffix) or suffix == ".txt":
        return None  # a numbered or .txt file that is not ours: leave it to other readers
    return candidates[0]


def _content_matches(name: str, head: bytes) -> bool:
    if name == "nanoscope":
        return nanoscope.is_nanoscope(head) or not head
    if name == "ascii-matrix":
        return ascii_matrix.is_ascii_matrix(head)
    return True


def _claimed_by_suffix(path: Path) -> str | None:
    """Name the format a supported suffix stands for, even when the content check failed.

    Its reader then says what is wrong with the content (e.g. "not a Nanoscope file"), which
    helps more than "unsupported file type" for a suffix that is supported.
    """
    candidates = _candidates(_suffix(path))
    return candidates[0] if candidates else None


def _candidates(suffix: str) -> tuple[str, ...] | None:
    """List the formats a suffix may be, in the order their content is checked (numbered: Nanoscope)."""
    if suffix in SUFFIXES:
        return SUFFIXES[suffix]
    return ("nanoscope",) if _NUMBERED.match(suffix) else None


def _suffix_summary() -> str:
    return ", ".join(sorted(SUFFIXES)) + ", .000-.999"


def read_afm(path: str | Path, *, file_format: str | None = None, lazy: bool = False) -> list[AfmScan]:
    """Read all channels of an AFM (or generic image) file, heights in nm, height channels first.

    Parameters
    ----------
    path : str or Path
        The file to read.
    file_format : str, optional
        Force a format name from :data:`FORMATS`; detected from suffix and content if omitted.
    lazy : bool, optional
        Return movies and image series (HS-AFM ``.asd``, ``.h5-jpk``) as dask arrays read one
        frame at a time when used: the first frame shows at once and memory stays bounded
        whatever the file size.  Single images, and other formats, are read as usual.

    Returns
    -------
    scans : list of AfmScan
        Every channel, calibrated.

    Raises
    ------
    AFMFormatError
        If the file is missing, unsupported, truncated or corrupt; the message names the file.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from pathlib import Path
    >>> from napari_afm_profiler.io.writers import write_image
    >>> path = write_image(Path(tempfile.mkdtemp()) / "scan.tif", np.ones((6, 4)), pixel_size_nm=(1.5, 1.5))
    >>> [(s.channel, s.data.shape, s.pixel_size_nm) for s in read_afm(path)]
    [('Height', (6, 4), (1.5, 1.5))]
    """
    path = Path(path)
    if not path.exists():
        raise AFMFormatError(path, "no such file")
    if path.is_dir():
        raise AFMFormatError(path, "is a directory, not a file")
    name = file_format or detect_format(path) or _claimed_by_suffix(path)
    if name is None:
        raise AFMFormatError(path, f"unsupported file type {_suffix(path)!r} (supported: {_suffix_summary()})")
    if name not in FORMATS:
        raise AFMFormatError(path, f"unknown format name {name!r}")
    try:
        info = FORMATS[name]
        scans = info.reader(path, lazy=True) if lazy and info.lazy else info.reader(path)
    except AFMFormatError:
        raise
    except (MemoryError, RecursionError) as exc:
        raise AFMFormatError(path, f"corrupt file ({type(exc).__name__})") from exc
    except Exception as exc:  # a reader library failed in an unforeseen way: still a clear message
        raise AFMFormatError(path, f"could not be read as {name} ({type(exc).__name__}: {exc})") from exc
    if not scans:
        raise AFMFormatError(path, "contains no image channels")
    return order_channels(scans)


def read(path: str | Path, *, file_format: str | None = None, lazy: bool = False) -> list[AfmScan]:
    """Read every channel of an AFM file: ``ap.read(path)``, the scripting name of :func:`read_afm`.

    Parameters
    ----------
    path : str or Path
        An instrument file (see :data:`FORMATS`), a text matrix, a TIFF or a ``.npy``.
    file_format : str, optional
        Force a format name from :data:`FORMATS`.
    lazy : bool, optional
        Movies (``.asd``, ``.h5-jpk``) as dask stacks read frame by frame.

    Returns
    -------
    scans : list of AfmScan
        Height channels first, calibrated (heights in nm, pixel sizes in nm).

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from pathlib import Path
    >>> from napari_afm_profiler.io.writers import write_image
    >>> path = write_image(Path(tempfile.mkdtemp()) / "scan.gwy", np.zeros((8, 10)), pixel_size_nm=(2.0, 2.0))
    >>> scan = read(path)[0]
    >>> scan.data.shape, scan.pixel_size_nm, scan.z_unit
    ((8, 10), (2.0, 2.0), 'nm')
    """
    return read_afm(path, file_format=file_format, lazy=lazy)
