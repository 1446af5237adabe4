/* safetensors_write.c - the safetensors writer: header by hand (exact integers), padded so
 * the data starts 8-aligned, data converted in chunks, atomic (sim/base/atomic_file.h). */
#include "sim/io/safetensors.h"
#include "sim/base/atomic_file.h"
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *s;
    size_t len, cap;
    int failed;
} strbuf;

static void sb_add(strbuf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->cap ? b->cap * 2 : 1024) + n;
        char *g = realloc(b->s, cap);
        if (!g) {
            b->failed = 1;
            return;
        }
        b->s = g;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void sb_str(strbuf *b, const char *s) { sb_add(b, s, strlen(s)); }

static void sb_u64(strbuf *b, uint64_t v)
{
    char num[32];
    sb_str(b, (snprintf(num, sizeof num, "%llu", (unsigned long long)v), num));
}

/* a JSON string literal of s */
static void sb_quoted(strbuf *b, const char *s)
{
    cJSON *j = cJSON_CreateString(s);
    char *q = j ? cJSON_PrintUnformatted(j) : NULL;
    if (q)
        sb_str(b, q);
    else
        b->failed = 1;
    free(q);
    cJSON_Delete(j);
}

static int header_metadata(strbuf *b, const char *metadata_json, ns_err *e)
{
    cJSON *m = cJSON_Parse(metadata_json);
    if (!cJSON_IsObject(m)) {
        cJSON_Delete(m);
        return ns_fail(e, NS_EUSAGE, "safetensors metadata must be a JSON object");
    }
    sb_str(b, "\"__metadata__\":{");
    for (const cJSON *c = m->child; c; c = c->next) {
        char *v = cJSON_IsString(c) ? NULL : cJSON_PrintUnformatted(c);
        sb_quoted(b, c->string);
        sb_str(b, ":");
        sb_quoted(b, v ? v : c->valuestring ? c->valuestring : "");
        if (c->next)
            sb_str(b, ",");
        free(v);
    }
    sb_str(b, "}");
    cJSON_Delete(m);
    return NS_OK;
}

static int check_entries(const st_entry *t, int n, uint64_t *count, ns_err *e)
{
    for (int i = 0; i < n; i++) {
        if (!num_is_writable_float(t[i].dtype))
            return ns_fail(e, NS_EUSAGE, "tensor '%s': can only write F64, F32, F16, BF16", t[i].name);
        if (t[i].ndim < 0 || t[i].ndim > ST_MAX_DIMS)
            return ns_fail(e, NS_EUSAGE, "tensor '%s': %d dimensions", t[i].name, t[i].ndim);
        if (strcmp(t[i].name, "__metadata__") == 0)
            return ns_fail(e, NS_EUSAGE, "a tensor cannot be named __metadata__");
        for (int j = 0; j < i; j++)
            if (strcmp(t[i].name, t[j].name) == 0)
                return ns_fail(e, NS_EUSAGE, "tensor '%s' given twice", t[i].name);
        count[i] = 1;
        for (int k = 0; k < t[i].ndim; k++)
            count[i] *= t[i].shape[k];
    }
    return NS_OK;
}

static int build_header(const st_entry *t, int n, const uint64_t *count, const char *meta,
                        strbuf *b, ns_err *e)
{
    int rc = NS_OK;
    sb_str(b, "{");
    if (meta && (rc = header_metadata(b, meta, e)))
        return rc;
    uint64_t at = 0;
    for (int i = 0; i < n; i++) {
        if (meta || i)
            sb_str(b, ",");
        sb_quoted(b, t[i].name);
        sb_str(b, ":{\"dtype\":\"");
        sb_str(b, st_dtype_name(t[i].dtype));
        sb_str(b, "\",\"shape\":[");
        for (int k = 0; k < t[i].ndim; k++) {
            if (k)
                sb_str(b, ",");
            sb_u64(b, t[i].shape[k]);
        }
        sb_str(b, "],\"data_offsets\":[");
        sb_u64(b, at);
        sb_str(b, ",");
        at += count[i] * (uint64_t)num_size(t[i].dtype);
        sb_u64(b, at);
        sb_str(b, "]}");
    }
    sb_str(b, "}");
    while (!b->failed && (8 + b->len) % 8 != 0) /* the data starts 8-byte aligned */
        sb_str(b, " ");
    return b->failed ? ns_fail(e, NS_ERUN, "out of memory building the header") : NS_OK;
}

static int write_data(FILE *f, const st_entry *t, uint64_t count, ns_err *e)
{
    enum { K = 8192 };
    unsigned char buf[K * 8];
    const size_t w = (size_t)num_size(t->dtype);
    for (uint64_t done = 0; done < count;) {
        size_t k = count - done < K ? (size_t)(count - done) : K;
        size_t bad = num_encode(t->dtype, t->data + done, k, buf);
        if (bad < k)
            return ns_fail(e, NS_EUSAGE, "tensor '%s': value %g at element %llu overflows %s", t->name,
                           t->data[done + bad], (unsigned long long)(done + bad), st_dtype_name(t->dtype));
        if (fwrite(buf, w, k, f) != k)
            return ns_fail(e, NS_ERUN, "write failed: %s", strerror(errno));
        done += k;
    }
    return NS_OK;
}

/* u64 LE header length, the header, then every tensor's data */
static int write_file(FILE *f, const char *tmp, const strbuf *b, const st_entry *t, int n,
                      const uint64_t *count, ns_err *e)
{
    unsigned char len8[8];
    for (int i = 0; i < 8; i++)
        len8[i] = (unsigned char)((uint64_t)b->len >> (8 * i));
    if (fwrite(len8, 1, 8, f) != 8 || fwrite(b->s, 1, b->len, f) != b->len)
        return ns_fail(e, NS_ERUN, "cannot write %s: %s", tmp, strerror(errno));
    int rc = NS_OK;
    for (int i = 0; i < n && !rc; i++)
        rc = write_data(f, &t[i], count[i], e);
    return rc;
}

int st_write(const char *path, const st_entry *t, int n, const char *metadata_json, ns_err *e)
{
    uint64_t *count = calloc((size_t)n + 1, sizeof *count);
    strbuf b = {0};
    atomic_file out = {0};
    int rc = count ? check_entries(t, n, count, e) : ns_fail(e, NS_ERUN, "out of memory");
    if (!rc)
        rc = build_header(t, n, count, metadata_json, &b, e);
    if (!rc && !(rc = atomic_open(&out, path, e)))
        rc = write_file(out.f, out.tmp, &b, t, n, count, e);
    if (!rc)
        rc = atomic_commit(&out, e);
    else
        atomic_abort(&out);
    free(b.s);
    free(count);
    return rc;
}
