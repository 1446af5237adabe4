/* token_ids.h - token ids from a .npy file ((B, T) or (T,), any integer-valued dtype), read
 * a few sequences at a time, every id checked against the vocabulary: an input for the
 * diagnostic on a checkpoint (`diagnose --checkpoint --input`). */
#ifndef NS_TOKEN_IDS_H
#define NS_TOKEN_IDS_H
#include "sim/io/npy.h"
#include "sim/model/forward.h"

typedef struct {
    npy_reader r;
    int T, B;      /* tokens per sequence; sequences per batch (max(1, 1024 / T)) */
    int vocab;
    double *buf;   /* (B * T) the rows as read */
    int *tok;      /* (B * T) the ids */
} token_ids;

/* Open path for model m (token input, T <= m's seq). */
int token_ids_open(token_ids *f, const char *path, const ns_model *m, ns_err *e);
/* Point *b at the next up to B sequences (b->B == 0 at the end); ctx is a token_ids
 * (the signature of a diag_feed's next). */
int token_ids_next(void *ctx, ns_batch *b, ns_err *e);
/* rows (tokens) in the file */
long token_ids_rows(const token_ids *f);
void token_ids_close(token_ids *f);

#endif
