/*
 * The demo's service: a job pipeline under a supervision tree.
 *
 *   root (one_for_one)
 *   ├── checkpoint   a custom child: a thread that writes the ledger's totals to a file,
 *   │                health-checked; it stalls now and then, and the checks catch it
 *   ├── pipeline (rest_for_one)
 *   │   ├── dispatcher  takes jobs from the broker, hands them to idle workers, watches them;
 *   │   │               a job whose worker died goes back in the queue
 *   │   ├── workers (one_for_one)  worker-1 .. worker-N: do the jobs; some fail on purpose
 *   │   └── producer    records jobs in the ledger and publishes them at a steady rate
 *   └── aggregator   counts the results by kind; answers "stats.summary" requests
 *
 * Topics: jobs.submit.<kind> (producer -> dispatcher), jobs.done.<kind> (workers ->
 * dispatcher and aggregator), workers.ready (worker -> dispatcher), stats.summary (request ->
 * aggregator).
 *
 * Threads: the actors run on the system's workers, the checkpoint on its own thread; the
 * shared parts (ledger, settings) are atomic or written before the system starts.
 */
#ifndef DEMO_PIPELINE_H
#define DEMO_PIPELINE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <art.h>

#include "ledger.h"

#define DEMO_MAX_WORKERS 64
#define DEMO_KINDS 3

typedef struct demo_settings {
  uint32_t workers;    /* worker actors */
  uint32_t rate;       /* jobs per second */
  double failure_rate; /* chance that an attempt at a job fails */
  double poison_rate;  /* chance that a job fails every attempt */
  uint64_t seed;       /* decides which attempts fail, and the checkpoint's stalls */
  double stall_rate;   /* checkpoint stalls per second, on average */
  const char *checkpoint_path;
} demo_settings;

/* What the aggregator answers to a stats.summary request. */
typedef struct demo_summary {
  uint64_t done_by_kind[DEMO_KINDS];
  uint64_t results; /* results it saw, duplicates included */
} demo_summary;

/* Everything the pipeline's actors share; one per run. */
typedef struct demo_pipeline {
  demo_settings settings;
  art_system *sys;
  art_broker *broker;
  demo_ledger ledger;
  _Atomic bool producing;       /* cleared to stop the producer */
  _Atomic uint64_t checkpoints; /* checkpoint files written */
  _Atomic uint64_t checkpoint_stalls;
  char worker_ids[DEMO_MAX_WORKERS][16];
  art_child_spec worker_specs[DEMO_MAX_WORKERS];
  art_child_spec pipeline_specs[3], root_specs[3];
  art_sup_spec workers_sup, pipeline_sup, root_sup;
  art_pid root;
} demo_pipeline;

/* Names a job kind ("primes", "checksum", "collatz"). */
const char *demo_kind_name(uint32_t kind);

/* Fills @p p's specs (no system needed). The ledger must be initialised by the caller. */
void demo_pipeline_init(demo_pipeline *p, const demo_settings *settings);

/* Creates the broker and starts the tree on @p sys. Returns 0 or an ART_E* code. */
int demo_pipeline_start(demo_pipeline *p, art_system *sys);

/* What the child @p id is, for the view, read from @p p's specs: a supervisor's strategy
 * ("root" for the root), "thread" for a custom child, "actor" for the rest. */
const char *demo_pipeline_describe(const demo_pipeline *p, const char *id);

/* Asks the aggregator over the broker (stats.summary). Plain threads only. */
int demo_pipeline_summary(demo_pipeline *p, demo_summary *out);

#endif /* DEMO_PIPELINE_H */
