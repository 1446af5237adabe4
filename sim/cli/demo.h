/* demo.h - the parts of `normsim demo` its steps share (cmd_demo.c): the demo's state,
 * narration, command lines that run exactly what they print, diagnose as `normsim
 * diagnose` runs it, and figures. The steps are in demo_steps.c. */
#ifndef NS_CLI_DEMO_H
#define NS_CLI_DEMO_H
#include "sim/diag/diag_report.h"
#include "sim/plot/figure.h"
#include "sim/base/err.h"
#include <stdint.h>

#define N_STEPS 6
#define CMD_MAX_ARGS 40

typedef struct {
    uint64_t seed;
    char seed_arg[32];  /* the seed as text, for the printed commands */
    fig_ctx fig;
    int interactive;    /* wait for Enter between steps */
    int quit;
    int png_failed;
    /* the recap */
    double cos_f64, floor_f64, cos_g, cos_ones_g, floor_rms, cos_bf16, floor_bf16, diff_bf16;
    int dead_f64, dead_rms, dead_bf16;
    char verdict_ln[16], verdict_rms[16];
    double tail_init, tail_end, f16_init, f16_end, deepen_g;
    int trained;
} demo;

typedef struct {
    char *argv[CMD_MAX_ARGS];
    int argc;
} cmdline;

typedef struct {
    int n;
    run_result run[2]; /* run[i].r.predicted: the predicted kernel vector (k = 1) or NULL */
    char *table;       /* the table `normsim diagnose` prints */
} diag_out;

/* narration: step N's heading (and the pause before it on a terminal) */
void demo_head(demo *d, int step, const char *title);
/* command lines: add "opt val" (val may be NULL); diagnose's base options; --seed; print */
void demo_cmd_add(cmdline *c, const char *opt, const char *val);
void demo_base_diagnose(cmdline *c);
void demo_cmd_seed(const demo *d, cmdline *c);
void demo_cmd_print(const cmdline *c);
/* run c as `normsim diagnose` does (its parser, its run, its table) into o */
int demo_diagnose(const cmdline *c, diag_out *o, ns_err *e);
void diag_out_free(diag_out *o);
/* print c, run it, show the table rows whose labels are given */
void demo_print_rows(const char *table, const char *const *labels);
int demo_run_shown(const cmdline *c, const char *const *rows, diag_out *o, ns_err *e);
/* figures: show f (terminal or table, and PNG with --png); a report's spectrum as points */
void demo_show(demo *d, const figure *f);
void demo_spectrum(const diag_report *r, int n, double *x, double *y);
/* max_i |v_i - p_i|, v's sign chosen to agree with p */
double demo_max_diff(const double *v, const double *p, int d);

/* the steps (demo_steps.c), in order, and the closing recap */
int step_algebra(demo *d, ns_err *e);
int step_spectrum(demo *d, ns_err *e);
int step_gains(demo *d, ns_err *e);
int step_rmsnorm(demo *d, ns_err *e);
int step_precision(demo *d, ns_err *e);
int step_training(demo *d, ns_err *e);
void demo_recap(const demo *d);

#endif
