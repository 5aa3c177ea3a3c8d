/*
 * Supervisors against OTP's outcomes: each strategy with each restart policy and exit reason
 * (who stops, in which order, who restarts), restart intensity at the limit and one over,
 * failed restarts counted, the sliding window, shutdown policies (a child that ignores shutdown,
 * infinity), escalation across three levels, a failed start's rollback, and the dynamic API's error
 * cases.
 *
 * Every test runs in deterministic mode on the test thread, with the counting allocator for
 * the system and the supervisors, and checks that nothing leaked. The children record their
 * starts ("+id") and stops ("-id") in one log, in the order they happen (sup_test.h).
 */
#include "sup_test.h"

/* Starts a/b/c under @p strategy with restart @p restart for all, tells b @p cmd, and checks
 * the log of what happened after the start and the specs left. */
static void run_case(art_sup_strategy strategy, art_restart restart, uint32_t cmd,
                     const char *expected, uint32_t specs_after) {
  art_system *sys = create();
  art_child_spec kids[3] = {worker("a", restart), worker("b", restart), worker("c", restart)};
  art_sup_spec spec = sup_spec(strategy, 3, ART_SEC(5), kids, 3);
  art_pid sup;
  assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
  assert_string_equal(g_log, "+a +b +c");
  g_log[0] = 0;
  tell(sys, sup, "b", cmd);
  assert_string_equal(g_log, expected);
  art_sup_counts counts;
  assert_int_equal(art_sup_count_children(sys, sup, &counts), 0);
  assert_int_equal(counts.specs, specs_after);
  assert_true(art_is_alive(sys, sup));
  g_log[0] = 0;
  assert_int_equal(art_sup_stop(sys, sup, ART_FOREVER), 0);
  destroy(sys);
}

/* ---- strategy x policy x reason -------------------------------------------------------- */

/* Every strategy with every restart policy and exit reason (error, normal, shutdown), against
 * OTP's outcome: permanent always restarts, transient only after an error, temporary never
 * (and loses its spec); a restart stops and starts the strategy's children in OTP's order. */
static void test_strategy_policy_reason(void **unused) {
  (void)unused;
  static const char *restarted[] = {
      [ART_SUP_ONE_FOR_ONE] = "-b +b",
      [ART_SUP_ONE_FOR_ALL] = "-b -c -a +a +b +c",
      [ART_SUP_REST_FOR_ONE] = "-b -c +b +c",
  };
  const uint32_t cmds[3] = {CMD_FAIL, CMD_NORMAL, CMD_SHUTDOWN};
  for (int st = ART_SUP_ONE_FOR_ONE; st <= ART_SUP_REST_FOR_ONE; st++)
    for (int policy = ART_RESTART_PERMANENT; policy <= ART_RESTART_TEMPORARY; policy++)
      for (int k = 0; k < 3; k++) {
        bool again = policy == ART_RESTART_PERMANENT ||
                     (policy == ART_RESTART_TRANSIENT && cmds[k] == CMD_FAIL);
        run_case((art_sup_strategy)st, (art_restart)policy, cmds[k], again ? restarted[st] : "-b",
                 policy == ART_RESTART_TEMPORARY ? 2 : 3);
      }
}

/* A temporary sibling stopped by one_for_all is not restarted and loses its spec. */
static void test_one_for_all_temporary_sibling(void **unused) {
  (void)unused;
  art_system *sys = create();
  art_child_spec kids[3] = {worker("a", ART_RESTART_PERMANENT), worker("b", ART_RESTART_PERMANENT),
                            worker("c", ART_RESTART_TEMPORARY)};
  art_sup_spec spec = sup_spec(ART_SUP_ONE_FOR_ALL, 3, ART_SEC(5), kids, 3);
  art_pid sup;
  assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
  g_log[0] = 0;
  tell(sys, sup, "a", CMD_FAIL);
  assert_string_equal(g_log, "-a -c -b +a +b");
  art_sup_counts counts;
  assert_int_equal(art_sup_count_children(sys, sup, &counts), 0);
  assert_int_equal(counts.specs, 2);
  assert_int_equal(counts.active, 2);
  assert_int_equal(event_count(sys, ART_EVENT_SUPERVISION_STRATEGY_APPLIED), 1);
  assert_int_equal(event_count(sys, ART_EVENT_SUPERVISION_CHILD_FAILED), 1);
  destroy(sys);
}

