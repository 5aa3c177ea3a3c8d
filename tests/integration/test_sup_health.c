/*
 * Health checks: degraded is recorded and not counted, failed answers count in a row and
 * healthy resets the count, the threshold stops the child and hands it to the restart policy
 * and the strategy as an exit with reason health_check_failed, an actor without a health
 * callback is healthy, a custom child's health_check answers for it; with real threads,
 * checks that get no answer in time (an actor stuck in a handler, a health_check that blocks)
 * count as failures. The answer shows in which_children.
 */
#include "sup_custom.h"

static atomic_int g_health;

static art_health_status report_health(art_ctx *ctx, void *state, char *reason, size_t len) {
  (void)ctx;
  (void)state;
  art_health_status h = (art_health_status)atomic_load(&g_health);
  snprintf(reason, len, "status %d", (int)h);
  return h;
}

static const art_actor_ops checked_ops = {.pre_start = child_pre_start,
                                          .handle = child_handle,
                                          .post_stop = child_post_stop,
                                          .health = report_health};

static art_child_spec checked(const char *id, art_restart restart) {
  art_child_spec c = worker(id, restart);
  c.actor.ops = &checked_ops;
  c.health = (art_health_spec){.interval = ART_SEC(1), .timeout = ART_MSEC(100), .threshold = 3};
  return c;
}

static void answer_next(art_system *sys, art_health_status h) {
  atomic_store(&g_health, h);
  art_clock_advance(sys, ART_SEC(1));
}

static void test_health_thresholds(void **unused) {
  (void)unused;
  art_system *sys = create();
  art_child_spec kids[2] = {worker("z", ART_RESTART_PERMANENT),
                            checked("a", ART_RESTART_PERMANENT)};
  art_sup_spec spec = sup_spec(ART_SUP_ONE_FOR_ONE, 10, ART_SEC(5), kids, 2);
  art_pid sup;
  assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
  answer_next(sys, ART_HEALTH_HEALTHY);
  answer_next(sys, ART_HEALTH_DEGRADED);
  answer_next(sys, ART_HEALTH_DEGRADED);
  assert_int_equal(event_count(sys, ART_EVENT_SUPERVISION_CHILD_DEGRADED), 2);
  assert_string_equal(last_event(sys, ART_EVENT_SUPERVISION_CHILD_DEGRADED).text, "status 1");
  assert_int_equal(info_of(sys, sup, "a").health, ART_HEALTH_DEGRADED);
  answer_next(sys, ART_HEALTH_FAILED);
  answer_next(sys, ART_HEALTH_FAILED);
  assert_int_equal(last_event(sys, ART_EVENT_SUPERVISION_HEALTH_CHECK_FAILED).count, 2);
  answer_next(sys, ART_HEALTH_HEALTHY); /* resets the count */
  assert_int_equal(info_of(sys, sup, "a").health, ART_HEALTH_HEALTHY);
  answer_next(sys, ART_HEALTH_FAILED);
  answer_next(sys, ART_HEALTH_DEGRADED); /* neither counts nor resets */
  answer_next(sys, ART_HEALTH_FAILED);
  g_log[0] = 0;
  answer_next(sys, ART_HEALTH_FAILED);
  art_event failed = last_event(sys, ART_EVENT_SUPERVISION_HEALTH_CHECK_FAILED);
  assert_int_equal(failed.count, 3);
  assert_string_equal(failed.text, "status 2");
  assert_string_equal(g_log, "-a +a"); /* stopped and restarted */
  art_event ev = last_event(sys, ART_EVENT_SUPERVISION_CHILD_FAILED);
  assert_int_equal(ev.reason, ART_EXIT_HEALTH_CHECK_FAILED);
  assert_string_equal(ev.child_id, "a");
  art_sup_child_info a = info_of(sys, sup, "a");
  assert_int_equal(a.restarts, 1);
  assert_int_equal(a.health, ART_HEALTH_HEALTHY);
  assert_int_equal(event_count(sys, ART_EVENT_SUPERVISION_HEALTH_CHECK_FAILED), 5);
  /* the new run is checked again from the start */
  g_log[0] = 0;
  answer_next(sys, ART_HEALTH_FAILED);
  answer_next(sys, ART_HEALTH_FAILED);
  answer_next(sys, ART_HEALTH_FAILED);
  assert_string_equal(g_log, "-a +a");
  assert_int_equal(art_sup_stop(sys, sup, ART_FOREVER), 0);
  destroy(sys);
}

