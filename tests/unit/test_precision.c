/* test_precision.c - storage-precision rounding: f32 against the compiler's (float) cast,
 * f16 and bf16 exhaustively against every representable value and midpoint, hand-checked
 * edges (ties, max, overflow, subnormals), NumPy's float16, and u = 2^-p error bounds. */
#include "check.h"
#include "sim/base/precision.h"
#include "sim/base/rng.h"
#include <float.h>
#include <stdint.h>
#include <string.h>

static const precision rounded[] = {PREC_F32, PREC_BF16, PREC_F16};

static double round1(precision p, double x)
{
    precision_round(p, &x, 1);
    return x;
}

/* bitwise equal (so -0 != +0), or both NaN */
static int same(double a, double b)
{
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b);
    return memcmp(&a, &b, sizeof a) == 0;
}

/* +-2^k (1 + u), k uniform in [lo, hi] */
static double wide(pcg32 *r, int lo, int hi)
{
    double x = ldexp(1.0 + rng_uniform(r), lo + (int)rng_below(r, (uint32_t)(hi - lo + 1)));
    return pcg32_next(r) & 1 ? -x : x;
}

static void test_parse_name(void)
{
    static const char *names[] = {"f64", "f32", "bf16", "f16"};
    for (int i = 0; i < 4; i++) {
        precision p = PREC_F16;
        ns_err e = {0};
        int rc = precision_parse(names[i], &p, &e);
        CHECK(rc == NS_OK && p == (precision)i, "parse '%s': rc %d p %d", names[i], rc, (int)p);
        CHECK(strcmp(precision_name((precision)i), names[i]) == 0, "name %d: '%s'", i,
              precision_name((precision)i));
    }
    static const char *bad[] = {"fp16", "F16", "", "f8", "bf16 "};
    for (int i = 0; i < 5; i++) {
        precision p = PREC_F32;
        ns_err e = {0};
        int rc = precision_parse(bad[i], &p, &e);
        char want[128];
        snprintf(want, sizeof want, "unknown precision '%s' (valid: f64, f32, bf16, f16)", bad[i]);
        CHECK(rc == NS_EUSAGE && e.code == NS_EUSAGE && strcmp(e.msg, want) == 0 && p == PREC_F32,
              "parse '%s': rc %d msg '%s'", bad[i], rc, e.msg);
    }
    precision p;
    CHECK(precision_parse("nope", &p, NULL) == NS_EUSAGE, "parse with NULL err");
}

static void test_unit_roundoff(void)
{
    CHECK(precision_unit_roundoff(PREC_F64) == 0x1p-53, "u f64 %g", precision_unit_roundoff(PREC_F64));
    CHECK(precision_unit_roundoff(PREC_F32) == 0x1p-24, "u f32 %g", precision_unit_roundoff(PREC_F32));
    CHECK(precision_unit_roundoff(PREC_BF16) == 0x1p-8, "u bf16 %g", precision_unit_roundoff(PREC_BF16));
    CHECK(precision_unit_roundoff(PREC_F16) == 0x1p-11, "u f16 %g", precision_unit_roundoff(PREC_F16));
}

static void test_f64_noop(void)
{
    pcg32 r;
    pcg32_seed(&r, 5, RNG_PROBE);
    enum { N = 1000 };
    double x[N], y[N];
    for (int i = 0; i < N; i++)
        x[i] = wide(&r, -1074, 1023);
    x[0] = NAN, x[1] = -0.0, x[2] = INFINITY, x[3] = DBL_MAX, x[4] = DBL_TRUE_MIN;
    memcpy(y, x, sizeof x);
    precision_round(PREC_F64, y, N);
    CHECK(memcmp(x, y, sizeof x) == 0, "f64 rounding changed bits");
    precision_round(PREC_F16, y, 0); /* n = 0 touches nothing */
    CHECK(memcmp(x, y, sizeof x) == 0, "n = 0 changed bits");
}

