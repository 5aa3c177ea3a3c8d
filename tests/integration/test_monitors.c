/*
 * Monitors (art_monitor, art_demonitor, ART_SPAWN_MONITOR) with OTP's semantics: one DOWN per
 * monitor with the exit reason, stackable, noproc for a dead target, nothing after a
 * successful demonitor (also when the target exits around it), and a monitor racing with the
 * target's exit.
 */
#include "services.h"

static art_ref monitor(art_system *sys, art_pid watcher, svc_probe *p, art_pid target) {
  svc_cmd cmd = svc_pid_cmd(target);
  assert_int_equal(svc_do(sys, watcher, p, SVC_MONITOR, &cmd), 0);
  art_ref ref = SVC_GET(p, ref);
  assert_true(ref != 0);
  return ref;
}

static void assert_down(svc_probe *p, int i, art_ref ref, art_pid pid,
                        const art_exit_reason *reason) {
  assert_true(i < SVC_MAX_RECORDS);
  assert_int_equal(p->down_size[i], sizeof(art_down_msg));
  assert_int_equal(p->downs[i].ref, ref);
  assert_int_equal(p->down_correlation[i], ref);
  assert_int_equal(p->downs[i].pid, pid);
  svc_assert_reason(&p->downs[i].reason, reason);
}

/* One DOWN with the target's exit reason, whatever the reason (normal included); the watcher,
 * not trapping, is not affected: a monitor is one-way. */
static void test_down_carries_reason(void **unused) {
  (void)unused;
  art_exit_reason reasons[4];
  reasons[0] = art_reason(ART_EXIT_NORMAL);
  reasons[1] = svc_fail_reason(ART_EPERM);
  reasons[2] = art_reason(ART_EXIT_KILLED);
  reasons[3] = art_reason_shutdown("enough");
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  svc_probe watcher;
  svc_probe_init(&watcher);
  art_pid w = svc_spawn_probe(sys, &watcher, 0);
  svc_probe targets[4];
  art_pid pids[4];
  art_ref refs[4];
  for (int i = 0; i < 4; i++) {
    svc_probe_init(&targets[i]);
    pids[i] = svc_spawn_probe(sys, &targets[i], 0);
    refs[i] = monitor(sys, w, &watcher, pids[i]);
    svc_sync(sys, pids[i], &targets[i]); /* the monitor is in place */
    if (i == 0) {
      svc_send(sys, pids[i], SVC_STOP, NULL);
    } else if (i == 1) {
      svc_cmd fail = {.code = ART_EPERM};
      svc_send(sys, pids[i], SVC_FAIL, &fail);
    } else {
      assert_int_equal(art_send_exit(sys, pids[i], &reasons[i]), 0);
    }
    assert_true(ART_WAIT_UNTIL(SVC_GET(&watcher, down_count) == i + 1, IT_WAIT_MS));
  }
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < i; j++)
      assert_true(refs[i] != refs[j]);
  svc_wait_alive(sys, 1);
  svc_sync(sys, w, &watcher);
  assert_true(art_is_alive(sys, w));
  assert_int_equal(art_system_shutdown(sys, it_timeout_ms(IT_WAIT_MS)), 0);
  it_destroy(sys, &ta);
  assert_int_equal(watcher.down_count, 4);
  for (int i = 0; i < 4; i++) {
    assert_down(&watcher, i, refs[i], pids[i], &reasons[i]);
    svc_assert_reason(&targets[i].reason, &reasons[i]);
    svc_probe_fini(&targets[i]);
  }
  assert_int_equal(watcher.reason.kind, ART_EXIT_SHUTDOWN);
  assert_int_equal(watcher.exit_count, 0);
  svc_probe_fini(&watcher);
}

/* Monitors stack: two monitors from one watcher and one from another give three DOWNs, each
 * with its own reference. */
