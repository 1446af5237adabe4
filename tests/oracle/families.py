"""The facts the oracle checks normsim against, and its cases.

FAMILY: one row per archetype, written from shared/ARCHETYPES.md and the Hugging Face
modeling_<family>.py / configuration_<family>.py files (never from normsim's table).
NORM_PARAMS: the parameters of each norm scheme and their init values.
CASES: the exports oracle_archs.py checks. MUTATIONS: one fact changed in the oracle's
model; each must make a perturbed export disagree.
"""
# ---------------------------------------------------------------------------------------
# The family facts (shared/ARCHETYPES.md; Hugging Face modeling_<family>.py). Sizes are
# not facts: they come from each case's config.
# ---------------------------------------------------------------------------------------
BASE = dict(
    norm=None, eps=None, placement="pre", residual="sequential", mlp=None, positions=None,
    pos_offset=0,
    rope_frac=0.0, rope_base=None,      # None: any positive base (the facts do not say)
    rope_style="half",                  # half: rotate_half on the first r dims (GPT-NeoX,
                                        # LLaMA); interleaved: pairs (2i, 2i+1) (Cohere)
    global_every=0, global_rope_frac=0.0, global_rope_base=None,
    global_rope_style="proportional",   # gemma4 global layers: HF "proportional" RoPE,
                                        # pairs (i, i + hd/2), frequencies base^(-2i/hd),
                                        # the first int(frac hd // 2) live, the rest 0;
                                        # "neox": rotate_half on the first int(frac hd)
                                        # dims, base^(-2i/r) (what normsim does today)
    window=False,                       # sliding window on the (local) layers
    kv="mha",                           # mha: kv = heads; mqa: kv = 1; gqa: heads % kv == 0
    causal=True, bias=(), tied=False, logit_scale=0.0, logit_softcap=0.0,
    head_scale_rsqrt_d=False, attn_scale=None,   # None: 1/sqrt(head_dim)
    embed_scale_sqrt_d=False, embed_norm=False, final_norm=True, layerscale=False,
    qk_norm="none", v_norm=False, token_types=0, mlm_head=False, input="tokens",
    init="std", t5_buckets=0, t5_max_distance=0,
)
ALL3 = ("qkv", "attn_out", "mlp")


def fam(**kw):
    f = dict(BASE)
    for k in kw:
        assert k in BASE, k
    f.update(kw)
    return f


