/*
 * System shutdown, wait and destroy: with busy actors, with actors that ignore the shutdown,
 * in reverse spawn order, from the wrong thread, twice, and without an explicit shutdown.
 */
#include "integration.h"

static uint64_t test_seed;

enum { MSG_WORK = 1, MSG_BLOCK, MSG_STOP, MSG_CALL_SYSTEM, MSG_SELF_LOOP };

/* What every actor of this file records. */
typedef struct tally {
  pthread_mutex_t lock;
  atomic_bool gate;    /* MSG_BLOCK waits for it */
  atomic_bool blocked; /* MSG_BLOCK's handler runs */
  int post_stops, exit_msgs, gate_timeouts, pre_starts;
  int kinds[ART_EXIT_HEALTH_CHECK_FAILED + 1]; /* post_stop reasons by kind */
  art_exit_msg last_exit_msg;
  int order[64]; /* indexes in post_stop order */
  int norder;
  int spawn_in_exit_rc;           /* art_spawn from the handler of an EXIT message (1: not tried) */
  int shutdown_rc[3], wait_rc[3]; /* from pre_start, handle, post_stop */
  atomic_uint_fast64_t moved_allocs, moved_frees, handled;
  bool calls_system;  /* call art_system_shutdown/wait from every callback */
  bool spawn_on_exit; /* try to spawn when the shutdown EXIT message comes */
} tally;

static tally *moved_tally; /* the tally of the test that moves payloads */
static const art_actor_ops worker_ops;

static void tally_init(tally *t) {
  memset(t, 0, sizeof *t);
  pthread_mutex_init(&t->lock, NULL);
  atomic_init(&t->gate, false);
  atomic_init(&t->blocked, false);
  atomic_init(&t->moved_allocs, 0);
  atomic_init(&t->moved_frees, 0);
  atomic_init(&t->handled, 0);
  for (int i = 0; i < 3; i++)
    t->shutdown_rc[i] = t->wait_rc[i] = 1; /* "not called" */
}

static void tally_fini(tally *t) {
  pthread_mutex_destroy(&t->lock);
}

static int tally_get(tally *t, const int *field) {
  pthread_mutex_lock(&t->lock);
  int value = *field;
  pthread_mutex_unlock(&t->lock);
  return value;
}

typedef struct worker_state {
  tally *t;
  int index;
  art_test_rng rng;
  const art_pid *peers; /* for the flood */
  uint32_t npeers;
} worker_state;

typedef struct worker_args {
  tally *t;
  int index;
  const art_pid *peers;
  uint32_t npeers;
} worker_args;

static void call_system(tally *t, art_ctx *ctx, int where) {
  art_system *sys = art_ctx_system(ctx);
  int shutdown_rc = art_system_shutdown(sys, 0);
  int wait_rc = art_system_wait(sys, 0);
  pthread_mutex_lock(&t->lock);
  t->shutdown_rc[where] = shutdown_rc;
  t->wait_rc[where] = wait_rc;
  pthread_mutex_unlock(&t->lock);
}

static int worker_pre_start(art_ctx *ctx, void *state, void *args) {
  worker_args *a = args;
  worker_state *s = state;
  s->t = a->t;
  s->index = a->index;
  s->peers = a->peers;
  s->npeers = a->npeers;
  art_test_rng_init(&s->rng, test_seed + (uint64_t)a->index);
  pthread_mutex_lock(&s->t->lock);
  s->t->pre_starts++;
  pthread_mutex_unlock(&s->t->lock);
  if (s->t->calls_system)
    call_system(s->t, ctx, 0);
  return 0;
}

static void moved_free(void *data) {
  atomic_fetch_add(&moved_tally->moved_frees, 1);
  free(data);
}

