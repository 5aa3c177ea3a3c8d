/*
 * Bounded mailboxes (ART_OVERFLOW_ERROR, _DROP, _BLOCK), exit signals to full mailboxes,
 * art_mailbox_stats_get, and the dead-letter hook.
 */
#include "services.h"

enum {
  M_GATE = 1,  /* wait (bounded) for the gate; with a payload byte 1, then return ART_STOP */
  M_STOP,      /* return ART_STOP */
  M_SEND_TO,   /* art_send(payload pid, M_DATA) -> send_rc */
  M_DATA = 10, /* and up: recorded */
};

#define SINK_MAX 64

typedef struct sink {
  pthread_mutex_t lock;
  atomic_bool gate, blocked;
  int count, send_rc, post_stop_calls, gate_timeouts;
  uint32_t types[SINK_MAX];
  art_exit_reason reason;
} sink;

static void sink_init(sink *s) {
  memset(s, 0, sizeof *s);
  pthread_mutex_init(&s->lock, NULL);
  atomic_init(&s->gate, false);
  atomic_init(&s->blocked, false);
}

static int sink_get(sink *s, const int *field) {
  pthread_mutex_lock(&s->lock);
  int v = *field;
  pthread_mutex_unlock(&s->lock);
  return v;
}

static int sink_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  sink *s = state;
  switch (msg->type) {
  case M_GATE:
    atomic_store(&s->blocked, true);
    if (!it_actor_wait_flag(&s->gate)) {
      pthread_mutex_lock(&s->lock);
      s->gate_timeouts++;
      pthread_mutex_unlock(&s->lock);
    }
    return msg->size && ((const unsigned char *)msg->data)[0] == 1 ? ART_STOP : 0;
  case M_STOP:
    return ART_STOP;
  case M_SEND_TO: {
    art_pid to;
    memcpy(&to, msg->data, sizeof to);
    int rc = art_send(art_ctx_system(ctx), to, M_DATA, NULL, 0);
    pthread_mutex_lock(&s->lock);
    s->send_rc = rc;
    pthread_mutex_unlock(&s->lock);
    return 0;
  }
  default:
    pthread_mutex_lock(&s->lock);
    if (s->count < SINK_MAX)
      s->types[s->count] = msg->type;
    s->count++;
    pthread_mutex_unlock(&s->lock);
    return 0;
  }
}

static void sink_post_stop(art_ctx *ctx, void *state, const art_exit_reason *reason) {
  (void)ctx;
  sink *s = state;
  pthread_mutex_lock(&s->lock);
  s->post_stop_calls++;
  s->reason = *reason;
  pthread_mutex_unlock(&s->lock);
}

static const art_actor_ops sink_ops = {.handle = sink_handle, .post_stop = sink_post_stop};

static art_pid spawn_sink(art_system *sys, sink *s, uint32_t capacity, art_overflow overflow) {
  sink_init(s);
  art_spawn_opts o = {
      .ops = &sink_ops, .state = s, .mailbox_capacity = capacity, .overflow = overflow};
  art_pid pid = ART_PID_NONE;
  assert_int_equal(art_spawn(sys, &o, &pid), 0);
  return pid;
}

static art_mailbox_stats stats_of(art_system *sys, art_pid pid) {
  art_mailbox_stats st;
  assert_int_equal(art_mailbox_stats_get(sys, pid, &st), 0);
  return st;
}

static void assert_stats(art_mailbox_stats st, uint64_t depth, uint64_t high_water,
                         uint64_t enqueued, uint64_t processed, uint64_t dropped,
                         uint32_t capacity) {
  assert_int_equal(st.depth, depth);
  assert_int_equal(st.high_water, high_water);
  assert_int_equal(st.enqueued, enqueued);
  assert_int_equal(st.processed, processed);
  assert_int_equal(st.dropped, dropped);
  assert_int_equal(st.capacity, capacity);
}

/* Moved payloads: each free is counted. */
static atomic_int frees;
static void count_free(void *data) {
  atomic_fetch_add(&frees, 1);
  free(data);
}

static void *moved_payload(void) {
  void *p = malloc(32);
  assert_non_null(p);
  memset(p, 'm', 32);
  return p;
}

/* ---- overflow policies (deterministic: exact) --------------------------------------------- */

