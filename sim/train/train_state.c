/* ckpt.c - save and load normsim checkpoints through sim/safetensors. */
#include "sim/train/train_state.h"
#include "sim/checkpoint/checkpoint.h"
#include "sim/io/safetensors.h"
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

/* metadata: {"normsim.config": <config>, ...extra} */
static char *metadata(const ns_model *m, const char *extra)
{
    cJSON *meta = extra ? cJSON_Parse(extra) : cJSON_CreateObject();
    char *cfg = ckpt_config_text(&m->cfg);
    if (!meta || !cfg) {
        cJSON_Delete(meta);
        free(cfg);
        return NULL;
    }
    cJSON_AddStringToObject(meta, NORMSIM_META_KEY, cfg);
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
    ns_config cfg;
    int rc = model_config_from_safetensors(path, &cfg, e);
    if (!rc)
        rc = model_create(m, &cfg, e);
    if (!rc && (rc = model_load_safetensors(m, path, e)))
        model_free(m);
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
