/* hf_families.c - the Hugging Face families: one row each of tensor names (normsim <- HF,
 * with a conversion) and config.json keys, from the families' modeling_<family>.py and
 * configuration_<family>.py. The mechanism that reads a row is hf_import.c. */
#include "sim/checkpoint/hf_internal.h"
#include <stdio.h>
#include <string.h>

#define END {NULL, NULL, 0, 0}
#define W(ns, hf) {ns ".weight", hf ".weight", CV_COPY, 0}
#define B(ns, hf) {ns ".bias", hf ".bias", CV_COPY, 0}
#define WB(ns, hf) W(ns, hf), B(ns, hf)
#define FUSED(conv, hf)                                                                            \
    {"h.%d.attn.q.weight", hf ".weight", conv, 0}, {"h.%d.attn.k.weight", hf ".weight", conv, 1},  \
    {"h.%d.attn.v.weight", hf ".weight", conv, 2}, {"h.%d.attn.q.bias", hf ".bias", conv, 0},      \
    {"h.%d.attn.k.bias", hf ".bias", conv, 1}, {"h.%d.attn.v.bias", hf ".bias", conv, 2}
#define QKVO(q, k, v, o) WB("h.%d.attn.q", q), WB("h.%d.attn.k", k), WB("h.%d.attn.v", v), WB("h.%d.attn.out", o)
#define GATED(g, u, dn) WB("h.%d.mlp.gate", g), WB("h.%d.mlp.up", u), WB("h.%d.mlp.down", dn)
#define UPDOWN(u, dn) WB("h.%d.mlp.up", u), WB("h.%d.mlp.down", dn)
#define LLAMA_ATTN QKVO("layers.%d.self_attn.q_proj", "layers.%d.self_attn.k_proj", \
                        "layers.%d.self_attn.v_proj", "layers.%d.self_attn.o_proj")
#define LLAMA_MLP GATED("layers.%d.mlp.gate_proj", "layers.%d.mlp.up_proj", "layers.%d.mlp.down_proj")

/* ---- tensor names ---- */

static const name_rule gpt2_rules[] = {
    {"embed.tokens.weight", "wte.weight", CV_COPY, 0},
    {"embed.positions.weight", "wpe.weight", CV_ROWS, 0},
    WB("h.%d.norm_attn", "h.%d.ln_1"),
    {"h.%d.attn.q.weight", "h.%d.attn.c_attn.weight", CV_QKV_T, 0},
    {"h.%d.attn.k.weight", "h.%d.attn.c_attn.weight", CV_QKV_T, 1},
    {"h.%d.attn.v.weight", "h.%d.attn.c_attn.weight", CV_QKV_T, 2},
    {"h.%d.attn.q.bias", "h.%d.attn.c_attn.bias", CV_QKV_B, 0},
    {"h.%d.attn.k.bias", "h.%d.attn.c_attn.bias", CV_QKV_B, 1},
    {"h.%d.attn.v.bias", "h.%d.attn.c_attn.bias", CV_QKV_B, 2},
    {"h.%d.attn.out.weight", "h.%d.attn.c_proj.weight", CV_T, 0},
    B("h.%d.attn.out", "h.%d.attn.c_proj"),
    WB("h.%d.norm_mlp", "h.%d.ln_2"),
    {"h.%d.mlp.up.weight", "h.%d.mlp.c_fc.weight", CV_T, 0},
    B("h.%d.mlp.up", "h.%d.mlp.c_fc"),
    {"h.%d.mlp.down.weight", "h.%d.mlp.c_proj.weight", CV_T, 0},
    B("h.%d.mlp.down", "h.%d.mlp.c_proj"),
    WB("norm_final", "ln_f"),
    END,
};
/* present in HF GPT-2 checkpoints, not parameters normsim needs (masks; the tied head) */
static const char *const gpt2_ignored[] = {"h.%d.attn.bias", "h.%d.attn.masked_bias", "/lm_head.weight", NULL};

static const name_rule neox_rules[] = {
    W("embed.tokens", "embed_in"),
    WB("h.%d.norm_attn", "layers.%d.input_layernorm"),
    WB("h.%d.norm_mlp", "layers.%d.post_attention_layernorm"),
    FUSED(CV_HEADS3, "layers.%d.attention.query_key_value"),
    WB("h.%d.attn.out", "layers.%d.attention.dense"),
    UPDOWN("layers.%d.mlp.dense_h_to_4h", "layers.%d.mlp.dense_4h_to_h"),
    WB("norm_final", "final_layer_norm"),
    W("head", "/embed_out"),
    END,
};
static const char *const neox_ignored[] = {"layers.%d.attention.bias", "layers.%d.attention.masked_bias",
                                           "layers.%d.attention.rotary_emb.inv_freq", NULL};

