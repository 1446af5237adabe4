/* test_diag.c - the model and the diagnostic end to end on tiny models: layout and init,
 * causality of the forward, verdicts for LayerNorm / RMSNorm / too few tokens, and
 * bit-identical reruns. */
#include "check.h"
#include "sim/diag/diag.h"
#include "sim/model/forward.h"
#include <stdlib.h>
#include <string.h>

static ns_config tiny(const char *norm)
{
    ns_config c;
    arch_config("gpt2", &c, NULL);
    snprintf(c.norm, sizeof c.norm, "%s", norm);
    c.d = 32;
    c.layers = 2;
    c.heads = 4;
    c.seq = 16;
    c.vocab = 64;
    return c;
}

static void test_layout_and_init(void)
{
    ns_config c = tiny("layernorm");
    c.d = 64;
    c.vocab = 300;
    ns_model m;
    ns_err e;
    CHECK(model_create(&m, &c, &e) == NS_OK, "model_create");
    size_t d = 64, L = 2, f = 4 * d, V = 300, S = 16;
    size_t want = V * d + S * d + L * (2 * 2 * d + 3 * d * d + 3 * d + d * d + d + f * d + f + d * f + d) + 2 * d;
    /* tied: no head tensor */
    CHECK(m.n_params == want, "parameter count %zu, want %zu", m.n_params, want);
    model_init(&m, 3);
    const ns_tensor *proj = model_find_tensor(&m, "h.1.mlp.down.weight");
    const ns_tensor *fc = model_find_tensor(&m, "h.0.mlp.up.weight");
    const ns_tensor *g = model_find_tensor(&m, "norm_final.weight");
    CHECK(proj && fc && g, "named tensors exist");
    double s2 = 0, f2 = 0;
    for (int i = 0; i < proj->rows * proj->cols; i++)
        s2 += m.params[proj->offset + i] * m.params[proj->offset + i];
    for (int i = 0; i < fc->rows * fc->cols; i++)
        f2 += m.params[fc->offset + i] * m.params[fc->offset + i];
    double sd_proj = sqrt(s2 / (proj->rows * proj->cols)), sd_fc = sqrt(f2 / (fc->rows * fc->cols));
    /* 16384 draws: the sample std is within 2% of the truth with overwhelming probability */
    CHECK(fabs(sd_proj / (0.02 / sqrt(4.0)) - 1) < 0.03, "output projection std %g", sd_proj);
    CHECK(fabs(sd_fc / 0.02 - 1) < 0.03, "c_fc std %g", sd_fc);
    CHECK(m.params[g->offset] == 1.0 && m.norm_final[64] == 0.0, "LN init g = 1, b = 0");
    model_randomize_gains(&m, 3, 1.0);
    CHECK(m.norm_final[0] != 1.0 && m.norm_final[0] > 0 && m.norm_final[64] == 0.0, "random gains move g only");
    model_free(&m);
}

/* changing the token at position t changes no output at positions < t */
static void test_causal(void)
{
    ns_config c = tiny("layernorm");
    ns_model m;
    ns_workspace w;
    ns_err e;
    model_create(&m, &c, &e);
    model_init(&m, 1);
    workspace_create(&w, &m, 16, 16, &e);
    int tok[16];
    for (int t = 0; t < 16; t++)
        tok[t] = (t * 7) % 64;
    double *a = malloc(sizeof(double) * 16 * 64), *b = malloc(sizeof(double) * 16 * 64);
    ns_batch in = {1, 16, tok, NULL, NULL};
    model_forward(&m, &w, &in, NULL, a);
    tok[10] = (tok[10] + 1) % 64;
    model_forward(&m, &w, &in, NULL, b);
    int before_same = memcmp(a, b, sizeof(double) * 10 * 64) == 0;
    int after_diff = memcmp(a + 10 * 64, b + 10 * 64, sizeof(double) * 6 * 64) != 0;
    CHECK(before_same, "positions before the change are untouched");
    CHECK(after_diff, "positions from the change on see it");
    free(a);
    free(b);
    workspace_free(&w);
    model_free(&m);
}

static int run(const char *norm, double spread, long tokens, diag_report *r)
{
    ns_config c = tiny(norm);
    ns_model m;
    ns_err e;
    if (model_create(&m, &c, &e))
        return 1;
    model_init(&m, 1);
    if (spread > 0)
        model_randomize_gains(&m, 1, spread);
    diag_opts o = {.tokens = tokens, .data = "uniform", .seed = 1, .threshold = 1e-10};
    int rc = diag_run(&m, &o, r, &e);
    model_free(&m);
    return rc;
}

