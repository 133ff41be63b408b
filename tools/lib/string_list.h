/* string_list.h - a growable list of owned strings, shared by the dataset and folder loaders. */
#ifndef CIFAKE_STRING_LIST_H
#define CIFAKE_STRING_LIST_H

typedef struct {
    char **v;
    int n, cap;
} string_list;

/* Appends a copy of s; -1 when out of memory (the list stays as it was). */
int string_list_push(string_list *l, const char *s);

/* Sorts v[from..n) by strcmp. */
void string_list_sort(string_list *l, int from);

/* Frees the strings and the array; the list is empty afterwards. */
void string_list_free(string_list *l);

#endif
