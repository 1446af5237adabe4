/* cmd_sweep.c - `normsim sweep`: a grid of runs of diagnose (or screen, fisher), each cell
 * a child process of this normsim (isolated: a cell that fails or crashes is recorded and
 * the sweep goes on), resumable from its records, --jobs N at once, and across the ranks
 * of normsim-mpi. */
#include "sim/cli/commands.h"
#include "sim/cli/args.h"
#include "sim/sweep/sweep.h"
#include "sim/base/atomic_file.h"
#include "sim/diag/diag_report.h"
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char sweep_help[] =
    "usage: normsim sweep (--grid SPEC | --grid-file FILE) --out DIR [options] [FIXED OPTIONS]\n"
    "\n"
    "Run a subcommand over every combination of option values (a cell each), one result row\n"
    "per cell. Resumable: every finished cell is kept as DIR/cells/<hash>.json (written\n"
    "atomically, checked against the cell's full option set on a rerun), so a rerun skips the\n"
    "cells already done and a killed sweep loses only the cells in flight.\n"
    "\n"
    "  --grid SPEC          axes 'key=v1,v2 key=a..b ...': each key is an option of the\n"
    "                       command (arch -> --arch), a..b the integers a to b, e.g.\n"
    "                       'arch=gpt2,llama norm=layernorm,rmsnorm,groupnorm:4 seed=1..5'\n"
    "  --grid-file FILE     the same from a file (axes on lines, '#' comments)\n"
    "  --out DIR            records, results.csv, results.jsonl, summary.csv, floor.csv and\n"
    "                       the figure sweep.png / sweep.svg (gnuplot)\n"
    "  --command NAME       diagnose (default), screen or fisher\n"
    "  --jobs N             cells at once on this machine (default 1); under normsim-mpi,\n"
    "                       rank 0's own, every other rank runs one at a time\n"
    "  --threads N          OPENBLAS_NUM_THREADS of every cell (default 1: the results do not\n"
    "                       depend on --jobs or the number of ranks)\n"
    "  --format table|csv|json  the summary by scheme on stdout (default table)\n"
    "  --part I/N           only the cells c with c mod N = I, records only (one task of a\n"
    "                       job array, examples/slurm/); a run without --part then finds\n"
    "                       them all done and writes the results\n"
    "  anything else        passed to every cell as given (e.g. --d 64 --tokens 2048)\n"
    "\n"
    "results.csv: cell, one column per axis, status, exit, every scalar the command\n"
    "reports, error; sorted by cell (the last axis varies fastest), the same file whatever\n"
    "--jobs or the number of ranks. results.jsonl: the records, arrays included.\n"
    "exit status: 0 every cell ok; 1 some cell failed (the error line says how many; each\n"
    "cell's error line is in its row); 2 bad usage.\n";

typedef struct {
    const char *grid, *grid_file, *out, *command, *part;
    int jobs, threads, format;
} sweep_opts;

/* --part I/N (0 <= I < N) */
static int parse_part(const char *v, int *part, int *parts, ns_err *e)
{
    char extra;
    if (sscanf(v, "%d/%d%c", part, parts, &extra) != 2 || *parts < 1 || *parts > 100000 || *part < 0 ||
        *part >= *parts)
        return ns_fail(e, NS_EUSAGE, "--part '%s': give I/N with 0 <= I < N (e.g. $SLURM_ARRAY_TASK_ID/8)", v);
    return NS_OK;
}

static int parse(int argc, char **argv, sweep_opts *o, char **fixed, int *n_fixed, ns_err *e)
{
    *o = (sweep_opts){.command = "diagnose", .jobs = 1, .threads = 1, .format = FORMAT_TABLE};
    const arg_spec opts[] = {
        ARG_S("--grid", &o->grid), ARG_S("--grid-file", &o->grid_file), ARG_S("--out", &o->out),
        ARG_S("--command", &o->command), ARG_I("--jobs", &o->jobs, 1, 256),
        ARG_I("--threads", &o->threads, 1, 256), ARG_C("--format", &o->format, arg_parse_format),
        ARG_S("--part", &o->part),
    };
    arg_iter it = {argc, argv, 1};
    *n_fixed = 0;
    while (it.i < argc) {
        if (strcmp(argv[it.i], "--") == 0) {
            while (++it.i < argc)
                fixed[(*n_fixed)++] = argv[it.i];
            break;
        }
        int r = arg_table(&it, opts, ARG_N(opts), e);
        if (r < 0)
            return e->code;
        if (r == 0)
            fixed[(*n_fixed)++] = argv[it.i++];
    }
    if (!o->grid == !o->grid_file)
        return ns_fail(e, NS_EUSAGE, "sweep needs one of --grid and --grid-file");
    if (!o->out)
        return ns_fail(e, NS_EUSAGE, "sweep needs --out DIR");
    if (strcmp(o->command, "diagnose") && strcmp(o->command, "screen") && strcmp(o->command, "fisher"))
        return ns_fail(e, NS_EUSAGE, "--command '%s': a sweep runs diagnose, screen or fisher", o->command);
    return NS_OK;
}

