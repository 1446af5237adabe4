/* out_path.c - output checks before work; folders written under a temporary name. */
#include "sim/base/out_path.h"
#include "sim/base/interrupt.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* the folder part of path ("." when there is none) into buf */
static void parent_of(const char *path, char *buf, size_t n)
{
    snprintf(buf, n, "%s", path);
    size_t len = strlen(buf);
    while (len > 1 && buf[len - 1] == '/') /* "a/b/" names a/b */
        buf[--len] = '\0';
    char *slash = strrchr(buf, '/');
    if (!slash)
        snprintf(buf, n, ".");
    else if (slash == buf)
        buf[1] = '\0';
    else
        *slash = '\0';
}

/* the parent of path exists, is a folder and can be written */
static int check_parent(const char *path, const char *opt, ns_err *e)
{
    char parent[4096];
    struct stat st;
    if (strlen(path) >= sizeof parent - 32)
        return ns_fail(e, NS_EUSAGE, "%s: the path is too long", opt);
    parent_of(path, parent, sizeof parent);
    if (stat(parent, &st) != 0)
        return ns_fail(e, NS_EUSAGE, "%s %s: cannot use %s: %s", opt, path, parent, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return ns_fail(e, NS_EUSAGE, "%s %s: %s is not a folder", opt, path, parent);
    if (access(parent, W_OK) != 0)
        return ns_fail(e, NS_EUSAGE, "%s %s: cannot write in %s: %s", opt, path, parent, strerror(errno));
    return NS_OK;
}

int out_check_file(const char *path, const char *opt, ns_err *e)
{
    struct stat st;
    if (!path[0])
        return ns_fail(e, NS_EUSAGE, "%s: empty path", opt);
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return ns_fail(e, NS_EUSAGE, "%s %s is a folder: name a file", opt, path);
    return check_parent(path, opt, e);
}

int out_check_new_dir(const char *path, const char *opt, ns_err *e)
{
    struct stat st;
    if (!path[0])
        return ns_fail(e, NS_EUSAGE, "%s: empty path", opt);
    if (lstat(path, &st) == 0)
        return ns_fail(e, NS_EUSAGE, "%s %s already exists: choose a new folder", opt, path);
    return check_parent(path, opt, e);
}

int atomic_dir_begin(atomic_dir *d, const char *path, const char *opt, ns_err *e)
{
    memset(d, 0, sizeof *d);
    int rc = out_check_new_dir(path, opt, e);
    if (rc)
        return rc;
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        n--;
    d->path = malloc(n + 1);
    d->tmp = malloc(n + 12);
    if (!d->path || !d->tmp) {
        atomic_dir_abort(d);
        return ns_fail(e, NS_ERUN, "out of memory");
    }
    memcpy(d->path, path, n);
    d->path[n] = '\0';
    snprintf(d->tmp, n + 12, "%s.tmp-XXXXXX", d->path);
    if (!mkdtemp(d->tmp)) {
        int err = errno;
        free(d->tmp);
        d->tmp = NULL;
        atomic_dir_abort(d);
        return ns_fail(e, err == ENOSPC || err == EIO || err == ENOMEM ? NS_ERUN : NS_EUSAGE, "%s %s: cannot create a "
                       "folder next to it: %s", opt, path, strerror(err));
    }
    mode_t mask = umask(0); /* mkdtemp makes it 0700: give it what mkdir would */
    umask(mask);
    chmod(d->tmp, 0777 & ~mask);
    d->reg = interrupt_register(d->tmp, 1) + 1;
    return NS_OK;
}

static void release(atomic_dir *d)
{
    interrupt_forget(d->reg - 1);
    free(d->path);
    free(d->tmp);
    memset(d, 0, sizeof *d);
}

int atomic_dir_commit(atomic_dir *d, ns_err *e)
{
    struct stat st;
    int rc = NS_OK;
    if (lstat(d->path, &st) == 0) /* rename would replace an empty folder: refuse any */
        rc = ns_fail(e, NS_EUSAGE, "%s appeared while it was being written: the result is not kept", d->path);
    else if (rename(d->tmp, d->path) != 0)
        rc = ns_fail(e, NS_ERUN, "cannot rename %s to %s: %s", d->tmp, d->path, strerror(errno));
    if (rc)
        remove_tree(d->tmp);
    release(d);
    return rc;
}

void atomic_dir_abort(atomic_dir *d)
{
    if (d->tmp)
        remove_tree(d->tmp);
    release(d);
}
