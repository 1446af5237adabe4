/* atomic_file.c - write to <path>.tmp, fsync, rename (see atomic_file.h). */
#include "sim/base/atomic_file.h"
#include "sim/base/interrupt.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* a missing, non-folder or unwritable parent is bad input (2); anything else a failure (1) */
static int open_status(int err)
{
    return err == ENOENT || err == ENOTDIR || err == EACCES || err == EROFS || err == ENAMETOOLONG
               ? NS_EUSAGE : NS_ERUN;
}

static void release(atomic_file *a)
{
    interrupt_forget(a->reg - 1);
    free(a->path);
    free(a->tmp);
    memset(a, 0, sizeof *a);
}

int atomic_reserve(atomic_file *a, const char *path, ns_err *e)
{
    memset(a, 0, sizeof *a);
    size_t n = strlen(path);
    a->path = malloc(n + 1);
    a->tmp = malloc(n + 5);
    if (!a->path || !a->tmp) {
        release(a);
        return ns_fail(e, NS_ERUN, "out of memory");
    }
    memcpy(a->path, path, n + 1);
    memcpy(a->tmp, path, n);
    memcpy(a->tmp + n, ".tmp", 5);
    a->reg = interrupt_register(a->tmp, 0) + 1;
    return NS_OK;
}

int atomic_open(atomic_file *a, const char *path, ns_err *e)
{
    int rc = atomic_reserve(a, path, e);
    if (rc)
        return rc;
    if (!(a->f = fopen(a->tmp, "wb"))) {
        int err = errno;
        rc = ns_fail(e, open_status(err), "cannot write %s: %s", a->tmp, strerror(err));
        release(a);
    }
    return rc;
}

/* fflush + fsync + fclose of a->f; 0 or the errno of the first failure */
static int sync_stream(FILE *f)
{
    int err = ferror(f) ? EIO : 0;
    if (!err && fflush(f) != 0)
        err = errno;
    if (!err && fsync(fileno(f)) != 0)
        err = errno;
    if (fclose(f) != 0 && !err)
        err = errno;
    return err;
}

/* fsync of a file some other program wrote; 0 or errno */
static int sync_path(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return errno;
    int err = fsync(fd) != 0 ? errno : 0;
    close(fd);
    return err;
}

int atomic_commit(atomic_file *a, ns_err *e)
{
    int rc = NS_OK, err = a->f ? sync_stream(a->f) : sync_path(a->tmp);
    a->f = NULL;
    if (err)
        rc = ns_fail(e, NS_ERUN, "cannot write %s: %s", a->tmp, strerror(err));
    else if (rename(a->tmp, a->path) != 0)
        rc = ns_fail(e, NS_ERUN, "cannot rename %s to %s: %s", a->tmp, a->path, strerror(errno));
    if (rc)
        remove(a->tmp);
    release(a);
    return rc;
}

void atomic_abort(atomic_file *a)
{
    if (a->f)
        fclose(a->f);
    if (a->tmp)
        remove(a->tmp);
    release(a);
}

int atomic_write_text(const char *path, const char *text, ns_err *e)
{
    atomic_file a;
    int rc = atomic_open(&a, path, e);
    if (rc)
        return rc;
    fputs(text, a.f); /* a failure sets the stream's error flag: atomic_commit reports it */
    return atomic_commit(&a, e);
}

int atomic_ensure_dir(const char *dir, ns_err *e)
{
    struct stat st;
    if (stat(dir, &st) == 0)
        return S_ISDIR(st.st_mode) ? NS_OK : ns_fail(e, NS_EUSAGE, "--out %s is not a directory", dir);
    if (mkdir(dir, 0777) != 0)
        return ns_fail(e, errno == ENOENT || errno == ENOTDIR || errno == EACCES ? NS_EUSAGE : NS_ERUN,
                       "cannot create %s: %s", dir, strerror(errno));
    return NS_OK;
}
