/* data.c - uniform and Zipf token draws (inverse CDF by binary search). */
#include "data.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

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
