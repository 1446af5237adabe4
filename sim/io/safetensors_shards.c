/* safetensors_set.c - sharded checkpoints: model.safetensors.index.json parsed and
 * checked, every shard opened, one sorted name table over all of them. */
#include "sim/io/safetensors.h"
#include "sim/io/file_kind.h"
#include "sim/io/gguf.h"
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void st_index_free(st_index *ix)
{
    for (int i = 0; i < ix->n; i++)
        free(ix->tensor[i]);
    for (int i = 0; i < ix->n_shards; i++)
        free(ix->shards[i]);
    free(ix->tensor);
    free(ix->shard);
    free(ix->shards);
    memset(ix, 0, sizeof *ix);
}

/* relative, no ".." component, no backslash, not empty */
static int safe_shard_name(const char *s)
{
    if (!*s || *s == '/' || strchr(s, '\\'))
        return 0;
    for (const char *p = s; *p;) {
        const char *q = strchr(p, '/');
        size_t len = q ? (size_t)(q - p) : strlen(p);
        if ((len == 2 && p[0] == '.' && p[1] == '.') || len == 0)
            return 0;
        p += len + (q ? 1 : 0);
    }
    return 1;
}

static int index_add(st_index *ix, const cJSON *c, ns_err *e)
{
    if (!cJSON_IsString(c))
        return ns_fail(e, NS_EUSAGE, "weight_map value of '%.64s' is not a string", c->string);
    if (!safe_shard_name(c->valuestring))
        return ns_fail(e, NS_EUSAGE, "weight_map: shard '%.128s' of '%.64s' must be a relative path "
                       "without '..'", c->valuestring, c->string);
    int s = 0;
    while (s < ix->n_shards && strcmp(ix->shards[s], c->valuestring) != 0)
        s++;
    if (s == ix->n_shards && !(ix->shards[ix->n_shards++] = strdup(c->valuestring)))
        return ns_fail(e, NS_ERUN, "out of memory");
    ix->shard[ix->n] = s;
    if (!(ix->tensor[ix->n++] = strdup(c->string)))
        return ns_fail(e, NS_ERUN, "out of memory");
    return NS_OK;
}

static int by_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int index_unique(const st_index *ix, ns_err *e)
{
    char **names = malloc(sizeof(char *) * ((size_t)ix->n + 1));
    if (!names)
        return ns_fail(e, NS_ERUN, "out of memory");
    memcpy(names, ix->tensor, sizeof(char *) * (size_t)ix->n);
    qsort(names, (size_t)ix->n, sizeof *names, by_str);
    int rc = NS_OK;
    for (int i = 1; i < ix->n && !rc; i++)
        if (strcmp(names[i - 1], names[i]) == 0)
            rc = ns_fail(e, NS_EUSAGE, "weight_map lists '%s' twice", names[i]);
    free(names);
    return rc;
}

int st_index_parse(const char *json, size_t len, st_index *ix, ns_err *e)
{
    memset(ix, 0, sizeof *ix);
    char *copy = malloc(len + 1);
    if (!copy)
        return ns_fail(e, NS_ERUN, "out of memory");
    memcpy(copy, json, len);
    copy[len] = '\0';
    cJSON *root = cJSON_ParseWithLength(copy, len);
    const cJSON *map = cJSON_GetObjectItemCaseSensitive(root, "weight_map");
    int rc = NS_OK;
    if (!root)
        rc = ns_fail(e, NS_EUSAGE, "invalid JSON");
    else if (!cJSON_IsObject(root) || !cJSON_IsObject(map))
        rc = ns_fail(e, NS_EUSAGE, "not a safetensors index: needs an object \"weight_map\"");
    int n = rc ? 0 : cJSON_GetArraySize(map);
    if (!rc && n == 0)
        rc = ns_fail(e, NS_EUSAGE, "weight_map is empty");
    if (!rc) {
        ix->tensor = calloc((size_t)n, sizeof(char *));
        ix->shard = calloc((size_t)n, sizeof(int));
        ix->shards = calloc((size_t)n, sizeof(char *));
        if (!ix->tensor || !ix->shard || !ix->shards)
            rc = ns_fail(e, NS_ERUN, "out of memory");
    }
    for (const cJSON *c = rc ? NULL : map->child; c && !rc; c = c->next)
        rc = index_add(ix, c, e);
    if (!rc)
        rc = index_unique(ix, e);
    cJSON_Delete(root);
    free(copy);
    if (rc)
        st_index_free(ix);
    return rc;
}

