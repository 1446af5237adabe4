/* safetensors.c - safetensors reader: the header validated in full, then chunked reads.
 * The writer is in safetensors_write.c, sharded sets in safetensors_set.c. */
#include "sim/base/file_in.h"
#include "sim/io/file_kind.h"
#include "sim/io/gguf.h"
#include "sim/io/safetensors.h"
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define MAX_EXACT 9007199254740992.0 /* 2^53: larger JSON integers are not exact doubles */
#define CHUNK_BYTES 65536

static const char *dtype_names[NUM_TYPE_COUNT] = {
    [NUM_BOOL] = "BOOL", [NUM_U8] = "U8", [NUM_I8] = "I8", [NUM_F8_E5M2] = "F8_E5M2",
    [NUM_F8_E4M3] = "F8_E4M3", [NUM_U16] = "U16", [NUM_I16] = "I16", [NUM_F16] = "F16",
    [NUM_BF16] = "BF16", [NUM_U32] = "U32", [NUM_I32] = "I32", [NUM_F32] = "F32",
    [NUM_U64] = "U64", [NUM_I64] = "I64", [NUM_F64] = "F64",
};

const char *st_dtype_name(num_type t)
{
    return (unsigned)t < NUM_TYPE_COUNT ? dtype_names[t] : "?";
}