/* ERROR: a send to a full mailbox fails with ART_EAGAIN and the caller keeps a moved payload;
 * once the actor has run, there is room again. */
static void test_overflow_error(void **unused) {
  (void)unused;
  atomic_store(&frees, 0);
  art_test_alloc ta;
  art_system *sys = svc_create_deterministic(&ta, NULL, NULL);
  sink s;
  art_pid pid = spawn_sink(sys, &s, 4, ART_OVERFLOW_ERROR);
  for (uint32_t i = 0; i < 4; i++)
    assert_int_equal(art_send(sys, pid, M_DATA + i, NULL, 0), 0);
  assert_int_equal(art_send(sys, pid, M_DATA + 4, NULL, 0), ART_EAGAIN);
  void *payload = moved_payload();
  assert_int_equal(art_send_ptr(sys, pid, M_DATA + 5, payload, 32, count_free), ART_EAGAIN);
  assert_int_equal(atomic_load(&frees), 0);
  assert_memory_equal(payload, "mmmm", 4); /* still ours, untouched */
  assert_stats(stats_of(sys, pid), 4, 4, 4, 0, 0, 4);
  art_system_run(sys);
  assert_int_equal(s.count, 4);
  for (uint32_t i = 0; i < 4; i++)
    assert_int_equal(s.types[i], M_DATA + i);
  assert_stats(stats_of(sys, pid), 0, 4, 4, 4, 0, 4);
  assert_int_equal(art_send_ptr(sys, pid, M_DATA + 5, payload, 32, count_free), 0);
  art_system_run(sys);
  assert_int_equal(s.count, 5);
  assert_int_equal(atomic_load(&frees), 1);
  it_destroy(sys, &ta);
  pthread_mutex_destroy(&s.lock);
}

/* DROP: the send returns 0, the newest message is dropped and counted; a moved payload is freed
 * exactly once, whether dropped or delivered. */
static void test_overflow_drop(void **unused) {
  (void)unused;
  atomic_store(&frees, 0);
  art_test_alloc ta;
  art_system *sys = svc_create_deterministic(&ta, NULL, NULL);
  sink s;
  art_pid pid = spawn_sink(sys, &s, 3, ART_OVERFLOW_DROP);
  assert_int_equal(art_send_ptr(sys, pid, M_DATA, moved_payload(), 32, count_free), 0);
  for (uint32_t i = 1; i < 5; i++)
    assert_int_equal(art_send(sys, pid, M_DATA + i, "copy", 4), 0);
  assert_int_equal(art_send_ptr(sys, pid, M_DATA + 5, moved_payload(), 32, count_free), 0);
  assert_int_equal(atomic_load(&frees), 1); /* the dropped one, at once */
  assert_stats(stats_of(sys, pid), 3, 3, 3, 0, 3, 3);
  art_system_run(sys);
  assert_int_equal(atomic_load(&frees), 2);
  assert_int_equal(s.count, 3);
  for (uint32_t i = 0; i < 3; i++)
    assert_int_equal(s.types[i], M_DATA + i); /* the oldest were kept */
  assert_stats(stats_of(sys, pid), 0, 3, 3, 3, 3, 3);
  it_destroy(sys, &ta);
  assert_int_equal(atomic_load(&frees), 2);
  pthread_mutex_destroy(&s.lock);
}

/* Statistics are exact in deterministic mode: N sends give depth N and high water N; running
 * the actor makes them processed. Unbounded and bounded. */
