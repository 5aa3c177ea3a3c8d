/*
 * The broker under concurrency (2 workers), seeded (`--seed N` replays the random streams;
 * the interleaving of threads still varies):
 *
 *   - fan-out counts: plain threads and actors publish at once on random topics to subscribers
 *     with exact and wildcard patterns; every subscriber ends with exactly the count the
 *     publishers' own tallies and the matching rules give it, and the broker's counters agree;
 *   - churn: while threads publish, another thread spawns subscribers, subscribes and
 *     unsubscribes them and makes them exit, some in the middle of a fan-out to them; every
 *     delivery is then either handled or a dead letter of the system (queued when its actor
 *     exited), failed deliveries match the stale pids they went to, exited subscribers are all
 *     removed, and nothing leaks. Under TSan this exercises the lock-free reads of the table
 *     versions and their reclamation.
 */
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "art.h"
#include "test_support.h"

#include <cmocka.h>

#define WAIT_MS 20000
#define NTOPICS 16
#define NPATTERNS 10

static uint64_t seed;

/* Topics s.<0..7>.<a|b>, and patterns over them. */
static void topic_name(char *buf, size_t len, unsigned t) {
  snprintf(buf, len, "s.%u.%c", t / 2, "ab"[t % 2]);
}

static const char *const patterns[NPATTERNS] = {"s.3.a", "s.*.a", "s.3.>", "s.>",   ">",
                                                "*.*.b", "s.0.b", "s.7.*", "*.5.*", "s.1.a"};

enum { T_DATA = 1, C_PUBLISH, C_STOP };

/* ---- subscribers ---------------------------------------------------------------------------- */

typedef struct subscriber {
  _Atomic uint64_t handled;
  _Atomic uint64_t sum;
  _Atomic uint64_t bad; /* messages without a topic or with the wrong size */
} subscriber;

static int subscriber_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  (void)ctx;
  subscriber *s = state;
  if (msg->type == C_STOP)
    return ART_STOP;
  if (msg->type != T_DATA || !art_broker_topic(msg) || msg->size != sizeof(uint64_t)) {
    atomic_fetch_add(&s->bad, 1);
    return 0;
  }
  uint64_t v;
  memcpy(&v, msg->data, sizeof v);
  atomic_fetch_add_explicit(&s->sum, v, memory_order_relaxed);
  atomic_fetch_add_explicit(&s->handled, 1, memory_order_relaxed);
  return 0;
}

static const art_actor_ops subscriber_ops = {.handle = subscriber_handle};

/* ---- publishers ----------------------------------------------------------------------------- */

typedef struct publisher {
  art_broker *broker;
  art_test_rng rng;
  uint64_t remaining; /* publishes left */
  bool paced;         /* yield after each publish */
  uint64_t per_topic[NTOPICS];
  uint64_t delivered, published;
  int errors;
  pthread_t thread;
  atomic_bool done;
} publisher;

static void publish_one(publisher *p) {
  unsigned t = (unsigned)art_test_rng_below(&p->rng, NTOPICS);
  char topic[16];
  topic_name(topic, sizeof topic, t);
  uint64_t v = 1;
  size_t n = 0;
  if (art_publish(p->broker, topic, T_DATA, &v, sizeof v, &n) != 0)
    p->errors++;
  p->per_topic[t]++;
  p->published++;
  p->delivered += n;
}

static void *publisher_main(void *arg) {
  publisher *p = arg;
  for (; p->remaining > 0; p->remaining--) {
    publish_one(p);
    if (p->paced)
      sched_yield();
  }
  atomic_store(&p->done, true);
  return NULL;
}

/* An actor publisher: 20 publishes per activation, then a message to itself. */
static int publisher_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  (void)msg;
  publisher *p = state;
  for (int i = 0; i < 20 && p->remaining > 0; i++, p->remaining--)
    publish_one(p);
  if (p->remaining == 0) {
    atomic_store(&p->done, true);
    return 0;
  }
  return art_send(art_ctx_system(ctx), art_self(ctx), C_PUBLISH, NULL, 0);
}

