/* gnuplot.c - find and run gnuplot (see gnuplot.h): fork, exec, a pipe for its output. */
#include "sim/plot/gnuplot.h"
#include "sim/base/atomic_file.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

#define MAX_ARGS 14

const char *gnuplot_program(void)
{
    const char *gp = getenv("NORMSIM_GNUPLOT");
    return gp && *gp ? gp : GNUPLOT_DEFAULT;
}

static int executable_file(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && access(path, X_OK) == 0;
}

/* 1 if an executable named prog is in a folder of PATH (an empty entry: the current one) */
static int on_path(const char *prog)
{
    const char *path = getenv("PATH");
    char full[PATH_MAX + 256];
    while (path && *path) {
        const char *colon = strchr(path, ':');
        int len = colon ? (int)(colon - path) : (int)strlen(path);
        if (snprintf(full, sizeof full, "%.*s%s%s", len, path, len ? "/" : "", prog) < (int)sizeof full &&
            executable_file(full))
            return 1;
        path = colon ? colon + 1 : NULL;
    }
    return 0;
}

int gnuplot_found(const char *prog) { return strchr(prog, '/') ? executable_file(prog) : on_path(prog); }

/* in the child: stdout to out_fd (or our stderr), stderr to /dev/null when quiet, exec */
static void exec_child(const char *const *argv, const int fd[2], int quiet)
{
    signal(SIGPIPE, SIG_DFL); /* normsim ignores it (sim/base/interrupt.h); gnuplot should not */
    dup2(fd[1] >= 0 ? fd[1] : 2, 1);
    if (fd[0] >= 0) {
        close(fd[0]);
        close(fd[1]);
    }
    int nul = quiet ? open("/dev/null", O_WRONLY) : -1;
    if (nul >= 0)
        dup2(nul, 2);
    execvp(argv[0], (char *const *)argv);
    _exit(127);
}

/* everything readable from fd until EOF, NUL-terminated (NULL when out of memory) */
static char *read_all(int fd)
{
    size_t cap = 8192, len = 0;
    char *buf = malloc(cap);
    for (ssize_t got = 1; buf && got != 0;) {
        if (len + 4096 + 1 > cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) {
                free(buf);
                return NULL;
            }
            buf = nb;
        }
        got = read(fd, buf + len, 4096);
        if (got < 0 && errno != EINTR)
            break;
        len += got > 0 ? (size_t)got : 0;
    }
    if (buf)
        buf[len] = '\0';
    return buf;
}

/* exit status of child pid, or -1 */
static int wait_status(pid_t pid)
{
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int gnuplot_run(const char *prog, const char *const *args, char **out, int quiet)
{
    const char *argv[MAX_ARGS + 2] = {prog};
    int n = 0;
    for (; args && args[n] && n < MAX_ARGS; n++)
        argv[n + 1] = args[n];
    if (args && args[n])
        return -1;
    int fd[2] = {-1, -1};
    if (out)
        *out = NULL;
    if (out && pipe(fd) != 0)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0)
        exec_child(argv, fd, quiet);
    if (fd[1] >= 0)
        close(fd[1]);
    if (pid > 0 && out)
        *out = read_all(fd[0]);
    if (fd[0] >= 0)
        close(fd[0]);
    return pid > 0 ? wait_status(pid) : -1;
}

/* the plot script: $NORMSIM_PLOTS/<name>, else <dir of the executable>/../plots/<name>,
 * else plots/<name> under the current directory */
int gnuplot_find_script(const char *name, char *out, size_t n)
{
    const char *env = getenv("NORMSIM_PLOTS");
    char exe[PATH_MAX];
    if (env && env[0])
        return snprintf(out, n, "%s/%s", env, name) < (int)n && access(out, R_OK) == 0;
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len > 0) {
        exe[len] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            if (snprintf(out, n, "%s/../plots/%s", exe, name) < (int)n && access(out, R_OK) == 0)
                return 1;
        }
    }
    snprintf(out, n, "plots/%s", name);
    return access(out, R_OK) == 0;
}

/* out.png and out.svg by gnuplot -e "VARS; out=...; fmt=..." SCRIPT, each written to a
 * temporary name and committed (sim/base/atomic_file.h); -1 on failure */
int gnuplot_figure(const char *script, const char *vars, const char *out)
{
    static const char *fmts[] = {"png", "svg"};
    char final[PATH_MAX + 8], all[3 * PATH_MAX];
    ns_err ignore;
    for (int i = 0; i < 2; i++) {
        atomic_file a;
        snprintf(final, sizeof final, "%s.%s", out, fmts[i]);
        if (atomic_reserve(&a, final, &ignore) != NS_OK)
            return -1;
        snprintf(all, sizeof all, "%s; out='%s'; fmt='%s'", vars, a.tmp, fmts[i]);
        const char *args[] = {"-e", all, script, NULL};
        if (gnuplot_run(gnuplot_program(), args, NULL, 0) != 0) {
            atomic_abort(&a);
            return -1;
        }
        if (atomic_commit(&a, &ignore) != NS_OK)
            return -1;
    }
    return 0;
}

