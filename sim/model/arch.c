/* arch.c - the archetype table. Facts from shared/ARCHETYPES.md; sizes are ours (small,
 * every one overridable). Rows marked lineup = 1 are the paper's 9 LN + 5 RMS models. */
#include "sim/model/arch.h"
#include <math.h>
/* each row overrides the shared defaults of the macros below on purpose */
#pragma GCC diagnostic ignored "-Woverride-init"
#include <stdio.h>
#include <string.h>

typedef struct {
    int lineup;
    const char *summary;
    ns_config cfg;
} arch_row;

#define SMALL .d = 128, .layers = 4, .heads = 4, .seq = 64, .vocab = 512
#define DECODER .causal = 1, .final_norm = 1, .init_std = 0.02, .init = INIT_STD
#define ENCODER .causal = 0, .final_norm = 1, .init_std = 0.02, .init = INIT_STD
#define ROPE(frac, base) .pos = POS_ROPE, .rope_frac = frac, .rope_base = base
#define BIAS_ALL (BIAS_QKV | BIAS_ATTN_OUT | BIAS_MLP)
#define PATCHES .input = INPUT_PATCHES, .image = 8, .patch = 2, .channels = 1, .vocab = 10

static const arch_row arch_table[] = {
    {1, "pre-LN, learned positions, tanh-GELU, biases, tied; output projections N(0,0.02/sqrt(2L))",
     {.arch = "gpt2", .norm = "layernorm", .eps = 1e-5, SMALL, DECODER, .init = INIT_GPT2,
      .mlp = MLP_GELU_TANH, .pos = POS_LEARNED, .bias = BIAS_ALL, .tied = 1}},
    {1, "GPT-NeoX: parallel x + attn(LN1 x) + mlp(LN2 x), RoPE on 25%, erf-GELU, untied",
     {.arch = "pythia", .norm = "layernorm", .eps = 1e-5, SMALL, DECODER,
      .residual = RESID_PARALLEL_TWO, .mlp = MLP_GELU_ERF, ROPE(0.25, 1e4), .bias = BIAS_ALL}},
    {1, "pre-LN, ReLU, learned positions (offset 2), biases but not lm_head, tied",
     {.arch = "opt", .norm = "layernorm", .eps = 1e-5, SMALL, DECODER, .mlp = MLP_RELU,
      .pos = POS_LEARNED, .pos_offset = 2, .bias = BIAS_ALL, .tied = 1}},
    {1, "LN on the embeddings, then pre-LN; ALiBi; tanh-GELU; biases; tied",
     {.arch = "bloom", .norm = "layernorm", .eps = 1e-5, SMALL, DECODER, .mlp = MLP_GELU_TANH,
      .pos = POS_ALIBI, .bias = BIAS_ALL, .tied = 1, .embed_norm = 1}},
    {1, "one shared input LN, parallel attn + MLP, multi-query attention, RoPE, no biases",
     {.arch = "falcon", .norm = "layernorm", .eps = 1e-5, SMALL, .kv_heads = 1, DECODER,
      .residual = RESID_PARALLEL_SHARED, .mlp = MLP_GELU_ERF, ROPE(1.0, 1e4), .tied = 1}},
    {1, "shared input LN, parallel, RoPE on 40%, tanh-GELU, biases incl. lm_head, untied",
     {.arch = "phi2", .norm = "layernorm", .eps = 1e-5, SMALL, DECODER,
      .residual = RESID_PARALLEL_SHARED, .mlp = MLP_GELU_TANH, ROPE(0.4, 1e4),
      .bias = BIAS_ALL | BIAS_HEAD}},
    {1, "Cohere: LN without bias, shared input LN, parallel, SwiGLU, interleaved RoPE, logits x 0.0625",
     {.arch = "command-r", .norm = "layernorm-nobias", .eps = 1e-5, SMALL, DECODER,
      .residual = RESID_PARALLEL_SHARED, .mlp = MLP_SWIGLU, .d_ff = 344, ROPE(1.0, 1e4),
      .rope_interleaved = 1, .tied = 1, .logit_scale = 0.0625}},
    {1, "bidirectional post-LN (last block's LN is the final norm), LN on embeddings, token types, MLM head",
     {.arch = "bert", .norm = "layernorm", .eps = 1e-12, SMALL, ENCODER, .final_norm = 0,
      .placement = PLACE_POST, .mlp = MLP_GELU_ERF, .pos = POS_LEARNED,
      .bias = BIAS_ALL | BIAS_HEAD, .tied = 1, .embed_norm = 1, .token_types = 2, .mlm_head = 1}},
    {1, "image patches (linear patch embedding) + CLS, learned positions, pre-LN, classifier on CLS",
     {.arch = "vit", .norm = "layernorm", .eps = 1e-12, SMALL, ENCODER, .init = INIT_TRUNC,
      .mlp = MLP_GELU_ERF, .pos = POS_LEARNED, .bias = BIAS_ALL | BIAS_HEAD | BIAS_PATCH, PATCHES}},
    {1, "pre-RMSNorm, SwiGLU, RoPE (base 1e4), no biases, untied",
     {.arch = "llama", .norm = "rmsnorm", .eps = 1e-6, SMALL, DECODER, .mlp = MLP_SWIGLU,
      .d_ff = 344, ROPE(1.0, 1e4)}},
    {1, "as llama + sliding-window attention and grouped-query attention",
     {.arch = "mistral", .norm = "rmsnorm", .eps = 1e-6, SMALL, .kv_heads = 2, DECODER,
      .mlp = MLP_SWIGLU, .d_ff = 344, ROPE(1.0, 1e4), .window = 16}},
    {1, "as llama with RoPE base 1e6, GQA, biases on q, k, v only, tied",
     {.arch = "qwen2", .norm = "rmsnorm", .eps = 1e-6, SMALL, .kv_heads = 2, DECODER,
      .mlp = MLP_SWIGLU, .d_ff = 344, ROPE(1.0, 1e6), .bias = BIAS_QKV, .tied = 1}},
    {1, "RMS with (1 + w) scale, sandwich norms, GeGLU, RoPE, embeddings x sqrt(d), tied",
     {.arch = "gemma", .norm = "rmsnorm-1p", .eps = 1e-6, SMALL, .kv_heads = 2, DECODER,
      .placement = PLACE_SANDWICH, .mlp = MLP_GEGLU, .d_ff = 344, ROPE(1.0, 1e4), .tied = 1,
      .embed_scale_sqrt_d = 1}},
    {1, "encoder: pre-RMS (no mean, no bias), ReLU, shared relative position bias, scaled init",
     {.arch = "t5", .norm = "rmsnorm", .eps = 1e-6, SMALL, ENCODER, .init = INIT_T5,
      .mlp = MLP_RELU, .pos = POS_T5_BIAS, .t5_buckets = 32, .t5_max_distance = 128,
      .attn_scale = 1.0, .tied = 1, .head_scale_rsqrt_d = 1}},
    {0, "OLMo-1: LN with no affine at all, pre-LN, SwiGLU, RoPE, no biases",
     {.arch = "olmo1", .norm = "layernorm-noaffine", .eps = 1e-5, SMALL, DECODER,
      .mlp = MLP_SWIGLU, .d_ff = 344, ROPE(1.0, 1e4)}},
    {0, "OLMo-2: x += RMS(attn(x)); x += RMS(mlp(x)); q/k RMS over full width before RoPE",
     {.arch = "olmo2", .norm = "rmsnorm", .eps = 1e-5, SMALL, DECODER,
      .placement = PLACE_POST_IN_RESID, .mlp = MLP_SWIGLU, .d_ff = 344, ROPE(1.0, 5e5),
      .qk_norm = QK_FULL}},
    {0, "sandwich + per-head q/k/v norms, 5 local (window, RoPE 1e4) : 1 global (RoPE 25%, 1e6), softcap 30",
     {.arch = "gemma4", .norm = "rmsnorm", .eps = 1e-6, SMALL, .layers = 6, .kv_heads = 2, DECODER,
      .placement = PLACE_SANDWICH, .mlp = MLP_GEGLU, .d_ff = 344, ROPE(1.0, 1e4), .window = 16,
      .global_every = 6, .rope_frac_global = 0.25, .rope_base_global = 1e6,
      .rope_global_proportional = 1, .qk_norm = QK_PER_HEAD,
      .v_norm = 1, .attn_scale = 1.0, .tied = 1, .embed_scale_sqrt_d = 1, .logit_softcap = 30}},
    {0, "DINOv2: pre-LN + LayerScale (init 1), patches + CLS, learned positions",
     {.arch = "dinov2", .norm = "layernorm", .eps = 1e-6, SMALL, ENCODER, .init = INIT_TRUNC,
      .mlp = MLP_GELU_ERF, .pos = POS_LEARNED, .bias = BIAS_ALL | BIAS_HEAD | BIAS_PATCH,
      .layerscale = 1, PATCHES}},
};

