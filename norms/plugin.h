/* plugin.h - load a normalization scheme from a shared object (docs/plugins.md). */
#ifndef NS_PLUGIN_H
#define NS_PLUGIN_H
#include "norms/norm.h"
#include "sim/base/err.h"

/* dlopen path, call its NORM_PLUGIN_SYMBOL and register the table it returns
 * (norm_register checks the ABI version and the required functions). Sets *ops to the
 * registered scheme. Every failure is NS_EUSAGE with a one-line message. The object
 * stays loaded for the life of the process (the registry points into it). */
int norm_plugin_load(const char *path, const norm_ops **ops, ns_err *e);

#endif
