/* cmd_train.c - `normsim train`: train a model and track its spectrum. */
#include "sim/cli/commands.h"
#include "sim/cli/train_args.h"
#include "sim/checkpoint/checkpoint.h"
#include "sim/train/train_state.h"
#include "sim/io/safetensors.h"
#include "sim/train/train.h"
#include "sim/base/json_util.h"
#include "sim/base/interrupt.h"
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char train_help[] =
    "usage: normsim train --out DIR [options]\n"
    "       normsim train --resume DIR [the same options]\n"
    "\n"
    "Train a model with AdamW (decoupled weight decay on matrices only; linear warm-up, then\n"
    "cosine decay; global gradient-norm clipping). Decoders learn the next token, bert and\n"
    "t5 masked tokens (15%, mask id vocab-1), vit/dinov2 the digit of the image (CLS).\n"
    "Every K steps the diagnostic runs on a fixed probe set from the validation split and\n"
    "one row per tracked precision is appended to DIR/track.csv (|cos|, p'Cp/lambda_max,\n"
    "the 8 smallest eigenvalues over lambda_max, dead directions, sigma_min per block,\n"
    "min/max/std-of-log of the final norm's gain). DIR/checkpoint.safetensors is written\n"
    "atomically every M steps and at the end; --resume continues bit-identically. Ctrl-C\n"
    "(SIGINT, SIGTERM) stops after the current step with a checkpoint written (exit 130).\n"
    "At the end DIR/hf/ holds the model under its family's Hugging Face names\n"
    "(model.safetensors, config.json; docs/formats.md), for every family and norm HF naming\n"
    "can express.\n"
    "\n"
    "model:\n" MODEL_OPTS_HELP
    "\n"
    "training:\n"
    "  --data SPEC          text[:PATH] (bytes; default the fortunes corpus), tokens:PATH\n"
    "                       (llm.c format), zipf-markov[:S], copy, digits[:PATH] (images);\n"
    "                       default: text for token models, digits for image models\n"
    "  --steps N            updates (default 200)\n"
    "  --batch N            sequences per update (default 8)\n"
    "  --lr X               peak learning rate (default 1e-3)\n"
    "  --warmup N           linear warm-up steps (default steps/10)\n"
    "  --min-lr-frac X      the cosine ends at lr * X (default 0.1)\n"
    "  --weight-decay X     AdamW decay on matrices (default 0.1)\n"
    "  --clip X             max gradient norm, 0 = off (default 1)\n"
    "  --track-every K      diagnostic every K steps (default steps/10)\n"
    "  --track-precision L  comma list of f64,f32,bf16,f16 (default f64)\n"
    "  --probe-tokens N     rows of the probe set (default 4096)\n"
    "  --ckpt-every M       checkpoint every M steps (default steps/10; and at the end)\n"
    "  --threshold T        dead-direction threshold (default per precision, as diagnose)\n"
    "  --format table|json  the final summary on stdout (default table)\n";


/* --track-precision P[,P...]: at most 4 */
static int parse_precisions(const char *s, void *opts, ns_err *e)
{
    train_opts *t = opts;
    char buf[128], *items[4];
    snprintf(buf, sizeof buf, "%s", s);
    int n = arg_split_list(buf, items, 4, "--track-precision", e);
    if (n < 0)
        return NS_EUSAGE;
    for (t->n_track_prec = 0; t->n_track_prec < n; t->n_track_prec++)
        if (precision_parse(items[t->n_track_prec], &t->track_prec[t->n_track_prec], e))
            return NS_EUSAGE;
    return t->n_track_prec ? NS_OK : ns_fail(e, NS_EUSAGE, "--track-precision is empty");
}

/* --format table|json: train's report has no CSV form */
static int parse_train_format(const char *v, void *json, ns_err *e)
{
    if (strcmp(v, "table") && strcmp(v, "json"))
        return ns_fail(e, NS_EUSAGE, "--format expects table or json, got '%s'", v);
    *(int *)json = strcmp(v, "json") == 0;
    return NS_OK;
}

