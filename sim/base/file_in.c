/* file_in.c - opening an input file. */
#include "sim/base/file_in.h"
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

int file_open_read(const char *path, FILE **f, ns_err *e)
{
    struct stat sb;
    *f = NULL;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
        errno = EISDIR;
    else
        *f = fopen(path, "rb");
    return *f ? NS_OK : ns_fail(e, NS_EUSAGE, "cannot open %s: %s", path, strerror(errno));
}

int file_size(FILE *f, uint64_t *size)
{
    if (fseeko(f, 0, SEEK_END) != 0)
        return -1;
    off_t s = ftello(f);
    if (s < 0 || fseeko(f, 0, SEEK_SET) != 0)
        return -1;
    *size = (uint64_t)s;
    return 0;
}
