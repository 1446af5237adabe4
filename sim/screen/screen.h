/* screen.h - screening a normalization scheme for built-in singular structure (PAPER,
 * "Uses"): what kernel does its output covariance have, does the scheme declare it, and
 * how does it behave inside models.
 *
 *   a. the norm alone: rows from several input distributions through the scheme with its
 *      init parameters, randomised parameters and one gain set to zero; the numerical
 *      kernel of the centred output covariance (eigenvalues < threshold * lambda_max),
 *      its dimension and basis, against the basis the scheme declares (`kernel`), matched
 *      by principal angles;
 *   b. in models: diag_run on archetypes with the scheme swapped in (screen_add_model);
 *   c. after a short training run (opt-in): each archetype of b trained on text for a
 *      few steps, tracked at bf16 (sim/train.h): the deepening factor of the predicted
 *      direction's floor and the dead-direction count before and after (screen_train_model);
 *   d. the residual stream's sigma_min block to block (from b);
 *   e. a classification: LN-like (exact kernel of dimension k) or RMS-like (none). */
#ifndef NS_SCREEN_H
#define NS_SCREEN_H
#include <stdint.h>
#include <stdio.h>
#include "sim/diag/diag.h"
#include "sim/base/precision.h"
#include "norms/norm.h"

enum screen_setting { SCREEN_INIT, SCREEN_RANDOM, SCREEN_ZERO_GAIN, SCREEN_N_SETTINGS };
enum screen_input { SCREEN_GAUSSIAN, SCREEN_HEAVY, SCREEN_SHIFTED, SCREEN_LOWRANK, SCREEN_N_INPUTS };
enum screen_status {
    SCREEN_AGREE,      /* measured kernel = declared kernel (dimension and subspace) */
    SCREEN_UNDECLARED, /* every declared direction is dead, and more are */
    SCREEN_MISSING,    /* a declared direction is not dead (or fewer dead than declared) */
    SCREEN_WRONG_BASIS,/* as many dead as declared, but a different subspace */
    SCREEN_SKIPPED,    /* the setting does not apply (zero gain: the scheme has no gain) */
    SCREEN_BAD_BASIS   /* the declared basis is not finite or not orthonormal */
};
enum screen_class { SCREEN_LN_LIKE, SCREEN_RMS_LIKE, SCREEN_UNCLEAR };

#define SCREEN_MAX_ARCHS 8

/* one measurement of the norm alone: one parameter setting, one input distribution */
typedef struct {
    int status;          /* enum screen_status */
    int declared_k;      /* the scheme's kernel() dimension for these parameters */
    int measured_k;      /* eigenvalues < threshold * lambda_max (d when the output is constant) */
    double cos_angle;    /* cos of the largest principal angle between the declared and the
                            measured kernels (over min(k, m) angles); NAN if k or m is 0 */
    double rayleigh_rel; /* max over the declared basis of p'Cp / lambda_max; NAN if k = 0 */
    double floor_rel;    /* largest |eigenvalue| / lambda_max inside the measured kernel; NAN if m = 0 */
    double live_rel;     /* smallest eigenvalue above the threshold / lambda_max; NAN if m = d */
    double cos_ones;     /* ||V 1/sqrt(d)||: 1/sqrt(d) against the measured kernel V; NAN if m = 0 */
    double cos_ginv;     /* ||V g^-1||/||g^-1|| for the scheme's per-channel gain; NAN if none */
    double *eig;         /* (d) eigenvalues of the centred output covariance, ascending */
    double *basis;       /* (measured_k, d) orthonormal basis of the measured kernel */
} screen_probe;

typedef struct {
    char arch[32];
    int placement;   /* enum arch_placement */
    int residual;    /* enum arch_residual */
    diag_report r;   /* diag_run on the model with the scheme swapped in */
    int trained;     /* part c ran on this archetype */
    long train_steps;
    double val_loss_init, val_loss;  /* part c: validation loss before and after */
    double deepening;                /* part c: |p'Cp/lambda_max| at bf16, init over end */
    int dead_init, dead_end;         /* part c: dead directions at bf16, before and after */
} screen_arch;

typedef struct {
    char spec[64];           /* the norm spec screened, e.g. "groupnorm:4" */
    const norm_ops *ops;
    norm_cfg cfg;            /* width d of the norm-alone part */
    long rows;               /* rows per input distribution (norm alone) */
    uint64_t seed;
    double threshold;        /* dead: eigenvalue < threshold * lambda_max */
    precision prec;          /* storage precision the outputs are rounded to */
    int zero_channel;        /* channel whose gain the zero-gain setting zeroes; -1: no gain */
    int zero_scalar;         /* the zeroed gain is a scalar (every channel goes constant) */
    screen_probe alone[SCREEN_N_SETTINGS][SCREEN_N_INPUTS];
    char gamma[32];          /* model gains in part b: ones | random:S */
    long tokens;             /* tokens per model in part b */
    int n_arch;
    screen_arch arch[SCREEN_MAX_ARCHS];
    long train_steps;        /* part c: steps per archetype (0: not run) */
    int cls;                 /* enum screen_class */
    int class_k;             /* kernel dimension the class rests on */
    int disagreements;       /* probes not AGREE/SKIPPED + model verdicts MISMATCH */
    char evidence[768];      /* the classification's evidence, one line */
} screen_result;

const char *screen_setting_name(int s);
const char *screen_input_name(int i);
const char *screen_status_name(int s);
const char *screen_class_name(int c);

/* Part a: resolve spec at width d and run every (setting, input) probe. r is
 * initialised here (free with screen_free, also after a failure). */
int screen_alone(const char *spec, int d, double eps, long rows, uint64_t seed, precision prec,
                 double threshold, screen_result *r, ns_err *e);
/* Part b (and d): run the diagnostic on m (the scheme swapped in) and keep its report. */
int screen_add_model(screen_result *r, const ns_model *m, const diag_opts *o, ns_err *e);
/* Part c: train m (the model of archetype a, freshly built) for steps updates on the
 * fortunes text in a temporary folder, tracked at bf16; store the numbers in r->arch[a]. */
int screen_train_model(screen_result *r, int a, ns_model *m, long steps, uint64_t seed, ns_err *e);
/* Part e: fill cls, class_k, disagreements and evidence from parts a and b. */
void screen_classify(screen_result *r);
void screen_free(screen_result *r);

/* The measurement of part a on one accumulated covariance: dimension and basis of the
 * numerical kernel, compared with the declared basis P (k x d; k = 0: none). */
int screen_measure(const cov_acc *cov, const double *P, int k, double threshold,
                   screen_probe *out, ns_err *e);
/* ---- output (screen_report.c) ---- */
/* results on stdout: one scheme in detail (table), or a comparison table (one row per
 * scheme); csv: one row per scheme; json: everything */
int screen_write(FILE *out, int fmt, const screen_result *rs, int n, ns_err *e);
/* One row per probe and per model, every scheme: the long-format CSV. */
int screen_write_measurements(FILE *out, const screen_result *rs, int n);
/* Write summary.csv, measurements.csv, screen.json and per-scheme spectra (CSV + gnuplot
 * PNG/SVG; with n > 1 also the summary figure) into dir, a new folder (filled as dir.tmp-XXXXXX, renamed when complete). Each file
 * is written to a temporary name and renamed. Without gnuplot, or without the plot
 * script, prints one notice on stderr and writes the data only. */
int screen_write_dir(const char *dir, const screen_result *rs, int n, ns_err *e);

#endif