/* ---- intensity ------------------------------------------------------------------------- */

/* intensity 2: two restarts in the window are fine, the third ends the supervisor, which
 * stops its children in reverse order. */
static void test_intensity_limit(void **unused) {
  (void)unused;
  art_system *sys = create();
  art_child_spec kids[3] = {worker("a", ART_RESTART_PERMANENT), worker("b", ART_RESTART_PERMANENT),
                            worker("c", ART_RESTART_PERMANENT)};
  art_sup_spec spec = sup_spec(ART_SUP_ONE_FOR_ONE, 2, ART_SEC(10), kids, 3);
  art_pid sup;
  assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
  g_log[0] = 0;
  tell(sys, sup, "b", CMD_FAIL);
  art_clock_advance(sys, ART_SEC(1));
  tell(sys, sup, "b", CMD_FAIL);
  assert_string_equal(g_log, "-b +b -b +b");
  assert_true(art_is_alive(sys, sup));
  g_log[0] = 0;
  tell(sys, sup, "b", CMD_FAIL);
  assert_string_equal(g_log, "-b -c -a");
  assert_false(art_is_alive(sys, sup));
  assert_int_equal(event_count(sys, ART_EVENT_SUPERVISION_RESTART_LIMIT_EXCEEDED), 1);
  assert_int_equal(event_count(sys, ART_EVENT_SUPERVISION_CHILD_RESTARTED), 2);
  destroy(sys);
}

/* intensity 0: the first failure is one too many. */
static void test_intensity_zero(void **unused) {
  (void)unused;
  art_system *sys = create();
  art_child_spec kids[2] = {worker("a", ART_RESTART_PERMANENT), worker("b", ART_RESTART_PERMANENT)};
  art_sup_spec spec = sup_spec(ART_SUP_ONE_FOR_ONE, 0, ART_SEC(1), kids, 2);
  art_pid sup;
  assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
  g_log[0] = 0;
  tell(sys, sup, "b", CMD_FAIL);
  assert_string_equal(g_log, "-b -a");
  assert_false(art_is_alive(sys, sup));
  destroy(sys);
}

/* A restart whose start fails is retried at once, and each attempt counts: with intensity 2,
 * the failure (1) and a failed attempt (2) are fine, a second failed attempt (3) is one too
 * many. With one failed attempt the child is back. */
static void test_failed_restarts_count(void **unused) {
  (void)unused;
  for (int attempts = 1; attempts <= 2; attempts++) {
    art_system *sys = create();
    art_child_spec kids[2] = {worker("a", ART_RESTART_PERMANENT),
                              worker("?b", ART_RESTART_PERMANENT)};
    art_sup_spec spec = sup_spec(ART_SUP_ONE_FOR_ONE, 2, ART_SEC(10), kids, 2);
    art_pid sup;
    assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
    g_log[0] = 0;
    g_fail_starts = attempts;
    tell(sys, sup, "?b", CMD_FAIL);
    if (attempts == 1) {
      assert_string_equal(g_log, "-?b +?b");
      assert_true(art_is_alive(sys, sup));
      assert_int_equal(info_of(sys, sup, "?b").restarts, 1);
    } else {
      assert_string_equal(g_log, "-?b -a");
      assert_false(art_is_alive(sys, sup));
    }
    assert_int_equal(event_count(sys, ART_EVENT_SUPERVISION_CHILD_FAILED), 1 + attempts);
    destroy(sys);
  }
}

/* intensity 1, period 1 s: a restart exactly one period after the previous one still counts
 * it (OTP keeps t >= now - period); one nanosecond later it has left the window. */
