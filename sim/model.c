/* model.c - parameter layout, allocation and family init (GPT-2 for now). */
#include "model.h"
#include "rng.h"
#include "../norms/registry.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    ns_model *m;
    int cap;
    int failed; /* an allocation failed while laying out */
} layout;

static size_t add_tensor(layout *lo, const char *name, int rows, int cols, int init, double v,
                         int role)
{
    ns_model *m = lo->m;
    if (m->n_tensors == lo->cap) { /* only while laying out, never in a hot loop */
        int cap = lo->cap ? 2 * lo->cap : 64;
        ns_tensor *grown = realloc(m->tensors, sizeof(ns_tensor) * (size_t)cap);
        if (!grown) {
            lo->failed = 1;
            return 0;
        }
        m->tensors = grown;
        lo->cap = cap;
    }
    ns_tensor *t = &m->tensors[m->n_tensors++];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->rows = rows;
    t->cols = cols;
    t->offset = m->n_params;
    t->init = init;
    t->init_value = v;
    t->norm_role = role;
    m->n_params += (size_t)rows * cols;
    return t->offset;
}

/* one tensor per parameter of the scheme: <prefix>.<param name>; returns the block offset */
static size_t add_norm(layout *lo, const char *prefix)
{
    const norm_ops *o = lo->m->norm;
    int d = lo->m->cfg.d;
    size_t first = lo->m->n_params;
    char name[96];
    for (int i = 0; i < o->n_params; i++) {
        const norm_param *p = &o->params[i];
        snprintf(name, sizeof name, "%s.%s", prefix, p->name);
        add_tensor(lo, name, 1, p->per_channel ? d : 1, INIT_CONST, p->init, p->role);
    }
    return first;
}

static size_t add_linear(layout *lo, const char *prefix, int out, int in, double std,
                         size_t *bias_off)
{
    char name[96];
    snprintf(name, sizeof name, "%s.weight", prefix);
    size_t w = add_tensor(lo, name, out, in, INIT_NORMAL, std, -1);
    snprintf(name, sizeof name, "%s.bias", prefix);
    *bias_off = add_tensor(lo, name, 1, out, INIT_CONST, 0.0, -1);
    return w;
}

/* Offsets of one block, turned into pointers once the block is allocated. */
typedef struct {
    size_t ln_1, attn_w, attn_b, proj_w, proj_b, ln_2, fc_w, fc_b, fcproj_w, fcproj_b;
} block_offsets;

/* GPT-2: N(0, std) everywhere; the two output projections N(0, std / sqrt(2L)). */
static void layout_gpt2(layout *lo, block_offsets *bo, size_t *wte, size_t *wpe, size_t *ln_f)
{
    ns_model *m = lo->m;
    const ns_config *c = &m->cfg;
    double std = c->init_std, std_out = c->init_std / sqrt(2.0 * c->layers);
    char p[64];
    *wte = add_tensor(lo, "wte.weight", c->vocab, c->d, INIT_NORMAL, std, -1);
    *wpe = add_tensor(lo, "wpe.weight", c->seq, c->d, INIT_NORMAL, std, -1);
    for (int l = 0; l < c->layers; l++) {
        block_offsets *b = &bo[l];
        snprintf(p, sizeof p, "h.%d.ln_1", l);
        b->ln_1 = add_norm(lo, p);
        snprintf(p, sizeof p, "h.%d.attn.c_attn", l);
        b->attn_w = add_linear(lo, p, 3 * c->d, c->d, std, &b->attn_b);
        snprintf(p, sizeof p, "h.%d.attn.c_proj", l);
        b->proj_w = add_linear(lo, p, c->d, c->d, std_out, &b->proj_b);
        snprintf(p, sizeof p, "h.%d.ln_2", l);
        b->ln_2 = add_norm(lo, p);
        snprintf(p, sizeof p, "h.%d.mlp.c_fc", l);
        b->fc_w = add_linear(lo, p, m->d_ff, c->d, std, &b->fc_b);
        snprintf(p, sizeof p, "h.%d.mlp.c_proj", l);
        b->fcproj_w = add_linear(lo, p, c->d, m->d_ff, std_out, &b->fcproj_b);
    }
    *ln_f = add_norm(lo, "ln_f");
}

int model_create(ns_model *m, const ns_config *cfg, ns_err *e)
{
    memset(m, 0, sizeof *m);
    int rc = config_validate(cfg, e);
    if (rc)
        return rc;
    m->cfg = *cfg;
    m->d_ff = cfg->d_ff ? cfg->d_ff : 4 * cfg->d;
    if ((rc = norm_resolve(cfg->norm, cfg->d, cfg->eps, &m->norm, &m->ncfg, e)))
        return rc;
    layout lo = {m, 0, 0};
    block_offsets *bo = calloc((size_t)cfg->layers, sizeof *bo);
    m->blocks = calloc((size_t)cfg->layers, sizeof *m->blocks);
    if (!bo || !m->blocks) {
        free(bo);
        model_free(m);
        return ns_fail(e, NS_ERUN, "out of memory laying out the model");
    }
    size_t wte, wpe, ln_f;
    layout_gpt2(&lo, bo, &wte, &wpe, &ln_f);
    m->params = lo.failed ? NULL : calloc(m->n_params, sizeof(double));
    if (!m->params) {
        free(bo);
        model_free(m);
        return ns_fail(e, NS_ERUN, "out of memory: %zu parameters", m->n_params);
    }
    double *P = m->params;
    m->wte = P + wte;
    m->wpe = P + wpe;
    m->ln_f = P + ln_f;
    for (int l = 0; l < cfg->layers; l++) {
        block_offsets *o = &bo[l];
        m->blocks[l] = (ns_block){P + o->ln_1, P + o->attn_w, P + o->attn_b, P + o->proj_w,
                                  P + o->proj_b, P + o->ln_2, P + o->fc_w, P + o->fc_b,
                                  P + o->fcproj_w, P + o->fcproj_b};
    }
    free(bo);
    return NS_OK;
}

void model_free(ns_model *m)
{
    free(m->params);
    free(m->tensors);
    free(m->blocks);
    memset(m, 0, sizeof *m);
}

void model_init(ns_model *m, uint64_t seed)
{
    pcg32 r;
    pcg32_seed(&r, seed, RNG_INIT);
    for (int t = 0; t < m->n_tensors; t++) {
        const ns_tensor *T = &m->tensors[t];
        double *x = m->params + T->offset;
        size_t n = (size_t)T->rows * T->cols;
        for (size_t i = 0; i < n; i++)
            x[i] = T->init == INIT_NORMAL ? T->init_value * rng_normal(&r) : T->init_value;
    }
}

/* g_i = exp(spread * z_i), z_i ~ N(0, 1) */
void model_randomize_gains(ns_model *m, uint64_t seed, double spread)
{
    pcg32 r;
    pcg32_seed(&r, seed, RNG_GAMMA);
    for (int t = 0; t < m->n_tensors; t++) {
        const ns_tensor *T = &m->tensors[t];
        if (T->norm_role != NORM_GAIN && T->norm_role != NORM_GAIN_1P)
            continue;
        double *x = m->params + T->offset, shift = T->norm_role == NORM_GAIN_1P ? 1.0 : 0.0;
        for (int i = 0; i < T->rows * T->cols; i++)
            x[i] = exp(spread * rng_normal(&r)) - shift;
    }
}

const ns_tensor *model_find_tensor(const ns_model *m, const char *name)
{
    for (int t = 0; t < m->n_tensors; t++)
        if (strcmp(m->tensors[t].name, name) == 0)
            return &m->tensors[t];
    return NULL;
}
