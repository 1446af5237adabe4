/* hf_import.c - Hugging Face import: one mechanism reading the family rows of
 * hf_families.c. config.json's model_type picks the row (else --arch, else the row whose
 * names fit the tensors best, said in a warning); sizes come from the tensor shapes and
 * are checked against config.json; a config value normsim cannot honour is an error naming
 * its key; every mapped tensor's shape is checked before anything is copied. */
#include "sim/checkpoint/hf_internal.h"
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef hf_ctx import_ctx;

/* ---- names ---- */

/* name = the HF name of pattern hf for layer l, with the family prefix */
static void hf_name(const import_ctx *x, const char *hf, int l, char *buf, size_t n)
{
    char tail[256];
    const char *pat = hf[0] == '/' ? hf + 1 : hf;
    snprintf(tail, sizeof tail, pat, l);
    snprintf(buf, n, "%s%s", hf[0] == '/' ? "" : x->prefix, tail);
}

int hf_match(const char *pat, const char *name, int *l)
{
    const char *pd = strstr(pat, "%d");
    size_t n = strlen(pat);
    *l = -1;
    if (!pd)
        return n && pat[n - 1] == '*' ? strncmp(pat, name, n - 1) == 0 : strcmp(pat, name) == 0;
    size_t pre = (size_t)(pd - pat);
    if (strncmp(pat, name, pre) != 0)
        return 0;
    const char *p = name + pre;
    if (*p < '0' || *p > '9')
        return 0;
    long v = 0;
    while (*p >= '0' && *p <= '9' && v < 1000000)
        v = v * 10 + (*p++ - '0');
    *l = (int)v;
    return strcmp(p, pd + 2) == 0;
}

const st_tensor *hf_find(const import_ctx *x, const char *hf, int l)
{
    char name[512];
    hf_name(x, hf, l, name, sizeof name);
    return st_set_find(x->s, name);
}

static const name_rule *rule_for(const hf_family *f, const char *ns, int *l)
{
    for (const name_rule *r = f->rules; r->ns; r++)
        if (hf_match(r->ns, ns, l))
            return r;
    return NULL;
}

const st_tensor *hf_ns_find(const import_ctx *x, const char *ns)
{
    int l;
    const name_rule *r = rule_for(x->fam, ns, &l);
    return r ? hf_find(x, r->hf, l < 0 ? 0 : l) : NULL;
}

static int is_ignored(const hf_family *f, const char *prefix, const char *name)
{
    int l;
    for (const char *const *g = f->ignored; *g; g++) {
        const char *pat = **g == '/' ? *g + 1 : *g;
        size_t np = **g == '/' ? 0 : strlen(prefix);
        if (strncmp(name, prefix, np) == 0 && hf_match(pat, name + np, &l))
            return 1;
    }
    return 0;
}

/* tensors of s that a rule or an ignore pattern of f (with prefix) names */
static int names_known(const st_set *s, const hf_family *f, const char *prefix)
{
    int n = 0, l;
    size_t np = strlen(prefix);
    for (int i = 0; i < s->n; i++) {
        const char *name = s->t[i]->name;
        int hit = is_ignored(f, prefix, name);
        for (const name_rule *r = f->rules; r->ns && !hit; r++) {
            int own = r->hf[0] == '/';
            if (own || strncmp(name, prefix, np) == 0)
                hit = hf_match(own ? r->hf + 1 : r->hf, own ? name : name + np, &l);
        }
        n += hit;
    }
    return n;
}

/* the prefix under which f's embedding is found, or NULL */
static const char *prefix_of(const st_set *s, const hf_family *f)
{
    for (int p = 0; p < 3 && f->prefixes[p]; p++) {
        char name[256];
        snprintf(name, sizeof name, "%s%s", f->prefixes[p], f->embed);
        if (st_set_find(s, name))
            return f->prefixes[p];
    }
    return NULL;
}

/* ---- the family ---- */

static const hf_family *family_of_type(const char *mt)
{
    for (int f = 0; f < hf_n_families; f++)
        for (int t = 0; t < 4 && hf_families[f].model_types[t]; t++)
            if (strcmp(hf_families[f].model_types[t], mt) == 0)
                return &hf_families[f];
    return NULL;
}

static const hf_family *family_of_arch(const char *arch)
{
    for (int f = 0; f < hf_n_families; f++)
        if (strcmp(hf_families[f].arch, arch) == 0)
            return &hf_families[f];
    return NULL;
}

