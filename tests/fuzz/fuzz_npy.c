/* fuzz_npy.c - libFuzzer target: a .npy file from memory through the header parser and
 * the streaming row reader. */
#include "sim/io/npy.h"
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    npy_header h;
    ns_err e = {0};
    (void)npy_parse_header(data, size, &h, &e);
    FILE *f = size ? fmemopen((void *)data, size, "rb") : NULL;
    npy_reader r;
    if (!f || npy_open_stream(&r, f, "fuzz", &e) != NS_OK)
        return 0;
    double buf[1024];
    uint64_t rows = r.h.cols && r.h.cols <= 1024 ? 1024 / r.h.cols : 0, got = 1;
    while (rows && got && npy_read_rows(&r, buf, rows, &got, &e) == NS_OK)
        ;
    npy_close(&r);
    return 0;
}
