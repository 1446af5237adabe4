/* normsim.h - the C API of build/libnormsim.so: the diagnostic of PAPER C1/C3 on rows made
 * elsewhere (a live PyTorch model, a numpy array), without dumping them to a file. This one
 * header is the whole interface; python/normsim (ctypes) is built on it.
 *
 *   ns_cov *c;  char msg[512];
 *   if (ns_cov_create(768, &c, msg, sizeof msg)) { fprintf(stderr, "%s\n", msg); ... }
 *   ns_cov_update(c, ptr, NS_DTYPE_BF16, ndim, shape, strides_in_bytes);   (any number)
 *   ns_diag_summary s;
 *   ns_cov_diagnose(c, "layernorm", gamma, beta, 0.0, &s, eig, bottom);   (s.verdict_name)
 *   ns_cov_free(c);
 *
 * Rows: an array of ndim >= 2 dimensions whose last dimension is d; the leading ones are
 * flattened into rows (a (B, T, d) activation gives B*T rows). Strides are in BYTES (numpy's
 * convention; multiply torch's element strides by the element size), any sign, any layout:
 * the data is read in place and converted to double in C, chunk by chunk (memory per handle
 * O(d^2) plus a fixed chunk, whatever the number of rows). An update is all or nothing: a
 * non-finite value anywhere is an error and nothing is added.
 *
 * Status: every function that can fail returns NS_OK (0), NS_ERUN (1: failure while
 * running, e.g. out of memory) or NS_EUSAGE (2: bad input). Functions on a handle keep the
 * one-line message in the handle (ns_cov_error); the others write it into a caller buffer
 * (msg, msg_len; msg may be NULL). No global mutable state besides the norm registry.
 * A handle is not thread-safe; distinct handles may be used from distinct threads. */
#ifndef NORMSIM_API_H
#define NORMSIM_API_H
#include <stddef.h>
#include <stdint.h>

#define NORMSIM_API_VERSION 1

