/*
 * Unit tests of the pid table (core/pidtable.h): acquire, publish, lookup and release; stale
 * pids after reuse; generations; capacity; the per-thread cache; chunk allocation failure; and
 * that fini frees everything. Actors are mimicked by a struct that holds its pid, which a
 * lookup's caller must compare, as the runtime does.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/pidtable.h"
#include "test_support.h"

#include <cmocka.h>

typedef struct fake_actor {
  art_pid pid;
} fake_actor;

typedef struct fixture {
  art_test_alloc ta;
  art_allocator user;
  art__allocator alloc;
  art__pidtable t;
} fixture;

static void fixture_init(fixture *f, uint32_t capacity) {
  art_test_alloc_init(&f->ta);
  f->user = art_test_alloc_allocator(&f->ta);
  art__allocator_init(&f->alloc, &f->user);
  assert_int_equal(art__pidtable_init(&f->t, &f->alloc, capacity), 0);
}

static void fixture_fini(fixture *f) {
  art__pidtable_fini(&f->t);
  assert_int_equal(art_test_alloc_live(&f->ta), 0);
}

/* The actor @p pid resolves to, checked the way the runtime checks it: NULL if stale. */
static fake_actor *resolve(art__pidtable *t, art_pid pid) {
  fake_actor *a = art__pidtable_lookup(t, pid);
  return a && a->pid == pid ? a : NULL;
}

static void capacity_rounds_to_chunks(void **state) {
  (void)state;
  fixture f;
  fixture_init(&f, 1);
  assert_int_equal(f.t.capacity, ART__PID_CHUNK_SLOTS);
  assert_int_equal(f.t.nchunks, 1);
  fixture_fini(&f);
  fixture_init(&f, ART__PID_CHUNK_SLOTS + 1);
  assert_int_equal(f.t.capacity, 2 * ART__PID_CHUNK_SLOTS);
  assert_int_equal(f.t.nchunks, 2);
  /* Chunks come on first use: only the array of chunk pointers so far. */
  assert_int_equal(art_test_alloc_live(&f.ta), 1);
  fixture_fini(&f);
}

static void acquire_publish_lookup_release(void **state) {
  (void)state;
  fixture f;
  fixture_init(&f, 4096);
  fake_actor a, b;
  assert_int_equal(art__pidtable_acquire(&f.t, NULL, &a.pid), 0);
  assert_int_equal(art__pidtable_acquire(&f.t, NULL, &b.pid), 0);
  assert_int_not_equal(a.pid, ART_PID_NONE);
  assert_int_not_equal(b.pid, ART_PID_NONE);
  assert_int_not_equal(a.pid, b.pid);
  assert_int_not_equal(art__pid_index(a.pid), art__pid_index(b.pid));

  /* Not published yet. */
  assert_null(art__pidtable_lookup(&f.t, a.pid));
  art__pidtable_publish(&f.t, a.pid, &a);
  art__pidtable_publish(&f.t, b.pid, &b);
  assert_ptr_equal(art__pidtable_lookup(&f.t, a.pid), &a);
  assert_ptr_equal(art__pidtable_lookup(&f.t, b.pid), &b);
  assert_ptr_equal(resolve(&f.t, a.pid), &a);

  art__pidtable_release(&f.t, NULL, a.pid);
  assert_null(art__pidtable_lookup(&f.t, a.pid));
  assert_ptr_equal(resolve(&f.t, b.pid), &b);

  /* PID_NONE, out-of-range indices and indices in chunks never allocated resolve to nothing. */
  assert_null(art__pidtable_lookup(&f.t, ART_PID_NONE));
  assert_null(art__pidtable_lookup(&f.t, ((art_pid)1 << 32) | 4097));
  assert_null(art__pidtable_lookup(&f.t, ((art_pid)1 << 32) | 0)); /* index -1 */
  assert_null(art__pidtable_lookup(&f.t, UINT64_MAX));
  fixture_fini(&f);

  fixture_init(&f, 2 * 4096);
  assert_int_equal(art__pidtable_acquire(&f.t, NULL, &a.pid), 0);
  assert_null(art__pidtable_lookup(&f.t, ((art_pid)1 << 32) | 4097)); /* chunk 1 not there */
  fixture_fini(&f);
}

