/* kernel_basis.h - building blocks for the `kernel` entry of schemes. */
#ifndef NS_KERNEL_BASIS_H
#define NS_KERNEL_BASIS_H

/* Channels whose gain offset + w_i is 0 output a constant, so each gives the trivial
 * kernel e_i. Writes up to max_k unit vectors e_i (rows of basis); returns how many. */
int kernel_zero_gains(int d, const double *w, double offset, double *basis, int max_k);
/* p = w / ||w|| with w_i = 1 / g_i (g == NULL: all ones). Writes one row if max_k >= 1. */
int kernel_inverse_gain(int d, const double *g, double *basis, int max_k);
/* Every output is constant (a zero scalar gain, DyT's alpha = 0): all of e_1..e_d.
 * Writes up to max_k rows; returns d. */
int kernel_identity(int d, double *basis, int max_k);

#endif
