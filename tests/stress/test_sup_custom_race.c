/*
 * Custom children against their supervisor, with real threads and tight time limits, so that
 * the races between a host's thread and the supervisor happen: starts that overrun their
 * start_timeout and then succeed (or fail), objects whose own threads report a failure with
 * art_child_fail while the supervisor stops them, stops that overrun their shutdown timeout and
 * are abandoned while the next object starts, health checks in between, and the dynamic API
 * and whole supervisor stops driven from the test thread meanwhile.
 *
 * Each object starts a thread of its own that keeps the art_child_ctx and may report through
 * it until stop() joins it. Checked throughout: stop runs exactly once per successful start,
 * never for a failed one, always before destroy; destroy exactly once per object; no report
 * through a context after its object's stop returned; nothing leaks (counting allocator; ASan),
 * no data race (TSan). Seeded: --seed N replays the random choices (the timing varies).
 */
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "art.h"
#include "test_support.h"

#include <cmocka.h>

#define KIDS 6
#define ROUNDS 1500

static uint64_t g_seed;
static uint64_t g_pause_us; /* the longest pause of a start, stop or check: 1.5 ms, scaled */
static atomic_uint_least64_t g_next_object;

static struct {
  atomic_int made, started, stopped, destroyed, reports;
  atomic_int errors; /* a broken promise: double stop or destroy, stop of a failed start, ... */
} g;

typedef struct object {
  art_test_rng rng;        /* the host's thread only (start, stop, health, destroy) */
  art_child_ctx *cctx;     /* set by start; the object's thread reads it */
  pthread_t thread;        /* started by a successful start, joined by stop */
  atomic_bool stopping;    /* stop tells the thread to end */
  atomic_bool started;     /* start succeeded */
  atomic_int stops;        /* stop calls */
  art_test_rng thread_rng; /* the object's thread only */
} object;

/* Sleeps a random time below @p max_us microseconds. */
static void pause_below(art_test_rng *rng, uint64_t max_us) {
  struct timespec ts = {0, (long)(art_test_rng_below(rng, max_us) * 1000)};
  nanosleep(&ts, NULL);
}

static void *object_factory(void *arg) {
  (void)arg;
  object *o = calloc(1, sizeof *o);
  if (!o)
    return NULL;
  uint64_t n = atomic_fetch_add(&g_next_object, 1);
  art_test_rng_init(&o->rng, g_seed ^ (n * UINT64_C(0x9e3779b97f4a7c15)));
  art_test_rng_init(&o->thread_rng, art_test_rng_next(&o->rng));
  atomic_fetch_add(&g.made, 1);
  return o;
}

/* The object's own thread: now and then it reports a failure (or the end of its work), then it
 * waits for stop. The context stays valid until stop has joined it. */
static void *object_thread(void *arg) {
  object *o = arg;
  pause_below(&o->thread_rng, 2 * g_pause_us);
  if (!atomic_load(&o->stopping) && art_test_rng_below(&o->thread_rng, 3) == 0) {
    art_exit_reason r = art_test_rng_below(&o->thread_rng, 4) == 0
                            ? art_reason(ART_EXIT_NORMAL)
                            : art_reason_error(ART_EBUSY, "object thread gave up");
    int rc = art_child_fail(o->cctx, &r);
    if (rc != 0 && rc != ART_ESRCH)
      atomic_fetch_add(&g.errors, 1);
    atomic_fetch_add(&g.reports, 1);
  }
  (void)ART_WAIT_UNTIL(atomic_load(&o->stopping), 20000);
  return NULL;
}

static int object_start(void *obj, art_child_ctx *cctx) {
  object *o = obj;
  pause_below(&o->rng, g_pause_us); /* longer than the start timeout: some overrun */
  if (art_test_rng_below(&o->rng, 8) == 0)
    return ART_EBUSY;
  o->cctx = cctx;
  if (pthread_create(&o->thread, NULL, object_thread, o) != 0)
    return ART_ENOMEM;
  atomic_store(&o->started, true);
  atomic_fetch_add(&g.started, 1);
  return 0;
}

static int object_stop(void *obj, art_duration timeout) {
  (void)timeout;
  object *o = obj;
  if (!atomic_load(&o->started) || atomic_fetch_add(&o->stops, 1) != 0)
    atomic_fetch_add(&g.errors, 1);
  pause_below(&o->rng, g_pause_us); /* longer than the shutdown timeout: some are abandoned */
  atomic_store(&o->stopping, true);
  pthread_join(o->thread, NULL);
  atomic_fetch_add(&g.stopped, 1);
  return 0;
}

static art_health_status object_health(void *obj, char *detail, size_t size) {
  object *o = obj;
  pause_below(&o->rng, g_pause_us); /* longer than the check's timeout: some go unanswered */
  snprintf(detail, size, "fine");
  return ART_HEALTH_HEALTHY;
}

static void object_destroy(void *obj) {
  object *o = obj;
  if (atomic_load(&o->started) != (atomic_load(&o->stops) == 1))
    atomic_fetch_add(&g.errors, 1); /* a started object not stopped, or the reverse */
  atomic_fetch_add(&g.destroyed, 1);
  free(o);
}

