/*
 * Restarts beyond OTP: a child's own max_restarts in restart_window (the same outcome as the
 * supervisor's intensity), exponential backoff (the delays, the cap, the jitter's bounds and
 * its replay from a seed, the reset after quiet, the intensity window counting a restart when
 * it is decided, the supervisor answering while a child waits), and OTP 24's significant
 * children with auto_shutdown. Deterministic mode, counting allocator, leak checks.
 */
#include "sup/sup.h"
#include "sup_test.h"

/* ---- per-child restart limits ---------------------------------------------------------- */

/* b may restart twice in 10 s, although the supervisor would allow 100: the third failure
 * ends the supervisor like an exceeded intensity (all stopped in reverse order, the event with
 * the child's window, exit `shutdown`). a's failures do not count against b's limit. */
static void test_child_limit(void **unused) {
  (void)unused;
  art_system *sys = create();
  art_child_spec kids[3] = {worker("a", ART_RESTART_PERMANENT), worker("b", ART_RESTART_PERMANENT),
                            worker("c", ART_RESTART_PERMANENT)};
  kids[1].max_restarts = 2;
  kids[1].restart_window = ART_SEC(10);
  art_sup_spec spec = sup_spec(ART_SUP_ONE_FOR_ONE, 100, ART_SEC(5), kids, 3);
  art_pid sup;
  assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
  for (int i = 0; i < 3; i++)
    tell(sys, sup, "a", CMD_FAIL);
  tell(sys, sup, "b", CMD_FAIL);
  art_clock_advance(sys, ART_SEC(1));
  tell(sys, sup, "b", CMD_FAIL);
  assert_true(art_is_alive(sys, sup));
  g_log[0] = 0;
  tell(sys, sup, "b", CMD_FAIL);
  assert_string_equal(g_log, "-b -c -a");
  assert_false(art_is_alive(sys, sup));
  art_event ev = last_event(sys, ART_EVENT_SUPERVISION_RESTART_LIMIT_EXCEEDED);
  assert_string_equal(ev.child_id, "b");
  assert_int_equal(ev.restart_count, 3);
  assert_int_equal(ev.duration_ns, ART_SEC(10));
  destroy(sys);
}

/* When one restart exceeds both limits at once, the event reports the supervisor's: its count
 * with its window (the count and the window used to come from different limits). */
static void test_both_limits_exceeded(void **unused) {
  (void)unused;
  art_system *sys = create();
  art_child_spec kids[1] = {worker("a", ART_RESTART_PERMANENT)};
  kids[0].max_restarts = 1;
  kids[0].restart_window = ART_SEC(3);
  art_sup_spec spec = sup_spec(ART_SUP_ONE_FOR_ONE, 1, ART_SEC(7), kids, 1);
  art_pid sup;
  assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
  tell(sys, sup, "a", CMD_FAIL);
  tell(sys, sup, "a", CMD_FAIL);
  assert_false(art_is_alive(sys, sup));
  art_event ev = last_event(sys, ART_EVENT_SUPERVISION_RESTART_LIMIT_EXCEEDED);
  assert_int_equal(ev.restart_count, 2);
  assert_int_equal(ev.duration_ns, ART_SEC(7));
  destroy(sys);
}

/* The child's window slides like the supervisor's: a restart exactly one window after the
 * first still sees it; one nanosecond later it does not. */
static void test_child_window_sliding(void **unused) {
  (void)unused;
  for (int late = 0; late < 2; late++) {
    art_system *sys = create();
    art_child_spec kids[1] = {worker("a", ART_RESTART_PERMANENT)};
    kids[0].max_restarts = 1;
    kids[0].restart_window = ART_SEC(1);
    art_sup_spec spec = sup_spec(ART_SUP_ONE_FOR_ONE, 100, ART_SEC(5), kids, 1);
    art_pid sup;
    assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
    tell(sys, sup, "a", CMD_FAIL);
    art_clock_advance(sys, ART_SEC(1) + late);
    tell(sys, sup, "a", CMD_FAIL);
    assert_int_equal(art_is_alive(sys, sup), late == 1);
    destroy(sys);
  }
}

/* ---- backoff ------------------------------------------------------------------------------- */

static art_child_spec backoff_worker(const char *id, art_duration base, art_duration max,
                                     double jitter) {
  art_child_spec c = worker(id, ART_RESTART_PERMANENT);
  c.backoff = (art_backoff){.base = base, .max = max, .jitter = jitter};
  return c;
}