/* Without a health callback an actor is healthy: checks run, nothing is recorded. */
static void test_health_default(void **unused) {
  (void)unused;
  art_system *sys = create();
  art_child_spec kids[1] = {worker("a", ART_RESTART_PERMANENT)};
  kids[0].health.interval = ART_MSEC(10);
  art_sup_spec spec = sup_spec(ART_SUP_ONE_FOR_ONE, 10, ART_SEC(5), kids, 1);
  art_pid sup;
  assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
  art_system_stats before = it_stats(sys);
  art_clock_advance(sys, ART_SEC(1));
  art_system_stats after = it_stats(sys);
  assert_true(after.messages_handled - before.messages_handled >= 200); /* 100 checks, answers */
  assert_int_equal(event_count(sys, ART_EVENT_SUPERVISION_HEALTH_CHECK_FAILED), 0);
  assert_int_equal(event_count(sys, ART_EVENT_SUPERVISION_CHILD_DEGRADED), 0);
  assert_int_equal(info_of(sys, sup, "a").restarts, 0);
  destroy(sys);
}

/* A health failure is an abnormal exit for the restart policy and the strategy: a transient
 * child is restarted (one_for_all: with its siblings), a temporary one is dropped. */
static void test_health_policies(void **unused) {
  (void)unused;
  art_system *sys = create();
  art_child_spec kids[3] = {worker("a", ART_RESTART_PERMANENT), checked("t", ART_RESTART_TRANSIENT),
                            checked("x", ART_RESTART_TEMPORARY)};
  kids[1].health.threshold = 1;
  kids[2].health = (art_health_spec){.interval = ART_MSEC(1500), .threshold = 1};
  art_sup_spec spec = sup_spec(ART_SUP_ONE_FOR_ALL, 10, ART_SEC(5), kids, 3);
  art_pid sup;
  assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
  g_log[0] = 0;
  answer_next(sys, ART_HEALTH_FAILED); /* t at 1 s */
  assert_string_equal(g_log, "-t -x -a +a +t");
  art_sup_counts counts;
  assert_int_equal(art_sup_count_children(sys, sup, &counts), 0);
  assert_int_equal(counts.specs, 2);
  destroy(sys);
}

/* A custom child's health_check answers for it; at the threshold, a fresh object. */
static void test_health_custom(void **unused) {
  (void)unused;
  art_system *sys = create();
  ctl c = {.name = "k"};
  art_child_spec kids[1] = {custom("k", &c, ART_RESTART_PERMANENT)};
  kids[0].health = (art_health_spec){.interval = ART_SEC(1), .threshold = 2};
  art_sup_spec spec = sup_spec(ART_SUP_ONE_FOR_ONE, 10, ART_SEC(5), kids, 1);
  art_pid sup;
  assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
  atomic_store(&c.health, ART_HEALTH_DEGRADED);
  art_clock_advance(sys, ART_SEC(1));
  assert_string_equal(last_event(sys, ART_EVENT_SUPERVISION_CHILD_DEGRADED).text,
                      "object 1 says 1");
  atomic_store(&c.health, ART_HEALTH_FAILED);
  art_clock_advance(sys, ART_SEC(2));
  assert_string_equal(g_log, "+k -k +k");
  assert_int_equal(atomic_load(&c.made), 2);
  assert_int_equal(art_sup_stop(sys, sup, ART_FOREVER), 0);
  assert_balanced(&c);
  destroy(sys);
}