void st_set_close(st_set *s)
{
    for (int i = 0; i < s->n_files; i++)
        st_close(&s->files[i]);
    free(s->files);
    free(s->t);
    free(s->path);
    memset(s, 0, sizeof *s);
}

static int by_name_ptr(const void *a, const void *b)
{
    return strcmp((*(const st_tensor *const *)a)->name, (*(const st_tensor *const *)b)->name);
}

/* every tensor of every file, sorted by name; a name in two files is an error */
static int set_collect(st_set *s, ns_err *e)
{
    int total = 0;
    for (int i = 0; i < s->n_files; i++)
        total += s->files[i].n;
    if (!(s->t = malloc(sizeof *s->t * ((size_t)total + 1))))
        return ns_fail(e, NS_ERUN, "out of memory");
    for (int i = 0; i < s->n_files; i++)
        for (int j = 0; j < s->files[i].n; j++) {
            s->files[i].t[j].file = i;
            s->t[s->n++] = &s->files[i].t[j];
        }
    qsort(s->t, (size_t)s->n, sizeof *s->t, by_name_ptr);
    for (int i = 1; i < s->n; i++)
        if (strcmp(s->t[i - 1]->name, s->t[i]->name) == 0)
            return ns_fail(e, NS_EUSAGE, "tensor '%s' is in two shards: %s and %s", s->t[i]->name,
                           s->files[s->t[i - 1]->file].path, s->files[s->t[i]->file].path);
    return NS_OK;
}

static int read_small_file(const char *path, char **out, size_t *len, ns_err *e)
{
    struct stat sb;
    FILE *f = NULL;
    *out = NULL;
    if (stat(path, &sb) != 0 || (S_ISREG(sb.st_mode) && !(f = fopen(path, "rb"))))
        return ns_fail(e, NS_EUSAGE, "cannot open %s: %s", path, strerror(errno));
    if (!f)
        return ns_fail(e, NS_EUSAGE, "cannot open %s: not a regular file", path);
    if (sb.st_size > (off_t)ST_MAX_HEADER) {
        fclose(f);
        return ns_fail(e, NS_EUSAGE, "%s: larger than %u bytes", path, ST_MAX_HEADER);
    }
    size_t size = (size_t)sb.st_size;
    *out = malloc(size + 1);
    int rc = *out && fread(*out, 1, size, f) == size ? NS_OK : ns_fail(e, NS_ERUN, "cannot read %s", path);
    fclose(f);
    if (rc) {
        free(*out);
        *out = NULL;
        return rc;
    }
    (*out)[size] = '\0';
    *len = size;
    return NS_OK;
}