/* Fails a and returns the delay its restart waited (from the child_restarted event), after
 * checking that it waits that long exactly: restarting just before, running at. */
static art_duration fail_and_wait(art_system *sys, art_pid sup, art_duration expected) {
  tell(sys, sup, "a", CMD_FAIL);
  assert_int_equal(info_of(sys, sup, "a").state, ART_CHILD_RESTARTING);
  assert_int_equal(info_of(sys, sup, "a").pid, ART_PID_NONE);
  if (expected > 1) {
    art_clock_advance(sys, expected - 1);
    assert_int_equal(info_of(sys, sup, "a").state, ART_CHILD_RESTARTING);
    art_clock_advance(sys, 1);
  } else {
    art_clock_advance(sys, expected);
  }
  assert_int_equal(info_of(sys, sup, "a").state, ART_CHILD_RUNNING);
  return last_event(sys, ART_EVENT_SUPERVISION_CHILD_RESTARTED).duration_ns;
}

/* base 100 ms doubling, capped at 1 s: 100, 200, 400, 800, 1000, 1000 ms. The supervisor
 * answers which_children while the child waits. */
static void test_backoff_delays(void **unused) {
  (void)unused;
  art_system *sys = create();
  art_child_spec kids[1] = {backoff_worker("a", ART_MSEC(100), ART_SEC(1), 0)};
  art_sup_spec spec = sup_spec(ART_SUP_ONE_FOR_ONE, 100, ART_SEC(60), kids, 1);
  art_pid sup;
  assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
  const int64_t ms[] = {100, 200, 400, 800, 1000, 1000};
  for (size_t i = 0; i < sizeof ms / sizeof *ms; i++)
    assert_int_equal(fail_and_wait(sys, sup, ART_MSEC(ms[i])), ART_MSEC(ms[i]));
  assert_int_equal(info_of(sys, sup, "a").restarts, 6);
  destroy(sys);
}

/* max 0 takes the default cap (60 s): the 11th delay in a row is 100 ms * 2^10 > 60 s. */
static void test_backoff_default_cap(void **unused) {
  (void)unused;
  art_system *sys = create();
  art_child_spec kids[1] = {backoff_worker("a", ART_MSEC(100), 0, 0)};
  art_sup_spec spec = sup_spec(ART_SUP_ONE_FOR_ONE, 100, ART_SEC(1), kids, 1);
  art_pid sup;
  assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
  art_duration d = 0;
  for (int i = 0; i < 11; i++)
    d = fail_and_wait(sys, sup, i < 10 ? ART_MSEC(100) << i : ART_BACKOFF_MAX_DEFAULT);
  assert_int_equal(d, ART_BACKOFF_MAX_DEFAULT);
  destroy(sys);
}

/* After reset_after (default: the cap) of running without failing, the delays start over. */
static void test_backoff_reset(void **unused) {
  (void)unused;
  art_system *sys = create();
  art_child_spec kids[1] = {backoff_worker("a", ART_MSEC(100), ART_SEC(1), 0)};
  kids[0].backoff.reset_after = ART_SEC(2);
  art_sup_spec spec = sup_spec(ART_SUP_ONE_FOR_ONE, 100, ART_SEC(1), kids, 1);
  art_pid sup;
  assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
  fail_and_wait(sys, sup, ART_MSEC(100));
  fail_and_wait(sys, sup, ART_MSEC(200));
  art_clock_advance(sys, ART_SEC(2) - 1); /* not quite quiet long enough */
  fail_and_wait(sys, sup, ART_MSEC(400));
  art_clock_advance(sys, ART_SEC(2));
  fail_and_wait(sys, sup, ART_MSEC(100));
  destroy(sys);
}

/* Jitter moves each delay within [d (1 - j), d (1 + j)], from the system's random numbers:
 * the same seed gives the same delays, another seed others. */
