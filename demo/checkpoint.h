/*
 * The checkpoint: a custom (non-actor) child of the demo's root supervisor. A thread of its
 * own writes the ledger's totals to a file every 200 ms (write to a temporary file, fsync,
 * rename), the way a service persists its progress. Now and then, as often as
 * demo_settings.stall_rate says, the thread stalls for a few seconds as if the disk hung; the
 * supervisor's health checks notice (no checkpoint for too long: failed; a slow write:
 * degraded), and after three failed checks in a row the child is restarted with a fresh
 * object. A write error is reported with art_child_fail().
 */
#ifndef DEMO_CHECKPOINT_H
#define DEMO_CHECKPOINT_H

#include <art.h>

struct demo_pipeline;

/* The child spec of the checkpoint for @p p (the pipeline outlives the supervisor). */
art_child_spec demo_checkpoint_spec(struct demo_pipeline *p);

#endif /* DEMO_CHECKPOINT_H */