static const art_child_ops object_ops = {.start = object_start,
                                         .stop = object_stop,
                                         .health_check = object_health,
                                         .destroy = object_destroy};

static const char *const kid_ids[KIDS] = {"k0", "k1", "k2", "k3", "k4", "k5"};

/* The limits (1 ms in release) scale with ART_TEST_TIME_SCALE, as the pauses do. */
static art_duration limit(void) {
  return (art_duration)((double)ART_MSEC(1) * art_test_time_scale());
}

static art_child_spec kid_spec(int i) {
  return (art_child_spec){
      .id = kid_ids[i],
      .restart = i % 3 == 2 ? ART_RESTART_TRANSIENT : ART_RESTART_PERMANENT,
      .shutdown = {.kind = i == 5 ? ART_SHUTDOWN_IMMEDIATE : ART_SHUTDOWN_GRACEFUL,
                   .timeout = limit()},
      .ops = &object_ops,
      .factory = object_factory,
      .start_timeout = limit(),
      .health = {.interval = 2 * limit(), .timeout = limit(), .threshold = 2},
  };
}

/* Starts a supervisor of @p strategy, then its children one by one (a start that fails is
 * tried again: a supervisor's own start would fail whole at the first). */
static art_pid start_sup(art_system *sys, art_sup_strategy strategy) {
  art_sup_spec spec;
  art_sup_spec_init(&spec);
  spec.strategy = strategy;
  spec.intensity = ART_SUP_INTENSITY_MAX;
  spec.period = ART_SEC(1);
  art_pid sup = ART_PID_NONE;
  assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
  for (int i = 0; i < KIDS; i++) {
    art_child_spec kid = kid_spec(i);
    int rc, attempts = 0;
    while ((rc = art_sup_start_child(sys, sup, &kid, NULL)) != 0 && ++attempts < 1000)
      assert_true(rc == ART_EBUSY || rc == ART_ETIMEDOUT || rc == ART_ECANCELED);
    assert_int_equal(rc, 0);
  }
  return sup;
}

static void test_race(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_test_alloc_init(&ta);
  art_system_config cfg;
  art_system_config_init(&cfg);
  cfg.workers = 2;
  cfg.allocator = art_test_alloc_allocator(&ta);
  art_system *sys = NULL;
  assert_int_equal(art_system_create(&sys, &cfg), 0);
  art_test_rng rng;
  art_test_rng_init(&rng, g_seed);
  static const art_sup_strategy strategies[3] = {ART_SUP_ONE_FOR_ONE, ART_SUP_ONE_FOR_ALL,
                                                 ART_SUP_REST_FOR_ONE};
  art_pid sup = start_sup(sys, strategies[0]);
  for (int round = 0; round < ROUNDS; round++) {
    const char *id = kid_ids[art_test_rng_below(&rng, KIDS)];
    art_pid pid;
    int rc;
    switch (art_test_rng_below(&rng, 6)) {
    case 0:
      assert_int_equal(art_sup_terminate_child(sys, sup, id), 0);
      break;
    case 1:
      rc = art_sup_restart_child(sys, sup, id, &pid);
      assert_true(rc == 0 || rc == ART_EBUSY || rc == ART_EAGAIN || rc == ART_ENOMEM ||
                  rc == ART_ETIMEDOUT || rc == ART_ECANCELED);
      break;
    case 2: {
      art_sup_child_info info[KIDS];
      size_t n = 0;
      assert_int_equal(art_sup_which_children(sys, sup, info, KIDS, &n), 0);
      assert_int_equal(n, KIDS);
      break;
    }
    case 3:
      if (art_test_rng_below(&rng, 10) == 0) { /* a whole stop, then another strategy */
        assert_int_equal(art_sup_stop(sys, sup, ART_FOREVER), 0);
        sup = start_sup(sys, strategies[art_test_rng_below(&rng, 3)]);
      }
      break;
    default: {
      struct timespec ts = {0, (long)(g_pause_us * 200)};
      nanosleep(&ts, NULL);
      break;
    }
    }
  }
  assert_int_equal(art_sup_stop(sys, sup, ART_FOREVER), 0);
  art_system_destroy(sys);
  assert_int_equal(art_test_alloc_live(&ta), 0);
  fprintf(stderr, "objects made %d, started %d, reports %d\n", atomic_load(&g.made),
          atomic_load(&g.started), atomic_load(&g.reports));
  assert_int_equal(atomic_load(&g.errors), 0);
  assert_int_equal(atomic_load(&g.started), atomic_load(&g.stopped));
  assert_int_equal(atomic_load(&g.made), atomic_load(&g.destroyed));
}

int main(int argc, char **argv) {
  g_seed = art_test_seed(argc, argv);
  g_pause_us = (uint64_t)(1500 * art_test_time_scale());
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_race)};
  int failed = cmocka_run_group_tests(tests, NULL, NULL);
  if (failed)
    fprintf(stderr, "test_sup_custom_race failed; replay with --seed %" PRIu64 "\n", g_seed);
  return failed;
}