static const name_rule opt_rules[] = {
    W("embed.tokens", "embed_tokens"),
    {"embed.positions.weight", "embed_positions.weight", CV_ROWS, 0},
    WB("h.%d.norm_attn", "layers.%d.self_attn_layer_norm"),
    QKVO("layers.%d.self_attn.q_proj", "layers.%d.self_attn.k_proj", "layers.%d.self_attn.v_proj",
         "layers.%d.self_attn.out_proj"),
    WB("h.%d.norm_mlp", "layers.%d.final_layer_norm"),
    UPDOWN("layers.%d.fc1", "layers.%d.fc2"),
    WB("norm_final", "final_layer_norm"),
    END,
};
static const char *const tied_ignored[] = {"/lm_head.weight", NULL};

static const name_rule bloom_rules[] = {
    W("embed.tokens", "word_embeddings"),
    WB("embed.norm", "word_embeddings_layernorm"),
    WB("h.%d.norm_attn", "h.%d.input_layernorm"),
    FUSED(CV_HEADS3, "h.%d.self_attention.query_key_value"),
    WB("h.%d.attn.out", "h.%d.self_attention.dense"),
    WB("h.%d.norm_mlp", "h.%d.post_attention_layernorm"),
    UPDOWN("h.%d.mlp.dense_h_to_4h", "h.%d.mlp.dense_4h_to_h"),
    WB("norm_final", "ln_f"),
    END,
};

static const name_rule falcon_rules[] = {
    W("embed.tokens", "word_embeddings"),
    WB("h.%d.norm_attn", "h.%d.input_layernorm"),
    FUSED(CV_BLOCKS, "h.%d.self_attention.query_key_value"),
    WB("h.%d.attn.out", "h.%d.self_attention.dense"),
    UPDOWN("h.%d.mlp.dense_h_to_4h", "h.%d.mlp.dense_4h_to_h"),
    WB("norm_final", "ln_f"),
    END,
};

static const name_rule phi_rules[] = {
    W("embed.tokens", "embed_tokens"),
    WB("h.%d.norm_attn", "layers.%d.input_layernorm"),
    QKVO("layers.%d.self_attn.q_proj", "layers.%d.self_attn.k_proj", "layers.%d.self_attn.v_proj",
         "layers.%d.self_attn.dense"),
    UPDOWN("layers.%d.mlp.fc1", "layers.%d.mlp.fc2"),
    WB("norm_final", "final_layernorm"),
    WB("head", "/lm_head"),
    END,
};

static const name_rule cohere_rules[] = {
    W("embed.tokens", "embed_tokens"),
    W("h.%d.norm_attn", "layers.%d.input_layernorm"),
    LLAMA_ATTN, LLAMA_MLP,
    W("norm_final", "norm"),
    W("head", "/lm_head"),
    END,
};

static const name_rule llama_rules[] = {
    W("embed.tokens", "embed_tokens"),
    W("h.%d.norm_attn", "layers.%d.input_layernorm"),
    LLAMA_ATTN,
    W("h.%d.norm_mlp", "layers.%d.post_attention_layernorm"),
    LLAMA_MLP,
    W("norm_final", "norm"),
    W("head", "/lm_head"),
    END,
};
static const char *const llama_ignored[] = {"layers.%d.self_attn.rotary_emb.inv_freq", NULL};

static const name_rule gemma2_rules[] = {
    W("embed.tokens", "embed_tokens"),
    W("h.%d.norm_attn", "layers.%d.input_layernorm"),
    W("h.%d.norm_attn_post", "layers.%d.post_attention_layernorm"),
    W("h.%d.norm_mlp", "layers.%d.pre_feedforward_layernorm"),
    W("h.%d.norm_mlp_post", "layers.%d.post_feedforward_layernorm"),
    LLAMA_ATTN, LLAMA_MLP,
    W("norm_final", "norm"),
    END,
};

static const name_rule olmo2_rules[] = {
    W("embed.tokens", "embed_tokens"),
    W("h.%d.norm_attn", "layers.%d.post_attention_layernorm"),
    W("h.%d.norm_mlp", "layers.%d.post_feedforward_layernorm"),
    W("h.%d.attn.q_norm", "layers.%d.self_attn.q_norm"),
    W("h.%d.attn.k_norm", "layers.%d.self_attn.k_norm"),
    LLAMA_ATTN, LLAMA_MLP,
    W("norm_final", "norm"),
    W("head", "/lm_head"),
    END,
};