/* the binary the cells run: this one, or plain normsim next to normsim-mpi */
static int cell_binary(char *out, size_t n, ns_err *e)
{
    ssize_t len = readlink("/proc/self/exe", out, n - 16);
    if (len <= 0)
        return ns_fail(e, NS_ERUN, "cannot find this program (/proc/self/exe): %s", strerror(errno));
    out[len] = '\0';
    char *slash = strrchr(out, '/');
    if (slash && strcmp(slash + 1, "normsim-mpi") == 0)
        strcpy(slash + 1, "normsim");
    return NS_OK;
}

/* run the cells: locally, or (rank 0 of normsim-mpi) across the ranks */
static int run_cells(const sweep_opts *o, const sweep_grid *g, const char *exe, const ns_dist *d, ns_err *e)
{
    char tmp[PATH_MAX];
    sweep_exec x;
    sweep_counts n;
    snprintf(tmp, sizeof tmp, "%s/tmp", o->out);
    int rc = d ? sweep_exec_dist(&x, d, o->jobs, tmp, e) : sweep_exec_local(&x, o->jobs, tmp, e);
    if (rc)
        return rc;
    rc = sweep_run(o->out, g, exe, &x, &n, e);
    if (d)
        sweep_exec_dist_free(&x);
    else
        sweep_exec_local_free(&x);
    rmdir(tmp);
    return rc;
}

int cmd_sweep(int argc, char **argv)
{
    if (wants_help(argc, argv)) {
        fputs(sweep_help, stdout);
        return 0;
    }
    sweep_opts o;
    ns_err e = {0};
    char **fixed = calloc((size_t)argc + 1, sizeof *fixed), exe[PATH_MAX], threads[16];
    int n_fixed = 0, rc = fixed ? parse(argc, argv, &o, fixed, &n_fixed, &e) : ns_fail(&e, NS_ERUN, "out of memory");
    sweep_grid g = {.command = o.command, .fixed = fixed, .n_fixed = n_fixed};
    if (!rc && o.part)
        rc = parse_part(o.part, &g.part, &g.parts, &e);
    if (!rc)
        rc = o.grid ? sweep_grid_parse(&g, o.grid, &e) : sweep_grid_load(&g, o.grid_file, &e);
    const ns_dist *d = ns_dist_get();
    if (d && d->size < 2)
        d = NULL;
    if (!rc && d && d->rank > 0) { /* a worker: cells from rank 0 until it says stop */
        char tmp[PATH_MAX];
        snprintf(tmp, sizeof tmp, "%s/tmp-rank-%d", o.out, d->rank);
        rc = sweep_serve(d, tmp, &e);
        rmdir(tmp);
    } else {
        if (!rc && !(rc = atomic_ensure_dir(o.out, &e)) && !(rc = cell_binary(exe, sizeof exe, &e))) {
            snprintf(threads, sizeof threads, "%d", o.threads);
            setenv("OPENBLAS_NUM_THREADS", threads, 1); /* for the cells: this process is done with BLAS */
            fprintf(stderr, "sweep: %ld cells (%s) into %s\n", g.n_cells, o.command, o.out);
            rc = run_cells(&o, &g, exe, d, &e);
        }
        long failed = 0;
        if (!rc && g.parts > 0) { /* one task of a job array: the records only */
            fprintf(stderr, "sweep: part %d/%d done; a run without --part gathers the results\n", g.part, g.parts);
            sweep_grid_free(&g);
            free(fixed);
            return 0;
        }
        if (!rc)
            rc = sweep_write_results(o.out, &g, &failed, &e);
        if (!rc)
            rc = sweep_write_summary(stdout, o.format, o.out, &g, &e);
        if (!rc && failed)
            rc = ns_fail(&e, NS_ERUN, "%ld of %ld cells failed (their error lines are in %s/results.csv)",
                         failed, g.n_cells, o.out);
    }
    sweep_grid_free(&g);
    free(fixed);
    return rc ? cli_error(&e) : 0;
}
