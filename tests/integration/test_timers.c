/*
 * Timers: send_after and send_interval, cancel, the manual clock of deterministic mode
 * (art_clock_advance, art_system_run, art_system_now), dead letters, payload copies and leaks;
 * and one check on the real clock. Everything but the last test runs in deterministic mode, on
 * the test thread, so the recorder below needs no lock.
 */
#include "services.h"

enum {
  T_CANCEL = 1000, /* cancel the timer in rec->cancel_id, record the result */
  T_ADVANCE,       /* call art_clock_advance from inside a handler */
  T_RUN,           /* call art_system_run from inside a handler */
  T_MAX_SEEN = 64,
};

typedef struct seen {
  uint32_t type, size;
  art_pid sender;
  uint64_t correlation;
  int64_t at; /* art_system_now when handled */
  unsigned char data[80];
} seen;

typedef struct recorder {
  art_system *sys;
  int count;
  seen items[T_MAX_SEEN];
  art_timer cancel_id;
  int cancel_rc, advance_rc;
  int64_t run_rc;
  int post_stop_calls;
} recorder;

static int rec_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  recorder *r = state;
  if (r->count < T_MAX_SEEN) {
    seen *s = &r->items[r->count];
    s->type = msg->type;
    s->size = msg->size;
    s->sender = msg->sender;
    s->correlation = msg->correlation;
    s->at = art_system_now(art_ctx_system(ctx));
    if (msg->size)
      memcpy(s->data, msg->data, msg->size < sizeof s->data ? msg->size : sizeof s->data);
  }
  r->count++;
  if (msg->type == T_CANCEL)
    r->cancel_rc = art_timer_cancel(art_ctx_system(ctx), r->cancel_id);
  else if (msg->type == T_ADVANCE)
    r->advance_rc = art_clock_advance(art_ctx_system(ctx), 1);
  else if (msg->type == T_RUN)
    r->run_rc = art_system_run(art_ctx_system(ctx));
  return 0;
}

static void rec_post_stop(art_ctx *ctx, void *state, const art_exit_reason *reason) {
  (void)ctx;
  (void)reason;
  ((recorder *)state)->post_stop_calls++;
}

static const art_actor_ops rec_ops = {.handle = rec_handle, .post_stop = rec_post_stop};

static art_pid spawn_rec(art_system *sys, recorder *r) {
  memset(r, 0, sizeof *r);
  r->sys = sys;
  art_spawn_opts o = {.ops = &rec_ops, .state = r};
  art_pid pid = ART_PID_NONE;
  assert_int_equal(art_spawn(sys, &o, &pid), 0);
  art_system_run(sys);
  return pid;
}

static void assert_seen(const recorder *r, int i, uint32_t type, int64_t at) {
  assert_true(i < r->count);
  assert_int_equal(r->items[i].type, type);
  assert_int_equal(r->items[i].at, at);
  assert_int_equal(r->items[i].sender, ART_PID_NONE);
  assert_int_equal(r->items[i].correlation, 0);
}

/* A one-shot timer fires exactly at its deadline: not one nanosecond before. */
static void test_fires_exactly_at_deadline(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = svc_create_deterministic(&ta, NULL, NULL);
  assert_int_equal(art_system_now(sys), 0);
  recorder r;
  art_pid pid = spawn_rec(sys, &r);
  const art_duration delay = ART_MSEC(5);
  art_timer t = 0;
  assert_int_equal(art_send_after(sys, pid, delay, 7, "abc", 3, &t), 0);
  assert_true(t != 0);
  assert_int_equal(art_clock_advance(sys, delay - 1), 0);
  assert_int_equal(art_system_now(sys), delay - 1);
  assert_int_equal(art_system_run(sys), 0);
  assert_int_equal(r.count, 0);
  assert_int_equal(art_clock_advance(sys, 1), 1);
  assert_int_equal(art_system_now(sys), delay);
  assert_int_equal(r.count, 1);
  assert_seen(&r, 0, 7, delay);
  assert_int_equal(r.items[0].size, 3);
  assert_memory_equal(r.items[0].data, "abc", 3);
  /* a zero delay fires at the next advance, even by 0 */
  assert_int_equal(art_send_after(sys, pid, 0, 8, NULL, 0, NULL), 0);
  assert_int_equal(art_system_run(sys), 0);
  assert_int_equal(r.count, 1);
  assert_int_equal(art_clock_advance(sys, 0), 1);
  assert_int_equal(r.count, 2);
  assert_seen(&r, 1, 8, delay);
  assert_int_equal(r.items[1].size, 0);
  assert_int_equal(art_clock_advance(sys, ART_SEC(100)), 0);
  assert_int_equal(r.count, 2);
  assert_int_equal(art_system_now(sys), delay + ART_SEC(100));
  it_destroy(sys, &ta);
  assert_int_equal(r.post_stop_calls, 1);
}

