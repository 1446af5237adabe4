/* sweep_dist.c - a sweep across the ranks of a distributed run, through the message table
 * of sim/base/dist.h (no MPI here). Rank 0 keeps the grid and writes every record; it runs
 * cells in its own local slots and hands the next cell to whichever rank reports one done
 * (dynamic assignment). Messages: CELL (cell id, then the argv strings, NUL-separated),
 * DONE (cell id, exit code, error line, the cell's stdout), STOP. */
#include "sim/sweep/sweep.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { TAG_CELL = 1, TAG_DONE = 2, TAG_STOP = 3 };

typedef struct {
    const ns_dist *d;
    sweep_exec local;
    int local_running;
    long *busy; /* per rank: the cell it runs, -1 idle */
    long *ran;  /* per rank: cells it has run */
} dist_ctx;

/* pack: 8-byte id, then strings each with its NUL */
static char *pack(long id, char *const *strs, int n, size_t *len)
{
    size_t total = 8;
    for (int i = 0; i < n; i++)
        total += strlen(strs[i] ? strs[i] : "") + 1;
    char *buf = malloc(total), *p = buf + 8;
    if (!buf)
        return NULL;
    int64_t v = id;
    memcpy(buf, &v, 8);
    for (int i = 0; i < n; i++) {
        size_t k = strlen(strs[i] ? strs[i] : "") + 1;
        memcpy(p, strs[i] ? strs[i] : "", k);
        p += k;
    }
    *len = total;
    return buf;
}

/* unpack up to max strings (pointers into buf, which must end with a NUL); returns n */
static int unpack(char *buf, size_t len, long *id, char **strs, int max)
{
    int64_t v;
    int n = 0;
    if (len < 8 || buf[len - 1] != '\0')
        return -1;
    memcpy(&v, buf, 8);
    *id = (long)v;
    for (size_t at = 8; at < len && n < max; at += strlen(buf + at) + 1)
        strs[n++] = buf + at;
    return n;
}

static int dist_start(void *ctx, long c, char **argv, ns_err *e)
{
    dist_ctx *x = ctx;
    for (int r = 1; r < x->d->size; r++)
        if (x->busy[r] < 0) {
            int n = 0;
            while (argv[n])
                n++;
            size_t len;
            char *buf = pack(c, argv, n, &len);
            if (!buf)
                return ns_fail(e, NS_ERUN, "out of memory");
            int rc = x->d->send(x->d->ctx, r, TAG_CELL, buf, len, e);
            free(buf);
            if (!rc) {
                x->busy[r] = c;
                x->ran[r]++;
            }
            return rc;
        }
    int rc = x->local.start(x->local.ctx, c, argv, e);
    x->local_running += rc == NS_OK;
    x->ran[0] += rc == NS_OK;
    return rc;
}

/* a DONE message -> *c, *o */
static int take_done(dist_ctx *x, char *buf, size_t len, int from, long *c, cell_outcome *o, ns_err *e)
{
    char *s[3];
    memset(o, 0, sizeof *o);
    if (unpack(buf, len, c, s, 3) != 3 || from <= 0 || from >= x->d->size)
        return ns_fail(e, NS_ERUN, "sweep: a malformed message from rank %d", from);
    o->exit_code = atoi(s[0]);
    snprintf(o->error, sizeof o->error, "%s", s[1]);
    o->out = strdup(s[2]);
    x->busy[from] = -1;
    return NS_OK;
}

static int dist_wait(void *ctx, long *c, cell_outcome *o, ns_err *e)
{
    dist_ctx *x = ctx;
    for (;;) {
        if (x->local_running > 0) {
            int got = sweep_exec_local_poll(&x->local, c, o, e);
            if (got < 0)
                return e->code;
            if (got) {
                x->local_running--;
                return NS_OK;
            }
        }
        void *buf;
        size_t len;
        int from, tag;
        if (x->d->recv(x->d->ctx, -1, 0, &buf, &len, &from, &tag, e))
            return e->code;
        if (buf) {
            int rc = tag == TAG_DONE ? take_done(x, buf, len, from, c, o, e)
                                     : ns_fail(e, NS_ERUN, "sweep: unexpected message %d from rank %d", tag, from);
            free(buf);
            return rc;
        }
        nanosleep(&(struct timespec){0, 2000000}, NULL);
    }
}

int sweep_exec_dist(sweep_exec *x, const ns_dist *d, int jobs, const char *tmpdir, ns_err *e)
{
    dist_ctx *c = calloc(1, sizeof *c);
    if (!c || !(c->busy = malloc(sizeof *c->busy * (size_t)d->size)) ||
        !(c->ran = calloc((size_t)d->size, sizeof *c->ran))) {
        if (c)
            free(c->busy);
        free(c);
        return ns_fail(e, NS_ERUN, "out of memory");
    }
    for (int r = 0; r < d->size; r++)
        c->busy[r] = -1;
    c->d = d;
    int rc = sweep_exec_local(&c->local, jobs, tmpdir, e);
    if (rc) {
        free(c->busy);
        free(c->ran);
        free(c);
        return rc;
    }
    *x = (sweep_exec){.slots = jobs + d->size - 1, .ctx = c, .start = dist_start, .wait = dist_wait};
    return NS_OK;
}

void sweep_exec_dist_free(sweep_exec *x)
{
    dist_ctx *c = x->ctx;
    ns_err ignore;
    for (int r = 1; c && r < c->d->size; r++)
        c->d->send(c->d->ctx, r, TAG_STOP, "", 0, &ignore);
    if (c) {
        fprintf(stderr, "sweep: cells run per rank:");
        for (int r = 0; r < c->d->size; r++)
            fprintf(stderr, " %d:%ld", r, c->ran[r]);
        fputc('\n', stderr);
        sweep_exec_local_free(&c->local);
        free(c->ran);
        free(c->busy);
        free(c);
    }
    x->ctx = NULL;
}

int sweep_serve(const ns_dist *d, const char *tmpdir, ns_err *e)
{
    for (;;) {
        void *buf;
        size_t len;
        int from, tag;
        long c;
        char *argv[4096];
        if (d->recv(d->ctx, 0, 1, &buf, &len, &from, &tag, e))
            return e->code;
        if (tag == TAG_STOP) {
            free(buf);
            return NS_OK;
        }
        int n = tag == TAG_CELL ? unpack(buf, len, &c, argv, 4095) : -1;
        if (n < 1) {
            free(buf);
            return ns_fail(e, NS_ERUN, "sweep: a malformed message from rank 0");
        }
        argv[n] = NULL;
        cell_outcome o;
        int rc = sweep_run_one(tmpdir, argv, &o, e);
        free(buf);
        if (rc)
            return rc;
        char code[16], *parts[3] = {code, o.error, o.out ? o.out : ""};
        snprintf(code, sizeof code, "%d", o.exit_code);
        char *msg = pack(c, parts, 3, &len);
        rc = msg ? d->send(d->ctx, 0, TAG_DONE, msg, len, e) : ns_fail(e, NS_ERUN, "out of memory");
        free(msg);
        cell_outcome_free(&o);
        if (rc)
            return rc;
    }
}
