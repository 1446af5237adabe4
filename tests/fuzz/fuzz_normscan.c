/* fuzz_normscan.c - libFuzzer target: a safetensors file from memory through what
 * `inspect` does with it: norm discovery and classification (a config.json may ride in the
 * metadata key "fuzz.config"), then each norm's parameters loaded and its predicted kernel
 * computed through the registry. (--norm-pattern is the user's own regex, not file input:
 * not fuzzed.) */
#include "sim/checkpoint/norm_scan.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f = size ? fmemopen((void *)data, size, "rb") : NULL;
    st_file sf;
    st_set s;
    ns_err e = {0};
    if (!f || st_open_stream(&sf, f, "fuzz", &e) != NS_OK || st_set_from_file(&s, &sf, &e) != NS_OK)
        return 0;
    const char *cfg_text = st_set_meta(&s, "fuzz.config");
    cJSON *cfg = cfg_text ? cJSON_Parse(cfg_text) : NULL;
    scan_opts o = {NULL, st_set_meta(&s, "fuzz.norm"), st_set_meta(&s, "fuzz.final"), cfg};
    scan_result r;
    if (norm_scan(&s, &o, &r, &e) == NS_OK) {
        for (int i = 0; i < r.n; i++) {
            const norm_layer *l = &r.layers[i];
            double *g = l->scale ? st_set_load(&s, l->scale, &e) : NULL, *b = l->bias ? st_set_load(&s, l->bias, &e) : NULL, *P = NULL;
            if ((!l->scale || g) && (!l->bias || b) && l->d <= 4096)
                norm_predicted_kernel(l->kind ? l->kind : "layernorm-nobias", l->d, g, b, &P, &e);
            free(P);
            free(g);
            free(b);
        }
        (void)norm_kind_is_ln(r.final >= 0 ? r.layers[r.final].kind : r.nonparam_kind, 8);
        scan_result_free(&r);
    }
    cJSON_Delete(cfg);
    st_set_close(&s);
    return 0;
}
