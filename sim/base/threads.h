/* threads.h - one thread count for normsim's own loops and for OpenBLAS's, and the
 * parallel-for every loop over tokens (or values) uses. The count is OpenBLAS's
 * (OPENBLAS_NUM_THREADS, else every core; `--threads N` sets it): there is no second
 * setting, so the two never disagree. Loops run with OpenMP (GCC's libgomp).
 *
 * Rules the callers keep:
 *   - a BLAS call never runs inside a parallel region unless wrapped by
 *     ns_blas_serial_begin/end (BLAS single-threaded there: no oversubscription);
 *   - results never depend on the thread count: per-token (per-value) work is exact per
 *     item, and a reduction over tokens sums fixed blocks of NS_BLOCK_ROWS rows, each in
 *     token order, then merges the blocks in block order. */
#ifndef NS_THREADS_H
#define NS_THREADS_H
#include "sim/base/err.h"

/* rows per block of a reduction across tokens: fixed, never the thread count */
#define NS_BLOCK_ROWS 64
/* below this many scalar operations a loop stays on one thread (a region costs ~us) */
#define NS_PAR_MIN_WORK 16384L

/* threads for loops and BLAS (1 inside a parallel region) */
int ns_threads(void);
/* the thread count for work of that many scalar operations: 1 when small */
int ns_par_threads(long work);
/* set the count of both (n >= 1) */
void ns_threads_set(int n);
/* this thread's index in the current region (0 outside one) */
int ns_thread_id(void);

/* BLAS single-threaded until ns_blas_serial_end (call outside a region; returns the
 * count to restore) */
int ns_blas_serial_begin(void);
void ns_blas_serial_end(int saved);

/* Jobs 0..n-1 of fn on ns_threads() threads (handed out in order, one at a time), BLAS
 * single-threaded meanwhile: for independent BLAS/LAPACK work (eigensolves side by side).
 * fn gets its job and thread index (< the ns_threads() read before the call: per-thread
 * scratch) and its own ns_err; returns the first failing job's status, e set from it. */
int ns_par_jobs(int n, int (*fn)(void *ctx, int job, int thread, ns_err *e), void *ctx,
                ns_err *e);

/* blocks of NS_BLOCK_ROWS rows covering n rows */
static inline int ns_blocks(int n) { return (n + NS_BLOCK_ROWS - 1) / NS_BLOCK_ROWS; }

#define NS_PRAGMA(x) _Pragma(#x)
/* the next for loop split statically across ns_par_threads(work) threads */
#define NS_PAR_FOR(work) NS_PRAGMA(omp parallel for schedule(static) num_threads(ns_par_threads(work)))

#endif
