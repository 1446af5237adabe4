/* fisher.h - parameter-space dead directions (claim C7) and the LoRA guard that uses them.
 *
 * A target is a Linear weight W (d_out x d_in) that reads a norm's output y (after its
 * affine g, b), with the layer's bias c when it has one. When the norm predicts a kernel
 * P (k orthonormal rows; LN: p = g^-1/||g^-1||), every token has P (y - b) = 0, so
 *   D = (U P, -s U (P b))      (U: d_out x k, s: the head's input scale, 1 elsewhere)
 * leaves W (s y) + c unchanged for every token: a d_out k-dimensional dead subspace.
 * Without a bias, U P alone is dead when P b = 0; otherwise it equals a bias the model
 * lacks and is not dead. docs/derivation.md section 6 has the algebra, docs/fisher.md
 * the method and its error bound.
 *
 * The directional Fisher of the model's own predictive distribution pi,
 *   F(D) = E_t[ sum_j pi_j (dz_j - sum_k pi_k dz_k)^2 ],   dz = d logits / d eps along D,
 * is measured with dz from central differences of model_forward on the perturbed tensor,
 * Richardson-extrapolated over h and h/2 (error O(h^4)); |F_R - F_{h/2}| is reported as
 * the (conservative) error estimate. The empirical Fisher E_t[(g_t . D)^2] uses the
 * next-token targets, with g_t . D = sum_k pi_k dz_k - dz_target. */
#ifndef NS_FISHER_H
#define NS_FISHER_H
#include <stdio.h>
#include "sim/model/model.h"

enum fisher_verdict {
    FV_DEAD,         /* every dead direction's Fisher <= threshold x the random ones' */
    FV_NOT_DEAD,     /* above it, and the algebra predicts it (no bias, P b != 0, or tied) */
    FV_NO_KERNEL,    /* the feeding norm predicts no kernel (RMSNorm) */
    FV_MISMATCH,     /* predicted dead but measured not: a bug somewhere */
    FV_UNDETERMINED  /* the random directions' Fisher is 0 too: nothing to compare */
};
const char *fisher_verdict_name(int v);

/* one LN-fed matrix: where it is and what feeds it */
typedef struct {
    int w, bias;           /* tensor indices of W and its bias (-1: none) */
    const double *norm;    /* the feeding norm's parameter block */
    char tap[64];          /* the tap holding the norm's output ("" if none: tied decoder) */
    double scale;          /* W reads scale * y (T5's tied head: d^-1/2), else 1 */
    int tied;              /* W is also the token embedding */
    int k;                 /* kernel dimension the norm predicts (0: none) */
} fisher_target;

/* per-direction-kind results (dead or random), over K directions */
typedef struct {
    double F, F_max, F_min;   /* model Fisher: mean, max, min over the K directions */
    double emp;               /* empirical Fisher, mean over directions (NAN: no targets) */
    double gd_mean, gd_std;   /* g_t . D over every (token, direction): mean, std */
    double fd_err;            /* max over directions of |F_R - F_{h/2}| / max(F_R, floor) */
} fisher_side;

typedef struct {
    char name[96], bias_name[96];
    int d_out, d_in, k, tied, has_bias;
    double pb;                /* s P b (the constant every token's s P y equals; k = 1) */
    double py_mean, py_spread;/* s p . y_t over tokens: mean and max - min (NAN: no tap) */
    double dout;              /* mean_t ||delta o_t|| of the dead directions (0 or |p'b|) */
    fisher_side dead, rnd;
    double ratio, emp_ratio;  /* dead.F_max / rnd.F, dead.emp / rnd.emp */
    double jvp_vs_bwd;        /* |mean_t g_t.D - <dL/dW, D>| / scale for random direction 0 */
    int verdict;
    const char *reason;
    /* LoRA guard (lora_rank > 0 and a kernel): of the top-R right singular directions of
     * dL/dW, the rank spent on span(P) = ||V_R^T P^T||_F^2 before / after projecting P out
     * of the input side, and the share of ||dL/dW||_F^2 the R directions capture */
    int lora_rank;
    double lora_on_p_before, lora_on_p_after, lora_energy_before, lora_energy_after;
} fisher_row;

typedef struct {
    long tokens;          /* rows to average over */
    int K;                /* directions of each kind per tensor */
    const char *tensors;  /* POSIX extended regex on the weight names, or NULL: every target */
    const char *data;     /* batch source spec (NULL: the model's default) */
    unsigned long long seed; /* data and direction streams */
    double step;          /* FD step relative to ||W||_F / ||D|| */
    double threshold;     /* DEAD if dead.F_max <= threshold x rnd.F */
    int lora_rank;        /* 0: no LoRA guard */
    const char *save_dir; /* NULL, or a folder (must exist) for tokens.npy and the directions */
    int progress;
} fisher_opts;

typedef struct {
    int n;
    fisher_row *rows;
    long tokens, target_rows;  /* logit rows averaged, rows with a target */
    int seqs, T;
    double step, threshold;
    int K;
} fisher_result;

/* Every Linear weight of m that reads a norm output, in tensor order (malloc'd *out). */
int fisher_targets(const ns_model *m, fisher_target **out, int *n, ns_err *e);
/* Measure every target (or those matching o->tensors). m's parameters are perturbed and
 * restored bit for bit. NS_EUSAGE on a regex matching nothing or only kernel-less
 * matrices, or tokens <= 0. */
int fisher_run(ns_model *m, const fisher_opts *o, fisher_result *r, ns_err *e);
void fisher_result_free(fisher_result *r);

/* The LoRA guard on one tensor: G (d_out x d_in) the loss gradient, P (k x d_in). */
int fisher_lora_guard(const double *G, int d_out, int d_in, const double *P, int k, int R,
                      fisher_row *row, ns_err *e);

/* table | csv | json (enum report_format) */
int fisher_report(FILE *f, int format, const ns_model *m, const fisher_result *r, ns_err *e);

#endif
