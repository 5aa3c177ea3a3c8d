/*
 * Custom (non-actor) children: start, failure through art_child_fail and the restart with a
 * fresh object, start failures (rolled back like any child's), the dynamic API, nested
 * supervisors whose custom children start asynchronously, simple_one_for_one instances with
 * their own factory argument; then, with real threads, blocking start and stop off the
 * workers (other actors answer meanwhile), a start that overruns its timeout, a stop that
 * overruns and is abandoned, and infinity. Stop and destroy run exactly once per start and
 * per object throughout; nothing leaks.
 */
#include "sup_custom.h"

/* ---- deterministic ------------------------------------------------------------------------ */

static void test_custom_lifecycle(void **unused) {
  (void)unused;
  art_system *sys = create();
  ctl c = {.name = "k"};
  art_child_spec kids[3] = {worker("a", ART_RESTART_PERMANENT),
                            custom("k", &c, ART_RESTART_TRANSIENT),
                            worker("b", ART_RESTART_PERMANENT)};
  art_sup_spec spec = sup_spec(ART_SUP_ONE_FOR_ONE, 10, ART_SEC(5), kids, 3);
  art_pid sup;
  assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
  assert_string_equal(g_log, "+a +k +b"); /* in order: b waited for k's start */
  art_child_ctx *cctx = atomic_load(&c.cctx);
  assert_ptr_equal(art_child_system(cctx), sys);
  art_sup_child_info k = info_of(sys, sup, "k");
  assert_int_equal(k.pid, art_child_pid(cctx));
  assert_int_equal(k.state, ART_CHILD_RUNNING);
  assert_true(art_is_alive(sys, k.pid));
  assert_int_equal(art_send(sys, k.pid, 12345, NULL, 0), 0); /* dropped by the host */

  /* a failure reported from outside: stop, destroy, and a fresh object */
  g_log[0] = 0;
  art_exit_reason err = art_reason_error(ART_EBUSY, "device lost");
  assert_int_equal(art_child_fail(cctx, &err), 0);
  art_system_run(sys);
  assert_string_equal(g_log, "-k +k");
  assert_int_equal(atomic_load(&c.made), 2);
  assert_int_equal(atomic_load(&c.seq), 2);
  assert_int_equal(atomic_load(&c.destroyed), 1);
  assert_int_equal(info_of(sys, sup, "k").restarts, 1);
  art_event ev = last_event(sys, ART_EVENT_SUPERVISION_CHILD_FAILED);
  assert_string_equal(ev.child_id, "k");
  assert_int_equal(ev.error_code, ART_EBUSY);

  /* a transient child that finishes normally stays down */
  cctx = atomic_load(&c.cctx);
  art_exit_reason normal = art_reason(ART_EXIT_NORMAL);
  assert_int_equal(art_child_fail(cctx, &normal), 0);
  art_system_run(sys);
  assert_int_equal(info_of(sys, sup, "k").state, ART_CHILD_UNDEFINED);
  assert_int_equal(art_child_fail(NULL, &normal), ART_EINVAL);
  assert_int_equal(art_child_fail(cctx, NULL), ART_EINVAL);
  assert_null(art_child_system(NULL));
  assert_int_equal(art_child_pid(NULL), ART_PID_NONE);

  g_log[0] = 0;
  assert_int_equal(art_sup_restart_child(sys, sup, "k", NULL), 0);
  assert_int_equal(art_sup_stop(sys, sup, ART_FOREVER), 0);
  assert_string_equal(g_log, "+k -b -k -a");
  assert_int_equal(atomic_load(&c.stop_timeout), ART_SEC(5)); /* the default graceful timeout */
  assert_balanced(&c);
  assert_int_equal(atomic_load(&c.made), 3);
  destroy(sys);
}

/* A custom child whose start fails (or whose factory makes nothing) fails the supervisor's
 * start like any child: the children before it are stopped in reverse order, the object is
 * destroyed, never stopped. */
static void test_custom_start_failure(void **unused) {
  (void)unused;
  for (int no_object = 0; no_object < 2; no_object++) {
    art_system *sys = create();
    ctl c = {.name = "k"};
    atomic_store(&c.start_rc, ART_EBUSY);
    atomic_store(&c.no_object, no_object);
    art_child_spec kids[3] = {worker("a", ART_RESTART_PERMANENT),
                              worker("b", ART_RESTART_PERMANENT),
                              custom("k", &c, ART_RESTART_PERMANENT)};
    art_sup_spec spec = sup_spec(ART_SUP_ONE_FOR_ONE, 10, ART_SEC(5), kids, 3);
    art_pid sup = ART_PID_NONE;
    assert_int_equal(art_sup_start(sys, &spec, &sup), no_object ? ART_ENOMEM : ART_EBUSY);
    assert_string_equal(g_log, "+a +b -b -a");
    assert_int_equal(atomic_load(&c.made), no_object ? 0 : 1);
    assert_int_equal(atomic_load(&c.stopped), 0);
    assert_balanced(&c);
    assert_int_equal(it_stats(sys).actors_alive, 0);
    destroy(sys);
  }
}