static void test_verdicts(void)
{
    diag_report r, r2;
    CHECK(run("layernorm", 0, 600, &r) == NS_OK, "layernorm run");
    CHECK(r.verdict == VERDICT_PRESENT && r.cos >= 1 - 1e-10 && r.dead == 1,
          "layernorm: %s cos %.15f dead %d", verdict_name(r.verdict), r.cos, r.dead);
    CHECK(r.predicted && fabs(r.predicted[0] - 1 / sqrt(32.0)) < 1e-15 && fabs(r.predicted[31] - 1 / sqrt(32.0)) < 1e-15,
          "layernorm at init predicts p = 1/sqrt(d)");
    diag_report_free(&r);
    CHECK(run("layernorm", 1.0, 600, &r) == NS_OK, "layernorm random g");
    CHECK(r.verdict == VERDICT_PRESENT && r.cos >= 1 - 1e-10 && r.cos_ones < 0.95,
          "random g: %s cos %.15f cos_ones %.6f", verdict_name(r.verdict), r.cos, r.cos_ones);
    diag_report_free(&r);
    CHECK(run("rmsnorm", 1.0, 600, &r) == NS_OK, "rmsnorm run");
    CHECK(r.verdict == VERDICT_ABSENT && r.dead == 0 && r.lam_min / r.lam_max > 1e-6,
          "rmsnorm: %s dead %d lam_min/lam_max %.3g", verdict_name(r.verdict), r.dead, r.lam_min / r.lam_max);
    CHECK(r.predicted == NULL, "rmsnorm predicts no vector");
    diag_report_free(&r);
    CHECK(run("layernorm", 0, 32, &r) == NS_OK && r.verdict == VERDICT_UNDETERMINED && r.warning[0],
          "tokens <= d gives UNDETERMINED, never PRESENT");
    diag_report_free(&r);
    CHECK(run("rmsnorm", 0, 20, &r) == NS_OK && r.verdict == VERDICT_UNDETERMINED,
          "rmsnorm with tokens <= d is UNDETERMINED too");
    diag_report_free(&r);
    run("layernorm", 0.5, 300, &r);
    run("layernorm", 0.5, 300, &r2);
    CHECK(memcmp(r.eig, r2.eig, sizeof(double) * 32) == 0 && memcmp(&r.cos, &r2.cos, sizeof r.cos) == 0,
          "same seed: bit-identical results");
    diag_report_free(&r);
    diag_report_free(&r2);
}

typedef struct {
    long rows;
    int cols;
} row_count;

static void count_final(void *ctx, const char *name, const double *x, int n, int d)
{
    row_count *c = ctx;
    (void)x;
    if (strcmp(name, "final.out") == 0) {
        c->rows += n;
        c->cols = d;
    }
}

/* a caller's feed (the model's source made by hand) gives diag_run's own result bit for
 * bit, and `also` sees every final.out row */
static void test_feed(void)
{
    ns_config c = tiny("layernorm");
    ns_model m;
    ns_err e = {0};
    diag_report own, fed;
    diag_feed f;
    row_count rc = {0, 0};
    tap_sink also = {count_final, &rc};
    CHECK(model_create(&m, &c, &e) == NS_OK, "model");
    model_init(&m, 1);
    diag_opts o = {.tokens = 700, .data = "uniform", .seed = 3, .threshold = 1e-10};
    CHECK(diag_run(&m, &o, &own, &e) == NS_OK, "own source");
    CHECK(diag_feed_source(&f, &m, "uniform", 3, 700, &e) == NS_OK, "feed");
    CHECK(f.rows == own.tokens, "feed rows %ld, streamed %ld", f.rows, own.tokens);
    diag_opts of = {.threshold = 1e-10, .feed = &f, .also = &also};
    CHECK(diag_run(&m, &of, &fed, &e) == NS_OK, "fed run");
    CHECK(fed.tokens == own.tokens && memcmp(fed.eig, own.eig, sizeof(double) * (size_t)c.d) == 0 &&
          fed.cos == own.cos && fed.verdict == own.verdict, "fed = own, bit for bit");
    CHECK(rc.rows == own.tokens && rc.cols == c.d, "also saw %ld x %d rows", rc.rows, rc.cols);
    diag_feed_close(&f);
    diag_report_free(&own);
    diag_report_free(&fed);
    model_free(&m);
}

static void test_verdict_rule(void)
{
    CHECK(diag_verdict(1, 1e-20, 1, 1e-10, 100, 10) == VERDICT_PRESENT, "kernel measured");
    CHECK(diag_verdict(1, 1e-3, 0, 1e-10, 100, 10) == VERDICT_MISMATCH, "kernel predicted, not measured");
    CHECK(diag_verdict(0, NAN, 0, 1e-10, 100, 10) == VERDICT_ABSENT, "none predicted, none measured");
    CHECK(diag_verdict(0, NAN, 1, 1e-10, 100, 10) == VERDICT_MISMATCH, "unpredicted dead direction");
    CHECK(diag_verdict(1, 1e-20, 1, 1e-10, 10, 10) == VERDICT_UNDETERMINED, "tokens == d");
    CHECK(diag_verdict(1, NAN, 1, 1e-10, 100, 10) == VERDICT_MISMATCH, "NaN Rayleigh is no match");
}

int main(void)
{
    test_feed();
    test_layout_and_init();
    test_causal();
    test_verdicts();
    test_verdict_rule();
    return check_summary("diag");
}
