/* npy.c - .npy v1.0 writer: magic, u16 header length, a Python dict literal padded with
 * spaces to a multiple of 64 bytes and ending in '\n', then the raw data. */
#include "sim/io/npy.h"
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int npy_write(const char *path, const char *descr, const void *data, size_t elem,
                     int ndim, const size_t *shape, ns_err *e)
{
    char dict[256], tmp[4096];
    size_t count = 1, used = 0;
    used += (size_t)snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (", descr);
    for (int i = 0; i < ndim; i++) {
        used += (size_t)snprintf(dict + used, sizeof dict - used, "%zu%s", shape[i],
                                 (ndim == 1 || i < ndim - 1) ? ", " : "");
        count *= shape[i];
    }
    used += (size_t)snprintf(dict + used, sizeof dict - used, "), }");
    size_t total = 10 + used + 1, pad = (64 - total % 64) % 64;
    uint16_t hlen = (uint16_t)(used + pad + 1);
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return ns_fail(e, NS_EUSAGE, "path too long: %s", path);
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return ns_fail(e, NS_ERUN, "cannot write %s: %s", tmp, strerror(errno));
    unsigned char head[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(hlen & 0xff),
                              (unsigned char)(hlen >> 8)};
    int ok = fwrite(head, 1, 10, f) == 10 && fwrite(dict, 1, used, f) == used;
    for (size_t i = 0; ok && i < pad; i++)
        ok = fputc(' ', f) != EOF;
    ok = ok && fputc('\n', f) != EOF && fwrite(data, elem, count, f) == count;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        remove(tmp);
        return ns_fail(e, NS_ERUN, "cannot write %s: %s", path, strerror(errno));
    }
    return NS_OK;
}

int npy_write_f64(const char *path, const double *data, int ndim, const size_t *shape, ns_err *e)
{
    return npy_write(path, "<f8", data, sizeof(double), ndim, shape, e);
}

int npy_write_i32(const char *path, const int *data, int ndim, const size_t *shape, ns_err *e)
{
    return npy_write(path, "<i4", data, sizeof(int), ndim, shape, e);
}
