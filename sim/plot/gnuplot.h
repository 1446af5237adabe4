/* gnuplot.h - the one gnuplot runner (the demo's figures and the screen's). The program
 * is NORMSIM_GNUPLOT when set and not empty (a path or a command name), else "gnuplot"
 * from PATH. It is run directly, without a shell, so no quoting is involved. */
#ifndef NS_GNUPLOT_H
#define NS_GNUPLOT_H

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

#endif
