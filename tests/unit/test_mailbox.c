/*
 * Unit tests of the MPSC mailbox (core/mailbox.h): order, the parked -> non-empty edge that
 * tells exactly one producer to schedule the actor, the release-node protocol, and a
 * multi-producer run that checks order, loss, duplication and scheduling edges.
 */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/mailbox.h"
#include "platform/platform.h"
#include "test_support.h"

#include <cmocka.h>

typedef struct item {
  art__node node;
  uint32_t producer;
  uint32_t seq;
} item;

static item *item_of(art__node *n) {
  return ART__CONTAINER_OF(n, item, node);
}

typedef struct box {
  art__mailbox mb;
  art__node *tail;
  art__node stub;
} box;

static void box_init(box *b) {
  art__mailbox_init(&b->mb, &b->tail, &b->stub);
}

static void fifo_single_thread(void **state) {
  (void)state;
  box b;
  box_init(&b);
  item items[100];
  art__node *release;
  assert_null(art__mailbox_pop(&b.tail, &release));
  assert_null(release);
  assert_true(art__mailbox_empty(&b.mb, b.tail));

  for (uint32_t i = 0; i < 100; i++) {
    items[i].seq = i;
    assert_false(art__mailbox_push(&b.mb, &items[i].node)); /* starts scheduled */
    assert_false(art__mailbox_empty(&b.mb, b.tail));
  }
  for (uint32_t i = 0; i < 100; i++) {
    art__node *n = art__mailbox_pop(&b.tail, &release);
    assert_ptr_equal(n, &items[i].node);
    assert_int_equal(item_of(n)->seq, i);
  }
  assert_null(art__mailbox_pop(&b.tail, &release));
  assert_null(release);
  assert_true(art__mailbox_empty(&b.mb, b.tail));

  /* Interleaved pushes and pops keep the order too. */
  uint32_t next_in = 0, next_out = 0;
  item more[64];
  for (int round = 0; round < 8; round++) {
    for (int k = 0; k < 8; k++) {
      more[next_in].seq = next_in;
      art__mailbox_push(&b.mb, &more[next_in].node);
      next_in++;
    }
    for (int k = 0; k < 5 + round % 4 && next_out < next_in; k++) {
      art__node *n = art__mailbox_pop(&b.tail, &release);
      assert_non_null(n);
      assert_int_equal(item_of(n)->seq, next_out++);
    }
  }
  art__node *n;
  while ((n = art__mailbox_pop(&b.tail, &release)) != NULL)
    assert_int_equal(item_of(n)->seq, next_out++);
  assert_int_equal(next_out, 64);
}

static void push_signals_only_the_parked_edge(void **state) {
  (void)state;
  box b;
  box_init(&b);
  item items[4];
  art__node *release;

  /* Fresh mailbox: scheduled, so the first push must not ask for scheduling. */
  assert_false(art__mailbox_push(&b.mb, &items[0].node));
  assert_ptr_equal(art__mailbox_pop(&b.tail, &release), &items[0].node);
  assert_null(art__mailbox_pop(&b.tail, &release));
  assert_true(art__mailbox_try_park(&b.mb, b.tail));
  assert_true(art__mailbox_empty(&b.mb, b.tail)); /* parked still reads empty */

  /* Parked: the first push is the edge, the next ones are not. */
  assert_true(art__mailbox_push(&b.mb, &items[1].node));
  assert_false(art__mailbox_push(&b.mb, &items[2].node));
  assert_false(art__mailbox_push(&b.mb, &items[3].node));

  /* The nodes pushed onto the parked mailbox arrive, in order. */
  for (int i = 1; i < 4; i++)
    assert_ptr_equal(art__mailbox_pop(&b.tail, &release), &items[i].node);
  assert_null(art__mailbox_pop(&b.tail, &release));

  /* Park again: the edge happens once more. */
  assert_true(art__mailbox_try_park(&b.mb, b.tail));
  item again;
  assert_true(art__mailbox_push(&b.mb, &again.node));
  assert_ptr_equal(art__mailbox_pop(&b.tail, &release), &again.node);
}