static const name_rule t5_rules[] = {
    W("embed.tokens", "shared"),
    {"attn.rel_bias.weight", "encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight", CV_COPY, 0},
    W("h.%d.norm_attn", "encoder.block.%d.layer.0.layer_norm"),
    W("h.%d.attn.q", "encoder.block.%d.layer.0.SelfAttention.q"),
    W("h.%d.attn.k", "encoder.block.%d.layer.0.SelfAttention.k"),
    W("h.%d.attn.v", "encoder.block.%d.layer.0.SelfAttention.v"),
    W("h.%d.attn.out", "encoder.block.%d.layer.0.SelfAttention.o"),
    W("h.%d.norm_mlp", "encoder.block.%d.layer.1.layer_norm"),
    W("h.%d.mlp.up", "encoder.block.%d.layer.1.DenseReluDense.wi"),
    W("h.%d.mlp.down", "encoder.block.%d.layer.1.DenseReluDense.wo"),
    W("norm_final", "encoder.final_layer_norm"),
    END,
};
static const char *const t5_ignored[] = {"decoder.*", "encoder.embed_tokens.weight", "lm_head.weight", NULL};

static const name_rule bert_rules[] = {
    W("embed.tokens", "embeddings.word_embeddings"),
    {"embed.positions.weight", "embeddings.position_embeddings.weight", CV_ROWS, 0},
    W("embed.types", "embeddings.token_type_embeddings"),
    WB("embed.norm", "embeddings.LayerNorm"),
    QKVO("encoder.layer.%d.attention.self.query", "encoder.layer.%d.attention.self.key",
         "encoder.layer.%d.attention.self.value", "encoder.layer.%d.attention.output.dense"),
    WB("h.%d.norm_attn", "encoder.layer.%d.attention.output.LayerNorm"),
    UPDOWN("encoder.layer.%d.intermediate.dense", "encoder.layer.%d.output.dense"),
    WB("h.%d.norm_mlp", "encoder.layer.%d.output.LayerNorm"),
    WB("head.transform", "/cls.predictions.transform.dense"),
    WB("head.norm", "/cls.predictions.transform.LayerNorm"),
    {"head.bias", "/cls.predictions.bias", CV_COPY, 0},
    END,
};
static const char *const bert_ignored[] = {"pooler.*", "embeddings.position_ids", "/cls.seq_relationship.*",
                                           "/cls.predictions.decoder.*", NULL};

#define VIT_EMBED                                                                       \
    {"embed.patches.weight", "embeddings.patch_embeddings.projection.weight", CV_FLAT, 0}, \
    B("embed.patches", "embeddings.patch_embeddings.projection"),                       \
    {"embed.cls", "embeddings.cls_token", CV_FLAT, 0},                                   \
    {"embed.positions.weight", "embeddings.position_embeddings", CV_FLAT, 0}
#define VIT_ATTN QKVO("encoder.layer.%d.attention.attention.query", "encoder.layer.%d.attention.attention.key", \
                      "encoder.layer.%d.attention.attention.value", "encoder.layer.%d.attention.output.dense")
static const name_rule vit_rules[] = {
    VIT_EMBED, VIT_ATTN,
    WB("h.%d.norm_attn", "encoder.layer.%d.layernorm_before"),
    WB("h.%d.norm_mlp", "encoder.layer.%d.layernorm_after"),
    UPDOWN("encoder.layer.%d.intermediate.dense", "encoder.layer.%d.output.dense"),
    WB("norm_final", "layernorm"),
    WB("head", "/classifier"),
    END,
};
static const name_rule dinov2_rules[] = {
    VIT_EMBED, VIT_ATTN,
    WB("h.%d.norm_attn", "encoder.layer.%d.norm1"),
    WB("h.%d.norm_mlp", "encoder.layer.%d.norm2"),
    {"h.%d.ls_attn", "encoder.layer.%d.layer_scale1.lambda1", CV_COPY, 0},
    {"h.%d.ls_mlp", "encoder.layer.%d.layer_scale2.lambda1", CV_COPY, 0},
    UPDOWN("encoder.layer.%d.mlp.fc1", "encoder.layer.%d.mlp.fc2"),
    WB("norm_final", "layernorm"),
    WB("head", "/classifier"),
    END,
};
static const char *const vit_ignored[] = {"pooler.*", "embeddings.mask_token", NULL};
static const char *const none_ignored[] = {NULL};

