/*
 * simple_one_for_one and max_children against OTP: instances started with their own argument
 * (no child at the supervisor's start), no ids, terminate by pid (and a dead pid is
 * terminated already), restarts with the same argument, the strategy's error answers to the
 * id-based calls, count_children's shape, the shutdown of every instance at once with the
 * template's policy, and max_children for both kinds of supervisors. Deterministic mode,
 * counting allocator, leak checks (sup_test.h).
 */
#include "sup_test.h"

static art_sup_spec simple_spec(const art_child_spec *tmpl, art_restart restart) {
  static art_child_spec t;
  t = *tmpl;
  t.restart = restart;
  return sup_spec(ART_SUP_SIMPLE_ONE_FOR_ONE, 10, ART_SEC(5), &t, 1);
}

static art_pid start_instance(art_system *sys, art_pid sup, const char *arg) {
  art_pid pid = ART_PID_NONE;
  assert_int_equal(art_sup_start_simple_child(sys, sup, (void *)arg, &pid), 0);
  assert_true(art_is_alive(sys, pid));
  return pid;
}

static void test_simple_basics(void **unused) {
  (void)unused;
  art_system *sys = create();
  art_child_spec tmpl = worker("template", ART_RESTART_PERMANENT);
  art_sup_spec spec = simple_spec(&tmpl, ART_RESTART_PERMANENT);
  art_pid sup;
  assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
  assert_string_equal(g_log, ""); /* nothing starts with the supervisor */
  art_pid x = start_instance(sys, sup, "x");
  art_pid y = start_instance(sys, sup, "y");
  art_pid z = start_instance(sys, sup, "z");
  assert_string_equal(g_log, "+x +y +z");
  art_sup_child_info info[4];
  size_t n = 0;
  assert_int_equal(art_sup_which_children(sys, sup, info, 4, &n), 0);
  assert_int_equal(n, 3);
  assert_string_equal(info[0].id, "");
  assert_int_equal(info[0].pid, x);
  assert_int_equal(info[1].pid, y);
  assert_int_equal(info[2].state, ART_CHILD_RUNNING);
  art_sup_counts counts;
  assert_int_equal(art_sup_count_children(sys, sup, &counts), 0);
  assert_int_equal(counts.specs, 1);
  assert_int_equal(counts.active, 3);
  assert_int_equal(counts.workers, 3);
  assert_int_equal(counts.supervisors, 0);

  /* a failed instance comes back with its own argument */
  g_log[0] = 0;
  assert_int_equal(art_send(sys, y, CMD_FAIL, NULL, 0), 0);
  art_system_run(sys);
  assert_string_equal(g_log, "-y +y");
  assert_int_equal(art_sup_which_children(sys, sup, info, 4, &n), 0);
  assert_int_equal(info[1].restarts, 1);
  assert_true(info[1].pid != y);

  /* terminate by pid removes the instance */
  g_log[0] = 0;
  assert_int_equal(art_sup_terminate_child_pid(sys, sup, x), 0);
  assert_string_equal(g_log, "-x");
  assert_int_equal(art_sup_count_children(sys, sup, &counts), 0);
  assert_int_equal(counts.workers, 2);
  /* as OTP: a pid that names no actor is terminated already; a living stranger is not ours */
  assert_int_equal(art_sup_terminate_child_pid(sys, sup, x), 0);
  assert_int_equal(art_sup_terminate_child_pid(sys, sup, sup), ART_ENOENT);
  assert_int_equal(art_sup_terminate_child_pid(sys, sup, ART_PID_NONE), ART_EINVAL);

  /* the supervisor's stop ends every instance */
  g_log[0] = 0;
  assert_int_equal(art_sup_stop(sys, sup, ART_FOREVER), 0);
  assert_true(strstr(g_log, "-y") && strstr(g_log, "-z") && strlen(g_log) == 5);
  assert_false(art_is_alive(sys, z));
  destroy(sys);
}

/* The restart policy of the template: a transient instance that ends normally, and a
 * temporary one whatever its reason, is forgotten. */