/* One message in, one message out to a random peer: copied inline, copied large or moved. */
static void flood(art_ctx *ctx, worker_state *s) {
  if (s->npeers == 0)
    return;
  art_system *sys = art_ctx_system(ctx);
  art_pid to = s->peers[art_test_rng_below(&s->rng, s->npeers)];
  unsigned char buf[200];
  memset(buf, s->index, sizeof buf);
  switch (art_test_rng_below(&s->rng, 3)) {
  case 0:
    art_send(sys, to, MSG_WORK, buf, 8); /* fails with ART_ESRCH once peers exit */
    break;
  case 1:
    art_send(sys, to, MSG_WORK, buf, sizeof buf);
    break;
  default: {
    void *data = malloc(64);
    if (!data)
      break;
    atomic_fetch_add(&s->t->moved_allocs, 1);
    if (art_send_ptr(sys, to, MSG_WORK, data, 64, moved_free) != 0)
      moved_free(data); /* still ours */
    break;
  }
  }
}

static int worker_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  worker_state *s = state;
  tally *t = s->t;
  atomic_fetch_add(&t->handled, 1);
  switch (msg->type) {
  case MSG_WORK:
    flood(ctx, s);
    return 0;
  case MSG_BLOCK:
    atomic_store(&t->blocked, true);
    if (!it_actor_wait_flag(&t->gate)) {
      pthread_mutex_lock(&t->lock);
      t->gate_timeouts++;
      pthread_mutex_unlock(&t->lock);
    }
    return 0;
  case MSG_STOP:
    return ART_STOP;
  case MSG_CALL_SYSTEM:
    call_system(t, ctx, 1);
    return 0;
  case MSG_SELF_LOOP: {
    uint32_t left = 0;
    memcpy(&left, msg->data, sizeof left);
    if (left == 0)
      return ART_STOP;
    left--;
    return art_send(art_ctx_system(ctx), art_self(ctx), MSG_SELF_LOOP, &left, sizeof left);
  }
  case ART_MSG_EXIT: {
    int spawn_rc = 1;
    if (t->spawn_on_exit) {
      worker_args a = {.t = t, .index = 63};
      art_spawn_opts o = {.ops = &worker_ops, .state_size = sizeof(worker_state), .args = &a};
      spawn_rc = art_spawn(art_ctx_system(ctx), &o, NULL);
    }
    pthread_mutex_lock(&t->lock);
    t->exit_msgs++;
    memcpy(&t->last_exit_msg, msg->data, sizeof t->last_exit_msg);
    t->spawn_in_exit_rc = spawn_rc;
    pthread_mutex_unlock(&t->lock);
    return 0; /* ignored */
  }
  default:
    return 0;
  }
}

static void worker_post_stop(art_ctx *ctx, void *state, const art_exit_reason *reason) {
  worker_state *s = state;
  tally *t = s->t;
  if (t->calls_system)
    call_system(t, ctx, 2);
  pthread_mutex_lock(&t->lock);
  t->post_stops++;
  if ((unsigned)reason->kind <= ART_EXIT_HEALTH_CHECK_FAILED)
    t->kinds[reason->kind]++;
  if (t->norder < 64)
    t->order[t->norder++] = s->index;
  pthread_mutex_unlock(&t->lock);
}

static const art_actor_ops worker_ops = {
    .pre_start = worker_pre_start, .handle = worker_handle, .post_stop = worker_post_stop};

static art_pid spawn_worker(art_system *sys, tally *t, int index, uint32_t flags,
                            const art_pid *peers, uint32_t npeers) {
  worker_args a = {.t = t, .index = index, .peers = peers, .npeers = npeers};
  art_spawn_opts o = {
      .ops = &worker_ops, .state_size = sizeof(worker_state), .args = &a, .flags = flags};
  art_pid pid = ART_PID_NONE;
  assert_int_equal(art_spawn(sys, &o, &pid), 0);
  return pid;
}

static int64_t elapsed_ms(int64_t start_ns) {
  return (art_now_monotonic() - start_ns) / 1000000;
}

/* ---- busy systems ------------------------------------------------------------------------------
 */

/* 64 actors flood each other (copied and moved payloads); shutdown stops them all with reason
 * shutdown, frees every payload once and leaks nothing. */
