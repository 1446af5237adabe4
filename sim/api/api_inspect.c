/* api_inspect.c - the C API's zero-pass read (sim/api/normsim.h): norm_scan on a checkpoint
 * file, or on a live model's tensor names, as JSON in the keys of `inspect --format json`. */
#include "sim/api/normsim.h"
#include "sim/base/err.h"
#include "sim/checkpoint/checkpoint.h"
#include "sim/checkpoint/norm_scan.h"
#include "sim/io/safetensors.h"
#include "norms/registry.h"
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int to_buffer(const ns_err *e, char *msg, size_t len)
{
    if (msg && len > 0)
        snprintf(msg, len, "%s", e->code ? e->msg : "");
    return e->code;
}

static cJSON *str_or_null(const char *s) { return s ? cJSON_CreateString(s) : cJSON_CreateNull(); }
static cJSON *num_or_null(double v) { return isnan(v) ? cJSON_CreateNull() : cJSON_CreateNumber(v); }

static const char *classification(const char *kind, int d)
{
    return !kind ? "ambiguous" : norm_kind_is_ln(kind, d) ? "LayerNorm-like" : "RMSNorm-like";
}

static cJSON *layer_json(const norm_layer *l, int final)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", l->prefix);
    cJSON_AddItemToObject(o, "kind", str_or_null(l->kind));
    cJSON_AddStringToObject(o, "kind_label", norm_kind_label(l->kind));
    cJSON_AddStringToObject(o, "resolved_by", l->resolved_by);
    cJSON_AddItemToObject(o, "scale", str_or_null(l->scale ? l->scale->name : NULL));
    cJSON_AddItemToObject(o, "bias", str_or_null(l->bias ? l->bias->name : NULL));
    cJSON_AddNumberToObject(o, "layer", l->layer);
    cJSON_AddNumberToObject(o, "d", l->d);
    cJSON_AddBoolToObject(o, "final", final);
    return o;
}

/* the scan as JSON: family, every norm layer, the final norm (facts added by the caller) */
static cJSON *scan_json(const scan_result *r)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddItemToObject(root, "family", r->family[0] ? cJSON_CreateString(r->family) : cJSON_CreateNull());
    cJSON_AddStringToObject(root, "family_from", r->family_from);
    cJSON *arr = cJSON_AddArrayToObject(root, "norms");
    for (int i = 0; i < r->n; i++)
        cJSON_AddItemToArray(arr, layer_json(&r->layers[i], i == r->final));
    const norm_layer *l = r->final >= 0 ? &r->layers[r->final] : NULL;
    const char *kind = l ? l->kind : r->nonparam_d > 0 ? r->nonparam_kind : NULL;
    int d = l ? l->d : r->nonparam_d;
    cJSON_AddItemToObject(root, "classification", l || r->nonparam_d > 0 ? cJSON_CreateString(classification(kind, d))
                                                                         : cJSON_CreateNull());
    if (l || r->nonparam_d > 0) {
        cJSON *f = l ? layer_json(l, 1) : cJSON_CreateObject();
        if (!l) {
            cJSON_AddStringToObject(f, "name", "(non-parametric)");
            cJSON_AddItemToObject(f, "kind", str_or_null(kind));
            cJSON_AddStringToObject(f, "kind_label", norm_kind_label(kind));
            cJSON_AddNumberToObject(f, "d", d);
        }
        cJSON_AddStringToObject(f, "rule", r->final_rule);
        cJSON_AddItemToObject(root, "final", f);
    } else
        cJSON_AddNullToObject(root, "final");
    return root;
}

/* does scheme kind store w for a gain 1 + w (Gemma)? */
static int gain_is_one_plus(const char *kind, int d)
{
    const norm_ops *ops;
    norm_cfg cfg;
    ns_err ignore;
    if (!kind || norm_resolve(kind, d, 1e-5, &ops, &cfg, &ignore))
        return 0;
    for (int i = 0; i < ops->n_params; i++)
        if (ops->params[i].role == NORM_GAIN_1P)
            return 1;
    return 0;
}