/* llama.cpp's names (GGUF): norms and attention as in its convert_hf_to_gguf.py; q and k of
 * llama are stored permuted for its RoPE; gpt2's Conv1D weights are stored transposed, (out, in) */
static const name_rule gguf_llama_rules[] = {
    W("embed.tokens", "token_embd"),
    W("h.%d.norm_attn", "blk.%d.attn_norm"),
    {"h.%d.attn.q.weight", "blk.%d.attn_q.weight", CV_UNPERMUTE, 0},
    {"h.%d.attn.k.weight", "blk.%d.attn_k.weight", CV_UNPERMUTE, 0},
    W("h.%d.attn.v", "blk.%d.attn_v"),
    W("h.%d.attn.out", "blk.%d.attn_output"),
    W("h.%d.norm_mlp", "blk.%d.ffn_norm"),
    GATED("blk.%d.ffn_gate", "blk.%d.ffn_up", "blk.%d.ffn_down"),
    W("norm_final", "output_norm"),
    W("head", "output"),
    END,
};
static const name_rule gguf_gpt2_rules[] = {
    W("embed.tokens", "token_embd"),
    W("embed.positions", "position_embd"),
    WB("h.%d.norm_attn", "blk.%d.attn_norm"),
    FUSED(CV_BLOCKS, "blk.%d.attn_qkv"),
    WB("h.%d.attn.out", "blk.%d.attn_output"),
    WB("h.%d.norm_mlp", "blk.%d.ffn_norm"),
    UPDOWN("blk.%d.ffn_up", "blk.%d.ffn_down"),
    WB("norm_final", "output_norm"),
    END,
};
static const char *const gguf_gpt2_ignored[] = {"output.weight", NULL};

/* ---- config.json keys ---- */

static const act_row acts_gpt2[] = {{"gelu_new", MLP_GELU_TANH}, {"gelu_pytorch_tanh", MLP_GELU_TANH},
                                    {"gelu_fast", MLP_GELU_TANH}, {"gelu", MLP_GELU_ERF},
                                    {"relu", MLP_RELU}, {NULL, 0}};
static const act_row acts_erf[] = {{"gelu", MLP_GELU_ERF}, {NULL, 0}};
static const act_row acts_tanh[] = {{"gelu_new", MLP_GELU_TANH}, {"gelu_pytorch_tanh", MLP_GELU_TANH},
                                    {"gelu_fast", MLP_GELU_TANH}, {NULL, 0}};
static const act_row acts_relu[] = {{"relu", MLP_RELU}, {NULL, 0}};
static const act_row acts_silu[] = {{"silu", MLP_SWIGLU}, {"swish", MLP_SWIGLU}, {NULL, 0}};
static const act_row acts_geglu[] = {{"gelu_pytorch_tanh", MLP_GEGLU}, {"gelu_new", MLP_GEGLU}, {NULL, 0}};

#define LLAMA_KEYS                                                                                   \
    {"hidden_size", F_D}, {"num_hidden_layers", F_LAYERS}, {"num_key_value_heads", F_KV_HEADS},      \
    {"vocab_size", F_VOCAB}, {"intermediate_size", F_FF}, {"head_dim", F_HEAD_DIM}, {"rope_theta", F_THETA}
static const cfg_key gpt2_keys[] = {{"n_embd", F_D}, {"n_layer", F_LAYERS}, {"vocab_size", F_VOCAB},
                                    {"n_inner", F_FF}, {"layer_norm_epsilon", F_EPS}, {NULL, 0}};
static const cfg_key neox_keys[] = {{"hidden_size", F_D}, {"num_hidden_layers", F_LAYERS}, {"vocab_size", F_VOCAB},
                                    {"intermediate_size", F_FF}, {"layer_norm_eps", F_EPS},
                                    {"rotary_emb_base", F_THETA}, {"rope_theta", F_THETA}, {"rotary_pct", F_FRAC},
                                    {"partial_rotary_factor", F_FRAC}, {NULL, 0}};
static const cfg_key opt_keys[] = {{"hidden_size", F_D}, {"word_embed_proj_dim", F_D}, {"num_hidden_layers", F_LAYERS},
                                   {"vocab_size", F_VOCAB}, {"ffn_dim", F_FF}, {NULL, 0}};
static const cfg_key bloom_keys[] = {{"hidden_size", F_D}, {"n_embed", F_D}, {"n_layer", F_LAYERS},
                                     {"vocab_size", F_VOCAB}, {"layer_norm_epsilon", F_EPS}, {NULL, 0}};
