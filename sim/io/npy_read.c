/* npy_read.c - .npy header parser and streaming row reader (the writer: npy_write.c).
 * Format: "\x93NUMPY", major, minor, header length (u16 LE for 1.x, u32 LE for 2.x/3.x),
 * then a Python dict literal {'descr': '<f8', 'fortran_order': False, 'shape': (r, c), }
 * padded with spaces and ending in '\n', then the raw data. */
#include "sim/base/file_in.h"
#include "sim/io/npy.h"
#include "sim/io/file_kind.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CHUNK 65536

static const struct {
    const char *code; /* after the byte-order character */
    num_type t;
} npy_types[] = {
    {"b1", NUM_BOOL}, {"u1", NUM_U8}, {"i1", NUM_I8}, {"u2", NUM_U16}, {"i2", NUM_I16},
    {"f2", NUM_F16}, {"u4", NUM_U32}, {"i4", NUM_I32}, {"f4", NUM_F32}, {"u8", NUM_U64},
    {"i8", NUM_I64}, {"f8", NUM_F64},
};

/* ---- header parsing: a tiny reader of the Python literal ---- */

typedef struct {
    const char *s, *end;
} cursor;

static void skip_ws(cursor *c)
{
    while (c->s < c->end && (*c->s == ' ' || *c->s == '\t' || *c->s == '\n' || *c->s == '\r'))
        c->s++;
}

static int eat(cursor *c, char ch)
{
    skip_ws(c);
    if (c->s < c->end && *c->s == ch) {
        c->s++;
        return 1;
    }
    return 0;
}

/* a quoted string without escapes into out (at most n - 1 chars) */
static int read_str(cursor *c, char *out, size_t n)
{
    skip_ws(c);
    if (c->s >= c->end || (*c->s != '\'' && *c->s != '"'))
        return -1;
    char q = *c->s++;
    size_t k = 0;
    while (c->s < c->end && *c->s != q) {
        if (*c->s == '\\' || *c->s == '\0' || k + 1 >= n)
            return -1;
        out[k++] = *c->s++;
    }
    if (c->s >= c->end)
        return -1;
    c->s++;
    out[k] = '\0';
    return 0;
}

static int read_word(cursor *c, const char *w)
{
    skip_ws(c);
    size_t n = strlen(w);
    if ((size_t)(c->end - c->s) >= n && memcmp(c->s, w, n) == 0) {
        c->s += n;
        return 1;
    }
    return 0;
}

static int read_uint(cursor *c, uint64_t *v)
{
    skip_ws(c);
    if (c->s >= c->end || *c->s < '0' || *c->s > '9')
        return -1;
    uint64_t x = 0;
    while (c->s < c->end && *c->s >= '0' && *c->s <= '9') {
        if (x > (UINT64_MAX - 9) / 10)
            return -1;
        x = x * 10 + (uint64_t)(*c->s++ - '0');
    }
    if (c->s < c->end && *c->s == 'L') /* Python 2 long */
        c->s++;
    *v = x;
    return 0;
}

static int parse_descr(const char *d, npy_header *h, ns_err *e)
{
    snprintf(h->descr, sizeof h->descr, "%.7s", d);
    if (strlen(d) != 3)
        return ns_fail(e, NS_EUSAGE, "unsupported dtype '%s' (supported: float16/32/64, integers, bool)", d);
    for (size_t i = 0; i < sizeof npy_types / sizeof npy_types[0]; i++) {
        if (strcmp(d + 1, npy_types[i].code) != 0)
            continue;
        h->dtype = npy_types[i].t;
        int one = num_size(h->dtype) == 1;
        if (d[0] == '>' && !one)
            return ns_fail(e, NS_EUSAGE, "big-endian data ('%s') is not supported: save "
                           "a.astype(a.dtype.newbyteorder('<'))", d);
        if (d[0] != '<' && d[0] != '|' && !(one && d[0] == '>'))
            return ns_fail(e, NS_EUSAGE, "unsupported byte order in dtype '%s' (expected '<')", d);
        return NS_OK;
    }
    return ns_fail(e, NS_EUSAGE, "unsupported dtype '%s' (supported: float16/32/64, integers, bool)", d);
}