static void test_stats_exact(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = svc_create_deterministic(&ta, NULL, NULL);
  sink s1, s2;
  art_pid unbounded = spawn_sink(sys, &s1, 0, ART_OVERFLOW_ERROR);
  art_pid bounded = spawn_sink(sys, &s2, 100, ART_OVERFLOW_DROP);
  art_system_run(sys);
  assert_stats(stats_of(sys, unbounded), 0, 0, 0, 0, 0, 0);
  assert_stats(stats_of(sys, bounded), 0, 0, 0, 0, 0, 100);
  for (int i = 0; i < 10; i++) {
    assert_int_equal(art_send(sys, unbounded, M_DATA, NULL, 0), 0);
    assert_int_equal(art_send(sys, bounded, M_DATA, NULL, 0), 0);
  }
  assert_stats(stats_of(sys, unbounded), 10, 10, 10, 0, 0, 0);
  assert_stats(stats_of(sys, bounded), 10, 10, 10, 0, 0, 100);
  art_system_run(sys);
  assert_stats(stats_of(sys, unbounded), 0, 10, 10, 10, 0, 0);
  assert_stats(stats_of(sys, bounded), 0, 10, 10, 10, 0, 100);
  for (int i = 0; i < 4; i++)
    assert_int_equal(art_send(sys, unbounded, M_DATA, NULL, 0), 0);
  assert_stats(stats_of(sys, unbounded), 4, 10, 14, 10, 0, 0);
  art_system_run(sys);
  assert_stats(stats_of(sys, unbounded), 0, 10, 14, 14, 0, 0);
  assert_int_equal(s1.count, 14);
  assert_int_equal(s2.count, 10);

  art_mailbox_stats st;
  assert_int_equal(art_mailbox_stats_get(NULL, unbounded, &st), ART_EINVAL);
  assert_int_equal(art_mailbox_stats_get(sys, unbounded, NULL), ART_EINVAL);
  assert_int_equal(art_send(sys, bounded, M_STOP, NULL, 0), 0);
  art_system_run(sys);
  assert_int_equal(art_mailbox_stats_get(sys, bounded, &st), ART_ESRCH);
  assert_int_equal(art_mailbox_stats_get(sys, ART_PID_NONE, &st), ART_ESRCH);
  assert_int_equal(art_send(sys, bounded, M_DATA, NULL, 0), ART_ESRCH);
  /* A bad overflow policy is refused at spawn. */
  art_spawn_opts bad = {
      .ops = &sink_ops, .state = &s2, .mailbox_capacity = 1, .overflow = (art_overflow)7};
  assert_int_equal(art_spawn(sys, &bad, NULL), ART_EINVAL);
  it_destroy(sys, &ta);
  pthread_mutex_destroy(&s1.lock);
  pthread_mutex_destroy(&s2.lock);
}

/* ---- BLOCK and exit signals (worker threads) --------------------------------------------- */

typedef struct blocked_sender {
  art_system *sys;
  art_pid to;
  uint32_t type;
  atomic_bool done;
  int rc;
} blocked_sender;

static void *blocked_sender_main(void *arg) {
  blocked_sender *b = arg;
  b->rc = art_send(b->sys, b->to, b->type, NULL, 0);
  atomic_store(&b->done, true);
  return NULL;
}

/* BLOCK from a plain thread waits until the actor makes room, then succeeds; nothing is lost
 * and the order holds. */
static void test_block_waits_for_room(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  sink s;
  art_pid pid = spawn_sink(sys, &s, 2, ART_OVERFLOW_BLOCK);
  assert_int_equal(art_send(sys, pid, M_GATE, NULL, 0), 0);
  assert_true(ART_WAIT_UNTIL(atomic_load(&s.blocked), IT_WAIT_MS));
  assert_int_equal(art_send(sys, pid, M_DATA + 0, NULL, 0), 0);
  assert_int_equal(art_send(sys, pid, M_DATA + 1, NULL, 0), 0);
  blocked_sender b = {.sys = sys, .to = pid, .type = M_DATA + 2};
  atomic_init(&b.done, false);
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, blocked_sender_main, &b), 0);
  /* It stays blocked while the actor is held (a bounded wait that must run out). */
  assert_false(ART_WAIT_UNTIL(atomic_load(&b.done), 100));
  assert_int_equal(stats_of(sys, pid).depth, 2);
  atomic_store(&s.gate, true);
  assert_true(ART_WAIT_UNTIL(atomic_load(&b.done), IT_WAIT_MS));
  pthread_join(t, NULL);
  assert_int_equal(b.rc, 0);
  assert_true(ART_WAIT_UNTIL(sink_get(&s, &s.count) == 3, IT_WAIT_MS));
  art_mailbox_stats st = stats_of(sys, pid);
  assert_int_equal(st.dropped, 0);
  assert_int_equal(st.processed, 4);
  assert_true(st.high_water <= 2);
  assert_int_equal(art_system_shutdown(sys, it_timeout_ms(IT_WAIT_MS)), 0);
  it_destroy(sys, &ta);
  assert_int_equal(s.gate_timeouts, 0);
  for (uint32_t i = 0; i < 3; i++)
    assert_int_equal(s.types[i], M_DATA + i);
  pthread_mutex_destroy(&s.lock);
}

