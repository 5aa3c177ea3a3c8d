/*
 * Supervisors under allocation failure: a scenario that uses every part of the module (a
 * tree with an actor child with backoff and health checks, a custom child and a nested
 * supervisor under one_for_all; the dynamic API; a simple_one_for_one supervisor with
 * instances failing (with a backoff) and terminated, one while it waits for its restart; both
 * stopped) runs once per allocation, with that
 * allocation failing. Whatever the failure does to the scenario, nothing may crash or leak,
 * and each custom object is stopped and destroyed exactly once.
 */
#include "sup_custom.h"

static void fail_child(art_system *sys, art_pid sup, size_t index) {
  art_sup_child_info info[8];
  size_t n = 0;
  int rc = art_sup_which_children(sys, sup, info, 8, &n);
  if ((rc == 0 || rc == ART_ERANGE) && index < n && index < 8 && info[index].pid)
    (void)art_send(sys, info[index].pid, CMD_FAIL, NULL, 0);
  art_system_run(sys);
}

static void scenario(art_system *sys, ctl *c) {
  art_child_spec low_kids[2] = {worker("b", ART_RESTART_PERMANENT),
                                worker("t", ART_RESTART_TEMPORARY)};
  art_sup_spec low = sup_spec(ART_SUP_ONE_FOR_ONE, 10, ART_SEC(5), low_kids, 2);
  art_child_spec kids[3] = {worker("a", ART_RESTART_PERMANENT),
                            custom("k", c, ART_RESTART_PERMANENT),
                            {.id = "low", .type = ART_CHILD_SUPERVISOR, .sup = &low}};
  kids[0].backoff = (art_backoff){.base = ART_MSEC(10), .jitter = 0.5};
  kids[0].health = (art_health_spec){.interval = ART_MSEC(5)};
  kids[0].max_restarts = 5;
  kids[0].restart_window = ART_SEC(1);
  kids[1].health = (art_health_spec){.interval = ART_MSEC(7)};
  art_sup_spec top = sup_spec(ART_SUP_ONE_FOR_ALL, 10, ART_SEC(5), kids, 3);
  art_pid sup = ART_PID_NONE, simple = ART_PID_NONE, pid;
  (void)art_sup_start(sys, &top, &sup);
  fail_child(sys, sup, 0);
  art_clock_advance(sys, ART_MSEC(50));
  fail_child(sys, sup, 2);
  art_child_spec d = worker("d", ART_RESTART_TRANSIENT);
  (void)art_sup_start_child(sys, sup, &d, NULL);
  (void)art_sup_terminate_child(sys, sup, "d");
  (void)art_sup_restart_child(sys, sup, "d", NULL);
  (void)art_sup_terminate_child(sys, sup, "d");
  (void)art_sup_delete_child(sys, sup, "d");
  art_sup_counts counts;
  (void)art_sup_count_children(sys, sup, &counts);

  art_child_spec tmpl = worker(NULL, ART_RESTART_TRANSIENT);
  tmpl.backoff.base = ART_MSEC(10);
  art_sup_spec spec = sup_spec(ART_SUP_SIMPLE_ONE_FOR_ONE, 10, ART_SEC(5), &tmpl, 1);
  (void)art_sup_start(sys, &spec, &simple);
  static const char *names[3] = {"x", "y", "z"};
  art_pid z = ART_PID_NONE;
  for (int i = 0; i < 3; i++) {
    if (art_sup_start_simple_child(sys, simple, (void *)names[i], &pid) != 0)
      continue;
    if (i == 1)
      (void)art_sup_terminate_child_pid(sys, simple, pid);
    else if (i == 2)
      z = pid;
  }
  fail_child(sys, simple, 0);
  if (z != ART_PID_NONE && art_send(sys, z, CMD_FAIL, NULL, 0) == 0) {
    art_system_run(sys); /* z waits for its restart: terminated by its last pid */
    (void)art_sup_terminate_child_pid(sys, simple, z);
  }
  art_clock_advance(sys, ART_MSEC(50));
  (void)art_sup_stop(sys, simple, ART_FOREVER);
  (void)art_sup_stop(sys, sup, ART_FOREVER);
  art_clock_advance(sys, ART_SEC(10));
}

static void test_every_allocation_fails(void **unused) {
  (void)unused;
  uint64_t n = 1;
  for (;; n++) {
    art_system *sys = create();
    ctl c = {0};
    art_test_alloc_fail_at(&g_ta, n);
    scenario(sys, &c);
    bool fired = atomic_load(&g_ta.failures) > 0;
    art_test_alloc_fail_at(&g_ta, 0);
    if (!fired) { /* the whole scenario ran: it did what it is meant to */
      assert_true(atomic_load(&c.made) >= 2);
      assert_true(event_count(sys, ART_EVENT_SUPERVISION_CHILD_RESTARTED) >= 4);
    }
    destroy(sys);
    assert_balanced(&c);
    if (!fired)
      break;
  }
  fprintf(stderr, "allocations failed in turn: %llu\n", (unsigned long long)(n - 1));
  assert_true(n > 100); /* the scenario allocates; every allocation was failed once */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_allocation_fails),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