static void test_window_sliding(void **unused) {
  (void)unused;
  for (int late = 0; late < 2; late++) {
    art_system *sys = create();
    art_child_spec kids[1] = {worker("a", ART_RESTART_PERMANENT)};
    art_sup_spec spec = sup_spec(ART_SUP_ONE_FOR_ONE, 1, ART_SEC(1), kids, 1);
    art_pid sup;
    assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
    tell(sys, sup, "a", CMD_FAIL);
    art_clock_advance(sys, ART_SEC(1) + late);
    tell(sys, sup, "a", CMD_FAIL);
    assert_int_equal(art_is_alive(sys, sup), late == 1);
    if (late) { /* and the window keeps sliding: a third failure right away is one over */
      tell(sys, sup, "a", CMD_FAIL);
      assert_false(art_is_alive(sys, sup));
    }
    destroy(sys);
  }
}

/* ---- shutdown policies ------------------------------------------------------------------ */

/* A child that traps exits and ignores shutdown is killed when its timeout runs out; the stop
 * of the others waits for it (reverse order). */
static void test_shutdown_graceful_timeout(void **unused) {
  (void)unused;
  art_system *sys = create();
  art_child_spec kids[2] = {worker("a", ART_RESTART_PERMANENT),
                            worker("~b", ART_RESTART_PERMANENT)};
  kids[1].shutdown = (art_shutdown){.kind = ART_SHUTDOWN_GRACEFUL, .timeout = ART_MSEC(100)};
  art_sup_spec spec = sup_spec(ART_SUP_ONE_FOR_ONE, 1, ART_SEC(5), kids, 2);
  art_pid sup;
  assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
  g_log[0] = 0;
  assert_int_equal(art_sup_stop(sys, sup, ART_FOREVER), ART_ETIMEDOUT); /* needs the clock */
  assert_string_equal(g_log, "");
  art_clock_advance(sys, ART_MSEC(99));
  assert_string_equal(g_log, "");
  art_clock_advance(sys, ART_MSEC(1));
  assert_string_equal(g_log, "-~b -a");
  assert_false(art_is_alive(sys, sup));
  /* child_stopped's duration runs from the supervisor's stop to the exit: the whole timeout
   * for ~b, nothing for a; child_started's is the time the start took (0 on this clock). */
  art_event ev[8];
  assert_int_equal(events_of(sys, ART_EVENT_SUPERVISION_CHILD_STOPPED, ev, 8), 2);
  assert_string_equal(ev[0].child_id, "~b");
  assert_int_equal(ev[0].reason, ART_EXIT_KILLED);
  assert_int_equal(ev[0].duration_ns, ART_MSEC(100));
  assert_string_equal(ev[1].child_id, "a");
  assert_int_equal(ev[1].duration_ns, 0);
  assert_int_equal(events_of(sys, ART_EVENT_SUPERVISION_CHILD_STARTED, ev, 8), 2);
  assert_int_equal(ev[0].duration_ns, 0);
  destroy(sys);
}

static void spin_ms(int ms) {
  int64_t until = art_now_monotonic() + ART_MSEC(ms);
  while (art_now_monotonic() < until) {
  }
}

static int slow_pre_start(art_ctx *ctx, void *state, void *args) {
  (void)ctx;
  (void)state;
  (void)args;
  spin_ms(2);
  return 0;
}

static void slow_post_stop(art_ctx *ctx, void *state, const art_exit_reason *reason) {
  (void)ctx;
  (void)state;
  (void)reason;
  spin_ms(2);
}

static int ignore(art_ctx *ctx, void *state, const art_msg *msg) {
  (void)ctx;
  (void)state;
  (void)msg;
  return 0;
}

/* On the real clock: a start and a stop that take 2 ms each are reported as taking at least
 * that long; an exit the supervisor did not ask for has no stop time. */
