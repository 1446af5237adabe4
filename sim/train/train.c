/* train.c - the training loop, tracking and checkpoints. */
#include "sim/train/train.h"
#include "sim/model/backward.h"
#include "sim/train/train_state.h"
#include "sim/train/track.h"
#include "sim/data/corpus.h"
#include "sim/diag/diag.h"
#include "sim/model/loss.h"
#include "sim/base/progress.h"
#include "sim/base/interrupt.h"
#include "sim/base/rng.h"
#include "norms/registry.h"
#include "sim/base/json_util.h"
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Everything one run holds; allocated once before the loop. */
typedef struct {
    const train_opts *o;
    ns_model *m;
    corpus data;
    ns_workspace w;
    ns_grads_ws g;
    adamw opt;
    double *grads, *logits, *dlogits, *img;
    int *tok, *target, *labels, rows, B, T;
    pcg32 rng;             /* training draws: windows and masks */
    ns_batch *probe;       /* fixed probe batches (validation split) */
    int n_probe;
    int *probe_tok, *probe_target, *probe_labels;
    double *probe_img;
    FILE *track;
    double *loss_hist;
} trainer;

static int objective_masked(const ns_model *m) { return m->cfg.input == INPUT_TOKENS && !m->cfg.causal; }

/* inputs and targets of one batch: next token, masked tokens (15%, id vocab - 1) or labels */
static void make_targets(const ns_model *m, pcg32 *r, int B, int T, int *tok, int *target,
                         const int *labels)
{
    if (m->cfg.input == INPUT_PATCHES) {
        memcpy(target, labels, sizeof(int) * B);
        return;
    }
    if (!objective_masked(m)) {
        targets_next_token(tok, B, T, target);
        return;
    }
    for (int i = 0; i < B * T; i++) {
        int masked = rng_uniform(r) < 0.15;
        target[i] = masked ? tok[i] : -1;
        if (masked)
            tok[i] = m->cfg.vocab - 1;
    }
}

static ns_batch batch_of(const ns_model *m, int B, int T, const int *tok, const double *img)
{
    ns_batch b = {B, T, m->cfg.input == INPUT_PATCHES ? NULL : tok, NULL,
                  m->cfg.input == INPUT_PATCHES ? img : NULL};
    return b;
}

/* the probe set: enough batches of the validation split to cover probe_tokens rows */
static int make_probe(trainer *t, ns_err *e)
{
    const int T = t->T, B = t->B;
    long seqs = (t->o->probe_tokens + T - 1) / T;
    t->n_probe = (int)((seqs + B - 1) / B);
    size_t n = (size_t)t->n_probe * B;
    t->probe = calloc((size_t)t->n_probe, sizeof *t->probe);
    t->probe_tok = malloc(sizeof(int) * n * T);
    t->probe_target = malloc(sizeof(int) * n * T);
    t->probe_labels = malloc(sizeof(int) * n);
    t->probe_img = malloc(sizeof(double) * n * 64);
    if (!t->probe || !t->probe_tok || !t->probe_target || !t->probe_labels || !t->probe_img)
        return ns_fail(e, NS_ERUN, "out of memory for the probe set");
    pcg32 r;
    pcg32_seed(&r, t->o->seed, RNG_PROBE);
    for (int i = 0; i < t->n_probe; i++) {
        int *tok = t->probe_tok + (size_t)i * B * T, *lab = t->probe_labels + (size_t)i * B;
        double *img = t->probe_img + (size_t)i * B * 64;
        corpus_batch(&t->data, 1, &r, B, T, tok, img, lab);
        make_targets(t->m, &r, B, T, tok, t->probe_target + (size_t)i * B * T, lab);
        t->probe[i] = batch_of(t->m, B, T, tok, img);
    }
    return NS_OK;
}

/* mean cross-entropy over the probe set */
static double probe_loss(trainer *t)
{
    double total = 0.0;
    for (int i = 0; i < t->n_probe; i++) {
        model_forward(t->m, &t->w, &t->probe[i], NULL, t->logits);
        total += cross_entropy(t->logits, t->probe_target + (size_t)i * t->B * t->T, t->rows,
                               t->m->cfg.vocab, NULL);
    }
    return total / t->n_probe;
}