static void jitter_run(uint64_t seed, art_duration *delays, int n) {
  art_system *sys = create_seeded(seed);
  art_child_spec kids[1] = {backoff_worker("a", ART_MSEC(100), ART_MSEC(100), 0.5)};
  art_sup_spec spec = sup_spec(ART_SUP_ONE_FOR_ONE, 1000, ART_SEC(1), kids, 1);
  art_pid sup;
  assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
  for (int i = 0; i < n; i++) {
    tell(sys, sup, "a", CMD_FAIL);
    art_clock_advance(sys, ART_MSEC(150));
    assert_int_equal(info_of(sys, sup, "a").state, ART_CHILD_RUNNING);
    delays[i] = last_event(sys, ART_EVENT_SUPERVISION_CHILD_RESTARTED).duration_ns;
    assert_true(delays[i] >= ART_MSEC(50) && delays[i] <= ART_MSEC(150));
  }
  destroy(sys);
}

static void test_backoff_jitter(void **unused) {
  (void)unused;
  enum { N = 40 };
  art_duration a[N], b[N], c[N];
  jitter_run(7, a, N);
  jitter_run(7, b, N);
  jitter_run(8, c, N);
  assert_memory_equal(a, b, sizeof a);
  assert_memory_not_equal(a, c, sizeof a);
  art_duration lo = a[0], hi = a[0];
  for (int i = 1; i < N; i++) {
    lo = a[i] < lo ? a[i] : lo;
    hi = a[i] > hi ? a[i] : hi;
  }
  assert_true(lo < ART_MSEC(90) && hi > ART_MSEC(110)); /* it does move them, both ways */
}

/* The intensity window counts a delayed restart when it is decided: intensity 1 in 1 s, a
 * failure at 0 (restart waits until 0.1 s), another at 1.05 s is fine (the first left the
 * window at 1 s; counted at 0.1 s it would still be in it). A third at once is one too many. */
static void test_backoff_counted_when_decided(void **unused) {
  (void)unused;
  art_system *sys = create();
  art_child_spec kids[2] = {worker("z", ART_RESTART_PERMANENT),
                            backoff_worker("a", ART_MSEC(100), ART_MSEC(100), 0)};
  art_sup_spec spec = sup_spec(ART_SUP_ONE_FOR_ONE, 1, ART_SEC(1), kids, 2);
  art_pid sup;
  assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
  fail_and_wait(sys, sup, ART_MSEC(100));
  art_clock_advance(sys, ART_MSEC(950));
  fail_and_wait(sys, sup, ART_MSEC(100));
  assert_true(art_is_alive(sys, sup));
  g_log[0] = 0;
  tell(sys, sup, "a", CMD_FAIL);
  assert_false(art_is_alive(sys, sup));
  assert_string_equal(g_log, "-a -z");
  destroy(sys);
}

/* one_for_all with a backoff on the failed child: the others stop at once, all start when the
 * delay is over; a stop of the supervisor meanwhile cancels the pending restart. */
static void test_backoff_one_for_all(void **unused) {
  (void)unused;
  art_system *sys = create();
  art_child_spec kids[3] = {worker("a", ART_RESTART_PERMANENT),
                            backoff_worker("b", ART_MSEC(100), ART_MSEC(100), 0),
                            worker("c", ART_RESTART_PERMANENT)};
  art_sup_spec spec = sup_spec(ART_SUP_ONE_FOR_ALL, 10, ART_SEC(1), kids, 3);
  art_pid sup;
  assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
  g_log[0] = 0;
  tell(sys, sup, "b", CMD_FAIL);
  assert_string_equal(g_log, "-b -c -a");
  art_clock_advance(sys, ART_MSEC(99));
  assert_string_equal(g_log, "-b -c -a");
  art_clock_advance(sys, ART_MSEC(1));
  assert_string_equal(g_log, "-b -c -a +a +b +c");
  tell(sys, sup, "b", CMD_FAIL);
  assert_int_equal(info_of(sys, sup, "b").state, ART_CHILD_RESTARTING);
  assert_int_equal(art_sup_stop(sys, sup, ART_FOREVER), 0);
  art_clock_advance(sys, ART_SEC(1));
  assert_false(art_is_alive(sys, sup));
  destroy(sys);
}

/* An actor that sends the supervisor in its state the messages its timers and its own retries
 * send it, for the first uids (children's uids count from 1). */
static int forger_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  (void)msg;
  art_system *sys = art_ctx_system(ctx);
  art_pid sup = *(const art_pid *)state;
  for (uint64_t uid = 1; uid <= 8; uid++) {
    sup_child_ref ref = {.uid = uid};
    assert_int_equal(art_send(sys, sup, SUP_MSG_BACKOFF, &ref, sizeof ref), 0);
    assert_int_equal(art_send(sys, sup, SUP_MSG_TRY_AGAIN, &uid, sizeof uid), 0);
  }
  return ART_STOP;
}

