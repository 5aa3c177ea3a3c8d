/*
 * Unit tests of the block pool (core/pool.h): alignment and distinctness, the per-thread caches
 * and their batch trade through the depot, pooling off, teardown and allocation failure. The
 * counting allocator shows what reaches the allocator and that nothing is left at the end.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/pool.h"
#include "test_support.h"

#include <cmocka.h>

typedef struct fixture {
  art_test_alloc ta;
  art_allocator user;
  art__allocator alloc;
  art__pool pool;
} fixture;

static void fixture_init(fixture *f, size_t block_size, bool enabled) {
  art_test_alloc_init(&f->ta);
  f->user = art_test_alloc_allocator(&f->ta);
  art__allocator_init(&f->alloc, &f->user);
  assert_int_equal(art__pool_init(&f->pool, &f->alloc, block_size, enabled), 0);
}

static int compare_ptr(const void *x, const void *y) {
  uintptr_t a = (uintptr_t) * (void *const *)x, b = (uintptr_t) * (void *const *)y;
  return a < b ? -1 : a > b;
}

/* Asserts that the @p n blocks are line-aligned and do not overlap (sorts @p blocks). */
static void assert_aligned_and_disjoint(void **blocks, size_t n, size_t block_size) {
  for (size_t i = 0; i < n; i++) {
    assert_non_null(blocks[i]);
    assert_int_equal((uintptr_t)blocks[i] % ART__CACHE_LINE, 0);
  }
  qsort(blocks, n, sizeof *blocks, compare_ptr);
  for (size_t i = 1; i < n; i++)
    assert_true((uintptr_t)blocks[i] - (uintptr_t)blocks[i - 1] >= block_size);
}

static bool contains(void *const *blocks, size_t n, const void *b) {
  for (size_t i = 0; i < n; i++)
    if (blocks[i] == b)
      return true;
  return false;
}

static void block_size_is_rounded_to_a_line(void **state) {
  (void)state;
  fixture f;
  fixture_init(&f, 1, true);
  assert_int_equal(f.pool.block_size, 64);
  art__pool_fini(&f.pool);
  fixture_init(&f, 64, true);
  assert_int_equal(f.pool.block_size, 64);
  art__pool_fini(&f.pool);
  fixture_init(&f, 65, false);
  assert_int_equal(f.pool.block_size, 128);
  art__pool_fini(&f.pool);
  fixture_init(&f, 192, true);
  assert_int_equal(f.pool.block_size, 192);
  art__pool_fini(&f.pool);
  assert_int_equal(art_test_alloc_live(&f.ta), 0);
}

#define N_CACHE 1000

static void alloc_free_with_cache(void **state) {
  (void)state;
  fixture f;
  fixture_init(&f, 100, true); /* 128-byte blocks */
  art__pool_cache c = {0};
  static void *blocks[N_CACHE], *again[N_CACHE];
  for (size_t i = 0; i < N_CACHE; i++) {
    blocks[i] = art__pool_alloc(&f.pool, &c);
    assert_non_null(blocks[i]);
    memset(blocks[i], 0xab, f.pool.block_size); /* the whole block is ours */
  }
  size_t slabs = art_test_alloc_live(&f.ta);
  assert_true(slabs >= 2); /* 1000 blocks of 128 bytes do not fit one 64 KiB slab */
  assert_true(slabs <= 3);
  assert_true(c.count < ART__POOL_BATCH);
  memcpy(again, blocks, sizeof blocks);
  assert_aligned_and_disjoint(again, N_CACHE, 128);
  /* What the last refill left in the cache: handed out before any block is reused. */
  void *spare[ART__POOL_BATCH];
  size_t nspare = 0;
  for (art__node *n = c.free; n; n = atomic_load(&n->next))
    spare[nspare++] = n;
  assert_int_equal(nspare, c.count);

  for (size_t i = 0; i < N_CACHE; i++)
    art__pool_free(&f.pool, &c, blocks[i]);
  /* The cache keeps fewer than two batches; the rest went to the depot. */
  assert_true(c.count < 2 * ART__POOL_BATCH);
  assert_non_null(f.pool.batches);

  /* Allocating again reuses the freed blocks: no new slab. */
  for (size_t i = 0; i < N_CACHE; i++) {
    again[i] = art__pool_alloc(&f.pool, &c);
    assert_true(contains(blocks, N_CACHE, again[i]) || contains(spare, nspare, again[i]));
  }
  assert_int_equal(art_test_alloc_live(&f.ta), slabs);
  assert_aligned_and_disjoint(again, N_CACHE, 128);

  for (size_t i = 0; i < N_CACHE; i++)
    art__pool_free(&f.pool, &c, again[i]);
  art__pool_cache_flush(&f.pool, &c);
  assert_int_equal(c.count, 0);
  assert_null(c.free);
  art__pool_fini(&f.pool);
  assert_int_equal(art_test_alloc_live(&f.ta), 0);
}

