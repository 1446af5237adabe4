/* sweep_grid.c - the grid of a sweep: axes parsed from "key=v1,v2 key=a..b", the cells as
 * their product (last axis fastest), each cell's canonical key and argv. */
#include "sim/sweep/sweep.h"
#include "sim/base/json_util.h"
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int valid_key(const char *k)
{
    if (!isalpha((unsigned char)k[0]))
        return 0;
    for (; *k; k++)
        if (!isalnum((unsigned char)*k) && *k != '-' && *k != '_')
            return 0;
    return 1;
}

static int push(sweep_axis *a, const char *v, size_t len, ns_err *e)
{
    char **vals = realloc(a->vals, sizeof *vals * (size_t)(a->n + 1));
    if (!vals)
        return ns_fail(e, NS_ERUN, "out of memory");
    a->vals = vals;
    if (!(vals[a->n] = strndup(v, len)))
        return ns_fail(e, NS_ERUN, "out of memory");
    a->n++;
    return NS_OK;
}

/* "a..b" with integers a <= b: push a, a+1, ..., b; 0 if v is not a range */
static int range(sweep_axis *a, const char *v, size_t len, int *is_range, ns_err *e)
{
    char buf[64], *end;
    *is_range = 0;
    if (len >= sizeof buf)
        return NS_OK;
    memcpy(buf, v, len);
    buf[len] = '\0';
    char *dots = strstr(buf, "..");
    if (!dots || dots == buf)
        return NS_OK;
    errno = 0;
    long lo = strtol(buf, &end, 10);
    if (end != dots)
        return NS_OK;
    long hi = strtol(dots + 2, &end, 10);
    if (*end || dots[2] == '\0' || errno)
        return NS_OK;
    *is_range = 1;
    if (hi < lo || hi - lo >= 100000)
        return ns_fail(e, NS_EUSAGE, "grid: %s=%s: a range a..b needs a <= b and at most 100000 values",
                       a->key, buf);
    for (long x = lo; x <= hi; x++) {
        char num[32];
        int n = snprintf(num, sizeof num, "%ld", x);
        if (push(a, num, (size_t)n, e))
            return e->code;
    }
    return NS_OK;
}

/* one "key=v1,v2,..." token */
static int parse_axis(sweep_grid *g, const char *tok, ns_err *e)
{
    const char *eq = strchr(tok, '=');
    if (!eq || eq == tok || !eq[1])
        return ns_fail(e, NS_EUSAGE, "grid: '%s' is not key=value[,value...]", tok);
    sweep_axis *axes = realloc(g->axes, sizeof *axes * (size_t)(g->n_axes + 1));
    if (!axes)
        return ns_fail(e, NS_ERUN, "out of memory");
    g->axes = axes;
    sweep_axis *a = &axes[g->n_axes++];
    memset(a, 0, sizeof *a);
    if (!(a->key = strndup(tok, (size_t)(eq - tok))))
        return ns_fail(e, NS_ERUN, "out of memory");
    if (!valid_key(a->key))
        return ns_fail(e, NS_EUSAGE, "grid: '%s' is not an option name (letters, digits, '-')", a->key);
    if (strcmp(a->key, "format") == 0)
        return ns_fail(e, NS_EUSAGE, "grid: 'format' cannot be an axis (cells report in JSON)");
    for (int i = 0; i < g->n_axes - 1; i++)
        if (strcmp(g->axes[i].key, a->key) == 0)
            return ns_fail(e, NS_EUSAGE, "grid: axis '%s' is given twice", a->key);
    for (const char *v = eq + 1;;) {
        size_t len = strcspn(v, ",");
        int is_range;
        if (len == 0)
            return ns_fail(e, NS_EUSAGE, "grid: %s has an empty value", a->key);
        if (range(a, v, len, &is_range, e))
            return e->code;
        if (!is_range && push(a, v, len, e))
            return e->code;
        if (!v[len])
            break;
        v += len + 1;
    }
    return NS_OK;
}

int sweep_grid_parse(sweep_grid *g, const char *spec, ns_err *e)
{
    char *s = strdup(spec), *save = NULL;
    if (!s)
        return ns_fail(e, NS_ERUN, "out of memory");
    for (char *line = s; line && *line;) { /* comments: "#" to the end of the line */
        char *nl = strchr(line, '\n'), *hash = strchr(line, '#');
        if (hash && (!nl || hash < nl))
            memset(hash, ' ', (size_t)((nl ? nl : hash + strlen(hash)) - hash));
        line = nl ? nl + 1 : NULL;
    }
    int rc = NS_OK;
    for (char *tok = strtok_r(s, " \t\r\n", &save); tok && !rc; tok = strtok_r(NULL, " \t\r\n", &save))
        rc = parse_axis(g, tok, e);
    free(s);
    if (rc)
        return rc;
    if (g->n_axes == 0)
        return ns_fail(e, NS_EUSAGE, "grid: no axes (give key=v1,v2 ...)");
    g->n_cells = 1;
    for (int i = 0; i < g->n_axes; i++) {
        if (g->n_cells > SWEEP_MAX_CELLS / g->axes[i].n)
            return ns_fail(e, NS_EUSAGE, "grid: more than %ld cells", SWEEP_MAX_CELLS);
        g->n_cells *= g->axes[i].n;
    }
    for (int i = 0; i < g->n_fixed; i++) /* an axis and a fixed option at once: which one? */
        for (int a = 0; a < g->n_axes; a++)
            if (strncmp(g->fixed[i], "--", 2) == 0 && strcmp(g->fixed[i] + 2, g->axes[a].key) == 0)
                return ns_fail(e, NS_EUSAGE, "--%s is both a grid axis and a fixed option", g->axes[a].key);
    return NS_OK;
}