static void test_event_durations_real_clock(void **unused) {
  (void)unused;
  static const art_actor_ops slow = {
      .pre_start = slow_pre_start, .handle = ignore, .post_stop = slow_post_stop};
  art_system *sys;
  assert_int_equal(art_system_create(&sys, NULL), 0);
  art_child_spec kid = {.id = "slow", .actor = {.ops = &slow}};
  art_sup_spec spec;
  art_sup_spec_init(&spec);
  spec.children = &kid;
  spec.child_count = 1;
  art_pid sup;
  assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
  assert_int_equal(art_sup_terminate_child(sys, sup, "slow"), 0);
  art_event_snapshot snap;
  assert_int_equal(art_monitor_snapshot_alloc(art_system_monitor(sys), &snap), 0);
  int seen = 0;
  for (size_t i = 0; i < snap.count; i++) {
    const art_event *e = &snap.events[i];
    if (e->kind == ART_EVENT_SUPERVISION_CHILD_STARTED ||
        e->kind == ART_EVENT_SUPERVISION_CHILD_STOPPED) {
      seen++;
      assert_true(e->duration_ns >= ART_MSEC(2));
    }
  }
  assert_int_equal(seen, 2);
  art_event_snapshot_free(&snap);
  art_system_destroy(sys);
}

/* immediate kills at once, even a child that traps exits. */
static void test_shutdown_immediate(void **unused) {
  (void)unused;
  art_system *sys = create();
  art_child_spec kids[1] = {worker("~a", ART_RESTART_PERMANENT)};
  kids[0].shutdown.kind = ART_SHUTDOWN_IMMEDIATE;
  art_sup_spec spec = sup_spec(ART_SUP_ONE_FOR_ONE, 1, ART_SEC(5), kids, 1);
  art_pid sup;
  assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
  assert_int_equal(art_sup_stop(sys, sup, ART_FOREVER), 0);
  assert_int_equal(g_last_stop_kind, ART_EXIT_KILLED);
  destroy(sys);
}

/* infinity waits however long it takes: the supervisor goes on only when the child exits. */
static void test_shutdown_infinity(void **unused) {
  (void)unused;
  art_system *sys = create();
  art_child_spec kids[2] = {worker("a", ART_RESTART_PERMANENT),
                            worker("~b", ART_RESTART_PERMANENT)};
  kids[1].shutdown.kind = ART_SHUTDOWN_INFINITY;
  art_sup_spec spec = sup_spec(ART_SUP_ONE_FOR_ONE, 1, ART_SEC(5), kids, 2);
  art_pid sup;
  assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
  art_pid b = pid_of(sys, sup, "~b");
  g_log[0] = 0;
  assert_int_equal(art_sup_stop(sys, sup, ART_FOREVER), ART_ETIMEDOUT);
  art_clock_advance(sys, ART_SEC(3600));
  assert_string_equal(g_log, "");
  assert_true(art_is_alive(sys, sup));
  assert_int_equal(art_send(sys, b, CMD_NORMAL, NULL, 0), 0);
  art_system_run(sys);
  assert_string_equal(g_log, "-~b -a");
  assert_false(art_is_alive(sys, sup));
  destroy(sys);
}

/* ---- escalation ------------------------------------------------------------------------- */

/* top > mid > low > leaf, intensity 0 everywhere: the leaf's failure ends low, whose exit
 * (shutdown) is a failure of mid's permanent child, and so on up. */
static void test_escalation_three_levels(void **unused) {
  (void)unused;
  art_system *sys = create();
  art_child_spec leaf[2] = {worker("leaf", ART_RESTART_PERMANENT),
                            worker("leaf2", ART_RESTART_PERMANENT)};
  art_sup_spec low = sup_spec(ART_SUP_ONE_FOR_ONE, 0, ART_SEC(5), leaf, 2);
  art_child_spec mid_kids[2] = {worker("m0", ART_RESTART_PERMANENT),
                                {.id = "low", .type = ART_CHILD_SUPERVISOR, .sup = &low}};
  art_sup_spec mid = sup_spec(ART_SUP_ONE_FOR_ONE, 0, ART_SEC(5), mid_kids, 2);
  art_child_spec top_kids[2] = {{.id = "mid", .type = ART_CHILD_SUPERVISOR, .sup = &mid},
                                worker("t1", ART_RESTART_PERMANENT)};
  art_sup_spec top = sup_spec(ART_SUP_ONE_FOR_ONE, 0, ART_SEC(5), top_kids, 2);
  art_pid sup;
  assert_int_equal(art_sup_start(sys, &top, &sup), 0);
  assert_string_equal(g_log, "+m0 +leaf +leaf2 +t1");
  art_sup_counts counts;
  assert_int_equal(art_sup_count_children(sys, sup, &counts), 0);
  assert_int_equal(counts.supervisors, 1);
  assert_int_equal(counts.workers, 1);
  art_pid mid_pid = pid_of(sys, sup, "mid");
  art_pid low_pid = pid_of(sys, mid_pid, "low");
  art_pid leaf_pid = pid_of(sys, low_pid, "leaf");
  g_log[0] = 0;
  assert_int_equal(art_send(sys, leaf_pid, CMD_FAIL, NULL, 0), 0);
  art_system_run(sys);
  assert_string_equal(g_log, "-leaf -leaf2 -m0 -t1");
  assert_false(art_is_alive(sys, sup));
  assert_int_equal(event_count(sys, ART_EVENT_SUPERVISION_RESTART_LIMIT_EXCEEDED), 3);
  destroy(sys);
}

