/* model_file.c - normsim's own safetensors checkpoints (every tensor under its normsim
 * name, the config as JSON in the metadata); the import entry is import.c. */
#include "sim/checkpoint/checkpoint.h"
#include "sim/model/config_json.h"
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

char *ckpt_config_text(const ns_config *c)
{
    cJSON *j = config_to_json(c);
    char *t = j ? cJSON_PrintUnformatted(j) : NULL;
    cJSON_Delete(j);
    return t;
}

int ckpt_normsim_config(const st_set *s, ns_config *cfg, ns_err *e)
{
    const char *text = st_set_meta(s, NORMSIM_META_KEY);
    if (!text)
        return ns_fail(e, NS_EUSAGE, "%s has no normsim config in its metadata", s->path);
    cJSON *j = cJSON_Parse(text);
    int rc = config_from_json(j, cfg, e);
    cJSON_Delete(j);
    return rc;
}

int model_config_from_safetensors(const char *path, ns_config *cfg, ns_err *e)
{
    st_set s;
    int rc = st_set_open(&s, path, e);
    if (rc)
        return rc;
    rc = ckpt_normsim_config(&s, cfg, e);
    st_set_close(&s);
    return rc;
}

int model_save_safetensors(const ns_model *m, const char *path, const char *metadata_json_or_NULL,
                           ns_err *e)
{
    cJSON *meta = metadata_json_or_NULL ? cJSON_Parse(metadata_json_or_NULL) : cJSON_CreateObject();
    if (!cJSON_IsObject(meta)) {
        cJSON_Delete(meta);
        return ns_fail(e, NS_EUSAGE, "checkpoint metadata must be a JSON object");
    }
    char *cfg_text = ckpt_config_text(&m->cfg);
    cJSON_DeleteItemFromObjectCaseSensitive(meta, NORMSIM_META_KEY);
    cJSON_DeleteItemFromObjectCaseSensitive(meta, "format");
    cJSON_AddStringToObject(meta, "format", "normsim");
    if (cfg_text)
        cJSON_AddStringToObject(meta, NORMSIM_META_KEY, cfg_text);
    char *meta_text = cJSON_PrintUnformatted(meta);
    cJSON_Delete(meta);
    st_entry *t = calloc((size_t)m->n_tensors + 1, sizeof *t);
    int rc = t && cfg_text && meta_text ? NS_OK : ns_fail(e, NS_ERUN, "out of memory");
    for (int i = 0; i < m->n_tensors && !rc; i++) {
        const ns_tensor *s = &m->tensors[i];
        t[i].name = s->name;
        t[i].dtype = NUM_F64;
        t[i].ndim = s->rows == 1 ? 1 : 2;
        t[i].shape[0] = s->rows == 1 ? (uint64_t)s->cols : (uint64_t)s->rows;
        t[i].shape[1] = (uint64_t)s->cols;
        t[i].data = m->params + s->offset;
    }
    if (!rc)
        rc = st_write(path, t, m->n_tensors, meta_text, e);
    free(t);
    free(cfg_text);
    free(meta_text);
    return rc;
}

int model_load_set(ns_model *m, const st_set *s, ns_err *e)
{
    int rc = NS_OK;
    const st_tensor **src = calloc((size_t)m->n_tensors + 1, sizeof *src);
    if (!src)
        return ns_fail(e, NS_ERUN, "out of memory");
    for (int i = 0; i < m->n_tensors && !rc; i++)
        if (!(src[i] = st_set_find(s, m->tensors[i].name)))
            rc = ns_fail(e, NS_EUSAGE, "%s lacks tensor '%s'", s->path, m->tensors[i].name);
        else
            rc = ckpt_tensor_fits(src[i], &m->tensors[i], e);
    for (int i = 0; i < s->n && !rc; i++)
        if (!model_find_tensor(m, s->t[i]->name) && strncmp(s->t[i]->name, "optim.", 6) != 0)
            rc = ns_fail(e, NS_EUSAGE, "%s has tensor '%s', which this model does not (another "
                         "architecture?)", s->path, s->t[i]->name);
    for (int i = 0; i < m->n_tensors && !rc; i++)
        rc = st_set_read(s, src[i], 0, src[i]->count, m->params + m->tensors[i].offset, e);
    free(src);
    return rc;
}

int model_load_safetensors(ns_model *m, const char *path, ns_err *e)
{
    st_set s;
    int rc = st_set_open(&s, path, e);
    if (rc)
        return rc;
    rc = model_load_set(m, &s, e);
    st_set_close(&s);
    return rc;
}
