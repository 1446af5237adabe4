/* diagnose_acts.c - `normsim diagnose --acts`: the diagnostic on an N x d activation matrix
 * made elsewhere (a .npy file or a safetensors tensor, any float dtype), streamed in chunks
 * into the covariance: memory O(d^2) for any N. The predicted kernel comes from a gamma
 * (and beta) through the registry; without one, the spectrum and the bottom direction. */
#include "sim/cli/commands.h"
#include "sim/base/out_path.h"
#include "sim/cli/args.h"
#include "sim/cli/model_opts.h"
#include "sim/checkpoint/checkpoint.h"
#include "sim/stats/cov.h"
#include "sim/diag/diag.h"
#include "sim/checkpoint/norm_scan.h"
#include "sim/io/npy.h"
#include "sim/base/precision.h"
#include "sim/diag/diag_report.h"
#include "norms/registry.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define ACTS_MAX_D 16384

const char diagnose_acts_help[] =
    "activation files (no model is run):\n"
    "  --acts FILE          the diagnostic on activations made elsewhere: FILE.npy (float16/32/64,\n"
    "                       C order; shape (N, d), or (..., d) read as rows), or\n"
    "                       CHECKPOINT:TENSOR (a safetensors tensor, F64/F32/F16/BF16). Streamed:\n"
    "                       memory O(d^2) for any N. Needs N > d\n"
    "  --gamma SPEC         the norm's scale g, for the predicted kernel: g.npy, CHECKPOINT:TENSOR,\n"
    "                       or CHECKPOINT alone (its final norm's scale and bias, as `inspect`\n"
    "                       finds them). Without --gamma or --norm: spectrum and bottom direction only\n"
    "  --beta SPEC          the norm's shift b (checks p'mean(y) = p'b)\n"
    "  --norm KIND          the norm's scheme (default: layernorm with --beta, else\n"
    "                       layernorm-nobias; with a CHECKPOINT gamma: as `inspect` classifies it)\n"
    "  --final NAME, --config FILE, --no-config   as for `inspect` (CHECKPOINT gamma)\n"
    "  --write-bottom FILE  save the measured bottom eigenvector as .npy (float64, (d,))\n"
    "  --threshold T, --format F, --threads N   as above; the default threshold follows the\n"
    "                       file's dtype\n";

typedef struct {
    const char *acts, *gamma, *beta, *kind, *final, *config, *write_bottom;
    int no_config, format;
    double threshold;
} acts_opts;

/* ---- a source of rows: .npy or a safetensors tensor ---- */

typedef struct {
    int is_npy;
    npy_reader npy;
    st_set st;
    const st_tensor *t;
    uint64_t rows, cols, next;
    num_type dtype;
    char desc[32];
} row_source;

static int exists(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0;
}

static int has_npy_magic(const char *path)
{
    unsigned char m[6] = {0};
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    size_t n = fread(m, 1, 6, f);
    fclose(f);
    return n == 6 && memcmp(m, "\x93NUMPY", 6) == 0;
}

/* "PATH" (an existing file) or "PATH:TENSOR" -> path, tensor (NULL when not given) */
static int split_spec(const char *spec, char *path, size_t n, const char **tensor, ns_err *e)
{
    *tensor = NULL;
    if (exists(spec)) {
        snprintf(path, n, "%s", spec);
        return NS_OK;
    }
    const char *colon = strrchr(spec, ':');
    if (!colon || colon == spec || (size_t)(colon - spec) >= n)
        return ns_fail(e, NS_EUSAGE, "cannot open %s: no such file", spec);
    snprintf(path, n, "%.*s", (int)(colon - spec), spec);
    if (!exists(path))
        return ns_fail(e, NS_EUSAGE, "cannot open %s: no such file", path);
    *tensor = colon + 1;
    return NS_OK;
}

static int open_tensor(st_set *s, const char *path, const char *name, const st_tensor **t, ns_err *e)
{
    int rc = st_set_open(s, path, e);
    if (rc)
        return rc;
    if (!name && s->n == 1)
        *t = s->t[0];
    else if (!name)
        rc = ns_fail(e, NS_EUSAGE, "%s holds %d tensors: name one as %s:TENSOR", path, s->n, path);
    else if (!(*t = st_set_find(s, name)))
        rc = ns_fail(e, NS_EUSAGE, "%s has no tensor '%s'", path, name);
    else if (!num_is_float((*t)->dtype))
        rc = ns_fail(e, NS_EUSAGE, "tensor '%s' has dtype %s; a float dtype is needed", name,
                     st_dtype_name((*t)->dtype));
    if (rc)
        st_set_close(s);
    return rc;
}

