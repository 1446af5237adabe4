/* gguf.c - the GGUF reader: header, metadata, tensor infos, alignment and offsets, each
 * checked against the bytes the file has before anything is allocated. */
#include "sim/io/gguf.h"
#include "sim/base/file_in.h"
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

typedef struct {
    FILE *f;
    uint64_t pos, size;
} rd;

enum { T_U8, T_I8, T_U16, T_I16, T_U32, T_I32, T_F32, T_BOOL, T_STRING, T_ARRAY, T_U64, T_I64, T_F64, T_N };
static const int scalar_size[T_N] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};

static const char *const type_names[] = {
    "F32", "F16", "Q4_0", "Q4_1", "Q4_2", "Q4_3", "Q5_0", "Q5_1", "Q8_0", "Q8_1", "Q2_K", "Q3_K", "Q4_K",
    "Q5_K", "Q6_K", "Q8_K", "IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S", "IQ4_NL", "IQ3_S", "IQ2_S", "IQ4_XS",
    "I8", "I16", "I32", "I64", "F64", "IQ1_M", "BF16"};

const char *gguf_type_name(uint32_t t)
{
    return t < sizeof type_names / sizeof type_names[0] ? type_names[t] : "unknown";
}

static int rd_bytes(rd *r, void *buf, uint64_t n, ns_err *e)
{
    if (n > r->size - r->pos || fread(buf, 1, (size_t)n, r->f) != (size_t)n)
        return ns_fail(e, NS_EUSAGE, "truncated at byte %llu (file of %llu bytes)", (unsigned long long)r->pos,
                       (unsigned long long)r->size);
    r->pos += n;
    return NS_OK;
}

static int rd_skip(rd *r, uint64_t n, ns_err *e)
{
    if (n > r->size - r->pos || fseeko(r->f, (off_t)(r->pos + n), SEEK_SET) != 0)
        return ns_fail(e, NS_EUSAGE, "truncated: %llu bytes needed at byte %llu, the file has %llu",
                       (unsigned long long)n, (unsigned long long)r->pos, (unsigned long long)r->size);
    r->pos += n;
    return NS_OK;
}

static uint64_t le(const unsigned char *b, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | b[i];
    return v;
}

static int rd_u32(rd *r, uint32_t *v, ns_err *e)
{
    unsigned char b[4];
    int rc = rd_bytes(r, b, 4, e);
    *v = (uint32_t)le(b, 4);
    return rc;
}

static int rd_u64(rd *r, uint64_t *v, ns_err *e)
{
    unsigned char b[8];
    int rc = rd_bytes(r, b, 8, e);
    *v = le(b, 8);
    return rc;
}

/* a string (u64 length, bytes) into a new buffer; its length checked against the file first */
static int rd_string(rd *r, char **s, ns_err *e)
{
    uint64_t n;
    int rc = rd_u64(r, &n, e);
    *s = NULL;
    if (rc)
        return rc;
    if (n > r->size - r->pos)
        return ns_fail(e, NS_EUSAGE, "a string of %llu bytes at byte %llu runs past the end of the file",
                       (unsigned long long)n, (unsigned long long)r->pos);
    if (n > GGUF_MAX_STRING)
        return ns_fail(e, NS_EUSAGE, "a string of %llu bytes at byte %llu (limit %u)", (unsigned long long)n,
                       (unsigned long long)r->pos, GGUF_MAX_STRING);
    if (!(*s = malloc((size_t)n + 1)))
        return ns_fail(e, NS_ERUN, "out of memory");
    if ((rc = rd_bytes(r, *s, n, e))) {
        free(*s);
        *s = NULL;
        return rc;
    }
    (*s)[n] = '\0';
    if (strlen(*s) != n) {
        free(*s);
        *s = NULL;
        return ns_fail(e, NS_EUSAGE, "a string at byte %llu holds a NUL byte", (unsigned long long)r->pos);
    }
    return NS_OK;
}