static void test_shutdown_busy(void **unused) {
  (void)unused;
  enum { ACTORS = 64, SEEDS = 2000 };
  const int pools[] = {IT_POOL_DEFAULT, IT_POOL_ON, IT_POOL_OFF};
  for (int k = 0; k < 3; k++) {
    art_test_alloc ta;
    art_system *sys = it_create(&ta, 2, pools[k]);
    tally t;
    tally_init(&t);
    moved_tally = &t;
    static art_pid peers[ACTORS];
    for (int i = 0; i < ACTORS; i++)
      peers[i] = spawn_worker(sys, &t, i, 0, peers, ACTORS);
    unsigned char byte = 1;
    for (int i = 0; i < SEEDS; i++)
      assert_int_equal(art_send(sys, peers[i % ACTORS], MSG_WORK, &byte, 1), 0);
    assert_true(ART_WAIT_UNTIL(atomic_load(&t.handled) > 50000, IT_WAIT_MS));
    assert_int_equal(it_stats(sys).actors_alive, ACTORS);
    assert_int_equal(art_system_shutdown(sys, it_timeout_ms(IT_WAIT_MS)), 0);
    assert_int_equal(it_stats(sys).actors_alive, 0);
    it_destroy(sys, &ta);
    assert_int_equal(t.post_stops, ACTORS);
    assert_int_equal(t.kinds[ART_EXIT_SHUTDOWN], ACTORS);
    assert_int_equal(atomic_load(&t.moved_frees), atomic_load(&t.moved_allocs));
    assert_true(atomic_load(&t.moved_allocs) > 0);
    tally_fini(&t);
  }
}

/* A trapping actor that ignores the shutdown EXIT message is killed once the timeout has
 * passed, and shutdown still returns 0; an ordinary actor beside it exits with shutdown. While
 * the system stops, spawns fail with ART_ESHUTDOWN. */
static void test_ignored_shutdown_is_killed(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  tally stubborn, plain;
  tally_init(&stubborn);
  tally_init(&plain);
  stubborn.spawn_on_exit = true;
  spawn_worker(sys, &stubborn, 0, ART_SPAWN_TRAP_EXIT, NULL, 0);
  spawn_worker(sys, &plain, 1, 0, NULL, 0);
  const art_duration timeout = ART_MSEC(100);
  int64_t start = art_now_monotonic();
  assert_int_equal(art_system_shutdown(sys, timeout), 0);
  assert_true(art_now_monotonic() - start >= timeout);
  art_system_stats st = it_stats(sys);
  assert_int_equal(st.actors_alive, 0);
  assert_int_equal(st.exits_killed, 1);
  assert_int_equal(st.exits_shutdown, 1);
  it_destroy(sys, &ta);
  assert_int_equal(stubborn.exit_msgs, 1);
  assert_int_equal(stubborn.spawn_in_exit_rc, ART_ESHUTDOWN);
  assert_int_equal(stubborn.pre_starts, 1);
  assert_int_equal(stubborn.last_exit_msg.from, ART_PID_NONE);
  assert_int_equal(stubborn.last_exit_msg.reason.kind, ART_EXIT_SHUTDOWN);
  assert_int_equal(stubborn.post_stops, 1);
  assert_int_equal(stubborn.kinds[ART_EXIT_KILLED], 1);
  assert_int_equal(plain.post_stops, 1);
  assert_int_equal(plain.kinds[ART_EXIT_SHUTDOWN], 1);
  tally_fini(&stubborn);
  tally_fini(&plain);
}

/* A handler that never returns even after the kill: shutdown reports ART_ETIMEDOUT, and
 * destroy waits for the handler before it frees anything. */
static void test_stuck_handler_times_out(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  tally t;
  tally_init(&t);
  art_pid pid = spawn_worker(sys, &t, 0, 0, NULL, 0);
  assert_int_equal(art_send(sys, pid, MSG_BLOCK, NULL, 0), 0);
  assert_true(ART_WAIT_UNTIL(atomic_load(&t.blocked), IT_WAIT_MS));
  assert_int_equal(art_system_shutdown(sys, ART_MSEC(10)), ART_ETIMEDOUT);
  assert_true(art_is_alive(sys, pid));
  assert_int_equal(tally_get(&t, &t.post_stops), 0);
  atomic_store(&t.gate, true);
  it_destroy(sys, &ta);
  assert_int_equal(t.gate_timeouts, 0);
  assert_int_equal(t.post_stops, 1);
  tally_fini(&t);
}

/* ---- order --------------------------------------------------------------------------------------
 */