/* start_child, restart_child and terminate_child with a custom child; a failed dynamic start
 * leaves no spec. */
static void test_custom_dynamic(void **unused) {
  (void)unused;
  art_system *sys = create();
  ctl c = {.name = "k"}, bad = {.name = "x"};
  atomic_store(&bad.start_rc, ART_ENOENT);
  art_sup_spec spec = sup_spec(ART_SUP_ONE_FOR_ONE, 10, ART_SEC(5), NULL, 0);
  art_pid sup, pid;
  assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
  art_child_spec k = custom("k", &c, ART_RESTART_PERMANENT);
  k.shutdown.kind = ART_SHUTDOWN_IMMEDIATE;
  assert_int_equal(art_sup_start_child(sys, sup, &k, &pid), 0);
  assert_int_equal(pid, art_child_pid(atomic_load(&c.cctx)));
  art_child_spec x = custom("x", &bad, ART_RESTART_PERMANENT);
  assert_int_equal(art_sup_start_child(sys, sup, &x, NULL), ART_ENOENT);
  assert_int_equal(art_sup_get_childspec(sys, sup, "x", &x), ART_ENOENT);
  assert_int_equal(art_sup_terminate_child(sys, sup, "k"), 0);
  assert_int_equal(atomic_load(&c.stop_timeout), 0); /* immediate: no time at all */
  assert_int_equal(atomic_load(&c.stopped), 1);
  assert_int_equal(art_sup_restart_child(sys, sup, "k", &pid), 0);
  assert_true(art_is_alive(sys, pid));
  assert_string_equal(g_log, "+k -k +k");
  assert_int_equal(art_sup_stop(sys, sup, ART_FOREVER), 0);
  assert_balanced(&c);
  assert_balanced(&bad);
  destroy(sys);
}

/* A nested supervisor with a custom child starts it after its own pre_start; its parent
 * waits for it before the next child, so the tree starts in order and stops in reverse. */
static void test_custom_nested(void **unused) {
  (void)unused;
  art_system *sys = create();
  ctl c = {.name = "k"};
  art_child_spec low_kids[2] = {custom("k", &c, ART_RESTART_PERMANENT),
                                worker("b", ART_RESTART_PERMANENT)};
  art_sup_spec low = sup_spec(ART_SUP_ONE_FOR_ONE, 10, ART_SEC(5), low_kids, 2);
  art_child_spec top_kids[3] = {worker("a", ART_RESTART_PERMANENT),
                                {.id = "low", .type = ART_CHILD_SUPERVISOR, .sup = &low},
                                worker("c", ART_RESTART_PERMANENT)};
  art_sup_spec top = sup_spec(ART_SUP_ONE_FOR_ALL, 10, ART_SEC(5), top_kids, 3);
  art_pid sup;
  assert_int_equal(art_sup_start(sys, &top, &sup), 0);
  assert_string_equal(g_log, "+a +k +b +c");
  /* one_for_all restarts the nested supervisor asynchronously as well */
  g_log[0] = 0;
  tell(sys, sup, "a", CMD_FAIL);
  assert_string_equal(g_log, "-a -c -b -k +a +k +b +c");
  g_log[0] = 0;
  assert_int_equal(art_sup_stop(sys, sup, ART_FOREVER), 0);
  assert_string_equal(g_log, "-c -b -k -a");
  assert_balanced(&c);
  destroy(sys);
}

