/*
 * The job ledger: the demo's durable store of jobs, outside every actor, so that a job
 * survives whatever restarts. The producer records a job before it publishes it; a worker's
 * result marks it done once (a job retried after its worker died may finish twice: the second
 * is counted as a duplicate, not as work); the dispatcher, when it (re)starts, takes back
 * every job that is recorded and not done.
 *
 * Threads: any; every field is atomic. Lifetime: created before the actor system, destroyed
 * after it.
 */
#ifndef DEMO_LEDGER_H
#define DEMO_LEDGER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

enum { JOB_NONE = 0, JOB_ISSUED, JOB_DONE, JOB_REJECTED };

typedef struct demo_ledger {
  uint32_t capacity;
  _Atomic uint32_t issued;  /* jobs recorded: ids 0 .. issued-1 */
  _Atomic uint8_t *state;   /* JOB_* per id */
  _Atomic uint8_t *strikes; /* failures of a worker while it worked on the job */
  _Atomic uint64_t done, rejected, duplicates, retried, checksum;
} demo_ledger;

int demo_ledger_init(demo_ledger *ledger, uint32_t capacity);
void demo_ledger_destroy(demo_ledger *ledger);

/* Records a new job; returns its id, or UINT32_MAX when the ledger is full. */
uint32_t demo_ledger_issue(demo_ledger *ledger);

/* Marks @p id done and adds @p result to the checksum; false if it already was (a duplicate). */
bool demo_ledger_complete(demo_ledger *ledger, uint32_t id, uint64_t result);

/* Marks @p id rejected (a poison job that failed every attempt). */
void demo_ledger_reject(demo_ledger *ledger, uint32_t id);

/* Counts a failure of a worker that was working on @p id; returns the failures so far
 * (saturating at 255). */
uint32_t demo_ledger_strike(demo_ledger *ledger, uint32_t id);

/* The failures counted against @p id. */
uint32_t demo_ledger_strikes(const demo_ledger *ledger, uint32_t id);

/* Counts a job that went back to the queue because its worker died. */
void demo_ledger_count_retry(demo_ledger *ledger);

/* Whether @p id is issued and neither done nor rejected. */
bool demo_ledger_open(const demo_ledger *ledger, uint32_t id);

/* Jobs issued and not yet done or rejected. */
uint64_t demo_ledger_in_flight(const demo_ledger *ledger);

#endif /* DEMO_LEDGER_H */