/* A sender blocked on a full mailbox gets ART_ESRCH when the actor exits instead of making
 * room. */
static void test_block_then_actor_exits(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  sink s;
  art_pid pid = spawn_sink(sys, &s, 1, ART_OVERFLOW_BLOCK);
  unsigned char stop_after = 1;
  assert_int_equal(art_send(sys, pid, M_GATE, &stop_after, 1), 0);
  assert_true(ART_WAIT_UNTIL(atomic_load(&s.blocked), IT_WAIT_MS));
  assert_int_equal(art_send(sys, pid, M_DATA, NULL, 0), 0); /* full now */
  blocked_sender b = {.sys = sys, .to = pid, .type = M_DATA + 1};
  atomic_init(&b.done, false);
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, blocked_sender_main, &b), 0);
  assert_false(ART_WAIT_UNTIL(atomic_load(&b.done), 100));
  atomic_store(&s.gate, true); /* the handler returns ART_STOP: the actor exits */
  assert_true(ART_WAIT_UNTIL(atomic_load(&b.done), IT_WAIT_MS));
  pthread_join(t, NULL);
  assert_int_equal(b.rc, ART_ESRCH);
  assert_false(art_is_alive(sys, pid));
  assert_int_equal(art_system_shutdown(sys, it_timeout_ms(IT_WAIT_MS)), 0);
  it_destroy(sys, &ta);
  assert_int_equal(s.count, 0);
  assert_int_equal(s.reason.kind, ART_EXIT_NORMAL);
  pthread_mutex_destroy(&s.lock);
}

/* BLOCK from an actor degrades to ART_EAGAIN: a worker never waits. */
static void test_block_from_actor(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  sink full, sender;
  art_pid pid = spawn_sink(sys, &full, 1, ART_OVERFLOW_BLOCK);
  art_pid from = spawn_sink(sys, &sender, 0, ART_OVERFLOW_ERROR);
  assert_int_equal(art_send(sys, pid, M_GATE, NULL, 0), 0);
  assert_true(ART_WAIT_UNTIL(atomic_load(&full.blocked), IT_WAIT_MS));
  assert_int_equal(art_send(sys, pid, M_DATA, NULL, 0), 0); /* full now */
  pthread_mutex_lock(&sender.lock);
  sender.send_rc = 1;
  pthread_mutex_unlock(&sender.lock);
  assert_int_equal(art_send(sys, from, M_SEND_TO, &pid, sizeof pid), 0);
  assert_true(ART_WAIT_UNTIL(sink_get(&sender, &sender.send_rc) != 1, IT_WAIT_MS));
  assert_int_equal(sink_get(&sender, &sender.send_rc), ART_EAGAIN);
  atomic_store(&full.gate, true);
  assert_true(ART_WAIT_UNTIL(sink_get(&full, &full.count) == 1, IT_WAIT_MS));
  assert_int_equal(art_system_shutdown(sys, it_timeout_ms(IT_WAIT_MS)), 0);
  it_destroy(sys, &ta);
  pthread_mutex_destroy(&full.lock);
  pthread_mutex_destroy(&sender.lock);
}

/* Exit signals are never refused by a full mailbox, whatever the policy: a shutdown signal to a
 * full mailbox is accepted and ends the actor, and so does the system's shutdown. */
