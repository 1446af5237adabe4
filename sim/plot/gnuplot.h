/* gnuplot.h - the one gnuplot runner (the demo's figures and the screen's). The program
 * is NORMSIM_GNUPLOT when set and not empty (a path or a command name), else "gnuplot"
 * from PATH. It is run directly, without a shell, so no quoting is involved. */
#ifndef NS_GNUPLOT_H
#define NS_GNUPLOT_H
#include <stddef.h>

#define GNUPLOT_DEFAULT "gnuplot"

/* NORMSIM_GNUPLOT, or GNUPLOT_DEFAULT */
const char *gnuplot_program(void);
/* 1 if prog can be run: a name holding '/' must be an executable file, any other name an
 * executable file in a folder of PATH */
int gnuplot_found(const char *prog);
/* Run prog with args (NULL-terminated, at most 14, after argv[0]). Its stdout goes into
 * *out (malloc'd, NUL-terminated; free it) when out is not NULL, else to our stderr
 * (stdout is for results); its stderr is discarded when quiet. Returns its exit status,
 * or -1 when it could not be started or did not exit normally (127: not found). */
int gnuplot_run(const char *prog, const char *const *args, char **out, int quiet);

/* The plot script <name>: $NORMSIM_PLOTS/<name>, else <dir of the executable>/../plots/<name>,
 * else plots/<name> under the current directory; 1 (path in out) if it is readable. */
int gnuplot_find_script(const char *name, char *out, size_t n);
/* out.png and out.svg by gnuplot -e "VARS; out=...; fmt=..." SCRIPT, each written to a
 * temporary name and committed (sim/base/atomic_file.h); -1 on failure */
int gnuplot_figure(const char *script, const char *vars, const char *out);

#endif