/* skip an array's values (strings one by one, each length checked) */
static int skip_array(rd *r, ns_err *e)
{
    uint32_t t;
    uint64_t n;
    int rc = rd_u32(r, &t, e);
    if (rc || (rc = rd_u64(r, &n, e)))
        return rc;
    if (t >= T_N || t == T_ARRAY)
        return ns_fail(e, NS_EUSAGE, "array of unsupported value type %u", t);
    if (t != T_STRING)
        return n > (r->size - r->pos) / (uint64_t)scalar_size[t]
                   ? ns_fail(e, NS_EUSAGE, "an array of %llu values runs past the end of the file",
                             (unsigned long long)n)
                   : rd_skip(r, n * (uint64_t)scalar_size[t], e);
    if (n > (r->size - r->pos) / 8)
        return ns_fail(e, NS_EUSAGE, "an array of %llu strings runs past the end of the file", (unsigned long long)n);
    for (uint64_t i = 0; i < n && !rc; i++) {
        uint64_t len;
        if (!(rc = rd_u64(r, &len, e)))
            rc = rd_skip(r, len, e);
    }
    return rc;
}

/* one scalar value as text into val (malloc'd), or NULL for an array (skipped) */
static int rd_value(rd *r, uint32_t t, char **val, ns_err *e)
{
    unsigned char b[8];
    char buf[64];
    int rc;
    *val = NULL;
    if (t == T_STRING)
        return rd_string(r, val, e);
    if (t == T_ARRAY)
        return skip_array(r, e);
    if (t >= T_N)
        return ns_fail(e, NS_EUSAGE, "metadata value of unknown type %u", t);
    if ((rc = rd_bytes(r, b, (uint64_t)scalar_size[t], e)))
        return rc;
    uint64_t u = le(b, scalar_size[t]);
    switch (t) {
    case T_I8: snprintf(buf, sizeof buf, "%d", (int)(int8_t)u); break;
    case T_I16: snprintf(buf, sizeof buf, "%d", (int)(int16_t)u); break;
    case T_I32: snprintf(buf, sizeof buf, "%ld", (long)(int32_t)u); break;
    case T_I64: snprintf(buf, sizeof buf, "%lld", (long long)(int64_t)u); break;
    case T_BOOL: snprintf(buf, sizeof buf, "%s", u ? "true" : "false"); break;
    case T_F32: {
        uint32_t w = (uint32_t)u;
        float x;
        memcpy(&x, &w, 4);
        snprintf(buf, sizeof buf, "%.17g", (double)x); /* the float exactly, as a double */
        break;
    }
    case T_F64: {
        double x;
        memcpy(&x, &u, 8);
        snprintf(buf, sizeof buf, "%.17g", x);
        break;
    }
    default: snprintf(buf, sizeof buf, "%llu", (unsigned long long)u);
    }
    return (*val = strdup(buf)) ? NS_OK : ns_fail(e, NS_ERUN, "out of memory");
}

static int read_metadata(st_file *f, rd *r, uint64_t n_kv, uint64_t *align, ns_err *e)
{
    if (n_kv > (r->size - r->pos) / 13) /* a pair takes at least 8 + 1 + 4 bytes */
        return ns_fail(e, NS_EUSAGE, "%llu metadata pairs cannot fit in the %llu bytes left",
                       (unsigned long long)n_kv, (unsigned long long)(r->size - r->pos));
    f->meta_key = calloc((size_t)n_kv + 1, sizeof *f->meta_key);
    f->meta_val = calloc((size_t)n_kv + 1, sizeof *f->meta_val);
    if (!f->meta_key || !f->meta_val)
        return ns_fail(e, NS_ERUN, "out of memory");
    for (uint64_t i = 0; i < n_kv; i++) {
        char *key, *val;
        uint32_t t;
        int rc = rd_string(r, &key, e);
        if (rc || (rc = rd_u32(r, &t, e)) || (rc = rd_value(r, t, &val, e))) {
            free(key);
            return rc;
        }
        if (!val) { /* an array: not kept */
            free(key);
            continue;
        }
        if (strcmp(key, "general.alignment") == 0) {
            char *end;
            unsigned long long a = strtoull(val, &end, 10);
            if (t != T_U32 || a == 0 || a > 65536 || (a & (a - 1)))
                rc = ns_fail(e, NS_EUSAGE, "general.alignment %s is not a power of two in [1, 65536]", val);
            *align = a;
        }
        f->meta_key[f->n_meta] = key;
        f->meta_val[f->n_meta++] = val;
        if (rc)
            return rc;
    }
    return NS_OK;
}