/* the diagnostic on the probe set at every tracked precision, one CSV row each */
static int track(trainer *t, long step, double lr, double train_loss, double val_loss,
                 train_result *res, ns_err *e)
{
    const train_opts *o = t->o;
    double gs[3];
    diag_gain_spread(t->m, gs);
    for (int i = 0; i < o->n_track_prec; i++) {
        ns_model view = *t->m; /* the same parameters, stored at another precision */
        view.prec = o->track_prec[i];
        double u = precision_unit_roundoff(view.prec);
        double thr = o->threshold > 0 ? o->threshold : fmax(1e-10, u * u);
        diag_opts d = {.seed = o->seed, .threshold = thr, .probe = t->probe, .n_probe = t->n_probe};
        diag_report r;
        int rc = diag_run(&view, &d, &r, e);
        if (rc)
            return rc;
        track_point p = {step, lr, train_loss, val_loss, precision_name(view.prec), {gs[0], gs[1], gs[2]}};
        track_write_row(t->track, &p, &r);
        if (res) {
            if (step == 0 || isnan(res->cos_init[i])) {
                res->cos_init[i] = r.cos;
                res->ray_init[i] = r.rayleigh_rel;
                res->dead_init[i] = r.dead;
            }
            res->cos_end[i] = r.cos;
            res->ray_end[i] = r.rayleigh_rel;
            res->dead_end[i] = r.dead;
        }
        diag_report_free(&r);
    }
    fflush(t->track);
    return ferror(t->track) ? ns_fail(e, NS_ERUN, "cannot write %s/track.csv", o->out) : NS_OK;
}

/* unigram entropy (nats) of the training split's tokens */
static double unigram_entropy(const corpus *k)
{
    if (k->images || k->split == 0)
        return NAN;
    double *count = calloc((size_t)k->vocab, sizeof(double)), h = 0.0;
    if (!count)
        return NAN;
    for (long i = 0; i < k->split; i++)
        count[k->tok[i]] += 1.0;
    for (int v = 0; v < k->vocab; v++)
        if (count[v] > 0) {
            double p = count[v] / k->split;
            h -= p * log(p);
        }
    free(count);
    return h;
}

/* ---- checkpoints ---- */

/* x in the fewest digits that read back as x */
static void exact(char *buf, size_t n, double x)
{
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(buf, n, "%.*g", digits, x);
        if (strtod(buf, NULL) == x)
            return;
    }
}

/* the options a resumed run must repeat (not --steps: a larger one extends the run), keyed
 * by their option names, every value a
 * string (exact: the fewest digits that read back) */
static cJSON *train_opts_json(const trainer *t)
{
    const train_opts *o = t->o;
    char v[64];
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "--data", o->data);
#define OPT(name, ...) (snprintf(v, sizeof v, __VA_ARGS__), cJSON_AddStringToObject(j, name, v))
    OPT("--batch", "%d", t->B);
    exact(v, sizeof v, o->opt.lr);
    cJSON_AddStringToObject(j, "--lr", v);
    exact(v, sizeof v, o->opt.min_lr_frac);
    cJSON_AddStringToObject(j, "--min-lr-frac", v);
    OPT("--warmup", "%ld", o->opt.warmup);
    exact(v, sizeof v, o->opt.weight_decay);
    cJSON_AddStringToObject(j, "--weight-decay", v);
    exact(v, sizeof v, o->opt.clip);
    cJSON_AddStringToObject(j, "--clip", v);
    OPT("--probe-tokens", "%ld", o->probe_tokens);
    OPT("--seed", "%llu", (unsigned long long)o->seed);
#undef OPT
    return j;
}

/* the checkpoint's metadata: step, rng state, the options (as JSON text); every string
 * escaped by cJSON, so a --data path holding a quote or a backslash is kept as it is */
static char *train_state_json(const trainer *t, long step)
{
    char v[64];
    cJSON *meta = cJSON_CreateObject(), *opts = train_opts_json(t);
    char *opts_text = opts ? cJSON_PrintUnformatted(opts) : NULL, *out = NULL;
    if (meta && opts_text) {
        snprintf(v, sizeof v, "%ld", step);
        cJSON_AddStringToObject(meta, "normsim.step", v);
        snprintf(v, sizeof v, "%016llx %016llx", (unsigned long long)t->rng.state, (unsigned long long)t->rng.inc);
        cJSON_AddStringToObject(meta, "normsim.rng", v);
        cJSON_AddStringToObject(meta, "normsim.train", opts_text);
        out = cJSON_PrintUnformatted(meta);
    }
    free(opts_text);
    cJSON_Delete(opts);
    cJSON_Delete(meta);
    return out;
}