static const art_actor_ops forger_ops = {.handle = forger_handle};

/* Only the supervisor's timers end a backoff delay: the same message from another actor does
 * not restart the child early (it used to). */
static void test_backoff_forged(void **unused) {
  (void)unused;
  art_system *sys = create();
  art_child_spec kids[2] = {backoff_worker("a", ART_SEC(10), ART_SEC(10), 0),
                            worker("b", ART_RESTART_PERMANENT)};
  art_sup_spec spec = sup_spec(ART_SUP_ONE_FOR_ONE, 10, ART_SEC(60), kids, 2);
  art_pid sup, forger;
  assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
  g_log[0] = 0;
  tell(sys, sup, "a", CMD_FAIL);
  assert_int_equal(art_spawn(sys, &(art_spawn_opts){.ops = &forger_ops, .state = &sup}, &forger),
                   0);
  assert_int_equal(art_send(sys, forger, 1, NULL, 0), 0);
  art_system_run(sys);
  assert_string_equal(g_log, "-a");
  assert_int_equal(info_of(sys, sup, "a").state, ART_CHILD_RESTARTING);
  art_clock_advance(sys, ART_SEC(10));
  assert_string_equal(g_log, "-a +a");
  destroy(sys);
}

/* restart_child and delete_child see a waiting child as restarting (OTP's {error,
 * restarting}); terminate_child cancels its restart. */
static void test_backoff_dynamic_api(void **unused) {
  (void)unused;
  art_system *sys = create();
  art_child_spec kids[1] = {backoff_worker("a", ART_MSEC(100), ART_MSEC(100), 0)};
  art_sup_spec spec = sup_spec(ART_SUP_ONE_FOR_ONE, 10, ART_SEC(1), kids, 1);
  art_pid sup;
  assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
  tell(sys, sup, "a", CMD_FAIL);
  assert_int_equal(art_sup_restart_child(sys, sup, "a", NULL), ART_EAGAIN);
  assert_int_equal(art_sup_delete_child(sys, sup, "a"), ART_EAGAIN);
  assert_int_equal(art_sup_terminate_child(sys, sup, "a"), 0);
  assert_int_equal(info_of(sys, sup, "a").state, ART_CHILD_UNDEFINED);
  art_clock_advance(sys, ART_SEC(1));
  assert_int_equal(info_of(sys, sup, "a").state, ART_CHILD_UNDEFINED);
  assert_int_equal(art_sup_restart_child(sys, sup, "a", NULL), 0);
  assert_int_equal(info_of(sys, sup, "a").state, ART_CHILD_RUNNING);
  destroy(sys);
}

/* ---- significant children and auto_shutdown -------------------------------------------- */

/* any_significant: a significant transient child that ends normally ends the supervisor
 * (the others stopped in reverse order); ending with an error restarts it instead. */
static void test_auto_shutdown_any(void **unused) {
  (void)unused;
  for (int normal = 0; normal < 2; normal++) {
    art_system *sys = create();
    art_child_spec kids[3] = {worker("a", ART_RESTART_PERMANENT),
                              worker("s", ART_RESTART_TRANSIENT),
                              worker("c", ART_RESTART_PERMANENT)};
    kids[1].significant = true;
    art_sup_spec spec = sup_spec(ART_SUP_ONE_FOR_ONE, 10, ART_SEC(1), kids, 3);
    spec.auto_shutdown = ART_AUTO_SHUTDOWN_ANY_SIGNIFICANT;
    art_pid sup;
    assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
    g_log[0] = 0;
    tell(sys, sup, "s", normal ? CMD_NORMAL : CMD_FAIL);
    if (normal) {
      assert_string_equal(g_log, "-s -c -a");
      assert_false(art_is_alive(sys, sup));
    } else {
      assert_string_equal(g_log, "-s +s");
      assert_true(art_is_alive(sys, sup));
    }
    destroy(sys);
  }
}

/* all_significant: only the last running significant child's end counts; a temporary one
 * ends it whatever its reason. A child stopped by terminate_child never triggers it. */
