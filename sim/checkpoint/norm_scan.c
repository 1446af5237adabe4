/* normscan.c - normalization layers from tensor names; the families of
 * shared/ARCHETYPES.md as table rows (model_type values, a name signature, the kind of a
 * scale-only norm, the final norm's names). */
#include "sim/checkpoint/norm_scan.h"
#include "sim/checkpoint/checkpoint.h"
#include "norms/registry.h"
#include <ctype.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct {
    const char *family;
    const char *model_types;     /* space-separated config.json model_type values */
    const char *signature;       /* a substring of tensor names unique to the family, or NULL */
    const char *kind;            /* kind of a scale-only norm (LN families: layernorm-nobias) */
    int names_decide;            /* the signature alone settles the kind */
    const char *finals;          /* candidate final-norm prefixes; "@last": the last block's last norm */
} family_row;

static const family_row family_table[] = {
    {"gpt2", "gpt2 gptj gpt_neo gpt_bigcode codegen", ".ln_1.", "layernorm-nobias", 1, "transformer.ln_f ln_f"},
    {"pythia", "gpt_neox", "gpt_neox.", "layernorm-nobias", 1, "gpt_neox.final_layer_norm final_layer_norm"},
    {"opt", "opt", "self_attn_layer_norm", "layernorm-nobias", 1,
     "model.decoder.final_layer_norm decoder.final_layer_norm"},
    {"bloom", "bloom", "word_embeddings_layernorm", "layernorm-nobias", 1, "transformer.ln_f ln_f"},
    {"falcon", "falcon RefinedWeb RefinedWebModel", NULL, "layernorm-nobias", 0, "transformer.ln_f ln_f"},
    {"phi2", "phi", "final_layernorm", "layernorm-nobias", 1, "model.final_layernorm final_layernorm"},
    {"command-r", "cohere cohere2", NULL, "layernorm-nobias", 0, "model.norm norm"},
    {"bert", "bert roberta", "attention.output.LayerNorm", "layernorm-nobias", 1, "@last"},
    {"vit", "vit", "layernorm_before", "layernorm-nobias", 1, "vit.layernorm layernorm"},
    {"dinov2", "dinov2", "layer_scale", "layernorm-nobias", 1, "dinov2.layernorm layernorm"},
    {"olmo1", "olmo", NULL, "layernorm-noaffine", 0, ""},
    {"llama", "llama", NULL, "rmsnorm", 0, "model.norm norm"},
    {"mistral", "mistral mixtral", NULL, "rmsnorm", 0, "model.norm norm"},
    {"qwen2", "qwen2 qwen2_moe qwen3", NULL, "rmsnorm", 0, "model.norm norm"},
    {"gemma", "gemma gemma2 gemma3 gemma3_text", NULL, "rmsnorm-1p", 0,
     "model.norm model.language_model.norm language_model.model.norm norm"},
    {"gemma4", "gemma4 gemma4_text", NULL, "rmsnorm", 0, "model.norm model.language_model.norm norm"},
    {"t5", "t5 mt5 umt5 longt5", ".layer.0.layer_norm", "rmsnorm", 1,
     "decoder.final_layer_norm encoder.final_layer_norm"},
    {"olmo2", "olmo2", NULL, "rmsnorm", 0, "model.norm norm"},
    {"normsim", "", "norm_final", NULL, 0, "norm_final @last"},
};
#define N_FAMILY ((int)(sizeof family_table / sizeof family_table[0]))

static const char *scale_words[] = {"weight", "scale", "gamma", NULL};
static const char *bias_words[] = {"bias", "beta", NULL};

const char *norm_kind_label(const char *kind)
{
    if (!kind)
        return "ambiguous: LayerNorm without bias, or RMSNorm (scale only)";
    if (strcmp(kind, "layernorm") == 0)
        return "LayerNorm (scale + bias)";
    if (strcmp(kind, "layernorm-nobias") == 0)
        return "LayerNorm without bias (scale only)";
    if (strcmp(kind, "layernorm-noaffine") == 0)
        return "non-parametric LayerNorm (no scale, no bias)";
    if (strcmp(kind, "rmsnorm") == 0)
        return "RMSNorm-like (scale only)";
    if (strcmp(kind, "rmsnorm-1p") == 0)
        return "RMSNorm-like with a (1 + w) scale (Gemma)";
    return kind;
}

