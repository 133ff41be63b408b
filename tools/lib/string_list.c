#include "string_list.h"

#include <stdlib.h>
#include <string.h>

int string_list_push(string_list *l, const char *s) {
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 64;
        char **v = realloc(l->v, sizeof(char *) * cap);
        if (!v) return -1;
        l->v = v;
        l->cap = cap;
    }
    size_t len = strlen(s) + 1;
    if (!(l->v[l->n] = malloc(len))) return -1;
    memcpy(l->v[l->n++], s, len);
    return 0;
}

static int compare_strings(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

void string_list_sort(string_list *l, int from) {
    if (l->n - from > 1) qsort(l->v + from, (size_t)(l->n - from), sizeof(char *), compare_strings);
}

void string_list_free(string_list *l) {
    for (int i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}
