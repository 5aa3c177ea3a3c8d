#include "ledger.h"

#include <errno.h>
#include <stdlib.h>

/* Relaxed orders throughout: each job's state moves by compare-and-swap on its own byte, and
 * the counters are statistics read after the system has stopped or as approximate progress. */

int demo_ledger_init(demo_ledger *ledger, uint32_t capacity) {
  *ledger = (demo_ledger){.capacity = capacity};
  ledger->state = calloc(capacity ? capacity : 1, sizeof *ledger->state);
  ledger->strikes = calloc(capacity ? capacity : 1, sizeof *ledger->strikes);
  if (!ledger->state || !ledger->strikes) {
    demo_ledger_destroy(ledger);
    return -ENOMEM;
  }
  return 0;
}

void demo_ledger_destroy(demo_ledger *ledger) {
  free((void *)ledger->state);
  free((void *)ledger->strikes);
  ledger->state = NULL;
  ledger->strikes = NULL;
}

uint32_t demo_ledger_issue(demo_ledger *ledger) {
  uint32_t id = atomic_load_explicit(&ledger->issued, memory_order_relaxed);
  do {
    if (id >= ledger->capacity)
      return UINT32_MAX;
  } while (!atomic_compare_exchange_weak_explicit(&ledger->issued, &id, id + 1,
                                                  memory_order_relaxed, memory_order_relaxed));
  atomic_store_explicit(&ledger->state[id], JOB_ISSUED, memory_order_release);
  return id;
}

static bool close_job(demo_ledger *ledger, uint32_t id, uint8_t to) {
  if (id >= ledger->capacity)
    return false;
  uint8_t expected = JOB_ISSUED;
  return atomic_compare_exchange_strong_explicit(&ledger->state[id], &expected, to,
                                                 memory_order_acq_rel, memory_order_acquire);
}

bool demo_ledger_complete(demo_ledger *ledger, uint32_t id, uint64_t result) {
  if (!close_job(ledger, id, JOB_DONE)) {
    atomic_fetch_add_explicit(&ledger->duplicates, 1, memory_order_relaxed);
    return false;
  }
  atomic_fetch_add_explicit(&ledger->done, 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&ledger->checksum, result, memory_order_relaxed);
  return true;
}

void demo_ledger_reject(demo_ledger *ledger, uint32_t id) {
  if (close_job(ledger, id, JOB_REJECTED))
    atomic_fetch_add_explicit(&ledger->rejected, 1, memory_order_relaxed);
}

uint32_t demo_ledger_strike(demo_ledger *ledger, uint32_t id) {
  if (id >= ledger->capacity)
    return 0;
  uint8_t n = atomic_load_explicit(&ledger->strikes[id], memory_order_relaxed);
  while (n < UINT8_MAX &&
         !atomic_compare_exchange_weak_explicit(&ledger->strikes[id], &n, (uint8_t)(n + 1),
                                                memory_order_relaxed, memory_order_relaxed)) {
  }
  return n < UINT8_MAX ? n + 1u : UINT8_MAX;
}

uint32_t demo_ledger_strikes(const demo_ledger *ledger, uint32_t id) {
  if (id >= ledger->capacity)
    return 0;
  return atomic_load_explicit(&((demo_ledger *)ledger)->strikes[id], memory_order_relaxed);
}

void demo_ledger_count_retry(demo_ledger *ledger) {
  atomic_fetch_add_explicit(&ledger->retried, 1, memory_order_relaxed);
}

bool demo_ledger_open(const demo_ledger *ledger, uint32_t id) {
  return id < ledger->capacity && atomic_load_explicit(&((demo_ledger *)ledger)->state[id],
                                                       memory_order_acquire) == JOB_ISSUED;
}

uint64_t demo_ledger_in_flight(const demo_ledger *ledger) {
  demo_ledger *l = (demo_ledger *)ledger;
  uint64_t issued = atomic_load_explicit(&l->issued, memory_order_relaxed);
  uint64_t closed = atomic_load_explicit(&l->done, memory_order_relaxed) +
                    atomic_load_explicit(&l->rejected, memory_order_relaxed);
  return issued > closed ? issued - closed : 0;
}