/* A nested supervisor whose custom child fails to start fails its parent's start. */
static void test_custom_nested_failure(void **unused) {
  (void)unused;
  art_system *sys = create();
  ctl c = {.name = "k"};
  atomic_store(&c.start_rc, ART_EPERM);
  art_child_spec low_kids[2] = {worker("b", ART_RESTART_PERMANENT),
                                custom("k", &c, ART_RESTART_PERMANENT)};
  art_sup_spec low = sup_spec(ART_SUP_ONE_FOR_ONE, 10, ART_SEC(5), low_kids, 2);
  art_child_spec top_kids[3] = {worker("a", ART_RESTART_PERMANENT),
                                {.id = "low", .type = ART_CHILD_SUPERVISOR, .sup = &low},
                                worker("c", ART_RESTART_PERMANENT)};
  art_sup_spec top = sup_spec(ART_SUP_ONE_FOR_ONE, 10, ART_SEC(5), top_kids, 3);
  assert_int_equal(art_sup_start(sys, &top, NULL), ART_EPERM);
  assert_string_equal(g_log, "+a +b -b -a");
  assert_balanced(&c);
  art_system_run(sys);
  assert_int_equal(it_stats(sys).actors_alive, 0);
  destroy(sys);
}

/* simple_one_for_one over a custom template: each instance's argument is its factory's. */
static void test_custom_simple(void **unused) {
  (void)unused;
  art_system *sys = create();
  ctl c1 = {.name = "one"}, c2 = {.name = "two"};
  art_child_spec tmpl = custom(NULL, NULL, ART_RESTART_PERMANENT);
  art_sup_spec spec = sup_spec(ART_SUP_SIMPLE_ONE_FOR_ONE, 10, ART_SEC(5), &tmpl, 1);
  art_pid sup, p1, p2;
  assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
  assert_int_equal(art_sup_start_simple_child(sys, sup, &c1, &p1), 0);
  assert_int_equal(art_sup_start_simple_child(sys, sup, &c2, &p2), 0);
  assert_string_equal(g_log, "+one +two");
  art_exit_reason err = art_reason_error(ART_EINVAL, NULL);
  assert_int_equal(art_child_fail(atomic_load(&c2.cctx), &err), 0);
  art_system_run(sys);
  assert_string_equal(g_log, "+one +two -two +two");
  assert_int_equal(art_sup_terminate_child_pid(sys, sup, p1), 0);
  assert_int_equal(art_sup_stop(sys, sup, ART_FOREVER), 0);
  assert_balanced(&c1);
  assert_balanced(&c2);
  assert_int_equal(atomic_load(&c2.made), 2);
  destroy(sys);
}

/* From an actor, art_sup_start cannot wait for a custom child: it returns once the supervisor
 * runs, and the child starts right after. */
static art_pid g_started_sup;
static int g_start_rc = 1;

static int starter_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  (void)msg;
  g_start_rc = art_sup_start(art_ctx_system(ctx), state, &g_started_sup);
  return ART_STOP;
}

static const art_actor_ops starter_ops = {.handle = starter_handle};

static void test_custom_start_from_actor(void **unused) {
  (void)unused;
  art_system *sys = create();
  ctl c = {.name = "k"};
  art_child_spec kids[1] = {custom("k", &c, ART_RESTART_PERMANENT)};
  art_sup_spec spec = sup_spec(ART_SUP_ONE_FOR_ONE, 10, ART_SEC(5), kids, 1);
  art_pid starter;
  assert_int_equal(art_spawn(sys, &(art_spawn_opts){.ops = &starter_ops, .state = &spec}, &starter),
                   0);
  assert_int_equal(art_send(sys, starter, 1, NULL, 0), 0);
  art_system_run(sys);
  assert_int_equal(g_start_rc, 0);
  assert_string_equal(g_log, "+k");
  assert_int_equal(info_of(sys, g_started_sup, "k").state, ART_CHILD_RUNNING);
  assert_int_equal(art_sup_stop(sys, g_started_sup, ART_FOREVER), 0);
  assert_balanced(&c);
  destroy(sys);
}

static void test_custom_validation(void **unused) {
  (void)unused;
  art_system *sys = create();
  ctl c = {0};
  art_child_spec k = custom("k", &c, ART_RESTART_PERMANENT);
  art_sup_spec spec = sup_spec(ART_SUP_ONE_FOR_ONE, 10, ART_SEC(5), &k, 1);
  k.factory = NULL;
  assert_int_equal(art_sup_start(sys, &spec, NULL), ART_EINVAL);
  k = custom("k", &c, ART_RESTART_PERMANENT);
  static const art_child_ops no_start = {.stop = obj_stop};
  static const art_child_ops no_stop = {.start = obj_start};
  k.ops = &no_start;
  assert_int_equal(art_sup_start(sys, &spec, NULL), ART_EINVAL);
  k.ops = &no_stop;
  assert_int_equal(art_sup_start(sys, &spec, NULL), ART_EINVAL);
  assert_int_equal(atomic_load(&c.made), 0);
  destroy(sys);
}