#define ARCH_N ((int)(sizeof arch_table / sizeof arch_table[0]))

int arch_count(void) { return ARCH_N; }
const char *arch_name(int i) { return (i >= 0 && i < ARCH_N) ? arch_table[i].cfg.arch : NULL; }
const char *arch_summary(int i) { return (i >= 0 && i < ARCH_N) ? arch_table[i].summary : NULL; }
/* ---- enum names: value i of enum `which` is row i ---- */
typedef struct {
    const char *name, *label;
} enum_name;

static const enum_name placement_names[] = {
    {"pre", "pre-norm"}, {"post", "post-norm"}, {"sandwich", "sandwich"}, {"post_in_resid", "post-in-resid"}};
static const enum_name residual_names[] = {
    {"sequential", "sequential"}, {"parallel_two", "parallel 2-LN"}, {"parallel_shared", "parallel shared"}};
static const enum_name mlp_names[] = {{"gelu_tanh", "GELU-tanh"}, {"gelu_erf", "GELU-erf"},
                                      {"relu", "ReLU"}, {"swiglu", "SwiGLU"}, {"geglu", "GeGLU"}};
static const enum_name pos_names[] = {
    {"learned", "learned"}, {"rope", "RoPE"}, {"alibi", "ALiBi"}, {"t5_bias", "T5 rel. bias"}};