static void alloc_free_without_cache(void **state) {
  (void)state;
  fixture f;
  fixture_init(&f, 64, true);
  void *blocks[300];
  for (size_t i = 0; i < 300; i++) {
    blocks[i] = art__pool_alloc(&f.pool, NULL);
    assert_non_null(blocks[i]);
    memset(blocks[i], 0x5a, 64);
  }
  assert_int_equal(art_test_alloc_live(&f.ta), 1); /* 300 blocks: one slab */
  void *copy[300];
  memcpy(copy, blocks, sizeof blocks);
  assert_aligned_and_disjoint(copy, 300, 64);

  /* A block freed without a cache is the next one handed out (to a cache or not). */
  art__pool_free(&f.pool, NULL, blocks[7]);
  assert_ptr_equal(art__pool_alloc(&f.pool, NULL), blocks[7]);
  art__pool_free(&f.pool, NULL, blocks[9]);
  art__pool_cache c = {0};
  assert_ptr_equal(art__pool_alloc(&f.pool, &c), blocks[9]);
  assert_int_equal(c.count, 0);

  for (size_t i = 0; i < 300; i++)
    art__pool_free(&f.pool, NULL, blocks[i]);
  for (size_t i = 0; i < 300; i++)
    assert_true(contains(blocks, 300, art__pool_alloc(&f.pool, NULL)));
  assert_int_equal(art_test_alloc_live(&f.ta), 1);
  art__pool_fini(&f.pool);
  assert_int_equal(art_test_alloc_live(&f.ta), 0);
}

#define N_HANDOFF 10000

/* One cache allocates, another frees: whole batches travel through the depot and the first
 * cache goes on allocating the returned blocks instead of new slabs. */
static void batch_handoff_between_caches(void **state) {
  (void)state;
  fixture f;
  fixture_init(&f, 64, true);
  art__pool_cache a = {0}, b = {0};
  void **blocks = malloc(N_HANDOFF * sizeof *blocks);
  void **sorted = malloc(N_HANDOFF * sizeof *sorted);
  assert_non_null(blocks);
  assert_non_null(sorted);

  for (size_t i = 0; i < N_HANDOFF; i++)
    blocks[i] = art__pool_alloc(&f.pool, &a);
  memcpy(sorted, blocks, N_HANDOFF * sizeof *blocks);
  assert_aligned_and_disjoint(sorted, N_HANDOFF, 64);
  size_t slabs = art_test_alloc_live(&f.ta);
  assert_true(slabs >= 10 && slabs <= 11); /* about 1023 blocks per slab */

  for (size_t i = 0; i < N_HANDOFF; i++)
    art__pool_free(&f.pool, &b, blocks[i]);
  assert_true(b.count < 2 * ART__POOL_BATCH);
  size_t in_depot = 0;
  for (art__node *n = f.pool.batches; n; n = *(art__node **)(void *)(n + 1))
    in_depot += ART__POOL_BATCH;
  assert_int_equal(in_depot + b.count, N_HANDOFF);

  /* Allocation goes on from a: the depot's batches first, then at most one new slab. */
  for (size_t i = 0; i < N_HANDOFF; i++) {
    sorted[i] = art__pool_alloc(&f.pool, &a);
    assert_non_null(sorted[i]);
  }
  assert_true(art_test_alloc_live(&f.ta) <= slabs + 1);
  qsort(blocks, N_HANDOFF, sizeof *blocks, compare_ptr);
  size_t reused = 0;
  for (size_t i = 0; i < N_HANDOFF; i++)
    reused += bsearch(&sorted[i], blocks, N_HANDOFF, sizeof *blocks, compare_ptr) ? 1 : 0;
  assert_true(reused >= in_depot);
  assert_null(f.pool.batches);
  /* Everything a has, plus what b kept, is disjoint. */
  void **all = malloc((N_HANDOFF + 2 * ART__POOL_BATCH) * sizeof *all);
  assert_non_null(all);
  memcpy(all, sorted, N_HANDOFF * sizeof *all);
  size_t n_all = N_HANDOFF;
  for (art__node *n = b.free; n; n = atomic_load(&n->next))
    all[n_all++] = n;
  assert_aligned_and_disjoint(all, n_all, 64);

  art__pool_cache_flush(&f.pool, &a);
  art__pool_cache_flush(&f.pool, &b);
  art__pool_fini(&f.pool);
  assert_int_equal(art_test_alloc_live(&f.ta), 0);
  free(all);
  free(sorted);
  free(blocks);
}