/* the family whose names cover the most tensors (ties: the first); a warning says so */
static int guess_family(import_ctx *x, ns_err *e)
{
    int best = -1, score = 0;
    char also[256] = "";
    for (int f = 0; f < hf_n_families; f++) {
        const char *p = prefix_of(x->s, &hf_families[f]);
        int n = p ? names_known(x->s, &hf_families[f], p) : 0;
        if (n > score)
            best = f, score = n, also[0] = '\0';
        else if (n == score && n > 0 && strcmp(hf_families[f].arch, hf_families[best].arch) != 0 &&
                 strlen(also) + strlen(hf_families[f].arch) + 3 < sizeof also)
            snprintf(also + strlen(also), sizeof also - strlen(also), ", %s", hf_families[f].arch);
    }
    char list[1024];
    hf_family_list(list, sizeof list);
    if (best < 0)
        return ns_fail(e, NS_EUSAGE, "cannot tell the model family of %s: no config.json with a model_type, "
                       "and its tensor names fit no family: pass --arch or --config (import supports %s)",
                       x->s->path, list);
    x->fam = &hf_families[best];
    x->prefix = prefix_of(x->s, x->fam);
    x->guessed = 1;
    snprintf(x->guess_note, sizeof x->guess_note, "%s: no model_type in config.json: the tensor names fit "
             "%s%s%s (%d of %d tensors); imported as %s, every tensor checked against its names (pass --arch "
             "or a config.json to say)", x->s->path, x->fam->arch, also[0] ? " and equally " : "",
             also[0] ? also + 2 : "", score, x->s->n, x->fam->arch);
    return NS_OK;
}

/* config.json's model_type, else --arch, else the guess */
static int pick_family(import_ctx *x, const ckpt_opts *o, ns_err *e)
{
    const char *mt = cfg_str(x->cfg, "model_type");
    char list[1024];
    hf_family_list(list, sizeof list);
    if (mt) {
        x->fam = family_of_type(mt);
        if (!x->fam && strncmp(mt, "gguf:", 5) == 0)
            return ns_fail(e, NS_EUSAGE, "%s: GGUF architecture '%s' is not supported (GGUF import reads "
                           "llama and gpt2)", x->s->path, mt + 5);
        if (!x->fam)
            return ns_fail(e, NS_EUSAGE, "config.json: model_type '%s' is not a family normsim imports "
                           "(supported: %s)", mt, list);
        if (o->arch && strcmp(o->arch, x->fam->arch) != 0)
            return ns_fail(e, NS_EUSAGE, "--arch %s, but config.json's model_type '%s' is normsim's %s", o->arch,
                           mt, x->fam->arch);
    } else if (o->arch) {
        x->fam = family_of_arch(o->arch);
        if (!x->fam)
            return ns_fail(e, NS_EUSAGE, "checkpoint import has no Hugging Face naming for --arch '%s' "
                           "(supported: %s)", o->arch, list);
    } else
        return guess_family(x, e);
    x->prefix = prefix_of(x->s, x->fam);
    if (!x->prefix)
        return ns_fail(e, NS_EUSAGE, "%s has no %s%s: not a %s checkpoint in Hugging Face naming? (its first "
                       "tensor is '%s')", x->s->path, x->fam->prefixes[0], x->fam->embed, x->fam->arch,
                       x->s->n ? x->s->t[0]->name : "none");
    return NS_OK;
}


/* ---- GGUF metadata as a config ---- */

cJSON *hf_gguf_config(const st_set *s)
{
    const char *arch = s->n_files == 1 ? st_meta(&s->files[0], "general.architecture") : NULL;
    if (!arch)
        return NULL;
    cJSON *c = cJSON_CreateObject();
    char mt[96];
    snprintf(mt, sizeof mt, "gguf:%.80s", arch);
    for (int i = 0; c && i < s->files[0].n_meta; i++) {
        const char *k = s->files[0].meta_key[i], *v = s->files[0].meta_val[i];
        char *end;
        double num = strtod(v, &end);
        if (*v && !*end)
            cJSON_AddNumberToObject(c, k, num);
        else if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0)
            cJSON_AddBoolToObject(c, k, v[0] == 't');
        else
            cJSON_AddStringToObject(c, k, v);
    }
    if (c)
        cJSON_AddStringToObject(c, "model_type", mt);
    return c;
}

/* ---- copying, after every shape is checked ---- */

typedef struct {
    const ns_tensor *dst;
    const st_tensor *src;
    int conv, part;
} copy_plan;

