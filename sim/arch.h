/* arch.h - archetypes (shared/ARCHETYPES.md) as rows of one table -> a plain config.
 * Adding a family is one row here plus any op it needs that ops.c lacks. */
#ifndef NS_ARCH_H
#define NS_ARCH_H
#include "err.h"

enum arch_mlp { MLP_GELU_TANH };
enum arch_pos { POS_LEARNED };

typedef struct {
    char arch[32];  /* family name, e.g. "gpt2" */
    char norm[64];  /* norm spec for every norm of the model, e.g. "layernorm" */
    int d;          /* model width */
    int layers;     /* transformer blocks */
    int heads;      /* attention heads (d % heads == 0) */
    int seq;        /* context length: tokens per sequence, positions table size */
    int vocab;      /* vocabulary size */
    int d_ff;       /* MLP hidden width */
    double eps;     /* norm epsilon */
    double init_std;/* std of the N(0, std) init of weights */
    int mlp;        /* enum arch_mlp */
    int pos;        /* enum arch_pos */
    int tied;       /* unembedding = token embedding */
    int causal;     /* causal attention mask */
} ns_config;

int arch_count(void);
/* name and one-line description of row i */
const char *arch_name(int i);
const char *arch_summary(int i);
/* Fill cfg with the family's defaults; unknown name -> NS_EUSAGE listing valid names. */
int arch_config(const char *name, ns_config *cfg, ns_err *e);
/* Check sizes after overrides: positive, divisible, not absurdly large. */
int config_validate(const ns_config *cfg, ns_err *e);

#endif