static void pooling_off_uses_the_allocator(void **state) {
  (void)state;
  fixture f;
  fixture_init(&f, 100, false);
  art__pool_cache c = {0};
  void *blocks[50];
  for (size_t i = 0; i < 50; i++) {
    blocks[i] = art__pool_alloc(&f.pool, i % 2 ? &c : NULL);
    assert_non_null(blocks[i]);
    assert_int_equal((uintptr_t)blocks[i] % ART__CACHE_LINE, 0);
    assert_int_equal(art_test_alloc_live(&f.ta), i + 1);
    memset(blocks[i], 0x11, 128);
  }
  assert_int_equal(atomic_load(&f.ta.total), 50);
  for (size_t i = 0; i < 50; i++) {
    art__pool_free(&f.pool, i % 3 ? &c : NULL, blocks[i]);
    assert_int_equal(art_test_alloc_live(&f.ta), 50 - i - 1);
  }
  assert_int_equal(c.count, 0); /* the cache is never used */
  assert_null(c.free);
  art__pool_cache_flush(&f.pool, &c);
  art__pool_fini(&f.pool);
  assert_int_equal(art_test_alloc_live(&f.ta), 0);
}

static void fini_frees_everything(void **state) {
  (void)state;
  fixture f;
  fixture_init(&f, 64, true);
  art__pool_cache a = {0}, b = {0};
  void *kept[3000];
  for (size_t i = 0; i < 3000; i++)
    kept[i] = art__pool_alloc(&f.pool, i % 3 == 0 ? NULL : i % 3 == 1 ? &a : &b);
  /* Some freed back in every way, the rest abandoned. */
  for (size_t i = 0; i < 3000; i += 2)
    art__pool_free(&f.pool, i % 4 == 0 ? NULL : &b, kept[i]);
  assert_true(art_test_alloc_live(&f.ta) >= 3);
  art__pool_fini(&f.pool);
  assert_int_equal(art_test_alloc_live(&f.ta), 0);
}

static void allocator_failure_returns_null(void **state) {
  (void)state;
  fixture f;
  art__pool_cache c = {0};

  /* Pooling on, no cache. */
  fixture_init(&f, 64, true);
  art_test_alloc_fail_at(&f.ta, 1);
  assert_null(art__pool_alloc(&f.pool, NULL));
  void *b = art__pool_alloc(&f.pool, NULL);
  assert_non_null(b);
  art__pool_free(&f.pool, NULL, b);
  art__pool_fini(&f.pool);
  assert_int_equal(atomic_load(&f.ta.failures), 1);
  assert_int_equal(art_test_alloc_live(&f.ta), 0);

  /* Pooling on, with a cache: the cache is left empty. */
  fixture_init(&f, 64, true);
  art_test_alloc_fail_at(&f.ta, 1);
  assert_null(art__pool_alloc(&f.pool, &c));
  assert_int_equal(c.count, 0);
  assert_null(c.free);
  b = art__pool_alloc(&f.pool, &c);
  assert_non_null(b);
  assert_int_equal(c.count, ART__POOL_BATCH - 1);
  art__pool_free(&f.pool, &c, b);
  art__pool_cache_flush(&f.pool, &c);
  art__pool_fini(&f.pool);
  assert_int_equal(art_test_alloc_live(&f.ta), 0);

  /* Pooling off. */
  fixture_init(&f, 64, false);
  art_test_alloc_fail_at(&f.ta, 1);
  assert_null(art__pool_alloc(&f.pool, &c));
  assert_int_equal(art_test_alloc_live(&f.ta), 0);
  b = art__pool_alloc(&f.pool, NULL);
  assert_non_null(b);
  art__pool_free(&f.pool, NULL, b);
  art__pool_fini(&f.pool);
  assert_int_equal(art_test_alloc_live(&f.ta), 0);
}

/* A cache refill that finds the slab almost used up and then cannot get a new slab hands out
 * the blocks it did carve. */
static void partial_refill_when_a_slab_fails(void **state) {
  (void)state;
  fixture f;
  fixture_init(&f, 64, true);
  art__pool_cache c = {0};
  void **blocks = malloc(4000 * sizeof *blocks);
  assert_non_null(blocks);
  size_t n = 0, left = 0;
  bool armed = false;
  while (n < 4000) {
    if (!armed && c.count == 0 && f.pool.carve != NULL) {
      left = (size_t)(f.pool.carve_end - f.pool.carve) / f.pool.block_size;
      if (left > 0 && left < ART__POOL_BATCH) {
        art_test_alloc_fail_at(&f.ta, 1); /* the next slab */
        armed = true;
        blocks[n] = art__pool_alloc(&f.pool, &c);
        assert_non_null(blocks[n]);
        assert_int_equal(atomic_load(&f.ta.failures), 1);
        assert_int_equal(c.count, left - 1);
        n++;
        continue;
      }
    }
    blocks[n] = art__pool_alloc(&f.pool, &c);
    assert_non_null(blocks[n]);
    n++;
  }
  assert_true(armed);
  assert_aligned_and_disjoint(blocks, n, 64);
  for (size_t i = 0; i < n; i++)
    art__pool_free(&f.pool, &c, blocks[i]);
  art__pool_cache_flush(&f.pool, &c);
  art__pool_fini(&f.pool);
  assert_int_equal(art_test_alloc_live(&f.ta), 0);
  free(blocks);
}