static void source_close(row_source *r);

static int source_open(row_source *r, const char *spec, ns_err *e)
{
    char path[4096];
    const char *tensor;
    memset(r, 0, sizeof *r);
    struct stat sb;
    int std_in = strcmp(spec, "-") == 0, rc = std_in ? NS_OK : split_spec(spec, path, sizeof path, &tensor, e);
    if (rc)
        return rc;
    /* '-', a FIFO or a pipe: opened once and streamed, so .npy only (safetensors seeks) */
    int stream = std_in || (!tensor && stat(path, &sb) == 0 && !S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode));
    if (std_in)
        snprintf(path, sizeof path, "standard input");
    if (stream || (!tensor && has_npy_magic(path))) {
        r->is_npy = 1;
        if ((rc = std_in ? npy_open_stream(&r->npy, stdin, "standard input (--acts -)", e) : npy_open(&r->npy, path, e)))
            return rc;
        r->dtype = r->npy.h.dtype;
        snprintf(r->desc, sizeof r->desc, "npy %s", r->npy.h.descr);
        if (r->npy.h.ndim < 2)
            rc = ns_fail(e, NS_EUSAGE, "%s: activations need 2 dimensions (N, d), got %d", path,
                         r->npy.h.ndim);
        else if (!num_is_float(r->dtype))
            rc = ns_fail(e, NS_EUSAGE, "%s: activations must be floats, got dtype '%s'", path,
                         r->npy.h.descr);
        r->rows = r->npy.h.rows;
        r->cols = r->npy.h.cols;
    } else {
        if ((rc = open_tensor(&r->st, path, tensor, &r->t, e)))
            return rc;
        r->dtype = r->t->dtype;
        snprintf(r->desc, sizeof r->desc, "safetensors %s", st_dtype_name(r->dtype));
        if (r->t->ndim < 2)
            rc = ns_fail(e, NS_EUSAGE, "tensor '%s': activations need 2 dimensions (N, d), got %d",
                         r->t->name, r->t->ndim);
        r->cols = r->t->ndim ? r->t->shape[r->t->ndim - 1] : 1;
        r->rows = r->cols ? r->t->count / r->cols : 0;
    }
    if (rc)
        source_close(r);
    return rc;
}

static int source_read(row_source *r, double *out, uint64_t max_rows, uint64_t *got, ns_err *e)
{
    if (r->is_npy)
        return npy_read_rows(&r->npy, out, max_rows, got, e);
    uint64_t n = r->rows - r->next < max_rows ? r->rows - r->next : max_rows;
    int rc = st_set_read(&r->st, r->t, r->next * r->cols, n * r->cols, out, e);
    r->next += rc ? 0 : n;
    *got = rc ? 0 : n;
    return rc;
}

static void source_close(row_source *r)
{
    if (r->is_npy)
        npy_close(&r->npy);
    else if (r->st.n_files)
        st_set_close(&r->st);
    r->is_npy = 0;
    r->st.n_files = 0;
}

/* ---- gamma, beta ---- */

typedef struct {
    double *g, *b;
    const char *kind;        /* scheme for the prediction; NULL: no prediction */
    char origin[32];         /* for the report's gamma field */
} norm_given;

/* a vector of length d from .npy (d,) / (1, d) or a safetensors tensor */
static int load_vector(const char *spec, const char *what, uint64_t d, double **out, ns_err *e)
{
    char path[4096];
    const char *tensor;
    int rc = split_spec(spec, path, sizeof path, &tensor, e);
    uint64_t n = 0, rows = 1;
    if (rc)
        return rc;
    if (!tensor && has_npy_magic(path)) {
        npy_header h;
        if ((rc = npy_load(path, out, &h, e)))
            return rc;
        n = h.count;
        rows = h.rows;
    } else {
        st_set s;
        const st_tensor *t;
        if ((rc = open_tensor(&s, path, tensor, &t, e)))
            return rc;
        n = t->count;
        rows = t->ndim >= 2 ? t->count / (t->shape[t->ndim - 1] ? t->shape[t->ndim - 1] : 1) : 1;
        *out = st_set_load(&s, t, e);
        rc = *out ? NS_OK : e->code;
        st_set_close(&s);
        if (rc)
            return rc;
    }
    if (n != d || rows != 1) {
        free(*out);
        *out = NULL;
        return ns_fail(e, NS_EUSAGE, "%s %s has %llu values in %llu row(s); the activations have d = %llu",
                       what, spec, (unsigned long long)n, (unsigned long long)rows, (unsigned long long)d);
    }
    return NS_OK;
}

