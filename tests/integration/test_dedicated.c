/*
 * Dedicated actors (ART_SPAWN_DEDICATED): a handler that blocks does not hold up the actors on
 * the workers; links, monitors, exit signals and kills work as for any actor; many dedicated
 * actors come and go without leaving anything behind.
 */
#include "services.h"

/* ---- a ping-pong pair on the workers --------------------------------------------------- */

enum { PP_START = 1, PP_BALL };

typedef struct pingpong {
  art_pid partner;
  int left; /* round trips still to play (the starter counts) */
  atomic_int *done;
} pingpong;

static int pp_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  pingpong *p = state;
  art_system *sys = art_ctx_system(ctx);
  if (msg->type == PP_START) {
    memcpy(&p->partner, msg->data, sizeof p->partner);
    return art_send(sys, p->partner, PP_BALL, NULL, 0);
  }
  if (p->done) { /* the starter */
    if (--p->left == 0) {
      atomic_store(p->done, 1);
      return 0;
    }
  }
  return art_send(sys, msg->sender, PP_BALL, NULL, 0);
}

static const art_actor_ops pp_ops = {.handle = pp_handle};

/* Two dedicated actors (as many as there are workers) block in a handler; meanwhile a
 * ping-pong pair on the workers completes its round trips. */
static void test_blocking_handler_does_not_stall_workers(void **unused) {
  (void)unused;
  enum { ROUND_TRIPS = 2000 };
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  svc_probe blockers[2];
  art_pid bpids[2];
  for (int i = 0; i < 2; i++) {
    svc_probe_init(&blockers[i]);
    bpids[i] = svc_spawn_probe(sys, &blockers[i], ART_SPAWN_DEDICATED);
    svc_send(sys, bpids[i], SVC_BLOCK, NULL);
  }
  for (int i = 0; i < 2; i++)
    assert_true(ART_WAIT_UNTIL(atomic_load(&blockers[i].blocked), IT_WAIT_MS));
  atomic_int done;
  atomic_init(&done, 0);
  pingpong starter = {.left = ROUND_TRIPS, .done = &done}, other = {0};
  art_pid a, b;
  art_spawn_opts oa = {.ops = &pp_ops, .state = &starter};
  art_spawn_opts ob = {.ops = &pp_ops, .state = &other};
  assert_int_equal(art_spawn(sys, &oa, &a), 0);
  assert_int_equal(art_spawn(sys, &ob, &b), 0);
  assert_int_equal(art_send(sys, a, PP_START, &b, sizeof b), 0);
  assert_true(ART_WAIT_UNTIL(atomic_load(&done) == 1, IT_WAIT_MS));
  /* The blockers were still inside their handlers all along. */
  for (int i = 0; i < 2; i++)
    assert_int_equal(SVC_GET(&blockers[i], commands), 0);
  for (int i = 0; i < 2; i++)
    atomic_store(&blockers[i].gate, true);
  for (int i = 0; i < 2; i++) {
    assert_true(ART_WAIT_UNTIL(SVC_GET(&blockers[i], commands) == 1, IT_WAIT_MS));
    svc_sync(sys, bpids[i], &blockers[i]); /* and they handle messages afterwards */
  }
  assert_int_equal(art_system_shutdown(sys, it_timeout_ms(IT_WAIT_MS)), 0);
  it_destroy(sys, &ta);
  for (int i = 0; i < 2; i++) {
    assert_int_equal(blockers[i].gate_timeouts, 0);
    assert_int_equal(blockers[i].post_stop_calls, 1);
    assert_int_equal(blockers[i].reason.kind, ART_EXIT_SHUTDOWN);
    svc_probe_fini(&blockers[i]);
  }
  assert_int_equal(starter.left, 0);
}

/* Links, monitors, exit signals and kills treat a dedicated actor like any other, in both
 * directions. */
