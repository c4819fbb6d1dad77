"""The surface being evaluated (ISO 25178-3 operators) and the arguments of the parameters, with ISO defaults."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from napari_afm_profiler.errors import InputError

LEVEL_CHOICES = ("plane", "none", "poly2", "poly3", "poly4", "poly5", "poly6")
"""F-operators: the least-squares plane, none (mean only), or a polynomial of order 2-6."""


def f_operator_order(level: str) -> int:
    """Return the polynomial order of an F-operator name of :data:`LEVEL_CHOICES` (0: the mean only)."""
    return {"none": 0, "plane": 1}[level] if level in ("none", "plane") else int(level[4:])


@dataclass(frozen=True)
class RoughnessSettings:
    """Arguments of the roughness parameters.

    Attributes
    ----------
    level : {"plane", "none", "poly2", ..., "poly6"}
        The F-operator inside each evaluation area: the least-squares plane or polynomial of
        that order is removed ("none": only the mean).  Also the levelling of regions.
    s_filter_nm : float or None
        Nesting index of the S-filter (areal Gaussian, ISO 16610-61): wavelengths shorter than
        this are removed (noise, the tip's finest scale).  None: no S-filter.
    l_filter_nm : float or None
        Nesting index of the L-filter: wavelengths longer than this are removed (waviness).
        None: no L-filter (an S-F surface, or the primary surface without an F-operator).
    l_filter_robust : bool
        Robust Gaussian L-filter (ISO 16610-71): particles and scratches do not pull the mean
        surface.
    smr_c_nm : float
        Height c (nm, about the mean plane) of Smr(c).
    smc_mr_pct : float
        Material ratio mr (%) of Smc(mr).
    sdc_p_pct, sdc_q_pct : float
        Material ratios (%) of Sdc(p, q).
    sxp_p_pct, sxp_q_pct : float
        Material ratios (%) of Sxp (ISO default 2.5 % and 50 %).
    vm_p_pct, vv_p_pct : float
        Material ratio (%) of Vm(p) and Vv(p) (ISO default 10 %).
    volume_p_pct, volume_q_pct : float
        Material ratios (%) that split peak / core / dale volumes (ISO default 10 % and 80 %).
    acf_threshold : float
        Autocorrelation value s of Sal and Str (ISO default 0.2).
    wolf_pruning_pct : float
        Wolf pruning threshold of the feature parameters, % of Sz (ISO default 5 %).
    """

    level: str = "plane"
    s_filter_nm: float | None = None
    l_filter_nm: float | None = None
    l_filter_robust: bool = False
    smr_c_nm: float = 0.0
    smc_mr_pct: float = 10.0
    sdc_p_pct: float = 10.0
    sdc_q_pct: float = 80.0
    sxp_p_pct: float = 2.5
    sxp_q_pct: float = 50.0
    vm_p_pct: float = 10.0
    vv_p_pct: float = 10.0
    volume_p_pct: float = 10.0
    volume_q_pct: float = 80.0
    acf_threshold: float = 0.2
    wolf_pruning_pct: float = 5.0

    def __post_init__(self) -> None:
        for f in fields(self):
            if f.name.endswith("_pct") and not 0.0 <= getattr(self, f.name) <= 100.0:
                raise InputError(f"{f.name} must be a percentage in [0, 100]; got {getattr(self, f.name)}")
        if not 0.0 < self.acf_threshold < 1.0:
            raise InputError(f"acf_threshold must be in (0, 1); got {self.acf_threshold}")
        if self.level not in LEVEL_CHOICES:
            raise InputError(f"level (the F-operator) must be one of {', '.join(LEVEL_CHOICES)}; got {self.level!r}")
        for name in ("s_filter_nm", "l_filter_nm"):
            value = getattr(self, name)
            if value is not None and not (isinstance(value, (int, float)) and value > 0):
                raise InputError(f"{name} must be a nesting index > 0 nm or None; got {value!r}")
        if self.s_filter_nm and self.l_filter_nm and not self.s_filter_nm < self.l_filter_nm:
            raise InputError(f"the S-filter's nesting index ({self.s_filter_nm} nm) must be shorter than the "
                             f"L-filter's ({self.l_filter_nm} nm)")

    @property
    def surface(self) -> str:
        """The surface evaluated: ``S-L``, ``S-F`` or ``primary`` (ISO 25178-2, 3.1.8-3.1.10)."""
        if self.l_filter_nm:
            return "S-L"
        return "S-F" if self.level != "none" else "primary"

    @property
    def order(self) -> int:
        """Polynomial order of the F-operator (0: the mean only)."""
        return f_operator_order(self.level)

    def area_options(self) -> dict[str, object]:
        """Keyword arguments of :func:`~napari_afm_profiler.roughness.surface.evaluation_area` for these operators."""
        return {"level": self.level, "s_filter_nm": self.s_filter_nm, "l_filter_nm": self.l_filter_nm,
                "l_filter_robust": self.l_filter_robust}

    def echo(self) -> dict[str, str]:
        """Return the ``surface`` and ``operators`` columns every output carries (one line of text for the chain)."""
        operators = self.operators()
        surface = operators.pop("surface")
        return {"surface": surface, "operators": "; ".join(f"{k}: {v}" for k, v in operators.items())}

    def operators(self) -> dict[str, str]:
        """Name the operators in words, echoed by every output (CSV/JSON metadata, layer features, the dock)."""
        robust = "robust Gaussian (ISO 16610-71)" if self.l_filter_robust else "Gaussian (ISO 16610-61)"
        return {
            "surface": self.surface,
            "S-filter": f"Gaussian (ISO 16610-61), nesting index {self.s_filter_nm:g} nm" if self.s_filter_nm
            else "none",
            "F-operator": {"none": "none (mean removed)", "plane": "least-squares plane"}.get(
                self.level, f"least-squares polynomial of order {self.order}"),
            "L-filter": f"{robust}, nesting index {self.l_filter_nm:g} nm" if self.l_filter_nm else "none",
        }

    def as_dict(self) -> dict[str, float | str]:
        """Return the settings as a plain dict (for reports and JSON)."""
        return asdict(self)
