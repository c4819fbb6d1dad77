"""The parameter registry: every roughness parameter's symbol, group, unit, definition and reference.

One module-level dict read by the core, the CLI, the widget and the documentation table, so
the list of parameters has a single source of truth.
"""

from __future__ import annotations

from dataclasses import dataclass

ISO_2 = "ISO 25178-2:2021"
ISO_13565 = "ISO 13565-2:1996 (applied areally, ISO 25178-2)"
STOUT = "Stout et al., EUR 15178 EN (1993), the 'Birmingham 14'; SPIP manual"
STOUT_SDQ = "ISO 25178-2:2021; discrete form of Stout et al., EUR 15178 EN (1993)"
PERSSON = "Persson et al., J. Phys.: Condens. Matter 17, R1 (2005)"


@dataclass(frozen=True)
class Parameter:
    """One surface parameter.

    Attributes
    ----------
    symbol : str
        Key in every result (ISO symbol where one exists).
    group : str
        Computation group (``height``, ``hybrid``, ``spatial``, ``functional``, ``features``,
        ``fractal``, ``spip``); the widget and CLI select parameters by group.
    unit : str
        Unit of the value for a height channel in nm (other channels: nm is replaced by the
        channel's unit).
    name : str
        Name in words.
    definition : str
        How it is computed here, in one or two sentences.
    reference : str
        Standard or paper that defines it.
    """

    symbol: str
    group: str
    unit: str
    name: str
    definition: str
    reference: str


def _p(symbol: str, group: str, unit: str, name: str, definition: str, reference: str = ISO_2) -> Parameter:
    return Parameter(symbol, group, unit, name, definition, reference)


