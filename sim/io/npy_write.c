/* npy_write.c - the one .npy writer: streaming and atomic (sim/base/atomic_file.h).
 * Format 1.0 (2.0 when the header needs more than a u16 length): "\x93NUMPY", major, 0,
 * header length (u16 LE, or u32 LE for 2.0), a Python dict literal
 * {'descr': '<f8', 'fortran_order': False, 'shape': (r, c), } padded with spaces so the
 * data starts at a multiple of 64 bytes, '\n', then the raw little-endian data. */
#include "sim/io/npy.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *descr_of(num_type t)
{
    return t == NUM_F64 ? "<f8" : t == NUM_F32 ? "<f4" : t == NUM_F16 ? "<f2" : t == NUM_I32 ? "<i4" : NULL;
}

/* the header of a C-order array of dtype and shape; *count = product of the shape */
static int write_header(FILE *f, num_type dtype, int ndim, const uint64_t *shape, uint64_t *count)
{
    char dict[1024];
    size_t used = (size_t)snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (",
                                   descr_of(dtype));
    *count = 1;
    for (int i = 0; i < ndim; i++) {
        used += (size_t)snprintf(dict + used, sizeof dict - used, "%llu%s", (unsigned long long)shape[i],
                                 ndim == 1 || i < ndim - 1 ? ", " : "");
        *count *= shape[i];
    }
    used += (size_t)snprintf(dict + used, sizeof dict - used, "), }");
    int major = used + 1 + 10 > 65535 ? 2 : 1;
    size_t pre = major == 1 ? 10 : 12, pad = (64 - (pre + used + 1) % 64) % 64;
    size_t hlen = used + pad + 1;
    unsigned char head[12] = {0x93, 'N', 'U', 'M', 'P', 'Y', (unsigned char)major, 0,
                              (unsigned char)(hlen & 0xff), (unsigned char)(hlen >> 8 & 0xff),
                              (unsigned char)(hlen >> 16 & 0xff), (unsigned char)(hlen >> 24 & 0xff)};
    int ok = fwrite(head, 1, pre, f) == pre && fwrite(dict, 1, used, f) == used;
    for (size_t i = 0; ok && i < pad; i++)
        ok = fputc(' ', f) != EOF;
    return ok && fputc('\n', f) != EOF;
}

int npy_writer_open(npy_writer *w, const char *path, num_type dtype, int ndim,
                    const uint64_t *shape, ns_err *e)
{
    memset(w, 0, sizeof *w);
    if (!descr_of(dtype) || ndim < 0 || ndim > NPY_MAX_DIMS)
        return ns_fail(e, NS_EUSAGE, "npy writer: dtype must be f64, f32, f16 or i32 and ndim <= %d",
                       NPY_MAX_DIMS);
    int rc = atomic_open(&w->out, path, e);
    if (rc)
        return rc;
    w->dtype = dtype;
    if (!write_header(w->out.f, dtype, ndim, shape, &w->expect)) {
        rc = ns_fail(e, NS_ERUN, "cannot write %s: %s", path, strerror(errno));
        npy_writer_abort(w);
    }
    return rc;
}

/* room for n more values of a writer of dtype want */
static int check_put(const npy_writer *w, uint64_t n, int want_int, ns_err *e)
{
    if ((w->dtype == NUM_I32) != want_int)
        return ns_fail(e, NS_ERUN, "%s: npy writer of %s given %s values", w->out.path, descr_of(w->dtype),
                       want_int ? "int32" : "float");
    if (n > w->expect - w->written)
        return ns_fail(e, NS_ERUN, "%s: more values than the shape holds", w->out.path);
    return NS_OK;
}

