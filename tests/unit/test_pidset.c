/*
 * Unit tests of the pid set (core/pidset.h), an actor's links: add, has, remove and drain
 * against a reference, on small tables (where runs wrap around the end and deletions shift
 * entries back) and large ones; duplicates and ART_PID_NONE; a failed growth leaves the set
 * as it was; nothing leaks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pidset.h"
#include "test_support.h"

#include <cmocka.h>

static uint64_t g_seed;

typedef struct fixture {
  art_test_alloc ta;
  art_allocator user;
  art__allocator alloc;
  art__pid_set set;
} fixture;

static void fixture_init(fixture *f) {
  memset(f, 0, sizeof *f);
  art_test_alloc_init(&f->ta);
  f->user = art_test_alloc_allocator(&f->ta);
  art__allocator_init(&f->alloc, &f->user);
}

static void fixture_fini(fixture *f) {
  art__pid_set_free(&f->alloc, &f->set);
  assert_int_equal(f->set.count, 0);
  assert_int_equal(art_test_alloc_live(&f->ta), 0);
}

/* A pid as the pid table makes them: a slot index and a generation. */
static art_pid make_pid(uint32_t index, uint32_t generation) {
  return ((art_pid)generation << 32) | (index + 1);
}

static void basics(void **state) {
  (void)state;
  fixture f;
  fixture_init(&f);
  art_pid a = make_pid(1, 1), b = make_pid(2, 1), a2 = make_pid(1, 2);
  assert_false(art__pid_set_has(&f.set, a));
  assert_false(art__pid_set_remove(&f.set, a)); /* empty, no table yet */
  assert_false(art__pid_set_has(&f.set, ART_PID_NONE));
  assert_int_equal(art__pid_set_add(&f.alloc, &f.set, a), 0);
  assert_int_equal(art__pid_set_add(&f.alloc, &f.set, a), 0); /* already there */
  assert_int_equal(f.set.count, 1);
  assert_int_equal(art__pid_set_add(&f.alloc, &f.set, b), 0);
  assert_true(art__pid_set_has(&f.set, a));
  assert_true(art__pid_set_has(&f.set, b));
  assert_false(art__pid_set_has(&f.set, a2)); /* same slot, other generation */
  assert_false(art__pid_set_has(&f.set, ART_PID_NONE));
  assert_false(art__pid_set_remove(&f.set, ART_PID_NONE));
  assert_false(art__pid_set_remove(&f.set, a2));
  assert_true(art__pid_set_remove(&f.set, a));
  assert_false(art__pid_set_remove(&f.set, a));
  assert_false(art__pid_set_has(&f.set, a));
  assert_true(art__pid_set_has(&f.set, b));
  assert_int_equal(f.set.count, 1);
  fixture_fini(&f);
}

/* Random adds and removes of pids from a small universe, checked after each step against a
 * reference: every pid of the universe is found exactly when the reference has it. */
static void run_against_reference(uint32_t universe, uint32_t steps, uint64_t seed) {
  fixture f;
  fixture_init(&f);
  art_test_rng rng;
  art_test_rng_init(&rng, seed);
  art_pid *pids = calloc(universe, sizeof *pids);
  bool *in = calloc(universe, sizeof *in);
  assert_non_null(pids);
  assert_non_null(in);
  /* Distinct pids: an odd multiplier permutes the slot indices modulo 2^24, so two
   * indices of the universe never make the same pid (which the reference would count
   * twice). */
  for (uint32_t i = 0; i < universe; i++)
    pids[i] = make_pid((i * 2654435761u) & ((1u << 24) - 1),
                       (uint32_t)art_test_rng_below(&rng, 1000) + 1);
  uint32_t count = 0;
  for (uint32_t step = 0; step < steps; step++) {
    uint32_t k = (uint32_t)art_test_rng_below(&rng, universe);
    /* Lean towards adding while the set is small and removing when it is large, so that the
     * table both grows and empties. */
    bool add = art_test_rng_below(&rng, universe) >= count;
    if (add) {
      assert_int_equal(art__pid_set_add(&f.alloc, &f.set, pids[k]), 0);
      count += !in[k];
      in[k] = true;
    } else {
      assert_int_equal(art__pid_set_remove(&f.set, pids[k]), in[k]);
      count -= in[k];
      in[k] = false;
    }
    assert_int_equal(f.set.count, count);
    assert_true(f.set.cap >= 2 * count);
    if (universe <= 64 || step % 4096 == 0)
      for (uint32_t i = 0; i < universe; i++)
        if (art__pid_set_has(&f.set, pids[i]) != in[i]) {
          fprintf(stderr, "step %u: pid %u %s, seed %llu\n", step, i,
                  in[i] ? "lost" : "found but removed", (unsigned long long)seed);
          fail();
        }
  }
  free(pids);
  free(in);
  fixture_fini(&f);
}