/* Timers fire in deadline order, equal deadlines in creation order, each at its own time, even
 * when one advance covers them all. */
static void test_order_by_deadline(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = svc_create_deterministic(&ta, NULL, NULL);
  recorder r;
  art_pid pid = spawn_rec(sys, &r);
  const int64_t delays[] = {30, 10, 20, 10, 5, 30, 10};
  for (uint32_t i = 0; i < 7; i++)
    assert_int_equal(art_send_after(sys, pid, ART_USEC(delays[i]), 10 + i, NULL, 0, NULL), 0);
  assert_int_equal(art_clock_advance(sys, ART_USEC(100)), 7);
  assert_int_equal(r.count, 7);
  const uint32_t want_type[] = {14, 11, 13, 16, 12, 10, 15};
  const int64_t want_at[] = {5, 10, 10, 10, 20, 30, 30};
  for (int i = 0; i < 7; i++)
    assert_seen(&r, i, want_type[i], ART_USEC(want_at[i]));
  it_destroy(sys, &ta);
}

/* A periodic timer fires every interval; one advance over ten intervals delivers ten messages,
 * each at its time and in order with the other timers. Cancel stops it. */
static void test_periodic(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = svc_create_deterministic(&ta, NULL, NULL);
  recorder r;
  art_pid pid = spawn_rec(sys, &r);
  art_timer periodic = 0;
  const char tick[] = "tick";
  assert_int_equal(
      art_send_interval(sys, pid, ART_MSEC(5), ART_MSEC(10), 9, tick, sizeof tick, &periodic), 0);
  assert_int_equal(art_send_after(sys, pid, ART_MSEC(37), 20, NULL, 0, NULL), 0);
  assert_int_equal(art_send_after(sys, pid, ART_MSEC(45), 21, NULL, 0, NULL), 0); /* ties */
  assert_int_equal(art_clock_advance(sys, ART_MSEC(4)), 0);
  assert_int_equal(art_clock_advance(sys, ART_MSEC(91)), 12); /* 5, 15, ..., 95 and two */
  assert_int_equal(r.count, 12);
  int k = 0;
  for (int i = 0; i < 12; i++) {
    if (r.items[i].type == 20) {
      assert_seen(&r, i, 20, ART_MSEC(37));
      assert_int_equal(i, 4); /* after 5, 15, 25, 35 */
    } else if (r.items[i].type == 21) {
      assert_seen(&r, i, 21, ART_MSEC(45));
      assert_int_equal(i, 6); /* after the periodic one at 45, created before it */
    } else {
      assert_seen(&r, i, 9, ART_MSEC(5 + 10 * k));
      assert_int_equal(r.items[i].size, sizeof tick);
      assert_memory_equal(r.items[i].data, tick, sizeof tick);
      k++;
    }
  }
  assert_int_equal(k, 10);
  /* A periodic timer stays cancellable after it fired; then it stops. */
  assert_int_equal(art_timer_cancel(sys, periodic), 0);
  assert_int_equal(art_clock_advance(sys, ART_MSEC(100)), 0);
  assert_int_equal(r.count, 12);
  assert_int_equal(art_timer_cancel(sys, periodic), ART_ENOENT);
  it_destroy(sys, &ta);
}

/* Cancel before the deadline: 0, never delivered, a second cancel is ART_ENOENT. Cancel after
 * delivery: ART_ENOENT. Unknown handles: ART_ENOENT. */
