/* corpus.c - loading and sampling training corpora. */
#include "sim/data/corpus.h"
#include "sim/data/inputs.h"
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* append the bytes of one file to *buf */
static int read_file_bytes(const char *path, unsigned char **buf, long *len, long *cap, ns_err *e)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return ns_fail(e, NS_EUSAGE, "cannot read %s: %s", path, strerror(errno));
    for (;;) {
        if (*len + 65536 > *cap) {
            long nc = *cap ? 2 * *cap : 1 << 20;
            unsigned char *g = realloc(*buf, (size_t)nc);
            if (!g) {
                fclose(f);
                return ns_fail(e, NS_ERUN, "out of memory reading %s", path);
            }
            *buf = g;
            *cap = nc;
        }
        size_t got = fread(*buf + *len, 1, 65536, f);
        *len += (long)got;
        if (got < 65536)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    return bad ? ns_fail(e, NS_EUSAGE, "error reading %s", path) : NS_OK;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* a folder: every regular file not ending in .dat or .u8 (the fortune index files), sorted */
static int read_dir_bytes(const char *dir, unsigned char **buf, long *len, ns_err *e)
{
    DIR *d = opendir(dir);
    if (!d)
        return ns_fail(e, NS_EUSAGE, "cannot open %s: %s", dir, strerror(errno));
    char *names[4096];
    int n = 0;
    for (struct dirent *de; (de = readdir(d)) && n < 4096;) {
        size_t l = strlen(de->d_name);
        if (de->d_name[0] == '.' || (l > 4 && strcmp(de->d_name + l - 4, ".dat") == 0) ||
            (l > 3 && strcmp(de->d_name + l - 3, ".u8") == 0))
            continue;
        names[n++] = strdup(de->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof names[0], cmp_str);
    long cap = 0;
    int rc = NS_OK;
    for (int i = 0; i < n; i++) {
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (rc == NS_OK && stat(path, &st) == 0 && S_ISREG(st.st_mode))
            rc = read_file_bytes(path, buf, len, &cap, e);
        free(names[i]);
    }
    return rc;
}

static int load_text(corpus *k, const char *path, ns_err *e)
{
    unsigned char *buf = NULL;
    long len = 0, cap = 0;
    struct stat st;
    if (stat(path, &st) != 0)
        return ns_fail(e, NS_EUSAGE, "cannot read %s: %s%s", path, strerror(errno),
                       strcmp(path, FORTUNES_DIR) == 0 ? " (install Debian's fortunes package)" : "");
    int rc = S_ISDIR(st.st_mode) ? read_dir_bytes(path, &buf, &len, e)
                                 : read_file_bytes(path, &buf, &len, &cap, e);
    if (rc == NS_OK && len == 0)
        rc = ns_fail(e, NS_EUSAGE, "%s is empty", path);
    if (rc == NS_OK && !(k->tok = malloc(sizeof(int) * (size_t)len)))
        rc = ns_fail(e, NS_ERUN, "out of memory for %ld bytes of text", len);
    for (long i = 0; rc == NS_OK && i < len; i++)
        k->tok[i] = buf[i];
    free(buf);
    k->n = len;
    k->vocab = 256;
    return rc;
}

/* llm.c: header int32[256] = {20240520, 1, count, ...}, then count uint16 */
static int load_token_file(corpus *k, const char *path, ns_err *e)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return ns_fail(e, NS_EUSAGE, "cannot read %s: %s", path, strerror(errno));
    int32_t head[256];
    int rc = NS_OK;
    if (fread(head, sizeof head, 1, f) != 1)
        rc = ns_fail(e, NS_EUSAGE, "%s: shorter than the 1024-byte llm.c header", path);
    else if (head[0] != 20240520)
        rc = ns_fail(e, NS_EUSAGE, "%s: bad magic %d (want 20240520, llm.c's token format)", path, head[0]);
    else if (head[1] != 1)
        rc = ns_fail(e, NS_EUSAGE, "%s: unsupported token file version %d (want 1)", path, head[1]);
    else if (head[2] <= 0)
        rc = ns_fail(e, NS_EUSAGE, "%s: holds no tokens", path);
    uint16_t *raw = rc ? NULL : malloc(sizeof(uint16_t) * (size_t)head[2]);
    if (!rc && !raw)
        rc = ns_fail(e, NS_ERUN, "out of memory for %d tokens", head[2]);
    if (!rc && fread(raw, sizeof(uint16_t), (size_t)head[2], f) != (size_t)head[2])
        rc = ns_fail(e, NS_EUSAGE, "%s: truncated: the header promises %d tokens", path, head[2]);
    fclose(f);
    if (!rc && !(k->tok = malloc(sizeof(int) * (size_t)head[2])))
        rc = ns_fail(e, NS_ERUN, "out of memory");
    k->vocab = 0;
    for (long i = 0; !rc && i < head[2]; i++) {
        k->tok[i] = raw[i];
        k->vocab = raw[i] + 1 > k->vocab ? raw[i] + 1 : k->vocab;
    }
    k->n = rc ? 0 : head[2];
    free(raw);
    return rc;
}

/* state s emits the Zipf(S) rank r token perm_s[r]; 2^20 tokens */
static int make_zipf_markov(corpus *k, const char *arg, int V, uint64_t seed, ns_err *e)
{
    double s = 1.1;
    if (arg) {
        char *end;
        s = strtod(arg, &end);
        if (end == arg || *end || !(s > 0) || s > 10)
            return ns_fail(e, NS_EUSAGE, "zipf-markov exponent '%s' must be in (0, 10]", arg);
    }
    const long n = 1L << 20;
    int *perm = malloc(sizeof(int) * (size_t)V * V);
    double *cdf = malloc(sizeof(double) * (size_t)V);
    k->tok = malloc(sizeof(int) * (size_t)n);
    if (!perm || !cdf || !k->tok) {
        free(perm);
        free(cdf);
        return ns_fail(e, NS_ERUN, "out of memory for a %d-state Markov chain", V);
    }
    pcg32 r;
    pcg32_seed(&r, seed, RNG_DATA);
    for (int st = 0; st < V; st++) { /* Fisher-Yates permutation per state */
        int *p = perm + (size_t)st * V;
        for (int i = 0; i < V; i++)
            p[i] = i;
        for (int i = V - 1; i > 0; i--) {
            int j = (int)rng_below(&r, (uint32_t)(i + 1)), t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
    }
    double acc = 0;
    for (int i = 0; i < V; i++)
        cdf[i] = (acc += pow(i + 1.0, -s));
    int state = 0;
    for (long i = 0; i < n; i++) {
        double u = rng_uniform(&r) * acc;
        int lo = 0, hi = V - 1;
        while (lo < hi) {
            int mid = (lo + hi) / 2;
            if (cdf[mid] > u) hi = mid; else lo = mid + 1;
        }
        state = perm[(size_t)state * V + lo];
        k->tok[i] = state;
    }
    free(perm);
    free(cdf);
    k->n = n;
    k->vocab = V;
    return NS_OK;
}

/* 4096 sequences of length T: T/2 random tokens, then the same again */
static int make_copy(corpus *k, int V, int T, uint64_t seed, ns_err *e)
{
    if (T < 4)
        return ns_fail(e, NS_EUSAGE, "the copy task needs sequences of at least 4 tokens (got %d)", T);
    const long nseq = 4096, n = nseq * T;
    if (!(k->tok = malloc(sizeof(int) * (size_t)n)))
        return ns_fail(e, NS_ERUN, "out of memory");
    pcg32 r;
    pcg32_seed(&r, seed, RNG_DATA);
    for (long s = 0; s < nseq; s++) {
        int *q = k->tok + s * T, h = T / 2;
        for (int t = 0; t < h; t++)
            q[t] = (int)rng_below(&r, (uint32_t)V);
        for (int t = h; t < T; t++)
            q[t] = q[t - h];
    }
    k->n = n;
    k->vocab = V;
    k->period = T;
    return NS_OK;
}

static int load_digits_labelled(corpus *k, const char *path, ns_err *e)
{
    batch_source src;
    ns_config c = {0};
    c.input = INPUT_PATCHES;
    c.image = 8;
    c.channels = 1;
    c.patch = 1;
    c.seq = 65;
    char spec[4200];
    snprintf(spec, sizeof spec, "digits:%s", path);
    int rc = batch_source_init(&src, &c, spec, 0, 1, e);
    if (rc)
        return rc;
    k->n = src.pool_n;
    k->img = src.pool;
    k->label = src.labels;
    src.pool = NULL;
    src.labels = NULL;
    batch_source_free(&src);
    k->images = 1;
    return NS_OK;
}

static int check_fit(const corpus *k, const ns_config *c, ns_err *e)
{
    if (k->images != (c->input == INPUT_PATCHES))
        return ns_fail(e, NS_EUSAGE, "%s: data '%s' is %s but the model takes %s", c->arch, k->name,
                       k->images ? "images" : "tokens", c->input == INPUT_PATCHES ? "images" : "tokens");
    if (k->images) {
        if (c->image != 8 || c->channels != 1 || c->vocab < 10)
            return ns_fail(e, NS_EUSAGE, "digits need an 8x8 grey image model with >= 10 classes");
        return NS_OK;
    }
    int need = k->vocab + (c->causal ? 0 : 1); /* encoders need a mask id = vocab - 1 */
    if (need > c->vocab)
        return ns_fail(e, NS_EUSAGE, "data '%s' needs a vocabulary of %d%s (model has --vocab %d)",
                       k->name, need, c->causal ? "" : " (incl. the mask token)", c->vocab);
    long val = k->n - k->split;
    if (k->split < c->seq || val < c->seq)
        return ns_fail(e, NS_EUSAGE, "data '%s' is too short: %ld tokens give train %ld and "
                       "validation %ld, each must hold one sequence of %d", k->name, k->n, k->split, val, c->seq);
    return NS_OK;
}

int corpus_load(corpus *k, const char *spec, const ns_config *c, uint64_t seed, ns_err *e)
{
    memset(k, 0, sizeof *k);
    snprintf(k->name, sizeof k->name, "%s", spec);
    const char *colon = strchr(spec, ':'), *arg = colon ? colon + 1 : NULL;
    size_t nlen = colon ? (size_t)(colon - spec) : strlen(spec);
    int rc;
    if (nlen == 4 && strncmp(spec, "text", 4) == 0)
        rc = load_text(k, arg ? arg : FORTUNES_DIR, e);
    else if (nlen == 6 && strncmp(spec, "tokens", 6) == 0 && arg)
        rc = load_token_file(k, arg, e);
    else if (nlen == 11 && strncmp(spec, "zipf-markov", 11) == 0)
        rc = make_zipf_markov(k, arg, c->causal ? c->vocab : c->vocab - 1, seed, e);
    else if (strcmp(spec, "copy") == 0)
        rc = make_copy(k, c->causal ? c->vocab : c->vocab - 1, c->seq, seed, e);
    else if (nlen == 6 && strncmp(spec, "digits", 6) == 0)
        rc = load_digits_labelled(k, arg ? arg : DIGITS_PATH, e);
    else
        rc = ns_fail(e, NS_EUSAGE, "unknown training data '%s' (valid: text[:PATH], tokens:PATH, "
                     "zipf-markov[:S], copy, digits[:PATH])", spec);
    if (!rc) {
        long val = k->images ? k->n / 5 : k->n / 10;
        if (k->period > 0)
            val = (val / k->period) * k->period;
        k->split = k->n - val;
        rc = check_fit(k, c, e);
    }
    if (rc)
        corpus_free(k);
    return rc;
}

void corpus_free(corpus *k)
{
    free(k->tok);
    free(k->img);
    free(k->label);
    memset(k, 0, sizeof *k);
}

void corpus_batch(const corpus *k, int split, pcg32 *r, int B, int T, int *tok, double *img,
                  int *label)
{
    long lo = split ? k->split : 0, hi = split ? k->n : k->split;
    for (int b = 0; b < B; b++) {
        if (k->images) {
            long i = lo + (long)rng_below(r, (uint32_t)(hi - lo));
            memcpy(img + (size_t)b * 64, k->img + i * 64, sizeof(double) * 64);
            label[b] = k->label[i];
            continue;
        }
        long start;
        if (k->period > 0)
            start = lo + (long)rng_below(r, (uint32_t)((hi - lo) / k->period)) * k->period;
        else
            start = lo + (long)rng_below(r, (uint32_t)(hi - lo - T + 1));
        memcpy(tok + (size_t)b * T, k->tok + start, sizeof(int) * T);
    }
}
