/*
 * server/metrics.h: orcad's GET /metrics body, the Prometheus text
 * exposition format (version 0.0.4) from an engine and its orca_stats.
 * Pure: no socket, no loop; tests/test_metrics.c reads it back.
 */
#ifndef ORCAD_METRICS_H
#define ORCAD_METRICS_H

#include <orca.h>

/* Write every family (# HELP, # TYPE, then one sample per queue and per
 * channel, labelled queue="..." or channel="...", and orca_agents by
 * state) to fn. Gauges are now; service level and ASA are over the
 * stats' sliding window; *_total counters since the stats were attached.
 * ORCA_EINVAL (NULL e, s or fn), ORCA_ENOMEM (a line did not fit). */
int orcad_metrics_write(const orca_engine *e, const orca_stats *s, orca_write_fn fn, void *data);

#endif