FAMILY = {
    # GPT-2: pre-LN ln_1, ln_2, ln_f; tanh GELU; learned positions; Conv1D biases; tied;
    # c_proj (attn and MLP) N(0, 0.02/sqrt(2L))
    "gpt2": fam(norm="layernorm", eps=1e-5, mlp="gelu_tanh", positions="learned", bias=ALL3,
                tied=True, init="gpt2"),
    # GPT-NeoX: x + attn(ln1 x) + mlp(ln2 x); rotary_pct 0.25, rotate_half; GELU (erf);
    # embed_out untied, without bias
    "pythia": fam(norm="layernorm", eps=1e-5, residual="parallel_two", mlp="gelu_erf",
                  positions="rope", rope_frac=0.25, rope_base=1e4, bias=ALL3),
    # OPT: pre-LN (do_layer_norm_before), ReLU, learned positions at t + 2, lm_head tied
    # without bias
    "opt": fam(norm="layernorm", eps=1e-5, mlp="relu", positions="learned", pos_offset=2,
               bias=ALL3, tied=True),
    # BLOOM: word_embeddings_layernorm, pre-LN, ALiBi (build_alibi_tensor), bloom_gelu
    # (tanh form), tied lm_head without bias
    "bloom": fam(norm="layernorm", eps=1e-5, embed_norm=True, mlp="gelu_tanh",
                 positions="alibi", bias=ALL3, tied=True),
    # Falcon (7B layout): one input_layernorm feeds attn and MLP in parallel; multi-query;
    # rotary on the full head (rotate_half); nn.GELU (erf); bias=False; tied
    "falcon": fam(norm="layernorm", eps=1e-5, residual="parallel_shared", mlp="gelu_erf",
                  positions="rope", rope_frac=1.0, rope_base=1e4, kv="mqa", tied=True),
    # Phi-2: shared input_layernorm, parallel; partial_rotary_factor 0.4 (rotate_half on
    # the first int(0.4 hd) dims); gelu_new (tanh); biases everywhere incl. lm_head
    "phi2": fam(norm="layernorm", eps=1e-5, residual="parallel_shared", mlp="gelu_tanh",
                positions="rope", rope_frac=0.4, rope_base=1e4, bias=ALL3 + ("head",)),
    # Cohere: CohereLayerNorm (mean-centred, weight only), shared LN, parallel, SwiGLU,
    # interleaved rotary (repeat_interleave freqs), tied, logits * logit_scale 0.0625
    "command-r": fam(norm="layernorm-nobias", eps=1e-5, residual="parallel_shared",
                     mlp="swiglu", positions="rope", rope_frac=1.0, rope_base=1e4,
                     rope_style="interleaved", tied=True, logit_scale=0.0625),
    # BERT: LN(word + position + token_type[0]); post-LN after attn and after MLP; GELU
    # (erf); bidirectional; MLM head dense + gelu + LN, tied decoder + bias
    "bert": fam(norm="layernorm", eps=1e-12, placement="post", final_norm=False,
                embed_norm=True, mlp="gelu_erf", positions="learned", causal=False,
                bias=ALL3 + ("head",), tied=True, token_types=2, mlm_head=True),
    # ViT: Conv2d patch embedding (kernel = stride = patch), CLS, learned positions,
    # pre-LN (layernorm_before/after), final layernorm, classifier on CLS; trunc_normal
    "vit": fam(norm="layernorm", eps=1e-12, mlp="gelu_erf", positions="learned",
               causal=False, bias=ALL3 + ("head", "patch"), input="patches", init="trunc"),
    # OLMo-1: non-parametric LN, pre-LN, SwiGLU, rotate_half RoPE, no biases; tied varies
    "olmo1": fam(norm="layernorm-noaffine", eps=1e-5, mlp="swiglu", positions="rope",
                 rope_frac=1.0, rope_base=1e4, tied=None),
    # DINOv2: pre-LN norm1/norm2, LayerScale (lambda1, lambda2; init 1.0) on both branches,
    # GELU, CLS + learned positions, final layernorm, trunc_normal
    "dinov2": fam(norm="layernorm", eps=1e-6, mlp="gelu_erf", positions="learned",
                  causal=False, bias=ALL3 + ("head", "patch"), layerscale=True,
                  input="patches", init="trunc"),
    # LLaMA: pre-RMSNorm, SwiGLU, rotate_half RoPE base 1e4, no biases, untied
    "llama": fam(norm="rmsnorm", eps=1e-6, mlp="swiglu", positions="rope", rope_frac=1.0,
                 rope_base=1e4),
    # Mistral: as llama + sliding window (key j visible to query i iff i - w < j <= i) + GQA
    "mistral": fam(norm="rmsnorm", eps=1e-6, mlp="swiglu", positions="rope", rope_frac=1.0,
                   rope_base=1e4, window=True, kv="gqa"),
    # Qwen2: as llama, RoPE base 1e6, GQA, biases on q, k, v only, tied (small sizes)
    "qwen2": fam(norm="rmsnorm", eps=1e-6, mlp="swiglu", positions="rope", rope_frac=1.0,
                 rope_base=1e6, kv="gqa", bias=("qkv",), tied=True),
    # Gemma 2/3: GemmaRMSNorm (1 + w), sandwich (input, post_attention, pre_feedforward,
    # post_feedforward), GeGLU (gelu_pytorch_tanh), RoPE, embeddings * sqrt(d), tied;
    # grouped-query attention (every Gemma 2/3 config has fewer kv heads than heads)
    "gemma": fam(norm="rmsnorm-1p", eps=1e-6, placement="sandwich", mlp="geglu",
                 positions="rope", rope_frac=1.0, rope_base=1e4, kv="gqa", tied=True,
                 embed_scale_sqrt_d=True),
    # Gemma 4: plain-scale RMS, sandwich, per-head q/k/v norms, 5 local (window, full
    # RoPE 1e4) : 1 global (proportional RoPE 25 %, 1e6), scaling 1.0, softcap 30, tied,
    # embeddings * sqrt(d)
    "gemma4": fam(norm="rmsnorm", eps=1e-6, placement="sandwich", mlp="geglu",
                  positions="rope", rope_frac=1.0, rope_base=1e4, global_every=6,
                  global_rope_frac=0.25, global_rope_base=1e6, window=True, kv="gqa",
                  qk_norm="per_head", v_norm=True, attn_scale=1.0, tied=True,
                  embed_scale_sqrt_d=True, logit_softcap=30.0),
    # T5 (v1.0) encoder: T5LayerNorm (RMS), pre-norm, ReLU, bidirectional relative
    # position bias (32 buckets, max distance 128) from layer 0 shared by all layers, no
    # 1/sqrt(d_kv) scaling, tied head on sequence_output * d^-0.5, scaled-normal init
    "t5": fam(norm="rmsnorm", eps=1e-6, mlp="relu", positions="t5_bias", causal=False,
              attn_scale=1.0, tied=True, head_scale_rsqrt_d=True, init="t5", t5_buckets=32,
              t5_max_distance=128),
    # OLMo-2: h = x + RMS(attn(x)); out = h + RMS(mlp(h)); q_norm/k_norm RMS over the full
    # q / k width before RoPE; SwiGLU; untied. rope_theta: 1e4 (config default) or 5e5
    # (the released checkpoints)
    "olmo2": fam(norm="rmsnorm", eps=1e-5, placement="post_in_resid", mlp="swiglu",
                 positions="rope", rope_frac=1.0, rope_base=(1e4, 5e5), qk_norm="full"),
}