/* the saved options (text) against this run's: NS_OK, or one line naming every option
 * that differs with both values */
static int check_saved_opts(const trainer *t, const char *path, const char *saved, ns_err *e)
{
    cJSON *have = cJSON_Parse(saved), *want = train_opts_json(t);
    char diff[400];
    int rc = NS_OK;
    if (!cJSON_IsObject(have))
        rc = ns_fail(e, NS_EUSAGE, "%s: normsim.train is not the options object this version writes: "
                     "cannot check that --resume repeats them", path);
    else if (json_diff_keys(want, have, "checkpoint:", diff, sizeof diff) > 0)
        rc = ns_fail(e, NS_EUSAGE, "--resume: options differ from the checkpoint's: %s", diff);
    cJSON_Delete(have);
    cJSON_Delete(want);
    return rc;
}

static int save_checkpoint(trainer *t, long step, ns_err *e)
{
    char path[4096], *meta = train_state_json(t, step);
    snprintf(path, sizeof path, "%s/checkpoint.safetensors", t->o->out);
    int rc = meta ? ckpt_save(path, t->m, &t->opt, meta, e) : ns_fail(e, NS_ERUN, "out of memory");
    free(meta);
    return rc;
}

/* restore the optimizer and the rng; returns the step to continue from in *step */
static int resume_state(trainer *t, long *step, ns_err *e)
{
    char path[4096], *val = NULL;
    snprintf(path, sizeof path, "%s/checkpoint.safetensors", t->o->out);
    int rc = ckpt_load_optim(path, &t->opt, "normsim.step", &val, e);
    char *end;
    if (!rc) {
        *step = strtol(val, &end, 10);
        if (*end || *step < 0)
            rc = ns_fail(e, NS_EUSAGE, "%s: bad normsim.step '%s'", path, val);
    }
    free(val);
    val = NULL;
    if (!rc)
        rc = ckpt_load_optim(path, &t->opt, "normsim.train", &val, e);
    if (!rc)
        rc = check_saved_opts(t, path, val, e);
    free(val);
    val = NULL;
    if (!rc)
        rc = ckpt_load_optim(path, &t->opt, "normsim.rng", &val, e);
    unsigned long long st, inc;
    if (!rc && sscanf(val, "%llx %llx", &st, &inc) != 2)
        rc = ns_fail(e, NS_EUSAGE, "%s: bad normsim.rng", path);
    if (!rc) {
        t->rng.state = st;
        t->rng.inc = inc;
        t->opt.step = *step;
    }
    free(val);
    return rc;
}

/* a training loss this many times the starting one (at least 1 nat) has diverged */
#define DIVERGED 10.0

/* SIGINT/SIGTERM (sim/base/interrupt.h): the state after `step` updates is saved, unless
 * it just was, so that --resume continues from it */
