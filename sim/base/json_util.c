/* json_util.c - cJSON helpers (see json_util.h). */
#include "sim/base/json_util.h"
#include <math.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>

cJSON *json_num_or_null(double v) { return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull(); }

const cJSON *cfg_item(const cJSON *cfg, const char *key)
{
    const cJSON *j = cfg ? cJSON_GetObjectItemCaseSensitive(cfg, key) : NULL;
    return j && !cJSON_IsNull(j) ? j : NULL;
}

const char *cfg_str(const cJSON *cfg, const char *key)
{
    const cJSON *j = cfg_item(cfg, key);
    return cJSON_IsString(j) ? j->valuestring : NULL;
}

int cfg_num(const cJSON *cfg, const char *key, double *v)
{
    const cJSON *j = cfg_item(cfg, key);
    if (!cJSON_IsNumber(j))
        return 0;
    *v = j->valuedouble;
    return 1;
}

/* the whole of a regular file of at most 64 MB, NUL-terminated, in *buf (free it) */
static int read_small_file(const char *path, char **buf, size_t *n, ns_err *e)
{
    struct stat sb;
    FILE *f = stat(path, &sb) == 0 && S_ISREG(sb.st_mode) ? fopen(path, "rb") : NULL;
    if (!f)
        return ns_fail(e, NS_EUSAGE, "cannot open %s (not a readable file)", path);
    if (sb.st_size > (64 << 20)) {
        fclose(f);
        return ns_fail(e, NS_EUSAGE, "%s: larger than 64 MB", path);
    }
    *buf = malloc((size_t)sb.st_size + 1);
    *n = *buf ? fread(*buf, 1, (size_t)sb.st_size, f) : 0;
    fclose(f);
    if (!*buf)
        return ns_fail(e, NS_ERUN, "out of memory");
    (*buf)[*n] = '\0';
    return NS_OK;
}

int json_load_file(const char *path, cJSON **out, ns_err *e)
{
    char *buf = NULL;
    size_t n = 0;
    *out = NULL;
    int rc = read_small_file(path, &buf, &n, e);
    if (rc)
        return rc;
    if (!(*out = cJSON_ParseWithLength(buf, n)))
        rc = ns_fail(e, NS_EUSAGE, "%s: invalid JSON", path);
    else if (!cJSON_IsObject(*out)) {
        cJSON_Delete(*out);
        *out = NULL;
        rc = ns_fail(e, NS_EUSAGE, "%s: not a JSON object", path);
    }
    free(buf);
    return rc;
}

int json_write(FILE *out, cJSON *root, ns_err *e)
{
    char *s = cJSON_Print(root);
    cJSON_Delete(root);
    if (!s)
        return ns_fail(e, NS_ERUN, "out of memory writing JSON");
    fprintf(out, "%s\n", s);
    free(s);
    return NS_OK;
}

/* item as text: a string as it is, anything else as compact JSON; "none" when absent */
static void item_text(const cJSON *it, char *buf, size_t n)
{
    if (!it) {
        snprintf(buf, n, "none");
        return;
    }
    if (cJSON_IsString(it)) {
        snprintf(buf, n, "%s", it->valuestring);
        return;
    }
    char *s = cJSON_PrintUnformatted(it);
    snprintf(buf, n, "%s", s ? s : "?");
    free(s);
}

/* one differing key appended to out */
static void diff_append(const char *key, const cJSON *x, const cJSON *y, const char *b_name,
                        char *out, size_t n)
{
    char va[96], vb[96];
    size_t len = strlen(out);
    item_text(x, va, sizeof va);
    item_text(y, vb, sizeof vb);
    if (len + 4 >= n)
        return;
    int w = snprintf(out + len, n - len, "%s%s %s (%s %s)", len ? ", " : "", key, va, b_name, vb);
    if (w < 0 || (size_t)w >= n - len) /* cut: say so */
        memcpy(out + n - 4, "...", 4);
}

int json_diff_keys(const cJSON *a, const cJSON *b, const char *b_name, char *out, size_t n)
{
    int count = 0;
    out[0] = '\0';
    for (const cJSON *x = a ? a->child : NULL; x; x = x->next) {
        const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, x->string);
        if (!y || !cJSON_Compare(x, y, 1))
            count++, diff_append(x->string, x, y, b_name, out, n);
    }
    for (const cJSON *y = b ? b->child : NULL; y; y = y->next)
        if (!cJSON_GetObjectItemCaseSensitive(a, y->string))
            count++, diff_append(y->string, NULL, y, b_name, out, n);
    return count;
}