int sweep_grid_load(sweep_grid *g, const char *path, ns_err *e)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return ns_fail(e, NS_EUSAGE, "cannot open grid file %s: %s", path, strerror(errno));
    char *buf = malloc(1 << 20);
    size_t n = buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
    int big = buf && n == (1 << 20) - 1 && fgetc(f) != EOF;
    fclose(f);
    if (!buf)
        return ns_fail(e, NS_ERUN, "out of memory");
    buf[n] = '\0';
    int rc = big ? ns_fail(e, NS_EUSAGE, "grid file %s is over 1 MiB", path)
           : strlen(buf) != n ? ns_fail(e, NS_EUSAGE, "grid file %s holds a NUL byte", path)
           : sweep_grid_parse(g, buf, e);
    free(buf);
    return rc;
}

void sweep_grid_free(sweep_grid *g)
{
    for (int i = 0; i < g->n_axes; i++) {
        for (int j = 0; j < g->axes[i].n; j++)
            free(g->axes[i].vals[j]);
        free(g->axes[i].vals);
        free(g->axes[i].key);
    }
    free(g->axes);
    g->axes = NULL;
    g->n_axes = 0;
}

const char *sweep_cell_value(const sweep_grid *g, long c, int a)
{
    long stride = 1;
    for (int i = g->n_axes - 1; i > a; i--)
        stride *= g->axes[i].n;
    return g->axes[a].vals[(c / stride) % g->axes[a].n];
}

static int by_key(const void *x, const void *y)
{
    return strcmp((*(const sweep_axis *const *)x)->key, (*(const sweep_axis *const *)y)->key);
}

/* "COMMAND key=value ... -- FIXED..." with the axes sorted by name: the same cell whatever
 * the order the axes were written in */
char *sweep_cell_key(const sweep_grid *g, long c)
{
    const sweep_axis *sorted[64 + 1];
    size_t len = strlen(g->command) + 8;
    int n = g->n_axes;
    const sweep_axis **order = n <= 64 ? sorted : malloc(sizeof *order * (size_t)n);
    if (!order)
        return NULL;
    for (int i = 0; i < n; i++) {
        order[i] = &g->axes[i];
        len += strlen(g->axes[i].key) + strlen(sweep_cell_value(g, c, i)) + 2;
    }
    for (int i = 0; i < g->n_fixed; i++)
        len += strlen(g->fixed[i]) + 1;
    qsort(order, (size_t)n, sizeof *order, by_key);
    char *k = malloc(len), *p = k;
    if (k) {
        p += sprintf(p, "%s", g->command);
        for (int i = 0; i < n; i++)
            p += sprintf(p, " %s=%s", order[i]->key, sweep_cell_value(g, c, (int)(order[i] - g->axes)));
        p += sprintf(p, " --");
        for (int i = 0; i < g->n_fixed; i++)
            p += sprintf(p, " %s", g->fixed[i]);
    }
    if (order != sorted)
        free(order);
    return k;
}

/* one allocation: the pointers, then the "--key" strings they point into */
char **sweep_cell_argv(const sweep_grid *g, long c, const char *exe)
{
    const int n = 2 + g->n_fixed + 2 * g->n_axes + 2;
    size_t bytes = 0;
    for (int a = 0; a < g->n_axes; a++)
        bytes += strlen(g->axes[a].key) + 3;
    char **argv = malloc(sizeof *argv * (size_t)(n + 1) + bytes);
    if (!argv)
        return NULL;
    char *p = (char *)(argv + n + 1);
    int i = 0;
    argv[i++] = (char *)exe;
    argv[i++] = (char *)g->command;
    for (int f = 0; f < g->n_fixed; f++)
        argv[i++] = g->fixed[f];
    for (int a = 0; a < g->n_axes; a++) {
        argv[i++] = p;
        p += sprintf(p, "--%s", g->axes[a].key) + 1;
        argv[i++] = (char *)sweep_cell_value(g, c, a);
    }
    argv[i++] = "--format";
    argv[i++] = "json";
    argv[i] = NULL;
    return argv;
}
