/* diag.h - the diagnostic: stream tokens through a model, accumulate the centred
 * covariance of the post-final-norm tap and of the residual stream at every block
 * boundary, and compare the measured bottom of the spectrum with the norm's prediction. */
#ifndef NS_DIAG_H
#define NS_DIAG_H
#include <stdint.h>
#include "sim/stats/cov.h"
#include "sim/model/forward.h"
#include "sim/model/model.h"

typedef enum {
    VERDICT_PRESENT,
    VERDICT_ABSENT,
    VERDICT_MISMATCH,
    VERDICT_UNDETERMINED,
    VERDICT_NO_PREDICTION /* a spectrum measured with no predicted kernel to compare */
} verdict;

/* Where the diagnostic's batches come from: next() points *b at the next batch (b->B == 0:
 * the end). rows: the rows it gives in all (progress, headers); max_B, max_T: the largest
 * batch, for the workspace. Made by diag_feed_source, or by a caller (token files:
 * sim/data/token_ids.h). */
typedef struct {
    int (*next)(void *ctx, ns_batch *b, ns_err *e);
    void *ctx;
    long rows;
    int max_B, max_T;
} diag_feed;

typedef struct {
    long tokens;       /* rows to stream (image models: whole images, at least this many) */
    const char *data;  /* input spec (sim/data/inputs.h); NULL: the model's default */
    uint64_t seed;     /* data stream seed */
    double threshold;  /* dead: eigenvalue < threshold * lambda_max */
    int progress;      /* draw a progress bar on a terminal */
    const ns_batch *probe; /* when set: stream these n_probe batches instead (tokens, data
                              and seed unused) */
    int n_probe;
    const diag_feed *feed; /* when set: stream its batches instead (tokens, data, seed and
                              probe unused) */
    const tap_sink *also;  /* when set: every tap is passed on to it too (e.g. a dump) */
    const ns_dist *dist;   /* when set (normsim-mpi): this rank forwards batches i = rank mod K
                              of the feed, the tap accumulators are merged on rank 0
                              (cov_reduce), which alone measures; r on the others: zeroed */
} diag_opts;

typedef struct {
    int d, layers;
    long tokens;       /* rows streamed */
    double threshold;
    int predicted_k;   /* dimension of the predicted kernel; -1: no prediction given */
    double cos;        /* |cos(p, v)| for k = 1; cos of the largest principal angle for k > 1 */
    double cos_ones;   /* cosine of 1/sqrt(d) with the predicted span (k >= 1) */
    double lam_min, lam_2, lam_max;
    double rayleigh_rel; /* max over the predicted basis of p'Cp / lambda_max (may be a
                            tiny negative number: rounding) */
    int dead;          /* eigenvalues below threshold * lambda_max */
    double *eig;       /* (d) eigenvalues of the post-final-norm covariance, ascending */
    double *bottom;    /* (d) measured bottom eigenvector (of lambda_min) */
    double *predicted; /* (d) the first predicted kernel vector (diag_run, k >= 1), or NULL */
    double *sigma_min; /* (layers + 1) smallest singular value of the centred resid.<l>;
                          NULL (layers 0) when no model was run */
    double *resid_lam_rel; /* (layers + 1) lambda_min / lambda_max of resid.<l>'s covariance */
    double *resid_kcos;    /* (layers + 1) C5: |cos| (k > 1: norm of the projection) of
                              resid.<l>'s bottom eigenvector with the kernel predicted by the
                              norm that writes resid.<l> (the embedding norm at l = 0, the
                              post-LN norm after block l-1); NaN where no norm writes it or
                              it predicts none */
    double g_logstd;   /* std of log|g| over the final norm's gain; NaN: no gain (diag_run) */
    verdict verdict;
    char warning[256]; /* empty, or why the bottom direction is not unique */
} diag_report;

/* Measure one accumulated covariance against a predicted kernel basis P (k x d, orthonormal
 * rows; k = 0: none predicted; k = -1: no prediction, spectrum only). Fills the spectral
 * fields of r (r zeroed by the caller; free with diag_report_free). */
int diag_measure(const cov_acc *cov, const double *P, int k, double threshold, diag_report *r,
                 ns_err *e);
/* The model's own batch source (spec data, NULL: the default; seed) as a feed of o->tokens
 * rows: full sequences in batches of B = max(1, 1024 / seq), then one shorter sequence
 * (token models) or whole images up to at least that many rows (image models). Free with
 * diag_feed_close. */
int diag_feed_source(diag_feed *f, const ns_model *m, const char *data, uint64_t seed, long tokens,
                     ns_err *e);
void diag_feed_close(diag_feed *f);
/* Run the diagnostic of model m on the feed o chooses (o->feed, o->probe, else the model's
 * source); fills r (free with diag_report_free). */
int diag_run(const ns_model *m, const diag_opts *o, diag_report *r, ns_err *e);
void diag_report_free(diag_report *r);
/* the gain spread s of a norm: the population std of log|g_i| over the g_i != 0, where
 * g_i = w[i] + shift (shift 1 for a 1 + w scale, else 0); NaN when none */
double diag_log_spread(const double *w, int n, double shift);
/* min, max and the log spread (diag_log_spread) of the final norm's effective gain (1 + w
 * for a 1 + w scale); all NaN when it has no gain */
void diag_gain_spread(const ns_model *m, double s[3]);
const char *verdict_name(verdict v);
/* The verdict from the measured quantities (see diag.c for the rule). */
verdict diag_verdict(int predicted_k, double rayleigh_rel, int dead, double threshold,
                     long tokens, int d);

#endif
