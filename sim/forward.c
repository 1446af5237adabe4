/* forward.c - GPT-2-style pre-norm decoder, top to bottom like the math. */
#include "forward.h"
#include "ops.h"
#include <stdlib.h>
#include <string.h>

int workspace_create(ns_workspace *w, const ns_model *m, int max_rows, int max_T, ns_err *e)
{
    memset(w, 0, sizeof *w);
    size_t r = (size_t)max_rows, d = (size_t)m->cfg.d;
    w->max_rows = max_rows;
    w->max_T = max_T;
    w->x = malloc(sizeof(double) * r * d);
    w->h = malloc(sizeof(double) * r * d);
    w->qkv = malloc(sizeof(double) * r * 3 * d);
    w->att = malloc(sizeof(double) * r * d);
    w->fc = malloc(sizeof(double) * r * (size_t)m->d_ff);
    w->scores = malloc(sizeof(double) * (size_t)max_T * (size_t)max_T);
    w->cache = malloc(sizeof(double) * r * (size_t)m->norm->cache_per_token(&m->ncfg) + 1);
    if (!w->x || !w->h || !w->qkv || !w->att || !w->fc || !w->scores || !w->cache) {
        workspace_free(w);
        return ns_fail(e, NS_ERUN, "out of memory for a batch of %d tokens", max_rows);
    }
    return NS_OK;
}

void workspace_free(ns_workspace *w)
{
    free(w->x);
    free(w->h);
    free(w->qkv);
    free(w->att);
    free(w->fc);
    free(w->scores);
    free(w->cache);
    memset(w, 0, sizeof *w);
}

static void norm_apply(const ns_model *m, ns_workspace *w, const double *p, const double *x,
                       double *y, int n)
{
    m->norm->forward(&m->ncfg, p, x, y, w->cache, n);
}

/* x += proj(attn(qkv(ln_1(x)))) */
static void attention_block(const ns_model *m, const ns_block *b, ns_workspace *w, int l, int B,
                            int T, const tap_sink *sink)
{
    const int d = m->cfg.d, n = B * T;
    norm_apply(m, w, b->ln_1, w->x, w->h, n);
    tap_emitf(sink, w->h, n, d, "block.%d.ln_1.out", l);
    matmul_forward(w->qkv, w->h, b->attn_w, b->attn_b, n, d, 3 * d, 0.0);
    for (int s = 0; s < B; s++)
        attention_forward(w->att + (size_t)s * T * d, w->qkv + (size_t)s * T * 3 * d, w->scores,
                          T, d, m->cfg.heads, m->cfg.causal);
    matmul_forward(w->x, w->att, b->proj_w, b->proj_b, n, d, d, 1.0);
}

/* x += fcproj(gelu(fc(ln_2(x)))) */
static void mlp_block(const ns_model *m, const ns_block *b, ns_workspace *w, int l, int n,
                      const tap_sink *sink)
{
    const int d = m->cfg.d;
    norm_apply(m, w, b->ln_2, w->x, w->h, n);
    tap_emitf(sink, w->h, n, d, "block.%d.ln_2.out", l);
    matmul_forward(w->fc, w->h, b->fc_w, b->fc_b, n, d, m->d_ff, 0.0);
    gelu_tanh_forward(w->fc, (long)n * m->d_ff);
    matmul_forward(w->x, w->fc, b->fcproj_w, b->fcproj_b, n, m->d_ff, d, 1.0);
}

void model_forward(const ns_model *m, ns_workspace *w, const int *tok, int B, int T,
                   const tap_sink *sink, double *logits)
{
    const int d = m->cfg.d, n = B * T;
    embed_forward(w->x, tok, m->wte, m->wpe, B, T, d);
    tap_emit(sink, "embed", w->x, n, d);
    for (int l = 0; l < m->cfg.layers; l++) {
        tap_emitf(sink, w->x, n, d, "resid.%d", l);
        attention_block(m, &m->blocks[l], w, l, B, T, sink);
        mlp_block(m, &m->blocks[l], w, l, n, sink);
    }
    tap_emitf(sink, w->x, n, d, "resid.%d", m->cfg.layers);
    tap_emit(sink, "final.in", w->x, n, d);
    norm_apply(m, w, m->ln_f, w->x, w->h, n);
    tap_emit(sink, "final.out", w->h, n, d);
    if (logits) /* tied unembedding: logits = y wte^T */
        matmul_forward(logits, w->h, m->wte, NULL, n, d, m->cfg.vocab, 0.0);
}