static void test_simple_policies(void **unused) {
  (void)unused;
  for (int policy = ART_RESTART_PERMANENT; policy <= ART_RESTART_TEMPORARY; policy++) {
    art_system *sys = create();
    art_child_spec tmpl = worker(NULL, ART_RESTART_PERMANENT);
    art_sup_spec spec = simple_spec(&tmpl, (art_restart)policy);
    art_pid sup;
    assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
    art_pid a = start_instance(sys, sup, "a");
    art_pid b = start_instance(sys, sup, "b");
    g_log[0] = 0;
    assert_int_equal(art_send(sys, a, CMD_NORMAL, NULL, 0), 0);
    assert_int_equal(art_send(sys, b, CMD_FAIL, NULL, 0), 0);
    art_system_run(sys);
    art_sup_counts counts;
    assert_int_equal(art_sup_count_children(sys, sup, &counts), 0);
    switch (policy) {
    case ART_RESTART_PERMANENT:
      assert_string_equal(g_log, "-a +a -b +b");
      assert_int_equal(counts.workers, 2);
      break;
    case ART_RESTART_TRANSIENT:
      assert_string_equal(g_log, "-a -b +b");
      assert_int_equal(counts.workers, 1);
      break;
    default:
      assert_string_equal(g_log, "-a -b");
      assert_int_equal(counts.workers, 0);
    }
    assert_int_equal(art_sup_stop(sys, sup, ART_FOREVER), 0);
    destroy(sys);
  }
}

/* As in OTP, an instance waiting for its restart (here: a backoff delay) is terminated by the
 * pid of its last run: the restart is cancelled and the instance forgotten. */
static void test_simple_terminate_restarting(void **unused) {
  (void)unused;
  art_system *sys = create();
  art_child_spec tmpl = worker(NULL, ART_RESTART_PERMANENT);
  tmpl.backoff.base = ART_SEC(1);
  art_sup_spec spec = simple_spec(&tmpl, ART_RESTART_PERMANENT);
  art_pid sup;
  assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
  art_pid x = start_instance(sys, sup, "x");
  start_instance(sys, sup, "y");
  g_log[0] = 0;
  assert_int_equal(art_send(sys, x, CMD_FAIL, NULL, 0), 0);
  art_system_run(sys);
  art_sup_child_info info[2];
  size_t n = 0;
  assert_int_equal(art_sup_which_children(sys, sup, info, 2, &n), 0);
  assert_int_equal(info[0].state, ART_CHILD_RESTARTING);
  assert_int_equal(art_sup_terminate_child_pid(sys, sup, x), 0);
  assert_int_equal(art_sup_which_children(sys, sup, info, 2, &n), 0);
  assert_int_equal(n, 1);
  assert_int_equal(info[0].state, ART_CHILD_RUNNING);
  art_clock_advance(sys, ART_SEC(2));
  assert_string_equal(g_log, "-x"); /* never restarted */
  art_sup_counts counts;
  assert_int_equal(art_sup_count_children(sys, sup, &counts), 0);
  assert_int_equal(counts.workers, 1);
  assert_int_equal(art_sup_terminate_child_pid(sys, sup, x), 0); /* gone: terminated already */
  assert_int_equal(art_sup_stop(sys, sup, ART_FOREVER), 0);
  destroy(sys);
}

/* The id-based calls answer OTP's {error, simple_one_for_one}; the instance calls refuse a
 * supervisor of another strategy; the template must be alone. */
static void test_simple_errors(void **unused) {
  (void)unused;
  art_system *sys = create();
  art_child_spec tmpl = worker("t", ART_RESTART_PERMANENT);
  art_sup_spec spec = simple_spec(&tmpl, ART_RESTART_PERMANENT);
  art_pid sup, other;
  assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
  art_child_spec a = worker("a", ART_RESTART_PERMANENT);
  assert_int_equal(art_sup_start_child(sys, sup, &a, NULL), ART_EPERM);
  assert_int_equal(art_sup_restart_child(sys, sup, "a", NULL), ART_EPERM);
  assert_int_equal(art_sup_delete_child(sys, sup, "a"), ART_EPERM);
  assert_int_equal(art_sup_terminate_child(sys, sup, "a"), ART_EPERM);
  art_child_spec got;
  assert_int_equal(art_sup_get_childspec(sys, sup, "anything", &got), 0);
  assert_ptr_equal(got.actor.ops, &child_ops);
  assert_string_equal(got.id, "anything");

  art_sup_spec plain = sup_spec(ART_SUP_ONE_FOR_ONE, 1, ART_SEC(5), &a, 1);
  assert_int_equal(art_sup_start(sys, &plain, &other), 0);
  assert_int_equal(art_sup_start_simple_child(sys, other, NULL, NULL), ART_EPERM);
  art_pid apid = pid_of(sys, other, "a");
  assert_int_equal(art_sup_terminate_child_pid(sys, other, apid), ART_ENOENT); /* OTP too */
  assert_true(art_is_alive(sys, apid));

  art_child_spec two[2] = {tmpl, tmpl};
  art_sup_spec bad = sup_spec(ART_SUP_SIMPLE_ONE_FOR_ONE, 1, ART_SEC(5), two, 2);
  assert_int_equal(art_sup_start(sys, &bad, NULL), ART_EINVAL);
  bad.child_count = 0;
  assert_int_equal(art_sup_start(sys, &bad, NULL), ART_EINVAL);
  bad.strategy = (art_sup_strategy)99;
  bad.child_count = 1;
  assert_int_equal(art_sup_start(sys, &bad, NULL), ART_EINVAL);
  assert_string_equal(art_sup_strategy_name(ART_SUP_SIMPLE_ONE_FOR_ONE), "simple_one_for_one");
  assert_int_equal(art_sup_start_simple_child(NULL, sup, NULL, NULL), ART_EINVAL);
  assert_int_equal(art_sup_start_simple_child(sys, ART_PID_NONE, NULL, NULL), ART_EINVAL);

  /* an instance whose start fails is not kept */
  assert_int_equal(art_sup_start_simple_child(sys, sup, "!x", NULL), ART_ENOENT);
  art_sup_counts counts;
  assert_int_equal(art_sup_count_children(sys, sup, &counts), 0);
  assert_int_equal(counts.workers, 0);
  assert_int_equal(art_sup_stop(sys, sup, ART_FOREVER), 0);
  assert_int_equal(art_sup_stop(sys, other, ART_FOREVER), 0);
  destroy(sys);
}