static void test_cancel(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = svc_create_deterministic(&ta, NULL, NULL);
  recorder r;
  art_pid pid = spawn_rec(sys, &r);
  art_timer early = 0, late = 0;
  assert_int_equal(art_send_after(sys, pid, ART_MSEC(10), 1, NULL, 0, &early), 0);
  assert_int_equal(art_send_after(sys, pid, ART_MSEC(10), 2, NULL, 0, &late), 0);
  assert_true(early != late);
  assert_int_equal(art_clock_advance(sys, ART_MSEC(9)), 0);
  assert_int_equal(art_timer_cancel(sys, early), 0);
  assert_int_equal(art_timer_cancel(sys, early), ART_ENOENT);
  assert_int_equal(art_clock_advance(sys, ART_MSEC(1)), 1);
  assert_int_equal(r.count, 1);
  assert_seen(&r, 0, 2, ART_MSEC(10));
  assert_int_equal(art_timer_cancel(sys, late), ART_ENOENT); /* delivered */
  assert_int_equal(art_timer_cancel(sys, 0), ART_ENOENT);
  assert_int_equal(art_timer_cancel(sys, late + 1000), ART_ENOENT);
  assert_int_equal(art_clock_advance(sys, ART_SEC(1)), 0);
  assert_int_equal(r.count, 1);
  it_destroy(sys, &ta);
}

/* A timer that has fired (its message is queued) but whose message has not been handled yet
 * can still be cancelled: cancel returns 0 and the message is not delivered. The cancel runs in
 * the handler of an earlier message, queued by a timer with the same deadline created first:
 * both fire in one step, before the actor runs. Same for a periodic timer. */
static void test_cancel_after_fire_before_delivery(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = svc_create_deterministic(&ta, NULL, NULL);
  recorder r;
  art_pid pid = spawn_rec(sys, &r);
  art_timer canceller = 0, victim = 0;
  assert_int_equal(art_send_after(sys, pid, ART_MSEC(10), T_CANCEL, NULL, 0, &canceller), 0);
  assert_int_equal(art_send_after(sys, pid, ART_MSEC(10), 3, "x", 1, &victim), 0);
  r.cancel_id = victim;
  assert_int_equal(art_clock_advance(sys, ART_MSEC(10)), 2); /* both fired */
  assert_int_equal(r.count, 1);
  assert_seen(&r, 0, T_CANCEL, ART_MSEC(10));
  assert_int_equal(r.cancel_rc, 0);
  assert_int_equal(art_timer_cancel(sys, victim), ART_ENOENT);

  /* periodic */
  art_timer periodic = 0;
  assert_int_equal(art_send_after(sys, pid, ART_MSEC(10), T_CANCEL, NULL, 0, &canceller), 0);
  assert_int_equal(art_send_interval(sys, pid, ART_MSEC(10), ART_MSEC(10), 4, NULL, 0, &periodic),
                   0);
  r.cancel_id = periodic;
  r.cancel_rc = 1;
  assert_int_equal(art_clock_advance(sys, ART_MSEC(30)), 2);
  assert_int_equal(r.count, 2);
  assert_seen(&r, 1, T_CANCEL, ART_MSEC(20));
  assert_int_equal(r.cancel_rc, 0);
  it_destroy(sys, &ta);
}

/* A timer whose target is gone when it fires is a dead letter (seen by the hook, with the
 * message's type); a periodic one stops. Nothing leaks. */
