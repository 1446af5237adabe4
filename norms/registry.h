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

#endif