static const art_actor_ops publisher_ops = {.handle = publisher_handle};

static art_system *create_system(art_test_alloc *ta) {
  art_test_alloc_init(ta);
  art_system_config cfg;
  art_system_config_init(&cfg);
  cfg.workers = 2;
  cfg.allocator = art_test_alloc_allocator(ta);
  art_system *sys = NULL;
  assert_int_equal(art_system_create(&sys, &cfg), 0);
  return sys;
}

static art_broker_stats broker_stats(art_broker *b) {
  art_broker_stats st;
  assert_int_equal(art_broker_stats_get(b, &st), 0);
  return st;
}

/* ---- fan-out counts ------------------------------------------------------------------------- */

#define SUBS 40
#define THREAD_PUBS 3
#define ACTOR_PUBS 2
#define PUBLISHES 20000

static void test_fanout_counts(void **state) {
  (void)state;
  art_test_alloc ta;
  art_system *sys = create_system(&ta);
  art_broker *b;
  assert_int_equal(art_broker_create(sys, NULL, &b), 0);
  art_test_rng rng;
  art_test_rng_init(&rng, seed);

  static subscriber subs[SUBS];
  int sub_patterns[SUBS][2];
  for (int i = 0; i < SUBS; i++) {
    memset(&subs[i], 0, sizeof subs[i]);
    art_spawn_opts o = {.ops = &subscriber_ops, .state = &subs[i]};
    art_pid pid;
    assert_int_equal(art_spawn(sys, &o, &pid), 0);
    sub_patterns[i][0] = (int)art_test_rng_below(&rng, NPATTERNS);
    sub_patterns[i][1] = i % 3 ? -1 : (int)art_test_rng_below(&rng, NPATTERNS);
    for (int k = 0; k < 2; k++)
      if (sub_patterns[i][k] >= 0)
        assert_int_equal(art_subscribe(b, patterns[sub_patterns[i][k]], pid, NULL), 0);
  }

  static publisher pubs[THREAD_PUBS + ACTOR_PUBS];
  for (int i = 0; i < THREAD_PUBS + ACTOR_PUBS; i++) {
    memset(&pubs[i], 0, sizeof pubs[i]);
    pubs[i].broker = b;
    pubs[i].remaining = PUBLISHES;
    art_test_rng_init(&pubs[i].rng, seed + 1000 * (uint64_t)(i + 1));
  }
  for (int i = 0; i < ACTOR_PUBS; i++) {
    publisher *p = &pubs[THREAD_PUBS + i];
    art_spawn_opts o = {.ops = &publisher_ops, .state = p};
    art_pid pid;
    assert_int_equal(art_spawn(sys, &o, &pid), 0);
    assert_int_equal(art_send(sys, pid, C_PUBLISH, NULL, 0), 0);
  }
  for (int i = 0; i < THREAD_PUBS; i++)
    assert_int_equal(pthread_create(&pubs[i].thread, NULL, publisher_main, &pubs[i]), 0);
  for (int i = 0; i < THREAD_PUBS; i++)
    pthread_join(pubs[i].thread, NULL);
  for (int i = 0; i < ACTOR_PUBS; i++)
    assert_true(ART_WAIT_UNTIL(atomic_load(&pubs[THREAD_PUBS + i].done), WAIT_MS));

  /* What each subscriber must get: every publish on a topic, once per matching pattern. */
  uint64_t per_topic[NTOPICS] = {0}, delivered = 0;
  for (int i = 0; i < THREAD_PUBS + ACTOR_PUBS; i++) {
    assert_int_equal(pubs[i].errors, 0);
    delivered += pubs[i].delivered;
    for (int t = 0; t < NTOPICS; t++)
      per_topic[t] += pubs[i].per_topic[t];
  }
  uint64_t expected_total = 0;
  for (int i = 0; i < SUBS; i++) {
    uint64_t want = 0;
    for (int t = 0; t < NTOPICS; t++) {
      char topic[16];
      topic_name(topic, sizeof topic, (unsigned)t);
      for (int k = 0; k < 2; k++)
        if (sub_patterns[i][k] >= 0 &&
            art_broker_topic_matches(patterns[sub_patterns[i][k]], topic) == 1)
          want += per_topic[t];
    }
    expected_total += want;
    if (!ART_WAIT_UNTIL(atomic_load(&subs[i].handled) >= want, WAIT_MS))
      fail_msg("subscriber %d: %" PRIu64 " of %" PRIu64 " (seed %" PRIu64 ")", i,
               atomic_load(&subs[i].handled), want, seed);
    assert_int_equal(atomic_load(&subs[i].handled), want);
    assert_int_equal(atomic_load(&subs[i].sum), want);
    assert_int_equal(atomic_load(&subs[i].bad), 0);
  }
  art_broker_stats st = broker_stats(b);
  assert_int_equal(delivered, expected_total);
  assert_int_equal(st.delivered, expected_total);
  assert_int_equal(st.published, (uint64_t)(THREAD_PUBS + ACTOR_PUBS) * PUBLISHES);
  assert_int_equal(st.routing_failures, 0);

  art_broker_destroy(b);
  art_system_destroy(sys);
  assert_int_equal(art_test_alloc_live(&ta), 0);
}