/* g statistics (effective gain), predicted kernel, cos with 1/sqrt(d), p.b, the direction */
static int add_facts(cJSON *f, const char *kind, int d, const double *w, const double *b, ns_err *e)
{
    const int one_plus = gain_is_one_plus(kind, d);
    double mn = INFINITY, mx = -INFINITY, sum = 0.0, ss = 0.0, *P = NULL;
    for (int i = 0; i < d; i++) {
        double g = w ? (one_plus ? 1.0 + w[i] : w[i]) : 1.0;
        mn = fmin(mn, g);
        mx = fmax(mx, g);
        sum += g;
    }
    for (int i = 0; i < d; i++) {
        double g = w ? (one_plus ? 1.0 + w[i] : w[i]) : 1.0;
        ss += (g - sum / d) * (g - sum / d);
    }
    int k = norm_predicted_kernel(kind ? kind : "layernorm-nobias", d, w, b, &P, e);
    if (k < 0)
        return e->code;
    double cos_ones = NAN, p_dot_b = NAN;
    if (k > 0) {
        double proj = 0.0;
        for (int j = 0; j < k; j++) {
            double s = 0.0;
            for (int i = 0; i < d; i++)
                s += P[(size_t)j * d + i];
            proj += s * s / d;
        }
        cos_ones = sqrt(proj);
    }
    if (k == 1 && b) {
        p_dot_b = 0.0;
        for (int i = 0; i < d; i++)
            p_dot_b += P[i] * b[i];
    }
    cJSON_AddBoolToObject(f, "one_plus_w", one_plus);
    cJSON_AddNumberToObject(f, "predicted_k", k);
    cJSON_AddNumberToObject(f, "g_min", mn);
    cJSON_AddNumberToObject(f, "g_max", mx);
    cJSON_AddNumberToObject(f, "g_mean", sum / d);
    cJSON_AddNumberToObject(f, "g_std", sqrt(ss / d));
    cJSON_AddItemToObject(f, "cos_ones", num_or_null(cos_ones));
    cJSON_AddItemToObject(f, "p_dot_b", num_or_null(p_dot_b));
    cJSON *dir = cJSON_AddArrayToObject(f, "direction");
    for (int j = 0; j < k; j++) {
        cJSON *row = k == 1 ? dir : cJSON_CreateArray();
        for (int i = 0; i < d; i++)
            cJSON_AddItemToArray(row, cJSON_CreateNumber(P[(size_t)j * d + i]));
        if (k > 1)
            cJSON_AddItemToArray(dir, row);
    }
    free(P);
    return NS_OK;
}

static int load_vec(const st_set *s, const st_tensor *t, double **out, ns_err *e)
{
    *out = t ? st_set_load(s, t, e) : NULL;
    return t && !*out ? e->code : NS_OK;
}

/* the final norm's facts from the checkpoint's parameters */
static int final_facts(cJSON *root, const st_set *s, const scan_result *r, ns_err *e)
{
    cJSON *f = cJSON_GetObjectItemCaseSensitive(root, "final");
    if (cJSON_IsNull(f))
        return NS_OK;
    const norm_layer *l = r->final >= 0 ? &r->layers[r->final] : NULL;
    double *w = NULL, *b = NULL;
    int rc = l ? load_vec(s, l->scale, &w, e) : NS_OK;
    if (!rc && l)
        rc = load_vec(s, l->bias, &b, e);
    if (!rc)
        rc = add_facts(f, l ? l->kind : r->nonparam_kind, l ? l->d : r->nonparam_d, w, b, e);
    free(w);
    free(b);
    return rc;
}

static int print_json(cJSON *root, char **json, ns_err *e)
{
    *json = cJSON_Print(root);
    cJSON_Delete(root);
    return *json ? NS_OK : ns_fail(e, NS_ERUN, "out of memory writing JSON");
}