static void park_on_fresh_mailbox(void **state) {
  (void)state;
  /* Parking an empty fresh mailbox works (tail is the stub); the next push is the edge. */
  box b;
  box_init(&b);
  assert_true(art__mailbox_try_park(&b.mb, b.tail));
  item it;
  assert_true(art__mailbox_push(&b.mb, &it.node));
  art__node *release;
  assert_ptr_equal(art__mailbox_pop(&b.tail, &release), &it.node);
  assert_ptr_equal(release, &b.stub);
}

static void push_chain(void **state) {
  (void)state;
  box b;
  box_init(&b);
  item items[10];
  art__node *release;
  for (uint32_t i = 0; i < 10; i++)
    items[i].seq = i;
  /* Link 1..5 by hand; last->next holds garbage that push_chain must overwrite. */
  for (int i = 1; i < 5; i++)
    atomic_store(&items[i].node.next, &items[i + 1].node);
  atomic_store(&items[5].node.next, &items[9].node);

  assert_false(art__mailbox_push(&b.mb, &items[0].node));
  assert_false(art__mailbox_push_chain(&b.mb, &items[1].node, &items[5].node));
  assert_false(art__mailbox_push(&b.mb, &items[6].node));
  for (uint32_t i = 0; i <= 6; i++) {
    art__node *n = art__mailbox_pop(&b.tail, &release);
    assert_non_null(n);
    assert_int_equal(item_of(n)->seq, i);
  }
  assert_null(art__mailbox_pop(&b.tail, &release));

  /* A chain pushed onto a parked mailbox is one edge. */
  assert_true(art__mailbox_try_park(&b.mb, b.tail));
  atomic_store(&items[7].node.next, &items[8].node);
  assert_true(art__mailbox_push_chain(&b.mb, &items[7].node, &items[8].node));
  assert_false(art__mailbox_push(&b.mb, &items[9].node));
  for (uint32_t i = 7; i <= 9; i++)
    assert_int_equal(item_of(art__mailbox_pop(&b.tail, &release))->seq, i);
  assert_null(art__mailbox_pop(&b.tail, &release));

  /* A chain of one is a push. */
  assert_true(art__mailbox_try_park(&b.mb, b.tail));
  assert_true(art__mailbox_push_chain(&b.mb, &items[0].node, &items[0].node));
  assert_ptr_equal(art__mailbox_pop(&b.tail, &release), &items[0].node);
}

static void try_park_fails_after_a_push(void **state) {
  (void)state;
  box b;
  box_init(&b);
  item a, c;
  art__node *release;
  assert_false(art__mailbox_push(&b.mb, &a.node));
  assert_ptr_equal(art__mailbox_pop(&b.tail, &release), &a.node);
  /* Pushed after the consumer's last pop: the consumer must not park. */
  assert_false(art__mailbox_push(&b.mb, &c.node));
  assert_false(art__mailbox_try_park(&b.mb, b.tail));
  /* Failing to park left it scheduled: a further push is no edge. */
  item d;
  assert_false(art__mailbox_push(&b.mb, &d.node));
  assert_ptr_equal(art__mailbox_pop(&b.tail, &release), &c.node);
  assert_ptr_equal(art__mailbox_pop(&b.tail, &release), &d.node);
  assert_null(art__mailbox_pop(&b.tail, &release));
  assert_true(art__mailbox_try_park(&b.mb, b.tail));
  /* Parking twice fails: the second CAS finds the bit set. */
  assert_false(art__mailbox_try_park(&b.mb, b.tail));
}

static void try_park_fails_while_a_push_is_half_done(void **state) {
  (void)state;
  /* A producer that has exchanged head but not yet linked its node: pop sees nothing, but
   * the mailbox is not empty and must not park. Simulated by doing the exchange by hand. */
  box b;
  box_init(&b);
  item a;
  atomic_store(&a.node.next, NULL);
  uintptr_t prev = atomic_exchange(&b.mb.head, (uintptr_t)&a.node);
  art__node *release;
  assert_null(art__mailbox_pop(&b.tail, &release));
  assert_false(art__mailbox_empty(&b.mb, b.tail));
  assert_false(art__mailbox_try_park(&b.mb, b.tail));
  /* The producer finishes its link: the node arrives. */
  atomic_store(&((art__node *)prev)->next, &a.node);
  assert_ptr_equal(art__mailbox_pop(&b.tail, &release), &a.node);
}