/* f32: the compiler's double -> float conversion is IEEE round-to-nearest-even */
static void test_f32_cast(void)
{
    pcg32 r;
    pcg32_seed(&r, 11, RNG_PROBE);
    long bad = 0, n = 0;
    double first = 0;
    for (int i = 0; i < 300000; i++, n++) { /* 2^-155 .. 2^127: zero, subnormal, normal, max */
        double x = wide(&r, -155, 127);
        if (!same(round1(PREC_F32, x), (double)(float)x) && bad++ == 0)
            first = x;
    }
    for (int i = 0; i < 300000; i++, n += 3) { /* midpoints of adjacent floats, and either side */
        uint32_t b = pcg32_next(&r) % 0x7f7fffffu, b1 = b + 1;
        float f, f1;
        memcpy(&f, &b, sizeof f);
        memcpy(&f1, &b1, sizeof f1);
        double mid = 0.5 * ((double)f + (double)f1);
        double xs[3] = {mid, nextafter(mid, 0.0), nextafter(mid, INFINITY)};
        for (int k = 0; k < 3; k++) {
            double x = i & 1 ? -xs[k] : xs[k];
            if (!same(round1(PREC_F32, x), (double)(float)x) && bad++ == 0)
                first = x;
        }
    }
    CHECK(bad == 0, "f32 differs from (float) cast on %ld of %ld values, first %a", bad, n, first);
}

/* a p-bit format's bit pattern b (sign 0) as a double: ef = 0 subnormal, else normal */
static double decode(uint32_t b, int p, int emin)
{
    uint32_t ef = b >> (p - 1), f = b & ((1u << (p - 1)) - 1);
    if (ef == 0)
        return ldexp(f, emin - p + 1);
    return ldexp((1u << (p - 1)) + f, (int)ef - 1 + emin - (p - 1));
}

/* Every finite value v of the format stays; the midpoint to the next value goes to the one
 * with an even last bit (beyond max, next is 2^(emax+1) -> inf); one double ulp off the
 * midpoint goes to the nearer. Both signs. */
static void test_exhaustive(precision prec, int p, int emin, int emax)
{
    uint32_t max = (uint32_t)(emax - emin + 1) << (p - 1) | ((1u << (p - 1)) - 1);
    long bad = 0, n = 0;
    double first = 0;
    for (uint32_t b = 0; b <= max; b++) {
        double v = decode(b, p, emin), vn = decode(b + 1, p, emin), mid = 0.5 * (v + vn);
        double up = b == max ? INFINITY : vn;
        double xs[4] = {v, mid, nextafter(mid, 0.0), nextafter(mid, INFINITY)};
        double want[4] = {v, b & 1 ? up : v, v, up};
        for (int k = 0; k < 4; k++)
            for (int s = 0; s < 2; s++, n++) {
                double x = s ? -xs[k] : xs[k], w = s ? -want[k] : want[k];
                if (!same(round1(prec, x), w) && bad++ == 0)
                    first = x;
            }
    }
    CHECK(bad == 0, "%s: %ld of %ld values/midpoints wrong, first %a -> %a", precision_name(prec),
          bad, n, first, round1(prec, first));
    CHECK(decode(max, p, emin) == (prec == PREC_F16 ? 65504.0 : 3.3895313892515355e38),
          "%s max decoded as %.17g", precision_name(prec), decode(max, p, emin));
}

