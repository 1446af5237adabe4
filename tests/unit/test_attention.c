/* test_attention.c - positions and masks: T5 buckets against Hugging Face's values, ALiBi
 * slopes against BLOOM's formula, RoPE's rotation properties, causal / window masks, GQA
 * head sharing, and SwiGLU. */
#include "check.h"
#include "sim/model/attention.h"
#include "sim/model/model.h"
#include "sim/model/ops.h"
#include "sim/base/rng.h"
#include <stdlib.h>
#include <string.h>

static ns_model build(const char *arch, int d, int heads, int seq)
{
    ns_config c;
    ns_model m;
    ns_err e;
    arch_config(arch, &c, NULL);
    c.d = d;
    c.heads = heads;
    c.seq = seq;
    c.layers = 1;
    c.kv_heads = 0;
    CHECK(model_create(&m, &c, &e) == NS_OK, "%s model: %s", arch, e.msg);
    return m;
}

/* HF T5 _relative_position_bucket (bidirectional, 32 buckets, max distance 128), as torch
 * computes it (float32 log, truncation): n -> bucket of +n is 16 + v(n), of -n is v(n) */
static void test_t5_buckets(void)
{
    static const int n[] = {0, 1, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 199};
    static const int v[] = {0, 1, 7, 8, 9, 10, 10, 11, 12, 12, 13, 14, 14, 15, 15, 15};
    ns_model m = build("t5", 32, 4, 200);
    for (size_t i = 0; i < sizeof n / sizeof n[0]; i++) {
        int pos = m.t5_bucket[n[i] + 199], neg = m.t5_bucket[-n[i] + 199];
        CHECK(pos == (n[i] ? 16 : 0) + v[i], "t5 bucket(+%d) = %d, want %d", n[i], pos, (n[i] ? 16 : 0) + v[i]);
        CHECK(neg == v[i], "t5 bucket(-%d) = %d, want %d", n[i], neg, v[i]);
    }
    model_free(&m);
}

/* BLOOM: 8 heads -> 2^-1 .. 2^-8; 12 heads -> those 8, then 2^-0.5, 2^-1.5, 2^-2.5, 2^-3.5 */
static void test_alibi(void)
{
    ns_model m = build("bloom", 96, 12, 16);
    for (int h = 0; h < 8; h++)
        CHECK_REL(m.alibi[h], pow(2.0, -(h + 1)), 1e-15, 1e-300, "alibi slope (12 heads)");
    for (int h = 8; h < 12; h++)
        CHECK_REL(m.alibi[h], pow(2.0, -0.5 - (h - 8)), 1e-15, 1e-300, "alibi extra slope");
    model_free(&m);
}

/* RoPE preserves norms and makes q.k depend only on the position difference */
static void test_rope(void)
{
    enum { T = 6, hd = 8 };
    ns_model m = build("llama", 16, 2, 16);
    pcg32 r;
    pcg32_seed(&r, 4, 4);
    double q[hd], k[hd], x[T * hd], y[T * hd];
    for (int i = 0; i < hd; i++) {
        q[i] = rng_normal(&r);
        k[i] = rng_normal(&r);
    }
    for (int t = 0; t < T; t++) { /* the same vector at every position */
        memcpy(x + t * hd, q, sizeof q);
        memcpy(y + t * hd, k, sizeof k);
    }
    for (int inter = 0; inter < 2; inter++) {
        double xa[T * hd], ya[T * hd];
        memcpy(xa, x, sizeof x);
        memcpy(ya, y, sizeof y);
        rope_forward(xa, T, hd, 0, 1, hd, hd, inter, m.rope[0][0], m.rope[0][1]);
        rope_forward(ya, T, hd, 0, 1, hd, hd, inter, m.rope[0][0], m.rope[0][1]);
        double n0 = 0, n5 = 0, d13 = 0, d24 = 0, d02 = 0, d13b = 0;
        for (int i = 0; i < hd; i++) {
            n0 += q[i] * q[i];
            n5 += xa[5 * hd + i] * xa[5 * hd + i];
            d13 += xa[1 * hd + i] * ya[3 * hd + i];
            d24 += xa[2 * hd + i] * ya[4 * hd + i];
            d02 += xa[0 * hd + i] * ya[2 * hd + i];
            d13b += xa[3 * hd + i] * ya[1 * hd + i];
        }
        CHECK_REL(n5, n0, 1e-14, 1e-300, "rope keeps the norm");
        CHECK_REL(d13, d24, 1e-13, 1.0, "rope: q_1.k_3 = q_2.k_4");
        CHECK_REL(d13, d02, 1e-13, 1.0, "rope: q_1.k_3 = q_0.k_2");
        CHECK(fabs(d13 - d13b) > 1e-6, "rope: q_1.k_3 != q_3.k_1 (direction matters)");
        CHECK(xa[0] == q[0], "position 0 is not rotated");
    }
    model_free(&m);
}

