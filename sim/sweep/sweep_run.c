/* sweep_run.c - run every cell that has no successful record yet, as many at once as the
 * executor has slots, writing each cell's record the moment it ends; one progress line per
 * finished cell on stderr. */
#include "sim/sweep/sweep.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* the cells still to run, in cell order */
static long *todo_list(const char *dir, const sweep_grid *g, long *n, ns_err *e)
{
    long *todo = malloc(sizeof *todo * (size_t)g->n_cells);
    *n = 0;
    if (!todo) {
        ns_fail(e, NS_ERUN, "out of memory");
        return NULL;
    }
    for (long c = 0; c < g->n_cells; c++) {
        if (g->parts > 0 && c % g->parts != g->part)
            continue;
        cJSON *rec = sweep_record_load(dir, g, c);
        if (!sweep_record_ok(rec))
            todo[(*n)++] = c;
        cJSON_Delete(rec);
    }
    return todo;
}

static void progress_line(const sweep_counts *n, long todo, double t0)
{
    long finished = n->done, left = todo - finished;
    double el = now() - t0, eta = finished > 0 ? el / finished * left : 0.0;
    fprintf(stderr, "sweep: %ld/%ld cells done (%ld failed, %ld from before), %.1f s, ETA %.0f s\n",
            n->skipped + finished, n->total, n->failed, n->skipped, el, eta);
}

/* launch cell c; a cell that cannot even start is recorded as failed */
static int launch(const char *dir, const sweep_grid *g, const char *exe, sweep_exec *x, long c,
                  sweep_counts *n, int *running, ns_err *e)
{
    char **argv = sweep_cell_argv(g, c, exe);
    if (!argv)
        return ns_fail(e, NS_ERUN, "out of memory");
    ns_err why = {0};
    int rc = x->start(x->ctx, c, argv, &why);
    free(argv);
    if (rc == NS_OK) {
        (*running)++;
        return NS_OK;
    }
    cell_outcome o = {.exit_code = -1};
    snprintf(o.error, sizeof o.error, "%s", why.msg);
    n->done++;
    n->failed++;
    return sweep_record_write(dir, g, c, &o, e);
}

int sweep_run(const char *dir, const sweep_grid *g, const char *exe, sweep_exec *x, sweep_counts *n,
              ns_err *e)
{
    long ntodo, next = 0;
    long *todo = todo_list(dir, g, &ntodo, e);
    if (!todo)
        return e->code;
    memset(n, 0, sizeof *n);
    n->total = g->parts > 0 ? (g->n_cells - g->part + g->parts - 1) / g->parts : g->n_cells;
    n->skipped = n->total - ntodo;
    if (n->skipped)
        fprintf(stderr, "sweep: %ld of %ld cells already done (records in %s/cells): skipped\n",
                n->skipped, n->total, dir);
    double t0 = now();
    int running = 0, rc = NS_OK;
    while (!rc && (next < ntodo || running > 0)) {
        while (!rc && running < x->slots && next < ntodo)
            rc = launch(dir, g, exe, x, todo[next++], n, &running, e);
        if (rc || running == 0)
            continue;
        long c;
        cell_outcome o;
        if ((rc = x->wait(x->ctx, &c, &o, e)))
            break;
        running--;
        n->done++;
        n->failed += o.exit_code != 0;
        rc = sweep_record_write(dir, g, c, &o, e);
        if (o.exit_code != 0)
            fprintf(stderr, "sweep: cell %ld failed: %s\n", c, o.error);
        cell_outcome_free(&o);
        progress_line(n, ntodo, t0);
    }
    free(todo);
    return rc;
}
