/* commands.h - one function per subcommand; each returns the process exit code and
 * prints its own errors through cli_error. */
#ifndef NS_COMMANDS_H
#define NS_COMMANDS_H
#include "../err.h"

int cmd_norms(int argc, char **argv);
int cmd_archs(int argc, char **argv);
int cmd_diagnose(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_train(int argc, char **argv);

/* print "normsim: error: <msg>" on stderr; returns e->code */
int cli_error(const ns_err *e);
/* 1 if argv has -h or --help (only before a "--") */
int wants_help(int argc, char **argv);

#endif