static int take_train_option(arg_iter *it, cli_train *c, ns_err *e)
{
    train_opts *t = &c->t;
    const arg_spec opts[] = {
        ARG_S("--out", &c->out), ARG_S("--resume", &c->resume), ARG_S("--data", &t->data),
        ARG_L("--steps", &t->steps, 1, 100000000L), ARG_I("--batch", &t->batch, 1, 65536),
        ARG_D("--lr", &t->opt.lr, 1e-12, 10.0), ARG_L("--warmup", &c->warmup, 0, 100000000L),
        ARG_D("--min-lr-frac", &t->opt.min_lr_frac, 0.0, 1.0),
        ARG_D("--weight-decay", &t->opt.weight_decay, 0.0, 10.0), ARG_D("--clip", &t->opt.clip, 0.0, 1e6),
        ARG_L("--track-every", &c->track_every, 1, 100000000L),
        ARG_C("--track-precision", t, parse_precisions),
        ARG_L("--probe-tokens", &t->probe_tokens, 1, 10000000L),
        ARG_L("--ckpt-every", &t->ckpt_every, 1, 100000000L),
        ARG_D("--threshold", &t->threshold, 1e-300, 1.0), ARG_C("--format", &c->format, parse_train_format),
    };
    return arg_table(it, opts, ARG_N(opts), e);
}

int train_args_parse(int argc, char **argv, cli_train *c, ns_err *e)
{
    memset(c, 0, sizeof *c);
    model_opts_default(&c->model);
    train_opts *t = &c->t;
    t->steps = 200;
    t->batch = 8;
    t->opt = (optim_cfg){1e-3, 0.1, 0, 0, 0.9, 0.95, 1e-8, 0.1, 1.0};
    t->probe_tokens = 4096;
    t->track_prec[0] = PREC_F64;
    t->n_track_prec = 1;
    t->progress = 1;
    c->warmup = c->track_every = -1;
    arg_iter it = {argc, argv, 1};
    while (it.i < argc) {
        int r = model_opts_take(&it, &c->model, e);
        if (r == 0)
            r = take_train_option(&it, c, e);
        if (r < 0)
            return e->code;
        if (r == 0)
            return arg_unknown(&it, "train", e);
    }
    if (c->resume && c->out && strcmp(c->resume, c->out) != 0)
        return ns_fail(e, NS_EUSAGE, "--resume DIR and --out DIR name different folders");
    t->out = c->resume ? c->resume : c->out;
    if (!t->out)
        return ns_fail(e, NS_EUSAGE, "train needs --out DIR (or --resume DIR)");
    t->resume = c->resume != NULL;
    t->seed = c->model.seed; /* one seed: weights, data windows, masks and the probe set */
    t->opt.steps = t->steps;
    t->opt.warmup = c->warmup >= 0 ? c->warmup : t->steps / 10;
    if (t->opt.warmup >= t->steps && t->steps > 1)
        fprintf(stderr, "normsim: warning: --warmup %ld >= --steps %ld: the learning rate never reaches "
                "--lr (at most %.3g of it) and never decays\n", t->opt.warmup, t->steps,
                (double)t->steps / (double)(t->opt.warmup > 0 ? t->opt.warmup : 1));
    t->track_every = c->track_every > 0 ? c->track_every : (t->steps >= 10 ? t->steps / 10 : 1);
    if (t->ckpt_every <= 0) /* every 10% by default: an interrupted run loses little */
        t->ckpt_every = t->steps >= 10 ? t->steps / 10 : 1;
    if (c->model.prec != PREC_F64)
        return ns_fail(e, NS_EUSAGE, "training runs in f64; track other precisions with --track-precision");
    ns_config cfg;
    int rc = model_opts_config(&c->model, c->model.norm, &cfg, e);
    if (!rc && !t->data)
        t->data = cfg.input == INPUT_PATCHES ? "digits" : "text";
    return rc;
}

/* the output folder: created if missing (*created = 1); must be writable; a new run must
 * not overwrite one */
static int prepare_out(const cli_train *c, int *created, ns_err *e)
{
    const char *dir = c->t.out;
    struct stat st;
    if (stat(dir, &st) != 0) {
        if (c->t.resume)
            return ns_fail(e, NS_EUSAGE, "--resume %s: no such folder", dir);
        if (mkdir(dir, 0777) != 0)
            return ns_fail(e, NS_EUSAGE, "cannot create %s: %s", dir, strerror(errno));
        *created = 1;
    } else if (!S_ISDIR(st.st_mode))
        return ns_fail(e, NS_EUSAGE, "%s is not a folder", dir);
    if (access(dir, W_OK) != 0)
        return ns_fail(e, NS_EUSAGE, "cannot write to %s: %s", dir, strerror(errno));
    char path[4096];
    snprintf(path, sizeof path, "%s/checkpoint.safetensors", dir);
    int has = stat(path, &st) == 0;
    if (c->t.resume && !has)
        return ns_fail(e, NS_EUSAGE, "--resume %s: no checkpoint.safetensors there", dir);
    if (!c->t.resume && has)
        return ns_fail(e, NS_EUSAGE, "%s already holds a run: continue it with --resume %s, or choose "
                       "another --out", dir, dir);
    return NS_OK;
}