/* hand-checked: u = ulp/2 at 1 is 2^-p; ties go to the even significand */
static void test_hand_values(void)
{
    static const struct {
        precision p;
        double x, want;
    } t[] = {
        /* f32: p = 24, max (2 - 2^-23) 2^127, overflow at 2^128 - 2^103, min subnormal 2^-149 */
        {PREC_F32, 1 + 0x1p-24, 1.0},
        {PREC_F32, 1 + 3 * 0x1p-24, 1 + 0x1p-22},
        {PREC_F32, 1 - 0x1p-25, 1.0},
        {PREC_F32, FLT_MAX, FLT_MAX},
        {PREC_F32, 0x1.ffffffp+127, INFINITY},
        {PREC_F32, 0x1.fffffefffffffp+127, FLT_MAX},
        {PREC_F32, 0x1p-149, 0x1p-149},
        {PREC_F32, 0x1p-150, 0.0},
        {PREC_F32, -0x1p-150, -0.0},
        {PREC_F32, 0x1.0000000000001p-150, 0x1p-149},
        {PREC_F32, 3 * 0x1p-150, 0x1p-148},
        {PREC_F32, 0.1, 0.100000001490116119384765625},
        /* bf16: p = 8, max (2 - 2^-7) 2^127, overflow at 2^128 - 2^119, min subnormal 2^-133 */
        {PREC_BF16, 1 + 0x1p-8, 1.0},
        {PREC_BF16, 1 + 3 * 0x1p-8, 1 + 0x1p-6},
        {PREC_BF16, 1 + 0x1p-8 + 0x1p-30, 1 + 0x1p-7},
        {PREC_BF16, 1 - 0x1p-9, 1.0},
        {PREC_BF16, 3.141592653589793, 3.140625},
        {PREC_BF16, 3.3895313892515355e38, 3.3895313892515355e38},
        {PREC_BF16, 0x1.ffp+127, INFINITY},
        {PREC_BF16, -0x1.ffp+127, -INFINITY},
        {PREC_BF16, 0x1.fefffffffffffp+127, 3.3895313892515355e38},
        {PREC_BF16, FLT_MAX, INFINITY},
        {PREC_BF16, DBL_MAX, INFINITY},
        {PREC_BF16, 0x1p-133, 0x1p-133},
        {PREC_BF16, 0x1p-134, 0.0},
        {PREC_BF16, -0x1p-134, -0.0},
        {PREC_BF16, 0x1.0000000000001p-134, 0x1p-133},
        {PREC_BF16, 3 * 0x1p-134, 0x1p-132},
        {PREC_BF16, 127 * 0x1p-133, 127 * 0x1p-133},
        {PREC_BF16, 127.5 * 0x1p-133, 0x1p-126},
        {PREC_BF16, 0x1p-126, 0x1p-126},
        {PREC_BF16, 1e-45, 0.0},
        /* f16: p = 11, max 65504, overflow at 65520, min subnormal 2^-24 */
        {PREC_F16, 1 + 0x1p-11, 1.0},
        {PREC_F16, 1 + 3 * 0x1p-11, 1 + 0x1p-9},
        {PREC_F16, 1 - 0x1p-12, 1.0},
        {PREC_F16, 3.141592653589793, 3.140625},
        {PREC_F16, 0.1, 0.0999755859375},
        {PREC_F16, 65504.0, 65504.0},
        {PREC_F16, 65519.99, 65504.0},
        {PREC_F16, 65520.0, INFINITY},
        {PREC_F16, -65520.0, -INFINITY},
        {PREC_F16, 1e5, INFINITY},
        {PREC_F16, 0x1p-24, 0x1p-24},
        {PREC_F16, 0x1p-25, 0.0},
        {PREC_F16, -0x1p-25, -0.0},
        {PREC_F16, 0x1.0000000000001p-25, 0x1p-24},
        {PREC_F16, 3 * 0x1p-25, 0x1p-23},
        {PREC_F16, 5 * 0x1p-25, 0x1p-23},
        {PREC_F16, 1023 * 0x1p-24, 1023 * 0x1p-24},
        {PREC_F16, 1023.5 * 0x1p-24, 0x1p-14},
        {PREC_F16, 0x1p-14, 0x1p-14},
        {PREC_F16, 1e-9, 0.0},
        {PREC_F16, DBL_TRUE_MIN, 0.0},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        double got = round1(t[i].p, t[i].x);
        CHECK(same(got, t[i].want), "%s(%a) = %a, want %a", precision_name(t[i].p), t[i].x, got,
              t[i].want);
    }
}