static void test_auto_shutdown_all(void **unused) {
  (void)unused;
  art_system *sys = create();
  art_child_spec kids[3] = {worker("s1", ART_RESTART_TEMPORARY),
                            worker("s2", ART_RESTART_TEMPORARY),
                            worker("s3", ART_RESTART_TRANSIENT)};
  for (int i = 0; i < 3; i++)
    kids[i].significant = true;
  art_sup_spec spec = sup_spec(ART_SUP_ONE_FOR_ONE, 10, ART_SEC(1), kids, 3);
  spec.auto_shutdown = ART_AUTO_SHUTDOWN_ALL_SIGNIFICANT;
  art_pid sup;
  assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
  assert_int_equal(art_sup_terminate_child(sys, sup, "s3"), 0); /* by the supervisor */
  assert_true(art_is_alive(sys, sup));
  tell(sys, sup, "s1", CMD_FAIL);
  assert_true(art_is_alive(sys, sup));
  tell(sys, sup, "s2", CMD_NORMAL);
  assert_false(art_is_alive(sys, sup));
  assert_int_equal(event_count(sys, ART_EVENT_SUPERVISION_RESTART_LIMIT_EXCEEDED), 0);
  destroy(sys);
}

/* A significant child stopped by a sibling's restart (one_for_all) does not trigger
 * auto_shutdown, as in OTP: a temporary one is stopped and forgotten, a transient one is
 * restarted with the others. */
static void test_auto_shutdown_sibling_restart(void **unused) {
  (void)unused;
  for (int policy = ART_RESTART_TRANSIENT; policy <= ART_RESTART_TEMPORARY; policy++) {
    art_system *sys = create();
    art_child_spec kids[2] = {worker("a", ART_RESTART_PERMANENT), worker("s", (art_restart)policy)};
    kids[1].significant = true;
    art_sup_spec spec = sup_spec(ART_SUP_ONE_FOR_ALL, 10, ART_SEC(1), kids, 2);
    spec.auto_shutdown = ART_AUTO_SHUTDOWN_ANY_SIGNIFICANT;
    art_pid sup;
    assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
    g_log[0] = 0;
    tell(sys, sup, "a", CMD_FAIL);
    assert_true(art_is_alive(sys, sup));
    art_sup_counts counts;
    assert_int_equal(art_sup_count_children(sys, sup, &counts), 0);
    if (policy == ART_RESTART_TEMPORARY) {
      assert_string_equal(g_log, "-a -s +a");
      assert_int_equal(counts.specs, 1);
    } else {
      assert_string_equal(g_log, "-a -s +a +s");
      assert_int_equal(counts.active, 2);
    }
    destroy(sys);
  }
}

/* simple_one_for_one with all_significant: the last instance's end. */
static void test_auto_shutdown_simple(void **unused) {
  (void)unused;
  art_system *sys = create();
  art_child_spec tmpl = worker(NULL, ART_RESTART_TEMPORARY);
  tmpl.significant = true;
  art_sup_spec spec = sup_spec(ART_SUP_SIMPLE_ONE_FOR_ONE, 10, ART_SEC(1), &tmpl, 1);
  spec.auto_shutdown = ART_AUTO_SHUTDOWN_ALL_SIGNIFICANT;
  art_pid sup, a, b;
  assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
  assert_int_equal(art_sup_start_simple_child(sys, sup, "a", &a), 0);
  assert_int_equal(art_sup_start_simple_child(sys, sup, "b", &b), 0);
  assert_int_equal(art_send(sys, a, CMD_FAIL, NULL, 0), 0);
  art_system_run(sys);
  assert_true(art_is_alive(sys, sup));
  assert_int_equal(art_send(sys, b, CMD_NORMAL, NULL, 0), 0);
  art_system_run(sys);
  assert_false(art_is_alive(sys, sup));
  destroy(sys);
}

/* OTP's rules: significant only for transient and temporary children, and not under
 * auto_shutdown never (also for a dynamic start_child). */
