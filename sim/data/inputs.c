/* data.c - uniform and Zipf token draws (inverse CDF by binary search). */
#include "sim/data/inputs.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

int token_source_init(token_source *s, const char *spec, int vocab, uint64_t seed, ns_err *e)
{
    memset(s, 0, sizeof *s);
    s->vocab = vocab;
    pcg32_seed(&s->rng, seed, RNG_DATA);
    if (strcmp(spec, "uniform") == 0)
        return NS_OK;
    if (strncmp(spec, "zipf", 4) != 0 || (spec[4] != '\0' && spec[4] != ':'))
        return ns_fail(e, NS_EUSAGE, "unknown token source '%s' (valid: uniform, zipf[:s])", spec);
    s->zipf_s = 1.0;
    if (spec[4] == ':') {
        char *end;
        s->zipf_s = strtod(spec + 5, &end);
        if (end == spec + 5 || *end != '\0' || !(s->zipf_s > 0.0) || s->zipf_s > 100.0)
            return ns_fail(e, NS_EUSAGE, "zipf exponent in '%s' must be a number in (0, 100]", spec);
    }
    s->cdf = malloc(sizeof(double) * (size_t)vocab);
    if (!s->cdf)
        return ns_fail(e, NS_ERUN, "out of memory for a %d-token Zipf table", vocab);
    double acc = 0.0;
    for (int k = 0; k < vocab; k++)
        s->cdf[k] = (acc += pow(k + 1.0, -s->zipf_s));
    for (int k = 0; k < vocab; k++)
        s->cdf[k] /= acc;
    return NS_OK;
}

void token_source_free(token_source *s)
{
    free(s->cdf);
    s->cdf = NULL;
}