/* build the model: fresh from the options, or the checkpoint's (which must match them) */
static int build_model(const cli_train *c, ns_model *m, ns_err *e)
{
    int rc = model_opts_build(&c->model, c->model.norm, m, e);
    if (rc || !c->t.resume)
        return rc;
    char path[4096], *want = ckpt_config_text(&m->cfg);
    snprintf(path, sizeof path, "%s/checkpoint.safetensors", c->t.out);
    model_free(m);
    rc = ckpt_load_model(path, m, e);
    char *have = rc ? NULL : ckpt_config_text(&m->cfg);
    if (!rc && (!want || !have || strcmp(want, have) != 0)) {
        cJSON *a = want ? cJSON_Parse(want) : NULL, *b = have ? cJSON_Parse(have) : NULL;
        char diff[400];
        if (a && b && json_diff_keys(a, b, "checkpoint:", diff, sizeof diff) > 0)
            rc = ns_fail(e, NS_EUSAGE, "--resume: the model differs from the checkpoint's: %s", diff);
        else
            rc = ns_fail(e, NS_EUSAGE, "--resume: the model options differ from the checkpoint's");
        cJSON_Delete(a);
        cJSON_Delete(b);
        model_free(m);
    }
    free(want);
    free(have);
    return rc;
}

/* deepening = |p'Cp / lambda_max| at init over the same at the end */
static double deepening(const train_result *r, int i) { return fabs(r->ray_init[i]) / fabs(r->ray_end[i]); }

/* 1 when both ends sit below the dead-direction threshold of their precision: the ratio
 * of two rounding residues (f64: ~1e-16) is noise, not a factor */
static int deepening_is_noise(const cli_train *c, const train_result *r, int i)
{
    double u = precision_unit_roundoff(c->t.track_prec[i]);
    double thr = c->t.threshold > 0 ? c->t.threshold : fmax(1e-10, u * u);
    return fabs(r->ray_init[i]) < thr && fabs(r->ray_end[i]) < thr;
}


void train_print_rayleigh(FILE *out, const char *indent, const cli_train *c, const train_result *r, int i)
{
    const char *p = precision_name(c->t.track_prec[i]);
    if (deepening_is_noise(c, r, i))
        fprintf(out, "%s[%s] %-21s %.3e -> %.3e (both below the threshold: rounding noise, no factor)\n", indent,
                p, "p'Cp / lambda_max", r->ray_init[i], r->ray_end[i]);
    else
        fprintf(out, "%s[%s] %-21s %.3e -> %.3e (deepening x%.3g)\n", indent, p, "p'Cp / lambda_max",
                r->ray_init[i], r->ray_end[i], deepening(r, i));
}

static void print_json(const cli_train *c, const ns_model *m, const train_result *r)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "arch", m->cfg.arch);
    cJSON_AddStringToObject(o, "norm", m->cfg.norm);
    cJSON_AddStringToObject(o, "data", c->t.data);
    cJSON_AddNumberToObject(o, "steps", (double)r->steps_done);
    cJSON_AddItemToObject(o, "train_loss", json_num_or_null(r->train_loss));
    cJSON_AddItemToObject(o, "val_loss_init", json_num_or_null(r->val_loss_init));
    cJSON_AddItemToObject(o, "val_loss", json_num_or_null(r->val_loss));
    cJSON_AddItemToObject(o, "unigram_entropy", json_num_or_null(r->unigram_entropy));
    cJSON_AddItemToObject(o, "step_seconds", json_num_or_null(r->step_seconds));
    cJSON_AddItemToObject(o, "tokens_per_second", json_num_or_null(r->tokens_per_second));
    cJSON *arr = cJSON_AddArrayToObject(o, "tracked");
    for (int i = 0; i < r->n_prec; i++) {
        cJSON *p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "precision", precision_name(c->t.track_prec[i]));
        cJSON_AddItemToObject(p, "cos_init", json_num_or_null(r->cos_init[i]));
        cJSON_AddItemToObject(p, "cos_end", json_num_or_null(r->cos_end[i]));
        cJSON_AddItemToObject(p, "rayleigh_rel_init", json_num_or_null(r->ray_init[i]));
        cJSON_AddItemToObject(p, "rayleigh_rel_end", json_num_or_null(r->ray_end[i]));
        int noise = deepening_is_noise(c, r, i);
        cJSON_AddItemToObject(p, "deepening", noise ? cJSON_CreateNull() : json_num_or_null(deepening(r, i)));
        cJSON_AddBoolToObject(p, "deepening_is_noise", noise);
        cJSON_AddNumberToObject(p, "dead_init", r->dead_init[i]);
        cJSON_AddNumberToObject(p, "dead_end", r->dead_end[i]);
        cJSON_AddItemToArray(arr, p);
    }
    ns_err ignore; /* out of memory: nothing printed, as before */
    json_write(stdout, o, &ignore);
}

