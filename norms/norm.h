/* norm.h - the normalization ops table: everything the simulator knows about a scheme.
 *
 * A scheme is one `norm_ops` table filled in one file (built in) or returned by a
 * plugin's `normsim_norm_plugin()` (see docs/plugins.md). Self-contained on purpose: a
 * plugin author includes only this header.
 *
 * Parameters of one norm instance are one contiguous block of doubles, in the order of
 * `params`: a per-channel parameter takes d entries, a scalar takes 1.
 * Activations are row-major n x d (one row per token). */
#ifndef NS_NORM_H
#define NS_NORM_H
#include <stddef.h>

#define NORM_ABI_VERSION 1
#define NORM_PLUGIN_SYMBOL "normsim_norm_plugin"

enum norm_role {
    NORM_GAIN = 0, /* a multiplicative scale (randomised by --gamma random) */
    NORM_BIAS = 1, /* an additive shift */
    NORM_OTHER = 2, /* anything else (a temperature, an alpha, ...) */
    NORM_GAIN_1P = 3 /* stores w where the gain is 1 + w (Gemma) */
};

typedef struct {
    const char *name;   /* checkpoint suffix, e.g. "weight", "bias" */
    const char *symbol; /* the symbol in the formula, e.g. "g", "b" */
    int per_channel;    /* 1: a vector of length d; 0: a scalar */
    int role;           /* enum norm_role */
    double init;        /* every entry starts at this value */
} norm_param;

typedef struct {
    int d;      /* channels */
    double eps; /* added to the variance-like denominator */
    double arg; /* the scheme's argument after ':' (e.g. groupnorm:4), 0 if none */
} norm_cfg;

typedef struct norm_ops {
    int abi_version;            /* NORM_ABI_VERSION */
    const char *name;           /* registry key, e.g. "layernorm" */
    const char *summary;        /* one line: the formula */
    const char *kernel_formula; /* the predicted kernel in words, or "none" */
    int n_params;
    const norm_param *params;
    /* optional (NULL: the scheme takes no argument): check cfg->arg for cfg->d; return
     * 0 if valid, else write a one-line reason into err and return non-zero. */
    int (*validate)(const norm_cfg *cfg, char *err, size_t errlen);
    /* doubles of cache per token that forward writes and backward reads */
    int (*cache_per_token)(const norm_cfg *cfg);
    /* y = norm(x) for n tokens; writes cache (n * cache_per_token) when cache != NULL */
    void (*forward)(const norm_cfg *cfg, const double *p, const double *x, double *y,
                    double *cache, int n);
    /* dx += dL/dx, dp += dL/dp, given dy and the forward's x and cache */
    void (*backward)(const norm_cfg *cfg, const double *p, const double *x,
                     const double *cache, const double *dy, double *dx, double *dp, int n);
    /* The exact linear kernel the scheme predicts for the centred covariance of its
     * output under parameters p: writes min(k, max_k) orthonormal basis vectors (rows of
     * `basis`, each of length d) and returns k (0: no kernel). With max_k == 0 it only
     * counts, and basis may be NULL. */
    int (*kernel)(const norm_cfg *cfg, const double *p, double *basis, int max_k);
} norm_ops;

/* signature of the one function a plugin exports */
typedef const norm_ops *(*norm_plugin_fn)(void);

#endif