# parameters of each norm scheme, and their init values
NORM_PARAMS = {
    "layernorm": {"weight": 1.0, "bias": 0.0},
    "layernorm-nobias": {"weight": 1.0},
    "layernorm-noaffine": {},
    "rmsnorm": {"weight": 1.0},
    "rmsnorm-1p": {"weight": 0.0},  # the gain is 1 + weight
}

# ---------------------------------------------------------------------------------------
# Cases: name, arch, export options, extra expectations. "init" cases are unperturbed
# (the family's own initialisation is checked); the others use --perturb 0.02 so biases
# and norm shifts are non-zero, some with random gains too. Every case but the init ones
# exports with --grads (the init ones keep the forward-only export path tested): the
# loss and every parameter's gradient are compared with torch autograd.
# ---------------------------------------------------------------------------------------
T12 = "--seq 12 --vocab 97 --tokens 24"
P = "--perturb 0.02"
G = "--grads"  # also targets, loss and normsim's gradients, checked against torch autograd
CASES = [
    ("gpt2-init", "gpt2", f"--d 32 --layers 2 --heads 4 {T12}"),
    ("gpt2", "gpt2", f"--d 48 --layers 3 --heads 4 {T12} {P} --gamma random:0.3 --seed 7 {G}"),
    ("gpt2-short", "gpt2", f"--d 32 --layers 2 --heads 2 --seq 16 --vocab 97 --tokens 5 {P} --seed 11 {G}"),
    ("gpt2-rmsnorm", "gpt2", f"--norm rmsnorm --d 32 --layers 2 --heads 4 {T12} {P} --gamma random:0.3 --seed 3 {G}"),
    ("pythia-init", "pythia", f"--d 64 --layers 2 --heads 4 {T12}"),
    ("pythia", "pythia", f"--d 64 --layers 2 --heads 4 {T12} {P} --seed 5 {G}"),
    ("opt-init", "opt", f"--d 32 --layers 2 --heads 4 {T12}"),
    ("opt", "opt", f"--d 32 --layers 2 --heads 4 {T12} {P} --data zipf --seed 9 {G}"),
    ("bloom-init", "bloom", f"--d 32 --layers 2 --heads 4 {T12}"),
    ("bloom", "bloom", f"--d 48 --layers 2 --heads 6 {T12} {P} --gamma random:0.3 --seed 2 {G}"),
    ("falcon-init", "falcon", f"--d 32 --layers 2 --heads 4 {T12}"),
    ("falcon", "falcon", f"--d 32 --layers 2 --heads 4 {T12} {P} --seed 4 {G}"),
    ("phi2-init", "phi2", f"--d 80 --layers 2 --heads 4 {T12}"),
    ("phi2", "phi2", f"--d 80 --layers 2 --heads 4 {T12} {P} --seed 6 {G}"),
    ("command-r-init", "command-r", f"--d 32 --layers 2 --heads 2 --d-ff 64 {T12}"),
    ("command-r", "command-r", f"--d 32 --layers 2 --heads 2 --d-ff 64 {T12} {P} --gamma random:0.3 --seed 8 {G}"),
    ("bert-init", "bert", f"--d 32 --layers 2 --heads 4 {T12}"),
    ("bert", "bert", f"--d 32 --layers 2 --heads 4 {T12} {P} --seed 10 {G}"),
    ("vit-init", "vit", "--d 32 --layers 2 --heads 4 --tokens 34"),
    ("vit", "vit", f"--d 32 --layers 2 --heads 4 --tokens 34 {P} --gamma random:0.3 --seed 12 {G}"),
    ("vit-synthetic", "vit", f"--d 32 --layers 2 --heads 4 --image 8 --patch 4 --tokens 10 --data synthetic {P} --seed 13 {G}"),
    ("llama-init", "llama", f"--d 32 --layers 2 --heads 4 --d-ff 64 {T12}"),
    ("llama", "llama", f"--d 32 --layers 2 --heads 4 --d-ff 64 {T12} {P} --seed 14 {G}"),
    ("llama-gains", "llama", f"--d 64 --layers 2 --heads 4 --d-ff 64 {T12} --gamma random:0.5 --seed 28 {G}"),
    ("gemma-gains", "gemma", f"--d 64 --layers 2 --heads 4 --d-ff 64 {T12} --gamma random:0.5 --seed 29 {G}"),
    ("llama-layernorm", "llama", f"--norm layernorm --d 32 --layers 2 --heads 4 --d-ff 64 {T12} {P} --gamma random:0.3 --seed 15 {G}"),
    ("mistral-init", "mistral", f"--d 32 --layers 2 --heads 4 --d-ff 64 --window 4 {T12}"),
    ("mistral", "mistral", f"--d 32 --layers 2 --heads 4 --d-ff 64 --window 4 {T12} {P} --seed 16 {G}"),
    ("qwen2-init", "qwen2", f"--d 32 --layers 2 --heads 4 --d-ff 64 {T12}"),
    ("qwen2", "qwen2", f"--d 32 --layers 2 --heads 4 --d-ff 64 {T12} {P} --seed 17 {G}"),
    ("gemma-init", "gemma", f"--d 32 --layers 2 --heads 4 --d-ff 64 {T12}"),
    ("gemma", "gemma", f"--d 32 --layers 2 --heads 4 --d-ff 64 {T12} {P} --gamma random:0.3 --seed 18 {G}"),
    ("gemma-rmsnorm", "gemma", f"--norm rmsnorm --d 32 --layers 2 --heads 4 --d-ff 64 {T12} {P} --seed 19 {G}"),
    ("t5-init", "t5", "--d 32 --layers 2 --heads 4 --seq 16 --vocab 97 --tokens 32"),
    ("t5", "t5", f"--d 32 --layers 2 --heads 4 --seq 16 --vocab 97 --tokens 32 {P} --seed 20 {G}"),
    ("t5-long", "t5", f"--d 32 --layers 2 --heads 2 --seq 48 --vocab 97 --tokens 48 {P} --seed 21 {G}"),
    ("olmo1-init", "olmo1", f"--d 32 --layers 2 --heads 4 --d-ff 64 {T12}"),
    ("olmo1", "olmo1", f"--d 32 --layers 2 --heads 4 --d-ff 64 {T12} {P} --seed 22 {G}"),
    ("olmo1-rmsnorm", "olmo1", f"--norm rmsnorm --d 32 --layers 2 --heads 4 --d-ff 64 {T12} {P} --gamma random:0.3 --seed 23 {G}"),
    ("olmo2-init", "olmo2", f"--d 32 --layers 2 --heads 4 --d-ff 64 {T12}"),
    ("olmo2", "olmo2", f"--d 32 --layers 2 --heads 4 --d-ff 64 {T12} {P} --gamma random:0.3 --seed 24 {G}"),
    ("olmo2-layernorm", "olmo2", f"--norm layernorm --d 32 --layers 2 --heads 4 --d-ff 64 {T12} {P} --seed 25 {G}"),
    ("gemma4-init", "gemma4", f"--d 32 --layers 6 --heads 2 --kv-heads 1 --d-ff 64 --window 4 {T12}"),
    ("gemma4", "gemma4", f"--d 32 --layers 6 --heads 2 --kv-heads 1 --d-ff 64 --window 4 {T12} {P} --gamma random:0.3 --seed 26 {G}"),
    ("dinov2-init", "dinov2", "--d 32 --layers 2 --heads 4 --tokens 34"),
    ("dinov2", "dinov2", f"--d 32 --layers 2 --heads 4 --tokens 34 {P} --gamma random:0.3 --seed 27 {G}"),
]

