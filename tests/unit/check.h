/* check.h - the unit-test harness: counted checks that fail loudly, and a summary line
 * "<suite>: N passed, N failed" whose exit status is non-zero on any failure. */
#ifndef NS_CHECK_H
#define NS_CHECK_H
#include <math.h>
#include <stdio.h>

static int check_passed, check_failed;

#define CHECK(cond, ...)                                                      \
    do {                                                                      \
        if (cond) {                                                           \
            check_passed++;                                                   \
        } else {                                                              \
            check_failed++;                                                   \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);              \
            fprintf(stderr, __VA_ARGS__);                                     \
            fputc('\n', stderr);                                              \
        }                                                                     \
    } while (0)

/* |got - want| <= rtol * max(|want|, floor) */
#define CHECK_REL(got, want, rtol, floor, what)                                           \
    do {                                                                                  \
        double g_ = (got), w_ = (want), s_ = fabs(w_) > (floor) ? fabs(w_) : (floor);     \
        CHECK(fabs(g_ - w_) <= (rtol) * s_, "%s: got %.17g want %.17g (rel %.3g > %.3g)", \
              what, g_, w_, fabs(g_ - w_) / s_, (double)(rtol));                          \
    } while (0)

static inline int check_summary(const char *suite)
{
    printf("%s: %d passed, %d failed\n", suite, check_passed, check_failed);
    return check_failed ? 1 : 0;
}

#endif
