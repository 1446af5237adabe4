/* checkpoint.h - models from and to safetensors checkpoints.
 *
 * Import: a Hugging Face checkpoint of any family but gemma4 (or a GGUF file of llama or
 * gpt2) becomes an ns_model through one table row per family (hf_families.c, read by
 * hf_import.c and hf_config.c): config.json's model_type picks the row, sizes come from the
 * tensor shapes and are cross-checked with config.json, a config value normsim cannot honour
 * is an error naming its key, and every mapped tensor's shape is checked before anything is
 * copied (Conv1D transposes, fused q/k/v per head or in blocks, llama.cpp's q/k permutation).
 * Export (hf_export.c) writes the same rows backwards.
 *
 * normsim's own checkpoints: every tensor under its normsim name (docs/formats.md), F64,
 * with the whole config as JSON in __metadata__["normsim.config"] (every field of the one
 * table in sim/model/config_json.c; training checkpoints, sim/train/train_state.c, write
 * the same). Tensors named "optim.*" (optimizer state) are not model tensors and are
 * skipped on load. */
#ifndef NS_CHECKPOINT_H
#define NS_CHECKPOINT_H
#include <cjson/cJSON.h>
#include "sim/base/json_util.h"
#include "sim/model/model.h"
#include "sim/io/safetensors.h"

#define NORMSIM_META_KEY "normsim.config"

typedef struct {
    const char *arch;   /* family (NULL: from config.json's model_type or the tensor names) */
    const cJSON *config;/* parsed config.json, or NULL */
    int heads;          /* query heads (-1: from config.json) */
    int seq;            /* tokens per sequence (-1: the checkpoint's context, at most 2048) */
    precision prec;     /* storage precision of activations */
} ckpt_opts;

/* The families import knows, comma-separated ("gpt2, llama, mistral, qwen2"). */
const char *ckpt_import_archs(void);
/* Build m (created here; free with model_free) from an open checkpoint set. A normsim
 * checkpoint (metadata "normsim.config") is loaded as itself. Unmapped tensors that the family
 * does not know are counted in *unused (may be NULL); the first one's name goes to
 * unused_name (may be NULL). */
int ckpt_import(const st_set *s, const ckpt_opts *o, ns_model *m, int *unused,
                char *unused_name, size_t name_len, ns_err *e);

/* *cfg = config_path parsed, else the config.json next to checkpoint (ckpt_find_config)
 * unless no_config, else NULL (cJSON_Delete it); the path read goes to used (may be NULL).
 * Both config_path and no_config: bad usage. */
int ckpt_load_config(const char *checkpoint, const char *config_path, int no_config, cJSON **cfg,
                     char *used, size_t n, ns_err *e);
/* A checkpoint file, index or folder into m as `diagnose --checkpoint` loads it: config.json
 * from config_path, else found next to it (ckpt_find_config) unless no_config (o->config
 * is ignored); tensors the import does not use are said in one warning on stderr. */
int ckpt_load(const char *path, const char *config_path, int no_config, const ckpt_opts *o,
              ns_model *m, ns_err *e);

/* The Hugging Face part of ckpt_import (checkpoint.c). */
int ckpt_import_hf(const st_set *s, const ckpt_opts *o, ns_model *m, int *unused, char *unused_name,
                   size_t name_len, ns_err *e);
/* m as a Hugging Face checkpoint in the existing folder dir: model.safetensors (F64, the
 * family's HF names and layouts) and config.json (hf_export.c); importing dir gives m back
 * bit for bit. A model HF naming cannot express (another norm than the family's, gemma4) is
 * NS_EUSAGE naming what. */
int ckpt_export_hf(const ns_model *m, const char *dir, ns_err *e);
/* t can fill normsim tensor d as is: shape (rows, cols), or (cols,) for a vector; float */
int ckpt_tensor_fits(const st_tensor *t, const ns_tensor *d, ns_err *e);

/* config.json next to a checkpoint (in it, for a folder): 1 and the path in buf if it
 * exists, else 0. */
int ckpt_find_config(const char *checkpoint, char *buf, size_t n);

/* Save every tensor of m (F64) and its config to path, atomically. metadata_json: NULL or
 * a JSON object whose entries are added to __metadata__ (non-string values are stored as
 * their JSON text). */
int model_save_safetensors(const ns_model *m, const char *path, const char *metadata_json_or_NULL,
                           ns_err *e);
/* every model tensor of m from the open set s (shapes and dtypes checked for all first);
 * s holds nothing else but "optim.*" */
int model_load_set(ns_model *m, const st_set *s, ns_err *e);
/* Fill an already created model's tensors from path: every tensor must be present with
 * its shape (vectors as (n,) or (1, n)) and a float dtype, and the file must hold no
 * other tensor (but "optim.*"). */
int model_load_safetensors(ns_model *m, const char *path, ns_err *e);
/* The config stored by model_save_safetensors (NS_EUSAGE if the file has none). */
int model_config_from_safetensors(const char *path, ns_config *cfg, ns_err *e);
/* the config as the JSON text stored under NORMSIM_META_KEY (malloc'd; free it) */
char *ckpt_config_text(const ns_config *c);
/* The same from an open set's metadata. */
int ckpt_normsim_config(const st_set *s, ns_config *cfg, ns_err *e);

#endif