/* bytes of n elements of GGUF type t (block types: whole blocks); 0: type not read */
static uint64_t type_bytes(uint32_t t, uint64_t n, num_type *dt, int *block)
{
    *block = 0;
    switch (t) {
    case 0: *dt = NUM_F32; return n * 4;
    case 1: *dt = NUM_F16; return n * 2;
    case 28: *dt = NUM_F64; return n * 8;
    case 30: *dt = NUM_BF16; return n * 2;
    case GGUF_Q8_0: *dt = NUM_F16, *block = GGUF_Q8_0; return n % 32 ? 0 : n / 32 * 34;
    case GGUF_Q4_0: *dt = NUM_F16, *block = GGUF_Q4_0; return n % 32 ? 0 : n / 32 * 18;
    default: return 0;
    }
}

static int read_tensor_info(st_tensor *t, rd *r, ns_err *e)
{
    uint32_t nd, type;
    int rc = rd_string(r, &t->name, e);
    if (rc || (rc = rd_u32(r, &nd, e)))
        return rc;
    if (nd < 1 || nd > ST_MAX_DIMS)
        return ns_fail(e, NS_EUSAGE, "tensor '%s' has %u dimensions (1 to %d)", t->name, nd, ST_MAX_DIMS);
    t->ndim = (int)nd;
    t->count = 1;
    for (uint32_t i = 0; i < nd; i++) {
        uint64_t ne;
        if ((rc = rd_u64(r, &ne, e)))
            return rc;
        if (ne == 0 || ne > ((uint64_t)1 << 40) || t->count > ((uint64_t)1 << 40) / ne)
            return ns_fail(e, NS_EUSAGE, "tensor '%s': dimension %llu is out of range", t->name,
                           (unsigned long long)ne);
        t->shape[nd - 1 - i] = ne; /* ne[0] is the fastest: row-major shape reversed */
        t->count *= ne;
    }
    if ((rc = rd_u32(r, &type, e)) || (rc = rd_u64(r, &t->begin, e)))
        return rc;
    uint64_t bytes = type_bytes(type, t->count, &t->dtype, &t->gguf_type);
    if (!bytes)
        return ns_fail(e, NS_EUSAGE, "tensor '%s' has type %s (%u): not supported (F32, F16, BF16, F64, Q8_0, "
                       "Q4_0)%s", t->name, gguf_type_name(type), type,
                       type == GGUF_Q8_0 || type == GGUF_Q4_0 ? " with a count that is not a multiple of 32" : "");
    t->end = t->begin + bytes;
    return NS_OK;
}

