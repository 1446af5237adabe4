/* hf_export.c - a model as a Hugging Face checkpoint: model.safetensors under the family's HF
 * names (the same rows hf_import.c reads, each conversion inverted) and a config.json with
 * the row's keys, so importing the folder gives the same model bit for bit. */
#include "sim/checkpoint/hf_internal.h"
#include "sim/base/atomic_file.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char name[256];
    int ndim;
    uint64_t shape[4];
    double *data;
} hf_out;

/* the row that writes m: its arch, not a GGUF naming, and its placement */
static const hf_family *export_family(const ns_config *c)
{
    for (int f = 0; f < hf_n_families; f++) {
        const hf_family *h = &hf_families[f];
        ns_config def;
        if (strcmp(h->arch, c->arch) != 0 || strncmp(h->model_types[0], "gguf:", 5) == 0 ||
            arch_config(h->arch, &def, NULL))
            continue;
        if ((h->placement >= 0 ? h->placement : def.placement) == c->placement)
            return h;
    }
    return NULL;
}

/* the HF tensor's shape for conv applied to t */
static void out_shape(const name_rule *r, const ns_tensor *t, const ns_model *m, hf_out *o)
{
    const uint64_t R = (uint64_t)t->rows, C = (uint64_t)t->cols, F = (uint64_t)(m->q_dim + 2 * m->kv_dim);
    const ns_config *c = &m->cfg;
    o->ndim = 2, o->shape[0] = R, o->shape[1] = C;
    switch (r->conv) {
    case CV_T: o->shape[0] = C, o->shape[1] = R; break;
    case CV_QKV_T: o->shape[0] = C, o->shape[1] = 3 * R; break;
    case CV_QKV_B: o->ndim = 1, o->shape[0] = 3 * C; break;
    case CV_HEADS3:
    case CV_BLOCKS:
        if (R == 1)
            o->ndim = 1, o->shape[0] = r->conv == CV_HEADS3 ? 3 * C : F;
        else
            o->shape[0] = r->conv == CV_HEADS3 ? 3 * R : F;
        break;
    case CV_FLAT:
        if (strcmp(t->name, "embed.patches.weight") == 0)
            o->ndim = 4, o->shape[0] = (uint64_t)c->d, o->shape[1] = (uint64_t)c->channels,
            o->shape[2] = o->shape[3] = (uint64_t)c->patch;
        else /* cls (1, 1, d), positions (1, n, d) */
            o->ndim = 3, o->shape[0] = 1, o->shape[1] = R, o->shape[2] = C;
        break;
    default:
        if (R == 1)
            o->ndim = 1, o->shape[0] = C;
    }
}

/* t's values into o at their HF places (the inverse of hf_import.c's copy_one) */
static void place(const name_rule *r, const ns_tensor *t, const ns_model *m, hf_out *o)
{
    const uint64_t R = (uint64_t)t->rows, C = (uint64_t)t->cols, hd = (uint64_t)m->hd;
    const double *in = m->params + t->offset;
    for (uint64_t i = 0; i < R; i++)
        for (uint64_t j = 0; j < C; j++) {
            uint64_t at = i * C + j, rr = R == 1 ? j : i, cc = R == 1 ? 0 : j, w = R == 1 ? 1 : C;
            switch (r->conv) {
            case CV_T: at = j * R + i; break;
            case CV_QKV_T: at = j * 3 * R + (uint64_t)r->part * R + i; break;
            case CV_QKV_B: at = (uint64_t)r->part * C + j; break;
            case CV_HEADS3: at = ((rr / hd) * 3 * hd + (uint64_t)r->part * hd + rr % hd) * w + cc; break;
            case CV_BLOCKS: {
                uint64_t first = r->part == 0 ? 0 : r->part == 1 ? (uint64_t)m->q_dim : (uint64_t)(m->q_dim + m->kv_dim);
                at = (first + rr) * w + cc;
                break;
            }
            default: break;
            }
            o->data[at] = in[i * C + j];
        }
}

static hf_out *find_out(hf_out *outs, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(outs[i].name, name) == 0)
            return &outs[i];
    return NULL;
}

/* every tensor of m under its HF name; *n_out tensors in outs (free each data, then outs) */
static int build_tensors(const hf_family *f, const ns_model *m, hf_out **outs, int *n_out, ns_err *e)
{
    *outs = calloc((size_t)m->n_tensors + 1, sizeof **outs);
    *n_out = 0;
    if (!*outs)
        return ns_fail(e, NS_ERUN, "out of memory");
    for (int i = 0; i < m->n_tensors; i++) {
        const ns_tensor *t = &m->tensors[i];
        int l;
        const name_rule *r = NULL;
        for (const name_rule *q = f->rules; q->ns && !r; q++)
            r = hf_match(q->ns, t->name, &l) ? q : NULL;
        if (!r || r->conv == CV_UNPERMUTE)
            return ns_fail(e, NS_EUSAGE, "HF export: %s has no Hugging Face name for '%s'", f->model_types[0], t->name);
        char name[256], tail[256];
        const char *pat = r->hf[0] == '/' ? r->hf + 1 : r->hf;
        snprintf(tail, sizeof tail, pat, l);
        snprintf(name, sizeof name, "%s%s", r->hf[0] == '/' ? "" : f->prefixes[0], tail);
        hf_out *o = find_out(*outs, *n_out, name);
        if (!o) {
            o = &(*outs)[(*n_out)++];
            snprintf(o->name, sizeof o->name, "%s", name);
            out_shape(r, t, m, o);
            uint64_t count = 1;
            for (int k = 0; k < o->ndim; k++)
                count *= o->shape[k];
            if (!(o->data = calloc((size_t)count + 1, sizeof(double))))
                return ns_fail(e, NS_ERUN, "out of memory");
        }
        place(r, t, m, o);
    }
    return NS_OK;
}

