/* sweep_results.c - the records gathered in cell order: results.csv (one row per cell: its
 * options, status, every scalar the subcommand reported, the error line) and results.jsonl
 * (one record per line, arrays included). Both written atomically; the same bytes whatever
 * the number of processes that ran the cells. */
#include "sim/sweep/sweep.h"
#include "sim/base/atomic_file.h"
#include "sim/base/csv.h"
#include "sim/base/json_util.h"
#include <limits.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char **name;
    int n, cap;
} columns;

static int is_axis(const sweep_grid *g, const char *name)
{
    for (int a = 0; a < g->n_axes; a++)
        if (strcmp(g->axes[a].key, name) == 0)
            return 1;
    return 0;
}

static int add_column(columns *c, const char *name)
{
    for (int i = 0; i < c->n; i++)
        if (strcmp(c->name[i], name) == 0)
            return NS_OK;
    if (c->n == c->cap) {
        int cap = c->cap ? 2 * c->cap : 32;
        char **p = realloc(c->name, sizeof *p * (size_t)cap);
        if (!p)
            return NS_ERUN;
        c->name = p;
        c->cap = cap;
    }
    return (c->name[c->n] = strdup(name)) ? (c->n++, NS_OK) : NS_ERUN;
}

/* scalar fields of a result: top level, and one level into objects as "outer.inner" */
static int scalar_names(const sweep_grid *g, const cJSON *res, columns *c)
{
    const cJSON *it;
    int rc = NS_OK;
    cJSON_ArrayForEach(it, res) {
        if (cJSON_IsObject(it)) {
            const cJSON *in;
            cJSON_ArrayForEach(in, it) {
                char name[256];
                snprintf(name, sizeof name, "%s.%s", it->string, in->string);
                if (!cJSON_IsArray(in) && !cJSON_IsObject(in) && (rc = add_column(c, name)))
                    return rc;
            }
        } else if (!cJSON_IsArray(it) && !is_axis(g, it->string) && (rc = add_column(c, it->string)))
            return rc;
    }
    return rc;
}

static const cJSON *field(const cJSON *res, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(res, name);
    const char *dot = v ? NULL : strchr(name, '.');
    if (dot) {
        char outer[256];
        snprintf(outer, sizeof outer, "%.*s", (int)(dot - name), name);
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(res, outer);
        v = cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, dot + 1) : NULL;
    }
    return v;
}

static void cell_value(FILE *f, const cJSON *v)
{
    if (cJSON_IsNumber(v))
        csv_num(f, v->valuedouble);
    else if (cJSON_IsString(v)) {
        fputc(',', f);
        csv_str(f, v->valuestring);
    } else if (cJSON_IsBool(v))
        fputs(cJSON_IsTrue(v) ? ",1" : ",0", f);
    else
        fputc(',', f);
}

static void csv_row(FILE *f, const sweep_grid *g, long c, const cJSON *rec, const columns *cols)
{
    const cJSON *res = rec ? cJSON_GetObjectItemCaseSensitive(rec, "result") : NULL;
    const char *err = rec ? cfg_str(rec, "error") : "no record (not run)";
    double exit_code = -1;
    cfg_num(rec, "exit", &exit_code);
    fprintf(f, "%ld", c);
    for (int a = 0; a < g->n_axes; a++) {
        fputc(',', f);
        csv_str(f, sweep_cell_value(g, c, a));
    }
    fprintf(f, ",%s,%d", rec && sweep_record_ok(rec) ? "ok" : "failed", (int)exit_code);
    for (int i = 0; i < cols->n; i++)
        cell_value(f, res ? field(res, cols->name[i]) : NULL);
    fputc(',', f);
    csv_str(f, err ? err : "");
    fputc('\n', f);
}

static int write_csv(const char *path, const sweep_grid *g, cJSON **recs, ns_err *e)
{
    columns cols = {0};
    int rc = NS_OK;
    for (long c = 0; c < g->n_cells && !rc; c++) {
        const cJSON *res = recs[c] ? cJSON_GetObjectItemCaseSensitive(recs[c], "result") : NULL;
        if (cJSON_IsObject(res) && scalar_names(g, res, &cols))
            rc = ns_fail(e, NS_ERUN, "out of memory");
    }
    atomic_file a;
    if (!rc && !(rc = atomic_open(&a, path, e))) {
        fputs("cell", a.f);
        for (int i = 0; i < g->n_axes; i++)
            fprintf(a.f, ",%s", g->axes[i].key);
        fputs(",status,exit", a.f);
        for (int i = 0; i < cols.n; i++)
            fprintf(a.f, ",%s", cols.name[i]);
        fputs(",error\n", a.f);
        for (long c = 0; c < g->n_cells; c++)
            csv_row(a.f, g, c, recs[c], &cols);
        rc = atomic_commit(&a, e);
    }
    for (int i = 0; i < cols.n; i++)
        free(cols.name[i]);
    free(cols.name);
    return rc;
}

static int write_jsonl(const char *path, const sweep_grid *g, cJSON **recs, ns_err *e)
{
    atomic_file a = {0};
    int rc = atomic_open(&a, path, e);
    for (long c = 0; c < g->n_cells && !rc; c++) {
        cJSON *line = cJSON_CreateObject();
        cJSON_AddNumberToObject(line, "cell", (double)c);
        if (recs[c]) {
            cJSON *it;
            cJSON_ArrayForEach(it, recs[c]) cJSON_AddItemReferenceToObject(line, it->string, it);
        } else {
            cJSON_AddStringToObject(line, "status", "failed");
            cJSON_AddStringToObject(line, "error", "no record (not run)");
        }
        char *s = cJSON_PrintUnformatted(line);
        cJSON_Delete(line);
        if (!s)
            rc = ns_fail(e, NS_ERUN, "out of memory");
        else
            fprintf(a.f, "%s\n", s);
        free(s);
    }
    if (rc)
        atomic_abort(&a);
    return rc ? rc : atomic_commit(&a, e);
}

int sweep_write_results(const char *dir, const sweep_grid *g, long *failed, ns_err *e)
{
    cJSON **recs = calloc((size_t)g->n_cells, sizeof *recs);
    char path[PATH_MAX + 32];
    if (!recs)
        return ns_fail(e, NS_ERUN, "out of memory");
    *failed = 0;
    for (long c = 0; c < g->n_cells; c++) {
        recs[c] = sweep_record_load(dir, g, c);
        *failed += !sweep_record_ok(recs[c]);
    }
    snprintf(path, sizeof path, "%s/results.csv", dir);
    int rc = write_csv(path, g, recs, e);
    snprintf(path, sizeof path, "%s/results.jsonl", dir);
    if (!rc)
        rc = write_jsonl(path, g, recs, e);
    for (long c = 0; c < g->n_cells; c++)
        cJSON_Delete(recs[c]);
    free(recs);
    return rc;
}