static int in_words(const char *w, const char **list)
{
    for (; *list; list++)
        if (strcmp(w, *list) == 0)
            return 1;
    return 0;
}

/* is word a member of the space-separated list? */
static int in_list(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; p && *p;) {
        const char *sp = strchr(p, ' ');
        size_t len = sp ? (size_t)(sp - p) : strlen(p);
        if (len == n && strncmp(p, word, n) == 0)
            return 1;
        p = sp ? sp + 1 : NULL;
    }
    return 0;
}

/* natural order: digit runs compare as numbers */
static int natural_cmp(const char *a, const char *b)
{
    while (*a && *b) {
        if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
            while (*a == '0' && isdigit((unsigned char)a[1]))
                a++;
            while (*b == '0' && isdigit((unsigned char)b[1]))
                b++;
            size_t la = 0, lb = 0;
            while (isdigit((unsigned char)a[la]))
                la++;
            while (isdigit((unsigned char)b[lb]))
                lb++;
            if (la != lb)
                return la < lb ? -1 : 1;
            int c = strncmp(a, b, la);
            if (c)
                return c;
            a += la;
            b += lb;
        } else {
            if (*a != *b)
                return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
            a++;
            b++;
        }
    }
    return (unsigned char)*a - (unsigned char)*b;
}

static int by_prefix(const void *x, const void *y)
{
    return natural_cmp(((const norm_layer *)x)->prefix, ((const norm_layer *)y)->prefix);
}

/* the first all-digit component of name, or -1 */
static int layer_index(const char *name)
{
    for (const char *p = name; *p;) {
        const char *q = p;
        while (isdigit((unsigned char)*q))
            q++;
        if (q > p && (*q == '.' || *q == '\0') && q - p < 7)
            return atoi(p);
        const char *dot = strchr(p, '.');
        if (!dot)
            break;
        p = dot + 1;
    }
    return -1;
}

/* ---- grouping tensors into norm layers ---- */

typedef struct {
    regex_t def, user;
    int has_user;
} matchers;

static int matchers_init(matchers *m, const char *pattern, ns_err *e)
{
    memset(m, 0, sizeof *m);
    if (regcomp(&m->def, "^ln(_?[a-z0-9]+)?$|norm", REG_EXTENDED | REG_ICASE | REG_NOSUB) != 0)
        return ns_fail(e, NS_ERUN, "cannot compile the norm-name pattern");
    if (pattern) {
        int rc = regcomp(&m->user, pattern, REG_EXTENDED | REG_NOSUB);
        if (rc != 0) {
            char why[128];
            regerror(rc, &m->user, why, sizeof why);
            regfree(&m->def);
            return ns_fail(e, NS_EUSAGE, "--norm-pattern '%s' is not a valid regular expression: %s",
                           pattern, why);
        }
        m->has_user = 1;
    }
    return NS_OK;
}

static void matchers_free(matchers *m)
{
    regfree(&m->def);
    if (m->has_user)
        regfree(&m->user);
}

/* the norm layer with this prefix, appended if new; NULL when full */
static norm_layer *layer_at(scan_result *r, const char *prefix, size_t len, int cap)
{
    for (int i = 0; i < r->n; i++)
        if (strlen(r->layers[i].prefix) == len && strncmp(r->layers[i].prefix, prefix, len) == 0)
            return &r->layers[i];
    if (r->n == cap)
        return NULL;
    norm_layer *l = &r->layers[r->n++];
    memset(l, 0, sizeof *l);
    snprintf(l->prefix, sizeof l->prefix, "%.*s", (int)(len < 255 ? len : 255), prefix);
    l->layer = layer_index(l->prefix);
    return l;
}

/* a 1-D tensor (or a 2-D (heads, head_dim) one: Command R+ q_norm / k_norm) joins a norm layer
 * when its prefix names a norm (or it matches --norm-pattern) */
