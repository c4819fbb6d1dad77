/* Gwyddion's grain statistics on a given grain map, for benchmarks/compare_particles_gwyddion.py.
 *
 * Usage: gwy_grains HEIGHTS.f64 GRAINS.i32 XRES YRES DX DY
 * HEIGHTS: little-endian float64, YRES rows of XRES values (already measured from the
 * substrate, so Gwyddion's zero-based volume is the volume above the substrate);
 * GRAINS: int32 of the same shape, 0 = background, 1..N = grain numbers (ours, passed as is).
 * Prints one CSV row per grain: grain, then Gwyddion's projected area, maximum, mean,
 * zero-based volume, equivalent disc radius, minimum and maximum bounding size (Feret).
 * This program links against Gwyddion (GPL) and is only built by the benchmark, never shipped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <libgwyddion/gwyddion.h>
#include <libprocess/gwyprocess.h>

static gdouble *read_all(const char *path, size_t size)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    gdouble *buf = g_malloc(size);
    size_t got = fread(buf, 1, size, fp);
    fclose(fp);
    if (got != size) { g_free(buf); return NULL; }
    return buf;
}

int main(int argc, char **argv)
{
    if (argc != 7) { fprintf(stderr, "usage: %s HEIGHTS.f64 GRAINS.i32 XRES YRES DX DY\n", argv[0]); return 2; }
    gint xres = atoi(argv[3]), yres = atoi(argv[4]);
    gdouble dx = g_ascii_strtod(argv[5], NULL), dy = g_ascii_strtod(argv[6], NULL);
    size_t n = (size_t)xres * yres;
    gdouble *z = read_all(argv[1], n * sizeof(gdouble));
    gint *grains = (gint *)read_all(argv[2], n * sizeof(gint));
    if (!z || !grains) { fprintf(stderr, "cannot read the inputs\n"); return 3; }
    gwy_process_type_init();
    GwyDataField *field = gwy_data_field_new(xres, yres, xres * dx, yres * dy, FALSE);
    memcpy(gwy_data_field_get_data(field), z, n * sizeof(gdouble));
    gint ngrains = 0;
    for (size_t k = 0; k < n; k++) ngrains = MAX(ngrains, grains[k]);
    const GwyGrainQuantity quantities[] = {
        GWY_GRAIN_VALUE_PROJECTED_AREA, GWY_GRAIN_VALUE_MAXIMUM, GWY_GRAIN_VALUE_MEAN, GWY_GRAIN_VALUE_VOLUME_0,
        GWY_GRAIN_VALUE_EQUIV_DISC_RADIUS, GWY_GRAIN_VALUE_MINIMUM_BOUND_SIZE, GWY_GRAIN_VALUE_MAXIMUM_BOUND_SIZE,
    };
    const gint nq = G_N_ELEMENTS(quantities);
    gdouble *values[G_N_ELEMENTS(quantities)];
    for (gint q = 0; q < nq; q++)
        values[q] = gwy_data_field_grains_get_values(field, NULL, ngrains, grains, quantities[q]);
    printf("grain,area,maximum,mean,volume_0,equiv_disc_radius,min_bound_size,max_bound_size\n");
    for (gint g = 1; g <= ngrains; g++) {
        printf("%d", g);
        for (gint q = 0; q < nq; q++) printf(",%.17g", values[q][g]);
        printf("\n");
    }
    return 0;
}
