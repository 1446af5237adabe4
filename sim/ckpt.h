/* ckpt.h - normsim's own checkpoints: one safetensors file holding the model's tensors
 * (normsim names, float64), optionally the AdamW moments ("optim.m", "optim.v", flat), and
 * in __metadata__ "normsim.config" (the arch and every size, as JSON) plus whatever the
 * caller adds (training state). Written atomically (temp file + rename). */
#ifndef NS_CKPT_H
#define NS_CKPT_H
#include "model.h"
#include "optim.h"

/* {"arch":..., "norm":..., "d":..., ...}: enough to rebuild cfg from the archetype table
 * (malloc'd; free it) */
char *ckpt_config_json(const ns_config *c);
/* cfg from that JSON (arch defaults, then the sizes), validated */
int ckpt_config_parse(const char *json, ns_config *cfg, ns_err *e);
/* Save model (and optimizer o when non-NULL) to path; extra: a JSON object of more
 * metadata keys, or NULL. */
int ckpt_save(const char *path, const ns_model *m, const adamw *o, const char *extra, ns_err *e);
/* Build the model a checkpoint describes and load its tensors (shapes checked first). */
int ckpt_load_model(const char *path, ns_model *m, ns_err *e);
/* Load the optimizer moments (o initialised for the same model) and return the value of
 * metadata key `key` in *val (malloc'd copy, or NULL if absent). */
int ckpt_load_optim(const char *path, adamw *o, const char *key, char **val, ns_err *e);

#endif
