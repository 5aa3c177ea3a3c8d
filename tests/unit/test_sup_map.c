/*
 * Unit tests of the supervisor's hash map (src/sup/table.c): put, get and take against a
 * reference over a small universe of keys, on tables kept small (runs wrap around the end and
 * removals shift entries back) and growing ones; seeded (--seed N replays a run).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sup/sup.h"
#include "test_support.h"

#include <cmocka.h>

static uint64_t g_seed;
static art_test_alloc g_ta;

static void run(uint32_t universe, uint32_t steps, bool grow) {
  art_test_alloc_init(&g_ta);
  art_allocator a = art_test_alloc_allocator(&g_ta);
  art_test_rng rng;
  art_test_rng_init(&rng, g_seed ^ universe);
  uint64_t *keys = calloc(universe, sizeof *keys);
  void **ref = calloc(universe, sizeof *ref);
  assert_true(keys && ref);
  for (uint32_t i = 0; i < universe; i++)
    keys[i] = art_test_rng_next(&rng) | 1; /* never 0 */
  sup_map m = {0};
  size_t count = 0;
  if (!grow)
    assert_int_equal(art__sup_map_reserve(&a, &m, universe), 0);
  for (uint32_t step = 0; step < steps; step++) {
    uint32_t k = (uint32_t)art_test_rng_below(&rng, universe);
    switch (art_test_rng_below(&rng, 3)) {
    case 0: { /* put (a new value for a present key too) */
      if (!ref[k])
        assert_int_equal(art__sup_map_reserve(&a, &m, count + 1), 0);
      void *v = (void *)(uintptr_t)(step + 1);
      art__sup_map_put(&m, keys[k], v);
      count += ref[k] == NULL;
      ref[k] = v;
      break;
    }
    case 1:
      if (art__sup_map_take(&m, keys[k]) != ref[k])
        fail_msg("seed %llu step %u: take of %u", (unsigned long long)g_seed, step, k);
      count -= ref[k] != NULL;
      ref[k] = NULL;
      break;
    default:
      if (art__sup_map_get(&m, keys[k]) != ref[k])
        fail_msg("seed %llu step %u: get of %u", (unsigned long long)g_seed, step, k);
    }
    assert_int_equal(m.count, count);
  }
  for (uint32_t i = 0; i < universe; i++)
    assert_ptr_equal(art__sup_map_get(&m, keys[i]), ref[i]);
  assert_null(art__sup_map_get(&m, 0));
  assert_null(art__sup_map_take(&m, 0));
  art__sup_map_free(&a, &m);
  assert_int_equal(art_test_alloc_live(&g_ta), 0);
  free(keys);
  free(ref);
}

static void small_tables(void **state) {
  (void)state;
  for (uint32_t universe = 1; universe <= 24; universe++)
    run(universe, 4000, false);
}

static void growing_table(void **state) {
  (void)state;
  run(20000, 200000, true);
}

static void empty_map(void **state) {
  (void)state;
  sup_map m = {0};
  assert_null(art__sup_map_get(&m, 42));
  assert_null(art__sup_map_take(&m, 42));
  art_allocator a = {0};
  assert_int_equal(art__sup_map_reserve(&a, &m, (size_t)UINT32_MAX), ART_ENOMEM);
  art__sup_map_free(&a, &m);
}

int main(int argc, char **argv) {
  g_seed = art_test_seed(argc, argv);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(small_tables),
      cmocka_unit_test(growing_table),
      cmocka_unit_test(empty_map),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
