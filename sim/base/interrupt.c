/* interrupt.c - SIGINT/SIGTERM: a flag, the registered temporaries removed, exit 130
 * (see interrupt.h). Everything the handler calls is async-signal-safe: openat,
 * getdents64, unlinkat, write, _exit. */
#define _GNU_SOURCE
#include "sim/base/interrupt.h"
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

enum { SLOTS = 32, PATH_LEN = 4096, TREE_DEPTH = 16 };

static volatile sig_atomic_t requested, deferred;
static struct {
    volatile sig_atomic_t kind; /* 0 free, 1 file, 2 folder */
    char path[PATH_LEN];
} slots[SLOTS];

struct dirent64_raw {
    uint64_t ino;
    int64_t off;
    unsigned short reclen;
    unsigned char type;
    char name[];
};

/* remove the entries of the open folder fd, then nothing is left in it; 0 or -1 */
static int empty_dir(int fd, int depth)
{
    char buf[4096] __attribute__((aligned(8)));
    for (int round = 0; round < 1000000; round++) {
        lseek(fd, 0, SEEK_SET);
        long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
        if (n < 0)
            return -1;
        int removed = 0;
        for (long at = 0; at < n;) {
            struct dirent64_raw *de = (struct dirent64_raw *)(buf + at);
            at += de->reclen;
            if (strcmp(de->name, ".") == 0 || strcmp(de->name, "..") == 0)
                continue;
            if (unlinkat(fd, de->name, 0) == 0) {
                removed++;
                continue;
            }
            int sub = depth < TREE_DEPTH ? openat(fd, de->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW) : -1;
            if (sub < 0)
                return -1;
            int rc = empty_dir(sub, depth + 1);
            close(sub);
            if (rc != 0 || unlinkat(fd, de->name, AT_REMOVEDIR) != 0)
                return -1;
            removed++;
        }
        if (!removed)
            return 0;
    }
    return -1;
}

int remove_tree(const char *path)
{
    if (unlink(path) == 0)
        return 0;
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    if (fd < 0)
        return -1;
    int rc = empty_dir(fd, 0);
    close(fd);
    return rc == 0 && rmdir(path) == 0 ? 0 : -1;
}

static void cleanup_and_exit(void)
{
    for (int i = 0; i < SLOTS; i++) /* files first: they may sit inside a registered folder */
        if (slots[i].kind == 1)
            unlink(slots[i].path);
    for (int i = 0; i < SLOTS; i++)
        if (slots[i].kind == 2)
            remove_tree(slots[i].path);
    static const char msg[] = "normsim: interrupted\n";
    ssize_t ignored = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)ignored;
    _exit(130);
}

static void on_signal(int sig)
{
    (void)sig;
    if (deferred && !requested) {
        requested = 1;
        return;
    }
    requested = 1;
    cleanup_and_exit();
}

void interrupt_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int interrupt_requested(void) { return requested != 0; }

void interrupt_defer(int on)
{
    deferred = on != 0;
    if (!on && requested) /* a signal that came while deferred and was not acted on */
        cleanup_and_exit();
}

int interrupt_register(const char *path, int is_dir)
{
    size_t n = strlen(path);
    if (n >= PATH_LEN)
        return -1;
    for (int i = 0; i < SLOTS; i++)
        if (slots[i].kind == 0) {
            memcpy(slots[i].path, path, n + 1);
            slots[i].kind = is_dir ? 2 : 1; /* set last: the handler never sees half a path */
            return i;
        }
    return -1;
}

void interrupt_forget(int slot)
{
    if (slot >= 0 && slot < SLOTS)
        slots[slot].kind = 0;
}
