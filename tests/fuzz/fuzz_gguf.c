/* fuzz_gguf.c - libFuzzer target: a GGUF file from memory through the reader (header,
 * metadata, tensor infos, offsets) and a bounded read of every tensor it accepts. */
#include "sim/io/gguf.h"
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ns_err e = {0};
    FILE *f = size ? fmemopen((void *)data, size, "rb") : NULL;
    st_file g;
    if (!f || gguf_open_stream(&g, f, "fuzz", &e) != NS_OK)
        return 0;
    double buf[256];
    for (int i = 0; i < g.n; i++) {
        uint64_t n = g.t[i].count < 256 ? g.t[i].count : 256;
        (void)st_read(&g, &g.t[i], g.t[i].count - n, n, buf, &e);
    }
    st_close(&g);
    return 0;
}
