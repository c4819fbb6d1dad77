/* Gwyddion's own file readers, for benchmarks/compare_readers_gwyddion.py.
 *
 * Usage: gwy_load FILE OUTPREFIX
 * Loads FILE with Gwyddion's file modules and, for every image channel, writes its values as
 * little-endian float64 (SI units, rows as Gwyddion displays them) to OUTPREFIX_<id>.f64 and
 * prints one JSON list describing the channels.  Needs an X display (run under xvfb-run).
 * This program links against Gwyddion (GPL) and is only built by the benchmark, never shipped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gtk/gtk.h>
#include <libgwyddion/gwyddion.h>
#include <libprocess/gwyprocess.h>
#include <libgwymodule/gwymodule.h>
#include <libgwydgets/gwydgets.h>
#include <app/gwyapp.h>

int main(int argc, char **argv)
{
    if (argc != 3) { fprintf(stderr, "usage: %s FILE OUTPREFIX\n", argv[0]); return 2; }
    gtk_init(&argc, &argv);
    gwy_widgets_type_init();
    gwy_app_init_common(NULL, "layer", "file", NULL);  /* layer modules define the selection types stored in .gwy files */
    GError *err = NULL;
    GwyContainer *c = gwy_file_load(argv[1], GWY_RUN_NONINTERACTIVE, &err);
    if (!c) { fprintf(stderr, "load failed: %s\n", err ? err->message : "?"); return 3; }
    gint *ids = gwy_app_data_browser_get_data_ids(c);
    printf("[");
    for (gint k = 0; ids[k] != -1; k++) {
        gchar key[64]; g_snprintf(key, sizeof key, "/%d/data", ids[k]);
        GwyDataField *f = GWY_DATA_FIELD(gwy_container_get_object_by_name(c, key));
        g_snprintf(key, sizeof key, "/%d/data/title", ids[k]);
        const gchar *title = gwy_container_contains_by_name(c, key) ? gwy_container_get_string_by_name(c, key) : "";
        gchar *uz = gwy_si_unit_get_string(gwy_data_field_get_si_unit_z(f), GWY_SI_UNIT_FORMAT_PLAIN);
        gchar *uxy = gwy_si_unit_get_string(gwy_data_field_get_si_unit_xy(f), GWY_SI_UNIT_FORMAT_PLAIN);
        gint xres = gwy_data_field_get_xres(f), yres = gwy_data_field_get_yres(f);
        gchar path[4096]; g_snprintf(path, sizeof path, "%s_%d.f64", argv[2], ids[k]);
        FILE *fp = fopen(path, "wb");
        fwrite(gwy_data_field_get_data_const(f), sizeof(gdouble), (size_t)xres * yres, fp);
        fclose(fp);
        printf("%s{\"id\": %d, \"title\": \"%s\", \"xres\": %d, \"yres\": %d, \"xreal\": %.17g, \"yreal\": %.17g, "
               "\"unit_xy\": \"%s\", \"unit_z\": \"%s\", \"file\": \"%s\"}", k ? ", " : "", ids[k], title, xres, yres,
               gwy_data_field_get_xreal(f), gwy_data_field_get_yreal(f), uxy, uz, path);
    }
    printf("]\n");
    return 0;
}