static void test_services_work_the_same(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  svc_probe worker_side, linked, watched, trapping, killed, watcher;
  svc_probe_init(&worker_side);
  svc_probe_init(&linked);
  svc_probe_init(&watched);
  svc_probe_init(&trapping);
  svc_probe_init(&killed);
  svc_probe_init(&watcher);
  art_pid w = svc_spawn_probe(sys, &worker_side, 0);
  art_pid d_linked = svc_spawn_probe(sys, &linked, ART_SPAWN_DEDICATED);
  art_pid d_watched = svc_spawn_probe(sys, &watched, ART_SPAWN_DEDICATED);
  art_pid d_trap = svc_spawn_probe(sys, &trapping, ART_SPAWN_DEDICATED | ART_SPAWN_TRAP_EXIT);
  art_pid d_killed = svc_spawn_probe(sys, &killed, ART_SPAWN_DEDICATED | ART_SPAWN_TRAP_EXIT);
  art_pid d_watcher = svc_spawn_probe(sys, &watcher, ART_SPAWN_DEDICATED);

  /* a worker actor linked to a dedicated one dies with its reason */
  svc_cmd link = svc_pid_cmd(d_linked);
  assert_int_equal(svc_do(sys, w, &worker_side, SVC_LINK, &link), 0);
  svc_sync(sys, d_linked, &linked);
  /* a dedicated trapping actor linked to it gets the EXIT */
  assert_int_equal(svc_do(sys, d_trap, &trapping, SVC_LINK, &link), 0);
  /* a dedicated watcher monitors a dedicated actor */
  svc_cmd mon = svc_pid_cmd(d_watched);
  assert_int_equal(svc_do(sys, d_watcher, &watcher, SVC_MONITOR, &mon), 0);
  art_ref ref = SVC_GET(&watcher, ref);
  svc_sync(sys, d_watched, &watched);

  svc_cmd fail = {.code = ART_ENOSPC};
  svc_send(sys, d_linked, SVC_FAIL, &fail);
  assert_true(ART_WAIT_UNTIL(!art_is_alive(sys, w) && !art_is_alive(sys, d_linked), IT_WAIT_MS));
  assert_true(ART_WAIT_UNTIL(SVC_GET(&trapping, exit_count) == 1, IT_WAIT_MS));

  art_exit_reason shutdown = art_reason_shutdown("bye");
  assert_int_equal(art_send_exit(sys, d_watched, &shutdown), 0);
  assert_true(ART_WAIT_UNTIL(SVC_GET(&watcher, down_count) == 1, IT_WAIT_MS));

  /* kill cannot be trapped, also while the actor blocks: it ends after the handler returns */
  svc_send(sys, d_killed, SVC_BLOCK, NULL);
  assert_true(ART_WAIT_UNTIL(atomic_load(&killed.blocked), IT_WAIT_MS));
  svc_send(sys, d_killed, SVC_PING, NULL);
  art_exit_reason kill = art_reason(ART_EXIT_KILLED);
  assert_int_equal(art_send_exit(sys, d_killed, &kill), 0);
  atomic_store(&killed.gate, true);
  assert_true(ART_WAIT_UNTIL(!art_is_alive(sys, d_killed), IT_WAIT_MS));
  assert_true(art_is_alive(sys, d_trap));
  assert_true(art_is_alive(sys, d_watcher));
  assert_int_equal(art_system_shutdown(sys, it_timeout_ms(IT_WAIT_MS)), 0);
  it_destroy(sys, &ta);

  art_exit_reason failed = svc_fail_reason(ART_ENOSPC);
  svc_assert_reason(&linked.reason, &failed);
  svc_assert_reason(&worker_side.reason, &failed);
  assert_int_equal(trapping.exit_count, 2); /* + the system's shutdown */
  assert_int_equal(trapping.exits[0].from, d_linked);
  svc_assert_reason(&trapping.exits[0].reason, &failed);
  svc_assert_reason(&watched.reason, &shutdown);
  assert_int_equal(watcher.down_count, 1);
  assert_int_equal(watcher.downs[0].ref, ref);
  assert_int_equal(watcher.downs[0].pid, d_watched);
  svc_assert_reason(&watcher.downs[0].reason, &shutdown);
  assert_int_equal(killed.reason.kind, ART_EXIT_KILLED);
  assert_int_equal(killed.exit_count, 0);
  svc_probe *all[] = {&worker_side, &linked, &watched, &trapping, &killed, &watcher};
  for (int i = 0; i < 6; i++) {
    assert_int_equal(all[i]->post_stop_calls, 1);
    svc_probe_fini(all[i]);
  }
}

/* Many dedicated actors spawned and ending in every way (stop, failure, kill, the system's
 * shutdown) leave no thread and no allocation behind. */
static void test_many_dedicated_leave_nothing(void **unused) {
  (void)unused;
  enum { COUNT = 60 };
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  svc_probe *probes = test_calloc(COUNT, sizeof *probes);
  art_pid pids[COUNT];
  for (int i = 0; i < COUNT; i++) {
    svc_probe_init(&probes[i]);
    pids[i] = svc_spawn_probe(sys, &probes[i], ART_SPAWN_DEDICATED);
    svc_send(sys, pids[i], SVC_PING, NULL);
    switch (i % 4) {
    case 0:
      svc_send(sys, pids[i], SVC_STOP, NULL);
      break;
    case 1: {
      svc_cmd fail = {.code = ART_EPERM};
      svc_send(sys, pids[i], SVC_FAIL, &fail);
      break;
    }
    case 2: {
      art_exit_reason kill = art_reason(ART_EXIT_KILLED);
      assert_int_equal(art_send_exit(sys, pids[i], &kill), 0);
      break;
    }
    default: /* left to the shutdown */
      break;
    }
  }
  svc_wait_alive(sys, COUNT / 4);
  art_system_stats st = it_stats(sys);
  assert_int_equal(st.actors_spawned, COUNT);
  assert_int_equal(art_system_shutdown(sys, it_timeout_ms(IT_WAIT_MS)), 0);
  it_destroy(sys, &ta);
  for (int i = 0; i < COUNT; i++) {
    assert_int_equal(probes[i].post_stop_calls, 1);
    const art_exit_kind want[] = {ART_EXIT_NORMAL, ART_EXIT_ERROR, ART_EXIT_KILLED,
                                  ART_EXIT_SHUTDOWN};
    assert_int_equal(probes[i].reason.kind, want[i % 4]);
    if (i % 4 != 2)
      assert_int_equal(probes[i].pings, 1);
    svc_probe_fini(&probes[i]);
  }
  test_free(probes);
}

/* In deterministic mode the flag is accepted and ignored: the actor runs on the driving
 * thread like the others. */
static void test_dedicated_in_deterministic_mode(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = svc_create_deterministic(&ta, NULL, NULL);
  svc_probe p;
  svc_probe_init(&p);
  art_pid pid = svc_spawn_probe(sys, &p, ART_SPAWN_DEDICATED);
  svc_send(sys, pid, SVC_PING, NULL);
  assert_int_equal(SVC_GET(&p, pings), 0);
  assert_true(art_system_run(sys) > 0);
  assert_int_equal(SVC_GET(&p, pings), 1);
  it_destroy(sys, &ta);
  assert_int_equal(p.post_stop_calls, 1);
  svc_probe_fini(&p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_blocking_handler_does_not_stall_workers),
      cmocka_unit_test(test_services_work_the_same),
      cmocka_unit_test(test_many_dedicated_leave_nothing),
      cmocka_unit_test(test_dedicated_in_deterministic_mode),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
