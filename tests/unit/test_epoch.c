/*
 * Unit tests of epoch-based reclamation (core/epoch.h): what blocks a retired item and what
 * lets it go (external readers, worker records online, quiescent, offline), retire lists and
 * splicing, and a concurrent run in which readers never see a reclaimed object. The concurrent
 * test is most useful under ASan (a premature free is a use after free) and TSan (it is a
 * race between the poisoning write and the reader).
 */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/epoch.h"
#include "test_support.h"

#include <cmocka.h>

#define LIVE UINT64_C(0x11fe11fe11fe11fe)
#define DEAD UINT64_C(0xdeaddeaddeaddead)

typedef struct object {
  art__retired retired;
  uint64_t magic;
  uint64_t value;
} object;

/* Records what was freed, in order. */
typedef struct free_log {
  object *freed[64];
  uint32_t count;
} free_log;

static void log_free(art__retired *item, void *arg) {
  free_log *log = arg;
  object *o = ART__CONTAINER_OF(item, object, retired);
  assert_true(log->count < 64);
  assert_int_equal(o->magic, LIVE); /* freed once */
  o->magic = DEAD;
  log->freed[log->count++] = o;
}

typedef struct fixture {
  art__epoch *e;
  art__epoch_rec *workers;
  art__retire_list list;
  free_log log;
  object objects[8];
} fixture;

static fixture *fixture_new(uint32_t nworkers) {
  fixture *f = calloc(1, sizeof *f);
  assert_non_null(f);
  f->e = aligned_alloc(ART__CACHE_LINE, sizeof *f->e);
  assert_non_null(f->e);
  f->workers = nworkers ? aligned_alloc(ART__CACHE_LINE, nworkers * sizeof *f->workers) : NULL;
  art__epoch_init(f->e, f->workers, nworkers);
  art__retire_list_init(&f->list);
  for (int i = 0; i < 8; i++) {
    f->objects[i].magic = LIVE;
    f->objects[i].value = (uint64_t)i;
  }
  return f;
}

static void fixture_free(fixture *f) {
  free(f->workers);
  free(f->e);
  free(f);
}

static uint32_t reclaim(fixture *f) {
  return art__epoch_reclaim(f->e, &f->list, log_free, &f->log);
}

static void retire(fixture *f, int i) {
  art__epoch_retire(f->e, &f->list, &f->objects[i].retired);
}

static void reclaim_without_readers_frees(void **state) {
  (void)state;
  fixture *f = fixture_new(2);
  assert_int_equal(atomic_load(&f->e->global), 1);
  /* An empty list reclaims nothing and leaves the epoch alone. */
  assert_int_equal(reclaim(f), 0);
  assert_int_equal(atomic_load(&f->e->global), 1);

  for (int i = 0; i < 3; i++)
    retire(f, i);
  assert_int_equal(f->list.count, 3);
  assert_int_equal(f->objects[0].retired.epoch, 1);
  assert_int_equal(reclaim(f), 3);
  assert_int_equal(f->log.count, 3);
  for (int i = 0; i < 3; i++)
    assert_ptr_equal(f->log.freed[i], &f->objects[i]); /* in retire order */
  assert_int_equal(f->list.count, 0);
  assert_null(f->list.head);
  assert_ptr_equal(f->list.tailp, &f->list.head);
  assert_true(atomic_load(&f->e->global) > 1);

  /* The list works again after being emptied. */
  retire(f, 3);
  assert_true(f->objects[3].retired.epoch > 1);
  assert_int_equal(reclaim(f), 1);
  assert_ptr_equal(f->log.freed[3], &f->objects[3]);
  assert_int_equal(reclaim(f), 0);
  fixture_free(f);
}

static void external_reader_blocks_until_it_leaves(void **state) {
  (void)state;
  fixture *f = fixture_new(0);
  art__epoch_rec *r0 = art__epoch_enter(f->e);
  assert_non_null(r0);
  assert_int_not_equal(atomic_load(&r0->active), 0);
  retire(f, 0);
  for (int k = 0; k < 3; k++)
    assert_int_equal(reclaim(f), 0); /* however often it is tried */
  assert_int_equal(f->objects[0].magic, LIVE);

  /* A reader that enters after the epoch moved on does not hold the old item. */
  art__epoch_rec *r1 = art__epoch_enter(f->e);
  assert_ptr_not_equal(r1, r0);
  assert_true(atomic_load(&r1->active) > atomic_load(&r0->active));
  art__epoch_leave(r0);
  assert_int_equal(atomic_load(&r0->active), 0);
  assert_int_equal(reclaim(f), 1);
  assert_int_equal(f->objects[0].magic, DEAD);

  /* But it does hold what is retired while it is inside. */
  retire(f, 1);
  assert_int_equal(reclaim(f), 0);
  assert_int_equal(reclaim(f), 0);
  art__epoch_leave(r1);
  assert_int_equal(reclaim(f), 1);
  assert_int_equal(f->objects[1].magic, DEAD);
  fixture_free(f);
}

