/* precision.c - round doubles to f32 / bf16 / f16 by integer arithmetic on the IEEE-754
 * binary64 representation: one rounding, ties to even, the target's subnormals and
 * overflow, independent of the FPU rounding mode. Each value alone: threaded freely. */
#include "sim/base/precision.h"
#include "sim/base/threads.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

#define F64_SIGN 0x8000000000000000ULL
#define F64_FRAC 0x000fffffffffffffULL
#define F64_HIDDEN 0x0010000000000000ULL /* the implicit leading 1 of a normal double */
#define F64_INF 0x7ff0000000000000ULL

/* A binary format: p significand bits (hidden bit included), normal exponents [emin, emax]. */
static const struct {
    const char *name;
    int p, emin, emax;
} formats[] = {
    [PREC_F64] = {"f64", 53, -1022, 1023},
    [PREC_F32] = {"f32", 24, -126, 127},
    [PREC_BF16] = {"bf16", 8, -126, 127},
    [PREC_F16] = {"f16", 11, -14, 15},
};

static int known(precision p)
{
    return (unsigned)p < sizeof formats / sizeof formats[0];
}

int precision_parse(const char *s, precision *p, ns_err *e)
{
    for (int i = 0; s && known((precision)i); i++)
        if (strcmp(s, formats[i].name) == 0) {
            *p = (precision)i;
            return NS_OK;
        }
    return ns_fail(e, NS_EUSAGE, "unknown precision '%s' (valid: f64, f32, bf16, f16)",
                   s ? s : "(null)");
}

const char *precision_name(precision p)
{
    return known(p) ? formats[p].name : "?";
}

/* u = 2^-p */
double precision_unit_roundoff(precision p)
{
    return ldexp(1.0, -formats[known(p) ? p : PREC_F64].p);
}

/* |x| = m 2^(e-52), m = 1.f in 53 bits; the target's quantum is 2^(max(e, emin) - p + 1), so
 * drop s = 53 - p + max(emin - e, 0) low bits: m' = (m + 2^(s-1) - 1 + lsb) >> s << s. */
static inline uint64_t round_bits(uint64_t u, int p, int emin, int emax)
{
    uint64_t sign = u & F64_SIGN, a = u ^ sign;
    int e = (int)(a >> 52) - 1023;
    if (e >= emin && e <= emax) { /* normal in the target: s = 53 - p, a carry bumps e */
        int s = 53 - p;
        a = (a + (1ULL << (s - 1)) - 1 + ((a >> s) & 1)) & ~((1ULL << s) - 1);
        return sign | (a >> 52 > (uint64_t)(emax + 1023) ? F64_INF : a);
    }
    if (e == 1024) /* NaN, inf */
        return u;
    if (e > emax)
        return sign | F64_INF;
    if (e < emin - p) /* |x| < half the smallest subnormal (zeros and double subnormals too) */
        return sign;
    int s = 53 - p + emin - e; /* subnormal in the target: 53 - p < s <= 53 */
    uint64_t m = (a & F64_FRAC) | F64_HIDDEN;
    uint64_t r = (m + (1ULL << (s - 1)) - 1 + ((m >> s) & 1)) >> s << s;
    if (r == 0) /* s = 53 and |x| = exactly half the smallest subnormal: ties to 0 */
        return sign;
    return sign | (a - m + r); /* r in [2^52, 2^53]: r = 2^53 carries into the exponent */
}

/* x_i := round_p(x_i); one loop per format so its constants fold into round_bits. */
#define ROUND_LOOP(F)                                                            \
    NS_PAR_FOR(4 * n)                                                            \
    for (long i = 0; i < n; i++) {                                               \
        uint64_t u;                                                              \
        memcpy(&u, &x[i], sizeof u);                                             \
        u = round_bits(u, formats[F].p, formats[F].emin, formats[F].emax);       \
        memcpy(&x[i], &u, sizeof u);                                             \
    }

void precision_round(precision p, double *x, long n)
{
    switch (p) {
    case PREC_F32:
        ROUND_LOOP(PREC_F32);
        break;
    case PREC_BF16:
        ROUND_LOOP(PREC_BF16);
        break;
    case PREC_F16:
        ROUND_LOOP(PREC_F16);
        break;
    default: /* PREC_F64: every double is already representable */
        break;
    }
}
