/* file_in.h - opening an input file, with the one message every reader gives: a missing
 * file, a folder, or no permission is bad input (NS_EUSAGE, "cannot open PATH: reason"). */
#ifndef NS_FILE_IN_H
#define NS_FILE_IN_H
#include <stdio.h>
#include "sim/base/err.h"

/* *f = path opened "rb" (a folder is refused with EISDIR) */
int file_open_read(const char *path, FILE **f, ns_err *e);

#endif