static int stop_interrupted(trainer *t, long step, int saved, ns_err *e)
{
    int rc = saved ? NS_OK : save_checkpoint(t, step, e);
    if (rc)
        return rc;
    if (step == t->o->steps)
        return ns_fail(e, NS_EINTR, "interrupted after the last step (%ld): %s/checkpoint.safetensors holds "
                       "the finished run (its summary was not printed)", step, t->o->out);
    return ns_fail(e, NS_EINTR, "interrupted after step %ld of %ld: %s/checkpoint.safetensors holds it; "
                   "continue with --resume %s and the same options", step, t->o->steps, t->o->out, t->o->out);
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* ---- setup ---- */

static int trainer_init(trainer *t, ns_model *m, const train_opts *o, ns_err *e)
{
    memset(t, 0, sizeof *t);
    t->o = o;
    t->m = m;
    t->B = o->batch;
    t->T = m->cfg.seq;
    t->rows = model_logit_rows(m, t->B, t->T);
    int rc = corpus_load(&t->data, o->data, &m->cfg, o->seed, e);
    if (rc)
        return rc;
    const size_t n = (size_t)t->B * t->T, V = (size_t)m->cfg.vocab;
    if ((rc = workspace_create_train(&t->w, m, (int)n, t->T, e)) ||
        (rc = grads_ws_create(&t->g, m, (int)n, t->T, e)) || (rc = adamw_init(&t->opt, m, e)))
        return rc;
    t->grads = malloc(sizeof(double) * (m->n_params + 1)); /* + the loss, summed with them */
    t->logits = malloc(sizeof(double) * n * V);
    t->dlogits = malloc(sizeof(double) * n * V);
    t->img = malloc(sizeof(double) * (size_t)t->B * 64);
    t->tok = malloc(sizeof(int) * n);
    t->target = malloc(sizeof(int) * n);
    t->labels = malloc(sizeof(int) * (size_t)t->B);
    t->loss_hist = malloc(sizeof(double) * (size_t)(o->steps + 1));
    if (!t->grads || !t->logits || !t->dlogits || !t->img || !t->tok || !t->target || !t->labels ||
        !t->loss_hist)
        return ns_fail(e, NS_ERUN, "out of memory for training buffers");
    pcg32_seed(&t->rng, o->seed, RNG_TRAIN);
    return make_probe(t, e);
}

static void trainer_free(trainer *t)
{
    corpus_free(&t->data);
    workspace_free(&t->w);
    grads_ws_free(&t->g);
    adamw_free(&t->opt);
    free(t->grads);
    free(t->logits);
    free(t->dlogits);
    free(t->img);
    free(t->tok);
    free(t->target);
    free(t->labels);
    free(t->loss_hist);
    free(t->probe);
    free(t->probe_tok);
    free(t->probe_target);
    free(t->probe_labels);
    free(t->probe_img);
    if (t->track)
        fclose(t->track);
}

/* rows of a batch slice that count in the loss */
static int counted(const int *target, int rows)
{
    int n = 0;
    for (int i = 0; i < rows; i++)
        n += target[i] >= 0;
    return n;
}

/* dL/dparams of this rank's sequences [s0, s1) of the global batch (all of it in one
 * process) into t->grads; the loss of the slice, weighted by its share of the counted rows.
 * grad(mean over N) = sum over slices of (n_r / N) grad(mean over n_r). */
static double slice_gradient(trainer *t, int s0, int s1)
{
    const ns_model *m = t->m;
    const int per = m->cfg.input == INPUT_PATCHES ? 1 : t->T, rows = (s1 - s0) * per;
    const int *target = t->target + (size_t)s0 * per;
    memset(t->grads, 0, sizeof(double) * m->n_params);
    if (rows == 0)
        return 0.0;
    ns_batch b = batch_of(m, s1 - s0, t->T, t->tok + (size_t)s0 * t->T, t->img + (size_t)s0 * 64);
    model_forward(m, &t->w, &b, NULL, t->logits);
    double loss = cross_entropy(t->logits, target, rows, m->cfg.vocab, t->dlogits);
    if (s1 - s0 < t->B) { /* a share: weight by n_r / N */
        int n_r = counted(target, rows), N = counted(t->target, t->rows);
        double wgt = N > 0 ? (double)n_r / N : 0.0;
        for (size_t i = 0; i < (size_t)rows * m->cfg.vocab; i++)
            t->dlogits[i] *= wgt;
        loss = n_r > 0 ? loss * wgt : 0.0;
    }
    model_backward(m, &t->w, &t->g, &b, t->logits, t->dlogits, t->grads);
    return loss;
}

/* one update: draw, forward, loss, backward, (data-parallel: the gradients and the loss
 * summed over the ranks in rank order), clip, AdamW; *loss: the batch loss */
static int train_step(trainer *t, long step, double *loss, ns_err *e)
{
    const ns_model *m = t->m;
    const ns_dist *dist = t->o->dist;
    unsigned long long s0, s1;
    corpus_batch(&t->data, 0, &t->rng, t->B, t->T, t->tok, t->img, t->labels);
    make_targets(m, &t->rng, t->B, t->T, t->tok, t->target, t->labels);
    ns_dist_share(dist, (unsigned long long)t->B, &s0, &s1);
    t->grads[m->n_params] = slice_gradient(t, (int)s0, (int)s1); /* the loss rides along */
    int rc = ns_dist_sum(dist, t->grads, m->n_params + 1, e);
    if (rc)
        return rc;
    *loss = t->grads[m->n_params];
    grad_clip(t->grads, m->n_params, t->o->opt.clip);
    adamw_step(&t->opt, &t->o->opt, t->m->params, t->grads, optim_lr(&t->o->opt, step));
    return NS_OK;
}

static int open_track(trainer *t, long start, ns_err *e)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/track.csv", t->o->out);
    int rc = start > 0 ? track_truncate(path, start, e) : NS_OK;
    if (rc)
        return rc;
    t->track = fopen(path, start > 0 ? "a" : "w");
    if (!t->track)
        return ns_fail(e, NS_EUSAGE, "cannot write %s: %s", path, strerror(errno));
    if (start == 0)
        track_write_header(t->track, t->m->cfg.layers);
    return NS_OK;
}

