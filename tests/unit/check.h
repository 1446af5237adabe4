/* check.h - the unit-test harness: counted checks that fail loudly, and a summary line
 * "<suite>: N passed, N failed" whose exit status is non-zero on any failure. */
#ifndef NS_CHECK_H
#define NS_CHECK_H
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

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

/* a fresh folder /tmp/ns_test_<name>_XXXXXX, its path in dir; 0 (and a message) on failure */
static inline int check_tmpdir(char *dir, size_t n, const char *name)
{
    snprintf(dir, n, "/tmp/ns_test_%s_XXXXXX", name);
    if (mkdtemp(dir))
        return 1;
    perror("mkdtemp");
    return 0;
}

/* remove dir and everything in it (a folder from check_tmpdir: no quote in its name) */
static inline void check_rmtree(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

static inline int check_summary(const char *suite)
{
    printf("%s: %d passed, %d failed\n", suite, check_passed, check_failed);
    return check_failed ? 1 : 0;
}

#endif
