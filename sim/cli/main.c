/* main.c - normsim: dispatch to a subcommand. */
#include "sim/cli/commands.h"
#include "sim/base/interrupt.h"
#include <errno.h>
#include "sim/base/dist.h"
#include <time.h>
#include <stdio.h>
#include <string.h>

#define NORMSIM_VERSION "0.1.0"

static const char usage[] =
    "normsim " NORMSIM_VERSION " - how normalization layers shape a transformer's geometry\n"
    "\n"
    "usage: normsim COMMAND [options]   (normsim COMMAND --help for its options)\n"
    "\n"
    "commands:\n"
    "  diagnose   stream tokens through a random model and compare the post-final-norm\n"
    "             covariance's bottom direction with the norm's predicted kernel\n"
    "  norms      list the normalization schemes: parameters and predicted kernel\n"
    "  archs      list the model families\n"
    "  export     write a model's weights, input tokens, taps and logits as .npy files\n"
    "  train      train a model (AdamW) and track its spectrum through training\n"
    "  inspect    a checkpoint's norm layers and the final norm's predicted dead direction,\n"
    "             from its parameters alone (no forward pass)\n"
    "  screen     screen normalization schemes for a built-in kernel: the norm alone,\n"
    "             in models, and a classification (LN-like or RMS-like)\n"
    "  demo       a narrated walk-through for a class: the kernel, RMSNorm, precision,\n"
    "             training, with terminal plots (docs/tutorial.md builds on it)\n"
    "\n"
    "exit status: 0 ok, 1 failure while running, 2 bad usage or bad input\n";

typedef struct {
    const char *name;
    int (*run)(int, char **);
} command;

static const command commands[] = {
    {"diagnose", cmd_diagnose},
    {"norms", cmd_norms},
    {"archs", cmd_archs},
    {"export", cmd_export},
    {"train", cmd_train},
    {"screen", cmd_screen},
    {"inspect", cmd_inspect},
    {"demo", cmd_demo},
    {"fisher", cmd_fisher},
    {"sweep", cmd_sweep},
};

int cli_error(const ns_err *e)
{
    char line[sizeof e->msg];
    size_t i = 0;
    for (; i + 1 < sizeof line && e->msg[i]; i++) /* one line even when a file's names hold a newline */
        line[i] = (unsigned char)e->msg[i] < 0x20 || e->msg[i] == 0x7f ? '?' : e->msg[i];
    line[i] = '\0';
    const ns_dist *d = ns_dist_get();
    if (d && d->size > 1 && d->rank > 0) /* all ranks failing alike: rank 0's line ends the job */
        nanosleep(&(struct timespec){1, 0}, NULL);
    fprintf(stderr, "normsim: error: %s\n", line);
    if (d && d->size > 1) { /* normsim-mpi: one rank's error ends the whole job, no rank hangs */
        fflush(stderr);
        d->abort(d->ctx, e->code ? e->code : 1);
    }
    return e->code ? e->code : 1;
}

const ns_dist *cli_dist(void)
{
    const ns_dist *d = ns_dist_get();
    return d && d->size > 1 ? d : NULL;
}

int cli_dist_worker(void) { return cli_dist() && cli_dist()->rank > 0; }

int wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) /* there is no "--" end of options: it is refused */
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return 1;
    return 0;
}

/* the results reached stdout: flush and close it, checking (a full disk, a closed pipe);
 * a failure is exit 1 with one line (stderr is checked too, silently: nowhere to say it) */
int cli_finish(int rc)
{
    int err = 0;
    if (fflush(stdout) != 0)
        err = errno;
    else if (ferror(stdout)) /* an earlier write failed; its errno is gone */
        err = EIO;
    if (fclose(stdout) != 0 && !err)
        err = errno;
    if (err) {
        ns_err e;
        ns_fail(&e, NS_ERUN, "cannot write the results to standard output: %s", strerror(err));
        cli_error(&e);
        rc = rc ? rc : NS_ERUN;
    }
    if ((fflush(stderr) != 0 || ferror(stderr)) && !rc)
        rc = NS_ERUN;
    return rc;
}

int cli_run(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage, stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        fputs(usage, stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        puts("normsim " NORMSIM_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(cmd, commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    ns_err e;
    ns_fail(&e, NS_EUSAGE, "unknown command '%s' (valid: diagnose, norms, archs, export, train, screen, inspect, demo, fisher, sweep; "
            "see normsim --help)", cmd);
    return cli_error(&e);
}

#ifndef NORMSIM_NO_MAIN /* normsim-mpi has its own main (sim/cli/main_mpi.c) */
int main(int argc, char **argv)
{
    interrupt_install();
    return cli_finish(cli_run(argc, argv));
}
#endif