static void test_timer_to_dead_actor(void **unused) {
  (void)unused;
  svc_letters letters;
  svc_letters_init(&letters);
  art_test_alloc ta;
  art_system *sys = svc_create_deterministic(&ta, svc_letters_hook, &letters);
  recorder r;
  art_pid pid = spawn_rec(sys, &r);
  char big[100];
  memset(big, 'b', sizeof big);
  assert_int_equal(art_send_after(sys, pid, ART_MSEC(10), 31, big, sizeof big, NULL), 0);
  assert_int_equal(art_send_interval(sys, pid, ART_MSEC(10), ART_MSEC(10), 32, NULL, 0, NULL), 0);
  art_exit_reason shutdown = art_reason_shutdown(NULL);
  assert_int_equal(art_send_exit(sys, pid, &shutdown), 0);
  art_system_run(sys);
  assert_false(art_is_alive(sys, pid));
  assert_int_equal(r.post_stop_calls, 1);
  /* a timer set after the exit, to the stale pid, is accepted and becomes a dead letter too */
  assert_int_equal(art_send_after(sys, pid, ART_MSEC(5), 33, NULL, 0, NULL), 0);
  assert_int_equal(letters.count, 0);
  assert_int_equal(art_clock_advance(sys, ART_MSEC(10)), 3);
  assert_int_equal(art_clock_advance(sys, ART_MSEC(100)), 0); /* the periodic one stopped */
  assert_int_equal(r.count, 0);
  assert_int_equal(letters.count, 3);
  assert_int_equal(it_stats(sys).dead_letters, 3);
  const uint32_t want[] = {33, 31, 32};
  for (int i = 0; i < 3; i++) {
    assert_int_equal(letters.items[i].sender, ART_PID_NONE);
    assert_int_equal(letters.items[i].target, pid);
    assert_int_equal(letters.items[i].type, want[i]);
  }
  it_destroy(sys, &ta);
  svc_letters_fini(&letters);
}

/* Timers still pending when the system is destroyed are freed (one-shot, periodic, with large
 * payloads, to living and to dead actors). */
static void test_pending_timers_freed(void **unused) {
  (void)unused;
  for (int det = 0; det < 2; det++) {
    art_test_alloc ta;
    art_system *sys =
        det ? svc_create_deterministic(&ta, NULL, NULL) : it_create(&ta, 2, IT_POOL_DEFAULT);
    svc_probe p;
    svc_probe_init(&p);
    art_pid pid = svc_spawn_probe(sys, &p, 0);
    char big[4096];
    memset(big, 'z', sizeof big);
    for (int i = 0; i < 50; i++) {
      assert_int_equal(art_send_after(sys, pid, ART_SEC(100 + i), SVC_USER, big, sizeof big, NULL),
                       0);
      assert_int_equal(
          art_send_interval(sys, pid, ART_SEC(100), ART_SEC(1), SVC_USER, "p", 1, NULL), 0);
      assert_int_equal(art_send_after(sys, pid + 12345, ART_SEC(200), SVC_USER, NULL, 0, NULL), 0);
    }
    if (det)
      assert_int_equal(art_clock_advance(sys, ART_SEC(1)), 0);
    assert_true(art_test_alloc_live(&ta) > 0);
    it_destroy(sys, &ta);
    assert_int_equal(p.others, 0);
    svc_probe_fini(&p);
  }
}

/* The payload is copied at creation: changing the caller's buffer afterwards changes nothing,
 * for an inline-sized and a large payload, one-shot and periodic. */
static void test_payload_copied(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = svc_create_deterministic(&ta, NULL, NULL);
  recorder r;
  art_pid pid = spawn_rec(sys, &r);
  char small[8] = "small";
  char large[64];
  for (int i = 0; i < 64; i++)
    large[i] = (char)('A' + i % 26);
  char expect[64];
  memcpy(expect, large, sizeof large);
  assert_int_equal(art_send_after(sys, pid, ART_MSEC(1), 1, small, sizeof small, NULL), 0);
  assert_int_equal(art_send_after(sys, pid, ART_MSEC(2), 2, large, sizeof large, NULL), 0);
  art_timer periodic;
  assert_int_equal(
      art_send_interval(sys, pid, ART_MSEC(3), ART_MSEC(1), 3, large, sizeof large, &periodic), 0);
  memset(small, '!', sizeof small);
  memset(large, '?', sizeof large);
  assert_int_equal(art_clock_advance(sys, ART_MSEC(4)), 4);
  assert_int_equal(r.count, 4);
  assert_int_equal(r.items[0].size, 8);
  assert_string_equal((char *)r.items[0].data, "small");
  for (int i = 1; i < 4; i++) {
    assert_int_equal(r.items[i].size, 64);
    assert_memory_equal(r.items[i].data, expect, 64);
  }
  assert_int_equal(art_timer_cancel(sys, periodic), 0);
  it_destroy(sys, &ta);
}

