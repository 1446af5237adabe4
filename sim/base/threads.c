/* threads.c - the thread count (OpenBLAS's) and the BLAS guard for parallel regions. */
#include "sim/base/threads.h"
#include <cblas.h>
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