static void test_exit_signal_to_full_mailbox(void **unused) {
  (void)unused;
  for (int policy = ART_OVERFLOW_ERROR; policy <= ART_OVERFLOW_BLOCK; policy++) {
    art_test_alloc ta;
    art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
    sink a, b;
    art_pid pa = spawn_sink(sys, &a, 2, (art_overflow)policy);
    art_pid pb = spawn_sink(sys, &b, 1, (art_overflow)policy);
    assert_int_equal(art_send(sys, pa, M_GATE, NULL, 0), 0);
    assert_int_equal(art_send(sys, pb, M_GATE, NULL, 0), 0);
    assert_true(ART_WAIT_UNTIL(atomic_load(&a.blocked) && atomic_load(&b.blocked), IT_WAIT_MS));
    assert_int_equal(art_send(sys, pa, M_DATA, NULL, 0), 0);
    assert_int_equal(art_send(sys, pa, M_DATA, NULL, 0), 0);
    assert_int_equal(art_send(sys, pb, M_DATA, NULL, 0), 0);
    if (policy != ART_OVERFLOW_BLOCK)
      assert_int_equal(art_send(sys, pa, M_DATA, NULL, 0),
                       policy == ART_OVERFLOW_ERROR ? ART_EAGAIN : 0);
    art_exit_reason reason = art_reason_shutdown("full");
    assert_int_equal(art_send_exit(sys, pa, &reason), 0);
    atomic_store(&a.gate, true);
    assert_true(ART_WAIT_UNTIL(!art_is_alive(sys, pa), IT_WAIT_MS));
    /* b, still full, is stopped by the system's shutdown */
    atomic_store(&b.gate, true);
    assert_int_equal(art_system_shutdown(sys, it_timeout_ms(IT_WAIT_MS)), 0);
    it_destroy(sys, &ta);
    assert_int_equal(a.reason.kind, ART_EXIT_SHUTDOWN);
    assert_string_equal(a.reason.text, "full");
    assert_int_equal(a.count, 2); /* queued before the signal: handled first */
    assert_int_equal(b.reason.kind, ART_EXIT_SHUTDOWN);
    pthread_mutex_destroy(&a.lock);
    pthread_mutex_destroy(&b.lock);
  }
}

/* A full mailbox whose actor is held: the system's shutdown still signals it. */
static void test_shutdown_with_full_mailbox(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  sink s;
  art_pid pid = spawn_sink(sys, &s, 1, ART_OVERFLOW_ERROR);
  assert_int_equal(art_send(sys, pid, M_GATE, NULL, 0), 0);
  assert_true(ART_WAIT_UNTIL(atomic_load(&s.blocked), IT_WAIT_MS));
  assert_int_equal(art_send(sys, pid, M_DATA, NULL, 0), 0);
  assert_int_equal(art_send(sys, pid, M_DATA, NULL, 0), ART_EAGAIN);
  atomic_store(&s.gate, true);
  assert_int_equal(art_system_shutdown(sys, it_timeout_ms(IT_WAIT_MS)), 0);
  it_destroy(sys, &ta);
  assert_int_equal(s.post_stop_calls, 1);
  assert_true(s.reason.kind == ART_EXIT_SHUTDOWN);
  pthread_mutex_destroy(&s.lock);
}

/* ---- dead letters -------------------------------------------------------------------------- */

/* The hook sees every dead letter with sender, target and type: sends to stale pids (from a
 * thread and from an actor), and the messages left queued when an actor exits (their moved
 * payloads are freed once). */
static void test_dead_letter_hook(void **unused) {
  (void)unused;
  atomic_store(&frees, 0);
  svc_letters letters;
  svc_letters_init(&letters);
  art_test_alloc ta;
  art_system *sys = svc_create_deterministic(&ta, svc_letters_hook, &letters);
  sink gone, sender, queued;
  art_pid g = spawn_sink(sys, &gone, 0, ART_OVERFLOW_ERROR);
  art_pid from = spawn_sink(sys, &sender, 0, ART_OVERFLOW_ERROR);
  art_pid q = spawn_sink(sys, &queued, 0, ART_OVERFLOW_ERROR);
  assert_int_equal(art_send(sys, g, M_STOP, NULL, 0), 0);
  art_system_run(sys);
  assert_int_equal(letters.count, 0);

  assert_int_equal(art_send(sys, g, M_DATA + 1, NULL, 0), ART_ESRCH);
  assert_int_equal(letters.count, 1);
  assert_int_equal(art_send(sys, from, M_SEND_TO, &g, sizeof g), 0);
  art_system_run(sys);
  assert_int_equal(sender.send_rc, ART_ESRCH);
  assert_int_equal(letters.count, 2);

  assert_int_equal(art_send(sys, q, M_STOP, NULL, 0), 0);
  assert_int_equal(art_send(sys, q, M_DATA + 2, NULL, 0), 0);
  assert_int_equal(art_send_ptr(sys, q, M_DATA + 3, moved_payload(), 32, count_free), 0);
  assert_int_equal(art_send(sys, q, M_DATA + 4, "payload of 24 bytes.....", 24), 0);
  art_system_run(sys);
  assert_false(art_is_alive(sys, q));
  assert_int_equal(atomic_load(&frees), 1);
  assert_int_equal(letters.count, 5);
  assert_int_equal(it_stats(sys).dead_letters, 5);
  const art_dead_letter want[] = {
      {ART_PID_NONE, g, M_DATA + 1}, {from, g, M_DATA},
      {ART_PID_NONE, q, M_DATA + 2}, {ART_PID_NONE, q, M_DATA + 3},
      {ART_PID_NONE, q, M_DATA + 4},
  };
  for (int i = 0; i < 5; i++) {
    assert_int_equal(letters.items[i].sender, want[i].sender);
    assert_int_equal(letters.items[i].target, want[i].target);
    assert_int_equal(letters.items[i].type, want[i].type);
  }
  it_destroy(sys, &ta);
  assert_int_equal(queued.count, 0);
  assert_int_equal(atomic_load(&frees), 1);
  svc_letters_fini(&letters);
  pthread_mutex_destroy(&gone.lock);
  pthread_mutex_destroy(&sender.lock);
  pthread_mutex_destroy(&queued.lock);
}

