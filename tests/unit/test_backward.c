/* test_backward.c - the full model's gradients against central finite differences, for a
 * tiny, perturbed model of every archetype (every parameter tensor sampled), and each
 * op's backward on its own. Loss: cross-entropy of random targets on every logit row.
 * Relative error |fd - analytic| / max(|fd|, |analytic|, 1e-4) <= 1e-6 (the floor keeps
 * near-zero gradients, where central differences lose digits, from counting as relative). */
#include "check.h"
#include "sim/model/backward.h"
#include "sim/data/inputs.h"
#include "sim/model/loss.h"
#include "sim/model/ops.h"
#include "sim/base/rng.h"
#include <stdlib.h>
#include <string.h>

static double rel_err(double fd, double an)
{
    double s = fmax(fmax(fabs(fd), fabs(an)), 1e-4);
    return fabs(fd - an) / s;
}

typedef struct {
    ns_model m;
    ns_workspace w;
    ns_batch in;
    int *tok, *target, rows;
    double *images, *logits, *dlogits;
} fixture;

static double loss_of(fixture *f)
{
    model_forward(&f->m, &f->w, &f->in, NULL, f->logits);
    return cross_entropy(f->logits, f->target, f->rows, f->m.cfg.vocab, NULL);
}

static void tiny_config(const char *arch, ns_config *c)
{
    arch_config(arch, c, NULL);
    c->d = 32;
    c->heads = 4;
    c->layers = 2;
    c->vocab = 11;
    c->d_ff = 24;
    if (c->kv_heads)
        c->kv_heads = c->kv_heads == 1 ? 1 : 2;
    if (c->window)
        c->window = 3;
    if (c->global_every)
        c->global_every = 2; /* layer 1 is global */
    if (c->input == INPUT_PATCHES) {
        c->image = 4;
        c->patch = 2;
        c->seq = 5;
    } else
        c->seq = 6;
}

static int fixture_make(fixture *f, const char *arch)
{
    ns_config c;
    ns_err e;
    memset(f, 0, sizeof *f);
    tiny_config(arch, &c);
    if (model_create(&f->m, &c, &e) != NS_OK) {
        CHECK(0, "%s: %s", arch, e.msg);
        return 1;
    }
    model_init(&f->m, 7);
    model_perturb(&f->m, 7, 0.05); /* biases, norm shifts and gains off their init */
    const int B = 2, T = c.seq, V = c.vocab;
    workspace_create_train(&f->w, &f->m, B * T, T, &e);
    pcg32 r;
    pcg32_seed(&r, 3, 3);
    f->rows = model_logit_rows(&f->m, B, T);
    f->tok = malloc(sizeof(int) * B * T);
    f->target = malloc(sizeof(int) * f->rows);
    f->images = malloc(sizeof(double) * B * c.channels * c.image * c.image + 1);
    f->logits = malloc(sizeof(double) * f->rows * V);
    f->dlogits = malloc(sizeof(double) * f->rows * V);
    for (int i = 0; i < B * T; i++)
        f->tok[i] = (int)rng_below(&r, (uint32_t)V);
    for (int i = 0; i < f->rows; i++)
        f->target[i] = (int)rng_below(&r, (uint32_t)V);
    for (int i = 0; i < B * c.channels * c.image * c.image; i++)
        f->images[i] = rng_normal(&r);
    f->in = (ns_batch){B, T, c.input == INPUT_PATCHES ? NULL : f->tok, NULL,
                       c.input == INPUT_PATCHES ? f->images : NULL};
    return 0;
}

static void fixture_free(fixture *f)
{
    workspace_free(&f->w);
    model_free(&f->m);
    free(f->tok);
    free(f->target);
    free(f->images);
    free(f->logits);
    free(f->dlogits);
}