static int parse_shape(cursor *c, npy_header *h, ns_err *e)
{
    if (!eat(c, '('))
        return ns_fail(e, NS_EUSAGE, "bad .npy header: 'shape' is not a tuple");
    h->ndim = 0;
    h->count = 1;
    int zero = 0;
    while (!eat(c, ')')) {
        if (h->ndim == NPY_MAX_DIMS)
            return ns_fail(e, NS_EUSAGE, "more than %d dimensions", NPY_MAX_DIMS);
        uint64_t v;
        if (read_uint(c, &v))
            return ns_fail(e, NS_EUSAGE, "bad .npy header: 'shape' entries must be non-negative integers");
        h->shape[h->ndim++] = v;
        zero |= v == 0;
        if (!zero && v > UINT64_MAX / h->count / 16)
            return ns_fail(e, NS_EUSAGE, "bad .npy header: the shape overflows");
        h->count = zero ? 0 : h->count * v;
        if (!eat(c, ',') && (skip_ws(c), c->s >= c->end || *c->s != ')'))
            return ns_fail(e, NS_EUSAGE, "bad .npy header: malformed 'shape' tuple");
    }
    h->cols = h->ndim ? h->shape[h->ndim - 1] : 1;
    h->rows = 1;
    for (int i = 0; i + 1 < h->ndim; i++)
        h->rows *= h->shape[i];
    return NS_OK;
}

/* {'descr': ..., 'fortran_order': ..., 'shape': (...), } in any key order, each once */
static int parse_dict(cursor *c, npy_header *h, ns_err *e)
{
    int seen = 0, fortran = 0, rc;
    char key[32], val[32];
    if (!eat(c, '{'))
        return ns_fail(e, NS_EUSAGE, "bad .npy header: not a dict literal");
    while (!eat(c, '}')) {
        if (read_str(c, key, sizeof key) || !eat(c, ':'))
            return ns_fail(e, NS_EUSAGE, "bad .npy header: expected 'key': value");
        int bit = strcmp(key, "descr") == 0 ? 1 : strcmp(key, "fortran_order") == 0 ? 2
                : strcmp(key, "shape") == 0 ? 4 : 0;
        if (!bit || (seen & bit))
            return ns_fail(e, NS_EUSAGE, "bad .npy header: unexpected or repeated key '%s'", key);
        seen |= bit;
        if (bit == 1) {
            skip_ws(c);
            if (c->s < c->end && *c->s == '[')
                return ns_fail(e, NS_EUSAGE, "structured dtypes are not supported");
            if (read_str(c, val, sizeof val))
                return ns_fail(e, NS_EUSAGE, "bad .npy header: 'descr' is not a simple dtype string");
            if ((rc = parse_descr(val, h, e)))
                return rc;
        } else if (bit == 2) {
            if (read_word(c, "True"))
                fortran = 1;
            else if (!read_word(c, "False"))
                return ns_fail(e, NS_EUSAGE, "bad .npy header: 'fortran_order' must be True or False");
        } else if ((rc = parse_shape(c, h, e)))
            return rc;
        if (!eat(c, ',') && (skip_ws(c), c->s >= c->end || *c->s != '}'))
            return ns_fail(e, NS_EUSAGE, "bad .npy header: expected ',' or '}'");
    }
    if (seen != 7)
        return ns_fail(e, NS_EUSAGE, "bad .npy header: needs 'descr', 'fortran_order' and 'shape'");
    if (fortran)
        return ns_fail(e, NS_EUSAGE, "Fortran-order arrays are not supported: save "
                       "np.ascontiguousarray(a)");
    skip_ws(c);
    if (c->s != c->end)
        return ns_fail(e, NS_EUSAGE, "bad .npy header: bytes after the dict");
    return NS_OK;
}

