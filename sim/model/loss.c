/* loss.c - cross-entropy with a stable log-sum-exp. */
#include "sim/model/loss.h"
#include <math.h>
#include <string.h>

double cross_entropy(const double *logits, const int *target, int rows, int V, double *dlogits)
{
    int count = 0;
    for (int r = 0; r < rows; r++)
        count += target[r] >= 0;
    double total = 0.0, inv = count ? 1.0 / count : 0.0;
    for (int r = 0; r < rows; r++) {
        const double *z = logits + (size_t)r * V;
        double *dz = dlogits ? dlogits + (size_t)r * V : NULL;
        if (target[r] < 0) {
            if (dz)
                memset(dz, 0, sizeof(double) * V);
            continue;
        }
        double mx = z[0], sum = 0.0;
        for (int j = 1; j < V; j++)
            mx = z[j] > mx ? z[j] : mx;
        for (int j = 0; j < V; j++)
            sum += exp(z[j] - mx);
        double lse = mx + log(sum);
        total += lse - z[target[r]];
        if (dz) {
            for (int j = 0; j < V; j++)
                dz[j] = exp(z[j] - lse) * inv;
            dz[target[r]] -= inv;
        }
    }
    return count ? total * inv : 0.0;
}

void targets_next_token(const int *tok, int B, int T, int *target)
{
    for (int s = 0; s < B; s++)
        for (int t = 0; t < T; t++)
            target[s * T + t] = t + 1 < T ? tok[s * T + t + 1] : -1;
}
