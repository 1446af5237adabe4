/* ops.h - the model's building blocks, forward (backwards join them next to each one).
 * Activations are row-major (rows = tokens). Every matmul goes through cblas. */
#ifndef NS_OPS_H
#define NS_OPS_H

/* out[n, o] = in[n, i] W[o, i]^T + b[o] (b may be NULL); beta = 1 adds into out instead */
void matmul_forward(double *out, const double *in, const double *W, const double *b, int n,
                    int in_dim, int out_dim, double beta);
/* y = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), in place on n values */
void gelu_tanh_forward(double *x, long n);
/* Multi-head attention on one sequence of T tokens from fused qkv (T, 3d: q | k | v):
 * out[t, h*hd:(h+1)*hd] = softmax(q_h k_h^T / sqrt(hd) + mask) v_h; scores is T*T scratch. */
void attention_forward(double *out, const double *qkv, double *scores, int T, int d,
                       int heads, int causal);
/* out[t] = wte[tok[t]] + wpe[t mod T] for B sequences of T tokens */
void embed_forward(double *out, const int *tok, const double *wte, const double *wpe, int B,
                   int T, int d);

#endif
