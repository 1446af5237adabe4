/* model.h - parameters: one contiguous block of doubles, named tensors pointing into it
 * (as in llm.c). Linear weights are stored (out, in) like torch.nn.Linear, so a layer
 * computes y = x W^T + b. Norm parameters follow the scheme's spec (norms/norm.h). */
#ifndef NS_MODEL_H
#define NS_MODEL_H
#include <stddef.h>
#include <stdint.h>
#include "arch.h"
#include "err.h"
#include "../norms/norm.h"

enum tensor_init { INIT_NORMAL, INIT_CONST };

typedef struct {
    char name[96];  /* checkpoint name, e.g. "h.0.attn.c_attn.weight" */
    int rows, cols; /* shape; a vector is 1 x n */
    size_t offset;  /* into ns_model.params */
    int init;       /* enum tensor_init */
    double init_value; /* std for INIT_NORMAL, the value for INIT_CONST */
    int norm_role;  /* -1, or the enum norm_role of a norm parameter */
} ns_tensor;

typedef struct {
    double *ln_1;     /* norm block before attention */
    double *attn_w;   /* (3d, d) fused q,k,v */
    double *attn_b;   /* (3d) */
    double *proj_w;   /* (d, d) attention output projection */
    double *proj_b;   /* (d) */
    double *ln_2;     /* norm block before the MLP */
    double *fc_w;     /* (d_ff, d) */
    double *fc_b;     /* (d_ff) */
    double *fcproj_w; /* (d, d_ff) MLP output projection */
    double *fcproj_b; /* (d) */
} ns_block;

typedef struct {
    ns_config cfg;
    const norm_ops *norm; /* the scheme of every norm in the model */
    norm_cfg ncfg;
    int d_ff;
    size_t n_params;
    double *params;     /* the one block */
    int n_tensors;
    ns_tensor *tensors;
    double *wte;        /* (vocab, d) token embedding, also the unembedding when tied */
    double *wpe;        /* (seq, d) learned positions */
    ns_block *blocks;   /* [layers] */
    double *ln_f;       /* final norm block */
} ns_model;

/* Lay out the parameters of cfg (validated here) and allocate them (zeroed). */
int model_create(ns_model *m, const ns_config *cfg, ns_err *e);
void model_free(ns_model *m);
/* Draw every tensor from its init, in tensor order, from the (seed, RNG_INIT) stream. */
void model_init(ns_model *m, uint64_t seed);
/* Every norm gain g := exp(spread * N(0,1)), from the (seed, RNG_GAMMA) stream. */
void model_randomize_gains(ns_model *m, uint64_t seed, double spread);
const ns_tensor *model_find_tensor(const ns_model *m, const char *name);

#endif
