/* registry.h - the list of normalization schemes: lookup by name, listing, plugins. */
#ifndef NS_REGISTRY_H
#define NS_REGISTRY_H
#include "norms/norm.h"
#include "sim/base/err.h"

int norm_count(void);
const norm_ops *norm_at(int i);
const norm_ops *norm_find(const char *name);
/* Resolve "name" or "name:arg" for channel count d: sets *ops and cfg (d, eps, arg). */
int norm_resolve(const char *spec, int d, double eps, const norm_ops **ops, norm_cfg *cfg,
                 ns_err *e);
/* Add a scheme (checked: ABI version, required functions, unique name). */
int norm_register(const norm_ops *ops, ns_err *e);
/* Total doubles of one instance's parameter block for d channels. */
size_t norm_param_count(const norm_ops *ops, int d);
/* Offset of parameter i inside the block. */
size_t norm_param_offset(const norm_ops *ops, int d, int i);
/* Write the registered names, comma-separated, into buf. */
void norm_names(char *buf, size_t len);

/* The kernel basis the scheme predicts for the parameter block params (as the model holds
 * it): *P = k x d orthonormal rows (malloc'd; NULL when k = 0). Returns k, or -1 with e set. */
int norm_kernel_basis(const norm_ops *ops, const norm_cfg *cfg, const double *params, int d,
                      double **P, ns_err *e);
/* The kernel that scheme `kind` predicts through the registry (norm_ops.kernel) for scale
 * g as stored (NULL: the init value; for rmsnorm-1p the stored w) and shift b (NULL:
 * zeros): *P = k x d orthonormal rows (malloc'd; NULL when k = 0). Returns k, or -1 with
 * e set. */
int norm_predicted_kernel(const char *kind, int d, const double *g, const double *b, double **P,
                          ns_err *e);

#endif
