/* file_kind.c - a file's kind from its magic bytes. */
#include "sim/io/file_kind.h"
#include <string.h>
#include <sys/types.h>
#include "sim/base/file_in.h"

static const char *const kind_names[] = {"a safetensors file", "a GGUF file", "a .npy file",
                                         "a safetensors index (JSON with a weight_map)",
                                         "a JSON file", "not a safetensors, GGUF or .npy file"};

const char *file_kind_name(file_kind k)
{
    return k >= FK_SAFETENSORS && k <= FK_OTHER ? kind_names[k] : kind_names[FK_OTHER];
}

static int is_json_start(const unsigned char *buf, size_t n, size_t *first)
{
    size_t i = 0;
    if (n >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF) /* UTF-8 BOM */
        i = 3;
    while (i < n && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n' || buf[i] == '\r'))
        i++;
    *first = i;
    return i < n && (buf[i] == '{' || buf[i] == '[');
}

/* safetensors: N = u64 LE, 0 < N <= size - 8, and the header opens with '{' (after spaces) */
static int is_safetensors(const unsigned char *buf, size_t n, uint64_t size)
{
    if (n < 9 || size < 9)
        return 0;
    uint64_t len = 0;
    for (int i = 7; i >= 0; i--)
        len = len << 8 | buf[i];
    if (len == 0 || len > size - 8)
        return 0;
    size_t i = 8;
    while (i < n && buf[i] == ' ')
        i++;
    return i < n && buf[i] == '{';
}

file_kind file_kind_sniff(const unsigned char *buf, size_t n, uint64_t size)
{
    size_t first;
    if (n >= 4 && memcmp(buf, "GGUF", 4) == 0)
        return FK_GGUF;
    if (n >= 6 && memcmp(buf, "\x93NUMPY", 6) == 0)
        return FK_NPY;
    if (is_safetensors(buf, n, size))
        return FK_SAFETENSORS;
    if (is_json_start(buf, n, &first)) {
        for (size_t i = first; i + 12 <= n; i++)
            if (memcmp(buf + i, "\"weight_map\"", 12) == 0)
                return FK_INDEX_JSON;
        return FK_JSON;
    }
    return FK_OTHER;
}

int file_kind_of_stream(FILE *f, file_kind *k, ns_err *e)
{
    unsigned char buf[FILE_KIND_SNIFF];
    off_t here = ftello(f);
    if (here < 0 || fseeko(f, 0, SEEK_END) != 0)
        return ns_fail(e, NS_EUSAGE, "cannot seek: not a regular file");
    off_t size = ftello(f);
    if (size < 0 || fseeko(f, 0, SEEK_SET) != 0)
        return ns_fail(e, NS_EUSAGE, "cannot seek: not a regular file");
    size_t n = fread(buf, 1, sizeof buf, f);
    if (fseeko(f, here, SEEK_SET) != 0)
        return ns_fail(e, NS_EUSAGE, "cannot seek: not a regular file");
    *k = file_kind_sniff(buf, n, (uint64_t)size);
    return NS_OK;
}

int file_kind_of(const char *path, file_kind *k, ns_err *e)
{
    FILE *f;
    int rc = file_open_read(path, &f, e);
    if (rc)
        return rc;
    ns_err inner = {0};
    rc = file_kind_of_stream(f, k, &inner);
    fclose(f);
    return rc ? ns_fail(e, rc, "%s: %s", path, inner.msg) : NS_OK;
}

int file_kind_expect(FILE *f, const char *name, file_kind want, ns_err *e)
{
    file_kind k;
    int rc = file_kind_of_stream(f, &k, e);
    if (rc)
        return rc;
    if (k == want)
        return NS_OK;
    if (k == FK_OTHER)
        return ns_fail(e, NS_EUSAGE, "%s is not a safetensors, GGUF or .npy file (expected %s)", name,
                       file_kind_name(want));
    return ns_fail(e, NS_EUSAGE, "%s is %s, not %s", name, file_kind_name(k), file_kind_name(want));
}