static void test_monitors_stack(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  svc_probe w1p, w2p, tp;
  svc_probe_init(&w1p);
  svc_probe_init(&w2p);
  svc_probe_init(&tp);
  art_pid w1 = svc_spawn_probe(sys, &w1p, 0);
  art_pid w2 = svc_spawn_probe(sys, &w2p, 0);
  art_pid t = svc_spawn_probe(sys, &tp, 0);
  art_ref r1 = monitor(sys, w1, &w1p, t);
  art_ref r2 = monitor(sys, w1, &w1p, t);
  art_ref r3 = monitor(sys, w2, &w2p, t);
  assert_true(r1 != r2 && r1 != r3 && r2 != r3);
  svc_sync(sys, t, &tp);
  svc_cmd fail = {.code = ART_ERANGE};
  svc_send(sys, t, SVC_FAIL, &fail);
  assert_true(ART_WAIT_UNTIL(SVC_GET(&w1p, down_count) == 2, IT_WAIT_MS));
  assert_true(ART_WAIT_UNTIL(SVC_GET(&w2p, down_count) == 1, IT_WAIT_MS));
  svc_wait_alive(sys, 2);
  svc_sync(sys, w1, &w1p);
  svc_sync(sys, w2, &w2p);
  assert_int_equal(art_system_shutdown(sys, it_timeout_ms(IT_WAIT_MS)), 0);
  it_destroy(sys, &ta);
  art_exit_reason failed = svc_fail_reason(ART_ERANGE);
  assert_int_equal(w1p.down_count, 2);
  int first = w1p.downs[0].ref == r1 ? 0 : 1;
  assert_down(&w1p, first, r1, t, &failed);
  assert_down(&w1p, 1 - first, r2, t, &failed);
  assert_int_equal(w2p.down_count, 1);
  assert_down(&w2p, 0, r3, t, &failed);
  svc_probe_fini(&w1p);
  svc_probe_fini(&w2p);
  svc_probe_fini(&tp);
}

/* Monitoring a dead pid gives a DOWN with reason noproc at once (the pid is the one asked
 * for); NULL ref or ctx are invalid. */
static void test_monitor_dead_pid(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  svc_probe wp, dp;
  svc_probe_init(&wp);
  svc_probe_init(&dp);
  art_pid w = svc_spawn_probe(sys, &wp, 0);
  art_pid d = svc_spawn_probe(sys, &dp, 0);
  svc_send(sys, d, SVC_STOP, NULL);
  svc_wait_alive(sys, 1);
  art_ref r1 = monitor(sys, w, &wp, d);
  art_ref r2 = monitor(sys, w, &wp, d);
  assert_true(r1 != r2);
  assert_true(ART_WAIT_UNTIL(SVC_GET(&wp, down_count) == 2, IT_WAIT_MS));
  svc_cmd no_ref = svc_pid_cmd(d);
  no_ref.on = true;
  assert_int_equal(svc_do(sys, w, &wp, SVC_MONITOR, &no_ref), ART_EINVAL);
  art_ref ref = 0;
  assert_int_equal(art_monitor(NULL, d, &ref), ART_EINVAL);
  assert_int_equal(art_demonitor(NULL, 1), ART_EINVAL);
  svc_sync(sys, w, &wp);
  assert_int_equal(art_system_shutdown(sys, it_timeout_ms(IT_WAIT_MS)), 0);
  it_destroy(sys, &ta);
  art_exit_reason noproc = art_reason(ART_EXIT_NOPROC);
  assert_int_equal(wp.down_count, 2);
  assert_down(&wp, 0, r1, d, &noproc);
  assert_down(&wp, 1, r2, d, &noproc);
  svc_probe_fini(&wp);
  svc_probe_fini(&dp);
}

/* After art_demonitor returns 0, no DOWN for the reference arrives, also when the target had
 * already exited and its DOWN was waiting in the watcher's mailbox. A second demonitor, an
 * unknown reference, and the reference of a delivered DOWN give ART_ENOENT. */