_ALL = (
    _p("Sa", "height", "nm", "arithmetic mean height", "mean of |z| about the mean plane"),
    _p("Sq", "height", "nm", "root-mean-square height", "sqrt(mean(z^2)) about the mean plane"),
    _p("Ssk", "height", "1", "skewness", "mean(z^3) / Sq^3"),
    _p("Sku", "height", "1", "kurtosis", "mean(z^4) / Sq^4"),
    _p("Sp", "height", "nm", "maximum peak height", "largest height above the mean plane"),
    _p("Sv", "height", "nm", "maximum pit depth", "largest depth below the mean plane (positive)"),
    _p("Sz", "height", "nm", "maximum height", "Sp + Sv"),
    _p("Sdq", "hybrid", "1", "root-mean-square gradient",
       "sqrt(mean((dz/dx)^2) + mean((dz/dy)^2)), forward differences of neighbouring pixels both in the area",
       STOUT_SDQ),
    _p("Sdr", "hybrid", "%", "developed interfacial area ratio",
       "100 * (surface area / projected area - 1); each pixel cell with all four corners in the area is "
       "triangulated both ways and the two areas averaged"),
    _p("Sal", "spatial", "nm", "autocorrelation length",
       "shortest lag at which the autocorrelation (normalised by the overlap) falls to s (default 0.2); "
       "found along 360 directions with linear interpolation"),
    _p("Str", "spatial", "1", "texture aspect ratio",
       "Sal divided by the longest lag to fall to s; a direction that never falls to s within half the "
       "evaluation area counts with that limit, so Str is then an upper bound"),
    _p("Std", "spatial", "deg", "texture direction",
       "direction of the maximum of the angular power spectrum (ISO's f_APS: the power integrated along "
       "rays from zero frequency, interpolated), refined by the centroid of a sharp spectral line; in "
       "[0, 180), counter-clockwise from +x as displayed (row 0 at the top): the direction across the lay"),
    _p("Ssw", "spatial", "nm", "dominant spatial wavelength",
       "1 / spatial frequency of the maximum of the radial power spectrum (ISO's f_RPS: the power averaged "
       "over directions at each frequency; Hann-windowed periodogram, peak located to sub-bin precision)"),
    _p("Sk", "functional", "nm", "core height",
       "height span of the least-slope 40 % secant of the areal material ratio curve, over 0-100 %", ISO_13565),
    _p("Spk", "functional", "nm", "reduced peak height",
       "height of the triangle with the area of the peaks above the core, base Smr1", ISO_13565),
    _p("Svk", "functional", "nm", "reduced dale height",
       "height of the triangle with the area of the dales below the core, base 100 % - Smr2", ISO_13565),
    _p("Smr1", "functional", "%", "upper material ratio", "material ratio at the top of the core", ISO_13565),
    _p("Smr2", "functional", "%", "lower material ratio", "material ratio at the bottom of the core", ISO_13565),
    _p("Smr", "functional", "%", "areal material ratio Smr(c)",
       "percentage of the area at or above height c (default c = 0 nm, the mean plane)"),
    _p("Smc", "functional", "nm", "inverse areal material ratio Smc(mr)",
       "height c (about the mean plane) at which the material ratio is mr (default 10 %)"),
    _p("Sdc", "functional", "nm", "areal material ratio height difference Sdc(p, q)",
       "Smc(p) - Smc(q) (defaults p = 10 %, q = 80 %)"),
    _p("Sxp", "functional", "nm", "peak extreme height", "Smc(p) - Smc(q) with p = 2.5 %, q = 50 %"),
    _p("Vm", "functional", "nm^3/nm^2", "material volume Vm(p)",
       "material volume per unit area above the height of material ratio p (default 10 %)"),
    _p("Vv", "functional", "nm^3/nm^2", "void volume Vv(p)",
       "void volume per unit area below the height of material ratio p (default 10 %)"),
    _p("Vmp", "functional", "nm^3/nm^2", "peak material volume", "Vm(10 %)"),
    _p("Vmc", "functional", "nm^3/nm^2", "core material volume", "Vm(80 %) - Vm(10 %)"),
    _p("Vvc", "functional", "nm^3/nm^2", "core void volume", "Vv(10 %) - Vv(80 %)"),
    _p("Vvv", "functional", "nm^3/nm^2", "dale void volume", "Vv(80 %)"),
    _p("Spd", "features", "1/um^2", "density of peaks",
       "significant peaks per unit area after Wolf pruning at 5 % of Sz (8-connected merge tree); "
       "peaks on the border of the evaluation area excluded"),
    _p("Spc", "features", "1/nm", "arithmetic mean peak curvature",
       "mean of -(d2z/dx2 + d2z/dy2)/2 at the significant peaks"),
    _p("Svd", "features", "1/um^2", "density of pits", "as Spd, for pits"),
    _p("Svc", "features", "1/nm", "arithmetic mean pit curvature", "mean of (d2z/dx2 + d2z/dy2)/2 at the significant pits"),
    _p("S5p", "features", "nm", "five-point peak height", "mean height of the five highest significant peaks"),
    _p("S5v", "features", "nm", "five-point pit height", "mean depth of the five deepest significant pits"),
    _p("S10z", "features", "nm", "ten-point height", "S5p + S5v"),
    _p("Sfd_psd", "fractal", "1", "fractal dimension (power spectrum)",
       "4 + beta / 2, beta the log-log slope of the radially averaged power spectrum C(q) ~ q^beta "
       "between 2 / L and a quarter of the sampling frequency", PERSSON),
    _p("Sfd_var", "fractal", "1", "fractal dimension (variogram)",
       "3 - H, 2H the log-log slope of the height-difference structure function along x and y "
       "over lags of 2 to 32 pixels (2 to 32 balances the pixel-scale and finite-size biases)",
       "Mandelbrot; Gwyddion fractal analysis"),
    _p("Sds", "spip", "1/um^2", "density of summits", "8-neighbour local maxima per unit area", STOUT),
    _p("Ssc", "spip", "1/nm", "mean summit curvature", "mean of -(d2z/dx2 + d2z/dy2)/2 at the summits", STOUT),
    _p("Sbi", "spip", "1", "surface bearing index", "Sq / z(5 %), z(5 %) the height at 5 % material ratio", STOUT),
    _p("Sci", "spip", "1", "core fluid retention index", "(Vv(5 %) - Vv(80 %)) / Sq", STOUT),
    _p("Svi", "spip", "1", "valley fluid retention index", "Vv(80 %) / Sq", STOUT),
)

PARAMETERS: dict[str, Parameter] = {p.symbol: p for p in _ALL}
"""Every parameter by symbol, in the order of the documentation table and of result columns."""

GROUPS: dict[str, tuple[str, ...]] = {}
for _param in _ALL:
    GROUPS.setdefault(_param.group, ())
    GROUPS[_param.group] += (_param.symbol,)

GEOMETRY_COLUMNS = ("area_nm2", "perimeter_nm", "equivalent_diameter_nm")
"""Region geometry columns of a region table (areas in nm^2, lengths in nm)."""


def parameter_table_markdown() -> str:
    """Return the documentation table of every parameter (Markdown), generated from the registry."""
    lines = ["| symbol | group | unit | name | definition (as computed here) | reference |",
             "|---|---|---|---|---|---|"]
    for p in _ALL:
        lines.append(f"| `{p.symbol}` | {p.group} | {p.unit} | {p.name} | {p.definition} | {p.reference} |")
    return "\n".join(lines) + "\n"