/* --gamma CHECKPOINT: the final norm found by the scan; CHECKPOINT:TENSOR: the norm layer whose
 * scale is TENSOR, its kind as the scan classifies it (*found = 0 when the scan has no such layer) */
static int gamma_from_checkpoint(const acts_opts *o, const char *path, const char *tensor, uint64_t d,
                                 norm_given *ng, int *found, ns_err *e)
{
    cJSON *cfg;
    st_set s;
    scan_result r;
    char prefix[512];
    snprintf(prefix, sizeof prefix, "%s", tensor ? tensor : "");
    if (strrchr(prefix, '.'))
        *strrchr(prefix, '.') = '\0';
    *found = 1;
    int rc = ckpt_load_config(path, o->config, o->no_config, &cfg, NULL, 0, e);
    if (rc || (rc = st_set_open(&s, path, e))) {
        cJSON_Delete(cfg);
        return rc;
    }
    scan_opts so = {NULL, o->kind, tensor ? prefix : o->final, cfg};
    ns_err quiet = {0};
    if (!(rc = norm_scan(&s, &so, &r, tensor ? &quiet : e))) {
        const norm_layer *l = r.final >= 0 ? &r.layers[r.final] : NULL;
        if (tensor && (!l || !l->scale || strcmp(l->scale->name, tensor) != 0))
            *found = 0, rc = NS_EUSAGE;
        else if (!l)
            rc = ns_fail(e, NS_EUSAGE, "%s: no final norm with parameters found (use --gamma FILE:TENSOR)", path);
        else if ((uint64_t)l->d != d)
            rc = ns_fail(e, NS_EUSAGE, "final norm %s has d = %d; the activations have d = %llu", l->prefix,
                         l->d, (unsigned long long)d);
        else if (!l->kind)
            rc = ns_fail(e, NS_EUSAGE, "final norm %s: %s", l->prefix, l->resolved_by);
        if (!rc && l->scale && !(ng->g = st_set_load(&s, l->scale, e)))
            rc = e->code;
        if (!rc && l->bias && !o->beta && !(ng->b = st_set_load(&s, l->bias, e)))
            rc = e->code;
        if (!rc) { /* the registry's own name: l->kind dies with the scan result */
            const norm_ops *ops = norm_find(l->kind);
            ng->kind = ops ? ops->name : NULL;
            if (!ops)
                rc = ns_fail(e, NS_EUSAGE, "final norm %s: scheme '%s' is not registered", l->prefix, l->kind);
            else
                fprintf(stderr, "normsim: note: gamma from %s (%s, %s)\n", l->prefix, l->kind, l->resolved_by);
        }
        scan_result_free(&r);
    } else if (tensor)
        *found = 0;
    st_set_close(&s);
    cJSON_Delete(cfg);
    return *found ? rc : NS_OK;
}

static int load_norm(const acts_opts *o, uint64_t d, norm_given *ng, ns_err *e)
{
    char path[4096];
    const char *tensor;
    struct stat sb;
    int rc = NS_OK;
    memset(ng, 0, sizeof *ng);
    snprintf(ng->origin, sizeof ng->origin, "none");
    if (!o->gamma && !o->kind) {
        if (o->beta)
            return ns_fail(e, NS_EUSAGE, "--beta needs --gamma (or --norm)");
        return NS_OK;
    }
    if (o->gamma && (rc = split_spec(o->gamma, path, sizeof path, &tensor, e)))
        return rc;
    int ckpt = o->gamma && (stat(path, &sb) == 0) && (S_ISDIR(sb.st_mode) || !has_npy_magic(path)), found = 0;
    if (ckpt)
        rc = gamma_from_checkpoint(o, path, tensor, d, ng, &found, e);
    ckpt = ckpt && found;
    if (!ckpt && o->gamma && !rc) /* a .npy, or a tensor that is no norm's scale: a plain gain */
        rc = load_vector(o->gamma, "--gamma", d, &ng->g, e);
    if (!rc && o->beta)
        rc = load_vector(o->beta, "--beta", d, &ng->b, e);
    if (rc)
        return rc;
    if (!ng->kind)
        ng->kind = o->kind ? o->kind : ng->b ? "layernorm" : "layernorm-nobias";
    snprintf(ng->origin, sizeof ng->origin, "%s", ckpt ? "checkpoint" : o->gamma ? "file" : "init");
    return NS_OK;
}

/* ---- the run ---- */

