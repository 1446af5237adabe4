/* out_path.h - output paths: checked before any work, and multi-file outputs written whole.
 *   out_check_file(path, opt): path may be replaced (a file, or missing) - not a folder -
 *     and its folder exists and is writable;
 *   out_check_new_dir(path, opt): path does not exist and its parent is a writable folder.
 * Both fail with NS_EUSAGE and one line naming the option ("--out x: ...").
 *   atomic_dir: a folder filled under a temporary name, <path>.tmp-XXXXXX next to it
 *     (registered with sim/base/interrupt.h, so SIGINT/SIGTERM remove it), then renamed
 *     to path by atomic_dir_commit; atomic_dir_abort removes it with all it holds. */
#ifndef NS_OUT_PATH_H
#define NS_OUT_PATH_H
#include "sim/base/err.h"

int out_check_file(const char *path, const char *opt, ns_err *e);
int out_check_new_dir(const char *path, const char *opt, ns_err *e);

typedef struct {
    char *path; /* the target */
    char *tmp;  /* the folder being filled: write into it */
    int reg;    /* 1 + interrupt slot, 0: none */
} atomic_dir;

/* check path as out_check_new_dir, then create d->tmp */
int atomic_dir_begin(atomic_dir *d, const char *path, const char *opt, ns_err *e);
/* rename d->tmp to d->path (refused if path appeared meanwhile); d released either way,
 * the temporary removed on failure */
int atomic_dir_commit(atomic_dir *d, ns_err *e);
/* remove d->tmp and all it holds; release d. Safe on a zeroed d. */
void atomic_dir_abort(atomic_dir *d);

#endif