/* generated by tests/unit/precision_ref.py (NumPy 1.24.2): {x, float(np.float16(x))} */
static const double f16_numpy[][2] = {
    {0x1.308c4e4b799c2p-5, 0x1.3080000000000p-5},
    {-0x1.d5c925d6f7e8ep+17, -INFINITY},
    {0x1.1ccb9204eac9cp+7, 0x1.1cc0000000000p+7},
    {0x1.efaf013e0707ap+8, 0x1.efc0000000000p+8},
    {0x1.321abae44588cp+6, 0x1.3200000000000p+6},
    {-0x1.c83edc12d7e70p-5, -0x1.c840000000000p-5},
    {0x1.caa37dec07254p-18, 0x1.cc00000000000p-18},
    {-0x1.982ba53164eb0p-9, -0x1.9840000000000p-9},
    {-0x1.ef0d6b610d6b6p-1, -0x1.ef00000000000p-1},
    {0x1.ec14ae7d801f4p+2, 0x1.ec00000000000p+2},
    {-0x1.587cb7164332ap-13, -0x1.5880000000000p-13},
    {-0x1.b187d743e1ddfp+12, -0x1.b180000000000p+12},
    {0x1.5265e431d0ba6p+5, 0x1.5280000000000p+5},
    {-0x1.25b876af7257ap-14, -0x1.25c0000000000p-14},
    {0x1.77a2fdd0d95a2p+14, 0x1.77c0000000000p+14},
    {0x1.0f1f41e5dc20ep+17, INFINITY},
    {-0x1.7de1a55b9377ep-13, -0x1.7e00000000000p-13},
    {-0x1.87fa381bc326ep-24, -0x1.0000000000000p-23},
    {0x1.50c5a695ae3bep-10, 0x1.50c0000000000p-10},
    {0x1.b0eb48f57c97ep+7, 0x1.b100000000000p+7},
    {-0x1.ac80dca142474p+16, -INFINITY},
    {-0x1.4ebe28d1f0dd3p-6, -0x1.4ec0000000000p-6},
    {0x1.0bc043199ff2cp-26, 0x0.0p+0},
    {-0x1.5485400e21d83p+4, -0x1.5480000000000p+4},
    {-0x1.f2b547a18f405p-19, -0x1.f000000000000p-19},
    {-0x1.c1a1a945814b0p+15, -0x1.c1c0000000000p+15},
    {-0x1.c7c7ed337ae4cp-24, -0x1.0000000000000p-23},
    {0x1.b9ea7be14ac0dp-5, 0x1.ba00000000000p-5},
    {-0x1.cc323b039c484p+7, -0x1.cc40000000000p+7},
    {-0x1.b752b80d9921ap+10, -0x1.b740000000000p+10},
    {-0x1.80a0bc8c19548p+17, -INFINITY},
    {-0x1.c67c0e2ba8e42p-13, -0x1.c680000000000p-13},
    {-0x1.fb9214b36f1fep-6, -0x1.fb80000000000p-6},
    {-0x1.19eedae0f1fbep-19, -0x1.1800000000000p-19},
    {-0x1.8b8227b03b5c8p+7, -0x1.8b80000000000p+7},
    {-0x1.4c5cd5614fd56p-4, -0x1.4c40000000000p-4},
    {-0x1.1fc56b114f2ccp+9, -0x1.1fc0000000000p+9},
    {0x1.3ebf52540e913p-2, 0x1.3ec0000000000p-2},
    {0x1.a51d717c5f578p-6, 0x1.a500000000000p-6},
    {-0x1.90197ec762586p-9, -0x1.9000000000000p-9},
    {-0x1.de34d6d73b96ep+1, -0x1.de40000000000p+1},
    {-0x1.7dae0f355049bp-4, -0x1.7dc0000000000p-4},
    {-0x1.9015c47731b2ap-7, -0x1.9000000000000p-7},
    {0x1.9a875980df73fp-23, 0x1.8000000000000p-23},
    {0x1.23585e305f4b6p-25, 0x1.0000000000000p-24},
    {-0x1.da63e5c94d4b2p+3, -0x1.da80000000000p+3},
    {0x1.60e4ed481d5d9p-24, 0x1.0000000000000p-24},
    {0x1.4f15f61dd3438p-18, 0x1.5000000000000p-18},
    {0x1.c4a0000000001p+5, 0x1.c4c0000000000p+5},
    {0x1.eedffffffffffp+10, 0x1.eec0000000000p+10},
    {0x1.f060000000001p+11, 0x1.f080000000000p+11},
    {0x1.919ffffffffffp+2, 0x1.9180000000000p+2},
    {0x1.8f1ffffffffffp+2, 0x1.8f00000000000p+2},
    {0x1.309ffffffffffp+0, 0x1.3080000000000p+0},
    {0x1.f1a0000000001p-12, 0x1.f1c0000000000p-12},
    {0x1.c420000000001p+4, 0x1.c440000000000p+4},
    {0x1.c8a0000000001p-11, 0x1.c8c0000000000p-11},
    {0x1.6f9ffffffffffp+6, 0x1.6f80000000000p+6},
    {0x1.1b80000000001p-16, 0x1.1c00000000000p-16},
    {0x1.ec5ffffffffffp-7, 0x1.ec40000000000p-7},
    {0x1.02e0000000001p+1, 0x1.0300000000000p+1},
    {0x1.14a0000000001p-9, 0x1.14c0000000000p-9},
    {0x1.da60000000001p+15, 0x1.da80000000000p+15},
    {0x1.f09ffffffffffp+0, 0x1.f080000000000p+0},
    {0x1.0fe0000000000p+9, 0x1.1000000000000p+9},
    {0x1.c1a0000000000p+3, 0x1.c180000000000p+3},
    {0x1.16a0000000000p+6, 0x1.1680000000000p+6},
    {0x1.4a60000000000p+11, 0x1.4a80000000000p+11},
    {0x1.5460000000000p+2, 0x1.5480000000000p+2},
    {0x1.0ea0000000000p+15, 0x1.0e80000000000p+15},
    {0x1.b520000000000p+15, 0x1.b500000000000p+15},
    {0x1.0a60000000000p+3, 0x1.0a80000000000p+3},
};

