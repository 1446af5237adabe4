/* sweep_exec_local.c - cells as child processes on this machine: posix_spawn of the
 * normsim binary with the cell's argv, its stdout and stderr into files under a scratch
 * folder, collected when it exits. A child that crashes takes only its cell with it. */
#include "sim/sweep/sweep.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

typedef struct {
    pid_t pid; /* 0: free */
    long cell;
} slot;

typedef struct {
    char tmpdir[PATH_MAX];
    long self; /* our pid: a cell of a killed sweep still running writes other files */
    int n;
    slot s[];
} local_ctx;

void cell_outcome_free(cell_outcome *o)
{
    free(o->out);
    o->out = NULL;
}

static void scratch(const local_ctx *x, long c, const char *ext, char *out, size_t n)
{
    snprintf(out, n, "%s/cell-%ld-%ld.%s", x->tmpdir, x->self, c, ext);
}

/* the whole file (at most 64 MiB), NUL-terminated; NULL if it cannot be read */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    for (size_t got = 1; buf && got > 0 && n < (64u << 20);) {
        if (n + 1 >= cap) {
            char *b = realloc(buf, cap *= 2);
            if (!b) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = b;
        }
        got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
    }
    fclose(f);
    if (buf)
        buf[n] = '\0';
    return buf;
}

/* the last "normsim: error: " line of stderr, without the prefix */
static void error_line(const char *err, char *out, size_t n)
{
    static const char tag[] = "normsim: error: ";
    const char *last = NULL;
    for (const char *p = err; p && (p = strstr(p, tag)); p += sizeof tag - 1)
        if (p == err || p[-1] == '\n')
            last = p;
    out[0] = '\0';
    if (last)
        snprintf(out, n, "%.*s", (int)strcspn(last + sizeof tag - 1, "\n"), last + sizeof tag - 1);
}

static int local_start(void *ctx, long c, char **argv, ns_err *e)
{
    local_ctx *x = ctx;
    slot *s = NULL;
    for (int i = 0; i < x->n && !s; i++)
        s = x->s[i].pid == 0 ? &x->s[i] : NULL;
    if (!s)
        return ns_fail(e, NS_ERUN, "sweep: no free slot (internal)");
    char out[PATH_MAX + 32], err[PATH_MAX + 32];
    scratch(x, c, "out", out, sizeof out);
    scratch(x, c, "err", err, sizeof err);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int rc = posix_spawn(&s->pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        s->pid = 0;
        return ns_fail(e, NS_ERUN, "cannot start %s: %s", argv[0], strerror(rc));
    }
    s->cell = c;
    return NS_OK;
}

/* a cell that ended: 1 (and *c, *o), or 0 when none has (only without block) */
static int local_collect(local_ctx *x, int block, long *c, cell_outcome *o, ns_err *e)
{
    for (;;) {
        int st;
        pid_t pid = waitpid(-1, &st, block ? 0 : WNOHANG);
        if (pid < 0 && errno == EINTR)
            continue;
        if (pid == 0 || (pid < 0 && errno == ECHILD && !block))
            return 0;
        if (pid < 0)
            return ns_fail(e, NS_ERUN, "sweep: waitpid: %s", strerror(errno)), -1;
        slot *s = NULL;
        for (int i = 0; i < x->n && !s; i++)
            s = x->s[i].pid == pid ? &x->s[i] : NULL;
        if (!s)
            continue; /* not a cell of ours */
        char out[PATH_MAX + 32], err[PATH_MAX + 32];
        scratch(x, s->cell, "out", out, sizeof out);
        scratch(x, s->cell, "err", err, sizeof err);
        memset(o, 0, sizeof *o);
        o->exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        o->out = slurp(out);
        char *errtext = slurp(err);
        error_line(errtext, o->error, sizeof o->error);
        if (!WIFEXITED(st))
            snprintf(o->error, sizeof o->error, "killed by signal %d", WTERMSIG(st));
        else if (o->exit_code != 0 && !o->error[0])
            snprintf(o->error, sizeof o->error, "exit %d with no error line", o->exit_code);
        free(errtext);
        unlink(out);
        unlink(err);
        *c = s->cell;
        s->pid = 0;
        return 1;
    }
}

static int local_wait(void *ctx, long *c, cell_outcome *o, ns_err *e)
{
    return local_collect(ctx, 1, c, o, e) < 0 ? e->code : NS_OK;
}

int sweep_exec_local_poll(sweep_exec *x, long *c, cell_outcome *o, ns_err *e)
{
    return local_collect(x->ctx, 0, c, o, e);
}

int sweep_exec_local(sweep_exec *x, int jobs, const char *tmpdir, ns_err *e)
{
    local_ctx *c = calloc(1, sizeof *c + sizeof(slot) * (size_t)jobs);
    if (!c)
        return ns_fail(e, NS_ERUN, "out of memory");
    if (snprintf(c->tmpdir, sizeof c->tmpdir, "%s", tmpdir) >= (int)sizeof c->tmpdir) {
        free(c);
        return ns_fail(e, NS_EUSAGE, "sweep: path too long: %s", tmpdir);
    }
    if (mkdir(tmpdir, 0777) != 0 && errno != EEXIST) {
        free(c);
        return ns_fail(e, NS_EUSAGE, "cannot create %s: %s", tmpdir, strerror(errno));
    }
    c->n = jobs;
    c->self = (long)getpid();
    *x = (sweep_exec){.slots = jobs, .ctx = c, .start = local_start, .wait = local_wait};
    return NS_OK;
}

void sweep_exec_local_free(sweep_exec *x)
{
    free(x->ctx);
    x->ctx = NULL;
}

int sweep_run_one(const char *tmpdir, char **argv, cell_outcome *o, ns_err *e)
{
    sweep_exec x;
    long c;
    int rc = sweep_exec_local(&x, 1, tmpdir, e);
    if (!rc && !(rc = local_start(x.ctx, 0, argv, e)))
        rc = local_wait(x.ctx, &c, o, e);
    sweep_exec_local_free(&x);
    return rc;
}
