/* fisher_targets.c - which Linear weights read a norm's output, and which norm.
 *   pre / sandwich placement: q, k, v read the block's attention pre-norm, gate/up its MLP
 *     pre-norm (parallel-shared blocks: both read the one input norm);
 *   post placement (bert): q, k, v of block l read the embedding norm (l = 0) or block
 *     l-1's MLP after-norm; gate/up read the block's attention after-norm;
 *   olmo2 (norm inside the residual branch): no block matrix reads a norm output;
 *   the head (or bert's MLM transform) reads the final norm; bert's tied decoder reads
 *     the MLM head's norm. */
#include "sim/fisher/fisher.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tensor_index(const ns_model *m, const char *name)
{
    const ns_tensor *t = model_find_tensor(m, name);
    return t ? (int)(t - m->tensors) : -1;
}

typedef struct {
    fisher_target *t;
    int n, cap;
} target_list;

/* append W = name (and its bias: name with ".weight" -> ".bias", or bias_name) */
static int add(const ns_model *m, target_list *L, const char *name, const char *bias_name,
               const double *norm, const char *tap, double scale, ns_err *e)
{
    int w = tensor_index(m, name);
    if (w < 0 || !norm)
        return NS_OK;
    if (L->n == L->cap) {
        int cap = L->cap ? 2 * L->cap : 32;
        fisher_target *g = realloc(L->t, sizeof *g * (size_t)cap);
        if (!g)
            return ns_fail(e, NS_ERUN, "out of memory");
        L->t = g;
        L->cap = cap;
    }
    char bn[96];
    size_t len = strlen(name);
    if (!bias_name && len > 7 && strcmp(name + len - 7, ".weight") == 0) {
        snprintf(bn, sizeof bn, "%.*s.bias", (int)(len - 7), name);
        bias_name = bn;
    }
    fisher_target *t = &L->t[L->n++];
    memset(t, 0, sizeof *t);
    t->w = w;
    t->bias = bias_name ? tensor_index(m, bias_name) : -1;
    t->norm = norm;
    snprintf(t->tap, sizeof t->tap, "%s", tap ? tap : "");
    t->scale = scale;
    t->tied = m->tok_emb && m->params + m->tensors[w].offset == m->tok_emb;
    t->k = m->norm->kernel(&m->ncfg, norm, NULL, 0);
    return NS_OK;
}

static int add_block(const ns_model *m, target_list *L, int l, ns_err *e)
{
    const ns_config *c = &m->cfg;
    const ns_block *b = &m->blocks[l];
    const double *n_attn = NULL, *n_mlp = NULL;
    char ta[64] = "", tm[64] = "", name[96];
    if (c->placement == PLACE_PRE || c->placement == PLACE_SANDWICH) {
        n_attn = b->norm_attn;
        snprintf(ta, sizeof ta, "block.%d.norm_attn.out", l);
        n_mlp = c->residual == RESID_PARALLEL_SHARED ? b->norm_attn : b->norm_mlp;
        snprintf(tm, sizeof tm, "block.%d.%s.out", l,
                 c->residual == RESID_PARALLEL_SHARED ? "norm_attn" : "norm_mlp");
    } else if (c->placement == PLACE_POST && c->residual == RESID_SEQUENTIAL) {
        n_attn = l == 0 ? m->norm_embed : m->blocks[l - 1].norm_mlp;
        if (l == 0)
            snprintf(ta, sizeof ta, "embed.norm.out");
        else
            snprintf(ta, sizeof ta, "block.%d.norm_mlp.out", l - 1);
        n_mlp = b->norm_attn;
        snprintf(tm, sizeof tm, "block.%d.norm_attn.out", l);
    }
    static const char *attn[3] = {"q", "k", "v"}, *mlp[2] = {"gate", "up"};
    int rc = NS_OK;
    for (int i = 0; i < 3 && !rc; i++) {
        snprintf(name, sizeof name, "h.%d.attn.%s.weight", l, attn[i]);
        rc = add(m, L, name, NULL, n_attn, ta, 1.0, e);
    }
    for (int i = 0; i < 2 && !rc; i++) {
        snprintf(name, sizeof name, "h.%d.mlp.%s.weight", l, mlp[i]);
        rc = add(m, L, name, NULL, n_mlp, tm, 1.0, e);
    }
    return rc;
}

static int add_head(const ns_model *m, target_list *L, ns_err *e)
{
    const ns_config *c = &m->cfg;
    const double *nf = c->final_norm || c->placement == PLACE_POST ? m->norm_final : NULL;
    if (c->mlm_head) {
        int rc = add(m, L, "head.transform.weight", NULL, nf, "final.out", 1.0, e);
        return rc ? rc : add(m, L, "embed.tokens.weight", "head.bias", m->norm_mlm, NULL, 1.0, e);
    }
    double s = c->head_scale_rsqrt_d ? 1.0 / sqrt((double)c->d) : 1.0;
    if (m->head_w)
        return add(m, L, "head.weight", NULL, nf, "final.out", s, e);
    return add(m, L, "embed.tokens.weight", "head.bias", nf, "final.out", s, e);
}

int fisher_targets(const ns_model *m, fisher_target **out, int *n, ns_err *e)
{
    target_list L = {NULL, 0, 0};
    int rc = NS_OK;
    for (int l = 0; l < m->cfg.layers && !rc; l++)
        rc = add_block(m, &L, l, e);
    if (!rc)
        rc = add_head(m, &L, e);
    if (rc) {
        free(L.t);
        return rc;
    }
    *out = L.t;
    *n = L.n;
    return NS_OK;
}