/* out row i must not depend on v rows outside its visible window */
static void test_masks(void)
{
    enum { T = 7, H = 2, KV = 1, hd = 3, ld = (H + 2 * KV) * hd };
    pcg32 r;
    pcg32_seed(&r, 9, 9);
    double qkv[T * ld], out[T * H * hd], out2[T * H * hd], scores[T * T];
    for (int i = 0; i < T * ld; i++)
        qkv[i] = rng_normal(&r);
    for (int causal = 0; causal < 2; causal++)
        for (int window = 0; window <= 3; window += 3) {
            if (window && !causal)
                continue;
            attn_spec a = {T, H, KV, hd, causal, window, 0.5, NULL, NULL, NULL, T, 1};
            attention_forward(out, qkv, scores, 0, &a);
            for (int j = 0; j < T; j++) { /* perturb v of key j: which rows change? */
                double keep = qkv[j * ld + (H + KV) * hd];
                qkv[j * ld + (H + KV) * hd] += 1.0;
                attention_forward(out2, qkv, scores, 0, &a);
                qkv[j * ld + (H + KV) * hd] = keep;
                for (int i = 0; i < T; i++) {
                    int visible = (!causal || j <= i) && (!window || i - j < window);
                    int changed = out2[i * H * hd] != out[i * H * hd];
                    CHECK(changed == visible, "causal %d window %d: key %d -> query %d changed %d",
                          causal, window, j, i, changed);
                }
            }
            /* multi-query: both heads read the one kv head, so with equal q they agree */
        }
    double q1[T * ld];
    memcpy(q1, qkv, sizeof q1);
    for (int t = 0; t < T; t++)
        memcpy(q1 + t * ld + hd, q1 + t * ld, sizeof(double) * hd);
    attn_spec a = {T, H, KV, hd, 1, 0, 0.5, NULL, NULL, NULL, T, 1};
    attention_forward(out, q1, scores, 0, &a);
    int same = 1;
    for (int t = 0; t < T; t++)
        for (int i = 0; i < hd; i++)
            same &= out[t * H * hd + i] == out[t * H * hd + hd + i];
    CHECK(same, "MQA: heads with equal q share k, v and give equal outputs");
}

static void test_gated(void)
{
    enum { n = 4, f = 3 };
    double a[n * 2 * f], want[n * f];
    for (int i = 0; i < n * 2 * f; i++)
        a[i] = 0.3 * (i - 10);
    for (int t = 0; t < n; t++)
        for (int j = 0; j < f; j++) {
            double g = a[t * 2 * f + j], u = a[t * 2 * f + f + j];
            want[t * f + j] = g / (1 + exp(-g)) * u;
        }
    double act[n * f];
    activation_forward(MLP_SWIGLU, a, act, n, f);
    for (int i = 0; i < n * f; i++)
        CHECK_REL(act[i], want[i], 1e-15, 1e-12, "SwiGLU");
}

int main(void)
{
    test_t5_buckets();
    test_alibi();
    test_rope();
    test_masks();
    test_gated();
    return check_summary("attention");
}
