/* npy.h - NumPy .npy files: a streaming reader (npy_read.c) and the one writer
 * (npy_write.c: format 1.0, or 2.0 for a long header; little-endian, C order). Files are
 * written atomically (sim/base/atomic_file.h: "<path>.tmp", fsync, rename), so no
 * half-written file is ever left. */
#ifndef NS_NPY_H
#define NS_NPY_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "sim/base/err.h"
#include "sim/base/atomic_file.h"
#include "sim/io/numconv.h"

/* Write a float64 array of the given shape (ndim <= NPY_MAX_DIMS): npy_write_as. */
int npy_write_f64(const char *path, const double *data, int ndim, const size_t *shape, ns_err *e);
/* Write an int32 array of the given shape (ndim <= NPY_MAX_DIMS): the streaming writer. */
int npy_write_i32(const char *path, const int *data, int ndim, const size_t *shape, ns_err *e);

/* ---- streaming reader (sim/io/npy_read.c) ----
 * Reads format 1.0, 2.0 and 3.0, little-endian (or byte-order-free) bool, u1..u8, i1..i8,
 * f2, f4, f8, C order; Fortran order, big-endian data and other dtypes are errors. A row
 * is one step along the last axis: an array of shape (a, b, ..., d) is read as a*b*...
 * rows of d values, in chunks, converted to double: never whole into memory. */
#define NPY_MAX_DIMS 16
#define NPY_MAX_HEADER (1u << 20)

typedef struct {
    int major;                    /* format version */
    num_type dtype;
    char descr[8];                /* as written, e.g. "<f4" */
    int ndim;
    uint64_t shape[NPY_MAX_DIMS];
    uint64_t count;               /* elements */
    uint64_t rows, cols;          /* cols = last dimension (1 for a scalar), rows = the rest */
    uint64_t data_offset;         /* bytes before the data */
} npy_header;

/* Parse the header at the start of buf (len bytes); NS_EUSAGE with a reason if it is not a
 * supported .npy header or does not fit in len bytes. Does not check the data size. */
int npy_parse_header(const unsigned char *buf, size_t len, npy_header *h, ns_err *e);

typedef struct {
    FILE *f;
    char *path;
    npy_header h;
    uint64_t next_row;
    unsigned char *buf;   /* chunk of raw bytes */
    size_t buf_bytes;
} npy_reader;

/* Open path and check its header and that the data is exactly count elements long. */
int npy_open(npy_reader *r, const char *path, ns_err *e);
/* The same from an open stream (taken over; closed by npy_close); name for messages. */
int npy_open_stream(npy_reader *r, FILE *stream, const char *name, ns_err *e);
/* Read up to max_rows further rows into out (max_rows * cols doubles); *got = rows read
 * (0 at the end). */
int npy_read_rows(npy_reader *r, double *out, uint64_t max_rows, uint64_t *got, ns_err *e);
/* Go to row (0-based; rows: the end): the next read starts there. */
int npy_seek_row(npy_reader *r, uint64_t row, ns_err *e);
void npy_close(npy_reader *r);
/* A whole (small) array as doubles (free it); its header in h (may be NULL). */
int npy_load(const char *path, double **data, npy_header *h, ns_err *e);

/* ---- streaming writer (sim/io/npy_write.c) ---- */
typedef struct {
    atomic_file out;          /* out.path: the target, for messages */
    num_type dtype;
    uint64_t expect, written; /* elements */
} npy_writer;

/* Start path (written as path.tmp) with dtype NUM_F64, NUM_F32, NUM_F16 or NUM_I32 and
 * this shape; format 1.0, or 2.0 when the header needs it. */
int npy_writer_open(npy_writer *w, const char *path, num_type dtype, int ndim,
                    const uint64_t *shape, ns_err *e);
/* Append n values (rounded to the dtype, nearest even; a finite value that overflows it
 * is an error). */
int npy_writer_put(npy_writer *w, const double *x, uint64_t n, ns_err *e);
/* Append n int32 values (a NUM_I32 writer only). */
int npy_writer_put_i32(npy_writer *w, const int *x, uint64_t n, ns_err *e);
/* Check that every element was written, then commit (fsync, rename into place). On error (or with
 * npy_writer_abort) the temporary file is removed and path is left untouched. */
int npy_writer_close(npy_writer *w, ns_err *e);
void npy_writer_abort(npy_writer *w);
/* A whole array in one call (atomic). */
int npy_write_as(const char *path, num_type dtype, const double *x, int ndim,
                 const uint64_t *shape, ns_err *e);

#endif