static void reader_holds_items_of_its_own_epoch(void **state) {
  (void)state;
  fixture *f = fixture_new(0);
  retire(f, 0);
  retire(f, 1);
  assert_int_equal(reclaim(f), 2); /* advances the epoch */
  /* Retired in the epoch the reader then announces: the reader does not announce a later
   * epoch, so the item must wait for it. */
  retire(f, 2);
  art__epoch_rec *r = art__epoch_enter(f->e);
  assert_int_equal(atomic_load(&r->active), f->objects[2].retired.epoch);
  assert_int_equal(reclaim(f), 0);
  retire(f, 3); /* retired while r is inside: newer than r */
  assert_int_equal(reclaim(f), 0);
  art__epoch_leave(r);
  assert_int_equal(reclaim(f), 2);
  assert_ptr_equal(f->log.freed[2], &f->objects[2]);
  assert_ptr_equal(f->log.freed[3], &f->objects[3]);
  fixture_free(f);
}

static void worker_records(void **state) {
  (void)state;
  fixture *f = fixture_new(3);
  art__epoch_rec *w0 = &f->workers[0], *w1 = &f->workers[1];
  for (int i = 0; i < 3; i++)
    assert_int_equal(atomic_load(&f->workers[i].active), 0);

  /* Online with the current epoch: blocks what is retired now. */
  art__epoch_online(w0, f->e);
  assert_int_equal(atomic_load(&w0->active), atomic_load(&f->e->global));
  retire(f, 0);
  assert_int_equal(reclaim(f), 0);
  assert_int_equal(reclaim(f), 0);

  /* Quiescent: announces the new epoch and lets it go. */
  art__epoch_quiescent(w0, f->e);
  assert_int_equal(atomic_load(&w0->active), atomic_load(&f->e->global));
  assert_int_equal(reclaim(f), 1);
  assert_int_equal(f->objects[0].magic, DEAD);

  /* A second worker online at an old epoch holds items even when the first moves on. */
  art__epoch_online(w1, f->e);
  retire(f, 1);
  assert_int_equal(reclaim(f), 0);
  art__epoch_quiescent(w0, f->e);
  assert_int_equal(reclaim(f), 0);
  /* Offline: lets it go. */
  art__epoch_offline(w1);
  assert_int_equal(atomic_load(&w1->active), 0);
  art__epoch_quiescent(w0, f->e);
  assert_int_equal(reclaim(f), 1);
  assert_int_equal(f->objects[1].magic, DEAD);

  /* Offline workers and external readers together. */
  art__epoch_offline(w0);
  art__epoch_rec *r = art__epoch_enter(f->e);
  retire(f, 2);
  assert_int_equal(reclaim(f), 0);
  art__epoch_leave(r);
  assert_int_equal(reclaim(f), 1);
  fixture_free(f);
}

static void enter_uses_distinct_records(void **state) {
  (void)state;
  fixture *f = fixture_new(0);
  art__epoch_rec *recs[ART__EPOCH_EXT_RECORDS];
  for (int i = 0; i < ART__EPOCH_EXT_RECORDS; i++) {
    recs[i] = art__epoch_enter(f->e);
    assert_true(recs[i] >= &f->e->ext[0] && recs[i] < &f->e->ext[ART__EPOCH_EXT_RECORDS]);
    for (int j = 0; j < i; j++)
      assert_ptr_not_equal(recs[i], recs[j]);
  }
  retire(f, 0);
  assert_int_equal(reclaim(f), 0);
  /* Every record blocks on its own: the item goes only after the last one leaves. */
  for (int i = 0; i < ART__EPOCH_EXT_RECORDS; i++) {
    assert_int_equal(reclaim(f), 0);
    art__epoch_leave(recs[i]);
  }
  assert_int_equal(reclaim(f), 1);
  fixture_free(f);
}

