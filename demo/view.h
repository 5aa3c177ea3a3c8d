/*
 * What the demo shows while it runs: the supervision tree with each child's state, restart
 * count and health, the job counters and throughput, and the latest supervision and broker
 * events; and the summary at the end. Everything is read through the public API (which
 * children, the monitor's snapshot, the broker's statistics, a request to the aggregator).
 *
 * Threads: the main thread only.
 */
#ifndef DEMO_VIEW_H
#define DEMO_VIEW_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "pipeline.h"

/* Counters of the run, from the monitor and the broker. */
typedef struct demo_counts {
  uint64_t failures;     /* child_failed events */
  uint64_t restarts;     /* child_restarted events */
  uint64_t escalations;  /* restart_limit_exceeded events */
  uint64_t health_fails; /* health_check_failed events */
  uint64_t degraded;     /* child_degraded events */
  uint64_t dead_letters; /* broker dead letters */
  uint64_t published;    /* broker publishes */
  uint64_t delivered;    /* broker deliveries */
} demo_counts;

typedef struct demo_view {
  int64_t started; /* monotonic ns */
  double duration; /* seconds the producer runs */
  uint64_t prev_done;
  int64_t prev_time;
  double rate; /* jobs done per second, over the last refresh */
} demo_view;

/* Reads the counters. */
void demo_counts_read(demo_pipeline *p, demo_counts *out);

/* Writes one screen (live: clears the terminal first) or, if not live, one status line. */
void demo_view_show(FILE *out, demo_pipeline *p, demo_view *view, bool live);

#endif /* DEMO_VIEW_H */