int st_dtype_parse(const char *s, num_type *t)
{
    for (int i = 0; i < NUM_TYPE_COUNT; i++)
        if (strcmp(s, dtype_names[i]) == 0) {
            *t = (num_type)i;
            return 0;
        }
    return -1;
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

void st_shape_str(const st_tensor *t, char *buf, size_t n)
{
    size_t used = (size_t)snprintf(buf, n, "(");
    for (int i = 0; i < t->ndim && used < n; i++)
        used += (size_t)snprintf(buf + used, n - used, "%s%llu", i ? ", " : "",
                                 (unsigned long long)t->shape[i]);
    if (used < n)
        snprintf(buf + used, n - used, t->ndim == 1 ? ",)" : ")");
}

/* ---- header parsing ---- */

/* a JSON number that is an integer in [0, 2^53] */
static int json_uint(const cJSON *j, uint64_t *out)
{
    if (!cJSON_IsNumber(j))
        return -1;
    double v = j->valuedouble;
    if (!(v >= 0.0 && v <= MAX_EXACT) || v != (double)(uint64_t)v)
        return -1;
    *out = (uint64_t)v;
    return 0;
}

static int parse_shape(const cJSON *shape, st_tensor *t, ns_err *e)
{
    if (!cJSON_IsArray(shape))
        return ns_fail(e, NS_EUSAGE, "tensor '%s': \"shape\" must be an array of integers", t->name);
    t->ndim = cJSON_GetArraySize(shape);
    if (t->ndim > ST_MAX_DIMS)
        return ns_fail(e, NS_EUSAGE, "tensor '%s': %d dimensions (at most %d)", t->name, t->ndim, ST_MAX_DIMS);
    t->count = 1;
    int i = 0, zero = 0;
    for (const cJSON *d = shape->child; d; d = d->next, i++) {
        if (json_uint(d, &t->shape[i]))
            return ns_fail(e, NS_EUSAGE, "tensor '%s': shape entry %d is not a non-negative integer",
                           t->name, i);
        zero |= t->shape[i] == 0;
        if (!zero && t->shape[i] > UINT64_MAX / t->count)
            return ns_fail(e, NS_EUSAGE, "tensor '%s': shape overflows", t->name);
        t->count = zero ? 0 : t->count * t->shape[i];
    }
    return NS_OK;
}

static int parse_tensor(const cJSON *j, st_tensor *t, uint64_t data_len, ns_err *e)
{
    if (!cJSON_IsObject(j))
        return ns_fail(e, NS_EUSAGE, "tensor '%s': entry is not an object", t->name);
    const cJSON *dt = cJSON_GetObjectItemCaseSensitive(j, "dtype");
    const cJSON *sh = cJSON_GetObjectItemCaseSensitive(j, "shape");
    const cJSON *off = cJSON_GetObjectItemCaseSensitive(j, "data_offsets");
    if (!cJSON_IsString(dt) || !sh || !off)
        return ns_fail(e, NS_EUSAGE, "tensor '%s': needs \"dtype\" (a string), \"shape\" and "
                       "\"data_offsets\"", t->name);
    if (st_dtype_parse(dt->valuestring, &t->dtype))
        return ns_fail(e, NS_EUSAGE, "tensor '%s': unknown dtype '%.32s' (valid: F64, F32, F16, BF16, "
                       "F8_E5M2, F8_E4M3, I64, I32, I16, I8, U64, U32, U16, U8, BOOL)", t->name,
                       dt->valuestring);
    int rc = parse_shape(sh, t, e);
    if (rc)
        return rc;
    if (!cJSON_IsArray(off) || cJSON_GetArraySize(off) != 2 || json_uint(off->child, &t->begin) ||
        json_uint(off->child->next, &t->end))
        return ns_fail(e, NS_EUSAGE, "tensor '%s': \"data_offsets\" must be [begin, end], two "
                       "non-negative integers", t->name);
    if (t->end < t->begin)
        return ns_fail(e, NS_EUSAGE, "tensor '%s': data_offsets [%llu, %llu] end before they begin",
                       t->name, (unsigned long long)t->begin, (unsigned long long)t->end);
    if (t->end > data_len)
        return ns_fail(e, NS_EUSAGE, "tensor '%s': data_offsets [%llu, %llu] are out of range: the data "
                       "section has %llu bytes (truncated file?)", t->name, (unsigned long long)t->begin,
                       (unsigned long long)t->end, (unsigned long long)data_len);
    uint64_t w = (uint64_t)num_size(t->dtype);
    if (t->count > UINT64_MAX / w || t->count * w != t->end - t->begin) {
        char s[160];
        st_shape_str(t, s, sizeof s);
        char need[32];
        if (t->count > UINT64_MAX / w)
            snprintf(need, sizeof need, "too many");
        else
            snprintf(need, sizeof need, "%llu", (unsigned long long)(t->count * w));
        return ns_fail(e, NS_EUSAGE, "tensor '%s': shape %s of %s needs %s bytes but data_offsets "
                       "span %llu", t->name, s, st_dtype_name(t->dtype), need,
                       (unsigned long long)(t->end - t->begin));
    }
    return NS_OK;
}

static int parse_metadata(st_file *f, const cJSON *m, ns_err *e)
{
    if (!cJSON_IsObject(m))
        return ns_fail(e, NS_EUSAGE, "\"__metadata__\" must be an object of strings");
    int n = cJSON_GetArraySize(m);
    f->meta_key = calloc((size_t)n + 1, sizeof(char *));
    f->meta_val = calloc((size_t)n + 1, sizeof(char *));
    if (!f->meta_key || !f->meta_val)
        return ns_fail(e, NS_ERUN, "out of memory");
    for (const cJSON *c = m->child; c; c = c->next) {
        if (!cJSON_IsString(c))
            return ns_fail(e, NS_EUSAGE, "\"__metadata__\" value of '%.64s' is not a string", c->string);
        f->meta_key[f->n_meta] = dup_str(c->string);
        f->meta_val[f->n_meta] = dup_str(c->valuestring);
        if (!f->meta_key[f->n_meta] || !f->meta_val[f->n_meta])
            return ns_fail(e, NS_ERUN, "out of memory");
        f->n_meta++;
    }
    return NS_OK;
}

static int by_offset(const void *a, const void *b)
{
    const st_tensor *x = *(const st_tensor *const *)a, *y = *(const st_tensor *const *)b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

static int by_name(const void *a, const void *b)
{
    return strcmp((*(const st_tensor *const *)a)->name, (*(const st_tensor *const *)b)->name);
}

/* The tensors must tile [0, data_len) exactly, and names must be unique. */
static int check_layout(const st_file *f, uint64_t data_len, ns_err *e)
{
    const st_tensor **s = malloc(sizeof *s * ((size_t)f->n + 1));
    if (!s)
        return ns_fail(e, NS_ERUN, "out of memory");
    int rc = NS_OK;
    for (int i = 0; i < f->n; i++)
        s[i] = &f->t[i];
    qsort(s, (size_t)f->n, sizeof *s, by_name);
    for (int i = 1; i < f->n && !rc; i++)
        if (strcmp(s[i - 1]->name, s[i]->name) == 0)
            rc = ns_fail(e, NS_EUSAGE, "tensor '%s' appears twice in the header", s[i]->name);
    qsort(s, (size_t)f->n, sizeof *s, by_offset);
    uint64_t at = 0;
    for (int i = 0; i < f->n && !rc; i++) {
        if (s[i]->begin < at)
            rc = ns_fail(e, NS_EUSAGE, "tensors '%s' and '%s' overlap (data_offsets [%llu, %llu] and "
                         "[%llu, %llu])", s[i - 1]->name, s[i]->name,
                         (unsigned long long)s[i - 1]->begin, (unsigned long long)s[i - 1]->end,
                         (unsigned long long)s[i]->begin, (unsigned long long)s[i]->end);
        else if (s[i]->begin > at)
            rc = ns_fail(e, NS_EUSAGE, "bytes [%llu, %llu) of the data section belong to no tensor "
                         "(before '%s')", (unsigned long long)at, (unsigned long long)s[i]->begin,
                         s[i]->name);
        at = s[i]->end;
    }
    if (!rc && at != data_len)
        rc = ns_fail(e, NS_EUSAGE, "the data section has %llu bytes but the tensors cover %llu",
                     (unsigned long long)data_len, (unsigned long long)at);
    free(s);
    return rc;
}

static int parse_root(st_file *f, const cJSON *root, uint64_t data_len, ns_err *e)
{
    if (!cJSON_IsObject(root))
        return ns_fail(e, NS_EUSAGE, "the header is not a JSON object");
    int n = cJSON_GetArraySize(root), rc = NS_OK;
    f->t = calloc((size_t)n + 1, sizeof *f->t);
    if (!f->t)
        return ns_fail(e, NS_ERUN, "out of memory for %d tensors", n);
    for (const cJSON *c = root->child; c && !rc; c = c->next) {
        if (strcmp(c->string, "__metadata__") == 0) {
            if (f->meta_key)
                return ns_fail(e, NS_EUSAGE, "\"__metadata__\" appears twice");
            rc = parse_metadata(f, c, e);
            continue;
        }
        st_tensor *t = &f->t[f->n];
        if (!(t->name = dup_str(c->string)))
            return ns_fail(e, NS_ERUN, "out of memory");
        f->n++;
        rc = parse_tensor(c, t, data_len, e);
    }
    return rc ? rc : check_layout(f, data_len, e);
}

int st_parse_header(st_file *f, const char *json, size_t len, uint64_t data_len, ns_err *e)
{
    size_t i = 0;
    while (i < len && (json[i] == ' ' || json[i] == '\t' || json[i] == '\n' || json[i] == '\r'))
        i++;
    if (i == len || json[i] != '{')
        return ns_fail(e, NS_EUSAGE, "the header is not a JSON object (it must start with '{')");
    char *copy = malloc(len + 1); /* NUL-terminated, so the parser can never read past it */
    if (!copy)
        return ns_fail(e, NS_ERUN, "out of memory for a %zu-byte header", len);
    memcpy(copy, json, len);
    copy[len] = '\0';
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(copy, len, &end, 0);
    int rc = NS_OK;
    if (!root)
        rc = ns_fail(e, NS_EUSAGE, "invalid JSON in the header near byte %ld",
                     end ? (long)(end - copy) : -1L);
    for (const char *p = end; !rc && p && p < copy + len; p++)
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r' && *p != '\0')
            rc = ns_fail(e, NS_EUSAGE, "invalid JSON in the header: trailing bytes after the object "
                         "at byte %ld", (long)(p - copy));
    if (!rc)
        rc = parse_root(f, root, data_len, e);
    cJSON_Delete(root);
    free(copy);
    return rc;
}

/* ---- files ---- */


static int open_checked(st_file *f, ns_err *e)
{
    unsigned char len8[8];
    file_kind k;
    if (file_size(f->f, &f->size) || file_kind_of_stream(f->f, &k, e))
        return ns_fail(e, NS_EUSAGE, "cannot seek: not a regular file");
    if (k != FK_SAFETENSORS && k != FK_OTHER) /* other: say below what is wrong with it */
        return ns_fail(e, NS_EUSAGE, "this is %s, not a safetensors file", file_kind_name(k));
    if (f->size < 8 || fread(len8, 1, 8, f->f) != 8)
        return ns_fail(e, NS_EUSAGE, "truncated: %llu bytes, but a safetensors file starts with an "
                       "8-byte header length", (unsigned long long)f->size);
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--)
        n = n << 8 | len8[i];
    if (n > f->size - 8)
        return ns_fail(e, NS_EUSAGE, "header length %llu is larger than the file (%llu bytes): "
                       "truncated, or not a safetensors, GGUF or .npy file", (unsigned long long)n,
                       (unsigned long long)f->size);
    if (n == 0 || n > ST_MAX_HEADER)
        return ns_fail(e, NS_EUSAGE, "header length %llu is not in [1, %u]", (unsigned long long)n,
                       ST_MAX_HEADER);
    char *json = malloc((size_t)n);
    if (!json)
        return ns_fail(e, NS_ERUN, "out of memory for a %llu-byte header", (unsigned long long)n);
    int rc = fread(json, 1, (size_t)n, f->f) == (size_t)n
                 ? st_parse_header(f, json, (size_t)n, f->size - 8 - n, e)
                 : ns_fail(e, NS_EUSAGE, "truncated header");
    free(json);
    f->data_start = 8 + n;
    return rc;
}

int st_open_stream(st_file *f, FILE *stream, const char *name, ns_err *e)
{
    memset(f, 0, sizeof *f);
    f->f = stream;
    f->path = dup_str(name);
    if (!f->path) {
        st_close(f);
        return ns_fail(e, NS_ERUN, "out of memory");
    }
    ns_err inner = {0};
    int rc = open_checked(f, &inner);
    if (rc) {
        ns_fail(e, rc, "%s: %s", name, inner.msg);
        st_close(f);
    }
    return rc;
}

int st_open(st_file *f, const char *path, ns_err *e)
{
    FILE *s;
    memset(f, 0, sizeof *f);
    int rc = file_open_read(path, &s, e);
    return rc ? rc : st_open_stream(f, s, path, e);
}

void st_close(st_file *f)
{
    if (f->f)
        fclose(f->f);
    for (int i = 0; i < f->n; i++)
        free(f->t[i].name);
    for (int i = 0; i < f->n_meta; i++) {
        free(f->meta_key[i]);
        free(f->meta_val[i]);
    }
    free(f->t);
    free(f->meta_key);
    free(f->meta_val);
    free(f->path);
    memset(f, 0, sizeof *f);
}

const st_tensor *st_find(const st_file *f, const char *name)
{
    for (int i = 0; i < f->n; i++)
        if (strcmp(f->t[i].name, name) == 0)
            return &f->t[i];
    return NULL;
}

const char *st_meta(const st_file *f, const char *key)
{
    for (int i = 0; i < f->n_meta; i++)
        if (strcmp(f->meta_key[i], key) == 0)
            return f->meta_val[i];
    return NULL;
}

int st_read(const st_file *f, const st_tensor *t, uint64_t first, uint64_t n, double *out, ns_err *e)
{
    if (first > t->count || n > t->count - first)
        return ns_fail(e, NS_ERUN, "%s: read of elements [%llu, %llu) of '%s' (%llu elements)", f->path,
                       (unsigned long long)first, (unsigned long long)(first + n), t->name,
                       (unsigned long long)t->count);
    if (t->gguf_type)
        return gguf_read_blocks(f, t, first, n, out, e);
    const size_t w = (size_t)num_size(t->dtype), per = CHUNK_BYTES / w;
    unsigned char buf[CHUNK_BYTES];
    if (n && fseeko(f->f, (off_t)(f->data_start + t->begin + first * w), SEEK_SET) != 0)
        return ns_fail(e, NS_ERUN, "%s: cannot seek to tensor '%s'", f->path, t->name);
    for (uint64_t done = 0; done < n;) {
        size_t k = n - done < per ? (size_t)(n - done) : per;
        if (fread(buf, w, k, f->f) != k)
            return ns_fail(e, NS_ERUN, "%s: short read in tensor '%s' (file truncated or changed?)",
                           f->path, t->name);
        num_decode(t->dtype, buf, k, out + done);
        done += k;
    }
    return NS_OK;
}