/* Argument errors, the driving functions called from an actor or on a system with workers, and
 * a stopped system. */
static void test_timer_errors(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = svc_create_deterministic(&ta, NULL, NULL);
  recorder r;
  art_pid pid = spawn_rec(sys, &r);
  art_timer t = 77;
  assert_int_equal(art_send_after(NULL, pid, 1, 1, NULL, 0, &t), ART_EINVAL);
  assert_int_equal(art_send_after(sys, pid, -1, 1, NULL, 0, &t), ART_EINVAL);
  assert_int_equal(art_send_after(sys, pid, 1, ART_MSG_RESERVED, NULL, 0, &t), ART_EINVAL);
  assert_int_equal(art_send_after(sys, pid, 1, ART_MSG_EXIT, NULL, 0, &t), ART_EINVAL);
  assert_int_equal(art_send_after(sys, pid, 1, 1, NULL, 5, &t), ART_EINVAL);
  assert_int_equal(art_send_interval(sys, pid, 1, 0, 1, NULL, 0, &t), ART_EINVAL);
  assert_int_equal(art_send_interval(sys, pid, 1, -5, 1, NULL, 0, &t), ART_EINVAL);
  assert_int_equal(art_send_interval(sys, pid, -1, 5, 1, NULL, 0, &t), ART_EINVAL);
  assert_int_equal(art_send_interval(sys, pid, 1, 5, ART_MSG_RESERVED + 7, NULL, 0, &t),
                   ART_EINVAL);
  assert_int_equal(art_send_interval(NULL, pid, 1, 5, 1, NULL, 0, &t), ART_EINVAL);
  assert_int_equal(t, 77); /* untouched on failure */
  assert_int_equal(art_timer_cancel(NULL, 1), ART_EINVAL);
  assert_int_equal(art_clock_advance(sys, -1), ART_EINVAL);
  assert_int_equal(art_clock_advance(NULL, 1), ART_EINVAL);
  assert_int_equal(art_system_run(NULL), ART_EINVAL);
  assert_int_equal(art_clock_advance(sys, ART_SEC(1)), 0); /* none of them was created */
  assert_int_equal(r.count, 0);
  /* From an actor, driving the system would deadlock. */
  assert_int_equal(art_send(sys, pid, T_ADVANCE, NULL, 0), 0);
  assert_int_equal(art_send(sys, pid, T_RUN, NULL, 0), 0);
  assert_int_equal(art_system_run(sys), 1);
  assert_int_equal(r.count, 2);
  assert_int_equal(r.advance_rc, ART_EDEADLK);
  assert_int_equal(r.run_rc, ART_EDEADLK);
  assert_int_equal(art_system_now(sys), ART_SEC(1));
  assert_int_equal(art_system_shutdown(sys, ART_SEC(1)), 0);
  assert_int_equal(art_send_after(sys, pid, 1, 1, NULL, 0, &t), ART_ESHUTDOWN);
  assert_int_equal(art_send_interval(sys, pid, 1, 1, 1, NULL, 0, &t), ART_ESHUTDOWN);
  it_destroy(sys, &ta);

  /* With worker threads there is no manual clock to drive. */
  art_system *real = it_create(&ta, 2, IT_POOL_DEFAULT);
  assert_int_equal(art_clock_advance(real, 1), ART_EINVAL);
  assert_int_equal(art_system_run(real), ART_EINVAL);
  it_destroy(real, &ta);
}

/* ---- the real clock ---------------------------------------------------------------------- */

typedef struct arrival {
  atomic_int count;
  atomic_int_least64_t at;
  atomic_int wrong;
} arrival;

static int arrival_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  (void)ctx;
  arrival *a = state;
  if (msg->type == 5 && msg->size == 2 && memcmp(msg->data, "hi", 2) == 0)
    atomic_store(&a->at, art_now_monotonic());
  else
    atomic_fetch_add(&a->wrong, 1);
  atomic_fetch_add(&a->count, 1);
  return 0;
}