static void test_significant_validation(void **unused) {
  (void)unused;
  art_system *sys = create();
  art_child_spec kids[1] = {worker("s", ART_RESTART_PERMANENT)};
  kids[0].significant = true;
  art_sup_spec spec = sup_spec(ART_SUP_ONE_FOR_ONE, 10, ART_SEC(1), kids, 1);
  spec.auto_shutdown = ART_AUTO_SHUTDOWN_ANY_SIGNIFICANT;
  art_pid sup;
  assert_int_equal(art_sup_start(sys, &spec, &sup), ART_EINVAL);
  kids[0].restart = ART_RESTART_TRANSIENT;
  spec.auto_shutdown = ART_AUTO_SHUTDOWN_NEVER;
  assert_int_equal(art_sup_start(sys, &spec, &sup), ART_EINVAL);
  spec.auto_shutdown = (art_auto_shutdown)7;
  assert_int_equal(art_sup_start(sys, &spec, &sup), ART_EINVAL);
  spec = sup_spec(ART_SUP_ONE_FOR_ONE, 10, ART_SEC(1), NULL, 0);
  assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
  assert_int_equal(art_sup_start_child(sys, sup, &kids[0], NULL), ART_EINVAL);
  kids[0].significant = false;
  assert_int_equal(art_sup_start_child(sys, sup, &kids[0], NULL), 0);
  destroy(sys);
}

/* Every bad combination of the new fields is refused with ART_EINVAL. */
static void test_spec_validation(void **unused) {
  (void)unused;
  art_system *sys = create();
  art_sup_spec spec = sup_spec(ART_SUP_ONE_FOR_ONE, 10, ART_SEC(1), NULL, 0);
  art_pid sup;
  assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
  art_child_spec bad[] = {
      worker("a", ART_RESTART_PERMANENT), worker("a", ART_RESTART_PERMANENT),
      worker("a", ART_RESTART_PERMANENT), worker("a", ART_RESTART_PERMANENT),
      worker("a", ART_RESTART_PERMANENT), worker("a", ART_RESTART_PERMANENT),
      worker("a", ART_RESTART_PERMANENT), worker("a", ART_RESTART_PERMANENT),
      worker("a", ART_RESTART_PERMANENT), worker("a", ART_RESTART_PERMANENT),
      worker("a", ART_RESTART_PERMANENT), worker("a", ART_RESTART_PERMANENT),
  };
  int k = 0;
  bad[k++].max_restarts = 1; /* without a window */
  bad[k].max_restarts = ART_SUP_INTENSITY_MAX + 1;
  bad[k++].restart_window = ART_SEC(1);
  bad[k++].restart_window = -1;
  bad[k++].backoff.base = -1;
  bad[k].backoff.base = ART_SEC(2);
  bad[k++].backoff.max = ART_SEC(1); /* max below base */
  bad[k].backoff.base = ART_SEC(1);
  bad[k++].backoff.jitter = 1.5;
  bad[k++].backoff.max = ART_SEC(1); /* without a base */
  bad[k++].health.interval = -1;
  bad[k++].health.threshold = 2; /* without an interval */
  bad[k].health.interval = ART_SEC(1);
  bad[k++].health.timeout = -1;
  bad[k++].start_timeout = ART_SEC(1); /* an actor child has no start_timeout */
  static const art_child_ops ops = {0};
  bad[k].type = ART_CHILD_SUPERVISOR; /* a supervisor with custom-child ops */
  bad[k].sup = &spec;
  bad[k++].ops = &ops;
  assert_int_equal(k, (int)(sizeof bad / sizeof *bad));
  for (int i = 0; i < k; i++)
    assert_int_equal(art_sup_start_child(sys, sup, &bad[i], NULL), ART_EINVAL);
  assert_int_equal(art_sup_start_child(sys, sup, NULL, NULL), ART_EINVAL);
  art_sup_counts counts;
  assert_int_equal(art_sup_count_children(sys, sup, &counts), 0);
  assert_int_equal(counts.specs, 0);
  destroy(sys);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_child_limit),
      cmocka_unit_test(test_both_limits_exceeded),
      cmocka_unit_test(test_child_window_sliding),
      cmocka_unit_test(test_backoff_delays),
      cmocka_unit_test(test_backoff_default_cap),
      cmocka_unit_test(test_backoff_reset),
      cmocka_unit_test(test_backoff_jitter),
      cmocka_unit_test(test_backoff_counted_when_decided),
      cmocka_unit_test(test_backoff_one_for_all),
      cmocka_unit_test(test_backoff_forged),
      cmocka_unit_test(test_backoff_dynamic_api),
      cmocka_unit_test(test_auto_shutdown_any),
      cmocka_unit_test(test_auto_shutdown_all),
      cmocka_unit_test(test_auto_shutdown_sibling_restart),
      cmocka_unit_test(test_auto_shutdown_simple),
      cmocka_unit_test(test_significant_validation),
      cmocka_unit_test(test_spec_validation),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
