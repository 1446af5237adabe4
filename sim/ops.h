/* ops.h - the model's pointwise and matmul building blocks (forward; backwards join
 * them next to each one). Activations are row-major (rows = tokens). Every matmul goes
 * through cblas. */
#ifndef NS_OPS_H
#define NS_OPS_H

/* out[n, o] = in[n, i] W[o, i]^T + b[o] (b may be NULL); beta = 1 adds into out instead */
void matmul_forward(double *out, const double *in, const double *W, const double *b, int n,
                    int in_dim, int out_dim, double beta);
/* y = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), in place */
void gelu_tanh_forward(double *x, long n);
/* y = 0.5 x (1 + erf(x / sqrt(2))), in place */
void gelu_erf_forward(double *x, long n);
/* y = max(x, 0), in place */
void relu_forward(double *x, long n);
/* y = x sigmoid(x), in place */
void silu_forward(double *x, long n);
/* Gated MLP: rows of a are [gate (f) | up (f)]; a[t, 0:f] := act(gate) * up, compacted in
 * place so the result is (n, f) contiguous. act: 0 = SiLU (SwiGLU), 1 = tanh-GELU (GeGLU). */
void gated_forward(double *a, int n, int f, int act);
/* x[t] = s * x[t] elementwise per channel: x (n, d) *= s (d) */
void scale_channels(double *x, const double *s, int n, int d);
/* y += x, n values */
void add_into(double *y, const double *x, long n);

#endif