static void consider(scan_result *r, const matchers *m, const st_tensor *t, int cap)
{
    if (t->ndim != 1 && !(t->ndim == 2 && t->shape[0] > 1 && t->shape[0] <= 4096)) /* 2-D: per head */
        return;
    const char *dot = strrchr(t->name, '.');
    const char *last = dot ? dot + 1 : t->name;
    int scale = in_words(last, scale_words), bias = in_words(last, bias_words);
    size_t plen = dot ? (size_t)(dot - t->name) : 0;
    int user = m->has_user && regexec(&m->user, t->name, 0, NULL, 0) == 0;
    int named = 0;
    if (dot && (scale || bias)) {
        const char *comp = t->name + plen;
        while (comp > t->name && comp[-1] != '.')
            comp--;
        char c[256];
        snprintf(c, sizeof c, "%.*s", (int)(t->name + plen - comp), comp);
        named = regexec(&m->def, c, 0, NULL, 0) == 0;
    }
    if (!named && !user)
        return;
    if (!(scale || bias) || !dot) { /* a user-matched tensor with another suffix: a scale */
        plen = strlen(t->name);
        scale = 1;
        bias = 0;
    }
    norm_layer *l = layer_at(r, t->name, plen, cap);
    if (!l)
        return;
    if (scale && !l->scale)
        l->scale = t;
    else if (bias && !l->bias)
        l->bias = t;
}

/* ---- family and kinds ---- */

static const family_row *family_by_name(const char *name)
{
    for (int i = 0; i < N_FAMILY; i++)
        if (strcmp(family_table[i].family, name) == 0)
            return &family_table[i];
    return NULL;
}

static const family_row *family_by_model_type(const char *mt)
{
    for (int i = 0; mt && i < N_FAMILY; i++)
        if (in_list(family_table[i].model_types, mt))
            return &family_table[i];
    return NULL;
}

static const family_row *family_by_names(const st_set *s)
{
    for (int i = 0; i < N_FAMILY; i++)
        for (int k = 0; family_table[i].signature && k < s->n; k++)
            if (strstr(s->t[k]->name, family_table[i].signature))
                return &family_table[i];
    return NULL;
}

typedef struct {
    const family_row *fam;   /* detected family, or NULL */
    int fam_by_config;       /* from model_type (decides kinds) */
    const char *normsim_norm;/* a normsim checkpoint's scheme (in the result), or "" */
    int normsim_d;           /* and its width */
} scan_ctx;

static void detect_family(const st_set *s, const scan_opts *o, scan_ctx *c, scan_result *r)
{
    ns_config nc;
    ns_err ignore;
    memset(c, 0, sizeof *c);
    c->normsim_norm = r->scheme; /* "" unless a normsim checkpoint */
    const char *mt = cfg_str(o->config, "model_type");
    if (st_set_meta(s, NORMSIM_META_KEY) && ckpt_normsim_config(s, &nc, &ignore) == NS_OK) {
        c->fam = family_by_name("normsim");
        snprintf(r->scheme, sizeof r->scheme, "%s", nc.norm);
        c->normsim_d = nc.d;
        snprintf(r->family, sizeof r->family, "normsim:%.20s", nc.arch);
        snprintf(r->family_from, sizeof r->family_from, "normsim metadata");
        return;
    }
    if ((c->fam = family_by_model_type(mt))) {
        c->fam_by_config = 1;
        snprintf(r->family_from, sizeof r->family_from, "config.json model_type '%.32s'", mt);
    } else if ((c->fam = family_by_names(s)))
        snprintf(r->family_from, sizeof r->family_from, "tensor names");
    if (c->fam)
        snprintf(r->family, sizeof r->family, "%s", c->fam->family);
}

/* kind of a scale-only norm, and why */
static const char *scale_only_kind(const scan_opts *o, const scan_ctx *c, char *why, size_t n)
{
    int rms = cfg_item(o->config, "rms_norm_eps") != NULL;
    int ln = cfg_item(o->config, "layer_norm_eps") || cfg_item(o->config, "layer_norm_epsilon");
    if (o->force_kind)
        return snprintf(why, n, "given with --norm"), o->force_kind;
    if (c->normsim_norm[0])
        return snprintf(why, n, "normsim checkpoint metadata"), c->normsim_norm;
    if (c->fam && c->fam_by_config)
        return snprintf(why, n, "config.json model_type (%s family)", c->fam->family), c->fam->kind;
    if (rms != ln)
        return snprintf(why, n, "config.json has %s", rms ? "rms_norm_eps" : "layer_norm_eps"),
               rms ? "rmsnorm" : "layernorm-nobias";
    if (c->fam && c->fam->names_decide)
        return snprintf(why, n, "tensor names (%s family)", c->fam->family), c->fam->kind;
    snprintf(why, n, "scale only: LayerNorm without bias or RMSNorm; config.json (model_type, "
             "layer_norm_eps vs rms_norm_eps) or --norm decides");
    return NULL;
}

