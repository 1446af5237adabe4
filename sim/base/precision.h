/* precision.h - storage-precision emulation: compute stays in double; at op boundaries
 * values are rounded to a storage format (f32, bf16, f16) round-to-nearest-even, as
 * mixed-precision models store activations. PREC_F64 means no rounding. */
#ifndef NS_PRECISION_H
#define NS_PRECISION_H
#include "sim/base/err.h"

typedef enum { PREC_F64 = 0, PREC_F32, PREC_BF16, PREC_F16 } precision;

/* "f64" | "f32" | "bf16" | "f16" -> *p; anything else is a usage error. */
int precision_parse(const char *s, precision *p, ns_err *e);
const char *precision_name(precision p);
/* Round each of x[0..n) in place to the nearest value of format p, ties to even, straight
 * from double (no double rounding through float): the format's subnormals, +-inf at or
 * beyond max + ulp(max)/2, NaN and inf passed through, signed zero kept. F64: no-op. */
void precision_round(precision p, double *x, long n);
/* u = 2^-p for a p-bit significand: 2^-53, 2^-24, 2^-8, 2^-11. */
double precision_unit_roundoff(precision p);

#endif