/* ---- churn ---------------------------------------------------------------------------------- */

#define CHURN_PUBS 2
#define CHURN_SLOTS 24
#define CHURN_SLOTS_TOTAL 1500 /* subscribers spawned at most */
#define CHURN_PUBLISHES 20000  /* per publisher thread */

typedef struct churn_slot {
  subscriber counts;
  art_pid pid; /* ART_PID_NONE when free */
} churn_slot;

static void test_churn(void **state) {
  (void)state;
  art_test_alloc ta;
  art_system *sys = create_system(&ta);
  art_broker *b;
  assert_int_equal(art_broker_create(sys, NULL, &b), 0);
  art_test_rng rng;
  art_test_rng_init(&rng, seed ^ 0xc4u);
  static publisher pubs[CHURN_PUBS];
  for (int i = 0; i < CHURN_PUBS; i++) {
    memset(&pubs[i], 0, sizeof pubs[i]);
    pubs[i].broker = b;
    pubs[i].remaining = CHURN_PUBLISHES;
    pubs[i].paced = true;
    art_test_rng_init(&pubs[i].rng, seed + 77 * (uint64_t)(i + 1));
  }
  bool started = false; /* the publishers, once half the slots are live */

  /* Subscribers come and go; each slot's counters outlive its actor (the actor only adds). */
  static churn_slot slots[CHURN_SLOTS_TOTAL];
  int live[CHURN_SLOTS], nlive = 0, next_slot = 0;
  uint64_t subscribed = 0, unsubscribed = 0;
  /* Rounds until the publishers are done (or the slots run out), paced a little so that the
   * publishes overlap many lifetimes. */
  while (next_slot < CHURN_SLOTS_TOTAL &&
         !(started && atomic_load(&pubs[0].done) && atomic_load(&pubs[1].done))) {
    if (!started && nlive >= CHURN_SLOTS / 2) {
      for (int i = 0; i < CHURN_PUBS; i++)
        assert_int_equal(pthread_create(&pubs[i].thread, NULL, publisher_main, &pubs[i]), 0);
      started = true;
    }
    sched_yield();
    uint64_t what = art_test_rng_below(&rng, 10);
    if (nlive < CHURN_SLOTS && (what < 5 || nlive == 0)) {
      churn_slot *s = &slots[next_slot];
      memset(s, 0, sizeof *s);
      art_spawn_opts o = {.ops = &subscriber_ops, .state = &s->counts};
      assert_int_equal(art_spawn(sys, &o, &s->pid), 0);
      for (uint64_t k = 0, n = 1 + art_test_rng_below(&rng, 3); k < n; k++) {
        int rc = art_subscribe(b, patterns[art_test_rng_below(&rng, NPATTERNS)], s->pid, NULL);
        assert_int_equal(rc, 0);
        subscribed++;
      }
      live[nlive++] = next_slot++;
    } else if (what < 8) { /* exit: a message, or a kill that overtakes the queue */
      int k = (int)art_test_rng_below(&rng, (uint64_t)nlive);
      churn_slot *s = &slots[live[k]];
      if (what == 7) {
        art_exit_reason killed = art_reason(ART_EXIT_KILLED);
        assert_int_equal(art_send_exit(sys, s->pid, &killed), 0);
      } else {
        assert_int_equal(art_send(sys, s->pid, C_STOP, NULL, 0), 0);
      }
      live[k] = live[--nlive];
    } else { /* drop the subscriptions of a live one: it stays, unsubscribed */
      int k = (int)art_test_rng_below(&rng, (uint64_t)nlive);
      int n = art_unsubscribe_pid(b, slots[live[k]].pid);
      assert_true(n >= 0);
      unsubscribed += (uint64_t)n;
    }
  }
  assert_true(started);
  for (int i = 0; i < CHURN_PUBS; i++)
    pthread_join(pubs[i].thread, NULL);
  for (int k = 0; k < nlive; k++)
    assert_int_equal(art_send(sys, slots[live[k]].pid, C_STOP, NULL, 0), 0);

  /* Every subscriber exits; the broker removes what is left of their subscriptions. */
  for (int i = 0; i < next_slot; i++)
    assert_true(ART_WAIT_UNTIL(!art_is_alive(sys, slots[i].pid), WAIT_MS));
  assert_true(ART_WAIT_UNTIL(broker_stats(b).subscriptions == 0, WAIT_MS));
  art_broker_stats st = broker_stats(b);
  assert_int_equal(st.subscribed, subscribed);
  assert_int_equal(st.unsubscribed, subscribed);
  assert_int_equal(st.removed_on_exit, subscribed - unsubscribed);

  uint64_t delivered = 0, published = 0, handled = 0;
  for (int i = 0; i < CHURN_PUBS; i++) {
    assert_int_equal(pubs[i].errors, 0);
    delivered += pubs[i].delivered;
    published += pubs[i].published;
  }
  for (int i = 0; i < next_slot; i++) {
    handled += atomic_load(&slots[i].counts.handled);
    assert_int_equal(atomic_load(&slots[i].counts.bad), 0);
  }
  assert_int_equal(st.published, published);
  assert_int_equal(st.delivered, delivered);
  /* A delivery was handled, or was still queued when its subscriber exited: then it is a dead
   * letter of the system, counted when the mailbox is drained (at the exit, or when the
   * actor's memory is reclaimed, for a late push). The system's other dead letters are the
   * failed deliveries to stale pids. */
  uint64_t want_dead = st.routing_failures + (delivered - handled);
  art_system_stats ss;
  bool settled =
      ART_WAIT_UNTIL(art_system_stats_get(sys, &ss) == 0 && ss.dead_letters == want_dead, WAIT_MS);
  if (!settled)
    fail_msg("dead letters %" PRIu64 ", expected %" PRIu64 " (seed %" PRIu64 ")", ss.dead_letters,
             want_dead, seed);
  fprintf(stderr,
          "churn: %" PRIu64 " publishes, %" PRIu64 " deliveries, %" PRIu64 " handled, %" PRIu64
          " failed, %d subscribers\n",
          published, delivered, handled, st.routing_failures, next_slot);

  art_broker_destroy(b);
  art_system_destroy(sys);
  assert_int_equal(art_test_alloc_live(&ta), 0);
}

int main(int argc, char **argv) {
  seed = art_test_seed(argc, argv);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fanout_counts),
      cmocka_unit_test(test_churn),
  };
  int failed = cmocka_run_group_tests(tests, NULL, NULL);
  if (failed)
    fprintf(stderr, "test_broker_stress failed; replay with --seed %" PRIu64 "\n", seed);
  return failed;
}