int train_run(ns_model *m, const train_opts *o, train_result *res, ns_err *e)
{
    trainer t;
    memset(res, 0, sizeof *res);
    res->n_prec = o->n_track_prec;
    for (int i = 0; i < 4; i++)
        res->cos_init[i] = NAN;
    long start = 0;
    int rc = trainer_init(&t, m, o, e);
    if (!rc && o->resume)
        rc = resume_state(&t, &start, e);
    if (!rc && start >= o->steps)
        rc = ns_fail(e, NS_EUSAGE, "--resume: the checkpoint is already at step %ld of --steps %ld: "
                     "nothing to continue", start, o->steps);
    const int lead = !o->dist || o->dist->rank == 0; /* data-parallel: rank 0 writes, evaluates */
    if (!rc && lead)
        rc = open_track(&t, start, e);
    res->unigram_entropy = unigram_entropy(&t.data);
    res->val_loss_init = NAN;
    if (!rc && lead) {
        res->val_loss_init = probe_loss(&t);
        if (start == 0)
            rc = track(&t, 0, 0.0, NAN, res->val_loss_init, res, e);
    }
    if (!rc && interrupt_requested())
        rc = stop_interrupted(&t, start, 0, e);
    progress pb;
    progress_start(&pb, "train", o->progress);
    double loss = NAN, val = res->val_loss_init;
    long last_ckpt = o->resume ? start : -1; /* the step the checkpoint on disk holds */
    for (long s = start; !rc && s < o->steps; s++) {
        double t0 = now_seconds();
        if ((rc = train_step(&t, s, &loss, e)))
            break;
        res->step_seconds += now_seconds() - t0;
        t.loss_hist[s] = loss;
        if (!isfinite(loss) || loss > DIVERGED * fmax(res->val_loss_init, 1.0)) {
            char kept[64] = "no checkpoint was written yet";
            if (last_ckpt >= 0)
                snprintf(kept, sizeof kept, "the checkpoint of step %ld is kept", last_ckpt);
            rc = ns_fail(e, NS_ERUN, "the loss diverged: %g at step %ld (%g at the start): lower --lr; %s",
                         loss, s + 1, res->val_loss_init, kept);
        }
        int last = s + 1 == o->steps;
        if (!rc && lead && ((o->track_every > 0 && (s + 1) % o->track_every == 0) || last)) {
            val = probe_loss(&t);
            rc = track(&t, s + 1, optim_lr(&o->opt, s), loss, val, res, e);
        }
        int save = lead && ((o->ckpt_every > 0 && (s + 1) % o->ckpt_every == 0) || last);
        if (!rc && save && !(rc = save_checkpoint(&t, s + 1, e)))
            last_ckpt = s + 1;
        if (!rc && interrupt_requested())
            rc = stop_interrupted(&t, s + 1, save, e);
        if (pb.active) {
            char label[96];
            snprintf(label, sizeof label, "step %ld/%ld loss %.4f val %.4f", s + 1, o->steps, loss, val);
            pb.label = label;
            progress_update(&pb, (double)(s + 1 - start), (double)(o->steps - start));
        }
    }
    progress_end(&pb);
    if (!rc && lead && start == o->steps)
        rc = save_checkpoint(&t, start, e);
    if (!rc) {
        long span = (o->steps - start) / 10, from = o->steps - (span > 0 ? span : 1), cnt = 0;
        double sum = 0;
        for (long s = from > start ? from : start; s < o->steps; s++, cnt++)
            sum += t.loss_hist[s];
        res->train_loss = cnt ? sum / cnt : NAN;
        res->val_loss = lead ? probe_loss(&t) : NAN;
        res->steps_done = o->steps;
        long rows = (long)t.B * t.T * (o->steps - start);
        res->tokens_per_second = res->step_seconds > 0 ? rows / res->step_seconds : NAN;
    }
    trainer_free(&t);
    return rc;
}
