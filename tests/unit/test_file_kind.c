/* test_file_kind.c - magic-byte detection (sim/io/file_kind.c): each kind from its first
 * bytes, the messages readers give for a file of another kind, and near misses. */
#include "tests/unit/check.h"
#include "sim/io/file_kind.h"
#include "sim/io/npy.h"
#include "sim/io/safetensors.h"
#include <string.h>

static file_kind sniff(const char *s, size_t n, uint64_t size)
{
    return file_kind_sniff((const unsigned char *)s, n, size);
}

static void write_file(const char *path, const void *buf, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(buf, 1, n, f);
        fclose(f);
    }
}

static void test_sniff(void)
{
    static const char st[] = "\x0e\0\0\0\0\0\0\0{\"a\":1}       ";
    CHECK(sniff(st, sizeof st - 1, sizeof st - 1) == FK_SAFETENSORS, "safetensors");
    /* the same bytes in a file too short for the header length: not safetensors */
    CHECK(sniff(st, 12, 12) == FK_OTHER, "safetensors header past the end");
    CHECK(sniff("GGUF\x03\0\0\0", 8, 8) == FK_GGUF, "gguf");
    CHECK(sniff("\x93NUMPY\x01\0", 8, 8) == FK_NPY, "npy");
    CHECK(sniff("\x93NUMPZ\x01\0", 8, 8) == FK_OTHER, "npy near miss");
    const char ix[] = " {\"metadata\": {}, \"weight_map\": {\"a\": \"b\"}}";
    CHECK(sniff(ix, sizeof ix - 1, sizeof ix - 1) == FK_INDEX_JSON, "index json");
    CHECK(sniff("{\"model_type\": \"gpt2\"}", 22, 22) == FK_JSON, "json");
    CHECK(sniff("PK\x03\x04", 4, 4) == FK_OTHER, "zip (a .bin pickle)");
    CHECK(sniff("", 0, 0) == FK_OTHER, "empty");
    CHECK(strcmp(file_kind_name(FK_GGUF), "a GGUF file") == 0, "name");
}

static void test_readers(void)
{
    char dir[256], path[300];
    ns_err e = {0};
    if (!check_tmpdir(dir, sizeof dir, "file_kind"))
        return;
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    unsigned char gguf[64] = "GGUF\x03";
    write_file(path, gguf, sizeof gguf);
    st_file f;
    CHECK(st_open(&f, path, &e) == NS_EUSAGE && strstr(e.msg, "a GGUF file, not a safetensors file"),
          "gguf as safetensors: %s", e.msg);
    npy_reader r;
    CHECK(npy_open(&r, path, &e) == NS_EUSAGE && strstr(e.msg, "a GGUF file, not a .npy file"),
          "gguf as npy: %s", e.msg);
    write_file(path, "PK\x03\x04 this is a zip", 19);
    CHECK(st_open(&f, path, &e) == NS_EUSAGE && strstr(e.msg, "not a safetensors, GGUF or .npy file"),
          "other: %s", e.msg);
    file_kind k = FK_SAFETENSORS;
    CHECK(file_kind_of(path, &k, &e) == NS_OK && k == FK_OTHER, "file_kind_of other");
    CHECK(file_kind_of(dir, &k, &e) == NS_EUSAGE, "a folder is refused");
    check_rmtree(dir);
}

int main(void)
{
    test_sniff();
    test_readers();
    return check_summary("file_kind");
}