static const cfg_key falcon_keys[] = {{"hidden_size", F_D}, {"num_hidden_layers", F_LAYERS}, {"num_kv_heads", F_KV_HEADS},
                                      {"vocab_size", F_VOCAB}, {"ffn_hidden_size", F_FF},
                                      {"layer_norm_epsilon", F_EPS}, {"rope_theta", F_THETA}, {NULL, 0}};
static const cfg_key phi_keys[] = {LLAMA_KEYS, {"layer_norm_eps", F_EPS}, {"partial_rotary_factor", F_FRAC}, {NULL, 0}};
static const cfg_key cohere_keys[] = {LLAMA_KEYS, {"layer_norm_eps", F_EPS}, {"logit_scale", F_LOGIT_SCALE}, {NULL, 0}};
static const cfg_key llama_keys[] = {LLAMA_KEYS, {"rms_norm_eps", F_EPS}, {NULL, 0}};
static const cfg_key gemma2_keys[] = {LLAMA_KEYS, {"rms_norm_eps", F_EPS}, {"final_logit_softcapping", F_SOFTCAP},
                                      {"query_pre_attn_scalar", F_ATTN_SCALAR}, {NULL, 0}};
static const cfg_key t5_keys[] = {{"d_model", F_D}, {"num_layers", F_LAYERS}, {"vocab_size", F_VOCAB}, {"d_ff", F_FF},
                                  {"d_kv", F_HEAD_DIM}, {"layer_norm_epsilon", F_EPS},
                                  {"relative_attention_num_buckets", F_BUCKETS},
                                  {"relative_attention_max_distance", F_MAX_DISTANCE}, {NULL, 0}};
static const cfg_key bert_keys[] = {{"hidden_size", F_D}, {"num_hidden_layers", F_LAYERS}, {"vocab_size", F_VOCAB},
                                    {"intermediate_size", F_FF}, {"type_vocab_size", F_TYPES},
                                    {"layer_norm_eps", F_EPS}, {NULL, 0}};
static const cfg_key vit_keys[] = {{"hidden_size", F_D}, {"num_hidden_layers", F_LAYERS}, {"intermediate_size", F_FF},
                                   {"image_size", F_IMAGE}, {"patch_size", F_PATCH}, {"num_channels", F_CHANNELS},
                                   {"layer_norm_eps", F_EPS}, {NULL, 0}};

static const cfg_refuse gpt2_refuse[] = {
    {"scale_attn_by_inverse_layer_idx", OK_FALSE, NULL, "normsim scales scores by 1/sqrt(head_dim) only"},
    {"scale_attn_weights", OK_TRUE, NULL, "normsim always scales scores by 1/sqrt(head_dim)"},
    {NULL, 0, NULL, NULL}};
static const cfg_refuse neox_refuse[] = {
    {"use_parallel_residual", OK_TRUE, NULL, "normsim's pythia is x + attn(ln1 x) + mlp(ln2 x)"},
    {NULL, 0, NULL, NULL}};
static const cfg_refuse opt_refuse[] = {
    {"do_layer_norm_before", OK_TRUE, NULL, "normsim's opt is pre-LN (OPT-350m is post-LN)"},
    {"layer_norm_elementwise_affine", OK_TRUE, NULL, "normsim's opt LayerNorm has a gain and a bias"},
    {NULL, 0, NULL, NULL}};
static const cfg_refuse bloom_refuse[] = {
    {"apply_residual_connection_post_layernorm", OK_FALSE, NULL, "normsim adds the residual before the LN"},
    {NULL, 0, NULL, NULL}};
static const cfg_refuse falcon_refuse[] = {
    {"new_decoder_architecture", OK_FALSE, NULL, "normsim's falcon is the 7B layout (one input LN)"},
    {"alibi", OK_FALSE, NULL, "normsim's falcon uses RoPE"},
    {"multi_query", OK_TRUE, NULL, "normsim's falcon reads the fused [q, k, v] multi-query layout"},
    {"parallel_attn", OK_TRUE, NULL, "normsim's falcon is parallel"},
    {NULL, 0, NULL, NULL}};
static const cfg_refuse phi_refuse[] = {
    {"qk_layernorm", OK_FALSE, NULL, "normsim's phi2 has no q/k LayerNorm"}, {NULL, 0, NULL, NULL}};
static const cfg_refuse cohere_refuse[] = {
    {"use_qk_norm", OK_FALSE, NULL, "normsim's command-r has no per-head q/k norms"}, {NULL, 0, NULL, NULL}};