static void splice(void **state) {
  (void)state;
  fixture *f = fixture_new(0);
  art__retire_list other;
  art__retire_list_init(&other);
  assert_null(other.head);
  assert_int_equal(other.count, 0);

  /* Splicing an empty list changes nothing. */
  retire(f, 0);
  art__retire_list_splice(&f->list, &other);
  assert_int_equal(f->list.count, 1);
  assert_ptr_equal(f->list.tailp, &f->objects[0].retired.next);

  /* Into an empty list. */
  art__retire_list empty;
  art__retire_list_init(&empty);
  art__epoch_retire(f->e, &other, &f->objects[1].retired);
  art__retire_list_splice(&empty, &other);
  assert_int_equal(empty.count, 1);
  assert_ptr_equal(empty.head, &f->objects[1].retired);
  assert_null(other.head);
  assert_int_equal(other.count, 0);
  assert_ptr_equal(other.tailp, &other.head);

  /* Both non-empty: appended in order, and the source is reset and reusable. */
  art__retire_list_splice(&f->list, &empty);
  for (int i = 2; i < 5; i++)
    art__epoch_retire(f->e, &other, &f->objects[i].retired);
  art__retire_list_splice(&f->list, &other);
  assert_int_equal(f->list.count, 5);
  assert_int_equal(other.count, 0);
  assert_null(other.head);
  art__epoch_retire(f->e, &other, &f->objects[5].retired);
  assert_int_equal(other.count, 1);
  assert_ptr_equal(other.head, &f->objects[5].retired);
  art__retire_list_splice(&f->list, &other);
  retire(f, 6); /* the tail pointer followed the splice */
  assert_int_equal(f->list.count, 7);

  assert_int_equal(reclaim(f), 7);
  for (int i = 0; i < 7; i++)
    assert_ptr_equal(f->log.freed[i], &f->objects[i]);
  assert_int_equal(f->list.count, 0);
  fixture_free(f);
}

/* ---- Readers against a writer that swaps and retires ------------------------------------ */

#define READERS 3
#define SWAPS 20000u

typedef struct race_object {
  art__retired retired;
  uint64_t magic;
  uint64_t value;
  uint64_t pad[4];
} race_object;

typedef struct race {
  art__epoch *e;
  art__epoch_rec *workers; /* reader 0 uses a worker record, the others enter */
  _Atomic(race_object *) current;
  art_allocator alloc;
  _Atomic bool writer_done;
  _Atomic uint32_t readers_started;
  /* Each written by one thread, read by the test thread after the joins. */
  uint64_t reads[READERS];
  uint64_t poisoned[READERS];
  uint64_t went_back[READERS];
  uint64_t freed_while_running;
} race;

typedef struct reader_arg {
  race *r;
  uint32_t id;
} reader_arg;

static void race_free(art__retired *item, void *arg) {
  race *r = arg;
  race_object *o = ART__CONTAINER_OF(item, race_object, retired);
  o->magic = DEAD; /* a reader that still sees it after this is a bug */
  o->value = UINT64_MAX;
  r->alloc.free(r->alloc.ctx, o);
}

/* Reads the current object; returns false if it was poisoned. */
static bool read_current(race *r, uint32_t id, uint64_t *last_value, uint32_t step) {
  race_object *o = atomic_load(&r->current);
  uint64_t v = o->value;
  if (step % 64 == 0)
    sched_yield(); /* hold it for a while, so the writer moves on meanwhile */
  bool ok = o->magic == LIVE && o->value == v;
  if (v < *last_value)
    r->went_back[id]++; /* the writer only publishes newer objects */
  *last_value = v;
  r->reads[id]++;
  return ok;
}

static void *reader_main(void *p) {
  reader_arg *arg = p;
  race *r = arg->r;
  uint64_t last_value = 0;
  atomic_fetch_add(&r->readers_started, 1);
  if (arg->id == 0) {
    /* As a worker: online, quiescent between "activations", offline now and then. */
    art__epoch_rec *w = &r->workers[0];
    art__epoch_online(w, r->e);
    for (uint32_t step = 0; !atomic_load(&r->writer_done); step++) {
      if (!read_current(r, 0, &last_value, step))
        r->poisoned[0]++;
      if (step % 4 == 0)
        art__epoch_quiescent(w, r->e);
      if (step % 256 == 0) {
        art__epoch_offline(w);
        sched_yield();
        art__epoch_online(w, r->e);
      }
    }
    art__epoch_offline(w);
    return NULL;
  }
  for (uint32_t step = 0; !atomic_load(&r->writer_done); step++) {
    art__epoch_rec *rec = art__epoch_enter(r->e);
    if (!read_current(r, arg->id, &last_value, step))
      r->poisoned[arg->id]++;
    art__epoch_leave(rec);
  }
  return NULL;
}