/* ---- real threads: checks that get no answer ------------------------------------------------ */

static atomic_bool g_hold;

/* A dedicated actor that, told CMD_FAIL + 10, sits in its handler until the test lets go. */
static int stuck_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  (void)ctx;
  (void)state;
  if (msg->type == CMD_FAIL + 10)
    gate_wait(&g_hold);
  return 0;
}

static int stuck_start(art_ctx *ctx, void *state, void *args) {
  (void)ctx;
  (void)state;
  (void)args;
  return 0;
}

static const art_actor_ops stuck_ops = {.pre_start = stuck_start, .handle = stuck_handle};

static art_test_alloc g_tta;

static bool timeouts_seen(art_system *sys, uint64_t n) {
  art_event ev[64];
  size_t k = events_of(sys, ART_EVENT_SUPERVISION_HEALTH_CHECK_FAILED, ev, 64);
  return k >= n && k <= 64 && strcmp(ev[k - 1].text, "no answer in time") == 0;
}

static void test_health_timeout_actor(void **unused) {
  (void)unused;
  art_system *sys = it_create(&g_tta, 2, IT_POOL_DEFAULT);
  art_child_spec kids[1] = {
      {.id = "s", .actor = {.ops = &stuck_ops, .flags = ART_SPAWN_DEDICATED}}};
  kids[0].health =
      (art_health_spec){.interval = ART_MSEC(5), .timeout = ART_MSEC(5), .threshold = 2};
  kids[0].shutdown.kind = ART_SHUTDOWN_IMMEDIATE;
  art_sup_spec spec = default_spec(kids, 1);
  art_pid sup;
  assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
  art_pid s = pid_of(sys, sup, "s");
  atomic_store(&g_hold, true);
  assert_int_equal(art_send(sys, s, CMD_FAIL + 10, NULL, 0), 0);
  assert_true(ART_WAIT_UNTIL(timeouts_seen(sys, 2), IT_WAIT_MS));
  atomic_store(&g_hold, false); /* the kill takes effect when the handler returns */
  assert_true(ART_WAIT_UNTIL(info_of(sys, sup, "s").restarts == 1, IT_WAIT_MS));
  assert_false(art_is_alive(sys, s));
  assert_int_equal(art_sup_stop(sys, sup, ART_FOREVER), 0);
  it_destroy(sys, &g_tta);
}

/* A custom child whose health_check blocks: the checks time out, the child is abandoned at
 * the threshold (immediate shutdown) and restarted with a fresh object while the old one is
 * still stuck; the old one is stopped and destroyed when it comes back. */
static void test_health_timeout_custom(void **unused) {
  (void)unused;
  art_system *sys = it_create(&g_tta, 2, IT_POOL_DEFAULT);
  ctl c = {0};
  art_child_spec kids[1] = {custom("k", &c, ART_RESTART_PERMANENT)};
  kids[0].health =
      (art_health_spec){.interval = ART_MSEC(5), .timeout = ART_MSEC(5), .threshold = 2};
  kids[0].shutdown.kind = ART_SHUTDOWN_IMMEDIATE;
  art_sup_spec spec = default_spec(kids, 1);
  spec.intensity = 100;
  art_pid sup;
  atomic_store(&c.hold_health, true);
  assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
  assert_true(ART_WAIT_UNTIL(atomic_load(&c.made) >= 2, IT_WAIT_MS));
  assert_true(timeouts_seen(sys, 2));
  atomic_store(&c.hold_health, false);
  assert_int_equal(art_sup_stop(sys, sup, ART_FOREVER), 0);
  it_wait_all(sys);
  it_destroy(sys, &g_tta);
  assert_balanced(&c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_health_thresholds),    cmocka_unit_test(test_health_default),
      cmocka_unit_test(test_health_policies),      cmocka_unit_test(test_health_custom),
      cmocka_unit_test(test_health_timeout_actor), cmocka_unit_test(test_health_timeout_custom),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
