/* plugin.c - norm plugins: dlopen, look up the one exported function, register its table. */
#include "norms/plugin.h"
#include "norms/registry.h"
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* dlerror() text on one line (newlines to spaces), or a fallback */
static const char *dl_reason(char *buf, size_t n)
{
    const char *why = dlerror();
    snprintf(buf, n, "%s", why ? why : "unknown dynamic-loader error");
    for (char *c = buf; *c; c++)
        if (*c == '\n' || *c == '\r')
            *c = ' ';
    return buf;
}

int norm_plugin_load(const char *path, const norm_ops **ops, ns_err *e)
{
    char full[4096], why[512];
    struct stat st;
    if (!path || !path[0])
        return ns_fail(e, NS_EUSAGE, "--norm-plugin needs a path to a shared object");
    if (stat(path, &st) != 0)
        return ns_fail(e, NS_EUSAGE, "cannot open norm plugin %s: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return ns_fail(e, NS_EUSAGE, "norm plugin %s is not a regular file", path);
    /* a bare name would send dlopen to the library search path: anchor it here */
    snprintf(full, sizeof full, "%s%s", strchr(path, '/') ? "" : "./", path);
    void *h = dlopen(full, RTLD_NOW | RTLD_LOCAL);
    if (!h)
        return ns_fail(e, NS_EUSAGE, "cannot load norm plugin %s: %s", path, dl_reason(why, sizeof why));
    dlerror();
    void *sym = dlsym(h, NORM_PLUGIN_SYMBOL);
    if (!sym) {
        dlclose(h);
        return ns_fail(e, NS_EUSAGE, "norm plugin %s does not export %s()", path, NORM_PLUGIN_SYMBOL);
    }
    norm_plugin_fn fn;
    memcpy(&fn, &sym, sizeof fn); /* object pointer -> function pointer, as POSIX allows */
    const norm_ops *o = fn();
    int rc = norm_register(o, e);
    if (rc) {
        char reason[sizeof e->msg];
        snprintf(reason, sizeof reason, "%s", e->msg);
        dlclose(h);
        return ns_fail(e, NS_EUSAGE, "norm plugin %s: %s", path, reason);
    }
    *ops = o;
    return NS_OK;
}