static const cfg_refuse olmo_refuse[] = {
    {"clip_qkv", OK_NULL, NULL, "normsim does not clip q, k, v"}, {NULL, 0, NULL, NULL}};
static const cfg_refuse gemma2_refuse[] = {
    {"attn_logit_softcapping", OK_NULL, NULL, "normsim does not soft-cap attention scores"},
    {NULL, 0, NULL, NULL}};
static const cfg_refuse t5_refuse[] = {
    {"tie_word_embeddings", OK_TRUE, NULL, "normsim's t5 is v1.0: tied, head input x d^-1/2"},
    {"is_gated_act", OK_FALSE, NULL, "normsim's t5 has a ReLU MLP"},
    {NULL, 0, NULL, NULL}};
static const cfg_refuse bert_refuse[] = {
    {"position_embedding_type", OK_STRING, "absolute", "normsim's bert has absolute positions"},
    {NULL, 0, NULL, NULL}};
static const cfg_refuse none_refuse[] = {{NULL, 0, NULL, NULL}};
static const cfg_key gguf_llama_keys[] = {
    {"llama.embedding_length", F_D}, {"llama.block_count", F_LAYERS}, {"llama.attention.head_count_kv", F_KV_HEADS},
    {"llama.vocab_size", F_VOCAB}, {"llama.feed_forward_length", F_FF}, {"llama.rope.dimension_count", F_HEAD_DIM},
    {"llama.rope.freq_base", F_THETA}, {"llama.attention.layer_norm_rms_epsilon", F_EPS}, {NULL, 0}};
static const cfg_key gguf_gpt2_keys[] = {
    {"gpt2.embedding_length", F_D}, {"gpt2.block_count", F_LAYERS}, {"gpt2.feed_forward_length", F_FF},
    {"gpt2.attention.layer_norm_epsilon", F_EPS}, {NULL, 0}};
static const cfg_refuse gguf_llama_refuse[] = {
    {"llama.rope.scaling.type", OK_STRING, "none", "normsim's RoPE has no scaling"},
    {"llama.expert_count", OK_NULL, NULL, "normsim has no mixture of experts"},
    {NULL, 0, NULL, NULL}};

/* ---- the families ---- */

#define HEADS_OF(k) .k_heads = k
#define ACT(a, t) .k_act = {a, NULL}, .acts = t
#define LLAMA_LIKE(name, types, rules_, keys_, refuse_, acts_, win)                                     \
    {.arch = name, .model_types = types, .prefixes = {"model.", "", NULL}, .embed = "embed_tokens.weight", \
     .layer = "layers.%d.self_attn.q_proj.weight", .qkv = "layers.%d.self_attn.q_proj.weight",          \
     .kproj = "layers.%d.self_attn.k_proj.weight", .up = "layers.%d.mlp.up_proj.weight",                \
     HEADS_OF("num_attention_heads"), .k_ctx = "max_position_embeddings", ACT("hidden_act", acts_),     \
     .placement = -1, .window = win, .keys = keys_, .refuse = refuse_, .rules = rules_,                 \
     .ignored = llama_ignored}
#define TYPES(...) {__VA_ARGS__}