static int classify(scan_result *r, const scan_opts *o, const scan_ctx *c, ns_err *e)
{
    for (int i = 0; i < r->n; i++) {
        norm_layer *l = &r->layers[i];
        if (l->scale && l->bias && l->scale->count != l->bias->count)
            return ns_fail(e, NS_EUSAGE, "norm '%s': scale has %llu entries but bias %llu", l->prefix,
                           (unsigned long long)l->scale->count, (unsigned long long)l->bias->count);
        const st_tensor *bad = l->scale && !num_is_float(l->scale->dtype) ? l->scale
                             : l->bias && !num_is_float(l->bias->dtype) ? l->bias : NULL;
        if (bad)
            return ns_fail(e, NS_EUSAGE, "norm parameter '%s' has dtype %s; a float dtype is needed",
                           bad->name, st_dtype_name(bad->dtype));
        const st_tensor *p = l->scale ? l->scale : l->bias;
        uint64_t d = p->count;
        if (d == 0 || d > (1u << 24))
            return ns_fail(e, NS_EUSAGE, "norm '%s' has %llu channels", l->prefix, (unsigned long long)d);
        if (l->scale && l->bias && l->scale->ndim != l->bias->ndim)
            return ns_fail(e, NS_EUSAGE, "norm '%s': scale and bias differ in shape", l->prefix);
        l->heads = p->ndim == 2 ? (int)p->shape[0] : 1;
        l->d = (int)(d / (uint64_t)l->heads);
        if (c->normsim_norm[0] && !o->force_kind) { /* one scheme for every norm of the model */
            l->kind = c->normsim_norm;
            snprintf(l->resolved_by, sizeof l->resolved_by, "normsim checkpoint metadata");
        } else if (l->bias) {
            l->kind = "layernorm";
            snprintf(l->resolved_by, sizeof l->resolved_by, l->scale ? "scale and bias" : "bias only (scale 1)");
        } else
            l->kind = scale_only_kind(o, c, l->resolved_by, sizeof l->resolved_by);
    }
    return NS_OK;
}

/* ---- the final norm ---- */

static int find_prefix(const scan_result *r, const char *p, size_t len)
{
    for (int i = 0; i < r->n; i++)
        if (strlen(r->layers[i].prefix) == len && strncmp(r->layers[i].prefix, p, len) == 0)
            return i;
    return -1;
}

/* the last norm (natural order) of the highest block */
static int last_block_norm(const scan_result *r)
{
    int best = -1;
    for (int i = 0; i < r->n; i++)
        if (r->layers[i].layer >= 0 && (best < 0 || r->layers[i].layer >= r->layers[best].layer))
            best = i;
    return best;
}

static int contains_ci(const char *s, const char *w)
{
    size_t n = strlen(w);
    for (; *s; s++)
        if (strncasecmp(s, w, n) == 0)
            return 1;
    return 0;
}

/* no family: a norm outside the blocks named final / ln_f, else the only one that is not an
 * embedding norm, else the last block's last norm */
static void guess_final(scan_result *r)
{
    int cand = -1, count = 0;
    for (int i = 0; i < r->n; i++) {
        const char *p = r->layers[i].prefix;
        if (r->layers[i].layer >= 0 || contains_ci(p, "embed"))
            continue;
        if (contains_ci(p, "final") || strcmp(p, "ln_f") == 0 ||
            (strlen(p) > 5 && strcmp(p + strlen(p) - 5, ".ln_f") == 0)) {
            r->final = i;
            snprintf(r->final_rule, sizeof r->final_rule, "outside the blocks, named final or ln_f");
            return;
        }
        cand = i;
        count++;
    }
    if (count >= 1) {
        r->final = cand;
        snprintf(r->final_rule, sizeof r->final_rule, count == 1 ? "the only norm outside the blocks"
                 : "the last of %d norms outside the blocks (a guess: use --final)", count);
        return;
    }
    r->final = last_block_norm(r);
    snprintf(r->final_rule, sizeof r->final_rule, "no norm outside the blocks: the last block's last norm");
}

