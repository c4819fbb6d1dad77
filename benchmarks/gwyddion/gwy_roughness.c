/* Gwyddion's own statistics of a height map, for benchmarks/compare_roughness_gwyddion.py.
 *
 * Usage: gwy_roughness FILE NY NX DY DX
 * FILE holds NY*NX little-endian float64 heights (any unit; lengths DY, DX in the same unit).
 * The least-squares plane is removed with Gwyddion's own fit, then one line of JSON is printed.
 * This program links against libgwyddion (GPL) and is only built by the benchmark, never
 * shipped with the package.
 */
#include <stdio.h>
#include <stdlib.h>
#include <libprocess/gwyprocess.h>

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: %s FILE NY NX DY DX\n", argv[0]);
        return 2;
    }
    gint ny = atoi(argv[2]), nx = atoi(argv[3]);
    gdouble dy = atof(argv[4]), dx = atof(argv[5]);
    gwy_process_type_init();
    GwyDataField *f = gwy_data_field_new(nx, ny, nx * dx, ny * dy, FALSE);
    FILE *fp = fopen(argv[1], "rb");
    if (!fp || fread(gwy_data_field_get_data(f), sizeof(gdouble), (size_t)nx * ny, fp) != (size_t)nx * ny) {
        fprintf(stderr, "cannot read %s\n", argv[1]);
        return 2;
    }
    fclose(fp);
    gdouble pa, pbx, pby;
    gwy_data_field_fit_plane(f, &pa, &pbx, &pby);
    gwy_data_field_plane_level(f, pa, pbx, pby);
    gdouble avg, ra, rms, skew, kurt, mn, mx;
    gwy_data_field_get_stats(f, &avg, &ra, &rms, &skew, &kurt);
    gwy_data_field_get_min_max(f, &mn, &mx);
    gdouble area = gwy_data_field_get_surface_area(f);
    gdouble slope = gwy_data_field_get_surface_slope(f);
    GwyDataLine *xs = gwy_data_line_new(1, 1.0, FALSE), *ys = gwy_data_line_new(1, 1.0, FALSE);
    gwy_data_field_fractal_psdf(f, xs, ys, GWY_INTERPOLATION_LINEAR);
    gdouble a, b;
    gdouble dim_psdf = gwy_data_field_fractal_psdf_dim(xs, ys, &a, &b);
    gwy_data_field_fractal_partitioning(f, xs, ys, GWY_INTERPOLATION_LINEAR);
    gdouble dim_part = gwy_data_field_fractal_partitioning_dim(xs, ys, &a, &b);
    printf("{\"Sa\": %.17g, \"Sq\": %.17g, \"Ssk\": %.17g, \"Sku_excess\": %.17g, \"Sp\": %.17g, \"Sv\": %.17g, "
           "\"surface_area\": %.17g, \"projected_area\": %.17g, \"surface_slope\": %.17g, "
           "\"fractal_psdf\": %.17g, \"fractal_partitioning\": %.17g}\n",
           ra, rms, skew, kurt, mx - avg, avg - mn, area, nx * dx * ny * dy, slope, dim_psdf, dim_part);
    return 0;
}
