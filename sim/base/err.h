/* err.h - status codes and one-line error messages for library functions.
 * A function that can fail takes an ns_err* and returns NS_OK or the code it set;
 * the CLI prints the message as "normsim: error: <msg>" and exits with the code. */
#ifndef NS_ERR_H
#define NS_ERR_H

enum { NS_OK = 0, NS_ERUN = 1, NS_EUSAGE = 2, NS_EINTR = 130 /* stopped by SIGINT/SIGTERM */ };

typedef struct {
    int code;
    char msg[512];
} ns_err;

/* Record code and a printf-style message in e (if e is non-NULL); returns code. */
int ns_fail(ns_err *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