static int pick_final(scan_result *r, const scan_opts *o, const scan_ctx *c, ns_err *e)
{
    r->final = -1;
    if (o->final_name) {
        if ((r->final = find_prefix(r, o->final_name, strlen(o->final_name))) < 0)
            return ns_fail(e, NS_EUSAGE, "--final '%s' is not one of the norm layers found (see the list "
                           "without --final)", o->final_name);
        snprintf(r->final_rule, sizeof r->final_rule, "given with --final");
        return NS_OK;
    }
    for (const char *p = c->fam ? c->fam->finals : NULL; p && *p && r->final < 0;) {
        const char *sp = strchr(p, ' ');
        size_t len = sp ? (size_t)(sp - p) : strlen(p);
        if (len == 5 && strncmp(p, "@last", 5) == 0) {
            r->final = last_block_norm(r);
            snprintf(r->final_rule, sizeof r->final_rule, "the last block's last norm (%s family)",
                     c->fam->family);
        } else if ((r->final = find_prefix(r, p, len)) >= 0)
            snprintf(r->final_rule, sizeof r->final_rule, "the %s family's final norm name", c->fam->family);
        p = sp ? sp + 1 : NULL;
    }
    if (r->final < 0 && r->n > 0)
        guess_final(r);
    return NS_OK;
}

/* OLMo-1 style: no tensors at all; the width from config.json or the embedding */
static void nonparametric(scan_result *r, const st_set *s, const scan_opts *o, const scan_ctx *c)
{
    const char *kind = c->normsim_norm[0] ? c->normsim_norm : c->fam ? c->fam->kind : NULL;
    const norm_ops *ops;
    norm_cfg nc;
    ns_err ignore;
    if (!kind || r->final >= 0 || norm_resolve(kind, 8, 1e-5, &ops, &nc, &ignore) || ops->n_params > 0)
        return;
    r->nonparam_kind = kind;
    r->nonparam_d = c->normsim_d;
    double h;
    if (!r->nonparam_d && cfg_num(o->config, "hidden_size", &h) && h >= 1 && h <= (1 << 24))
        r->nonparam_d = (int)h;
    for (int i = 0; i < s->n && !r->nonparam_d; i++)
        if (s->t[i]->ndim == 2 && contains_ci(s->t[i]->name, "embed") && s->t[i]->shape[1] <= (1u << 24))
            r->nonparam_d = (int)s->t[i]->shape[1];
    snprintf(r->final_rule, sizeof r->final_rule, "non-parametric final LayerNorm (%s): no tensors",
             c->fam ? c->fam->family : "normsim");
}

int norm_scan(const st_set *s, const scan_opts *o, scan_result *r, ns_err *e)
{
    memset(r, 0, sizeof *r);
    r->final = -1;
    matchers m;
    int rc = matchers_init(&m, o->pattern, e);
    if (rc)
        return rc;
    int cap = s->n + 1;
    if (!(r->layers = calloc((size_t)cap, sizeof *r->layers))) {
        matchers_free(&m);
        return ns_fail(e, NS_ERUN, "out of memory");
    }
    for (int i = 0; i < s->n; i++)
        consider(r, &m, s->t[i], cap);
    matchers_free(&m);
    qsort(r->layers, (size_t)r->n, sizeof *r->layers, by_prefix);
    scan_ctx c;
    detect_family(s, o, &c, r);
    if ((rc = classify(r, o, &c, e)) || (rc = pick_final(r, o, &c, e))) {
        scan_result_free(r);
        return rc;
    }
    nonparametric(r, s, o, &c);
    return NS_OK;
}

void scan_result_free(scan_result *r)
{
    free(r->layers);
    memset(r, 0, sizeof *r);
    r->final = -1;
}

int norm_kind_is_ln(const char *kind, int d)
{
    double *P = NULL;
    ns_err ignore;
    int k = kind ? norm_predicted_kernel(kind, d, NULL, NULL, &P, &ignore) : 0;
    free(P);
    return k > 0;
}
