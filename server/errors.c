/*
 * server/errors.c: the list of "file:line: message" problems a config
 * check collects. Every message is kept (not just the first), so a
 * person fixing a file sees the whole list at once.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

void orcad_errors_free(orcad_errors *err)
{
    for (size_t k = 0; k < err->n; k++)
        free(err->msg[k]);
    free(err->msg);
    memset(err, 0, sizeof *err);
}

void orcad_errors_add(orcad_errors *err, const char *file, int line, const char *fmt, ...)
{
    char body[512], *m;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    if (err->n == err->cap) {
        size_t cap = err->cap ? err->cap * 2 : 8;
        char **grown = realloc(err->msg, cap * sizeof *grown);
        if (!grown) {
            err->oom = 1;
            return;
        }
        err->msg = grown;
        err->cap = cap;
    }
    size_t len = strlen(file) + strlen(body) + 32;
    if (!(m = malloc(len))) {
        err->oom = 1;
        return;
    }
    if (line > 0)
        snprintf(m, len, "%s:%d: %s", file, line, body);
    else
        snprintf(m, len, "%s: %s", file, body);
    err->msg[err->n++] = m;
}
