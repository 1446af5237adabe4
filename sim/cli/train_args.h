/* train_args.h - the options of `normsim train`, parsed in one place (cmd_train.c) for
 * every command that trains the way `normsim train` does (demo). */
#ifndef NS_TRAIN_ARGS_H
#define NS_TRAIN_ARGS_H
#include "sim/cli/model_opts.h"
#include "sim/train/train.h"
#include <stdio.h>

typedef struct {
    model_opts model;
    train_opts t;
    const char *out, *resume;
    int format; /* 0 table, 1 json */
    long warmup, track_every;
} cli_train;

/* argv[1..] -> c, with train's defaults; validates the model options too */
int train_args_parse(int argc, char **argv, cli_train *c, ns_err *e);
/* the summary's "[P] p'Cp / lambda_max A -> B (deepening xF)" line of tracked precision
 * i, or "(... rounding noise, no factor)" when both ends are below its threshold */
void train_print_rayleigh(FILE *out, const char *indent, const cli_train *c, const train_result *r, int i);

#endif
