"""Height (amplitude) parameters and material-ratio (functional) parameters.

References
----------
ISO 25178-2:2021, sections 4.1 (height) and 4.5 (functional); ISO 13565-2:1996 for the
core-roughness construction (Sk, Spk, Svk, Smr1, Smr2); K. J. Stout et al., EUR 15178 EN
(1993) for the bearing and fluid-retention indices Sbi, Sci, Svi.
"""

from __future__ import annotations

import numpy as np

from napari_afm_profiler.roughness.evaluation import Evaluation

SECANT_PCT = 40.0
CURVE_STEP_PCT = 0.05


def height_parameters(ev: Evaluation) -> None:
    """Sa, Sq, Ssk, Sku, Sp, Sv, Sz."""
    v = ev.area.values
    if v.size == 0:
        ev.undefined(["Sa", "Sq", "Ssk", "Sku", "Sp", "Sv", "Sz"], "the area has no valid pixels")
        return
    # extremes and moments in single passes: the height group needs no sort
    ev.set(Sa=float(np.abs(v).sum()) / v.size, Sq=ev.sq, Sp=ev.highest, Sv=-ev.lowest, Sz=ev.sz)
    if ev.flat or v.size < 3:
        ev.undefined(["Ssk", "Sku"], "the surface is flat (Sq = 0)" if ev.flat else "fewer than 3 pixels")
        return
    v2 = v * v
    ev.set(Ssk=np.dot(v2, v) / v.size / ev.sq**3, Sku=np.dot(v2, v2) / v.size / ev.sq**4)


def functional_parameters(ev: Evaluation) -> None:
    """Core roughness (Sk family), Smr(c), Smc(mr), Sdc, Sxp and the volume parameters."""
    symbols = ["Sk", "Spk", "Svk", "Smr1", "Smr2", "Smr", "Smc", "Sdc", "Sxp", "Vm", "Vv", "Vmp", "Vmc", "Vvc", "Vvv"]
    if ev.area.n < 2:
        ev.undefined(symbols, "fewer than 2 valid pixels")
        return
    s = ev.settings
    ev.set(
        Smr=ev.material_ratio(s.smr_c_nm),
        Smc=ev.height_at(s.smc_mr_pct),
        Sdc=ev.height_at(s.sdc_p_pct) - ev.height_at(s.sdc_q_pct),
        Sxp=ev.height_at(s.sxp_p_pct) - ev.height_at(s.sxp_q_pct),
        Vm=ev.material_volume(ev.height_at(s.vm_p_pct)),
        Vv=ev.void_volume(ev.height_at(s.vv_p_pct)),
    )
    c_p, c_q = ev.height_at(s.volume_p_pct), ev.height_at(s.volume_q_pct)
    ev.set(
        Vmp=ev.material_volume(c_p),
        Vmc=ev.material_volume(c_q) - ev.material_volume(c_p),
        Vvc=ev.void_volume(c_p) - ev.void_volume(c_q),
        Vvv=ev.void_volume(c_q),
    )
    if ev.flat:
        ev.undefined(["Sk", "Spk", "Svk", "Smr1", "Smr2"], "the surface is flat (Sq = 0)")
        return
    _core_roughness(ev)


def _core_roughness(ev: Evaluation) -> None:
    # ISO 13565-2: the secant through 40 % of the material ratio curve with the least slope,
    # extended to 0 % and 100 %, bounds the core
    mr = np.arange(0.0, 100.0 + CURVE_STEP_PCT / 2, CURVE_STEP_PCT)
    curve = ev.height_at(mr)
    width = int(round(SECANT_PCT / CURVE_STEP_PCT))
    drops = curve[:-width] - curve[width:]
    start = int(np.argmin(drops))
    slope = -drops[start] / SECANT_PCT
    top = curve[start] - slope * mr[start]
    bottom = top + slope * 100.0
    smr1 = ev.material_ratio(top)
    smr2 = ev.material_ratio(bottom)
    peak_area = 100.0 * ev.material_volume(top)
    dale_area = 100.0 * ev.void_volume(bottom)
    ev.set(
        Sk=top - bottom,
        Smr1=smr1,
        Smr2=smr2,
        Spk=2.0 * peak_area / smr1 if smr1 > 0 else 0.0,
        Svk=2.0 * dale_area / (100.0 - smr2) if smr2 < 100 else 0.0,
    )


def bearing_indices(ev: Evaluation) -> None:
    """Sbi, Sci and Svi (Birmingham 14 indices, as in SPIP)."""
    if ev.area.n < 2 or ev.flat:
        ev.undefined(["Sbi", "Sci", "Svi"], "the surface is flat (Sq = 0)" if ev.area.n >= 2 else "fewer than 2 pixels")
        return
    z05 = ev.height_at(5.0)
    vv80 = ev.void_volume(ev.height_at(80.0))
    sbi = ev.sq / z05 if z05 > 0 else None
    if sbi is None:
        ev.undefined(["Sbi"], "the height at 5 % material ratio is not above the mean plane")
    ev.set(Sbi=sbi, Sci=(ev.void_volume(z05) - vv80) / ev.sq, Svi=vv80 / ev.sq)
