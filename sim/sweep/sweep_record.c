/* sweep_record.c - one record file per finished cell, DIR/cells/<hash of its key>.json:
 * its full option set (the key, checked on a rerun), status, exit code, error line and
 * the subcommand's JSON result. Written atomically (sim/base/atomic_file.h). */
#include "sim/sweep/sweep.h"
#include "sim/base/atomic_file.h"
#include "sim/base/json_util.h"
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* FNV-1a, 64 bits */
static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static void record_path(const char *dir, const char *key, char *out, size_t n)
{
    snprintf(out, n, "%s/cells/%016llx.json", dir, (unsigned long long)fnv1a(key));
}

/* the result a cell reports: the one object of an output that is a single list of one
 * ({"runs": [run]} from diagnose, {"schemes": [scheme]} from screen), else the whole output */
static cJSON *result_of(const char *out)
{
    cJSON *root = out ? cJSON_Parse(out) : NULL;
    cJSON *list = cJSON_IsObject(root) && cJSON_GetArraySize(root) == 1 ? root->child : NULL;
    if (cJSON_IsArray(list) && cJSON_GetArraySize(list) == 1 && cJSON_IsObject(list->child)) {
        cJSON *one = cJSON_DetachItemFromArray(list, 0);
        cJSON_Delete(root);
        return one;
    }
    return root;
}

static cJSON *build(const sweep_grid *g, long c, const char *key, const cell_outcome *o)
{
    cJSON *rec = cJSON_CreateObject(), *opts = cJSON_CreateObject(), *fixed = cJSON_CreateArray();
    cJSON *result = o->exit_code == 0 ? result_of(o->out) : NULL;
    const char *error = o->error[0] ? o->error : NULL;
    if (o->exit_code == 0 && !result)
        error = "the cell's output is not JSON";
    cJSON_AddStringToObject(rec, "key", key);
    cJSON_AddStringToObject(rec, "command", g->command);
    for (int a = 0; a < g->n_axes; a++)
        cJSON_AddStringToObject(opts, g->axes[a].key, sweep_cell_value(g, c, a));
    cJSON_AddItemToObject(rec, "options", opts);
    for (int i = 0; i < g->n_fixed; i++)
        cJSON_AddItemToArray(fixed, cJSON_CreateString(g->fixed[i]));
    cJSON_AddItemToObject(rec, "fixed", fixed);
    cJSON_AddStringToObject(rec, "status", o->exit_code == 0 && result ? "ok" : "failed");
    cJSON_AddNumberToObject(rec, "exit", o->exit_code);
    cJSON_AddItemToObject(rec, "error", error ? cJSON_CreateString(error) : cJSON_CreateNull());
    cJSON_AddItemToObject(rec, "result", result ? result : cJSON_CreateNull());
    return rec;
}

int sweep_record_write(const char *dir, const sweep_grid *g, long c, const cell_outcome *o, ns_err *e)
{
    char path[PATH_MAX + 64];
    char *key = sweep_cell_key(g, c);
    if (!key)
        return ns_fail(e, NS_ERUN, "out of memory");
    snprintf(path, sizeof path, "%s/cells", dir);
    mkdir(path, 0777); /* a failure shows in atomic_open */
    record_path(dir, key, path, sizeof path);
    cJSON *rec = build(g, c, key, o);
    free(key);
    char *text = rec ? cJSON_PrintUnformatted(rec) : NULL;
    cJSON_Delete(rec);
    if (!text)
        return ns_fail(e, NS_ERUN, "out of memory for a cell record");
    size_t n = strlen(text);
    char *line = realloc(text, n + 2);
    if (!line) {
        free(text);
        return ns_fail(e, NS_ERUN, "out of memory for a cell record");
    }
    memcpy(line + n, "\n", 2);
    int rc = atomic_write_text(path, line, e);
    free(line);
    return rc;
}

cJSON *sweep_record_load(const char *dir, const sweep_grid *g, long c)
{
    char path[PATH_MAX + 64];
    char *key = sweep_cell_key(g, c);
    cJSON *rec = NULL;
    ns_err ignore;
    if (!key)
        return NULL;
    record_path(dir, key, path, sizeof path);
    if (json_load_file(path, &rec, &ignore) == NS_OK) {
        const char *k = cfg_str(rec, "key");
        if (!k || strcmp(k, key) != 0) { /* a hash collision or another grid's cell */
            cJSON_Delete(rec);
            rec = NULL;
        }
    }
    free(key);
    return rec;
}

int sweep_record_ok(const cJSON *rec)
{
    const char *s = cfg_str(rec, "status");
    return s && strcmp(s, "ok") == 0;
}