#ifdef __cplusplus
extern "C" {
#endif

/* element types of rows (values are the API's own, not numconv's) */
enum { NS_DTYPE_F64 = 0, NS_DTYPE_F32 = 1, NS_DTYPE_F16 = 2, NS_DTYPE_BF16 = 3 };

typedef struct ns_cov ns_cov; /* a streaming centred covariance (opaque) */

/* NORMSIM_API_VERSION of the library, and sizeof(ns_diag_summary) (binding checks) */
int ns_api_version(void);
size_t ns_diag_summary_size(void);

/* ---- the accumulator ---- */

/* A new empty accumulator of width d (1 <= d <= 16384) into *out. */
int ns_cov_create(int d, ns_cov **out, char *msg, size_t msg_len);
void ns_cov_free(ns_cov *c);
/* the last error's one-line message ("" when none) */
const char *ns_cov_error(const ns_cov *c);
int ns_cov_dim(const ns_cov *c);
long long ns_cov_rows(const ns_cov *c);
/* Add the rows of an (..., d) array of dtype at data with shape[ndim] and strides[ndim]
 * (bytes). ndim < 2, a last dimension != d, an unknown dtype, a negative extent or a
 * non-finite value: NS_EUSAGE, nothing added. Zero rows: NS_OK, nothing added. */
int ns_cov_update(ns_cov *c, const void *data, int dtype, int ndim, const int64_t *shape,
                  const int64_t *strides);
/* a := a merged with b (Chan's formula; same d, else NS_EUSAGE). b is unchanged. */
int ns_cov_merge(ns_cov *a, const ns_cov *b);
/* mean (d) and covariance C = scatter / n (d x d, row-major, symmetric) */
int ns_cov_mean(const ns_cov *c, double *mean);
int ns_cov_matrix(const ns_cov *c, double *C);
/* Eigenvalues of C ascending into w (d); with V non-NULL the eigenvectors into V (d x d,
 * vector j contiguous at V + j*d). Needs at least one row. */
int ns_cov_eigh(ns_cov *c, double *w, double *V);
/* max(1e-10, u^2) for the coarsest dtype added so far (u its unit roundoff), as
 * `normsim diagnose --acts` picks for a file of that dtype */
double ns_cov_default_threshold(const ns_cov *c);

/* ---- the diagnostic (sim/diag: diag_measure) ---- */

typedef struct {
    int d;
    int predicted_k;     /* dimension of the predicted kernel; -1: no prediction (spectrum only) */
    int dead;            /* eigenvalues < threshold * lambda_max */
    int verdict;         /* 0 PRESENT, 1 ABSENT, 2 MISMATCH, 3 UNDETERMINED, 4 NO-PREDICTION */
    long long tokens;    /* rows accumulated */
    double threshold;
    double cos;          /* |cos(p, bottom)| (k = 1); cos of the largest principal angle (k > 1); NaN */
    double cos_ones;     /* cosine of 1/sqrt(d) with the predicted span; NaN */
    double lam_min, lam_2, lam_max;
    double rayleigh_rel; /* max over the predicted basis of p'Cp / lambda_max; NaN */
    double p_mean;       /* p'mean(y) (k = 1), else NaN */
    double p_b;          /* p'b (k = 1 and beta given), else NaN: equals p_mean for this norm's output */
    char norm[64];       /* the scheme the prediction came from ("none" without) */
    char verdict_name[16];
    char warning[256];   /* empty, or why the bottom direction is not unique */
} ns_diag_summary;

/* Measure the accumulated covariance against the kernel that scheme `norm` predicts for
 * scale gamma (d values, NULL: the scheme's init) and shift beta (NULL: zeros). norm NULL:
 * "layernorm" with a beta, "layernorm-nobias" with only a gamma, and no prediction with
 * neither (as `diagnose --acts`). threshold <= 0: ns_cov_default_threshold. eig (d) and
 * bottom (d, the eigenvector of lambda_min) may be NULL. */
int ns_cov_diagnose(ns_cov *c, const char *norm, const double *gamma, const double *beta,
                    double threshold, ns_diag_summary *out, double *eig, double *bottom);

/* ---- the norm registry ---- */

/* The kernel that scheme `norm` ("name" or "name:arg") predicts for d channels, scale gamma
 * and shift beta (NULL: init values; see ns_cov_diagnose): its dimension into *k and, when
 * P is non-NULL, its first min(k, max_k) orthonormal rows into P (max_k x d). */
int ns_predicted_kernel(const char *norm, int d, const double *gamma, const double *beta, int *k,
                        double *P, int max_k, char *msg, size_t msg_len);
/* Registered schemes: their number, and name / one-line summary / kernel formula of the
 * i-th (NULL out of range). */
int ns_norm_count(void);
const char *ns_norm_name(int i);
const char *ns_norm_summary(int i);
const char *ns_norm_kernel_formula(int i);

/* ---- the zero-pass read (sim/checkpoint/norm_scan) ---- */

/* `normsim inspect CHECKPOINT --format json` in a malloc'd JSON string (*json; free it with
 * ns_free): every norm layer (name, kind, kind_label, resolved_by, scale, bias, layer, d,
 * final) and the final norm with its predicted kernel (predicted_k, cos_ones, p_dot_b, g
 * statistics, direction). config: a config.json path, NULL to look next to the checkpoint,
 * "" for none. norm_kind (--norm) and final (--final) may be NULL. */
int ns_inspect(const char *path, const char *config, const char *norm_kind, const char *final,
               char **json, char *msg, size_t msg_len);
/* The same rules on tensor names alone (a live model's state_dict): n names, each with its
 * element count if it is 1-D or -1 if not; config_json: the text of a config.json or NULL.
 * JSON as ns_inspect's, without parameter values (no direction, no g statistics). */
int ns_scan_names(int n, const char *const *names, const int64_t *sizes, const char *config_json,
                  const char *norm_kind, const char *final, char **json, char *msg, size_t msg_len);
void ns_free(void *p);

#ifdef __cplusplus
}
#endif
#endif