static int parse(int argc, char **argv, acts_opts *o, ns_err *e)
{
    memset(o, 0, sizeof *o);
    o->format = FORMAT_TABLE;
    int threads = 0;
    const arg_spec opts[] = {
        ARG_C("--threads", &threads, model_opts_parse_threads), ARG_S("--acts", &o->acts), ARG_S("--gamma", &o->gamma), ARG_S("--beta", &o->beta),
        ARG_S("--norm", &o->kind), ARG_S("--final", &o->final), ARG_S("--config", &o->config),
        ARG_S("--write-bottom", &o->write_bottom), ARG_F("--no-config", &o->no_config),
        ARG_D("--threshold", &o->threshold, 1e-300, 1.0),
        ARG_C("--format", &o->format, arg_parse_format),
    };
    if (arg_table_all(argc, argv, opts, ARG_N(opts), "diagnose --acts (see normsim diagnose --help)",
                      e))
        return e->code;
    if (o->kind && !norm_find(o->kind)) {
        char names[512];
        norm_names(names, sizeof names);
        return ns_fail(e, NS_EUSAGE, "unknown norm '%s' (valid: %s)", o->kind, names);
    }
    return NS_OK;
}

/* threshold default: max(1e-10, u^2), u the unit roundoff of the stored dtype */
static double default_threshold(num_type t)
{
    precision p = t == NUM_F32 ? PREC_F32 : t == NUM_F16 ? PREC_F16
                : t == NUM_BF16 || t == NUM_F8_E4M3 || t == NUM_F8_E5M2 ? PREC_BF16 : PREC_F64;
    double u = precision_unit_roundoff(p);
    return u * u > 1e-10 ? u * u : 1e-10;
}

/* go to row (this rank's first) */
static int source_seek(row_source *r, uint64_t row, ns_err *e)
{
    if (r->is_npy)
        return npy_seek_row(&r->npy, row, e);
    r->next = row;
    return NS_OK;
}

/* stream rows [begin, end) into the covariance (under normsim-mpi: this rank's share,
 * sim/base/dist.h); a non-finite value is an error naming its row */
static int accumulate(row_source *src, const char *spec, uint64_t begin, uint64_t end, cov_acc *cov, ns_err *e)
{
    const uint64_t d = src->cols, chunk = d >= (1u << 20) ? 1 : (1u << 20) / d;
    double *buf = malloc(sizeof(double) * (size_t)(chunk * d));
    if (!buf)
        return ns_fail(e, NS_ERUN, "out of memory for a %llu-row chunk", (unsigned long long)chunk);
    int rc = begin ? source_seek(src, begin, e) : NS_OK;
    for (uint64_t row = begin, got = 1; !rc && got > 0 && row < end; row += got) {
        if ((rc = source_read(src, buf, end - row < chunk ? end - row : chunk, &got, e)))
            break;
        for (uint64_t i = 0; i < got * d && !rc; i++)
            if (!isfinite(buf[i]))
                rc = ns_fail(e, NS_EUSAGE, "%s: row %llu (0-based) has a non-finite value (%g) in column "
                             "%llu: activations must be finite", spec, (unsigned long long)(row + i / d),
                             buf[i], (unsigned long long)(i % d));
        if (!rc && got > 0)
            rc = cov_add(cov, buf, (int)got, e);
    }
    free(buf);
    return rc;
}

/* with a beta: p'y = p'b on every token, so p'mean(y) must equal p'b */
static void check_beta(const cov_acc *cov, const double *P, int k, const double *b, int d)
{
    if (k != 1 || !b)
        return;
    double pm = 0.0, pb = 0.0, scale = 0.0;
    for (int i = 0; i < d; i++) {
        pm += P[i] * cov->mean[i];
        pb += P[i] * b[i];
        scale = fmax(scale, fabs(cov->mean[i]));
    }
    if (fabs(pm - pb) > 1e-3 * fmax(scale, 1e-300) + 1e-12)
        fprintf(stderr, "normsim: warning: acts: p'mean(y) = %.9g but p'b = %.9g: the beta does not match "
                "these activations (or they are not this norm's output)\n", pm, pb);
}