int npy_parse_header(const unsigned char *buf, size_t len, npy_header *h, ns_err *e)
{
    memset(h, 0, sizeof *h);
    file_kind k = file_kind_sniff(buf, len, UINT64_MAX);
    if (k != FK_NPY && k != FK_OTHER)
        return ns_fail(e, NS_EUSAGE, "this is %s, not a .npy file", file_kind_name(k));
    if (len < 10 || memcmp(buf, "\x93NUMPY", 6) != 0)
        return ns_fail(e, NS_EUSAGE, "not a .npy file (no \\x93NUMPY magic)%s",
                       len < 10 ? ": truncated" : "");
    h->major = buf[6];
    if (h->major < 1 || h->major > 3 || buf[7] != 0)
        return ns_fail(e, NS_EUSAGE, "unsupported .npy format version %d.%d (supported: 1.0, 2.0, 3.0)",
                       buf[6], buf[7]);
    size_t start = h->major == 1 ? 10 : 12;
    if (len < start)
        return ns_fail(e, NS_EUSAGE, "truncated .npy header");
    uint64_t hlen = h->major == 1 ? (uint64_t)buf[8] | (uint64_t)buf[9] << 8
                                  : (uint64_t)buf[8] | (uint64_t)buf[9] << 8 |
                                        (uint64_t)buf[10] << 16 | (uint64_t)buf[11] << 24;
    if (hlen > NPY_MAX_HEADER)
        return ns_fail(e, NS_EUSAGE, ".npy header length %llu exceeds %u bytes",
                       (unsigned long long)hlen, NPY_MAX_HEADER);
    if (hlen > len - start)
        return ns_fail(e, NS_EUSAGE, "truncated .npy header: %llu bytes announced, %zu present",
                       (unsigned long long)hlen, len - start);
    h->data_offset = start + hlen;
    const char *text = (const char *)buf + start;
    if (memchr(text, '\0', (size_t)hlen))
        return ns_fail(e, NS_EUSAGE, "bad .npy header: contains a NUL byte");
    cursor c = {text, text + hlen};
    return parse_dict(&c, h, e);
}

/* ---- reading ---- */


/* a pipe, FIFO or terminal: the header read once, in order (magic, version, length, text);
 * the rows then follow as they come, a short stream is a short read */
static int open_unseekable(npy_reader *r, ns_err *e)
{
    unsigned char *head = malloc(12 + NPY_MAX_HEADER + 1);
    if (!head)
        return ns_fail(e, NS_ERUN, "out of memory");
    size_t got = fread(head, 1, 10, r->f), start = 10, hlen = 0;
    if (got == 10 && memcmp(head, "\x93NUMPY", 6) == 0 && head[6] >= 2) {
        got += fread(head + 10, 1, 2, r->f);
        start = 12;
    }
    if (got == start && memcmp(head, "\x93NUMPY", 6) == 0)
        hlen = start == 10 ? (size_t)head[8] | (size_t)head[9] << 8
                           : (size_t)head[8] | (size_t)head[9] << 8 | (size_t)head[10] << 16 | (size_t)head[11] << 24;
    if (hlen > NPY_MAX_HEADER)
        hlen = NPY_MAX_HEADER + 1; /* npy_parse_header refuses it with its message */
    got += hlen && hlen <= NPY_MAX_HEADER ? fread(head + start, 1, hlen, r->f) : 0;
    int rc = npy_parse_header(head, got, &r->h, e);
    free(head);
    if (rc)
        return rc;
    r->buf_bytes = CHUNK;
    return (r->buf = malloc(r->buf_bytes)) ? NS_OK : ns_fail(e, NS_ERUN, "out of memory");
}

