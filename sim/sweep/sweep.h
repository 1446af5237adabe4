/* sweep.h - `normsim sweep`: a grid of option values, one cell per combination, each cell a
 * run of one subcommand (diagnose, screen, fisher) as a child process of this normsim,
 * its result kept as one record file written atomically (so a killed sweep loses only
 * the cells in flight and a rerun skips the ones done), the records gathered in cell order
 * into results.csv / results.jsonl, a summary by scheme and a figure. */
#ifndef NS_SWEEP_H
#define NS_SWEEP_H
#include <stdio.h>
#include <cjson/cJSON.h>
#include "sim/base/dist.h"
#include "sim/base/err.h"

#define SWEEP_MAX_CELLS 1000000L

typedef struct {
    char *key;   /* option name without the dashes: "arch" -> --arch */
    char **vals;
    int n;
} sweep_axis;

typedef struct {
    const char *command;  /* the subcommand each cell runs */
    char *const *fixed;   /* options passed through to every cell, verbatim */
    int n_fixed;
    sweep_axis *axes;
    int n_axes;
    long n_cells;         /* product of the axis sizes */
    int part, parts;      /* parts > 0: run only the cells c with c mod parts = part (a job
                             array task); 0: every cell */
} sweep_grid;

/* "key=v1,v2 key2=a..b ..." (white space or newlines between axes; "#" to the end of a line
 * is a comment; a..b: the integers a to b) -> g's axes (g->command, fixed set by the caller) */
int sweep_grid_parse(sweep_grid *g, const char *spec, ns_err *e);
/* the same from a file */
int sweep_grid_load(sweep_grid *g, const char *path, ns_err *e);
void sweep_grid_free(sweep_grid *g);
/* the value of axis a in cell c (the last axis varies fastest) */
const char *sweep_cell_value(const sweep_grid *g, long c, int a);
/* the cell's full option set, canonical (axes sorted by name, then the fixed options):
 * what a record is checked against on a rerun (malloc'd) */
char *sweep_cell_key(const sweep_grid *g, long c);
/* exe COMMAND FIXED... --key value ... --format json, NULL-terminated (free with free()) */
char **sweep_cell_argv(const sweep_grid *g, long c, const char *exe);

/* what one cell's run gave */
typedef struct {
    int exit_code;   /* its exit status; -1: it did not exit (killed by signal) */
    char *out;       /* its stdout (malloc'd, may be NULL) */
    char error[512]; /* its last "normsim: error:" message, or why it did not run */
} cell_outcome;
void cell_outcome_free(cell_outcome *o);

/* Where cells run: up to slots at once. start() launches cell c with argv; wait() blocks
 * until one launched cell ends and fills *c, *o. */
typedef struct {
    int slots;
    void *ctx;
    int (*start)(void *ctx, long c, char **argv, ns_err *e);
    int (*wait)(void *ctx, long *c, cell_outcome *o, ns_err *e);
} sweep_exec;

/* child processes on this machine (sweep_exec_local.c): slots = jobs; the children's
 * stdout and stderr go to files under tmpdir */
int sweep_exec_local(sweep_exec *x, int jobs, const char *tmpdir, ns_err *e);
void sweep_exec_local_free(sweep_exec *x);
/* a local cell that has ended, without waiting: 1 (*c, *o filled), 0 none, -1 error */
int sweep_exec_local_poll(sweep_exec *x, long *c, cell_outcome *o, ns_err *e);
/* run one argv to its end through a 1-slot local executor */
int sweep_run_one(const char *tmpdir, char **argv, cell_outcome *o, ns_err *e);

/* across the ranks of a distributed run (sweep_dist.c; sim/base/dist.h): on rank 0, an
 * executor with `jobs` local slots and one slot per other rank, each rank taking the next
 * cell when it is done; sweep_exec_dist_free tells the other ranks to stop. The other
 * ranks serve: run the cells rank 0 sends until it says stop. */
int sweep_exec_dist(sweep_exec *x, const ns_dist *d, int jobs, const char *tmpdir, ns_err *e);
void sweep_exec_dist_free(sweep_exec *x);
int sweep_serve(const ns_dist *d, const char *tmpdir, ns_err *e);

/* ---- records (sweep_record.c): DIR/cells/<hash of the key>.json ---- */
/* write cell c's record atomically */
int sweep_record_write(const char *dir, const sweep_grid *g, long c, const cell_outcome *o, ns_err *e);
/* cell c's record when one exists for exactly its key (NULL otherwise; cJSON_Delete it) */
cJSON *sweep_record_load(const char *dir, const sweep_grid *g, long c);
/* 1 if rec says the cell succeeded */
int sweep_record_ok(const cJSON *rec);

/* ---- the run (sweep_run.c) ---- */
typedef struct {
    long total, skipped, done, failed; /* cells in the grid, done before, run now, failed now */
} sweep_counts;
/* every cell without a successful record through x; a progress line per finished cell on
 * stderr (done / total, ETA) */
int sweep_run(const char *dir, const sweep_grid *g, const char *exe, sweep_exec *x, sweep_counts *n,
              ns_err *e);

/* ---- the outputs (sweep_results.c) ---- */
/* DIR/results.csv and DIR/results.jsonl from the records, in cell order; *failed = cells
 * with a failed or missing record */
int sweep_write_results(const char *dir, const sweep_grid *g, long *failed, ns_err *e);
/* the summary by scheme (table | csv | json, sim/diag/diag_report.h's formats) on out;
 * DIR/summary.csv too; DIR/sweep.png/.svg by gnuplot when it is found */
int sweep_write_summary(FILE *out, int fmt, const char *dir, const sweep_grid *g, ns_err *e);

#endif
