/* progress.h - a one-line progress bar on stderr (redrawn in place on a terminal, a line per tenth
 * of the work otherwise, so logs stay readable). */
#ifndef CIFAKE_PROGRESS_H
#define CIFAKE_PROGRESS_H

typedef struct {
    const char *label;
    long long total, done, last_printed_tenth;
    double start, last_draw;
    int tty;
} progress;

double now_seconds(void);
void progress_start(progress *p, const char *label, long long total);
/* Advances by n items; extra is appended to the line (e.g. "loss 0.123"). */
void progress_update(progress *p, long long n, const char *extra);
void progress_finish(progress *p, const char *extra);

#endif