static void test_demonitor(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  svc_probe wp, t1p, t2p, t3p;
  svc_probe_init(&wp);
  svc_probe_init(&t1p);
  svc_probe_init(&t2p);
  svc_probe_init(&t3p);
  art_pid w = svc_spawn_probe(sys, &wp, 0);
  art_pid t1 = svc_spawn_probe(sys, &t1p, 0);
  art_pid t2 = svc_spawn_probe(sys, &t2p, 0);
  art_pid t3 = svc_spawn_probe(sys, &t3p, 0);

  /* Plain: demonitor, then the target exits. */
  art_ref r1 = monitor(sys, w, &wp, t1);
  svc_cmd demon1 = {.ref = r1};
  assert_int_equal(svc_do(sys, w, &wp, SVC_DEMONITOR, &demon1), 0);
  assert_int_equal(svc_do(sys, w, &wp, SVC_DEMONITOR, &demon1), ART_ENOENT);
  svc_send(sys, t1, SVC_STOP, NULL);

  /* The DOWN is already queued when the watcher demonitors. */
  art_ref r2 = monitor(sys, w, &wp, t2);
  svc_sync(sys, t2, &t2p);
  svc_cmd block = {.ref = r2, .code = SVC_DEMONITOR};
  int commands = SVC_GET(&wp, commands);
  svc_send(sys, w, SVC_BLOCK, &block);
  assert_true(ART_WAIT_UNTIL(atomic_load(&wp.blocked), IT_WAIT_MS));
  svc_cmd fail = {.code = ART_EPERM};
  svc_send(sys, t2, SVC_FAIL, &fail);
  svc_wait_alive(sys, 2); /* t1 and t2 are gone: their DOWNs (if any) are queued */
  atomic_store(&wp.gate, true);
  assert_true(ART_WAIT_UNTIL(SVC_GET(&wp, commands) == commands + 1, IT_WAIT_MS));
  assert_int_equal(SVC_GET(&wp, rc), 0);

  /* A delivered DOWN ends the monitor. */
  art_ref r3 = monitor(sys, w, &wp, t3);
  svc_send(sys, t3, SVC_STOP, NULL);
  assert_true(ART_WAIT_UNTIL(SVC_GET(&wp, down_count) == 1, IT_WAIT_MS));
  svc_cmd demon3 = {.ref = r3};
  assert_int_equal(svc_do(sys, w, &wp, SVC_DEMONITOR, &demon3), ART_ENOENT);
  svc_cmd unknown = {.ref = r3 + 1000};
  assert_int_equal(svc_do(sys, w, &wp, SVC_DEMONITOR, &unknown), ART_ENOENT);
  svc_cmd zero = {.ref = 0};
  assert_int_equal(svc_do(sys, w, &wp, SVC_DEMONITOR, &zero), ART_ENOENT);
  svc_wait_alive(sys, 1);
  svc_sync(sys, w, &wp);
  assert_int_equal(art_system_shutdown(sys, it_timeout_ms(IT_WAIT_MS)), 0);
  it_destroy(sys, &ta);
  assert_int_equal(wp.gate_timeouts, 0);
  assert_int_equal(wp.down_count, 1);
  art_exit_reason normal = art_reason(ART_EXIT_NORMAL);
  assert_down(&wp, 0, r3, t3, &normal);
  assert_int_equal(t2p.reason.kind, ART_EXIT_ERROR);
  svc_probe_fini(&wp);
  svc_probe_fini(&t1p);
  svc_probe_fini(&t2p);
  svc_probe_fini(&t3p);
}

/* ART_SPAWN_MONITOR: the parent monitors the child before it runs; a child failing on its first
 * message gives exactly one DOWN with the reference art_spawn returned. Outside an actor, or
 * without monitor_ref, the flag is invalid. */
