/* token_ids.c - token ids from a .npy file, checked against the vocabulary. */
#include "sim/data/token_ids.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* the file's shape against the model: token input, 1 <= T <= seq, 1 <= B <= 1e8 */
static int check_shape(const npy_header *h, const char *path, const ns_model *m, ns_err *e)
{
    if (m->cfg.input != INPUT_TOKENS)
        return ns_fail(e, NS_EUSAGE, "--input takes token ids, but %s reads images", m->cfg.arch);
    if (h->ndim != 1 && h->ndim != 2)
        return ns_fail(e, NS_EUSAGE, "%s: token ids must be (B, T) or (T,), got %d dimensions", path,
                       h->ndim);
    if (h->cols < 1 || h->cols > (uint64_t)m->cfg.seq || h->rows < 1 || h->rows > 100000000)
        return ns_fail(e, NS_EUSAGE, "%s: %llu sequences of %llu tokens; need at least one sequence of 1 "
                       "to %d tokens (--seq)", path, (unsigned long long)h->rows,
                       (unsigned long long)h->cols, m->cfg.seq);
    return NS_OK;
}

int token_ids_open(token_ids *f, const char *path, const ns_model *m, ns_err *e)
{
    memset(f, 0, sizeof *f);
    int rc = npy_open(&f->r, path, e);
    if (rc)
        return rc;
    if (!(rc = check_shape(&f->r.h, path, m, e))) {
        f->T = (int)f->r.h.cols;
        f->B = f->T >= 1024 ? 1 : 1024 / f->T;
        f->vocab = m->cfg.vocab;
        f->buf = malloc(sizeof(double) * (size_t)f->B * f->T);
        f->tok = malloc(sizeof(int) * (size_t)f->B * f->T);
        if (!f->buf || !f->tok)
            rc = ns_fail(e, NS_ERUN, "out of memory");
    }
    if (rc)
        token_ids_close(f);
    return rc;
}

int token_ids_next(void *ctx, ns_batch *b, ns_err *e)
{
    token_ids *f = ctx;
    uint64_t got, first = f->r.next_row;
    memset(b, 0, sizeof *b);
    int rc = npy_read_rows(&f->r, f->buf, (uint64_t)f->B, &got, e);
    for (uint64_t i = 0; !rc && i < got * (uint64_t)f->T; i++) {
        double v = f->buf[i];
        if (!(v >= 0 && v < f->vocab) || v != floor(v))
            return ns_fail(e, NS_EUSAGE, "%s: token %g at sequence %llu, position %llu is not an id in "
                           "[0, %d)", f->r.path, v, (unsigned long long)(first + i / (uint64_t)f->T),
                           (unsigned long long)(i % (uint64_t)f->T), f->vocab);
        f->tok[i] = (int)v;
    }
    if (!rc)
        *b = (ns_batch){(int)got, f->T, f->tok, NULL, NULL};
    return rc;
}

long token_ids_rows(const token_ids *f) { return (long)(f->r.h.rows * f->r.h.cols); }

void token_ids_close(token_ids *f)
{
    npy_close(&f->r);
    free(f->buf);
    free(f->tok);
    f->buf = NULL;
    f->tok = NULL;
}
