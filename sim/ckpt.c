/* ckpt.c - save and load normsim checkpoints through sim/safetensors. */
#include "ckpt.h"
#include "safetensors.h"
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

char *ckpt_config_json(const ns_config *c)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "arch", c->arch);
    cJSON_AddStringToObject(o, "norm", c->norm);
    const struct { const char *k; int v; } ints[] = {
        {"d", c->d}, {"layers", c->layers}, {"heads", c->heads}, {"kv_heads", c->kv_heads},
        {"seq", c->seq}, {"vocab", c->vocab}, {"d_ff", c->d_ff}, {"window", c->window},
        {"image", c->image}, {"patch", c->patch}};
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
        cJSON_AddNumberToObject(o, ints[i].k, ints[i].v);
    cJSON_AddNumberToObject(o, "eps", c->eps);
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

static int json_int(const cJSON *o, const char *k, int *out, ns_err *e)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!cJSON_IsNumber(v) || v->valuedouble != (double)(int)v->valuedouble)
        return ns_fail(e, NS_EUSAGE, "checkpoint config: '%s' missing or not an integer", k);
    *out = (int)v->valuedouble;
    return NS_OK;
}

int ckpt_config_parse(const char *json, ns_config *cfg, ns_err *e)
{
    cJSON *o = cJSON_Parse(json);
    if (!o)
        return ns_fail(e, NS_EUSAGE, "checkpoint config is not valid JSON");
    const cJSON *arch = cJSON_GetObjectItemCaseSensitive(o, "arch"),
                *norm = cJSON_GetObjectItemCaseSensitive(o, "norm"),
                *eps = cJSON_GetObjectItemCaseSensitive(o, "eps");
    int rc = cJSON_IsString(arch) && cJSON_IsString(norm) && cJSON_IsNumber(eps)
                 ? arch_config(arch->valuestring, cfg, e)
                 : ns_fail(e, NS_EUSAGE, "checkpoint config lacks arch, norm or eps");
    if (!rc && strlen(norm->valuestring) >= sizeof cfg->norm)
        rc = ns_fail(e, NS_EUSAGE, "checkpoint config: norm name too long");
    if (!rc) {
        snprintf(cfg->norm, sizeof cfg->norm, "%s", norm->valuestring);
        cfg->eps = eps->valuedouble;
    }
    int *fields[] = {&cfg->d, &cfg->layers, &cfg->heads, &cfg->kv_heads, &cfg->seq, &cfg->vocab,
                     &cfg->d_ff, &cfg->window, &cfg->image, &cfg->patch};
    const char *names[] = {"d", "layers", "heads", "kv_heads", "seq", "vocab", "d_ff", "window",
                           "image", "patch"};
    for (int i = 0; !rc && i < 10; i++)
        rc = json_int(o, names[i], fields[i], e);
    cJSON_Delete(o);
    return rc ? rc : config_validate(cfg, e);
}

/* metadata: {"normsim.config": <config>, ...extra} */
static char *metadata(const ns_model *m, const char *extra)
{
    cJSON *meta = extra ? cJSON_Parse(extra) : cJSON_CreateObject();
    char *cfg = ckpt_config_json(&m->cfg);
    if (!meta || !cfg) {
        cJSON_Delete(meta);
        free(cfg);
        return NULL;
    }
    cJSON_AddStringToObject(meta, "normsim.config", cfg);
    free(cfg);
    char *s = cJSON_PrintUnformatted(meta);
    cJSON_Delete(meta);
    return s;
}

int ckpt_save(const char *path, const ns_model *m, const adamw *o, const char *extra, ns_err *e)
{
    int n = m->n_tensors + (o ? 2 : 0);
    st_entry *t = calloc((size_t)n, sizeof *t);
    char *meta = metadata(m, extra);
    if (!t || !meta) {
        free(t);
        free(meta);
        return ns_fail(e, NS_ERUN, "out of memory writing a checkpoint");
    }
    for (int i = 0; i < m->n_tensors; i++) {
        const ns_tensor *T = &m->tensors[i];
        t[i] = (st_entry){T->name, NUM_F64, T->rows == 1 ? 1 : 2, {0}, m->params + T->offset};
        t[i].shape[0] = T->rows == 1 ? (uint64_t)T->cols : (uint64_t)T->rows;
        t[i].shape[1] = (uint64_t)T->cols;
    }
    if (o) {
        t[m->n_tensors] = (st_entry){"optim.m", NUM_F64, 1, {o->n}, o->m};
        t[m->n_tensors + 1] = (st_entry){"optim.v", NUM_F64, 1, {o->n}, o->v};
    }
    int rc = st_write(path, t, n, meta, e);
    free(t);
    free(meta);
    return rc;
}

/* read tensor name of count values into dst, checking its element count */
static int read_tensor(const st_file *f, const char *name, uint64_t count, double *dst, ns_err *e)
{
    const st_tensor *t = st_find(f, name);
    if (!t)
        return ns_fail(e, NS_EUSAGE, "%s: no tensor '%s'", f->path, name);
    if (t->count != count)
        return ns_fail(e, NS_EUSAGE, "%s: tensor '%s' has %llu values, the model needs %llu",
                       f->path, name, (unsigned long long)t->count, (unsigned long long)count);
    return st_read(f, t, 0, count, dst, e);
}

int ckpt_load_model(const char *path, ns_model *m, ns_err *e)
{
    st_file f;
    int rc = st_open(&f, path, e);
    if (rc)
        return rc;
    const char *cj = st_meta(&f, "normsim.config");
    ns_config cfg;
    rc = cj ? ckpt_config_parse(cj, &cfg, e)
            : ns_fail(e, NS_EUSAGE, "%s: not a normsim checkpoint (no normsim.config metadata; "
                      "for Hugging Face files give --arch)", path);
    if (!rc)
        rc = model_create(m, &cfg, e);
    for (int i = 0; !rc && i < m->n_tensors; i++) { /* every shape first, then the data */
        const st_tensor *t = st_find(&f, m->tensors[i].name);
        uint64_t want = (uint64_t)m->tensors[i].rows * m->tensors[i].cols;
        if (!t || t->count != want)
            rc = ns_fail(e, NS_EUSAGE, "%s: tensor '%s' %s (the config needs %llu values)", path,
                         m->tensors[i].name, t ? "has the wrong shape" : "is missing",
                         (unsigned long long)want);
    }
    for (int i = 0; !rc && i < m->n_tensors; i++) {
        const ns_tensor *T = &m->tensors[i];
        rc = read_tensor(&f, T->name, (uint64_t)T->rows * T->cols, m->params + T->offset, e);
    }
    if (rc && m->params)
        model_free(m);
    st_close(&f);
    return rc;
}

int ckpt_load_optim(const char *path, adamw *o, const char *key, char **val, ns_err *e)
{
    st_file f;
    *val = NULL;
    int rc = st_open(&f, path, e);
    if (rc)
        return rc;
    rc = read_tensor(&f, "optim.m", o->n, o->m, e);
    if (!rc)
        rc = read_tensor(&f, "optim.v", o->n, o->v, e);
    const char *v = st_meta(&f, key);
    if (!rc && !v)
        rc = ns_fail(e, NS_EUSAGE, "%s: no '%s' in the metadata (not a training checkpoint?)", path, key);
    if (!rc && !(*val = strdup(v)))
        rc = ns_fail(e, NS_ERUN, "out of memory");
    st_close(&f);
    return rc;
}