static void test_spawn_monitor(void **unused) {
  (void)unused;
  enum { ROUNDS = 30 };
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  svc_probe *parent = svc_probe_new();
  art_pid p = svc_spawn_probe(sys, parent, 0);
  svc_probe *children[ROUNDS];
  art_pid child_pids[ROUNDS];
  art_ref refs[ROUNDS];
  for (int i = 0; i < ROUNDS; i++) {
    children[i] = svc_probe_new();
    children[i]->fail_in_pre_start = true;
    children[i]->pre_start_fail_code = ART_ECANCELED;
    svc_cmd spawn = {.child = children[i], .flags = ART_SPAWN_MONITOR};
    assert_int_equal(svc_do(sys, p, parent, SVC_SPAWN, &spawn), 0);
    child_pids[i] = SVC_GET(parent, spawned);
    refs[i] = SVC_GET(parent, ref);
    assert_true(refs[i] != 0);
  }
  assert_true(ART_WAIT_UNTIL(SVC_GET(parent, down_count) == ROUNDS, IT_WAIT_MS));
  svc_wait_alive(sys, 1);
  svc_sync(sys, p, parent);
  svc_probe orphan;
  svc_probe_init(&orphan);
  art_ref ref = 0;
  art_pid none = ART_PID_NONE;
  assert_int_equal(svc_spawn_probe_rc(sys, &orphan, ART_SPAWN_MONITOR, &ref, &none), ART_EINVAL);
  assert_int_equal(svc_spawn_probe_rc(sys, &orphan, ART_SPAWN_MONITOR, NULL, &none), ART_EINVAL);
  /* A monitor from ART_SPAWN_MONITOR can be removed like any other: no DOWN follows. */
  svc_probe quiet;
  svc_probe_init(&quiet);
  svc_cmd spawn_quiet = {.child = &quiet, .flags = ART_SPAWN_MONITOR};
  assert_int_equal(svc_do(sys, p, parent, SVC_SPAWN, &spawn_quiet), 0);
  art_pid quiet_pid = SVC_GET(parent, spawned);
  svc_cmd demon = {.ref = SVC_GET(parent, ref)};
  assert_int_equal(svc_do(sys, p, parent, SVC_DEMONITOR, &demon), 0);
  svc_cmd fail = {.code = ART_EPERM};
  svc_send(sys, quiet_pid, SVC_FAIL, &fail);
  svc_wait_alive(sys, 1);
  svc_sync(sys, p, parent);
  assert_int_equal(SVC_GET(parent, down_count), ROUNDS);
  /* From an actor, with a monitor_ref, the same spawn works (also combined with a link). */
  svc_cmd spawn = {.child = &orphan, .flags = ART_SPAWN_MONITOR | ART_SPAWN_LINK};
  assert_int_equal(svc_do(sys, p, parent, SVC_SPAWN, &spawn), 0);
  assert_true(art_is_alive(sys, p));
  assert_int_equal(art_system_shutdown(sys, it_timeout_ms(IT_WAIT_MS)), 0);
  it_destroy(sys, &ta);
  assert_int_equal(orphan.started, 1);
  svc_probe_fini(&orphan);
  assert_int_equal(quiet.reason.kind, ART_EXIT_ERROR);
  svc_probe_fini(&quiet);
  art_exit_reason failed = svc_fail_reason(ART_ECANCELED);
  assert_int_equal(parent->down_count, ROUNDS);
  for (int i = 0; i < ROUNDS; i++) {
    int found = 0;
    for (int j = 0; j < ROUNDS; j++) {
      if (parent->downs[j].ref == refs[i]) {
        found++;
        assert_down(parent, j, refs[i], child_pids[i], &failed);
      }
    }
    assert_int_equal(found, 1);
    svc_assert_reason(&children[i]->reason, &failed);
    svc_probe_free(children[i]);
  }
  assert_int_equal(parent->reason.kind, ART_EXIT_SHUTDOWN); /* survived its children */
  svc_probe_free(parent);
}

/* ---- races ------------------------------------------------------------------------------------
 */

/* A monitor set while the target exits, many times: exactly one DOWN per monitor, with the
 * real reason or noproc. */