/* Zipf: the first k with cdf[k] > u */
static int zipf_draw(const token_source *s, double u)
{
    int lo = 0, hi = s->vocab - 1;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (s->cdf[mid] > u)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

void token_source_fill(token_source *s, int *tok, long n)
{
    for (long i = 0; i < n; i++)
        tok[i] = s->cdf ? zipf_draw(s, rng_uniform(&s->rng))
                        : (int)rng_below(&s->rng, (uint32_t)s->vocab);
}

/* ---- batch sources ---- */

const char *batch_source_default(const ns_config *c)
{
    return c->input == INPUT_PATCHES ? "digits" : "uniform";
}

/* digits.csv.gz: 64 pixel values (0..16) and a label per line -> pixels / 8 - 1 */
static int load_digits(batch_source *s, const char *path, ns_err *e)
{
    gzFile f = gzopen(path, "rb");
    if (!f)
        return ns_fail(e, NS_EUSAGE, "cannot open the digits data set %s (install python3-sklearn, "
                       "or give digits:PATH)", path);
    char line[1024];
    int cap = 2048, n = 0, rc = NS_OK;
    s->pool = malloc(sizeof(double) * 64 * (size_t)cap);
    s->labels = malloc(sizeof(int) * (size_t)cap);
    while (s->pool && s->labels && rc == NS_OK && n < cap && gzgets(f, line, sizeof line)) {
        char *p = line, *end;
        for (int i = 0; i < 64 && rc == NS_OK; i++) {
            double v = strtod(p, &end);
            if (end == p || v < 0 || v > 16 || (*end != ',' && i < 64))
                rc = ns_fail(e, NS_EUSAGE, "%s: line %d is not 64 comma-separated pixels in [0, 16]", path, n + 1);
            s->pool[(size_t)n * 64 + i] = v / 8.0 - 1.0;
            p = end + 1;
        }
        char *lend;
        long label = strtol(p, &lend, 10);
        if (rc == NS_OK && (lend == p || label < 0 || label > 9))
            rc = ns_fail(e, NS_EUSAGE, "%s: line %d has no digit label 0-9 after its pixels", path, n + 1);
        s->labels[n] = (int)label;
        n++;
    }
    gzclose(f);
    if (!s->pool || !s->labels)
        return ns_fail(e, NS_ERUN, "out of memory for the digits");
    if (rc == NS_OK && n == 0)
        rc = ns_fail(e, NS_EUSAGE, "%s holds no images", path);
    s->pool_n = n;
    return rc;
}

static int image_source_init(batch_source *s, const ns_config *c, const char *spec, ns_err *e)
{
    s->C = c->channels;
    s->S = c->image;
    if (strcmp(spec, "synthetic") == 0)
        return NS_OK;
    if (strncmp(spec, "digits", 6) == 0 && (spec[6] == '\0' || spec[6] == ':')) {
        if (s->C != 1 || s->S != 8)
            return ns_fail(e, NS_EUSAGE, "digits are 8x8 grey images: the model needs --image 8 "
                           "and 1 channel (got %dx%d, %d channels)", s->S, s->S, s->C);
        return load_digits(s, spec[6] ? spec + 7 : DIGITS_PATH, e);
    }
    return ns_fail(e, NS_EUSAGE, "unknown image source '%s' (valid: digits[:PATH], synthetic)", spec);
}

int batch_source_init(batch_source *s, const ns_config *c, const char *spec, uint64_t seed,
                      int max_B, ns_err *e)
{
    memset(s, 0, sizeof *s);
    s->images = c->input == INPUT_PATCHES;
    s->max_B = max_B;
    pcg32_seed(&s->rng, seed, RNG_DATA);
    int rc = s->images ? image_source_init(s, c, spec, e)
                       : token_source_init(&s->tok, spec, c->vocab, seed, e);
    if (rc) {
        batch_source_free(s);
        return rc;
    }
    size_t img = (size_t)c->channels * c->image * c->image;
    s->tok_buf = s->images ? NULL : malloc(sizeof(int) * (size_t)max_B * c->seq);
    s->img_buf = s->images ? malloc(sizeof(double) * (size_t)max_B * img) : NULL;
    if (!s->tok_buf && !s->img_buf) {
        batch_source_free(s);
        return ns_fail(e, NS_ERUN, "out of memory for a batch of %d sequences", max_B);
    }
    return NS_OK;
}

/* blob(y, x) = a exp(-((y - cy)^2 + (x - cx)^2) / (2 w^2)) */
static void synthetic_image(batch_source *s, double *img)
{
    const int S = s->S;
    for (int c = 0; c < s->C; c++) {
        double *ch = img + (size_t)c * S * S;
        for (int i = 0; i < S * S; i++)
            ch[i] = 0.1 * rng_normal(&s->rng);
        for (int b = 0; b < 3; b++) {
            double cy = S * rng_uniform(&s->rng), cx = S * rng_uniform(&s->rng);
            double w = 0.5 + (S / 3.0) * rng_uniform(&s->rng), a = rng_normal(&s->rng);
            for (int y = 0; y < S; y++)
                for (int x = 0; x < S; x++)
                    ch[y * S + x] += a * exp(-((y - cy) * (y - cy) + (x - cx) * (x - cx)) / (2 * w * w));
        }
    }
}

void batch_source_next(batch_source *s, int B, int T, ns_batch *out)
{
    memset(out, 0, sizeof *out);
    out->B = B;
    out->T = T;
    if (!s->images) {
        token_source_fill(&s->tok, s->tok_buf, (long)B * T);
        out->tok = s->tok_buf;
        return;
    }
    size_t img = (size_t)s->C * s->S * s->S;
    for (int b = 0; b < B; b++) {
        if (s->pool)
            memcpy(s->img_buf + b * img, s->pool + (size_t)rng_below(&s->rng, (uint32_t)s->pool_n) * 64,
                   sizeof(double) * 64);
        else
            synthetic_image(s, s->img_buf + b * img);
    }
    out->images = s->img_buf;
}

void batch_source_free(batch_source *s)
{
    token_source_free(&s->tok);
    free(s->pool);
    free(s->labels);
    s->labels = NULL;
    free(s->tok_buf);
    free(s->img_buf);
    s->pool = NULL;
    s->tok_buf = NULL;
    s->img_buf = NULL;
}