static const art_actor_ops arrival_ops = {.handle = arrival_handle};

static art_pid spawn_arrival(art_system *sys, arrival *a) {
  atomic_init(&a->count, 0);
  atomic_init(&a->at, 0);
  atomic_init(&a->wrong, 0);
  art_spawn_opts o = {.ops = &arrival_ops, .state = a};
  art_pid pid;
  assert_int_equal(art_spawn(sys, &o, &pid), 0);
  return pid;
}

/* With worker threads: a 20 ms timer arrives, not before 20 ms; a 10 s timer is cancelled
 * (and so never delivered; the system is destroyed well before it would fire). */
static void test_real_clock(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  arrival a;
  art_pid pid = spawn_arrival(sys, &a);
  int64_t now = art_system_now(sys);
  int64_t mono = art_now_monotonic();
  assert_true(now > 0 && now <= mono);
  art_timer slow = 0;
  assert_int_equal(art_send_after(sys, pid, ART_SEC(10), 6, NULL, 0, &slow), 0);
  int64_t start = art_now_monotonic();
  assert_int_equal(art_send_after(sys, pid, ART_MSEC(20), 5, "hi", 2, NULL), 0);
  assert_true(ART_WAIT_UNTIL(atomic_load(&a.count) == 1, IT_WAIT_MS));
  assert_true(atomic_load(&a.at) - start >= ART_MSEC(20));
  assert_int_equal(atomic_load(&a.wrong), 0);
  assert_int_equal(art_timer_cancel(sys, slow), 0);
  assert_int_equal(art_timer_cancel(sys, slow), ART_ENOENT);
  assert_int_equal(art_system_shutdown(sys, it_timeout_ms(IT_WAIT_MS)), 0);
  it_destroy(sys, &ta);
  assert_int_equal(atomic_load(&a.count), 1);
}

/* The timer thread sleeps until the earliest deadline and is woken only by a timer due before
 * it. After a cancel, it may still sleep until the cancelled deadline: a timer due earlier
 * must wake it (else it would arrive an hour late), and one due later needs no wake-up but
 * must still arrive once the thread has woken for nothing. */
static void test_real_clock_after_cancel(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  arrival a;
  art_pid pid = spawn_arrival(sys, &a);
  art_timer t = 0;
  assert_int_equal(art_send_after(sys, pid, ART_SEC(3600), 6, NULL, 0, &t), 0);
  assert_int_equal(art_timer_cancel(sys, t), 0);
  assert_int_equal(art_send_after(sys, pid, ART_MSEC(20), 5, "hi", 2, NULL), 0);
  assert_true(ART_WAIT_UNTIL(atomic_load(&a.count) == 1, IT_WAIT_MS));
  assert_int_equal(art_send_after(sys, pid, ART_MSEC(10), 6, NULL, 0, &t), 0);
  assert_int_equal(art_timer_cancel(sys, t), 0);
  int64_t start = art_now_monotonic();
  assert_int_equal(art_send_after(sys, pid, ART_MSEC(30), 5, "hi", 2, NULL), 0);
  assert_true(ART_WAIT_UNTIL(atomic_load(&a.count) == 2, IT_WAIT_MS));
  assert_true(atomic_load(&a.at) - start >= ART_MSEC(30));
  assert_int_equal(atomic_load(&a.wrong), 0);
  assert_int_equal(art_system_shutdown(sys, it_timeout_ms(IT_WAIT_MS)), 0);
  it_destroy(sys, &ta);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fires_exactly_at_deadline),
      cmocka_unit_test(test_order_by_deadline),
      cmocka_unit_test(test_periodic),
      cmocka_unit_test(test_cancel),
      cmocka_unit_test(test_cancel_after_fire_before_delivery),
      cmocka_unit_test(test_timer_to_dead_actor),
      cmocka_unit_test(test_pending_timers_freed),
      cmocka_unit_test(test_payload_copied),
      cmocka_unit_test(test_timer_errors),
      cmocka_unit_test(test_real_clock),
      cmocka_unit_test(test_real_clock_after_cancel),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