static void small_tables(void **state) {
  (void)state;
  for (uint32_t universe = 2; universe <= 24; universe++)
    run_against_reference(universe, 4000, g_seed + universe);
}

static void large_table(void **state) {
  (void)state;
  run_against_reference(50000, 400000, g_seed);
}

/* Sequential pids (actors spawned one after the other), as a supervisor's children are. */
static void sequential_pids(void **state) {
  (void)state;
  fixture f;
  fixture_init(&f);
  enum { N = 100000 };
  for (uint32_t i = 0; i < N; i++)
    assert_int_equal(art__pid_set_add(&f.alloc, &f.set, make_pid(i, 1)), 0);
  assert_int_equal(f.set.count, N);
  for (uint32_t i = 0; i < N; i += 2)
    assert_true(art__pid_set_remove(&f.set, make_pid(i, 1)));
  for (uint32_t i = 0; i < N; i++)
    assert_int_equal(art__pid_set_has(&f.set, make_pid(i, 1)), i % 2 == 1);
  fixture_fini(&f);
}

static uint32_t g_drained;
static art_pid g_drain_xor;

static void on_drain(void *arg, art_pid pid) {
  assert_ptr_equal(arg, &g_drained);
  g_drained++;
  g_drain_xor ^= pid;
}

static void drain_visits_each_once(void **state) {
  (void)state;
  fixture f;
  fixture_init(&f);
  art__pid_set_drain(&f.set, on_drain, &g_drained); /* empty: nothing */
  assert_int_equal(g_drained, 0);
  art_pid expect_xor = 0;
  for (uint32_t i = 0; i < 1000; i++) {
    assert_int_equal(art__pid_set_add(&f.alloc, &f.set, make_pid(i * 7, 3)), 0);
    expect_xor ^= make_pid(i * 7, 3);
  }
  art__pid_set_drain(&f.set, on_drain, &g_drained);
  assert_int_equal(g_drained, 1000);
  assert_int_equal(g_drain_xor, expect_xor);
  assert_int_equal(f.set.count, 0);
  assert_false(art__pid_set_has(&f.set, make_pid(7, 3)));
  /* the slots stay and can be used again */
  assert_int_equal(art__pid_set_add(&f.alloc, &f.set, make_pid(7, 3)), 0);
  assert_true(art__pid_set_has(&f.set, make_pid(7, 3)));
  fixture_fini(&f);
}

/* A growth that cannot allocate fails with ART_ENOMEM and leaves every member in place. */
static void failed_growth_keeps_the_set(void **state) {
  (void)state;
  fixture f;
  fixture_init(&f);
  art_test_alloc_fail_at(&f.ta, 1); /* the first table */
  assert_int_equal(art__pid_set_add(&f.alloc, &f.set, make_pid(0, 1)), ART_ENOMEM);
  assert_int_equal(f.set.count, 0);
  assert_false(art__pid_set_has(&f.set, make_pid(0, 1)));
  uint32_t n = 0;
  for (; n < 2; n++) /* fills the first table (4 slots) to its load limit */
    assert_int_equal(art__pid_set_add(&f.alloc, &f.set, make_pid(n, 1)), 0);
  uint32_t cap = f.set.cap;
  art_test_alloc_fail_at(&f.ta, 1);
  assert_int_equal(art__pid_set_add(&f.alloc, &f.set, make_pid(n, 1)), ART_ENOMEM);
  assert_int_equal(f.set.cap, cap);
  assert_int_equal(f.set.count, n);
  for (uint32_t i = 0; i < n; i++)
    assert_true(art__pid_set_has(&f.set, make_pid(i, 1)));
  assert_false(art__pid_set_has(&f.set, make_pid(n, 1)));
  /* an add of a member needs no room */
  art_test_alloc_fail_at(&f.ta, 1);
  assert_int_equal(art__pid_set_add(&f.alloc, &f.set, make_pid(0, 1)), 0);
  art_test_alloc_fail_at(&f.ta, 0);
  assert_int_equal(art__pid_set_add(&f.alloc, &f.set, make_pid(n, 1)), 0);
  assert_int_equal(f.set.count, n + 1);
  fixture_fini(&f);
}

int main(int argc, char **argv) {
  g_seed = art_test_seed(argc, argv);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(basics),
      cmocka_unit_test(small_tables),
      cmocka_unit_test(large_table),
      cmocka_unit_test(sequential_pids),
      cmocka_unit_test(drain_visits_each_once),
      cmocka_unit_test(failed_growth_keeps_the_set),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
