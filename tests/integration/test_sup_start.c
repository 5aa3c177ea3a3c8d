/*
 * The asynchronous part of a supervisor's start and of its dynamic starts (custom children,
 * nested supervisors that have them): only the thread that launched the supervisor can wait
 * for the end of its start (a stranger's request of the same type changes nothing), and a
 * shutdown that comes while a start is awaited gets through: the start is abandoned, the
 * child still starting is stopped with the others, and whoever waited is answered, even when
 * the start has no time limit and never ends by itself. Stop and destroy still run exactly
 * once per start and per object; nothing leaks.
 */
#include "sup/sup.h"
#include "sup_custom.h"

/* ---- who may wait for a start --------------------------------------------------------- */

/* A custom child's start that first sends the supervisor a request of the type the launcher
 * waits with (the supervisor is found through the child_started event of the child before). */
static int forging_start(void *obj, art_child_ctx *cctx) {
  art_system *sys = art_child_system(cctx);
  art_event ev = last_event(sys, ART_EVENT_SUPERVISION_CHILD_STARTED);
  assert_int_equal(art_send(sys, ev.other, SUP_REQ_WAIT, NULL, 0), 0);
  return obj_start(obj, cctx);
}

static const art_child_ops forging_ops = {
    .start = forging_start, .stop = obj_stop, .destroy = obj_destroy};

/* The launcher's wait is answered even though a stranger asked the same while the start was
 * pending (the stranger's request used to take the launcher's place, and art_sup_start never
 * heard of the end of the start). */
static void test_forged_wait(void **unused) {
  (void)unused;
  art_system *sys = create();
  ctl c = {.name = "k"};
  art_child_spec kids[2] = {worker("a", ART_RESTART_PERMANENT),
                            custom("k", &c, ART_RESTART_PERMANENT)};
  kids[1].ops = &forging_ops;
  art_sup_spec spec = sup_spec(ART_SUP_ONE_FOR_ONE, 10, ART_SEC(5), kids, 2);
  art_pid sup = ART_PID_NONE;
  assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
  assert_string_equal(g_log, "+a +k");
  assert_int_equal(info_of(sys, sup, "k").state, ART_CHILD_RUNNING);
  assert_int_equal(art_sup_stop(sys, sup, ART_FOREVER), 0);
  assert_balanced(&c);
  destroy(sys);
}

/* ---- a shutdown while a start is awaited ------------------------------------------------ */

static art_test_alloc g_tta;

typedef struct job {
  art_system *sys;
  const art_sup_spec *spec;
  const art_child_spec *child;
  art_pid sup;
  atomic_int rc; /* 1 while running */
} job;

static void *start_thread(void *arg) {
  job *j = arg;
  atomic_store(&j->rc, art_sup_start(j->sys, j->spec, &j->sup));
  return NULL;
}

static void *start_child_thread(void *arg) {
  job *j = arg;
  atomic_store(&j->rc, art_sup_start_child(j->sys, j->sup, j->child, NULL));
  return NULL;
}

static void *shutdown_thread(void *arg) {
  job *j = arg;
  atomic_store(&j->rc, art_system_shutdown(j->sys, ART_FOREVER));
  return NULL;
}

/* A custom child whose start blocks with no time limit, stopped at once when it is stopped. */
static art_child_spec endless_start(const char *id, ctl *c) {
  art_child_spec k = custom(id, c, ART_RESTART_PERMANENT);
  k.start_timeout = ART_FOREVER;
  k.shutdown.kind = ART_SHUTDOWN_IMMEDIATE;
  atomic_store(&c->hold_start, true);
  return k;
}

/* The system's shutdown reaches a supervisor whose start awaits a start that does not end:
 * the supervisor stops its children and exits, and art_sup_start returns ART_ESHUTDOWN, while
 * the child's start still blocks; the object is stopped and destroyed on its thread once its
 * start returns. */
static void test_system_shutdown_during_start(void **unused) {
  (void)unused;
  art_system *sys = it_create(&g_tta, 2, IT_POOL_DEFAULT);
  ctl c = {0};
  art_child_spec kids[2] = {worker("a", ART_RESTART_PERMANENT), endless_start("k", &c)};
  art_sup_spec spec = default_spec(kids, 2);
  job starter = {.sys = sys, .spec = &spec, .rc = 1}, stopper = {.sys = sys, .rc = 1};
  pthread_t t1, t2;
  assert_int_equal(pthread_create(&t1, NULL, start_thread, &starter), 0);
  assert_true(ART_WAIT_UNTIL(atomic_load(&c.in_start), IT_WAIT_MS));
  assert_int_equal(pthread_create(&t2, NULL, shutdown_thread, &stopper), 0);
  bool returned = ART_WAIT_UNTIL(atomic_load(&starter.rc) != 1, IT_WAIT_MS);
  bool gone = ART_WAIT_UNTIL(it_stats(sys).actors_alive == 1, IT_WAIT_MS); /* the host */
  bool still_starting = atomic_load(&c.in_start);
  atomic_store(&c.hold_start, false);
  pthread_join(t1, NULL);
  pthread_join(t2, NULL);
  assert_true(returned);
  assert_true(gone);
  assert_true(still_starting);
  assert_int_equal(atomic_load(&starter.rc), ART_ESHUTDOWN);
  assert_int_equal(atomic_load(&stopper.rc), 0);
  it_destroy(sys, &g_tta);
  assert_int_equal(atomic_load(&c.made), 1);
  assert_balanced(&c);
}

/* A parent's exit signal reaches a supervisor whose start_child awaits a nested supervisor,
 * which itself awaits its custom child's endless start: the start_child caller is answered
 * (ART_ESRCH: the supervisor is going), the nested supervisor is stopped, gives up its own
 * pending start the same way, and both exit while the start still blocks. */
static void test_parent_exit_during_start(void **unused) {
  (void)unused;
  art_system *sys = it_create(&g_tta, 2, IT_POOL_DEFAULT);
  ctl c = {0};
  art_child_spec low_kids[2] = {worker("b", ART_RESTART_PERMANENT), endless_start("k", &c)};
  art_sup_spec low = default_spec(low_kids, 2);
  art_child_spec nested = {.id = "low", .type = ART_CHILD_SUPERVISOR, .sup = &low};
  art_sup_spec top = default_spec(NULL, 0);
  job starter = {.sys = sys, .child = &nested, .rc = 1};
  assert_int_equal(art_sup_start(sys, &top, &starter.sup), 0);
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, start_child_thread, &starter), 0);
  assert_true(ART_WAIT_UNTIL(atomic_load(&c.in_start), IT_WAIT_MS));
  art_exit_reason shutdown = art_reason(ART_EXIT_SHUTDOWN);
  assert_int_equal(art_send_exit(sys, starter.sup, &shutdown), 0);
  bool returned = ART_WAIT_UNTIL(atomic_load(&starter.rc) != 1, IT_WAIT_MS);
  bool gone = ART_WAIT_UNTIL(it_stats(sys).actors_alive == 1, IT_WAIT_MS); /* the host */
  bool still_starting = atomic_load(&c.in_start);
  atomic_store(&c.hold_start, false);
  pthread_join(t, NULL);
  assert_true(returned);
  assert_true(gone);
  assert_true(still_starting);
  assert_int_equal(atomic_load(&starter.rc), ART_ESRCH);
  assert_false(art_is_alive(sys, starter.sup));
  it_wait_all(sys);
  it_destroy(sys, &g_tta);
  assert_balanced(&c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_forged_wait),
      cmocka_unit_test(test_system_shutdown_during_start),
      cmocka_unit_test(test_parent_exit_during_start),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