static const enum_name input_names[] = {{"tokens", "tokens"}, {"patches", "patches"}};
static const enum_name init_names[] = {
    {"std", "N(0, std)"}, {"gpt2", "GPT-2 scaled"}, {"trunc", "truncated normal"}, {"t5", "T5 scaled"}};
static const enum_name qk_names[] = {{"none", "none"}, {"per_head", "per head"}, {"full", "full width"}};

#define ENUM_ROW(t) {t, (int)(sizeof t / sizeof t[0])}
static const struct {
    const enum_name *rows;
    int n;
} enum_tables[ENUM_N] = {ENUM_ROW(placement_names), ENUM_ROW(residual_names), ENUM_ROW(mlp_names),
                         ENUM_ROW(pos_names), ENUM_ROW(input_names), ENUM_ROW(init_names),
                         ENUM_ROW(qk_names)};

static const enum_name *enum_row(int which, int v)
{
    if (which < 0 || which >= ENUM_N || v < 0 || v >= enum_tables[which].n)
        return NULL;
    return &enum_tables[which].rows[v];
}

const char *arch_enum_name(int which, int v) { return enum_row(which, v) ? enum_row(which, v)->name : NULL; }
const char *arch_enum_label(int which, int v) { return enum_row(which, v) ? enum_row(which, v)->label : NULL; }

int arch_enum_value(int which, const char *name)
{
    for (int v = 0; enum_row(which, v); v++)
        if (strcmp(enum_row(which, v)->name, name) == 0)
            return v;
    return -1;
}

const char *arch_layout_label(int placement, int residual)
{
    return residual != RESID_SEQUENTIAL ? arch_enum_label(ENUM_RESIDUAL, residual)
                                        : arch_enum_label(ENUM_PLACEMENT, placement);
}

int arch_in_lineup(int i) { return (i >= 0 && i < ARCH_N) ? arch_table[i].lineup : 0; }

int arch_config(const char *name, ns_config *cfg, ns_err *e)
{
    for (int i = 0; i < ARCH_N; i++)
        if (strcmp(arch_table[i].cfg.arch, name) == 0) {
            *cfg = arch_table[i].cfg;
            if (cfg->input == INPUT_PATCHES)
                cfg->seq = config_patches(cfg) + 1;
            return NS_OK;
        }
    char names[512] = "";
    size_t used = 0;
    for (int i = 0; i < ARCH_N && used < sizeof names; i++)
        used += (size_t)snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "",
                                 arch_table[i].cfg.arch);
    return ns_fail(e, NS_EUSAGE, "unknown arch '%s' (valid: %s)", name, names);
}

int config_head_dim(const ns_config *c) { return c->d / c->heads; }
int config_kv_heads(const ns_config *c) { return c->kv_heads > 0 ? c->kv_heads : c->heads; }
int config_d_ff(const ns_config *c) { return c->d_ff > 0 ? c->d_ff : 4 * c->d; }
int config_gated(const ns_config *c) { return c->mlp == MLP_SWIGLU || c->mlp == MLP_GEGLU; }

int config_patches(const ns_config *c)
{
    if (c->input != INPUT_PATCHES || c->patch <= 0)
        return 0;
    return (c->image / c->patch) * (c->image / c->patch);
}

int config_layer_global(const ns_config *c, int l)
{
    return c->global_every > 0 && (l + 1) % c->global_every == 0;
}