typedef struct stream_sender {
  art_system *sys;
  art_pid to;
  int index, failures;
} stream_sender;

static void *stream_sender_main(void *arg) {
  stream_sender *s = arg;
  for (int i = 0; i < 50; i++) {
    int v[2] = {s->index, i};
    if (art_send(s->sys, s->to, M_DATA + 1, v, sizeof v) != 0)
      s->failures++;
  }
  return NULL;
}

typedef struct order_check {
  pthread_mutex_t lock;
  int next[3], count, out_of_order;
} order_check;

static int order_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  (void)ctx;
  order_check *o = state;
  int v[2];
  memcpy(v, msg->data, sizeof v);
  pthread_mutex_lock(&o->lock);
  if (v[1] != o->next[v[0]])
    o->out_of_order++;
  o->next[v[0]] = v[1] + 1;
  o->count++;
  pthread_mutex_unlock(&o->lock);
  return 0;
}

static const art_actor_ops order_ops = {.handle = order_handle};

/* Three threads stream into a mailbox of capacity 2 with BLOCK: every message arrives, in
 * each sender's order, none is dropped, and the mailbox never holds more than 2. */
static void test_block_many_senders(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  order_check o;
  memset(&o, 0, sizeof o);
  pthread_mutex_init(&o.lock, NULL);
  art_spawn_opts opts = {
      .ops = &order_ops, .state = &o, .mailbox_capacity = 2, .overflow = ART_OVERFLOW_BLOCK};
  art_pid pid;
  assert_int_equal(art_spawn(sys, &opts, &pid), 0);
  stream_sender senders[3];
  pthread_t threads[3];
  for (int i = 0; i < 3; i++) {
    senders[i] = (stream_sender){.sys = sys, .to = pid, .index = i};
    assert_int_equal(pthread_create(&threads[i], NULL, stream_sender_main, &senders[i]), 0);
  }
  for (int i = 0; i < 3; i++)
    pthread_join(threads[i], NULL);
  assert_true(ART_WAIT_UNTIL(stats_of(sys, pid).processed == 150, IT_WAIT_MS));
  art_mailbox_stats st = stats_of(sys, pid);
  assert_int_equal(st.dropped, 0);
  assert_int_equal(st.enqueued, 150);
  assert_true(st.high_water <= 2);
  assert_int_equal(art_system_shutdown(sys, it_timeout_ms(IT_WAIT_MS)), 0);
  it_destroy(sys, &ta);
  for (int i = 0; i < 3; i++) {
    assert_int_equal(senders[i].failures, 0);
    assert_int_equal(o.next[i], 50);
  }
  assert_int_equal(o.count, 150);
  assert_int_equal(o.out_of_order, 0);
  pthread_mutex_destroy(&o.lock);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_overflow_error),
      cmocka_unit_test(test_overflow_drop),
      cmocka_unit_test(test_stats_exact),
      cmocka_unit_test(test_block_waits_for_room),
      cmocka_unit_test(test_block_then_actor_exits),
      cmocka_unit_test(test_block_from_actor),
      cmocka_unit_test(test_block_many_senders),
      cmocka_unit_test(test_exit_signal_to_full_mailbox),
      cmocka_unit_test(test_shutdown_with_full_mailbox),
      cmocka_unit_test(test_dead_letter_hook),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
