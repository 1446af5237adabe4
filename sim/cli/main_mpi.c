/* main_mpi.c - normsim-mpi: the same subcommands across the ranks of an MPI job
 * (mpirun -np K build/normsim-mpi COMMAND ...). Built with mpicc only (Makefile); the
 * plain normsim has no MPI in it. What splits across ranks (docs/mpi.md): sweep (cells,
 * dynamic assignment) and diagnose (--acts: rows; random init and --checkpoint: token
 * batches; the accumulators merged on rank 0) and train (data-parallel). Any other command with more than one rank
 * is refused rather than run K times over. */
#include "sim/cli/commands.h"
#include "sim/base/dist.h"
#include "sim/base/interrupt.h"
#include "sim/mpi/mpi_dist.h"
#include <string.h>

/* 1 if argv runs a command that splits its work across ranks */
static int distributed(int argc, char **argv)
{
    if (argc < 2)
        return 0;
    return strcmp(argv[1], "sweep") == 0 || strcmp(argv[1], "diagnose") == 0 || strcmp(argv[1], "train") == 0;
}

int main(int argc, char **argv)
{
    if (mpi_begin(&argc, &argv))
        return 1;
    interrupt_install();
    const ns_dist *d = ns_dist_get();
    int rc;
    if (d->size > 1 && !distributed(argc, argv) && !wants_help(argc, argv)) {
        ns_err e;
        ns_fail(&e, NS_EUSAGE, "normsim-mpi runs sweep, diagnose and train across ranks; run '%s' with "
                "normsim (or mpirun -np 1)", argc > 1 ? argv[1] : "");
        rc = cli_error(&e);
    } else
        rc = cli_run(argc, argv);
    rc = cli_finish(rc);
    mpi_end();
    return rc;
}