static int open_index(st_set *s, const char *path, ns_err *e)
{
    char *json = NULL, file[4096];
    size_t len = 0;
    st_index ix;
    ns_err inner = {0};
    int rc = read_small_file(path, &json, &len, e);
    if (rc)
        return rc;
    if ((rc = st_index_parse(json, len, &ix, &inner))) {
        free(json);
        return ns_fail(e, rc, "%s: %s", path, inner.msg);
    }
    free(json);
    const char *slash = strrchr(path, '/');
    int dirlen = slash ? (int)(slash - path + 1) : 0;
    s->files = calloc((size_t)ix.n_shards, sizeof *s->files);
    if (!s->files)
        rc = ns_fail(e, NS_ERUN, "out of memory");
    for (int i = 0; i < ix.n_shards && !rc; i++) {
        snprintf(file, sizeof file, "%.*s%s", dirlen, path, ix.shards[i]);
        if (!(rc = st_open(&s->files[i], file, e)))
            s->n_files++;
    }
    for (int i = 0; i < ix.n && !rc; i++)
        if (!st_find(&s->files[ix.shard[i]], ix.tensor[i]))
            rc = ns_fail(e, NS_EUSAGE, "%s: weight_map puts '%s' in %s, which lacks it", path,
                         ix.tensor[i], ix.shards[ix.shard[i]]);
    st_index_free(&ix);
    return rc;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* a single file by its content: GGUF (gguf.h) or safetensors */
static int open_file(st_file *f, const char *path, ns_err *e)
{
    file_kind k;
    int rc = file_kind_of(path, &k, e);
    return rc ? rc : k == FK_GGUF ? gguf_open(f, path, e) : st_open(f, path, e);
}

int st_set_open(st_set *s, const char *path, ns_err *e)
{
    memset(s, 0, sizeof *s);
    char file[4096];
    struct stat sb;
    if (stat(path, &sb) != 0)
        return ns_fail(e, NS_EUSAGE, "cannot open %s: %s", path, strerror(errno));
    snprintf(file, sizeof file, "%s", path);
    if (S_ISDIR(sb.st_mode)) {
        snprintf(file, sizeof file, "%s/model.safetensors.index.json", path);
        if (stat(file, &sb) != 0) {
            snprintf(file, sizeof file, "%s/model.safetensors", path);
            if (stat(file, &sb) != 0)
                return ns_fail(e, NS_EUSAGE, "%s holds neither model.safetensors nor "
                               "model.safetensors.index.json", path);
        }
    }
    int rc;
    if (!(s->path = strdup(file)))
        return ns_fail(e, NS_ERUN, "out of memory");
    if (ends_with(file, ".json"))
        rc = open_index(s, file, e);
    else if (!(s->files = calloc(1, sizeof *s->files)))
        rc = ns_fail(e, NS_ERUN, "out of memory");
    else if (!(rc = open_file(&s->files[0], file, e)))
        s->n_files = 1;
    if (!rc)
        rc = set_collect(s, e);
    if (rc)
        st_set_close(s);
    return rc;
}

int st_set_from_file(st_set *s, st_file *f, ns_err *e)
{
    memset(s, 0, sizeof *s);
    s->path = strdup(f->path ? f->path : "");
    s->files = malloc(sizeof *s->files);
    if (!s->path || !s->files) {
        st_close(f);
        st_set_close(s);
        return ns_fail(e, NS_ERUN, "out of memory");
    }
    s->files[0] = *f; /* the file's tensor array moves with it */
    s->n_files = 1;
    memset(f, 0, sizeof *f);
    int rc = set_collect(s, e);
    if (rc)
        st_set_close(s);
    return rc;
}

const st_tensor *st_set_find(const st_set *s, const char *name)
{
    int lo = 0, hi = s->n - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2, c = strcmp(s->t[mid]->name, name);
        if (c == 0)
            return s->t[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return NULL;
}

int st_set_read(const st_set *s, const st_tensor *t, uint64_t first, uint64_t n, double *out, ns_err *e)
{
    return st_read(&s->files[t->file], t, first, n, out, e);
}

double *st_set_load(const st_set *s, const st_tensor *t, ns_err *e)
{
    if (t->count > ((uint64_t)1 << 34)) {
        ns_fail(e, NS_EUSAGE, "tensor '%s' is too large to load (%llu elements)", t->name,
                (unsigned long long)t->count);
        return NULL;
    }
    double *x = malloc(sizeof(double) * ((size_t)t->count + 1));
    if (!x) {
        ns_fail(e, NS_ERUN, "out of memory for tensor '%s'", t->name);
        return NULL;
    }
    if (st_set_read(s, t, 0, t->count, x, e)) {
        free(x);
        return NULL;
    }
    return x;
}

const char *st_set_meta(const st_set *s, const char *key)
{
    for (int i = 0; i < s->n_files; i++) {
        const char *v = st_meta(&s->files[i], key);
        if (v)
            return v;
    }
    return NULL;
}
