/* threads.c - the thread count (OpenBLAS's) and the BLAS guard for parallel regions. */
#include "sim/base/threads.h"
#include <cblas.h>
#include <stdlib.h>
#ifdef _OPENMP
#include <omp.h>
#endif

int ns_threads(void)
{
#ifdef _OPENMP
    if (omp_in_parallel())
        return 1;
#endif
    int n = openblas_get_num_threads();
    return n > 0 ? n : 1;
}

int ns_par_threads(long work)
{
    return work < NS_PAR_MIN_WORK ? 1 : ns_threads();
}

void ns_threads_set(int n)
{
    openblas_set_num_threads(n > 0 ? n : 1);
}

int ns_thread_id(void)
{
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

int ns_blas_serial_begin(void)
{
    int saved = ns_threads();
    if (saved > 1)
        openblas_set_num_threads(1);
    return saved;
}

void ns_blas_serial_end(int saved)
{
    if (saved > 1)
        openblas_set_num_threads(saved);
}

int ns_par_jobs(int n, int (*fn)(void *ctx, int job, int thread, ns_err *e), void *ctx,
                ns_err *e)
{
    ns_err *errs = calloc(n > 0 ? (size_t)n : 1, sizeof *errs);
    if (!errs)
        return ns_fail(e, NS_ERUN, "out of memory");
    const int nt = ns_threads() < n ? ns_threads() : n;
    const int saved = nt > 1 ? ns_blas_serial_begin() : 0;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt > 0 ? nt : 1)
    for (int j = 0; j < n; j++)
        fn(ctx, j, ns_thread_id(), &errs[j]);
    if (nt > 1)
        ns_blas_serial_end(saved);
    int rc = NS_OK;
    for (int j = 0; j < n && !rc; j++)
        if (errs[j].code)
            rc = ns_fail(e, errs[j].code, "%s", errs[j].msg);
    free(errs);
    return rc;
}