static void test_monitor_race(void **unused) {
  (void)unused;
  enum { ROUNDS = 200 };
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  svc_probe *watcher = svc_probe_new();
  art_pid w = svc_spawn_probe(sys, watcher, 0);
  art_pid targets[ROUNDS];
  art_ref refs[ROUNDS];
  int real = 0, noproc = 0;
  for (int i = 0; i < ROUNDS; i++) {
    svc_probe target;
    svc_probe_init(&target);
    targets[i] = svc_spawn_probe(sys, &target, 0);
    svc_cmd exit_cmd = svc_reason_cmd(art_reason_error(ART_EBUSY, "race"));
    svc_cmd mon_cmd = svc_pid_cmd(targets[i]);
    if (i % 2) {
      svc_send(sys, targets[i], SVC_EXIT, &exit_cmd);
      svc_send(sys, w, SVC_MONITOR, &mon_cmd);
    } else {
      svc_send(sys, w, SVC_MONITOR, &mon_cmd);
      svc_send(sys, targets[i], SVC_EXIT, &exit_cmd);
    }
    assert_true(ART_WAIT_UNTIL(SVC_GET(watcher, commands) == i + 1, IT_WAIT_MS));
    assert_int_equal(SVC_GET(watcher, rc), 0);
    refs[i] = SVC_GET(watcher, ref);
    assert_true(ART_WAIT_UNTIL(SVC_GET(&target, post_stop_calls) == 1, IT_WAIT_MS));
    assert_true(ART_WAIT_UNTIL(SVC_GET(watcher, down_count) >= i + 1, IT_WAIT_MS));
    svc_probe_fini(&target);
  }
  svc_wait_alive(sys, 1);
  svc_sync(sys, w, watcher);
  int count = SVC_GET(watcher, down_count);
  assert_int_equal(art_system_shutdown(sys, it_timeout_ms(IT_WAIT_MS)), 0);
  it_destroy(sys, &ta);
  assert_int_equal(count, ROUNDS);
  for (int i = 0; i < ROUNDS; i++) {
    assert_int_equal(watcher->downs[i].ref, refs[i]);
    assert_int_equal(watcher->down_correlation[i], refs[i]);
    assert_int_equal(watcher->downs[i].pid, targets[i]);
    art_exit_kind kind = watcher->downs[i].reason.kind;
    assert_true(kind == ART_EXIT_ERROR || kind == ART_EXIT_NOPROC);
    if (kind == ART_EXIT_ERROR) {
      assert_string_equal(watcher->downs[i].reason.text, "race");
      real++;
    } else {
      noproc++;
    }
  }
  print_message("monitor race: %d real reasons, %d noproc\n", real, noproc);
  svc_probe_free(watcher);
}

/* An actor that, in one handler, monitors a target and demonitors it: with an exit signal sent
 * to the target in between, with the target told to exit just before (by the test thread), or
 * with the target gone already (its noproc DOWN is then queued when demonitor runs). */
enum { RACE_CMD = 1, RACE_PING };

typedef struct race_cmd {
  art_pid target;
  int mode; /* 0: send it an exit signal between monitor and demonitor; 1, 2: don't */
} race_cmd;

#define RACE_ROUNDS 240

typedef struct racer {
  pthread_mutex_t lock;
  int rounds, pings, monitor_failures, demonitor_failures;
  int downs, downs_after_demonitor;
  art_ref demonitored[RACE_ROUNDS];
} racer;

static int racer_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  racer *r = state;
  art_system *sys = art_ctx_system(ctx);
  if (msg->type == RACE_PING) {
    pthread_mutex_lock(&r->lock);
    r->pings++;
    pthread_mutex_unlock(&r->lock);
    return 0;
  }
  if (msg->type == ART_MSG_DOWN) {
    const art_down_msg *down = msg->data;
    pthread_mutex_lock(&r->lock);
    r->downs++;
    for (int i = 0; i < r->rounds; i++)
      if (r->demonitored[i] == down->ref)
        r->downs_after_demonitor++;
    pthread_mutex_unlock(&r->lock);
    return 0;
  }
  race_cmd cmd;
  memcpy(&cmd, msg->data, sizeof cmd);
  art_ref ref = 0;
  int mrc = art_monitor(ctx, cmd.target, &ref);
  if (cmd.mode == 0) {
    art_exit_reason reason = art_reason_error(ART_EBUSY, "race");
    art_send_exit(sys, cmd.target, &reason);
  }
  int drc = art_demonitor(ctx, ref);
  pthread_mutex_lock(&r->lock);
  if (mrc)
    r->monitor_failures++;
  if (drc)
    r->demonitor_failures++;
  if (r->rounds < RACE_ROUNDS)
    r->demonitored[r->rounds++] = ref;
  pthread_mutex_unlock(&r->lock);
  return 0;
}