static int read_file(st_file *f, ns_err *e)
{
    rd r = {f->f, 0, f->size};
    unsigned char magic[4];
    uint32_t version;
    uint64_t n_t, n_kv, align = 32;
    int rc = rd_bytes(&r, magic, 4, e);
    if (rc || (rc = rd_u32(&r, &version, e)) || (rc = rd_u64(&r, &n_t, e)) || (rc = rd_u64(&r, &n_kv, e)))
        return rc;
    if (memcmp(magic, "GGUF", 4) != 0)
        return ns_fail(e, NS_EUSAGE, "not a GGUF file (no GGUF magic)");
    if (version != 2 && version != 3)
        return ns_fail(e, NS_EUSAGE, "GGUF version %u is not supported (2, 3)", version);
    if (n_t > GGUF_MAX_TENSORS || n_t > (r.size - r.pos) / 25) /* an info takes at least 25 bytes */
        return ns_fail(e, NS_EUSAGE, "%llu tensors cannot fit in the %llu bytes left", (unsigned long long)n_t,
                       (unsigned long long)(r.size - r.pos));
    if ((rc = read_metadata(f, &r, n_kv, &align, e)))
        return rc;
    if (!(f->t = calloc((size_t)n_t + 1, sizeof *f->t)))
        return ns_fail(e, NS_ERUN, "out of memory");
    for (uint64_t i = 0; i < n_t && !rc; i++)
        if (!(rc = read_tensor_info(&f->t[f->n], &r, e)))
            f->n++;
        else
            free(f->t[f->n].name), f->t[f->n].name = NULL;
    if (rc)
        return rc;
    f->data_start = (r.pos + align - 1) / align * align;
    uint64_t data_len = f->size >= f->data_start ? f->size - f->data_start : 0;
    for (int i = 0; i < f->n; i++) {
        const st_tensor *t = &f->t[i];
        if (t->begin % align || t->begin > data_len || t->end - t->begin > data_len - t->begin)
            return ns_fail(e, NS_EUSAGE, "tensor '%s': bytes [%llu, %llu) of the data section %s (%llu bytes)",
                           t->name, (unsigned long long)t->begin, (unsigned long long)t->end,
                           t->begin % align ? "are not aligned" : "run past its end", (unsigned long long)data_len);
        for (int j = 0; j < i; j++)
            if (strcmp(f->t[j].name, t->name) == 0)
                return ns_fail(e, NS_EUSAGE, "tensor '%s' is listed twice", t->name);
    }
    return NS_OK;
}

int gguf_open_stream(st_file *f, FILE *stream, const char *name, ns_err *e)
{
    memset(f, 0, sizeof *f);
    f->f = stream;
    ns_err inner = {0};
    int rc = (f->path = strdup(name)) ? NS_OK : ns_fail(&inner, NS_ERUN, "out of memory");
    if (!rc && file_size(stream, &f->size) != 0)
        rc = ns_fail(&inner, NS_EUSAGE, "cannot seek: not a regular file");
    if (!rc)
        rc = read_file(f, &inner);
    if (rc) {
        ns_fail(e, rc, "%s: %s", name, inner.msg);
        st_close(f);
    }
    return rc;
}

int gguf_open(st_file *f, const char *path, ns_err *e)
{
    FILE *s;
    memset(f, 0, sizeof *f);
    int rc = file_open_read(path, &s, e);
    return rc ? rc : gguf_open_stream(f, s, path, e);
}

/* Q8_0: d (f16), 32 x int8; Q4_0: d (f16), 16 bytes: element j < 16 low nibble, j >= 16 high */
static void decode_block(int type, const unsigned char *b, double *out)
{
    double d;
    num_decode(NUM_F16, b, 1, &d);
    for (int j = 0; j < 32; j++)
        out[j] = type == GGUF_Q8_0 ? d * (double)(int8_t)b[2 + j]
                                   : d * (double)(((j < 16 ? b[2 + j] : b[2 + j - 16] >> 4) & 15) - 8);
}

int gguf_read_blocks(const st_file *f, const st_tensor *t, uint64_t first, uint64_t n, double *out, ns_err *e)
{
    const uint64_t bsize = t->gguf_type == GGUF_Q8_0 ? 34 : 18;
    unsigned char b[34];
    double v[32];
    for (uint64_t i = first; i < first + n;) {
        uint64_t blk = i / 32;
        if (fseeko(f->f, (off_t)(f->data_start + t->begin + blk * bsize), SEEK_SET) != 0 ||
            fread(b, 1, (size_t)bsize, f->f) != (size_t)bsize)
            return ns_fail(e, NS_ERUN, "%s: short read in tensor '%s' (file truncated or changed?)", f->path, t->name);
        decode_block(t->gguf_type, b, v);
        for (uint64_t j = i % 32; j < 32 && i < first + n; j++, i++)
            out[i - first] = v[j];
    }
    return NS_OK;
}
