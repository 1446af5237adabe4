/* normscan.h - find a checkpoint's normalization layers from tensor names alone (PAPER
 * C2, C6: zero forward passes), classify each, and pick the final norm.
 *
 * A norm layer is a group of 1-D tensors sharing a prefix whose last component names a
 * norm (ln_1, ln_f, input_layernorm, LayerNorm, final_layer_norm, norm, norm1, q_norm, ...;
 * or anything matching --norm-pattern), with a scale (weight | scale | gamma) and/or a
 * shift (bias | beta). Classification, as a registry scheme name:
 *   scale + bias          layernorm
 *   scale only            layernorm-nobias or rmsnorm (rmsnorm-1p for Gemma's 1 + w):
 *                         resolved by --norm, normsim metadata, config.json's model_type,
 *                         its layer_norm_eps / rms_norm_eps keys, or a family whose names
 *                         are its own (T5); otherwise ambiguous
 *   no tensors            layernorm-noaffine, known only from config.json (model_type olmo)
 */
#ifndef NS_NORMSCAN_H
#define NS_NORMSCAN_H
#include <cjson/cJSON.h>
#include "sim/io/safetensors.h"
#include "norms/registry.h" /* norm_predicted_kernel */

typedef struct {
    char prefix[256];            /* e.g. "transformer.ln_f" */
    const st_tensor *scale, *bias;
    int d;                       /* channels (per head when heads > 1) */
    int heads;                   /* 1; or H for a 2-D (H, head_dim) weight, one norm per head */
    int layer;                   /* block index in the name, -1 if none */
    const char *kind;            /* registry scheme name; NULL: ambiguous */
    char resolved_by[128];       /* how kind was decided, or why it is ambiguous */
} norm_layer;

typedef struct {
    const char *pattern;         /* extra regex (POSIX extended) on tensor names, or NULL */
    const char *force_kind;      /* --norm: classify every scale-only norm as this, or NULL */
    const char *final_name;      /* --final: the final norm's prefix, or NULL */
    const cJSON *config;         /* config.json, or NULL */
} scan_opts;

typedef struct {
    int n;
    norm_layer *layers;          /* natural order of the prefixes */
    int final;                   /* index of the final norm, or -1 */
    char final_rule[128];        /* how the final norm was picked */
    char family[32];             /* from config.json's model_type or the names; "" unknown */
    char family_from[64];
    int nonparam_d;              /* > 0: a non-parametric final norm of this width (olmo) */
    const char *nonparam_kind;   /* and its scheme (layernorm-noaffine, or a normsim checkpoint's) */
    char scheme[64];             /* a normsim checkpoint's scheme (kinds may point here) */
} scan_result;

int norm_scan(const st_set *s, const scan_opts *o, scan_result *r, ns_err *e);
void scan_result_free(scan_result *r);
/* "LayerNorm (scale + bias)" etc. for a scheme name (NULL: ambiguous) */
const char *norm_kind_label(const char *kind);
/* PAPER C6: 1 if scheme `kind` predicts a kernel at its initial parameters (g = 1, b = 0),
 * as LayerNorm does (LN-like); 0 if not (RMS-like; a zero gain's trivial e_i aside) */
int norm_kind_is_ln(const char *kind, int d);

#endif
