/* file_in.h - opening an input file, with the one message every reader gives: a missing
 * file, a folder, or no permission is bad input (NS_EUSAGE, "cannot open PATH: reason"). */
#ifndef NS_FILE_IN_H
#define NS_FILE_IN_H
#include <stdint.h>
#include <stdio.h>
#include "sim/base/err.h"

/* *f = path opened "rb" (a folder is refused with EISDIR) */
int file_open_read(const char *path, FILE **f, ns_err *e);

/* *size = the stream's length in bytes, the position back at 0; -1 when it cannot seek (a
 * pipe, a FIFO, a terminal) */
int file_size(FILE *f, uint64_t *size);

#endif