/* ---- real threads ---------------------------------------------------------------------- */

static art_test_alloc g_tta;

static art_system *create_threaded(void) {
  g_log[0] = 0;
  return it_create(&g_tta, 2, IT_POOL_DEFAULT);
}

static int echo_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  (void)state;
  return art_reply(art_ctx_system(ctx), msg, msg->type, msg->data, msg->size);
}

static const art_actor_ops echo_ops = {.handle = echo_handle};

/* A request to an ordinary actor gets its answer: the workers are free. */
static void assert_round_trip(art_system *sys, art_pid echo) {
  int value = 42, got = 0;
  art_call_reply rep = {.data = &got, .capacity = sizeof got};
  assert_int_equal(art_call(sys, echo, 7, &value, sizeof value, it_timeout_ms(IT_WAIT_MS), &rep),
                   0);
  assert_int_equal(got, 42);
}

typedef struct start_job {
  art_system *sys;
  const art_sup_spec *spec;
  art_pid sup;
  art_duration stop_timeout;
  int rc;
} start_job;

static void *start_thread(void *arg) {
  start_job *j = arg;
  j->rc = art_sup_start(j->sys, j->spec, &j->sup);
  return NULL;
}

static void *stop_thread(void *arg) {
  start_job *j = arg;
  j->rc = art_sup_stop(j->sys, j->sup, j->stop_timeout);
  return NULL;
}

/* A start that blocks runs on the host's thread: while it blocks, other actors answer, and
 * art_sup_start (on another thread) returns only when it is over. */
static void test_blocking_start(void **unused) {
  (void)unused;
  art_system *sys = create_threaded();
  art_pid echo;
  assert_int_equal(art_spawn(sys, &(art_spawn_opts){.ops = &echo_ops}, &echo), 0);
  ctl c = {0};
  atomic_store(&c.hold_start, true);
  art_child_spec kids[1] = {custom("k", &c, ART_RESTART_PERMANENT)};
  art_sup_spec spec = default_spec(kids, 1);
  start_job job = {.sys = sys, .spec = &spec, .rc = 1};
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, start_thread, &job), 0);
  assert_true(ART_WAIT_UNTIL(atomic_load(&c.in_start), IT_WAIT_MS));
  for (int i = 0; i < 10; i++)
    assert_round_trip(sys, echo);
  assert_int_equal(job.rc, 1); /* still waiting */
  atomic_store(&c.hold_start, false);
  pthread_join(t, NULL);
  assert_int_equal(job.rc, 0);
  assert_int_equal(atomic_load(&c.started), 1);
  assert_int_equal(art_sup_stop(sys, job.sup, ART_FOREVER), 0);
  it_destroy(sys, &g_tta);
  assert_balanced(&c);
}

/* A stop that blocks runs on the host's thread too; art_sup_stop waits for it (well within
 * the timeout) while other actors answer. */
static void test_blocking_stop(void **unused) {
  (void)unused;
  art_system *sys = create_threaded();
  art_pid echo;
  assert_int_equal(art_spawn(sys, &(art_spawn_opts){.ops = &echo_ops}, &echo), 0);
  ctl c = {0};
  art_child_spec kids[1] = {custom("k", &c, ART_RESTART_PERMANENT)};
  kids[0].shutdown = (art_shutdown){.kind = ART_SHUTDOWN_GRACEFUL, .timeout = ART_SEC(3600)};
  art_sup_spec spec = default_spec(kids, 1);
  start_job job = {.sys = sys, .spec = &spec, .rc = 1, .stop_timeout = ART_FOREVER};
  assert_int_equal(art_sup_start(sys, &spec, &job.sup), 0);
  atomic_store(&c.hold_stop, true);
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, stop_thread, &job), 0);
  assert_true(ART_WAIT_UNTIL(atomic_load(&c.in_stop), IT_WAIT_MS));
  assert_round_trip(sys, echo);
  assert_int_equal(job.rc, 1);
  assert_true(art_is_alive(sys, job.sup));
  atomic_store(&c.hold_stop, false);
  pthread_join(t, NULL);
  assert_int_equal(job.rc, 0);
  assert_int_equal(atomic_load(&c.stop_timeout), ART_SEC(3600));
  it_destroy(sys, &g_tta);
  assert_balanced(&c);
}