static const art_actor_ops racer_ops = {.handle = racer_handle};

static int racer_get(racer *r, const int *field) {
  pthread_mutex_lock(&r->lock);
  int v = *field;
  pthread_mutex_unlock(&r->lock);
  return v;
}

/* art_demonitor returning 0 means no DOWN afterwards, also when the target exits right around
 * it (many rounds, three timings). The racer never blocks in its handler: a message it sends
 * may wait for the handler to return before it runs. */
static void test_demonitor_race(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  racer *r = test_calloc(1, sizeof *r);
  pthread_mutex_init(&r->lock, NULL);
  art_pid rp = ART_PID_NONE;
  art_spawn_opts o = {.ops = &racer_ops, .state = r};
  assert_int_equal(art_spawn(sys, &o, &rp), 0);
  for (int i = 0; i < RACE_ROUNDS; i++) {
    svc_probe target;
    svc_probe_init(&target);
    art_pid t = svc_spawn_probe(sys, &target, 0);
    race_cmd cmd = {.target = t, .mode = i % 3};
    if (cmd.mode != 0) {
      svc_cmd exit_cmd = svc_reason_cmd(art_reason_error(ART_EBUSY, "race"));
      svc_send(sys, t, SVC_EXIT, &exit_cmd);
      if (cmd.mode == 2)
        assert_true(ART_WAIT_UNTIL(SVC_GET(&target, post_stop_calls) == 1, IT_WAIT_MS));
    }
    assert_int_equal(art_send(sys, rp, RACE_CMD, &cmd, sizeof cmd), 0);
    if (!ART_WAIT_UNTIL(racer_get(r, &r->rounds) == i + 1, IT_WAIT_MS)) {
      art_mailbox_stats ms;
      memset(&ms, 0, sizeof ms);
      art_mailbox_stats_get(sys, rp, &ms);
      print_error("round %d (mode %d): the racer is alive: %d, its mailbox holds %llu but it "
                  "does not run\n",
                  i, cmd.mode, art_is_alive(sys, rp), (unsigned long long)ms.depth);
      fail();
    }
    assert_true(ART_WAIT_UNTIL(SVC_GET(&target, post_stop_calls) == 1, IT_WAIT_MS));
    svc_probe_fini(&target);
  }
  svc_wait_alive(sys, 1);
  assert_int_equal(art_send(sys, rp, RACE_PING, NULL, 0), 0);
  assert_true(ART_WAIT_UNTIL(racer_get(r, &r->pings) == 1, IT_WAIT_MS));
  assert_int_equal(art_system_shutdown(sys, it_timeout_ms(IT_WAIT_MS)), 0);
  it_destroy(sys, &ta);
  assert_int_equal(r->monitor_failures, 0);
  assert_int_equal(r->demonitor_failures, 0);
  assert_int_equal(r->downs, 0);
  assert_int_equal(r->downs_after_demonitor, 0);
  pthread_mutex_destroy(&r->lock);
  test_free(r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_down_carries_reason), cmocka_unit_test(test_monitors_stack),
      cmocka_unit_test(test_monitor_dead_pid),    cmocka_unit_test(test_demonitor),
      cmocka_unit_test(test_spawn_monitor),       cmocka_unit_test(test_monitor_race),
      cmocka_unit_test(test_demonitor_race),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
