/* import.c - the import entry: a checkpoint (normsim's own or Hugging Face) with its
 * config.json into a model. */
#include "sim/checkpoint/checkpoint.h"
#include "sim/checkpoint/hf_internal.h"
#include "sim/io/file_kind.h"
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int ckpt_import(const st_set *s, const ckpt_opts *o, ns_model *m, int *unused, char *unused_name,
                size_t name_len, ns_err *e)
{
    if (unused)
        *unused = 0;
    if (unused_name && name_len)
        unused_name[0] = '\0';
    if (!st_set_meta(s, NORMSIM_META_KEY))
        return ckpt_import_hf(s, o, m, unused, unused_name, name_len, e);
    ns_config c;
    int rc = ckpt_normsim_config(s, &c, e);
    if (!rc && o->arch && strcmp(o->arch, c.arch) != 0)
        rc = ns_fail(e, NS_EUSAGE, "--arch %s, but %s is a normsim %s checkpoint", o->arch, s->path, c.arch);
    if (!rc && o->seq > 0 && o->seq != c.seq)
        rc = ns_fail(e, NS_EUSAGE, "--seq cannot change a normsim checkpoint's seq (%d)", c.seq);
    if (rc || (rc = model_create(m, &c, e)))
        return rc;
    if ((rc = model_load_set(m, s, e)))
        model_free(m);
    else
        m->prec = o->prec;
    return rc;
}

/* ---- config.json ---- */

int ckpt_find_config(const char *checkpoint, char *buf, size_t n)
{
    struct stat sb;
    if (stat(checkpoint, &sb) != 0)
        return 0;
    if (S_ISDIR(sb.st_mode))
        snprintf(buf, n, "%s/config.json", checkpoint);
    else {
        const char *slash = strrchr(checkpoint, '/');
        if (slash)
            snprintf(buf, n, "%.*sconfig.json", (int)(slash - checkpoint + 1), checkpoint);
        else
            snprintf(buf, n, "config.json");
    }
    return stat(buf, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* a GGUF file's metadata as its config.json, with the Hugging Face names inspect reads:
 * model_type (general.architecture; gemma's GGUF gain already holds Gemma's + 1, so it is
 * not called gemma here) and the eps key that says RMSNorm or LayerNorm. *cfg stays NULL for
 * other files; NS_OK unless a GGUF file is bad. */
static int gguf_config(const char *path, cJSON **cfg, char *used, size_t n, ns_err *e)
{
    file_kind k;
    st_set s;
    char key[160];
    ns_err quiet = {0};
    if (file_kind_of(path, &k, &quiet) || k != FK_GGUF)
        return NS_OK;
    int rc = st_set_open(&s, path, e);
    if (rc)
        return rc;
    cJSON *c = hf_gguf_config(&s);
    const char *arch = st_set_meta(&s, "general.architecture");
    double eps;
    if (c && arch) {
        cJSON_ReplaceItemInObject(c, "model_type", cJSON_CreateString(strncmp(arch, "gemma", 5) == 0 ? "gguf-gemma"
                                                                                                 : arch));
        snprintf(key, sizeof key, "%s.attention.layer_norm_rms_epsilon", arch);
        if (cfg_num(c, key, &eps))
            cJSON_AddNumberToObject(c, "rms_norm_eps", eps);
        snprintf(key, sizeof key, "%s.attention.layer_norm_epsilon", arch);
        if (cfg_num(c, key, &eps)) {
            cJSON_AddNumberToObject(c, "layer_norm_epsilon", eps);
            cJSON_AddNumberToObject(c, "layer_norm_eps", eps);
        }
    }
    st_set_close(&s);
    *cfg = c;
    if (used && n)
        snprintf(used, n, "%s (GGUF metadata)", path);
    return c ? NS_OK : ns_fail(e, NS_ERUN, "out of memory");
}

int ckpt_load_config(const char *checkpoint, const char *config_path, int no_config, cJSON **cfg,
                     char *used, size_t n, ns_err *e)
{
    char found[4096];
    *cfg = NULL;
    if (config_path && no_config)
        return ns_fail(e, NS_EUSAGE, "--config and --no-config exclude each other");
    if (!config_path && !no_config && gguf_config(checkpoint, cfg, used, n, e))
        return e->code;
    if (*cfg)
        return NS_OK;
    if (config_path)
        snprintf(found, sizeof found, "%s", config_path);
    else if (no_config || !ckpt_find_config(checkpoint, found, sizeof found))
        return NS_OK;
    if (used && n)
        snprintf(used, n, "%s", found);
    return json_load_file(found, cfg, e);
}

int ckpt_load(const char *path, const char *config_path, int no_config, const ckpt_opts *o,
              ns_model *m, ns_err *e)
{
    char unused_name[256];
    cJSON *cfg;
    st_set s;
    int unused = 0, rc = ckpt_load_config(path, config_path, no_config, &cfg, NULL, 0, e);
    if (rc || (rc = st_set_open(&s, path, e))) {
        cJSON_Delete(cfg);
        return rc;
    }
    ckpt_opts co = *o;
    co.config = cfg;
    rc = ckpt_import(&s, &co, m, &unused, unused_name, sizeof unused_name, e);
    if (!rc && unused > 0)
        fprintf(stderr, "normsim: warning: %s: %d tensor%s not used by the %s import (e.g. '%s')\n",
                s.path, unused, unused == 1 ? "" : "s", m->cfg.arch, unused_name);
    st_set_close(&s);
    cJSON_Delete(cfg);
    return rc;
}
