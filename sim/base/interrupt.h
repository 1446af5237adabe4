/* interrupt.h - SIGINT and SIGTERM, handled in one place. interrupt_install (main) sets
 * the handlers and ignores SIGPIPE (a closed pipe is then a write error, EPIPE, that the
 * exit check reports). A signal sets a flag; unless a caller has asked to be told
 * (interrupt_defer, e.g. train, which writes a checkpoint and returns NS_EINTR), the
 * handler then removes every registered temporary - the files atomic_file is writing and
 * the folders atomic_dir is filling - prints "normsim: interrupted" and exits 130. A second
 * signal during a deferred section does the same at once. */
#ifndef NS_INTERRUPT_H
#define NS_INTERRUPT_H

void interrupt_install(void);
/* 1 once SIGINT or SIGTERM has arrived */
int interrupt_requested(void);
/* on (1): the caller polls interrupt_requested and stops by itself; off (0): exit at once */
void interrupt_defer(int on);
/* a temporary to remove on an interrupt: a file, or a folder (removed with what it holds).
 * Returns a slot (>= 0) for interrupt_forget, or -1 when the table is full or the path
 * too long (the temporary is then only removed by the normal error paths). */
int interrupt_register(const char *path, int is_dir);
void interrupt_forget(int slot);
/* remove path and everything under it (no symlink is followed); 0 or -1 */
int remove_tree(const char *path);

#endif