static void print_summary(const cli_train *c, const ns_model *m, const train_result *r)
{
    if (c->format == 1) {
        print_json(c, m, r);
        return;
    }
    printf("%-26s %s/%s on %s, %ld steps\n", "run", m->cfg.arch, m->cfg.norm, c->t.data, r->steps_done);
    printf("%-26s %.4f\n", "train loss (last 10%)", r->train_loss);
    printf("%-26s %.4f -> %.4f\n", "validation loss", r->val_loss_init, r->val_loss);
    if (isfinite(r->unigram_entropy))
        printf("%-26s %.4f nats\n", "unigram entropy", r->unigram_entropy);
    for (int i = 0; i < r->n_prec; i++) {
        const char *p = precision_name(c->t.track_prec[i]);
        printf("[%s] %-21s %.12f -> %.12f\n", p, "|cos(p, v)|", r->cos_init[i], r->cos_end[i]);
        train_print_rayleigh(stdout, "", c, r, i);
        printf("[%s] %-21s %d -> %d\n", p, "dead directions", r->dead_init[i], r->dead_end[i]);
    }
    printf("%-26s %.0f tokens/s over %.1f s of updates\n", "speed", r->tokens_per_second, r->step_seconds);
    printf("%-26s %s/track.csv, %s/checkpoint.safetensors\n", "written", c->t.out, c->t.out);
}

/* DIR/hf: the trained model under its family's Hugging Face names (ckpt_export_hf), for
 * transformers users; a model HF naming cannot express gets a note instead */
static int write_hf_copy(const cli_train *c, const ns_model *m)
{
    char dir[4096];
    ns_err e = {0};
    snprintf(dir, sizeof dir, "%s/hf", c->t.out);
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return 0;
    if (ckpt_export_hf(m, dir, &e) == NS_OK)
        return 1;
    fprintf(stderr, "normsim: note: no Hugging Face copy in %s: %s\n", dir, e.msg);
    rmdir(dir);
    return 0;
}

int cmd_train(int argc, char **argv)
{
    if (wants_help(argc, argv)) {
        fputs(train_help, stdout);
        return 0;
    }
    cli_train c;
    ns_err e = {0};
    ns_model m;
    if (train_args_parse(argc, argv, &c, &e))
        return cli_error(&e);
    int created = 0;
    c.t.dist = cli_dist(); /* normsim-mpi: data-parallel; rank 0 alone writes into --out */
    if (!cli_dist_worker() && prepare_out(&c, &created, &e))
        return cli_error(&e);
    train_result r;
    int rc = build_model(&c, &m, &e);
    if (!rc) {
        interrupt_defer(1); /* train stops by itself, with a checkpoint (sim/base/interrupt.h) */
        rc = train_run(&m, &c.t, &r, &e);
        if (rc != NS_EINTR)
            interrupt_defer(0);
        if (!rc && !cli_dist_worker()) {
            print_summary(&c, &m, &r);
            if (write_hf_copy(&c, &m) && !c.format)
                printf("%-26s %s/hf/model.safetensors, %s/hf/config.json (Hugging Face names)\n", "written",
                       c.t.out, c.t.out);
        }
        model_free(&m);
    }
    if (rc == NS_EUSAGE && created) { /* bad input, found before training: leave no folder */
        char path[4096];
        snprintf(path, sizeof path, "%s/checkpoint.safetensors", c.t.out);
        if (access(path, F_OK) != 0) {
            snprintf(path, sizeof path, "%s/track.csv", c.t.out);
            remove(path);
            rmdir(c.t.out);
        }
    }
    return rc ? cli_error(&e) : 0;
}
