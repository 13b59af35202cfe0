/*
 * server/assets.h: the dashboard's files (server/dashboard/), embedded in
 * orcad at build time by scripts/embed.sh (the Makefile generates
 * $(BUILD)/server/assets.c), served by server/http.c at GET / and
 * GET /dashboard/NAME.
 */
#ifndef ORCAD_ASSETS_H
#define ORCAD_ASSETS_H

#include <stddef.h>

typedef struct orcad_asset {
    const char *path;          /* "/dashboard/app.js"; NULL ends the table */
    const unsigned char *data;
    size_t len;
} orcad_asset;

extern const orcad_asset orcad_assets[];

#endif
