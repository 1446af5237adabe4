/* numconv.h - element types of tensor files (safetensors, .npy) and their conversion to
 * and from double. Bytes are little-endian and decoded byte by byte, so the host's own
 * byte order never matters. */
#ifndef NS_NUMCONV_H
#define NS_NUMCONV_H
#include <stddef.h>
#include <stdint.h>

typedef enum {
    NUM_BOOL, NUM_U8, NUM_I8, NUM_F8_E5M2, NUM_F8_E4M3, /* 1 byte */
    NUM_U16, NUM_I16, NUM_F16, NUM_BF16,               /* 2 bytes */
    NUM_U32, NUM_I32, NUM_F32,                         /* 4 bytes */
    NUM_U64, NUM_I64, NUM_F64,                         /* 8 bytes */
    NUM_TYPE_COUNT
} num_type;

/* bytes per element */
int num_size(num_type t);
/* 1 for the floating-point types that a writer may produce: F16, BF16, F32, F64 */
int num_is_writable_float(num_type t);
/* 1 for every floating-point type (including the 8-bit ones) */
int num_is_float(num_type t);
/* Decode n little-endian elements at src into doubles (64-bit integers beyond 2^53 are
 * rounded; f8 E4M3 is the "fn" variant: no infinities, S.1111.111 is NaN). */
void num_decode(num_type t, const unsigned char *src, size_t n, double *dst);
/* Encode n doubles to a writable float type, rounding to nearest even straight from
 * double. Returns the index of the first finite value that overflows the type (its
 * encoding would be infinite), or n when none does; the bytes are written either way. */
size_t num_encode(num_type t, const double *src, size_t n, unsigned char *dst);
/* largest finite value of a writable float type */
double num_max_finite(num_type t);

#endif