/* Many instances in one request: in order, each with its argument; at a failure the rest are
 * not started and those before it stay; max_children is checked for the whole batch. */
static void test_simple_batch(void **unused) {
  (void)unused;
  art_system *sys = create();
  art_child_spec tmpl = worker(NULL, ART_RESTART_PERMANENT);
  art_sup_spec spec = simple_spec(&tmpl, ART_RESTART_PERMANENT);
  spec.max_children = 5;
  art_pid sup, pids[3];
  size_t started = 99;
  assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
  void *args[3] = {"a", "b", "c"};
  assert_int_equal(art_sup_start_simple_children(sys, sup, args, 3, pids, &started), 0);
  assert_int_equal(started, 3);
  assert_string_equal(g_log, "+a +b +c");
  art_sup_child_info info[3];
  size_t n = 0;
  assert_int_equal(art_sup_which_children(sys, sup, info, 3, &n), 0);
  for (int i = 0; i < 3; i++)
    assert_int_equal(info[i].pid, pids[i]);
  for (int i = 0; i < 3; i++)
    assert_true(art_is_alive(sys, pids[i]));
  void *more[3] = {"d", "e", "f"};
  assert_int_equal(art_sup_start_simple_children(sys, sup, more, 3, pids, &started), ART_ENOSPC);
  assert_int_equal(started, 0);
  void *failing[2] = {"d", "!x"};
  g_log[0] = 0;
  assert_int_equal(art_sup_start_simple_children(sys, sup, failing, 2, pids, &started), ART_ENOENT);
  assert_int_equal(started, 1);
  assert_true(art_is_alive(sys, pids[0]));
  assert_int_equal(pids[1], ART_PID_NONE);
  assert_string_equal(g_log, "+d");
  art_sup_counts counts;
  assert_int_equal(art_sup_count_children(sys, sup, &counts), 0);
  assert_int_equal(counts.workers, 4);
  assert_int_equal(art_sup_start_simple_children(sys, sup, args, 0, NULL, NULL), 0);
  assert_int_equal(art_sup_start_simple_children(NULL, sup, args, 1, NULL, NULL), ART_EINVAL);
  assert_int_equal(art_sup_stop(sys, sup, ART_FOREVER), 0);
  assert_int_equal(art_sup_start_simple_children(sys, sup, args, 1, NULL, &started), ART_ESRCH);
  destroy(sys);
}

/* The shutdown signals every instance at once with the template's policy and one timer: an
 * instance that ignores shutdown holds the others' stop no longer than the timeout. */
static void test_simple_shutdown_at_once(void **unused) {
  (void)unused;
  art_system *sys = create();
  art_child_spec tmpl = worker(NULL, ART_RESTART_PERMANENT);
  tmpl.shutdown = (art_shutdown){.kind = ART_SHUTDOWN_GRACEFUL, .timeout = ART_MSEC(100)};
  art_sup_spec spec = simple_spec(&tmpl, ART_RESTART_PERMANENT);
  art_pid sup;
  assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
  start_instance(sys, sup, "a");
  start_instance(sys, sup, "~b");
  start_instance(sys, sup, "c");
  g_log[0] = 0;
  assert_int_equal(art_sup_stop(sys, sup, ART_FOREVER), ART_ETIMEDOUT); /* needs the clock */
  /* a and c at once (in no defined order), without waiting for ~b */
  assert_true(strcmp(g_log, "-a -c") == 0 || strcmp(g_log, "-c -a") == 0);
  art_clock_advance(sys, ART_MSEC(99));
  assert_true(art_is_alive(sys, sup));
  art_clock_advance(sys, ART_MSEC(1));
  assert_string_equal(g_log + 6, "-~b");
  assert_int_equal(g_last_stop_kind, ART_EXIT_KILLED);
  assert_false(art_is_alive(sys, sup));
  destroy(sys);
}