/* With one worker, actors see the shutdown signal, and so exit, in reverse spawn order. */
static void test_shutdown_reverse_spawn_order(void **unused) {
  (void)unused;
  enum { ACTORS = 12 };
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 1, IT_POOL_DEFAULT);
  tally t;
  tally_init(&t);
  art_pid pids[ACTORS];
  for (int i = 0; i < ACTORS; i++)
    pids[i] = spawn_worker(sys, &t, i, 0, NULL, 0);
  /* Stop one in the middle first: the order is about those still alive. */
  assert_int_equal(art_send(sys, pids[5], MSG_STOP, NULL, 0), 0);
  assert_true(ART_WAIT_UNTIL(tally_get(&t, &t.post_stops) == 1, IT_WAIT_MS));
  assert_int_equal(art_system_shutdown(sys, it_timeout_ms(IT_WAIT_MS)), 0);
  it_destroy(sys, &ta);
  assert_int_equal(t.norder, ACTORS);
  assert_int_equal(t.order[0], 5);
  int expected = ACTORS - 1;
  for (int i = 1; i < ACTORS; i++, expected--) {
    if (expected == 5)
      expected--;
    assert_int_equal(t.order[i], expected);
  }
  assert_int_equal(t.kinds[ART_EXIT_SHUTDOWN], ACTORS - 1);
  tally_fini(&t);
}

/* ---- calls from the wrong place -----------------------------------------------------------------
 */

/* art_system_shutdown() and art_system_wait() from pre_start, handle and post_stop return
 * ART_EDEADLK and change nothing. */
static void test_system_calls_from_actor_deadlk(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  tally t;
  tally_init(&t);
  t.calls_system = true;
  art_pid pid = spawn_worker(sys, &t, 0, 0, NULL, 0);
  assert_int_equal(art_send(sys, pid, MSG_CALL_SYSTEM, NULL, 0), 0);
  assert_true(ART_WAIT_UNTIL(atomic_load(&t.handled) == 1, IT_WAIT_MS));
  assert_true(art_is_alive(sys, pid));
  /* Still running: a spawn works. */
  tally other;
  tally_init(&other);
  spawn_worker(sys, &other, 1, 0, NULL, 0);
  assert_int_equal(art_send(sys, pid, MSG_STOP, NULL, 0), 0);
  assert_true(ART_WAIT_UNTIL(tally_get(&t, &t.post_stops) == 1, IT_WAIT_MS));
  assert_int_equal(art_system_shutdown(sys, it_timeout_ms(IT_WAIT_MS)), 0);
  it_destroy(sys, &ta);
  for (int i = 0; i < 3; i++) {
    assert_int_equal(t.shutdown_rc[i], ART_EDEADLK);
    assert_int_equal(t.wait_rc[i], ART_EDEADLK);
  }
  assert_int_equal(other.post_stops, 1);
  assert_int_equal(other.kinds[ART_EXIT_SHUTDOWN], 1);
  tally_fini(&t);
  tally_fini(&other);
}

/* A second shutdown returns 0 at once; spawns afterwards fail with ART_ESHUTDOWN; NULL is
 * ART_EINVAL. */
static void test_after_shutdown(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  tally t;
  tally_init(&t);
  spawn_worker(sys, &t, 0, ART_SPAWN_TRAP_EXIT, NULL, 0); /* makes the first call wait */
  assert_int_equal(art_system_shutdown(sys, ART_MSEC(50)), 0);
  int64_t start = art_now_monotonic();
  assert_int_equal(art_system_shutdown(sys, ART_MSEC(500)), 0);
  assert_int_equal(art_system_shutdown(sys, ART_FOREVER), 0);
  assert_true(elapsed_ms(start) < 400);
  assert_int_equal(art_system_wait(sys, 0), 0);

  worker_args a = {.t = &t, .index = 1};
  art_spawn_opts o = {.ops = &worker_ops, .state_size = sizeof(worker_state), .args = &a};
  art_pid pid = ART_PID_NONE;
  assert_int_equal(art_spawn(sys, &o, &pid), ART_ESHUTDOWN);
  assert_int_equal(art_spawn(sys, &o, NULL), ART_ESHUTDOWN);
  art_system_stats st = it_stats(sys);
  assert_int_equal(st.actors_spawned, 1);
  assert_int_equal(st.actors_alive, 0);
  assert_int_equal(st.workers, 2);
  assert_int_equal(art_system_workers(sys), 2);

  assert_int_equal(art_system_shutdown(NULL, 0), ART_EINVAL);
  assert_int_equal(art_system_wait(NULL, 0), ART_EINVAL);
  assert_int_equal(art_system_stats_get(NULL, &st), ART_EINVAL);
  assert_int_equal(art_system_stats_get(sys, NULL), ART_EINVAL);
  assert_int_equal(art_system_workers(NULL), 0);
  it_destroy(sys, &ta);
  art_system_destroy(NULL);
  assert_int_equal(t.pre_starts, 1);
  assert_int_equal(t.post_stops, 1);
  tally_fini(&t);
}