int npy_writer_put(npy_writer *w, const double *x, uint64_t n, ns_err *e)
{
    enum { K = 8192 };
    unsigned char buf[K * 8];
    const size_t sz = (size_t)num_size(w->dtype);
    int rc = check_put(w, n, 0, e);
    for (uint64_t done = 0; !rc && done < n;) {
        size_t k = n - done < K ? (size_t)(n - done) : K;
        size_t bad = num_encode(w->dtype, x + done, k, buf);
        if (bad < k)
            return ns_fail(e, NS_EUSAGE, "%s: value %g overflows %s", w->out.path, x[done + bad],
                           descr_of(w->dtype));
        if (fwrite(buf, sz, k, w->out.f) != k)
            return ns_fail(e, NS_ERUN, "cannot write %s: %s", w->out.path, strerror(errno));
        done += k;
    }
    w->written += rc ? 0 : n;
    return rc;
}

/* int32 little-endian, byte by byte (the host's byte order never matters) */
int npy_writer_put_i32(npy_writer *w, const int *x, uint64_t n, ns_err *e)
{
    enum { K = 8192 };
    unsigned char buf[K * 4];
    int rc = check_put(w, n, 1, e);
    for (uint64_t done = 0; !rc && done < n;) {
        size_t k = n - done < K ? (size_t)(n - done) : K;
        for (size_t i = 0; i < k; i++)
            for (int b = 0; b < 4; b++)
                buf[4 * i + b] = (unsigned char)((uint32_t)x[done + i] >> (8 * b));
        if (fwrite(buf, 4, k, w->out.f) != k)
            return ns_fail(e, NS_ERUN, "cannot write %s: %s", w->out.path, strerror(errno));
        done += k;
    }
    w->written += rc ? 0 : n;
    return rc;
}

void npy_writer_abort(npy_writer *w)
{
    atomic_abort(&w->out);
    memset(w, 0, sizeof *w);
}

int npy_writer_close(npy_writer *w, ns_err *e)
{
    if (w->written != w->expect) {
        int rc = ns_fail(e, NS_ERUN, "%s: %llu of %llu values written", w->out.path,
                         (unsigned long long)w->written, (unsigned long long)w->expect);
        npy_writer_abort(w);
        return rc;
    }
    int rc = atomic_commit(&w->out, e);
    memset(w, 0, sizeof *w);
    return rc;
}

int npy_write_as(const char *path, num_type dtype, const double *x, int ndim, const uint64_t *shape,
                 ns_err *e)
{
    npy_writer w;
    int rc = npy_writer_open(&w, path, dtype, ndim, shape, e);
    if (rc)
        return rc;
    if ((rc = npy_writer_put(&w, x, w.expect, e))) {
        npy_writer_abort(&w);
        return rc;
    }
    return npy_writer_close(&w, e);
}

/* shape as uint64_t (ndim <= NPY_MAX_DIMS; larger is refused by the writer) */
static int shape64(int ndim, const size_t *shape, uint64_t *out, ns_err *e)
{
    if (ndim < 0 || ndim > NPY_MAX_DIMS)
        return ns_fail(e, NS_EUSAGE, "npy writer: ndim must be 0..%d", NPY_MAX_DIMS);
    for (int i = 0; i < ndim; i++)
        out[i] = shape[i];
    return NS_OK;
}

int npy_write_f64(const char *path, const double *data, int ndim, const size_t *shape, ns_err *e)
{
    uint64_t s[NPY_MAX_DIMS];
    int rc = shape64(ndim, shape, s, e);
    return rc ? rc : npy_write_as(path, NUM_F64, data, ndim, s, e);
}

int npy_write_i32(const char *path, const int *data, int ndim, const size_t *shape, ns_err *e)
{
    uint64_t s[NPY_MAX_DIMS];
    npy_writer w;
    int rc = shape64(ndim, shape, s, e);
    if (rc || (rc = npy_writer_open(&w, path, NUM_I32, ndim, s, e)))
        return rc;
    if ((rc = npy_writer_put_i32(&w, data, w.expect, e))) {
        npy_writer_abort(&w);
        return rc;
    }
    return npy_writer_close(&w, e);
}