static void stale_pid_after_reuse(void **state) {
  (void)state;
  fixture f;
  fixture_init(&f, 4096);
  fake_actor old_actor, new_actor;
  assert_int_equal(art__pidtable_acquire(&f.t, NULL, &old_actor.pid), 0);
  art__pidtable_publish(&f.t, old_actor.pid, &old_actor);
  art__pidtable_release(&f.t, NULL, old_actor.pid);

  /* The slot is reused (the free list is LIFO) with a new generation. */
  assert_int_equal(art__pidtable_acquire(&f.t, NULL, &new_actor.pid), 0);
  assert_int_equal(art__pid_index(new_actor.pid), art__pid_index(old_actor.pid));
  assert_int_not_equal(art__pid_generation(new_actor.pid), art__pid_generation(old_actor.pid));
  assert_int_not_equal(new_actor.pid, old_actor.pid);
  art__pidtable_publish(&f.t, new_actor.pid, &new_actor);

  /* The old pid reaches the slot, but the actor stored there is not the one it names. */
  fake_actor *found = art__pidtable_lookup(&f.t, old_actor.pid);
  assert_ptr_equal(found, &new_actor);
  assert_int_not_equal(found->pid, old_actor.pid);
  assert_null(resolve(&f.t, old_actor.pid));
  assert_ptr_equal(resolve(&f.t, new_actor.pid), &new_actor);
  art__pidtable_release(&f.t, NULL, new_actor.pid);
  fixture_fini(&f);
}

static void generation_changes_on_every_reuse(void **state) {
  (void)state;
  fixture f;
  fixture_init(&f, 4096);
  enum { ROUNDS = 1000 };
  art_pid pids[ROUNDS];
  for (int i = 0; i < ROUNDS; i++) {
    assert_int_equal(art__pidtable_acquire(&f.t, NULL, &pids[i]), 0);
    assert_int_equal(art__pid_index(pids[i]), 0);
    assert_int_not_equal(pids[i], ART_PID_NONE);
    art__pidtable_release(&f.t, NULL, pids[i]);
  }
  for (int i = 0; i < ROUNDS; i++)
    for (int j = i + 1; j < ROUNDS; j++)
      assert_int_not_equal(pids[i], pids[j]);

  /* The generation wraps past 0: pid 0 is never made, even for slot 0. */
  art__pidtable_slot(&f.t, 0)->generation = UINT32_MAX - 1;
  art_pid pid;
  assert_int_equal(art__pidtable_acquire(&f.t, NULL, &pid), 0);
  assert_int_equal(art__pid_generation(pid), UINT32_MAX);
  art__pidtable_release(&f.t, NULL, pid);
  assert_int_equal(art__pidtable_acquire(&f.t, NULL, &pid), 0);
  assert_int_equal(art__pid_index(pid), 0);
  assert_int_not_equal(art__pid_generation(pid), 0);
  assert_int_not_equal(pid, ART_PID_NONE);
  fixture_fini(&f);
}

static int compare_pid(const void *x, const void *y) {
  art_pid a = *(const art_pid *)x, b = *(const art_pid *)y;
  return a < b ? -1 : a > b;
}

static void capacity_exhausted(void **state) {
  (void)state;
  fixture f;
  fixture_init(&f, 4096);
  static art_pid pids[4096];
  for (uint32_t i = 0; i < 4096; i++) {
    assert_int_equal(art__pidtable_acquire(&f.t, NULL, &pids[i]), 0);
    assert_int_not_equal(pids[i], ART_PID_NONE);
  }
  art_pid extra = 12345;
  assert_int_equal(art__pidtable_acquire(&f.t, NULL, &extra), ART_ENOSPC);
  assert_int_equal(extra, 12345);
  assert_int_equal(art__pidtable_acquire(&f.t, NULL, &extra), ART_ENOSPC);
  /* Every pid distinct, every index used once. */
  qsort(pids, 4096, sizeof pids[0], compare_pid);
  for (uint32_t i = 1; i < 4096; i++)
    assert_int_not_equal(pids[i], pids[i - 1]);
  static uint8_t seen[4096];
  memset(seen, 0, sizeof seen);
  for (uint32_t i = 0; i < 4096; i++) {
    uint32_t idx = art__pid_index(pids[i]);
    assert_true(idx < 4096);
    assert_int_equal(seen[idx], 0);
    seen[idx] = 1;
  }

  /* One released: exactly one more acquire succeeds, in that slot. */
  art__pidtable_release(&f.t, NULL, pids[100]);
  assert_int_equal(art__pidtable_acquire(&f.t, NULL, &extra), 0);
  assert_int_equal(art__pid_index(extra), art__pid_index(pids[100]));
  assert_int_equal(art__pidtable_acquire(&f.t, NULL, &extra), ART_ENOSPC);

  /* With a cache as well: full is full. */
  art__pid_cache cache = {0};
  assert_int_equal(art__pidtable_acquire(&f.t, &cache, &extra), ART_ENOSPC);
  assert_int_equal(cache.count, 0);
  fixture_fini(&f);
}

