#define _POSIX_C_SOURCE 200809L
#include "progress.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

void progress_start(progress *p, const char *label, long long total) {
    p->label = label;
    p->total = total > 0 ? total : 1;
    p->done = 0;
    p->last_printed_tenth = 0;
    p->start = p->last_draw = now_seconds();
    p->tty = isatty(2);
}

static void draw(progress *p, const char *extra, int final) {
    double elapsed = now_seconds() - p->start;
    double rate = elapsed > 0 ? p->done / elapsed : 0.0;
    double eta = rate > 0 ? (p->total - p->done) / rate : 0.0;
    int width = 24, filled = (int)(width * p->done / p->total);
    char bar[32];
    for (int i = 0; i < width; i++) bar[i] = i < filled ? '#' : '.';
    bar[width] = 0;
    fprintf(stderr, "%s%s [%s] %3d%% %s | %.0f img/s | %s %d:%02d%s", p->tty ? "\r" : "", p->label, bar,
            (int)(100 * p->done / p->total), extra ? extra : "", rate, final ? "took" : "ETA",
            (int)(final ? elapsed : eta) / 60, (int)(final ? elapsed : eta) % 60, p->tty && !final ? "\033[K" : "\n");
    fflush(stderr);
}

void progress_update(progress *p, long long n, const char *extra) {
    p->done += n;
    double t = now_seconds();
    long long tenth = 10 * p->done / p->total;
    if (p->tty ? t - p->last_draw >= 0.2 : tenth > p->last_printed_tenth) {
        p->last_draw = t;
        p->last_printed_tenth = tenth;
        if (p->done < p->total) draw(p, extra, 0);
    }
}

void progress_finish(progress *p, const char *extra) { draw(p, extra, 1); }
