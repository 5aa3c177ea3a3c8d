/*
 * Shared by the integration tests: every system is created with the counting allocator and torn
 * down with a leak check; waits and timeouts scale with ART_TEST_TIME_SCALE.
 *
 * Include after the cmocka prerequisites; everything here runs on the test thread.
 */
#ifndef ART_INTEGRATION_H
#define ART_INTEGRATION_H

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "art.h"
#include "test_support.h"

#include <cmocka.h>

/* How long a condition may take in a release build before the test fails (scaled by
 * ART_TEST_TIME_SCALE inside ART_WAIT_UNTIL). Generous: a pass never waits this long. */
#define IT_WAIT_MS 10000

/* Values of it_create()'s @p pool: the build's default (off under the sanitizers, so that they
 * see every allocation), or forced. */
enum { IT_POOL_DEFAULT = -1, IT_POOL_OFF = 0, IT_POOL_ON = 1 };

/* Creates a system from @p cfg that allocates through @p ta (initialised here; it replaces
 * cfg->allocator). */
static inline art_system *it_create_cfg(art_test_alloc *ta, art_system_config *cfg) {
  art_test_alloc_init(ta);
  cfg->allocator = art_test_alloc_allocator(ta);
  art_system *sys = NULL;
  assert_int_equal(art_system_create(&sys, cfg), 0);
  assert_non_null(sys);
  return sys;
}

/* Creates a system with @p workers workers, handling at most @p batch messages per activation
 * (0: the default), that allocates through @p ta (initialised here). */
static inline art_system *it_create_batch(art_test_alloc *ta, uint32_t workers, int pool,
                                          uint32_t batch) {
  art_system_config cfg;
  art_system_config_init(&cfg);
  cfg.workers = workers;
  if (pool != IT_POOL_DEFAULT)
    cfg.pool = pool == IT_POOL_ON;
  if (batch)
    cfg.batch = batch;
  return it_create_cfg(ta, &cfg);
}

static inline art_system *it_create(art_test_alloc *ta, uint32_t workers, int pool) {
  return it_create_batch(ta, workers, pool, 0);
}

/* Destroys @p sys and checks that it freed everything it allocated. */
static inline void it_destroy(art_system *sys, art_test_alloc *ta) {
  art_system_destroy(sys);
  assert_int_equal(art_test_alloc_live(ta), 0);
  assert_int_equal(art_test_alloc_live_bytes(ta), 0);
}

/* The counters of @p sys. */
static inline art_system_stats it_stats(art_system *sys) {
  art_system_stats stats;
  assert_int_equal(art_system_stats_get(sys, &stats), 0);
  return stats;
}

/* @p ms milliseconds scaled by ART_TEST_TIME_SCALE, for the library's own timeouts. */
static inline art_duration it_timeout_ms(int64_t ms) {
  return (art_duration)((double)ART_MSEC(ms) * art_test_time_scale());
}

/* Waits until every actor of @p sys has exited. */
static inline void it_wait_all(art_system *sys) {
  assert_int_equal(art_system_wait(sys, it_timeout_ms(IT_WAIT_MS)), 0);
}

/* Waits (bounded, on the actor side) until @p flag is set; false if the bound passed. Lets a
 * test hold an actor inside a handler while it queues work behind it. */
static inline bool it_actor_wait_flag(atomic_bool *flag) {
  return ART_WAIT_UNTIL(atomic_load(flag), IT_WAIT_MS);
}

#endif /* ART_INTEGRATION_H */