/* ---- Two threads trading blocks -------------------------------------------------------- */

#define CROSS_ROUNDS 20
#define CROSS_BLOCKS 3000

typedef struct cross {
  art__pool *pool;
  art_test_alloc *ta;
  pthread_barrier_t barrier;
  void *blocks[2][CROSS_BLOCKS];
  /* Written by each thread for itself, read by the test thread after the join. */
  uint64_t alloc_failures[2];
  uint64_t clobbered[2];
  size_t live_after_first_round;
  size_t live_max;
} cross;

typedef struct cross_arg {
  cross *x;
  uint32_t id;
} cross_arg;

static void *cross_main(void *p) {
  cross_arg *arg = p;
  cross *x = arg->x;
  uint32_t me = arg->id, other = 1 - arg->id;
  art__pool_cache c = {0};
  for (uint32_t round = 0; round < CROSS_ROUNDS; round++) {
    for (uint32_t i = 0; i < CROSS_BLOCKS; i++) {
      uint64_t *b = art__pool_alloc(x->pool, &c);
      x->blocks[me][i] = b;
      if (!b) {
        x->alloc_failures[me]++;
        continue;
      }
      for (size_t w = 0; w < 8; w++)
        b[w] = ((uint64_t)me << 32) | i;
    }
    pthread_barrier_wait(&x->barrier);
    /* Both have written: a block handed to both shows the other's tag. */
    for (uint32_t i = 0; i < CROSS_BLOCKS; i++) {
      uint64_t *b = x->blocks[me][i];
      if (b && b[7] != (((uint64_t)me << 32) | i))
        x->clobbered[me]++;
    }
    if (me == 0) {
      size_t live = art_test_alloc_live(x->ta);
      if (round == 0)
        x->live_after_first_round = live;
      if (live > x->live_max)
        x->live_max = live;
    }
    pthread_barrier_wait(&x->barrier);
    /* Free the other thread's blocks into this thread's cache. */
    for (uint32_t i = 0; i < CROSS_BLOCKS; i++)
      if (x->blocks[other][i])
        art__pool_free(x->pool, &c, x->blocks[other][i]);
    pthread_barrier_wait(&x->barrier);
  }
  art__pool_cache_flush(x->pool, &c);
  return NULL;
}

static void two_threads_trade_blocks(void **state) {
  (void)state;
  fixture f;
  fixture_init(&f, 64, true);
  cross *x = calloc(1, sizeof *x);
  assert_non_null(x);
  x->pool = &f.pool;
  x->ta = &f.ta;
  assert_int_equal(pthread_barrier_init(&x->barrier, NULL, 2), 0);
  pthread_t threads[2];
  cross_arg args[2] = {{x, 0}, {x, 1}};
  for (int i = 0; i < 2; i++)
    assert_int_equal(pthread_create(&threads[i], NULL, cross_main, &args[i]), 0);
  for (int i = 0; i < 2; i++)
    pthread_join(threads[i], NULL);
  pthread_barrier_destroy(&x->barrier);

  for (int i = 0; i < 2; i++) {
    assert_int_equal(x->alloc_failures[i], 0);
    assert_int_equal(x->clobbered[i], 0);
  }
  /* Blocks are reused round after round: the slabs stop growing after the first rounds. */
  assert_true(x->live_after_first_round >= 5);
  assert_true(x->live_max <= x->live_after_first_round + 2);
  art__pool_fini(&f.pool);
  assert_int_equal(art_test_alloc_live(&f.ta), 0);
  free(x);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(block_size_is_rounded_to_a_line),
      cmocka_unit_test(alloc_free_with_cache),
      cmocka_unit_test(alloc_free_without_cache),
      cmocka_unit_test(batch_handoff_between_caches),
      cmocka_unit_test(pooling_off_uses_the_allocator),
      cmocka_unit_test(fini_frees_everything),
      cmocka_unit_test(allocator_failure_returns_null),
      cmocka_unit_test(partial_refill_when_a_slab_fails),
      cmocka_unit_test(two_threads_trade_blocks),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