static art_error_action escalate(art_ctx *ctx, void *state, int err, const art_msg *msg) {
  (void)ctx;
  (void)state;
  (void)err;
  (void)msg;
  return ART_ACTION_ESCALATE;
}

static const art_actor_ops escalating_ops = {.pre_start = child_pre_start,
                                             .handle = child_handle,
                                             .post_stop = child_post_stop,
                                             .on_error = escalate};

/* on_error's Escalate makes the supervisor fail at once, whatever the child's restart policy
 * and the intensity left: it stops its other children in reverse order and exits with the
 * child's error, which its parent handles as any child failure (here: a restart, one for one;
 * the escalation goes no further). */
static void test_escalate(void **unused) {
  (void)unused;
  art_system *sys = create();
  art_child_spec low_kids[3] = {worker("a", ART_RESTART_PERMANENT),
                                worker("e", ART_RESTART_TEMPORARY),
                                worker("c", ART_RESTART_PERMANENT)};
  low_kids[1].actor.ops = &escalating_ops;
  art_sup_spec low = sup_spec(ART_SUP_ONE_FOR_ONE, 10, ART_SEC(5), low_kids, 3);
  art_child_spec top_kids[2] = {{.id = "low", .type = ART_CHILD_SUPERVISOR, .sup = &low},
                                worker("z", ART_RESTART_PERMANENT)};
  art_sup_spec top = sup_spec(ART_SUP_ONE_FOR_ONE, 10, ART_SEC(5), top_kids, 2);
  art_pid sup;
  assert_int_equal(art_sup_start(sys, &top, &sup), 0);
  art_pid low_pid = pid_of(sys, sup, "low");
  g_log[0] = 0;
  tell(sys, low_pid, "e", CMD_FAIL);
  assert_string_equal(g_log, "-e -c -a +a +e +c");
  assert_false(art_is_alive(sys, low_pid));
  assert_int_equal(info_of(sys, sup, "low").restarts, 1);
  art_event ev = last_event(sys, ART_EVENT_SUPERVISION_CHILD_FAILED);
  assert_string_equal(ev.child_id, "low");
  assert_int_equal(ev.reason, ART_EXIT_ERROR);
  assert_int_equal(ev.error_code, ART_EINVAL);
  assert_int_equal(info_of(sys, sup, "z").restarts, 0);
  assert_int_equal(art_sup_stop(sys, sup, ART_FOREVER), 0);
  destroy(sys);
}

/* ---- start failure ---------------------------------------------------------------------- */

static void test_start_failure_rolls_back(void **unused) {
  (void)unused;
  art_system *sys = create();
  art_child_spec kids[4] = {worker("a", ART_RESTART_PERMANENT), worker("~b", ART_RESTART_PERMANENT),
                            worker("!c", ART_RESTART_PERMANENT),
                            worker("d", ART_RESTART_PERMANENT)};
  kids[1].shutdown.kind = ART_SHUTDOWN_IMMEDIATE;
  art_sup_spec spec = sup_spec(ART_SUP_ONE_FOR_ALL, 1, ART_SEC(5), kids, 4);
  art_pid sup = ART_PID_NONE;
  assert_int_equal(art_sup_start(sys, &spec, &sup), ART_ENOENT);
  assert_string_equal(g_log, "+a +~b -~b -a");
  destroy(sys);
}

