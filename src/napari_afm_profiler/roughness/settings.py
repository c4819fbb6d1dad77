"""Arguments of the parameters that take them, with ISO 25178-3 defaults."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from napari_afm_profiler.errors import InputError


@dataclass(frozen=True)
class RoughnessSettings:
    """Arguments of the roughness parameters.

    Attributes
    ----------
    level : {"plane", "none"}
        Levelling inside each evaluation area before anything is computed.
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
        if self.level not in ("plane", "none"):
            raise InputError(f"level must be 'plane' or 'none'; got {self.level!r}")

    def as_dict(self) -> dict[str, float | str]:
        """Return the settings as a plain dict (for reports and JSON)."""
        return asdict(self)