static int open_config(const char *path, const char *config, char *used, size_t n, cJSON **cfg, ns_err *e)
{
    *cfg = NULL;
    used[0] = '\0';
    if (config && !config[0])
        return NS_OK;
    if (config)
        snprintf(used, n, "%s", config);
    else if (!ckpt_find_config(path, used, n))
        return NS_OK;
    return json_load_file(used, cfg, e);
}

int ns_inspect(const char *path, const char *config, const char *norm_kind, const char *final,
               char **json, char *msg, size_t msg_len)
{
    ns_err e = {0};
    char cfg_path[4096];
    cJSON *cfg = NULL;
    st_set s;
    scan_result r;
    *json = NULL;
    if (!path) {
        ns_fail(&e, NS_EUSAGE, "no checkpoint path given");
        return to_buffer(&e, msg, msg_len);
    }
    if (open_config(path, config, cfg_path, sizeof cfg_path, &cfg, &e) || st_set_open(&s, path, &e)) {
        cJSON_Delete(cfg);
        return to_buffer(&e, msg, msg_len);
    }
    scan_opts so = {NULL, norm_kind, final, cfg};
    if (!norm_scan(&s, &so, &r, &e)) {
        if (r.n == 0 && r.nonparam_d == 0)
            ns_fail(&e, NS_EUSAGE, "no normalization layers found in %s (%d tensors)", s.path, s.n);
        cJSON *root = e.code ? NULL : scan_json(&r);
        if (root) {
            cJSON_AddStringToObject(root, "checkpoint", s.path);
            cJSON_AddNumberToObject(root, "tensors", s.n);
            cJSON_AddNumberToObject(root, "files", s.n_files);
            cJSON_AddItemToObject(root, "config", cfg ? cJSON_CreateString(cfg_path) : cJSON_CreateNull());
            if (final_facts(root, &s, &r, &e))
                cJSON_Delete(root);
            else
                print_json(root, json, &e);
        }
        scan_result_free(&r);
    }
    st_set_close(&s);
    cJSON_Delete(cfg);
    return to_buffer(&e, msg, msg_len);
}

int ns_scan_names(int n, const char *const *names, const int64_t *sizes, const char *config_json,
                  const char *norm_kind, const char *final, char **json, char *msg, size_t msg_len)
{
    ns_err e = {0};
    *json = NULL;
    if (n < 0 || (n > 0 && (!names || !sizes))) {
        ns_fail(&e, NS_EUSAGE, "no tensor names given");
        return to_buffer(&e, msg, msg_len);
    }
    cJSON *cfg = config_json ? cJSON_Parse(config_json) : NULL;
    if (config_json && !cJSON_IsObject(cfg)) {
        cJSON_Delete(cfg);
        ns_fail(&e, NS_EUSAGE, "the config is not a JSON object");
        return to_buffer(&e, msg, msg_len);
    }
    st_tensor *t = calloc((size_t)n + 1, sizeof *t);
    const st_tensor **tp = calloc((size_t)n + 1, sizeof *tp);
    if (!t || !tp)
        ns_fail(&e, NS_ERUN, "out of memory for %d tensor names", n);
    for (int i = 0; !e.code && i < n; i++) { /* names only: 1-D tensors with their lengths */
        t[i].name = (char *)names[i];
        t[i].dtype = NUM_F32;
        t[i].ndim = sizes[i] >= 0 ? 1 : 2;
        t[i].shape[0] = sizes[i] >= 0 ? (uint64_t)sizes[i] : 0;
        t[i].count = t[i].shape[0];
        tp[i] = &t[i];
    }
    st_set s = {.path = "(tensor names)", .n_files = 0, .files = NULL, .n = n, .t = tp};
    scan_opts so = {NULL, norm_kind, final, cfg};
    scan_result r;
    if (!e.code && !norm_scan(&s, &so, &r, &e)) {
        print_json(scan_json(&r), json, &e);
        scan_result_free(&r);
    }
    free(t);
    free(tp);
    cJSON_Delete(cfg);
    return to_buffer(&e, msg, msg_len);
}
