/* mpi_dist.c - sim/base/dist.h over MPI_COMM_WORLD: blocking sends, probed receives of
 * any length, MPI_Abort for an error on one rank. */
#include "sim/mpi/mpi_dist.h"
#include "sim/base/dist.h"
#include <limits.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

static int mpi_send(void *ctx, int dest, int tag, const void *buf, size_t len, ns_err *e)
{
    (void)ctx;
    if (len > INT_MAX)
        return ns_fail(e, NS_ERUN, "MPI message of %zu bytes is too large", len);
    if (MPI_Send(buf, (int)len, MPI_BYTE, dest, tag, MPI_COMM_WORLD) != MPI_SUCCESS)
        return ns_fail(e, NS_ERUN, "MPI_Send to rank %d failed", dest);
    return NS_OK;
}

static int mpi_recv(void *ctx, int src, int block, void **buf, size_t *len, int *from, int *tag, ns_err *e)
{
    (void)ctx;
    MPI_Status st;
    int flag = 1, count;
    const int s = src < 0 ? MPI_ANY_SOURCE : src;
    *buf = NULL;
    if (block ? MPI_Probe(s, MPI_ANY_TAG, MPI_COMM_WORLD, &st) : MPI_Iprobe(s, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st))
        return ns_fail(e, NS_ERUN, "MPI_Probe failed");
    if (!flag)
        return NS_OK;
    MPI_Get_count(&st, MPI_BYTE, &count);
    if (!(*buf = malloc((size_t)count + 1)))
        return ns_fail(e, NS_ERUN, "out of memory for an MPI message of %d bytes", count);
    if (MPI_Recv(*buf, count, MPI_BYTE, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE)) {
        free(*buf);
        *buf = NULL;
        return ns_fail(e, NS_ERUN, "MPI_Recv from rank %d failed", st.MPI_SOURCE);
    }
    *len = (size_t)count;
    *from = st.MPI_SOURCE;
    *tag = st.MPI_TAG;
    return NS_OK;
}

static void mpi_abort(void *ctx, int code)
{
    (void)ctx;
    MPI_Abort(MPI_COMM_WORLD, code);
}

static ns_dist world = {.send = mpi_send, .recv = mpi_recv, .abort = mpi_abort};

int mpi_begin(int *argc, char ***argv)
{
    if (MPI_Init(argc, argv) != MPI_SUCCESS) {
        fprintf(stderr, "normsim: error: MPI_Init failed\n");
        return 1;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &world.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world.size);
    ns_dist_set(&world);
    return 0;
}

void mpi_end(void)
{
    MPI_Finalize();
}
