/* taps.h - named observation points of the forward pass (TransformerLens-like).
 *   embed              token + position embedding (before any norm)
 *   resid.<l>          residual stream entering block l; resid.<L> after the last block
 *   block.<l>.<n>.out  output of norm <n> (ln_1, ln_2) of block l, AFTER its affine g, b
 *   final.in           input of the final norm (= resid.<L>)
 *   final.out          output of the final norm, AFTER its affine g, b: the paper's object
 * The forward calls the sink once per batch and tap with all n rows of that batch. */
#ifndef NS_TAPS_H
#define NS_TAPS_H

typedef void (*tap_fn)(void *ctx, const char *name, const double *x, int n, int d);

typedef struct {
    tap_fn fn;
    void *ctx;
} tap_sink;

/* Call the sink (no-op when sink is NULL). */
void tap_emit(const tap_sink *sink, const char *name, const double *x, int n, int d);
/* tap_emit with the name built from a printf format (e.g. "resid.%d"). */
void tap_emitf(const tap_sink *sink, const double *x, int n, int d, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#endif
