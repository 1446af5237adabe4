/* test_rng.c - PCG32 against the published reference outputs, and the draws built on it. */
#include "check.h"
#include "sim/base/rng.h"
#include <stdint.h>

/* pcg32-global-demo / pcg_basic: pcg32_srandom_r(&rng, 42u, 54u), first six outputs */
static void test_reference(void)
{
    static const uint32_t want[] = {0xa15c02b7u, 0x7b47f409u, 0xba1d3330u,
                                    0x83d2f293u, 0xbfa4784bu, 0xcbed606eu};
    pcg32 r;
    pcg32_seed(&r, 42u, 54u);
    for (int i = 0; i < 6; i++) {
        uint32_t got = pcg32_next(&r);
        CHECK(got == want[i], "pcg32(42, 54) output %d: got 0x%08x want 0x%08x", i, got, want[i]);
    }
}

static void test_streams_differ(void)
{
    pcg32 a, b;
    pcg32_seed(&a, 7, RNG_INIT);
    pcg32_seed(&b, 7, RNG_DATA);
    int same = 0;
    for (int i = 0; i < 64; i++)
        same += pcg32_next(&a) == pcg32_next(&b);
    CHECK(same < 2, "streams of one seed should differ (%d equal draws of 64)", same);
}

static void test_uniform_normal(void)
{
    pcg32 r;
    pcg32_seed(&r, 1, 1);
    const int n = 200000;
    double s = 0, s2 = 0, umin = 1, umax = 0;
    for (int i = 0; i < n; i++) {
        double u = rng_uniform(&r);
        umin = u < umin ? u : umin;
        umax = u > umax ? u : umax;
    }
    CHECK(umin >= 0.0 && umax < 1.0, "uniform out of [0,1): min %g max %g", umin, umax);
    for (int i = 0; i < n; i++) {
        double z = rng_normal(&r);
        s += z;
        s2 += z * z;
    }
    double mean = s / n, var = s2 / n - mean * mean;
    /* 5 standard errors: mean se = 1/sqrt(n) = 0.0022, var se = sqrt(2/n) = 0.0032 */
    CHECK(fabs(mean) < 0.011, "normal mean %g", mean);
    CHECK(fabs(var - 1.0) < 0.016, "normal variance %g", var);
}

static void test_below(void)
{
    pcg32 r;
    pcg32_seed(&r, 3, 9);
    int counts[7] = {0}, bad = 0;
    for (int i = 0; i < 70000; i++) {
        uint32_t k = rng_below(&r, 7);
        if (k >= 7)
            bad++;
        else
            counts[k]++;
    }
    CHECK(bad == 0, "rng_below(7) gave %d values >= 7", bad);
    for (int k = 0; k < 7; k++) /* expected 10000, se 93 */
        CHECK(fabs(counts[k] - 10000.0) < 500, "rng_below bucket %d: %d", k, counts[k]);
}

static void test_reproducible(void)
{
    pcg32 a, b;
    pcg32_seed(&a, 123, 4);
    pcg32_seed(&b, 123, 4);
    int diff = 0;
    for (int i = 0; i < 1000; i++)
        diff += rng_normal(&a) != rng_normal(&b);
    CHECK(diff == 0, "same seed and stream gave %d different draws", diff);
}

int main(void)
{
    test_reference();
    test_streams_differ();
    test_uniform_normal();
    test_below();
    test_reproducible();
    return check_summary("rng");
}
