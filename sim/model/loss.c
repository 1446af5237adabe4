/* loss.c - cross-entropy with a stable log-sum-exp. Rows run in parallel; the loss sums
 * fixed blocks of NS_BLOCK_ROWS rows, then the blocks in order (thread-count free). */
#include "sim/model/loss.h"
#include "sim/base/threads.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* row r's loss lse(z) - z[target] (0 when masked); dz = (softmax(z) - e_target) inv */
static double row_loss(const double *z, int target, int V, double inv, double *dz)
{
    if (target < 0) {
        if (dz)
            memset(dz, 0, sizeof(double) * V);
        return 0.0;
    }
    double mx = z[0], sum = 0.0;
    for (int j = 1; j < V; j++)
        mx = z[j] > mx ? z[j] : mx;
    for (int j = 0; j < V; j++)
        sum += exp(z[j] - mx);
    double lse = mx + log(sum);
    if (dz) {
        for (int j = 0; j < V; j++)
            dz[j] = exp(z[j] - lse) * inv;
        dz[target] -= inv;
    }
    return lse - z[target];
}

/* the loss summed over block b's rows, in order */
static double block_loss(const double *logits, const int *target, int rows, int V, double inv,
                         double *dlogits, int b)
{
    const int r0 = b * NS_BLOCK_ROWS, r1 = r0 + NS_BLOCK_ROWS < rows ? r0 + NS_BLOCK_ROWS : rows;
    double s = 0.0;
    for (int r = r0; r < r1; r++)
        s += row_loss(logits + (size_t)r * V, target[r], V, inv,
                      dlogits ? dlogits + (size_t)r * V : NULL);
    return s;
}

double cross_entropy(const double *logits, const int *target, int rows, int V, double *dlogits)
{
    int count = 0;
    for (int r = 0; r < rows; r++)
        count += target[r] >= 0;
    const double inv = count ? 1.0 / count : 0.0;
    enum { STACK_BLOCKS = 256 };
    const int nb = ns_blocks(rows);
    double stack[STACK_BLOCKS], *part = nb <= STACK_BLOCKS ? stack : malloc(sizeof(double) * nb);
    double total = 0.0;
    if (!part) { /* no room for the block sums: the same blocks, one after another */
        for (int b = 0; b < nb; b++)
            total += block_loss(logits, target, rows, V, inv, dlogits, b);
        return count ? total * inv : 0.0;
    }
    NS_PAR_FOR(8L * rows * V)
    for (int b = 0; b < nb; b++)
        part[b] = block_loss(logits, target, rows, V, inv, dlogits, b);
    for (int b = 0; b < nb; b++)
        total += part[b];
    if (part != stack)
        free(part);
    return count ? total * inv : 0.0;
}

void targets_next_token(const int *tok, int B, int T, int *target)
{
    for (int s = 0; s < B; s++)
        for (int t = 0; t < T; t++)
            target[s * T + t] = t + 1 < T ? tok[s * T + t + 1] : -1;
}
