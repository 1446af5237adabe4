/* fuzz_hfconfig.c - libFuzzer target: the Hugging Face config mapping. The input is a
 * config.json text (any bytes); it is parsed and imported with a small HF checkpoint of the
 * family its first byte picks (written once, by normsim's own HF export, into a temporary
 * folder), so every config key the mapping reads, checks or refuses meets hostile values. */
#include "sim/checkpoint/checkpoint.h"
#include "sim/model/arch.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *hfcfg_families[] = {"gpt2", "llama", "pythia", "bert", "falcon", "gemma", "t5", "opt"};
#define HFCFG_N ((int)(sizeof hfcfg_families / sizeof hfcfg_families[0]))
static char hfcfg_dirs[HFCFG_N][256];

/* the exported folders removed at exit */
static void hfcfg_cleanup(void)
{
    for (int i = 0; i < HFCFG_N; i++) {
        char *slash = hfcfg_dirs[i][0] == '/' ? strrchr(hfcfg_dirs[i], '/') : NULL;
        if (!slash)
            continue;
        remove(hfcfg_dirs[i]);
        *slash = '\0';
        char cfg[sizeof hfcfg_dirs[0] + 16];
        snprintf(cfg, sizeof cfg, "%.255s/config.json", hfcfg_dirs[i]);
        remove(cfg);
        rmdir(hfcfg_dirs[i]);
        hfcfg_dirs[i][0] = '-';
    }
}

/* family i's checkpoint folder, exported on first use ("" when it could not be made) */
static const char *hfcfg_dir(int i)
{
    if (hfcfg_dirs[i][0])
        return hfcfg_dirs[i][0] == '-' ? NULL : hfcfg_dirs[i];
    ns_config c;
    ns_model m;
    ns_err e = {0};
    char base[] = "/tmp/normsim-fuzz-hf-XXXXXX";
    static int registered;
    if (!registered++)
        atexit(hfcfg_cleanup);
    hfcfg_dirs[i][0] = '-';
    if (!mkdtemp(base) || arch_config(hfcfg_families[i], &c, &e))
        return NULL;
    c.d = 16, c.layers = 1, c.heads = 2, c.kv_heads = 0, c.seq = 8, c.vocab = 32, c.d_ff = 32;
    if (c.input == INPUT_PATCHES || model_create(&m, &c, &e))
        return NULL;
    model_init(&m, 1);
    int rc = ckpt_export_hf(&m, base, &e);
    model_free(&m);
    snprintf(hfcfg_dirs[i], sizeof hfcfg_dirs[i], "%s/model.safetensors", base);
    if (rc) {
        hfcfg_cleanup(); /* what was written, if anything */
        return NULL;
    }
    return hfcfg_dirs[i];
}

/* byte 0 picks the family, the rest is config.json: the import's status (e set) */
static int hfconfig_import(const uint8_t *data, size_t size, ns_err *e)
{
    if (size < 1 || size > 65536)
        return ns_fail(e, NS_EUSAGE, "empty or too long");
    const char *path = hfcfg_dir(data[0] % HFCFG_N);
    char *text = malloc(size);
    if (!path || !text) {
        free(text);
        return ns_fail(e, NS_ERUN, "no checkpoint to import");
    }
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    cJSON *cfg = cJSON_Parse(text);
    free(text);
    st_set s;
    int rc = cfg ? st_set_open(&s, path, e) : ns_fail(e, NS_EUSAGE, "config.json is not JSON");
    if (!rc) {
        ckpt_opts o = {NULL, cfg, -1, -1, PREC_F64};
        ns_model m;
        if ((rc = ckpt_import(&s, &o, &m, NULL, NULL, 0, e)) == NS_OK)
            model_free(&m);
        st_set_close(&s);
    }
    cJSON_Delete(cfg);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ns_err e = {0};
    hfconfig_import(data, size, &e);
    return 0;
}