const hf_family hf_families[] = {
    {.arch = "gpt2", .model_types = {"gpt2"}, .prefixes = {"transformer.", "", NULL}, .embed = "wte.weight",
     .layer = "h.%d.ln_1.weight", .qkv = "h.%d.attn.c_attn.weight", .fused = FUSED_CONV1D,
     .up = "h.%d.mlp.c_fc.weight", .up_t = 1, HEADS_OF("n_head"), .k_ctx = "n_positions",
     ACT("activation_function", acts_gpt2), .placement = -1, .keys = gpt2_keys, .refuse = gpt2_refuse,
     .rules = gpt2_rules, .ignored = gpt2_ignored},
    {.arch = "pythia", .model_types = {"gpt_neox"}, .prefixes = {"gpt_neox.", "", NULL}, .embed = "embed_in.weight",
     .layer = "layers.%d.input_layernorm.weight", .qkv = "layers.%d.attention.query_key_value.weight",
     .fused = FUSED_HEADS, .up = "layers.%d.mlp.dense_h_to_4h.weight", HEADS_OF("num_attention_heads"),
     .k_ctx = "max_position_embeddings", ACT("hidden_act", acts_erf), .placement = -1, .keys = neox_keys,
     .refuse = neox_refuse, .rules = neox_rules, .ignored = neox_ignored},
    {.arch = "opt", .model_types = {"opt"}, .prefixes = {"model.decoder.", "decoder.", NULL},
     .embed = "embed_tokens.weight", .layer = "layers.%d.self_attn_layer_norm.weight",
     .qkv = "layers.%d.self_attn.q_proj.weight", .kproj = "layers.%d.self_attn.k_proj.weight",
     .up = "layers.%d.fc1.weight", HEADS_OF("num_attention_heads"), .k_ctx = "max_position_embeddings",
     ACT("activation_function", acts_relu), .placement = -1, .keys = opt_keys, .refuse = opt_refuse,
     .rules = opt_rules, .ignored = tied_ignored},
    {.arch = "bloom", .model_types = {"bloom"}, .prefixes = {"transformer.", "", NULL},
     .embed = "word_embeddings.weight", .layer = "h.%d.input_layernorm.weight",
     .qkv = "h.%d.self_attention.query_key_value.weight", .fused = FUSED_HEADS,
     .up = "h.%d.mlp.dense_h_to_4h.weight", HEADS_OF("n_head"), .placement = -1, .keys = bloom_keys,
     .refuse = bloom_refuse, .rules = bloom_rules, .ignored = tied_ignored},
    {.arch = "falcon", .model_types = {"falcon", "RefinedWebModel"}, .prefixes = {"transformer.", "", NULL},
     .embed = "word_embeddings.weight", .layer = "h.%d.input_layernorm.weight",
     .qkv = "h.%d.self_attention.query_key_value.weight", .fused = FUSED_BLOCKS,
     .up = "h.%d.mlp.dense_h_to_4h.weight", HEADS_OF("num_attention_heads"),
     .k_ctx = "max_position_embeddings", ACT("activation", acts_erf), .placement = -1, .keys = falcon_keys,
     .refuse = falcon_refuse, .rules = falcon_rules, .ignored = tied_ignored},
    {.arch = "phi2", .model_types = {"phi"}, .prefixes = {"model.", "", NULL}, .embed = "embed_tokens.weight",
     .layer = "layers.%d.input_layernorm.weight", .qkv = "layers.%d.self_attn.q_proj.weight",
     .kproj = "layers.%d.self_attn.k_proj.weight", .up = "layers.%d.mlp.fc1.weight",
     HEADS_OF("num_attention_heads"), .k_ctx = "max_position_embeddings", ACT("hidden_act", acts_tanh),
     .placement = -1, .keys = phi_keys, .refuse = phi_refuse, .rules = phi_rules, .ignored = none_ignored},
    LLAMA_LIKE("command-r", TYPES("cohere"), cohere_rules, cohere_keys, cohere_refuse, acts_silu, 0),
    LLAMA_LIKE("llama", TYPES("llama"), llama_rules, llama_keys, none_refuse, acts_silu, 0),
    LLAMA_LIKE("mistral", TYPES("mistral"), llama_rules, llama_keys, none_refuse, acts_silu, 1),
    LLAMA_LIKE("qwen2", TYPES("qwen2"), llama_rules, llama_keys, none_refuse, acts_silu, 1),
    {.arch = "gemma", .model_types = {"gemma"}, .prefixes = {"model.", "", NULL}, .embed = "embed_tokens.weight",
     .layer = "layers.%d.input_layernorm.weight", .qkv = "layers.%d.self_attn.q_proj.weight",
     .kproj = "layers.%d.self_attn.k_proj.weight", .up = "layers.%d.mlp.up_proj.weight",
     HEADS_OF("num_attention_heads"), .k_ctx = "max_position_embeddings",
     .k_act = {"hidden_activation", "hidden_act"}, .acts = acts_geglu, .placement = PLACE_PRE,
     .keys = llama_keys, .refuse = none_refuse, .rules = llama_rules, .ignored = llama_ignored},
    {.arch = "gemma", .model_types = {"gemma2"}, .prefixes = {"model.", "", NULL}, .embed = "embed_tokens.weight",
     .layer = "layers.%d.input_layernorm.weight", .qkv = "layers.%d.self_attn.q_proj.weight",
     .kproj = "layers.%d.self_attn.k_proj.weight", .up = "layers.%d.mlp.up_proj.weight",
     HEADS_OF("num_attention_heads"), .k_ctx = "max_position_embeddings",
     .k_act = {"hidden_activation", "hidden_act"}, .acts = acts_geglu, .placement = -1, .window = 2,
     .keys = gemma2_keys, .refuse = gemma2_refuse, .rules = gemma2_rules, .ignored = llama_ignored},
    {.arch = "t5", .model_types = {"t5"}, .prefixes = {"", NULL}, .embed = "shared.weight",
     .layer = "encoder.block.%d.layer.0.layer_norm.weight", .qkv = "encoder.block.%d.layer.0.SelfAttention.q.weight",
     .kproj = "encoder.block.%d.layer.0.SelfAttention.k.weight",
     .up = "encoder.block.%d.layer.1.DenseReluDense.wi.weight", HEADS_OF("num_heads"),
     ACT("feed_forward_proj", acts_relu), .placement = -1, .keys = t5_keys, .refuse = t5_refuse,
     .rules = t5_rules, .ignored = t5_ignored},
    LLAMA_LIKE("olmo1", TYPES("olmo"), llama_rules, llama_keys, olmo_refuse, acts_silu, 0),
    LLAMA_LIKE("olmo2", TYPES("olmo2"), olmo2_rules, llama_keys, none_refuse, acts_silu, 0),
    {.arch = "bert", .model_types = {"bert"}, .prefixes = {"bert.", "", NULL},
     .embed = "embeddings.word_embeddings.weight", .layer = "encoder.layer.%d.output.LayerNorm.weight",
     .qkv = "encoder.layer.%d.attention.self.query.weight", .kproj = "encoder.layer.%d.attention.self.key.weight",
     .up = "encoder.layer.%d.intermediate.dense.weight", HEADS_OF("num_attention_heads"),
     .k_ctx = "max_position_embeddings", ACT("hidden_act", acts_erf), .placement = -1, .keys = bert_keys,
     .refuse = bert_refuse, .rules = bert_rules, .ignored = bert_ignored},
    {.arch = "vit", .model_types = {"vit"}, .prefixes = {"vit.", "", NULL},
     .embed = "embeddings.patch_embeddings.projection.weight", .layer = "encoder.layer.%d.layernorm_before.weight",
     .qkv = "encoder.layer.%d.attention.attention.query.weight",
     .kproj = "encoder.layer.%d.attention.attention.key.weight", .up = "encoder.layer.%d.intermediate.dense.weight",
     HEADS_OF("num_attention_heads"), ACT("hidden_act", acts_erf), .placement = -1, .keys = vit_keys,
     .refuse = none_refuse, .rules = vit_rules, .ignored = vit_ignored},
    {.arch = "dinov2", .model_types = {"dinov2"}, .prefixes = {"dinov2.", "", NULL},
     .embed = "embeddings.patch_embeddings.projection.weight", .layer = "encoder.layer.%d.norm1.weight",
     .qkv = "encoder.layer.%d.attention.attention.query.weight",
     .kproj = "encoder.layer.%d.attention.attention.key.weight", .up = "encoder.layer.%d.mlp.fc1.weight",
     HEADS_OF("num_attention_heads"), ACT("hidden_act", acts_erf), .placement = -1, .keys = vit_keys,
     .refuse = none_refuse, .rules = dinov2_rules, .ignored = vit_ignored},
    {.arch = "llama", .model_types = {"gguf:llama"}, .prefixes = {"", NULL}, .embed = "token_embd.weight",
     .layer = "blk.%d.attn_norm.weight", .qkv = "blk.%d.attn_q.weight", .kproj = "blk.%d.attn_k.weight",
     .up = "blk.%d.ffn_up.weight", HEADS_OF("llama.attention.head_count"), .k_ctx = "llama.context_length",
     .placement = -1, .keys = gguf_llama_keys, .refuse = gguf_llama_refuse, .rules = gguf_llama_rules,
     .ignored = none_ignored},
    {.arch = "gpt2", .model_types = {"gguf:gpt2"}, .prefixes = {"", NULL}, .embed = "token_embd.weight",
     .layer = "blk.%d.attn_norm.weight", .qkv = "blk.%d.attn_qkv.weight", .fused = FUSED_BLOCKS,
     .up = "blk.%d.ffn_up.weight", HEADS_OF("gpt2.attention.head_count"), .k_ctx = "gpt2.context_length",
     .placement = -1, .keys = gguf_gpt2_keys, .refuse = none_refuse, .rules = gguf_gpt2_rules,
     .ignored = gguf_gpt2_ignored},
};
const int hf_n_families = (int)(sizeof hf_families / sizeof hf_families[0]);

void hf_family_list(char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int f = 0; f < hf_n_families && used < n; f++)
        used += (size_t)snprintf(buf + used, n - used, "%s%s (%s)", f ? ", " : "", hf_families[f].arch,
                                 hf_families[f].model_types[0]);
}
