/* optim.h - AdamW with decoupled weight decay (none on norm parameters, biases and other
 * vectors), linear warm-up then cosine decay, and global gradient-norm clipping. */
#ifndef NS_OPTIM_H
#define NS_OPTIM_H
#include <stddef.h>
#include "sim/model/model.h"

typedef struct {
    double lr;           /* peak learning rate */
    double min_lr_frac;  /* the cosine ends at lr * min_lr_frac */
    long warmup;         /* linear warm-up steps */
    long steps;          /* total steps (the cosine's length) */
    double beta1, beta2, eps;
    double weight_decay; /* on matrices only */
    double clip;         /* max global gradient norm (0: no clipping) */
} optim_cfg;

typedef struct {
    size_t n;
    double *m, *v;       /* first and second moments, laid out like the parameters */
    unsigned char *decay;/* 1 where weight decay applies */
    long step;           /* updates done */
} adamw;

int adamw_init(adamw *o, const ns_model *m, ns_err *e);
void adamw_free(adamw *o);
/* lr at update `step` (0-based): lr (step+1)/warmup, then cosine from lr to lr * min_frac */
double optim_lr(const optim_cfg *c, long step);
/* scale g so that ||g|| <= max_norm (max_norm <= 0: no-op); returns ||g|| before */
double grad_clip(double *g, size_t n, double max_norm);
/* one AdamW update of params with grads at learning rate lr; o->step += 1 */
void adamw_step(adamw *o, const optim_cfg *c, double *params, const double *grads, double lr);

#endif