/* Many instances: started and stopped, with every pid found in O(1) (a slow lookup shows in
 * the benchmark, not here; here the counts must be exact). */
static int quiet_start(art_ctx *ctx, void *state, void *args) {
  (void)ctx;
  (void)state;
  (void)args;
  return 0;
}

static int quiet_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  (void)ctx;
  (void)state;
  return msg->type == CMD_FAIL ? ART_EINVAL : 0;
}

static const art_actor_ops quiet_ops = {.pre_start = quiet_start, .handle = quiet_handle};

static void test_simple_many(void **unused) {
  (void)unused;
  enum { N = 5000 };
  art_system *sys = create();
  art_child_spec tmpl = {.actor.ops = &quiet_ops};
  art_sup_spec spec = simple_spec(&tmpl, ART_RESTART_PERMANENT);
  spec.intensity = N;
  art_pid sup;
  assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
  static art_pid pids[N];
  size_t started = 0;
  assert_int_equal(art_sup_start_simple_children(sys, sup, NULL, N, pids, &started), 0);
  assert_int_equal(started, N);
  for (int i = 0; i < N; i += 2) /* every other one fails and comes back */
    assert_int_equal(art_send(sys, pids[i], CMD_FAIL, NULL, 0), 0);
  art_system_run(sys);
  for (int i = 1; i < N; i += 4) /* a quarter is terminated */
    assert_int_equal(art_sup_terminate_child_pid(sys, sup, pids[i]), 0);
  art_sup_counts counts;
  assert_int_equal(art_sup_count_children(sys, sup, &counts), 0);
  assert_int_equal(counts.active, N - N / 4);
  assert_int_equal(event_count(sys, ART_EVENT_SUPERVISION_CHILD_RESTARTED), N / 2);
  assert_int_equal(art_sup_stop(sys, sup, ART_FOREVER), 0);
  art_system_stats st = it_stats(sys);
  assert_int_equal(st.actors_alive, 0);
  destroy(sys);
}

/* max_children: a start beyond it fails with ART_ENOSPC until a child goes; static children
 * beyond it make the spec invalid. */
static void test_max_children(void **unused) {
  (void)unused;
  art_system *sys = create();
  art_child_spec tmpl = worker(NULL, ART_RESTART_PERMANENT);
  art_sup_spec spec = simple_spec(&tmpl, ART_RESTART_TEMPORARY);
  spec.max_children = 2;
  art_pid sup;
  assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
  art_pid a = start_instance(sys, sup, "a");
  start_instance(sys, sup, "b");
  assert_int_equal(art_sup_start_simple_child(sys, sup, "c", NULL), ART_ENOSPC);
  assert_int_equal(art_send(sys, a, CMD_NORMAL, NULL, 0), 0);
  art_system_run(sys);
  start_instance(sys, sup, "c");
  assert_int_equal(art_sup_stop(sys, sup, ART_FOREVER), 0);

  art_child_spec kids[3] = {worker("a", ART_RESTART_PERMANENT), worker("b", ART_RESTART_PERMANENT),
                            worker("c", ART_RESTART_PERMANENT)};
  art_sup_spec plain = sup_spec(ART_SUP_ONE_FOR_ONE, 1, ART_SEC(5), kids, 3);
  plain.max_children = 2;
  assert_int_equal(art_sup_start(sys, &plain, &sup), ART_EINVAL);
  plain.child_count = 1;
  assert_int_equal(art_sup_start(sys, &plain, &sup), 0);
  assert_int_equal(art_sup_start_child(sys, sup, &kids[1], NULL), 0);
  assert_int_equal(art_sup_start_child(sys, sup, &kids[2], NULL), ART_ENOSPC);
  /* a stopped child keeps its place; deleting it frees it */
  assert_int_equal(art_sup_terminate_child(sys, sup, "b"), 0);
  assert_int_equal(art_sup_start_child(sys, sup, &kids[2], NULL), ART_ENOSPC);
  assert_int_equal(art_sup_delete_child(sys, sup, "b"), 0);
  assert_int_equal(art_sup_start_child(sys, sup, &kids[2], NULL), 0);
  assert_int_equal(art_sup_stop(sys, sup, ART_FOREVER), 0);
  destroy(sys);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_simple_basics),
      cmocka_unit_test(test_simple_policies),
      cmocka_unit_test(test_simple_terminate_restarting),
      cmocka_unit_test(test_simple_errors),
      cmocka_unit_test(test_simple_batch),
      cmocka_unit_test(test_simple_shutdown_at_once),
      cmocka_unit_test(test_simple_many),
      cmocka_unit_test(test_max_children),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
