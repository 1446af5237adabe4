/* ops.h - matmul and pointwise ops, each backward next to its forward. Activations are
 * row-major (rows = tokens). Every matmul goes through cblas. Backwards accumulate (+=)
 * into parameter gradients; input gradients are written (=) unless said otherwise. */
#ifndef NS_OPS_H
#define NS_OPS_H

/* out[n, o] = in[n, i] W[o, i]^T + b[o] (b may be NULL); beta = 1 adds into out instead */
void matmul_forward(double *out, const double *in, const double *W, const double *b, int n,
                    int in_dim, int out_dim, double beta);
/* out[n, dim] += b[dim] on every row */
void bias_add(double *out, const double *b, int n, int dim);
/* din = dout W (din_beta = 0: overwrite, 1: add); dW += dout^T in; db += sum_rows dout
 * (din, dW, db may each be NULL) */
void matmul_backward(double *din, double din_beta, double *dW, double *db, const double *dout,
                     const double *in, const double *W, int n, int in_dim, int out_dim);

/* The MLP activation of kind (enum arch_mlp) on n rows: plain kinds map pre (n, f) to
 * act (n, f) (pre == act allowed); gated kinds map pre = [gate | up] (n, 2f) to
 * act = a(gate) * up (n, f): SwiGLU a = SiLU, GeGLU a = tanh-GELU. */
void activation_forward(int kind, const double *pre, double *act, int n, int f);
/* The same with a bias fused in: pre += b (per row, b may be NULL; pre keeps the biased
 * values for the backward), then act from pre as above, in one pass. */
void bias_activation_forward(int kind, double *pre, const double *b, double *act, int n, int f);
/* dpre from dact (pre as in the forward; (n, f) or gated (n, 2f)) */
void activation_backward(int kind, const double *pre, const double *dact, double *dpre, int n, int f);

/* y += x, n values */
void add_into(double *y, const double *x, long n);

#endif