static void cache_path_and_flush(void **state) {
  (void)state;
  fixture f;
  fixture_init(&f, 4096);
  art__pid_cache cache = {0};
  art_pid first;
  assert_int_equal(art__pidtable_acquire(&f.t, &cache, &first), 0);
  /* One taken, the cache filled half way. */
  assert_int_equal(cache.count, ART__PID_CACHE);
  assert_int_equal(f.t.used, ART__PID_CACHE + 1);

  /* The next ART__PID_CACHE acquires come from the cache: the table does not move. */
  art_pid pids[ART__PID_CACHE];
  for (uint32_t i = 0; i < ART__PID_CACHE; i++) {
    assert_int_equal(art__pidtable_acquire(&f.t, &cache, &pids[i]), 0);
    assert_int_not_equal(pids[i], first);
    assert_int_not_equal(art__pid_generation(pids[i]), 0);
  }
  assert_int_equal(cache.count, 0);
  assert_int_equal(f.t.used, ART__PID_CACHE + 1);
  for (uint32_t i = 0; i < ART__PID_CACHE; i++) {
    fake_actor *a = malloc(sizeof *a);
    assert_non_null(a);
    a->pid = pids[i];
    art__pidtable_publish(&f.t, pids[i], a);
    assert_ptr_equal(resolve(&f.t, pids[i]), a);
  }

  /* Releases go to the cache; they are reused by this cache before anything else. */
  for (uint32_t i = 0; i < ART__PID_CACHE; i++) {
    free(art__pidtable_lookup(&f.t, pids[i]));
    art__pidtable_release(&f.t, &cache, pids[i]);
    assert_null(resolve(&f.t, pids[i]));
  }
  assert_int_equal(cache.count, ART__PID_CACHE);
  assert_int_equal(f.t.free_head, 0); /* nothing reached the shared list */
  art_pid again;
  assert_int_equal(art__pidtable_acquire(&f.t, &cache, &again), 0);
  assert_int_equal(art__pid_index(again), art__pid_index(pids[ART__PID_CACHE - 1]));
  assert_int_not_equal(again, pids[ART__PID_CACHE - 1]);
  art__pidtable_release(&f.t, &cache, again);

  /* Flush: the shared list gets them, and a cacheless acquire takes one of them. */
  art__pidtable_cache_flush(&f.t, &cache);
  assert_int_equal(cache.count, 0);
  assert_int_not_equal(f.t.free_head, 0);
  art_pid other;
  assert_int_equal(art__pidtable_acquire(&f.t, NULL, &other), 0);
  assert_int_equal(f.t.used, ART__PID_CACHE + 1);
  bool from_flush = false;
  for (uint32_t i = 0; i < ART__PID_CACHE; i++)
    from_flush |= art__pid_index(other) == art__pid_index(pids[i]);
  assert_true(from_flush);
  fixture_fini(&f);
}

