/* atomic_file.h - the one way to write a file so that no half-written file is ever left:
 * write <path>.tmp (same folder, so the rename stays on one file system), flush and fsync
 * it, then rename it over path. On any failure, or on atomic_abort, the temporary file is
 * removed and path is left as it was. Two kinds of producer:
 *   - one that writes a FILE*: atomic_open, fprintf(a.f, ...), atomic_commit;
 *   - one that writes a path itself (gnuplot's PNG): atomic_reserve, let it write a.tmp,
 *     atomic_commit (which fsyncs a.tmp and renames it).
 * The temporary is registered with sim/base/interrupt.h, so SIGINT/SIGTERM remove it.
 * Messages: "cannot write <tmp>: <reason>" (exit 2 when the folder is missing or not
 * writable, else 1) and "cannot rename <tmp> to <path>: <reason>" (1). */
#ifndef NS_ATOMIC_FILE_H
#define NS_ATOMIC_FILE_H
#include <stdio.h>
#include "sim/base/err.h"

typedef struct {
    FILE *f;   /* open on tmp after atomic_open; NULL after atomic_reserve */
    char *path;/* the target */
    char *tmp; /* "<path>.tmp" */
    int reg;   /* 1 + its slot in the interrupt table (sim/base/interrupt.h), 0: none */
} atomic_file;

/* Open <path>.tmp for writing (binary, truncated): a->f. */
int atomic_open(atomic_file *a, const char *path, ns_err *e);
/* Only name <path>.tmp (a->tmp) for a producer that writes it by itself. */
int atomic_reserve(atomic_file *a, const char *path, ns_err *e);
/* Flush, fsync and close a->tmp (checking for earlier write errors), then rename it to
 * a->path. On failure the temporary is removed. a is released either way. */
int atomic_commit(atomic_file *a, ns_err *e);
/* Close and remove the temporary, release a; path is untouched. Safe on a zeroed a. */
void atomic_abort(atomic_file *a);
/* The whole of text as path: atomic_open, fputs, atomic_commit. */
int atomic_write_text(const char *path, const char *text, ns_err *e);

/* The output folder dir (an --out option): made when missing (its parent must exist);
 * NS_EUSAGE when it is not a directory or cannot be made there. */
int atomic_ensure_dir(const char *dir, ns_err *e);

#endif