static void test_arch(const char *arch)
{
    fixture f;
    if (fixture_make(&f, arch))
        return;
    ns_grads_ws g;
    ns_err e;
    grads_ws_create(&g, &f.m, f.in.B * f.in.T, f.in.T, &e);
    double *grads = calloc(f.m.n_params, sizeof(double));
    model_forward(&f.m, &f.w, &f.in, NULL, f.logits);
    cross_entropy(f.logits, f.target, f.rows, f.m.cfg.vocab, f.dlogits);
    model_backward(&f.m, &f.w, &g, &f.in, f.logits, f.dlogits, grads);
    const double h = 1e-5;
    double worst = 0.0;
    const char *worst_at = "";
    int checked = 0;
    for (int t = 0; t < f.m.n_tensors; t++) {
        const ns_tensor *T = &f.m.tensors[t];
        size_t len = (size_t)T->rows * T->cols;
        for (int k = 0; k < 3; k++) {
            size_t i = T->offset + (len * (2 * k + 1)) / 6;
            double keep = f.m.params[i];
            f.m.params[i] = keep + h;
            double lp = loss_of(&f);
            f.m.params[i] = keep - h;
            double lm = loss_of(&f);
            f.m.params[i] = keep;
            double err = rel_err((lp - lm) / (2 * h), grads[i]);
            if (err > worst) {
                worst = err;
                worst_at = T->name;
            }
            checked++;
        }
    }
    CHECK(worst <= 1e-6, "%s: %d gradient entries vs finite differences: worst rel err %.3g at %s",
          arch, checked, worst, worst_at);
    free(grads);
    grads_ws_free(&g);
    fixture_free(&f);
}

/* op level: matmul and every activation kind */
static void test_ops(void)
{
    enum { n = 3, fi = 4, fo = 5 };
    pcg32 r;
    pcg32_seed(&r, 1, 1);
    double in[n * fi], W[fo * fi], b[fo], out[n * fo], dout[n * fo], din[n * fi], dW[fo * fi] = {0},
           db[fo] = {0};
    for (int i = 0; i < n * fi; i++) in[i] = rng_normal(&r);
    for (int i = 0; i < fo * fi; i++) W[i] = rng_normal(&r);
    for (int i = 0; i < fo; i++) b[i] = rng_normal(&r);
    for (int i = 0; i < n * fo; i++) dout[i] = rng_normal(&r);
    matmul_backward(din, 0.0, dW, db, dout, in, W, n, fi, fo);
    /* L = sum dout * out is linear: its derivatives are exact */
    double worst = 0;
    for (int i = 0; i < fo * fi; i++) {
        double s = 0;
        for (int t = 0; t < n; t++) s += dout[t * fo + i / fi] * in[t * fi + i % fi];
        worst = fmax(worst, fabs(s - dW[i]));
    }
    for (int t = 0; t < n; t++)
        for (int j = 0; j < fi; j++) {
            double s = 0;
            for (int o = 0; o < fo; o++) s += dout[t * fo + o] * W[o * fi + j];
            worst = fmax(worst, fabs(s - din[t * fi + j]));
        }
    CHECK(worst < 1e-13, "matmul backward: max abs err %.3g", worst);
    (void)out;
    (void)b;
    for (int kind = MLP_GELU_TANH; kind <= MLP_GEGLU; kind++) {
        int gated = kind == MLP_SWIGLU || kind == MLP_GEGLU, w = gated ? 2 * fo : fo;
        double pre[n * 2 * fo], act[n * fo], dpre[n * 2 * fo], wt[n * fo];
        for (int i = 0; i < n * w; i++) pre[i] = 1.5 * rng_normal(&r) + 0.1;
        for (int i = 0; i < n * fo; i++) wt[i] = rng_normal(&r);
        activation_backward(kind, pre, wt, dpre, n, fo);
        double e2 = 0;
        for (int i = 0; i < n * w; i++) {
            double keep = pre[i], lp = 0, lm = 0;
            pre[i] = keep + 1e-6;
            activation_forward(kind, pre, act, n, fo);
            for (int j = 0; j < n * fo; j++) lp += wt[j] * act[j];
            pre[i] = keep - 1e-6;
            activation_forward(kind, pre, act, n, fo);
            for (int j = 0; j < n * fo; j++) lm += wt[j] * act[j];
            pre[i] = keep;
            e2 = fmax(e2, rel_err((lp - lm) / 2e-6, dpre[i]));
        }
        CHECK(e2 <= 1e-6, "activation %d backward: worst rel err %.3g", kind, e2);
    }
}

int main(int argc, char **argv)
{
    test_ops();
    if (argc > 1) {
        test_arch(argv[1]);
        return check_summary("backward");
    }
    for (int i = 0; i < arch_count(); i++)
        test_arch(arch_name(i));
    return check_summary("backward");
}
