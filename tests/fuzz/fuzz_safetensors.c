/* fuzz_safetensors.c - libFuzzer target: a whole safetensors file from memory, opened
 * (header parsed and validated) and every tensor read back through the chunked reader. */
#include "sim/io/safetensors.h"
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f = size ? fmemopen((void *)data, size, "rb") : NULL;
    st_file sf;
    ns_err e = {0};
    double buf[512];
    if (!f)
        return 0;
    if (st_open_stream(&sf, f, "fuzz", &e) != NS_OK)
        return 0; /* the stream is closed on failure */
    for (int i = 0; i < sf.n; i++) {
        const st_tensor *t = &sf.t[i];
        for (uint64_t at = 0; at < t->count; at += 512) {
            uint64_t n = t->count - at < 512 ? t->count - at : 512;
            if (st_read(&sf, t, at, n, buf, &e) != NS_OK)
                break;
        }
    }
    (void)st_meta(&sf, "format");
    st_close(&sf);
    return 0;
}