static void cache_overflow_spills_to_shared_list(void **state) {
  (void)state;
  fixture f;
  fixture_init(&f, 4096);
  enum { N = 3 * ART__PID_CACHE };
  art_pid pids[N];
  for (uint32_t i = 0; i < N; i++)
    assert_int_equal(art__pidtable_acquire(&f.t, NULL, &pids[i]), 0);
  art__pid_cache cache = {0};
  for (uint32_t i = 0; i < N; i++) {
    art__pidtable_release(&f.t, &cache, pids[i]);
    assert_true(cache.count <= 2 * ART__PID_CACHE);
    assert_true(cache.count > 0);
  }
  /* 192 releases: 128 fill the cache, the 129th spills 64 to the shared list. */
  assert_int_equal(cache.count, N - ART__PID_CACHE);
  uint32_t shared = 0;
  for (uint32_t i = f.t.free_head; i; i = art__pidtable_slot(&f.t, i - 1)->next_free)
    shared++;
  assert_int_equal(shared, ART__PID_CACHE);

  /* Nothing lost: all N come back (the cache's, then the shared list's) without growing the
   * table; only the next one takes a fresh slot. */
  uint32_t used = f.t.used;
  for (uint32_t i = 0; i < N; i++) {
    art_pid p;
    assert_int_equal(art__pidtable_acquire(&f.t, i < N - ART__PID_CACHE ? &cache : NULL, &p), 0);
  }
  assert_int_equal(cache.count, 0);
  assert_int_equal(f.t.free_head, 0);
  assert_int_equal(f.t.used, used);
  art_pid fresh;
  assert_int_equal(art__pidtable_acquire(&f.t, NULL, &fresh), 0);
  assert_int_equal(art__pid_index(fresh), used);
  fixture_fini(&f);
}

static void chunk_allocation_failure(void **state) {
  (void)state;
  fixture f;
  fixture_init(&f, 2 * 4096);
  art_pid pid = 777;

  /* The first chunk. */
  art_test_alloc_fail_at(&f.ta, 1);
  assert_int_equal(art__pidtable_acquire(&f.t, NULL, &pid), ART_ENOMEM);
  assert_int_equal(pid, 777);
  assert_int_equal(f.t.used, 0);
  assert_int_equal(art_test_alloc_live(&f.ta), 1);
  assert_int_equal(art__pidtable_acquire(&f.t, NULL, &pid), 0); /* it works again */
  assert_int_equal(art_test_alloc_live(&f.ta), 2);

  /* The second chunk, through a cache: the first take fails, the cache stays empty. */
  for (uint32_t i = 1; i < 4096; i++)
    assert_int_equal(art__pidtable_acquire(&f.t, NULL, &pid), 0);
  art__pid_cache cache = {0};
  art_test_alloc_fail_at(&f.ta, 1);
  assert_int_equal(art__pidtable_acquire(&f.t, &cache, &pid), ART_ENOMEM);
  assert_int_equal(cache.count, 0);
  assert_int_equal(f.t.used, 4096);
  assert_int_equal(art__pidtable_acquire(&f.t, &cache, &pid), 0);
  assert_int_equal(art__pid_index(pid), 4096);
  assert_int_equal(art_test_alloc_live(&f.ta), 3);
  fixture_fini(&f);
}

static void chunk_failure_while_filling_the_cache(void **state) {
  (void)state;
  /* The first take succeeds from chunk 0, the fill needs chunk 1 and fails: the acquire still
   * succeeds with a partly filled cache. */
  fixture f;
  fixture_init(&f, 2 * 4096);
  art_pid pid;
  for (uint32_t i = 0; i < 4096 - 10; i++)
    assert_int_equal(art__pidtable_acquire(&f.t, NULL, &pid), 0);
  art__pid_cache cache = {0};
  art_test_alloc_fail_at(&f.ta, 1);
  assert_int_equal(art__pidtable_acquire(&f.t, &cache, &pid), 0);
  assert_int_equal(cache.count, 9);
  assert_int_equal(atomic_load(&f.ta.failures), 1);
  assert_int_equal(f.t.used, 4096);
  fixture_fini(&f);
}

static void init_failure(void **state) {
  (void)state;
  art_test_alloc ta;
  art_test_alloc_init(&ta);
  art_allocator user = art_test_alloc_allocator(&ta);
  art__allocator alloc;
  art__allocator_init(&alloc, &user);
  art__pidtable t;
  art_test_alloc_fail_at(&ta, 1);
  assert_int_equal(art__pidtable_init(&t, &alloc, 4096), ART_ENOMEM);
  assert_int_equal(art_test_alloc_live(&ta), 0);
}