static void test_invalid_specs(void **unused) {
  (void)unused;
  art_system *sys = create();
  art_child_spec dup[2] = {worker("a", ART_RESTART_PERMANENT), worker("a", ART_RESTART_PERMANENT)};
  art_sup_spec spec = sup_spec(ART_SUP_ONE_FOR_ONE, 1, ART_SEC(5), dup, 2);
  art_pid sup;
  assert_int_equal(art_sup_start(sys, &spec, &sup), ART_EEXIST);
  art_child_spec bad[1] = {worker("a", ART_RESTART_PERMANENT)};
  bad[0].actor.ops = NULL;
  spec = sup_spec(ART_SUP_ONE_FOR_ONE, 1, ART_SEC(5), bad, 1);
  assert_int_equal(art_sup_start(sys, &spec, &sup), ART_EINVAL);
  bad[0] = (art_child_spec){.id = "s", .type = ART_CHILD_SUPERVISOR};
  assert_int_equal(art_sup_start(sys, &spec, &sup), ART_EINVAL);
  spec = sup_spec(ART_SUP_ONE_FOR_ONE, 1, 0, NULL, 0);
  assert_int_equal(art_sup_start(sys, &spec, &sup), ART_EINVAL);
  assert_int_equal(art_sup_start(sys, NULL, &sup), ART_EINVAL);
  destroy(sys);
}

/* ---- dynamic API ------------------------------------------------------------------------ */

static void test_dynamic_api(void **unused) {
  (void)unused;
  art_system *sys = create();
  art_sup_spec spec = sup_spec(ART_SUP_ONE_FOR_ONE, 1, ART_SEC(5), NULL, 0);
  art_pid sup, pid, pid2;
  assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
  art_child_spec a = worker("a", ART_RESTART_PERMANENT);
  art_child_spec t = worker("t", ART_RESTART_TEMPORARY);
  assert_int_equal(art_sup_start_child(sys, sup, &a, &pid), 0);
  assert_int_equal(art_sup_start_child(sys, sup, &a, &pid2), ART_EEXIST);
  assert_int_equal(pid2, pid);
  assert_int_equal(art_sup_start_child(sys, sup, &t, NULL), 0);
  assert_int_equal(art_sup_delete_child(sys, sup, "a"), ART_EBUSY);
  assert_int_equal(art_sup_restart_child(sys, sup, "a", NULL), ART_EBUSY);
  assert_int_equal(art_sup_terminate_child(sys, sup, "a"), 0);
  assert_int_equal(art_sup_terminate_child(sys, sup, "a"), 0); /* already stopped: ok */
  assert_int_equal(art_sup_terminate_child(sys, sup, "nope"), ART_ENOENT);
  art_sup_child_info info[1];
  size_t n = 0;
  assert_int_equal(art_sup_which_children(sys, sup, info, 1, &n), ART_ERANGE);
  assert_int_equal(n, 2);
  assert_string_equal(info[0].id, "a");
  assert_int_equal(info[0].state, ART_CHILD_UNDEFINED);
  assert_int_equal(info[0].pid, ART_PID_NONE);
  assert_int_equal(art_sup_start_child(sys, sup, &a, NULL), ART_EBUSY); /* already_present */
  art_child_spec got;
  assert_int_equal(art_sup_get_childspec(sys, sup, "a", &got), 0);
  assert_string_equal(got.id, "a");
  assert_ptr_equal(got.actor.ops, &child_ops);
  assert_int_equal(art_sup_get_childspec(sys, sup, "zz", &got), ART_ENOENT);
  assert_int_equal(art_sup_restart_child(sys, sup, "a", &pid), 0);
  assert_true(art_is_alive(sys, pid));
  /* a temporary child's spec goes when it is terminated */
  assert_int_equal(art_sup_terminate_child(sys, sup, "t"), 0);
  assert_int_equal(art_sup_get_childspec(sys, sup, "t", &got), ART_ENOENT);
  assert_int_equal(art_sup_terminate_child(sys, sup, "a"), 0);
  assert_int_equal(art_sup_delete_child(sys, sup, "a"), 0);
  assert_int_equal(art_sup_delete_child(sys, sup, "a"), ART_ENOENT);
  assert_int_equal(art_sup_restart_child(sys, sup, "a", NULL), ART_ENOENT);
  art_sup_counts counts;
  assert_int_equal(art_sup_count_children(sys, sup, &counts), 0);
  assert_int_equal(counts.specs, 0);
  art_child_spec bad = worker("", ART_RESTART_PERMANENT);
  assert_int_equal(art_sup_start_child(sys, sup, &bad, NULL), ART_EINVAL);
  art_child_spec fails = worker("!x", ART_RESTART_PERMANENT);
  assert_int_equal(art_sup_start_child(sys, sup, &fails, NULL), ART_ENOENT);
  assert_int_equal(art_sup_stop(sys, sup, ART_FOREVER), 0);
  assert_int_equal(art_sup_count_children(sys, sup, &counts), ART_ESRCH);
  destroy(sys);
}