static int open_checked(npy_reader *r, ns_err *e)
{
    uint64_t size;
    struct stat st;
    if (fstat(fileno(r->f), &st) == 0 && !S_ISREG(st.st_mode))
        return open_unseekable(r, e);
    if (file_size(r->f, &size))
        return ns_fail(e, NS_EUSAGE, "cannot seek: not a regular file");
    size_t want = size < 12 + (uint64_t)NPY_MAX_HEADER ? (size_t)size : 12 + NPY_MAX_HEADER;
    unsigned char *head = malloc(want + 1);
    if (!head)
        return ns_fail(e, NS_ERUN, "out of memory");
    int rc = fread(head, 1, want, r->f) == want ? npy_parse_header(head, want, &r->h, e)
                                               : ns_fail(e, NS_ERUN, "read error");
    free(head);
    if (rc)
        return rc;
    uint64_t w = (uint64_t)num_size(r->h.dtype), have = size - r->h.data_offset;
    if (r->h.count > UINT64_MAX / w || r->h.count * w != have)
        return ns_fail(e, NS_EUSAGE, "the shape needs %llu elements (%llu bytes of %s) but the file "
                       "holds %llu bytes of data", (unsigned long long)r->h.count,
                       (unsigned long long)(r->h.count * w), r->h.descr, (unsigned long long)have);
    if (fseeko(r->f, (off_t)r->h.data_offset, SEEK_SET) != 0)
        return ns_fail(e, NS_ERUN, "cannot seek");
    r->buf_bytes = CHUNK;
    if (!(r->buf = malloc(r->buf_bytes)))
        return ns_fail(e, NS_ERUN, "out of memory");
    return NS_OK;
}

int npy_open_stream(npy_reader *r, FILE *stream, const char *name, ns_err *e)
{
    memset(r, 0, sizeof *r);
    r->f = stream;
    size_t n = strlen(name) + 1;
    if ((r->path = malloc(n)))
        memcpy(r->path, name, n);
    ns_err inner = {0};
    int rc = r->path ? open_checked(r, &inner) : ns_fail(&inner, NS_ERUN, "out of memory");
    if (rc) {
        ns_fail(e, rc, "%s: %s", name, inner.msg);
        npy_close(r);
    }
    return rc;
}

int npy_open(npy_reader *r, const char *path, ns_err *e)
{
    FILE *f;
    memset(r, 0, sizeof *r);
    int rc = file_open_read(path, &f, e);
    return rc ? rc : npy_open_stream(r, f, path, e);
}

int npy_read_rows(npy_reader *r, double *out, uint64_t max_rows, uint64_t *got, ns_err *e)
{
    uint64_t rows = r->h.rows - r->next_row;
    rows = rows < max_rows ? rows : max_rows;
    const size_t w = (size_t)num_size(r->h.dtype), per = r->buf_bytes / w;
    const uint64_t n = rows * r->h.cols;
    for (uint64_t done = 0; done < n;) {
        size_t k = n - done < per ? (size_t)(n - done) : per;
        if (fread(r->buf, w, k, r->f) != k)
            return ns_fail(e, NS_ERUN, "%s: short read (file truncated or changed?)", r->path);
        num_decode(r->h.dtype, r->buf, k, out + done);
        done += k;
    }
    r->next_row += rows;
    *got = rows;
    return NS_OK;
}

int npy_seek_row(npy_reader *r, uint64_t row, ns_err *e)
{
    if (row > r->h.rows)
        return ns_fail(e, NS_ERUN, "%s: row %llu is past the end", r->path, (unsigned long long)row);
    uint64_t at = r->h.data_offset + row * r->h.cols * (uint64_t)num_size(r->h.dtype);
    if (fseeko(r->f, (off_t)at, SEEK_SET) != 0)
        return ns_fail(e, NS_ERUN, "%s: cannot seek to row %llu", r->path, (unsigned long long)row);
    r->next_row = row;
    return NS_OK;
}

void npy_close(npy_reader *r)
{
    if (r->f)
        fclose(r->f);
    free(r->path);
    free(r->buf);
    memset(r, 0, sizeof *r);
}

int npy_load(const char *path, double **data, npy_header *h, ns_err *e)
{
    npy_reader r;
    *data = NULL;
    int rc = npy_open(&r, path, e);
    if (rc)
        return rc;
    if (r.h.count > ((uint64_t)1 << 31))
        rc = ns_fail(e, NS_EUSAGE, "%s: too large to load whole (%llu elements)", path,
                     (unsigned long long)r.h.count);
    else if (!(*data = malloc(sizeof(double) * ((size_t)r.h.count + 1))))
        rc = ns_fail(e, NS_ERUN, "out of memory");
    uint64_t got;
    if (!rc)
        rc = npy_read_rows(&r, *data, r.h.rows, &got, e);
    if (!rc && h)
        *h = r.h;
    if (rc) {
        free(*data);
        *data = NULL;
    }
    npy_close(&r);
    return rc;
}