/* the expected source shape of conv for destination d, in words (for messages) */
static void want_shape(int conv, const ns_tensor *d, const ns_model *m, char *want, size_t n)
{
    const unsigned long long R = (unsigned long long)d->rows, C = (unsigned long long)d->cols;
    const unsigned long long F = (unsigned long long)(m->q_dim + 2 * m->kv_dim);
    const int vec = R == 1;
    switch (conv) {
    case CV_QKV_T: snprintf(want, n, "(%llu, %llu) (Conv1D: in, 3 x out)", C, 3 * R); break;
    case CV_QKV_B: snprintf(want, n, "(%llu,)", 3 * C); break;
    case CV_ROWS: snprintf(want, n, "(>= %llu, %llu)", R, C); break;
    case CV_T: snprintf(want, n, "(%llu, %llu) (Conv1D: in, out)", C, R); break;
    case CV_HEADS3:
        snprintf(want, n, vec ? "(%llu,) (fused per head)" : "(%llu, %llu) (fused per head)", vec ? 3 * C : 3 * R, C);
        break;
    case CV_BLOCKS: snprintf(want, n, vec ? "(%llu,) (fused q, k, v)" : "(%llu, %llu) (fused q, k, v)", F, C); break;
    case CV_FLAT: snprintf(want, n, "%llu elements", R * C); break;
    default:
        if (vec)
            snprintf(want, n, "(%llu,)", C);
        else
            snprintf(want, n, "(%llu, %llu)", R, C);
    }
}

static int shape_ok(const st_tensor *t, int conv, const ns_tensor *d, const ns_model *m)
{
    const uint64_t R = (uint64_t)d->rows, C = (uint64_t)d->cols, F = (uint64_t)(m->q_dim + 2 * m->kv_dim);
    const int vec = R == 1;
    switch (conv) {
    case CV_COPY:
    case CV_UNPERMUTE:
        return (t->ndim == 2 && t->shape[0] == R && t->shape[1] == C) || (vec && t->ndim == 1 && t->shape[0] == C);
    case CV_T: return t->ndim == 2 && t->shape[0] == C && t->shape[1] == R;
    case CV_QKV_T: return t->ndim == 2 && t->shape[0] == C && t->shape[1] == 3 * R;
    case CV_QKV_B: return t->ndim == 1 && t->shape[0] == 3 * C;
    case CV_HEADS3:
        return vec ? t->ndim == 1 && t->shape[0] == 3 * C : t->ndim == 2 && t->shape[0] == 3 * R && t->shape[1] == C;
    case CV_BLOCKS: return vec ? t->ndim == 1 && t->shape[0] == F : t->ndim == 2 && t->shape[0] == F && t->shape[1] == C;
    case CV_FLAT: return t->count == R * C;
    default: return t->ndim == 2 && t->shape[0] >= R && t->shape[1] == C; /* CV_ROWS */
    }
}

static int expect_shape(const st_tensor *t, int conv, const ns_tensor *d, const ns_model *m, ns_err *e)
{
    int ok = shape_ok(t, conv, d, m);
    if (ok && num_is_float(t->dtype))
        return NS_OK;
    char have[128], want[128];
    st_shape_str(t, have, sizeof have);
    if (ok)
        return ns_fail(e, NS_EUSAGE, "tensor '%s' has dtype %s; a float dtype is needed", t->name,
                       st_dtype_name(t->dtype));
    want_shape(conv, d, m, want, sizeof want);
    return ns_fail(e, NS_EUSAGE, "tensor '%s' has shape %s but the model needs %s", t->name, have, want);
}

/* fused rows: destination row r of block `part` is source row src_row(r) */
static uint64_t fused_row(const copy_plan *p, const ns_model *m, uint64_t r)
{
    const uint64_t hd = (uint64_t)m->hd, half = hd / 2;
    if (p->conv == CV_UNPERMUTE) /* HF row (h, j, i) <- file row (h, i, j) */
        return r / hd * hd + (r % hd % half) * 2 + r % hd / half;
    if (p->conv == CV_HEADS3) /* [head][q k v][head_dim] */
        return (r / (uint64_t)m->hd) * 3 * (uint64_t)m->hd + (uint64_t)p->part * (uint64_t)m->hd + r % (uint64_t)m->hd;
    uint64_t first = p->part == 0 ? 0 : p->part == 1 ? (uint64_t)m->q_dim : (uint64_t)(m->q_dim + m->kv_dim);
    return first + r; /* CV_BLOCKS: [q heads][k heads][v heads] */
}

static int copy_one(const st_set *s, const copy_plan *p, const ns_model *m, double *row, ns_err *e)
{
    uint64_t R = (uint64_t)p->dst->rows, C = (uint64_t)p->dst->cols;
    double *out = m->params + p->dst->offset;
    int rc = NS_OK;
    switch (p->conv) {
    case CV_COPY:
    case CV_ROWS:
    case CV_FLAT:
        return st_set_read(s, p->src, 0, R * C, out, e);
    case CV_QKV_B:
        return st_set_read(s, p->src, (uint64_t)p->part * C, C, out, e);
    case CV_HEADS3:
    case CV_BLOCKS:
    case CV_UNPERMUTE:
        if (R == 1) /* a bias: one element per row */
            R = C, C = 1;
        for (uint64_t r = 0; r < R && !rc; r++)
            rc = st_set_read(s, p->src, fused_row(p, m, r) * C, C, out + r * C, e);
        return rc;
    default: /* CV_T, CV_QKV_T: source row c holds column c of the output */
        for (uint64_t c = 0; c < C && !rc; c++) {
            uint64_t stride = p->conv == CV_T ? R : 3 * R, first = c * stride + (uint64_t)p->part * R;
            rc = st_set_read(s, p->src, first, R, row, e);
            for (uint64_t r = 0; r < R && !rc; r++)
                out[r * C + c] = row[r];
        }
        return rc;
    }
}

