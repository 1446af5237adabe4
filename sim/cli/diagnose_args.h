/* diagnose_args.h - the options of `normsim diagnose` on a random model, parsed and run in
 * one place (cmd_diagnose.c) for every command that diagnoses the way it does (demo). */
#ifndef NS_DIAGNOSE_ARGS_H
#define NS_DIAGNOSE_ARGS_H
#include "sim/cli/model_opts.h"
#include "sim/diag/diag_report.h"

typedef struct {
    model_opts model;
    long tokens;
    const char *data;
    double threshold; /* 0: the precision's default, max(1e-10, u^2) */
    int format;
    int progress;     /* progress bar on a terminal */
} diagnose_opts;

/* argv[1..] -> o, with diagnose's defaults */
int diagnose_args_parse(int argc, char **argv, diagnose_opts *o, ns_err *e);
/* build the model with norm spec `norm`, run the diagnostic, fill out (free out->r) */
int diagnose_run_one(const diagnose_opts *o, const char *norm, run_result *out, ns_err *e);

#endif