/* rotated dims: floor(frac * head_dim) rounded down to even */
int config_rope_dims(const ns_config *c, int l)
{
    if (c->pos != POS_ROPE)
        return 0;
    double frac = config_layer_global(c, l) ? c->rope_frac_global : c->rope_frac;
    int r = (int)(frac * config_head_dim(c) + 1e-9);
    return r - r % 2;
}

int config_rope_span(const ns_config *c, int l)
{
    if (c->pos == POS_ROPE && c->rope_global_proportional && config_layer_global(c, l))
        return config_head_dim(c) - config_head_dim(c) % 2;
    return config_rope_dims(c, l);
}

double config_rope_base(const ns_config *c, int l)
{
    return config_layer_global(c, l) ? c->rope_base_global : c->rope_base;
}

int config_window(const ns_config *c, int l) { return config_layer_global(c, l) ? 0 : c->window; }

/* Limits keep one model's parameters and one batch's activations in memory. */
#define LIMIT_D 16384
#define LIMIT_LAYERS 512
#define LIMIT_SEQ 65536
#define LIMIT_VOCAB 1048576
#define LIMIT_PARAMS 1e9

static int check_range(ns_err *e, const char *what, long v, long lo, long hi)
{
    if (v < lo || v > hi)
        return ns_fail(e, NS_EUSAGE, "%s must be in [%ld, %ld] (got %ld)", what, lo, hi, v);
    return NS_OK;
}

static int check_shapes(const ns_config *c, ns_err *e)
{
    if (c->d % c->heads != 0)
        return ns_fail(e, NS_EUSAGE, "--d %d is not divisible by --heads %d", c->d, c->heads);
    if (c->heads % config_kv_heads(c) != 0)
        return ns_fail(e, NS_EUSAGE, "--heads %d is not divisible by --kv-heads %d", c->heads,
                       config_kv_heads(c));
    if (c->pos == POS_ROPE && config_rope_dims(c, 0) < 2 && config_head_dim(c) >= 2 && c->rope_frac > 0)
        return ns_fail(e, NS_EUSAGE, "%s: head dim %d leaves no RoPE pair to rotate", c->arch,
                       config_head_dim(c));
    if (c->input == INPUT_PATCHES && (c->patch < 1 || c->image % c->patch != 0))
        return ns_fail(e, NS_EUSAGE, "--patch %d does not divide --image %d", c->patch, c->image);
    if (c->input == INPUT_PATCHES && c->seq != config_patches(c) + 1)
        return ns_fail(e, NS_EUSAGE, "%s: the sequence is the %d patches + CLS, so --seq must be %d",
                       c->arch, config_patches(c), config_patches(c) + 1);
    return NS_OK;
}

int config_validate(const ns_config *c, ns_err *e)
{
    if (check_range(e, "--d", c->d, 1, LIMIT_D) || check_range(e, "--layers", c->layers, 1, LIMIT_LAYERS) ||
        check_range(e, "--heads", c->heads, 1, c->d) || check_range(e, "--kv-heads", config_kv_heads(c), 1, c->heads) ||
        check_range(e, "--seq", c->seq, 1, LIMIT_SEQ) || check_range(e, "--vocab", c->vocab, 1, LIMIT_VOCAB) ||
        check_range(e, "--d-ff", c->d_ff, 0, 16L * LIMIT_D) || check_range(e, "--window", c->window, 0, LIMIT_SEQ))
        return e ? e->code : NS_EUSAGE;
    /* T5 buckets: half exact, half log-spaced up to max_distance (at least one of each) */
    if (c->pos == POS_T5_BIAS && (check_range(e, "t5 relative-position buckets", c->t5_buckets, 4, 4096) ||
                                  check_range(e, "t5 max distance", c->t5_max_distance, c->t5_buckets / 4 + 1,
                                              LIMIT_SEQ)))
        return e ? e->code : NS_EUSAGE;
    int rc = check_shapes(c, e);
    if (rc)
        return rc;
    double d = c->d, f = config_d_ff(c) * (config_gated(c) ? 3.0 : 2.0);
    double params = (double)c->vocab * d * (c->tied ? 1 : 2) + (double)(c->seq + c->pos_offset) * d +
                    (double)c->layers * (4.0 * d * d + f * d);
    if (params > LIMIT_PARAMS)
        return ns_fail(e, NS_EUSAGE, "model too large: %.3g parameters (limit %.0e)", params, LIMIT_PARAMS);
    double act = (double)c->seq * c->seq + (double)c->seq * (3 * d + 2 * config_d_ff(c) + c->vocab);
    if (act > 2e9)
        return ns_fail(e, NS_EUSAGE, "one sequence needs %.3g doubles of activations (limit 2e9)", act);
    return NS_OK;
}
