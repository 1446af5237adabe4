/* progress.h - a progress bar with ETA on stderr, drawn only when stderr is a terminal. */
#ifndef NS_PROGRESS_H
#define NS_PROGRESS_H

typedef struct {
    int active;     /* stderr is a terminal and the caller wants progress */
    double start;   /* monotonic seconds at start */
    double last;    /* last redraw */
    const char *label;
} progress;

void progress_start(progress *p, const char *label, int want);
void progress_update(progress *p, double done, double total);
void progress_end(progress *p);

#endif