/* Messages from strangers, some with the types the supervisor uses among its own actors
 * ('SU' in the high half), with and without payloads, change nothing (but the one that is
 * art_sup_stop's request from an actor, 0x53550004). */
static void test_stray_messages(void **unused) {
  (void)unused;
  art_system *sys = create();
  art_child_spec kids[2] = {worker("a", ART_RESTART_PERMANENT), worker("b", ART_RESTART_PERMANENT)};
  art_sup_spec spec = sup_spec(ART_SUP_ONE_FOR_ONE, 1, ART_SEC(5), kids, 2);
  art_pid sup;
  assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
  uint64_t junk[4] = {1, 2, 3, 4};
  for (uint32_t type = 0x53550000u; type < 0x53550030u; type++)
    for (size_t size = 0; size <= sizeof junk && type != 0x53550004u; size += 8)
      assert_int_equal(art_send(sys, sup, type, size ? junk : NULL, size), 0);
  assert_int_equal(art_send(sys, sup, 77, junk, sizeof junk), 0);
  art_system_run(sys);
  assert_true(art_is_alive(sys, sup));
  g_log[0] = 0;
  tell(sys, sup, "b", CMD_FAIL);
  assert_string_equal(g_log, "-b +b");
  art_sup_counts counts;
  assert_int_equal(art_sup_count_children(sys, sup, &counts), 0);
  assert_int_equal(counts.active, 2);
  destroy(sys);
}

/* The system's shutdown stops a tree; nothing leaks. */
static void test_system_shutdown(void **unused) {
  (void)unused;
  art_system *sys = create();
  art_child_spec kids[2] = {worker("a", ART_RESTART_PERMANENT), worker("b", ART_RESTART_PERMANENT)};
  art_sup_spec spec = sup_spec(ART_SUP_ONE_FOR_ALL, 1, ART_SEC(5), kids, 2);
  art_pid sup;
  assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
  assert_int_equal(art_system_shutdown(sys, ART_SEC(1)), 0);
  destroy(sys);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_strategy_policy_reason),
      cmocka_unit_test(test_one_for_all_temporary_sibling),
      cmocka_unit_test(test_intensity_limit),
      cmocka_unit_test(test_intensity_zero),
      cmocka_unit_test(test_failed_restarts_count),
      cmocka_unit_test(test_window_sliding),
      cmocka_unit_test(test_shutdown_graceful_timeout),
      cmocka_unit_test(test_event_durations_real_clock),
      cmocka_unit_test(test_shutdown_immediate),
      cmocka_unit_test(test_shutdown_infinity),
      cmocka_unit_test(test_escalation_three_levels),
      cmocka_unit_test(test_escalate),
      cmocka_unit_test(test_start_failure_rolls_back),
      cmocka_unit_test(test_invalid_specs),
      cmocka_unit_test(test_dynamic_api),
      cmocka_unit_test(test_stray_messages),
      cmocka_unit_test(test_system_shutdown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
