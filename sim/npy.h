/* npy.h - NumPy .npy writer (format v1.0, little-endian, C order). Files are written
 * atomically: to "<path>.tmp", then renamed, so no half-written file is ever left. */
#ifndef NS_NPY_H
#define NS_NPY_H
#include <stddef.h>
#include "err.h"

/* Write a float64 array of the given shape (ndim <= 4). */
int npy_write_f64(const char *path, const double *data, int ndim, const size_t *shape, ns_err *e);
/* Write an int32 array of the given shape (ndim <= 4). */
int npy_write_i32(const char *path, const int *data, int ndim, const size_t *shape, ns_err *e);

#endif