static int plan_copies(import_ctx *x, const ns_model *m, copy_plan *plan, ns_err *e)
{
    for (int i = 0; i < m->n_tensors; i++) {
        const ns_tensor *t = &m->tensors[i];
        int l, rc;
        const name_rule *r = rule_for(x->fam, t->name, &l);
        char name[512];
        if (!r)
            return ns_fail(e, NS_ERUN, "no %s import rule for normsim tensor '%s'", x->fam->arch, t->name);
        hf_name(x, r->hf, l, name, sizeof name);
        const st_tensor *src = st_set_find(x->s, name);
        if (!src)
            return ns_fail(e, NS_EUSAGE, "checkpoint lacks '%s' (needed for %s%s)", name, t->name,
                           x->guessed ? "; the family was guessed from the tensor names" : "");
        if ((rc = expect_shape(src, r->conv, t, m, e)))
            return rc;
        plan[i] = (copy_plan){t, src, r->conv, r->part};
    }
    return NS_OK;
}

static void count_unused(const import_ctx *x, const copy_plan *plan, int n_plan, int *unused, char *first,
                         size_t len)
{
    int n = 0;
    for (int i = 0; i < x->s->n; i++) {
        const st_tensor *t = x->s->t[i];
        int used = 0;
        for (int j = 0; j < n_plan && !used; j++)
            used = plan[j].src == t;
        if (used || is_ignored(x->fam, x->prefix, t->name))
            continue;
        if (n++ == 0 && first)
            snprintf(first, len, "%s", t->name);
    }
    if (unused)
        *unused = n;
}

static int copy_all(import_ctx *x, const ns_model *m, int *unused, char *first, size_t len, ns_err *e)
{
    const ns_config *c = &m->cfg;
    copy_plan *plan = calloc((size_t)m->n_tensors + 1, sizeof *plan);
    int maxr = c->d > m->d_ff ? c->d : m->d_ff;
    double *row = malloc(sizeof(double) * ((size_t)maxr * 3 + (size_t)c->vocab + 1));
    int n_unused = 0, rc = plan && row ? plan_copies(x, m, plan, e) : ns_fail(e, NS_ERUN, "out of memory");
    char name[256] = "";
    if (!rc) {
        count_unused(x, plan, m->n_tensors, &n_unused, name, sizeof name);
        if (x->guessed && n_unused)
            rc = ns_fail(e, NS_EUSAGE, "%s: %d tensor%s not in %s's names (e.g. '%s'): not a %s checkpoint? "
                         "(the family was guessed from the tensor names: pass --arch or a config.json)",
                         x->s->path, n_unused, n_unused == 1 ? " is" : "s are", c->arch, name, c->arch);
    }
    for (int i = 0; i < m->n_tensors && !rc; i++)
        rc = copy_one(x->s, &plan[i], m, row, e);
    if (!rc && unused)
        *unused = n_unused;
    if (!rc && first)
        snprintf(first, len, "%s", name);
    free(plan);
    free(row);
    return rc;
}

int ckpt_import_hf(const st_set *s, const ckpt_opts *o, ns_model *m, int *unused, char *first, size_t len,
                   ns_err *e)
{
    ns_config c;
    cJSON *gguf = hf_gguf_config(s); /* a GGUF file: its metadata is its config */
    import_ctx x = {s, NULL, "", gguf ? gguf : o->config, 0, ""};
    int rc = pick_family(&x, o, e);
    if (rc || (rc = hf_config(&x, o, &c, e)) || (rc = model_create(m, &c, e))) {
        cJSON_Delete(gguf);
        return rc;
    }
    if ((rc = copy_all(&x, m, unused, first, len, e)))
        model_free(m);
    else
        m->prec = o->prec;
    if (!rc && x.guessed) /* on success only: an error stays one line */
        fprintf(stderr, "normsim: warning: %s\n", x.guess_note);
    cJSON_Delete(gguf);
    return rc;
}

const char *ckpt_import_archs(void)
{
    return "gpt2, pythia, opt, bloom, falcon, phi2, command-r, llama, mistral, qwen2, gemma, t5, olmo1, "
           "olmo2, bert, vit, dinov2";
}

int ckpt_tensor_fits(const st_tensor *t, const ns_tensor *d, ns_err *e)
{
    ns_model none;
    memset(&none, 0, sizeof none);
    return expect_shape(t, CV_COPY, d, &none, e);
}