# Mutations: the oracle's model with one fact changed; on a perturbed case each must
# disagree with the export (so the fact is exercised), and when a case fails, the ones
# that agree say what C computes instead. name -> (families, spec changes)
MUTATIONS = {
    "eps x 10": (None, lambda s: s.update(eps=s["eps"] * 10)),
    "gelu erf instead of tanh": (("gpt2", "bloom", "phi2"), lambda s: s.update(mlp="gelu_erf")),
    "gelu tanh instead of erf": (("pythia", "falcon", "bert", "vit", "dinov2"), lambda s: s.update(mlp="gelu_tanh")),
    "silu instead of tanh gelu in the gate": (("gemma", "gemma4"), lambda s: s.update(mlp="swiglu")),
    "tanh gelu instead of silu in the gate": (("llama", "command-r", "olmo1", "olmo2"), lambda s: s.update(mlp="geglu")),
    "relu -> gelu": (("opt", "t5"), lambda s: s.update(mlp="gelu_erf")),
    "positions without the offset 2": (("opt",), lambda s: s.update(pos_offset=0)),
    "no position embeddings": (("gpt2", "opt", "bert", "vit", "dinov2"), lambda s: s.update(positions="none")),
    "no ALiBi": (("bloom",), lambda s: s.update(positions="none")),
    "ALiBi slopes all from 2^(-8/H)": (("bloom",), lambda s: s.update(alibi_naive=True)),
    "no embedding norm": (("bloom", "bert"), lambda s: s.update(embed_norm=False)),
    "rotary on the full head": (("pythia", "phi2"), lambda s: s.update(rope_frac=1.0)),
    "rotary pairs interleaved": (("pythia", "falcon", "phi2", "llama", "qwen2", "olmo2", "gemma4"),
                                 lambda s: s.update(rope_style="interleaved")),
    "rotary pairs rotate_half": (("command-r",), lambda s: s.update(rope_style="half")),
    "no rotary": (("falcon", "llama", "olmo1"), lambda s: s.update(positions="none")),
    "rope base 1e4": (("qwen2",), lambda s: s.update(rope_base=1e4)),
    "rope base 1e6": (("llama", "mistral"), lambda s: s.update(rope_base=1e6)),
    "no logit scale": (("command-r",), lambda s: s.update(logit_scale=0.0)),
    "no head bias": (("phi2",), lambda s: s.update(no_head_bias=True)),
    "no token-type embedding": (("bert",), lambda s: s.update(token_types=0)),
    "causal": (("bert", "vit", "t5", "dinov2"), lambda s: s.update(causal=True)),
    "patches in column order": (("vit", "dinov2"), lambda s: s.update(patch_order="column")),
    "classifier on the mean token": (("vit", "dinov2"), lambda s: s.update(classify_on="mean")),
    "no sliding window": (("mistral", "gemma4"), lambda s: s.update(window=False)),
    "window one wider (i - w <= j)": (("mistral", "gemma4"), lambda s: s.update(window_shift=1)),
    "window one narrower (i - w + 1 < j)": (("mistral", "gemma4"), lambda s: s.update(window_shift=-1)),
    "query head h reads kv head h mod kv (tiled, not grouped)": (("mistral", "qwen2", "gemma"),
                                                                 lambda s: s.update(kv_tiled=True)),
    "no q/k/v biases": (("qwen2",), lambda s: s.update(no_qkv_bias=True)),
    "gain w instead of 1 + w": (("gemma",), lambda s: s.update(norm="rmsnorm")),
    "embeddings not scaled by sqrt(d)": (("gemma", "gemma4"), lambda s: s.update(embed_scale_sqrt_d=False)),
    "no post-branch norms (plain pre-norm)": (("gemma", "gemma4"), lambda s: s.update(placement="pre")),
    "attention scale 1/sqrt(hd)": (("t5", "gemma4"), lambda s: s.update(attn_scale=None)),
    "attention scale 1": (("gpt2", "llama", "bert"), lambda s: s.update(attn_scale=1.0)),
    "head input not scaled by d^-1/2": (("t5",), lambda s: s.update(head_scale_rsqrt_d=False)),
    "T5 max distance 64": (("t5",), lambda s: s.update(t5_max_distance=64)),
    "T5 buckets unsigned (|j - i|)": (("t5",), lambda s: s.update(t5_unsigned=True)),
    "T5 buckets of i - j": (("t5",), lambda s: s.update(t5_flip=True)),
    "q/k norms per head": (("olmo2",), lambda s: s.update(qk_norm="per_head")),
    "q/k norms after RoPE": (("olmo2", "gemma4"), lambda s: s.update(qk_norm_after_rope=True)),
    "no v norm": (("gemma4",), lambda s: s.update(v_norm=False)),
    "v norm without scale (HF Gemma4 with_scale=False)": (("gemma4",), lambda s: s.update(v_norm_noscale=True)),
    "global layers like local ones": (("gemma4",), lambda s: s.update(global_every=0)),
    "global RoPE as GPT-NeoX partial rotary (first 25 % of the head)": (("gemma4",), lambda s: s.update(global_rope_style="neox")),
    "no softcap": (("gemma4",), lambda s: s.update(logit_softcap=0.0)),
    "no LayerScale": (("dinov2",), lambda s: s.update(layerscale=False)),
    "sequential instead of parallel": (("pythia",), lambda s: s.update(residual="sequential")),
    "MLP reads the attention norm (shared)": (("pythia",), lambda s: s.update(residual="parallel_shared")),
    "MLP after the attention (sequential, shared norm)": (("falcon", "phi2", "command-r"),
                                                         lambda s: s.update(parallel_sequential=True)),
    "pre-LN instead of post-LN": (("bert",), lambda s: s.update(placement="pre_post_taps")),
    "mean-centred RMS (LayerNorm without bias)": (("llama", "t5"), lambda s: s.update(norm="layernorm-nobias")),
    "LN without mean (RMS)": (("command-r",), lambda s: s.update(norm="rmsnorm")),
}