static void fini_frees_everything(void **state) {
  (void)state;
  fixture f;
  fixture_init(&f, 4 * 4096);
  art__pid_cache cache = {0};
  art_pid pid;
  for (uint32_t i = 0; i < 3 * 4096 + 5; i++)
    assert_int_equal(art__pidtable_acquire(&f.t, i % 2 ? &cache : NULL, &pid), 0);
  assert_int_equal(art_test_alloc_live(&f.ta), 1 + 4); /* array + 4 chunks */
  fixture_fini(&f);
}

/* ---- Threads with caches --------------------------------------------------------------- */

#define PID_THREADS 2
#define PID_ROUNDS 2000
#define PID_HELD 100

typedef struct pid_worker {
  art__pidtable *t;
  art_pid held[PID_HELD];
  fake_actor actors[PID_HELD];
  uint64_t errors; /* read by the test thread after the join */
} pid_worker;

/* Each thread keeps PID_HELD actors published, replacing one per step; it checks that what it
 * holds resolves to its own actor (a pid handed to two threads would not). */
static void *pid_worker_main(void *p) {
  pid_worker *w = p;
  art__pid_cache cache = {0};
  for (uint32_t i = 0; i < PID_HELD; i++) {
    if (art__pidtable_acquire(w->t, &cache, &w->held[i]) != 0) {
      w->errors++;
      return NULL;
    }
    w->actors[i].pid = w->held[i];
    art__pidtable_publish(w->t, w->held[i], &w->actors[i]);
  }
  for (uint32_t round = 0; round < PID_ROUNDS; round++) {
    for (uint32_t i = 0; i < PID_HELD; i++)
      if (resolve(w->t, w->held[i]) != &w->actors[i])
        w->errors++;
    uint32_t k = round % PID_HELD;
    art_pid old = w->held[k];
    art__pidtable_release(w->t, &cache, old);
    if (resolve(w->t, old) != NULL)
      w->errors++;
    if (art__pidtable_acquire(w->t, round % 3 ? &cache : NULL, &w->held[k]) != 0) {
      w->errors++;
      return NULL;
    }
    if (w->held[k] == old)
      w->errors++;
    w->actors[k].pid = w->held[k];
    art__pidtable_publish(w->t, w->held[k], &w->actors[k]);
  }
  for (uint32_t i = 0; i < PID_HELD; i++)
    art__pidtable_release(w->t, &cache, w->held[i]);
  art__pidtable_cache_flush(w->t, &cache);
  return NULL;
}

static void threads_with_caches(void **state) {
  (void)state;
  fixture f;
  fixture_init(&f, 4096);
  pid_worker *workers = calloc(PID_THREADS, sizeof *workers);
  assert_non_null(workers);
  pthread_t threads[PID_THREADS];
  for (int i = 0; i < PID_THREADS; i++) {
    workers[i].t = &f.t;
    assert_int_equal(pthread_create(&threads[i], NULL, pid_worker_main, &workers[i]), 0);
  }
  for (int i = 0; i < PID_THREADS; i++)
    pthread_join(threads[i], NULL);
  for (int i = 0; i < PID_THREADS; i++)
    assert_int_equal(workers[i].errors, 0);
  /* Everything came back: the whole capacity can be acquired. */
  uint32_t n = 0;
  art_pid pid;
  while (art__pidtable_acquire(&f.t, NULL, &pid) == 0)
    n++;
  assert_int_equal(n, 4096);
  free(workers);
  fixture_fini(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(capacity_rounds_to_chunks),
      cmocka_unit_test(acquire_publish_lookup_release),
      cmocka_unit_test(stale_pid_after_reuse),
      cmocka_unit_test(generation_changes_on_every_reuse),
      cmocka_unit_test(capacity_exhausted),
      cmocka_unit_test(cache_path_and_flush),
      cmocka_unit_test(cache_overflow_spills_to_shared_list),
      cmocka_unit_test(chunk_allocation_failure),
      cmocka_unit_test(chunk_failure_while_filling_the_cache),
      cmocka_unit_test(init_failure),
      cmocka_unit_test(fini_frees_everything),
      cmocka_unit_test(threads_with_caches),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