/* infinity: the supervisor waits for the stop however long it takes. */
static void test_stop_infinity(void **unused) {
  (void)unused;
  art_system *sys = create_threaded();
  ctl c = {0};
  art_child_spec kids[1] = {custom("k", &c, ART_RESTART_PERMANENT)};
  kids[0].shutdown.kind = ART_SHUTDOWN_INFINITY;
  art_sup_spec spec = default_spec(kids, 1);
  start_job job = {.sys = sys, .spec = &spec, .rc = 1, .stop_timeout = ART_FOREVER};
  assert_int_equal(art_sup_start(sys, &spec, &job.sup), 0);
  atomic_store(&c.hold_stop, true);
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, stop_thread, &job), 0);
  assert_true(ART_WAIT_UNTIL(atomic_load(&c.in_stop), IT_WAIT_MS));
  assert_int_equal(atomic_load(&c.stop_timeout), ART_FOREVER);
  assert_true(art_is_alive(sys, job.sup));
  atomic_store(&c.hold_stop, false);
  pthread_join(t, NULL);
  assert_int_equal(job.rc, 0);
  it_destroy(sys, &g_tta);
  assert_balanced(&c);
}

/* A start that overruns start_timeout fails with ART_ETIMEDOUT; when it finally succeeds, the
 * object is stopped and destroyed on its host's thread. */
static void test_start_timeout(void **unused) {
  (void)unused;
  art_system *sys = create_threaded();
  ctl c = {0};
  atomic_store(&c.hold_start, true);
  art_child_spec kids[1] = {custom("k", &c, ART_RESTART_PERMANENT)};
  kids[0].start_timeout = ART_MSEC(20);
  art_sup_spec spec = default_spec(kids, 1);
  art_pid sup = ART_PID_NONE;
  assert_int_equal(art_sup_start(sys, &spec, &sup), ART_ETIMEDOUT);
  assert_true(atomic_load(&c.in_start));
  atomic_store(&c.hold_start, false);
  assert_true(ART_WAIT_UNTIL(atomic_load(&c.destroyed) == 1, IT_WAIT_MS));
  assert_int_equal(atomic_load(&c.stopped), 1);
  it_wait_all(sys);
  it_destroy(sys, &g_tta);
  assert_balanced(&c);
}

/* A stop that overruns the graceful timeout is recorded and the child abandoned: the
 * supervisor goes on (here: finishes its own stop) while the stop is still running. */
static void test_stop_abandoned(void **unused) {
  (void)unused;
  art_system *sys = create_threaded();
  ctl c = {0};
  art_child_spec kids[2] = {worker("a", ART_RESTART_PERMANENT),
                            custom("k", &c, ART_RESTART_PERMANENT)};
  kids[1].shutdown = (art_shutdown){.kind = ART_SHUTDOWN_GRACEFUL, .timeout = ART_MSEC(20)};
  art_sup_spec spec = default_spec(kids, 2);
  art_pid sup;
  assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
  atomic_store(&c.hold_stop, true);
  assert_int_equal(art_sup_stop(sys, sup, ART_FOREVER), 0);
  assert_true(atomic_load(&c.in_stop) || ART_WAIT_UNTIL(atomic_load(&c.in_stop), IT_WAIT_MS));
  assert_int_equal(atomic_load(&c.stopped), 0); /* still inside stop */
  art_event ev = last_event(sys, ART_EVENT_SUPERVISION_CHILD_STOPPED);
  assert_string_equal(ev.child_id, "a"); /* after k's, in reverse order */
  art_event evs[8];
  size_t n = events_of(sys, ART_EVENT_SUPERVISION_CHILD_STOPPED, evs, 8);
  assert_int_equal(n, 2);
  assert_string_equal(evs[0].child_id, "k");
  assert_int_equal(evs[0].reason, ART_EXIT_TIMEOUT);
  atomic_store(&c.hold_stop, false);
  assert_true(ART_WAIT_UNTIL(atomic_load(&c.destroyed) == 1, IT_WAIT_MS));
  it_wait_all(sys);
  it_destroy(sys, &g_tta);
  assert_balanced(&c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_custom_lifecycle),        cmocka_unit_test(test_custom_start_failure),
      cmocka_unit_test(test_custom_dynamic),          cmocka_unit_test(test_custom_nested),
      cmocka_unit_test(test_custom_nested_failure),   cmocka_unit_test(test_custom_simple),
      cmocka_unit_test(test_custom_start_from_actor), cmocka_unit_test(test_custom_validation),
      cmocka_unit_test(test_blocking_start),          cmocka_unit_test(test_blocking_stop),
      cmocka_unit_test(test_stop_infinity),           cmocka_unit_test(test_start_timeout),
      cmocka_unit_test(test_stop_abandoned),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