static void test_f16_numpy(void)
{
    int n = (int)(sizeof f16_numpy / sizeof f16_numpy[0]), bad = 0;
    for (int i = 0; i < n; i++) {
        double got = round1(PREC_F16, f16_numpy[i][0]);
        if (!same(got, f16_numpy[i][1]) && bad++ < 5)
            fprintf(stderr, "f16(%a) = %a, numpy %a\n", f16_numpy[i][0], got, f16_numpy[i][1]);
    }
    CHECK(bad == 0, "f16 differs from np.float16 on %d of %d values", bad, n);
}

static void test_specials(void)
{
    for (int i = 0; i < 3; i++) {
        precision p = rounded[i];
        double x[6] = {NAN, -NAN, INFINITY, -INFINITY, 0.0, -0.0};
        precision_round(p, x, 6);
        CHECK(isnan(x[0]) && isnan(x[1]), "%s: NaN not kept", precision_name(p));
        CHECK(x[2] == INFINITY && x[3] == -INFINITY, "%s: inf not kept", precision_name(p));
        CHECK(same(x[4], 0.0) && same(x[5], -0.0), "%s: zeros %g %g", precision_name(p), x[4], x[5]);
    }
}

/* round(round(x)) = round(x), bitwise, across zero, subnormal, normal and overflow */
static void test_idempotent(void)
{
    pcg32 r;
    pcg32_seed(&r, 17, RNG_PROBE);
    enum { N = 20000 };
    static double x[N], y[N];
    for (int i = 0; i < 3; i++) {
        precision p = rounded[i];
        for (int j = 0; j < N; j++)
            x[j] = wide(&r, -160, 140);
        precision_round(p, x, N);
        memcpy(y, x, sizeof x);
        precision_round(p, y, N);
        CHECK(memcmp(x, y, sizeof x) == 0, "%s: rounding twice differs from once", precision_name(p));
    }
}

/* |round(x) - x| <= u |x| for x in the normal range (|x| in [2^-14, 2^13) here, normal in
 * every format); RNE gets within 1% of u over 2e5 draws */
static void test_relative_error(void)
{
    pcg32 r;
    pcg32_seed(&r, 23, RNG_PROBE);
    for (int i = 0; i < 3; i++) {
        precision p = rounded[i];
        double u = precision_unit_roundoff(p), worst = 0;
        for (int j = 0; j < 200000; j++) {
            double x = rng_normal(&r) * ldexp(1.0, (int)rng_below(&r, 21) - 10), y = round1(p, x);
            if (fabs(x) < 0x1p-14) /* below f16's normal range */
                continue;
            double rel = fabs(y - x) / fabs(x);
            worst = rel > worst ? rel : worst;
        }
        CHECK(worst <= u && worst > 0.99 * u, "%s: max relative error %.6g, u %.6g",
              precision_name(p), worst, u);
    }
}

int main(void)
{
    test_parse_name();
    test_unit_roundoff();
    test_f64_noop();
    test_f32_cast();
    test_exhaustive(PREC_F16, 11, -14, 15);
    test_exhaustive(PREC_BF16, 8, -126, 127);
    test_hand_values();
    test_f16_numpy();
    test_specials();
    test_idempotent();
    test_relative_error();
    return check_summary("precision");
}