static void release_protocol(void **state) {
  (void)state;
  box b;
  box_init(&b);
  item items[5];
  art__node *release = (art__node *)(uintptr_t)1;
  for (int i = 0; i < 3; i++)
    art__mailbox_push(&b.mb, &items[i].node);

  /* The first pop releases the stub; each later one the node popped before it. */
  assert_ptr_equal(art__mailbox_pop(&b.tail, &release), &items[0].node);
  assert_ptr_equal(release, &b.stub);
  assert_ptr_equal(b.tail, &items[0].node);
  assert_ptr_equal(art__mailbox_pop(&b.tail, &release), &items[1].node);
  assert_ptr_equal(release, &items[0].node);
  assert_ptr_equal(art__mailbox_pop(&b.tail, &release), &items[2].node);
  assert_ptr_equal(release, &items[1].node);

  /* Empty: nothing released, the last node popped stays as the tail. */
  release = (art__node *)(uintptr_t)1;
  assert_null(art__mailbox_pop(&b.tail, &release));
  assert_null(release);
  assert_ptr_equal(b.tail, &items[2].node);

  /* Once more after a park: the stub is never released again. */
  assert_true(art__mailbox_try_park(&b.mb, b.tail));
  assert_true(art__mailbox_push(&b.mb, &items[3].node));
  art__mailbox_push(&b.mb, &items[4].node);
  assert_ptr_equal(art__mailbox_pop(&b.tail, &release), &items[3].node);
  assert_ptr_equal(release, &items[2].node);
  assert_ptr_equal(art__mailbox_pop(&b.tail, &release), &items[4].node);
  assert_ptr_equal(release, &items[3].node);
}

static void release_protocol_frees_every_node(void **state) {
  (void)state;
  /* Nodes from the allocator, freed as the protocol hands them back: every node but the tail
   * is freed, each exactly once (a double free or a leak shows in the counts, and under ASan
   * a node freed too early shows as a use after free on the next pop). */
  art_test_alloc ta;
  art_test_alloc_init(&ta);
  art_allocator al = art_test_alloc_allocator(&ta);
  box b;
  box_init(&b);
  art__node *release;
  uint32_t stub_released = 0, popped = 0;
  for (uint32_t round = 0; round < 50; round++) {
    for (uint32_t k = 0; k < round % 7 + 1; k++) {
      item *it = al.alloc(al.ctx, sizeof *it);
      assert_non_null(it);
      it->seq = k;
      art__mailbox_push(&b.mb, &it->node);
    }
    art__node *n;
    uint32_t expect = 0;
    while ((n = art__mailbox_pop(&b.tail, &release)) != NULL) {
      assert_int_equal(item_of(n)->seq, expect++);
      popped++;
      if (release == &b.stub)
        stub_released++;
      else
        al.free(al.ctx, item_of(release));
    }
    assert_int_equal(expect, round % 7 + 1);
    assert_true(art__mailbox_try_park(&b.mb, b.tail));
  }
  assert_int_equal(stub_released, 1);
  assert_int_equal(art_test_alloc_live(&ta), 1); /* the tail */
  assert_int_equal(atomic_load(&ta.total), popped);
  al.free(al.ctx, item_of(b.tail));
  assert_int_equal(art_test_alloc_live(&ta), 0);
}

/* ---- Many producers, one consumer ---------------------------------------------------- */

#define PRODUCERS 4
#define PER_PRODUCER 200000u

typedef struct shared {
  box b;
  item *items[PRODUCERS];
  _Atomic uint64_t edges; /* pushes that returned true */
  _Atomic bool go;
  /* Written by the consumer, read by the test thread after the join. */
  uint64_t parks;
  uint64_t received;
  uint64_t out_of_order;
  uint64_t bad_release;
  uint64_t extra_edges; /* edges seen while the consumer was not parked */
  uint64_t stalls;      /* parked and no edge came within the bound */
  uint32_t next[PRODUCERS];
} shared;

typedef struct producer_arg {
  shared *s;
  uint32_t id;
} producer_arg;

static void *producer_main(void *p) {
  producer_arg *pa = p;
  shared *s = pa->s;
  while (!atomic_load(&s->go))
    sched_yield();
  item *items = s->items[pa->id];
  for (uint32_t i = 0; i < PER_PRODUCER; i++) {
    items[i].producer = pa->id;
    items[i].seq = i;
    if (art__mailbox_push(&s->b.mb, &items[i].node))
      atomic_fetch_add(&s->edges, 1); /* "schedule the actor" */
    if ((i & 63) == 0)
      sched_yield(); /* give the consumer chances to run dry and park */
  }
  return NULL;
}

