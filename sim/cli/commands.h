/* commands.h - one function per subcommand; each returns the process exit code and
 * prints its own errors through cli_error. */
#ifndef NS_COMMANDS_H
#define NS_COMMANDS_H
#include "sim/base/dist.h"
#include "sim/base/err.h"

int cmd_norms(int argc, char **argv);
int cmd_archs(int argc, char **argv);
int cmd_diagnose(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_screen(int argc, char **argv);
int cmd_train(int argc, char **argv);

int cmd_inspect(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_fisher(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
/* diagnose on activation files (diagnose_acts.c) and on checkpoints (diagnose_ckpt.c):
 * diagnose_route runs the one whose option (--acts, --checkpoint) is present and returns
 * its exit code, or -1 when neither is; the help texts are appended to diagnose's */
int diagnose_route(int argc, char **argv);
int diagnose_acts(int argc, char **argv);
int diagnose_checkpoint(int argc, char **argv);
extern const char diagnose_acts_help[], diagnose_ckpt_help[];

/* normsim-mpi with more than one rank: the run's table (sim/base/dist.h), else NULL */
const ns_dist *cli_dist(void);
/* 1 on a rank other than 0 of such a run: it computes its share and reports nothing */
int cli_dist_worker(void);
/* the command line: dispatch argv[1] (main.c; main and normsim-mpi's main call it) */
int cli_run(int argc, char **argv);
/* print "normsim: error: <msg>" on stderr; returns e->code (normsim-mpi with several
 * ranks: then ends the job with that code) */
int cli_error(const ns_err *e);
/* 1 if argv has -h or --help (anywhere; normsim has no "--" end of options) */
int wants_help(int argc, char **argv);

/* flush and close stdout, checking it: a write error is exit 1 with one line (main.c) */
int cli_finish(int rc);
#endif