static race_object *new_object(race *r, uint64_t value) {
  race_object *o = r->alloc.alloc(r->alloc.ctx, sizeof *o);
  if (o) {
    o->magic = LIVE;
    o->value = value;
  }
  return o;
}

static void *writer_main(void *p) {
  race *r = p;
  art__retire_list list;
  art__retire_list_init(&list);
  while (atomic_load(&r->readers_started) < READERS)
    sched_yield();
  for (uint64_t i = 1; i <= SWAPS; i++) {
    race_object *o = new_object(r, i);
    if (!o)
      break;
    /* The exchange is the unpublish of the old object (seq_cst, as the pid table's). */
    race_object *old = atomic_exchange(&r->current, o);
    art__epoch_retire(r->e, &list, &old->retired);
    if (i % 8 == 0)
      r->freed_while_running += art__epoch_reclaim(r->e, &list, race_free, r);
    if (i % 512 == 0)
      sched_yield();
  }
  atomic_store(&r->writer_done, true);
  /* Readers finish on their own; reclaim until they have let everything go. */
  art_test_deadline deadline = art_test__deadline(5000);
  do
    art__epoch_reclaim(r->e, &list, race_free, r);
  while (list.head && art_test__deadline_wait(&deadline));
  return NULL;
}

static void readers_never_see_reclaimed_objects(void **state) {
  (void)state;
  art_test_alloc ta;
  art_test_alloc_init(&ta);
  race *r = calloc(1, sizeof *r);
  assert_non_null(r);
  r->alloc = art_test_alloc_allocator(&ta);
  r->e = aligned_alloc(ART__CACHE_LINE, sizeof *r->e);
  r->workers = aligned_alloc(ART__CACHE_LINE, sizeof *r->workers);
  assert_non_null(r->e);
  assert_non_null(r->workers);
  art__epoch_init(r->e, r->workers, 1);
  atomic_init(&r->current, new_object(r, 0));
  assert_non_null(atomic_load(&r->current));
  atomic_init(&r->writer_done, false);
  atomic_init(&r->readers_started, 0);

  pthread_t readers[READERS], writer;
  reader_arg args[READERS];
  for (uint32_t i = 0; i < READERS; i++) {
    args[i] = (reader_arg){r, i};
    assert_int_equal(pthread_create(&readers[i], NULL, reader_main, &args[i]), 0);
  }
  assert_int_equal(pthread_create(&writer, NULL, writer_main, r), 0);
  pthread_join(writer, NULL);
  for (int i = 0; i < READERS; i++)
    pthread_join(readers[i], NULL);

  for (int i = 0; i < READERS; i++) {
    assert_true(r->reads[i] > 0);
    assert_int_equal(r->poisoned[i], 0);
    assert_int_equal(r->went_back[i], 0);
  }
  print_message("reads: %llu %llu %llu, freed while running: %llu\n",
                (unsigned long long)r->reads[0], (unsigned long long)r->reads[1],
                (unsigned long long)r->reads[2], (unsigned long long)r->freed_while_running);
  /* Reclamation really happened while readers were reading. */
  assert_true(r->freed_while_running > 0);
  /* Everything retired was freed; only the object still published is left. */
  assert_int_equal(atomic_load(&ta.total), SWAPS + 1);
  assert_int_equal(art_test_alloc_live(&ta), 1);
  race_object *last = atomic_load(&r->current);
  assert_int_equal(last->value, SWAPS);
  assert_int_equal(last->magic, LIVE);
  r->alloc.free(r->alloc.ctx, last);
  assert_int_equal(art_test_alloc_live(&ta), 0);
  free(r->workers);
  free(r->e);
  free(r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(reclaim_without_readers_frees),
      cmocka_unit_test(external_reader_blocks_until_it_leaves),
      cmocka_unit_test(reader_holds_items_of_its_own_epoch),
      cmocka_unit_test(worker_records),
      cmocka_unit_test(enter_uses_distinct_records),
      cmocka_unit_test(splice),
      cmocka_unit_test(readers_never_see_reclaimed_objects),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