/* art_system_destroy() without a shutdown stops every actor (reason shutdown) and frees it all,
 * also queued messages. A system that never had actors is freed too. */
static void test_destroy_without_shutdown(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  it_destroy(sys, &ta);

  enum { ACTORS = 10 };
  sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  tally t;
  tally_init(&t);
  moved_tally = &t;
  art_pid pids[ACTORS];
  for (int i = 0; i < ACTORS; i++)
    pids[i] = spawn_worker(sys, &t, i, 0, NULL, 0);
  /* Some messages still queued behind a blocked actor. */
  assert_int_equal(art_send(sys, pids[0], MSG_BLOCK, NULL, 0), 0);
  char big[300] = {0};
  for (int i = 0; i < 5; i++) {
    assert_int_equal(art_send(sys, pids[0], MSG_WORK, big, sizeof big), 0);
    void *data = malloc(32);
    assert_non_null(data);
    atomic_fetch_add(&t.moved_allocs, 1);
    assert_int_equal(art_send_ptr(sys, pids[0], 99, data, 32, moved_free), 0);
  }
  atomic_store(&t.gate, true);
  it_destroy(sys, &ta);
  assert_int_equal(t.post_stops, ACTORS);
  assert_int_equal(t.kinds[ART_EXIT_SHUTDOWN], ACTORS);
  assert_int_equal(atomic_load(&t.moved_frees), 5);
  assert_int_equal(t.gate_timeouts, 0);
  tally_fini(&t);
}

/* ---- art_system_wait ----------------------------------------------------------------------------
 */

static void test_wait(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  assert_int_equal(art_system_wait(sys, 0), 0); /* nothing alive */
  tally t;
  tally_init(&t);
  art_pid pid = spawn_worker(sys, &t, 0, 0, NULL, 0);
  assert_int_equal(art_system_wait(sys, 0), ART_ETIMEDOUT);
  int64_t start = art_now_monotonic();
  assert_int_equal(art_system_wait(sys, ART_MSEC(50)), ART_ETIMEDOUT);
  assert_true(elapsed_ms(start) >= 50);
  assert_true(art_is_alive(sys, pid));

  /* The actor ends by itself after 20,000 messages to itself; wait returns when it does. */
  uint32_t loops = 20000;
  assert_int_equal(art_send(sys, pid, MSG_SELF_LOOP, &loops, sizeof loops), 0);
  start = art_now_monotonic();
  assert_int_equal(art_system_wait(sys, ART_FOREVER), 0);
  assert_false(art_is_alive(sys, pid));
  assert_int_equal(tally_get(&t, &t.post_stops), 1);
  assert_int_equal(art_system_wait(sys, ART_MSEC(10)), 0);
  it_destroy(sys, &ta);
  assert_int_equal(atomic_load(&t.handled), loops + 1);
  assert_int_equal(t.kinds[ART_EXIT_NORMAL], 1);
  tally_fini(&t);
}

int main(int argc, char **argv) {
  test_seed = art_test_seed(argc, argv);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_shutdown_busy),
      cmocka_unit_test(test_ignored_shutdown_is_killed),
      cmocka_unit_test(test_stuck_handler_times_out),
      cmocka_unit_test(test_shutdown_reverse_spawn_order),
      cmocka_unit_test(test_system_calls_from_actor_deadlk),
      cmocka_unit_test(test_after_shutdown),
      cmocka_unit_test(test_destroy_without_shutdown),
      cmocka_unit_test(test_wait),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