static void *consumer_main(void *p) {
  shared *s = p;
  art__node *prev = &s->b.stub;
  uint64_t total = (uint64_t)PRODUCERS * PER_PRODUCER;
  int64_t stall_bound = (int64_t)(5e9 * art_test_time_scale());
  while (!atomic_load(&s->go))
    sched_yield();
  while (s->received < total) {
    art__node *release;
    art__node *n = art__mailbox_pop(&s->b.tail, &release);
    if (n) {
      if (release != prev)
        s->bad_release++;
      prev = n;
      item *it = item_of(n);
      if (it->producer >= PRODUCERS || it->seq != s->next[it->producer])
        s->out_of_order++;
      else
        s->next[it->producer]++;
      s->received++;
      continue;
    }
    if (atomic_load(&s->edges) != s->parks)
      s->extra_edges++; /* an edge while scheduled: some producer would double-schedule */
    if (!art__mailbox_try_park(&s->b.mb, s->b.tail)) {
      sched_yield(); /* a push is under way: stay scheduled */
      continue;
    }
    s->parks++;
    /* Parked: only the producer whose push sees the bit may wake us. Wait for its edge. */
    int64_t deadline = art__clock_mono() + stall_bound;
    for (uint32_t spins = 1; atomic_load(&s->edges) < s->parks; spins++) {
      sched_yield();
      if (spins % 1024 == 0 && art__clock_mono() > deadline) {
        s->stalls++;
        return NULL;
      }
    }
  }
  return NULL;
}

static void many_producers_one_consumer(void **state) {
  (void)state;
  shared *s = calloc(1, sizeof *s);
  assert_non_null(s);
  box_init(&s->b);
  atomic_init(&s->edges, 0);
  atomic_init(&s->go, false);
  for (int i = 0; i < PRODUCERS; i++) {
    s->items[i] = calloc(PER_PRODUCER, sizeof(item));
    assert_non_null(s->items[i]);
  }
  pthread_t producers[PRODUCERS], consumer;
  producer_arg args[PRODUCERS];
  assert_int_equal(pthread_create(&consumer, NULL, consumer_main, s), 0);
  for (uint32_t i = 0; i < PRODUCERS; i++) {
    args[i] = (producer_arg){s, i};
    assert_int_equal(pthread_create(&producers[i], NULL, producer_main, &args[i]), 0);
  }
  atomic_store(&s->go, true);
  for (int i = 0; i < PRODUCERS; i++)
    pthread_join(producers[i], NULL);
  pthread_join(consumer, NULL);

  print_message("parks: %llu, edges: %llu\n", (unsigned long long)s->parks,
                (unsigned long long)atomic_load(&s->edges));
  assert_int_equal(s->stalls, 0);
  assert_int_equal(s->received, (uint64_t)PRODUCERS * PER_PRODUCER);
  assert_int_equal(s->out_of_order, 0);
  for (int i = 0; i < PRODUCERS; i++)
    assert_int_equal(s->next[i], PER_PRODUCER);
  assert_int_equal(s->bad_release, 0);
  assert_int_equal(s->extra_edges, 0);
  /* Exactly one edge per park: the consumer never parked at the end (it stopped once it had
   * everything), so every park was ended by exactly one producer. */
  assert_int_equal(atomic_load(&s->edges), s->parks);
  art__node *release;
  assert_null(art__mailbox_pop(&s->b.tail, &release));
  assert_true(art__mailbox_empty(&s->b.mb, s->b.tail));
  for (int i = 0; i < PRODUCERS; i++)
    free(s->items[i]);
  free(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(fifo_single_thread),
      cmocka_unit_test(push_signals_only_the_parked_edge),
      cmocka_unit_test(park_on_fresh_mailbox),
      cmocka_unit_test(push_chain),
      cmocka_unit_test(try_park_fails_after_a_push),
      cmocka_unit_test(try_park_fails_while_a_push_is_half_done),
      cmocka_unit_test(release_protocol),
      cmocka_unit_test(release_protocol_frees_every_node),
      cmocka_unit_test(many_producers_one_consumer),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
