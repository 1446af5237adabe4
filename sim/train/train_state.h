/* ckpt.h - training checkpoints: a normsim model file (sim/checkpoint/checkpoint.h: every tensor under
 * its normsim name, the config under "normsim.config") plus the AdamW moments ("optim.m",
 * "optim.v", flat) and the caller's training state in __metadata__. Written atomically
 * (temp file + rename); model_load_safetensors skips the optim.* tensors, so a training
 * checkpoint is also a model file for diagnose --checkpoint and inspect. */
#ifndef NS_CKPT_H
#define NS_CKPT_H
#include "sim/model/model.h"
#include "sim/train/optim.h"

/* Save model and optimizer o to path; extra: a JSON object of more metadata keys or NULL. */
int ckpt_save(const char *path, const ns_model *m, const adamw *o, const char *extra, ns_err *e);
/* Build the model a checkpoint describes and load its tensors (shapes checked first). */
int ckpt_load_model(const char *path, ns_model *m, ns_err *e);
/* Load the optimizer moments (o initialised for the same model) and return the value of
 * metadata key `key` in *val (malloc'd copy). */
int ckpt_load_optim(const char *path, adamw *o, const char *key, char **val, ns_err *e);

#endif
