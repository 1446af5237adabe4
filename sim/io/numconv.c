/* numconv.c - little-endian element decoding and encoding (IEEE-754 half, bfloat16, f8). */
#include "sim/io/numconv.h"
#include "sim/base/precision.h"
#include <float.h>
#include <math.h>
#include <string.h>

int num_size(num_type t)
{
    if (t <= NUM_F8_E4M3)
        return 1;
    if (t <= NUM_BF16)
        return 2;
    if (t <= NUM_F32)
        return 4;
    return 8;
}

int num_is_writable_float(num_type t)
{
    return t == NUM_F16 || t == NUM_BF16 || t == NUM_F32 || t == NUM_F64;
}

int num_is_float(num_type t)
{
    return num_is_writable_float(t) || t == NUM_F8_E5M2 || t == NUM_F8_E4M3;
}

static uint64_t le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* binary16: s.eeeee.mmmmmmmmmm, value (-1)^s 2^(e-15) 1.m, subnormal 2^-14 0.m */
static double half_to_double(unsigned h)
{
    int s = h >> 15, e = (h >> 10) & 0x1f, m = h & 0x3ff;
    double v = e == 0 ? ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexp(m | 0x400, e - 25);
    return s ? -v : v;
}

/* E4M3 "fn": s.eeee.mmm, bias 7, no infinities, e = 15 and m = 7 is NaN */
static double e4m3_to_double(unsigned b)
{
    int s = b >> 7, e = (b >> 3) & 0xf, m = b & 7;
    double v = e == 15 && m == 7 ? NAN : e == 0 ? ldexp(m, -9) : ldexp(m | 8, e - 10);
    return s ? -v : v;
}

static double f32_bits_to_double(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return (double)f;
}

void num_decode(num_type t, const unsigned char *src, size_t n, double *dst)
{
    const int w = num_size(t);
    for (size_t i = 0; i < n; i++, src += w) {
        uint64_t u = le(src, w);
        double v;
        switch (t) {
        case NUM_BOOL: v = u != 0; break;
        case NUM_U8: case NUM_U16: case NUM_U32: case NUM_U64: v = (double)u; break;
        case NUM_I8: v = (int8_t)u; break;
        case NUM_I16: v = (int16_t)u; break;
        case NUM_I32: v = (int32_t)u; break;
        case NUM_I64: v = (double)(int64_t)u; break;
        case NUM_F8_E5M2: v = half_to_double((unsigned)u << 8); break;
        case NUM_F8_E4M3: v = e4m3_to_double((unsigned)u); break;
        case NUM_F16: v = half_to_double((unsigned)u); break;
        case NUM_BF16: v = f32_bits_to_double((uint32_t)u << 16); break;
        case NUM_F32: v = f32_bits_to_double((uint32_t)u); break;
        default: memcpy(&v, &u, sizeof v); break; /* NUM_F64 */
        }
        dst[i] = v;
    }
}

/* v already rounded to binary16 (so exact here): its bit pattern */
static unsigned double_to_half_bits(double v)
{
    unsigned s = signbit(v) ? 0x8000u : 0u;
    double a = fabs(v);
    if (isnan(v))
        return s | 0x7e00u;
    if (isinf(v))
        return s | 0x7c00u;
    if (a < ldexp(1.0, -14)) /* subnormal or zero: a = m 2^-24 */
        return s | (unsigned)ldexp(a, 24);
    int ex;
    double fr = frexp(a, &ex); /* a = fr 2^ex, fr in [0.5, 1) */
    return s | (unsigned)(ex - 1 + 15) << 10 | ((unsigned)ldexp(fr, 11) & 0x3ffu);
}

static void put_le(unsigned char *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++, v >>= 8)
        p[i] = (unsigned char)(v & 0xff);
}

double num_max_finite(num_type t)
{
    switch (t) {
    case NUM_F16: return 65504.0;
    case NUM_BF16: return ldexp(255.0, 120); /* (2 - 2^-7) 2^127 */
    case NUM_F32: return ldexp((double)0xffffff, 104); /* (2 - 2^-23) 2^127 */
    default: return DBL_MAX;
    }
}

size_t num_encode(num_type t, const double *src, size_t n, unsigned char *dst)
{
    const int w = num_size(t);
    size_t first_overflow = n;
    for (size_t i = 0; i < n; i++, dst += w) {
        double v = src[i];
        uint64_t u;
        uint32_t u32;
        float f;
        if (t == NUM_F64) {
            memcpy(&u, &v, sizeof u);
            put_le(dst, u, 8);
            continue;
        }
        precision_round(t == NUM_F32 ? PREC_F32 : t == NUM_BF16 ? PREC_BF16 : PREC_F16, &v, 1);
        if (isinf(v) && isfinite(src[i]) && first_overflow == n)
            first_overflow = i;
        if (t == NUM_F16) {
            put_le(dst, double_to_half_bits(v), 2);
            continue;
        }
        f = (float)v; /* exact: v is representable */
        memcpy(&u32, &f, sizeof u32);
        put_le(dst, t == NUM_BF16 ? u32 >> 16 : u32, w);
    }
    return first_overflow;
}