/* ---- config.json ---- */

static double field_value(int field, const ns_model *m)
{
    const ns_config *c = &m->cfg;
    switch (field) {
    case F_D: return c->d;
    case F_LAYERS: return c->layers;
    case F_KV_HEADS: return m->kv_heads;
    case F_VOCAB: return c->vocab;
    case F_FF: return m->d_ff;
    case F_HEAD_DIM: case F_ATTN_SCALAR: return m->hd;
    case F_EPS: return c->eps;
    case F_THETA: return c->rope_base;
    case F_FRAC: return c->rope_frac;
    case F_SOFTCAP: return c->logit_softcap;
    case F_LOGIT_SCALE: return c->logit_scale;
    case F_BUCKETS: return c->t5_buckets;
    case F_MAX_DISTANCE: return c->t5_max_distance;
    case F_IMAGE: return c->image;
    case F_PATCH: return c->patch;
    case F_CHANNELS: return c->channels;
    default: return c->token_types; /* F_TYPES */
    }
}

static cJSON *build_config(const hf_family *f, const ns_model *m)
{
    const ns_config *c = &m->cfg;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "model_type", f->model_types[0]);
    cJSON_AddNumberToObject(j, f->k_heads, c->heads);
    if (f->k_ctx)
        cJSON_AddNumberToObject(j, f->k_ctx, c->seq);
    for (const cfg_key *k = f->keys; k->key; k++) {
        double v = field_value(k->field, m);
        if (cJSON_GetObjectItemCaseSensitive(j, k->key) || (k->field == F_SOFTCAP && v == 0) ||
            (k->field == F_THETA && c->pos != POS_ROPE))
            continue;
        cJSON_AddNumberToObject(j, k->key, v);
    }
    for (const cfg_refuse *r = f->refuse; r->key; r++)
        if (r->ok == OK_STRING)
            cJSON_AddStringToObject(j, r->key, r->value);
        else if (r->ok != OK_NULL && strcmp(r->key, "tie_word_embeddings") != 0)
            cJSON_AddBoolToObject(j, r->key, r->ok == OK_TRUE);
    for (const act_row *a = f->acts; a && a->value; a++)
        if (a->mlp == c->mlp) {
            cJSON_AddStringToObject(j, f->k_act[0], a->value);
            break;
        }
    if (f->window)
        cJSON_AddNumberToObject(j, "sliding_window", c->window > 0 ? c->window : c->seq);
    if (f->window == 1 && strcmp(c->arch, "mistral") != 0)
        cJSON_AddBoolToObject(j, "use_sliding_window", c->window > 0);
    if (c->input != INPUT_PATCHES)
        cJSON_AddBoolToObject(j, "tie_word_embeddings", c->tied != 0);
    cJSON_AddStringToObject(j, "normsim_export", "written by normsim export --hf");
    return j;
}

/* what HF naming cannot say about m: one error naming it */
static int exportable(const hf_family *f, const ns_model *m, ns_err *e)
{
    ns_config def;
    const ns_config *c = &m->cfg;
    if (!f)
        return ns_fail(e, NS_EUSAGE, "HF export: no Hugging Face naming for %s (placement %s)", c->arch,
                       arch_enum_name(ENUM_PLACEMENT, c->placement));
    if (arch_config(c->arch, &def, e))
        return e->code;
    if (strcmp(def.norm, c->norm) != 0)
        return ns_fail(e, NS_EUSAGE, "HF export: %s's Hugging Face model uses %s; this model uses %s", c->arch,
                       def.norm, c->norm);
    if (c->window > 0 && f->window != 1)
        return ns_fail(e, NS_EUSAGE, "HF export: %s has no sliding window in Hugging Face's %s", c->arch,
                       f->model_types[0]);
    if (c->mlp != def.mlp && !f->acts)
        return ns_fail(e, NS_EUSAGE, "HF export: %s's MLP activation is fixed in Hugging Face's %s", c->arch,
                       f->model_types[0]);
    return NS_OK;
}

int ckpt_export_hf(const ns_model *m, const char *dir, ns_err *e)
{
    const hf_family *f = export_family(&m->cfg);
    hf_out *outs = NULL;
    int n = 0, rc = exportable(f, m, e);
    if (!rc)
        rc = build_tensors(f, m, &outs, &n, e);
    st_entry *ent = rc ? NULL : calloc((size_t)n + 1, sizeof *ent);
    if (!rc && !ent)
        rc = ns_fail(e, NS_ERUN, "out of memory");
    for (int i = 0; i < n && !rc; i++) {
        ent[i] = (st_entry){outs[i].name, NUM_F64, outs[i].ndim, {0}, outs[i].data};
        memcpy(ent[i].shape, outs[i].shape, sizeof outs[i].shape);
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    if (!rc)
        rc = st_write(path, ent, n, "{\"format\": \"pt\"}", e);
    if (!rc) {
        cJSON *cfg = build_config(f, m);
        char *text = cJSON_Print(cfg);
        snprintf(path, sizeof path, "%s/config.json", dir);
        rc = text ? atomic_write_text(path, text, e) : ns_fail(e, NS_ERUN, "out of memory");
        free(text);
        cJSON_Delete(cfg);
    }
    for (int i = 0; i < n; i++)
        free(outs[i].data);
    free(outs);
    free(ent);
    return rc;
}
