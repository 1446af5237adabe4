/* train.h - the training loop: AdamW on a corpus, with the diagnostic tracked on a fixed
 * probe set every K steps (DIR/track.csv) and atomic checkpoints (DIR/checkpoint.safetensors)
 * from which --resume continues bit-identically. */
#ifndef NS_TRAIN_H
#define NS_TRAIN_H
#include <stdint.h>
#include "sim/model/model.h"
#include "sim/train/optim.h"
#include "sim/base/precision.h"
#include "sim/base/dist.h"

typedef struct {
    const char *data;       /* corpus spec (sim/corpus.h) */
    long steps;             /* total updates */
    int batch;              /* sequences (images) per update */
    optim_cfg opt;
    long track_every;       /* diagnostic every K steps (and at 0 and the end) */
    precision track_prec[4];
    int n_track_prec;
    long probe_tokens;      /* rows of the fixed probe set (validation split) */
    long ckpt_every;        /* checkpoint every M steps (and at the end); 0: end only */
    const char *out;        /* output folder */
    int resume;             /* continue from out/checkpoint.safetensors */
    uint64_t seed;
    int progress;           /* progress bar on a terminal */
    double threshold;       /* dead-direction threshold (0: per precision, as diagnose) */
    const ns_dist *dist;    /* data-parallel (normsim-mpi): each rank the gradient of its share
                               of the batch's sequences, summed in rank order; rank 0 alone
                               tracks and checkpoints. NULL: one process */
} train_opts;

typedef struct {
    long steps_done;
    double step_seconds;    /* wall time inside the updates of this run (no tracking, no I/O) */
    double tokens_per_second; /* input rows per second of update time */
    double train_loss;      /* mean over the last 10% of steps (at least the last one) */
    double val_loss_init, val_loss;
    double unigram_entropy; /* nats per token of the training split's unigram (tokens) */
    int n_prec;             /* per tracked precision, in the order asked: */
    double cos_init[4], cos_end[4], ray_init[4], ray_end[4];
    int dead_init[4], dead_end[4];
} train_result;

/* Train m in place (m built by the caller; on resume, loaded from the checkpoint). */
int train_run(ns_model *m, const train_opts *o, train_result *res, ns_err *e);

#endif