static int run(const acts_opts *o, run_result *res, ns_err *e)
{
    row_source src;
    norm_given ng = {0};
    cov_acc cov = {0};
    double *P = NULL;
    int k = -1, rc = source_open(&src, o->acts, e);
    if (rc)
        return rc;
    const uint64_t N = src.rows, d = src.cols;
    if (d < 1 || d > ACTS_MAX_D)
        rc = ns_fail(e, NS_EUSAGE, "%s: d = %llu columns is outside [1, %d]", o->acts, (unsigned long long)d,
                     ACTS_MAX_D);
    else if (N <= d)
        rc = ns_fail(e, NS_EUSAGE, "%s: %llu rows <= d = %llu columns: the verdict would be UNDETERMINED "
                     "(the centred covariance has at least %llu zero eigenvalues whatever the model); "
                     "give more rows than columns", o->acts, (unsigned long long)N, (unsigned long long)d,
                     (unsigned long long)(d - N + 1));
    if (!rc)
        rc = load_norm(o, d, &ng, e);
    if (!rc && ng.kind && (k = norm_predicted_kernel(ng.kind, (int)d, ng.g, ng.b, &P, e)) < 0)
        rc = e->code;
    if (!rc)
        rc = cov_init(&cov, (int)d, e);
    const ns_dist *dist = cli_dist(); /* normsim-mpi: each rank its rows, merged on rank 0 */
    unsigned long long begin, end;
    ns_dist_share(dist, N, &begin, &end);
    if (!rc)
        rc = accumulate(&src, o->acts, begin, end, &cov, e);
    if (!rc)
        rc = cov_reduce(&cov, dist, e);
    double thr = o->threshold > 0 ? o->threshold : default_threshold(src.dtype);
    if (!rc && (!dist || dist->rank == 0))
        rc = diag_measure(&cov, P, k, thr, &res->r, e);
    if (!rc && (!dist || dist->rank == 0))
        check_beta(&cov, P, k, ng.b, (int)d);
    snprintf(res->cfg.arch, sizeof res->cfg.arch, "acts");
    snprintf(res->cfg.norm, sizeof res->cfg.norm, "%s", ng.kind ? ng.kind : "none");
    res->cfg.d = (int)d;
    const norm_ops *ops = ng.kind ? norm_find(ng.kind) : NULL;
    res->kernel_formula = ops ? ops->kernel_formula : "none given (no --gamma, no --norm)";
    snprintf(res->gamma, sizeof res->gamma, "%s", ng.origin);
    snprintf(res->data, sizeof res->data, "%s", src.desc);
    res->precision = src.dtype == NUM_F32 ? "f32" : src.dtype == NUM_F16 ? "f16" : src.dtype == NUM_BF16 ? "bf16"
                   : src.dtype == NUM_F8_E4M3 ? "f8_e4m3" : src.dtype == NUM_F8_E5M2 ? "f8_e5m2" : "f64";
    free(P);
    free(ng.g);
    free(ng.b);
    cov_free(&cov);
    source_close(&src);
    return rc;
}

int diagnose_acts(int argc, char **argv)
{
    acts_opts o;
    run_result res;
    ns_err e = {0};
    memset(&res, 0, sizeof res);
    int rc = parse(argc, argv, &o, &e);
    if (!rc && !o.acts)
        rc = ns_fail(&e, NS_EUSAGE, "--acts needs a file");
    if (!rc && o.write_bottom) /* before any work (sim/base/out_path.h) */
        rc = out_check_file(o.write_bottom, "--write-bottom", &e);
    if (!rc)
        rc = run(&o, &res, &e);
    if (!rc && cli_dist_worker()) { /* rank 0 reports */
        diag_report_free(&res.r);
        return 0;
    }
    if (!rc && o.write_bottom) {
        uint64_t shape[1] = {(uint64_t)res.r.d};
        rc = npy_write_as(o.write_bottom, NUM_F64, res.r.bottom, 1, shape, &e);
    }
    if (!rc && res.r.warning[0])
        fprintf(stderr, "normsim: warning: acts/%s: %s\n", res.cfg.norm, res.r.warning);
    if (!rc)
        rc = report_write(stdout, o.format, &res, 1, &e);
    diag_report_free(&res.r);
    return rc ? cli_error(&e) : 0;
}

/* an option given as "--name" or "--name=..." */
static int has_option(int argc, char **argv, const char *name)
{
    size_t n = strlen(name);
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strncmp(argv[i], name, n) == 0 && (argv[i][n] == '\0' || argv[i][n] == '='))
            return 1;
    return 0;
}

int diagnose_route(int argc, char **argv)
{
    int acts = has_option(argc, argv, "--acts"), ckpt = has_option(argc, argv, "--checkpoint");
    if (acts && ckpt) {
        ns_err e;
        ns_fail(&e, NS_EUSAGE, "--acts and --checkpoint exclude each other");
        return cli_error(&e);
    }
    return acts ? diagnose_acts(argc, argv) : ckpt ? diagnose_checkpoint(argc, argv) : -1;
}
