/*
 * Links (art_link, art_unlink, ART_SPAWN_LINK) with OTP's semantics: an abnormal exit kills a
 * linked non-trapping actor with the same reason and reaches a trapping one as an EXIT message;
 * `normal` reaches only trapping actors; a link signal `killed` can be trapped; unlink is final;
 * linking to a dead actor; spawn_link; chains; and a link racing with the target's exit.
 */
#include "services.h"

static void assert_exit_msg(svc_probe *p, int i, art_pid from, const art_exit_reason *reason) {
  assert_true(i < SVC_MAX_RECORDS);
  assert_int_equal(p->exit_size[i], sizeof(art_exit_msg));
  assert_int_equal(p->exits[i].from, from);
  svc_assert_reason(&p->exits[i].reason, reason);
}

/* Links @p pid to the probe @p p (actor @p self) and checks that art_link returned 0. */
static void link_to(art_system *sys, art_pid self, svc_probe *p, art_pid pid) {
  svc_cmd cmd = svc_pid_cmd(pid);
  assert_int_equal(svc_do(sys, self, p, SVC_LINK, &cmd), 0);
}

/* ---- propagation ------------------------------------------------------------------------- */

/* An actor that fails takes its non-trapping partner down with the same reason; a trapping
 * partner gets one EXIT {from, reason} and lives on. Links are set from either side. */
static void test_abnormal_exit_propagates(void **unused) {
  (void)unused;
  art_exit_reason reasons[3];
  reasons[0] = svc_fail_reason(ART_EPERM); /* a handler error */
  reasons[1] = art_reason_shutdown("stop now");
  reasons[2] = art_reason(ART_EXIT_TIMEOUT);
  for (int i = 0; i < 3; i++) {
    art_test_alloc ta;
    art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
    svc_probe failing, plain, trapping;
    svc_probe_init(&failing);
    svc_probe_init(&plain);
    svc_probe_init(&trapping);
    art_pid f = svc_spawn_probe(sys, &failing, 0);
    art_pid a = svc_spawn_probe(sys, &plain, 0);
    art_pid t = svc_spawn_probe(sys, &trapping, ART_SPAWN_TRAP_EXIT);
    link_to(sys, a, &plain, f);   /* from the partner's side */
    link_to(sys, f, &failing, t); /* from the failing side */
    svc_sync(sys, t, &trapping);  /* the link request has been handled by t */
    if (i == 0) {
      svc_cmd cmd = {.code = ART_EPERM};
      svc_send(sys, f, SVC_FAIL, &cmd);
    } else {
      svc_cmd cmd = svc_reason_cmd(reasons[i]);
      svc_send(sys, f, SVC_EXIT, &cmd);
    }
    assert_true(ART_WAIT_UNTIL(!art_is_alive(sys, f) && !art_is_alive(sys, a), IT_WAIT_MS));
    assert_true(ART_WAIT_UNTIL(SVC_GET(&trapping, exit_count) == 1, IT_WAIT_MS));
    svc_sync(sys, t, &trapping);
    assert_true(art_is_alive(sys, t));
    assert_int_equal(SVC_GET(&trapping, post_stop_calls), 0);
    assert_int_equal(art_system_shutdown(sys, it_timeout_ms(IT_WAIT_MS)), 0);
    it_destroy(sys, &ta);

    svc_assert_reason(&failing.reason, &reasons[i]);
    assert_int_equal(plain.post_stop_calls, 1);
    svc_assert_reason(&plain.reason, &reasons[i]);
    assert_int_equal(plain.exit_count, 0);
    assert_int_equal(trapping.exit_count, 2); /* + the system's shutdown */
    assert_exit_msg(&trapping, 0, f, &reasons[i]);
    assert_int_equal(trapping.reason.kind, ART_EXIT_SHUTDOWN); /* the system's shutdown */
    svc_probe_fini(&failing);
    svc_probe_fini(&plain);
    svc_probe_fini(&trapping);
  }
}

/* `normal` does not propagate to a non-trapping partner, but reaches a trapping one as an
 * EXIT message (from ART_STOP and from art_exit(normal)). */
static void test_normal_exit_reaches_only_trapping(void **unused) {
  (void)unused;
  for (int i = 0; i < 2; i++) {
    art_test_alloc ta;
    art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
    svc_probe stopping, plain, trapping;
    svc_probe_init(&stopping);
    svc_probe_init(&plain);
    svc_probe_init(&trapping);
    art_pid s = svc_spawn_probe(sys, &stopping, 0);
    art_pid a = svc_spawn_probe(sys, &plain, 0);
    art_pid t = svc_spawn_probe(sys, &trapping, ART_SPAWN_TRAP_EXIT);
    link_to(sys, a, &plain, s);
    link_to(sys, t, &trapping, s);
    svc_sync(sys, s, &stopping);
    if (i == 0) {
      svc_send(sys, s, SVC_STOP, NULL);
    } else {
      svc_cmd cmd = svc_reason_cmd(art_reason(ART_EXIT_NORMAL));
      svc_send(sys, s, SVC_EXIT, &cmd);
    }
    assert_true(ART_WAIT_UNTIL(SVC_GET(&trapping, exit_count) == 1, IT_WAIT_MS));
    assert_false(art_is_alive(sys, s));
    svc_sync(sys, a, &plain);
    svc_sync(sys, t, &trapping);
    assert_true(art_is_alive(sys, a));
    assert_true(art_is_alive(sys, t));
    assert_int_equal(art_system_shutdown(sys, it_timeout_ms(IT_WAIT_MS)), 0);
    it_destroy(sys, &ta);

    art_exit_reason normal = art_reason(ART_EXIT_NORMAL);
    svc_assert_reason(&stopping.reason, &normal);
    assert_int_equal(plain.exit_count, 0);
    assert_int_equal(plain.reason.kind, ART_EXIT_SHUTDOWN); /* lived until the shutdown */
    assert_int_equal(trapping.exit_count, 2);               /* + the system's shutdown */
    assert_exit_msg(&trapping, 0, s, &normal);
    assert_int_equal(trapping.reason.kind, ART_EXIT_SHUTDOWN);
    svc_probe_fini(&stopping);
    svc_probe_fini(&plain);
    svc_probe_fini(&trapping);
  }
}

/* An actor killed with art_send_exit(killed) sends `killed` through its links; unlike the kill
 * itself, that link signal can be trapped. A non-trapping partner dies with reason killed. */
static void test_killed_through_link_is_trappable(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  svc_probe victim, plain, trapping;
  svc_probe_init(&victim);
  svc_probe_init(&plain);
  svc_probe_init(&trapping);
  art_pid v = svc_spawn_probe(sys, &victim, ART_SPAWN_TRAP_EXIT); /* traps, killed anyway */
  art_pid a = svc_spawn_probe(sys, &plain, 0);
  art_pid t = svc_spawn_probe(sys, &trapping, ART_SPAWN_TRAP_EXIT);
  link_to(sys, a, &plain, v);
  link_to(sys, t, &trapping, v);
  svc_sync(sys, v, &victim);
  art_exit_reason killed = art_reason(ART_EXIT_KILLED);
  assert_int_equal(art_send_exit(sys, v, &killed), 0);
  assert_true(ART_WAIT_UNTIL(!art_is_alive(sys, v) && !art_is_alive(sys, a), IT_WAIT_MS));
  assert_true(ART_WAIT_UNTIL(SVC_GET(&trapping, exit_count) == 1, IT_WAIT_MS));
  svc_sync(sys, t, &trapping);
  assert_true(art_is_alive(sys, t));
  assert_int_equal(art_system_shutdown(sys, it_timeout_ms(IT_WAIT_MS)), 0);
  it_destroy(sys, &ta);

  svc_assert_reason(&victim.reason, &killed);
  assert_int_equal(victim.exit_count, 0);
  svc_assert_reason(&plain.reason, &killed);
  assert_int_equal(trapping.exit_count, 2); /* + the system's shutdown */
  assert_exit_msg(&trapping, 0, v, &killed);
  assert_int_equal(trapping.post_stop_calls, 1);
  assert_int_equal(trapping.reason.kind, ART_EXIT_SHUTDOWN);
  svc_probe_fini(&victim);
  svc_probe_fini(&plain);
  svc_probe_fini(&trapping);
}

/* ---- unlink ---------------------------------------------------------------------------------- */

/* After art_unlink, neither side's exit affects the other, whichever side unlinked. */
static void test_unlink_stops_propagation(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  svc_probe a_probe, b_probe, c_probe;
  svc_probe_init(&a_probe);
  svc_probe_init(&b_probe);
  svc_probe_init(&c_probe);
  art_pid a = svc_spawn_probe(sys, &a_probe, 0);
  art_pid b = svc_spawn_probe(sys, &b_probe, 0);
  art_pid c = svc_spawn_probe(sys, &c_probe, ART_SPAWN_TRAP_EXIT);
  link_to(sys, a, &a_probe, b);
  link_to(sys, c, &c_probe, b);
  svc_sync(sys, b, &b_probe);
  svc_cmd unlink_b = svc_pid_cmd(b);
  assert_int_equal(svc_do(sys, a, &a_probe, SVC_UNLINK, &unlink_b), 0);
  svc_cmd unlink_c = svc_pid_cmd(c);
  assert_int_equal(svc_do(sys, b, &b_probe, SVC_UNLINK, &unlink_c), 0);
  /* An exit right after the unlink. */
  svc_cmd fail = {.code = ART_EBUSY};
  svc_send(sys, b, SVC_FAIL, &fail);
  assert_true(ART_WAIT_UNTIL(!art_is_alive(sys, b), IT_WAIT_MS));
  svc_sync(sys, a, &a_probe);
  svc_sync(sys, c, &c_probe);
  assert_true(art_is_alive(sys, a));
  assert_true(art_is_alive(sys, c));
  /* Unlinking what is not linked (or dead) is fine. */
  assert_int_equal(svc_do(sys, a, &a_probe, SVC_UNLINK, &unlink_b), 0);
  svc_cmd unlink_none = svc_pid_cmd(ART_PID_NONE);
  assert_int_equal(svc_do(sys, a, &a_probe, SVC_UNLINK, &unlink_none), 0);
  assert_int_equal(art_unlink(NULL, b), ART_EINVAL);
  assert_int_equal(art_link(NULL, b), ART_EINVAL);
  assert_int_equal(art_system_shutdown(sys, it_timeout_ms(IT_WAIT_MS)), 0);
  it_destroy(sys, &ta);

  art_exit_reason failed = svc_fail_reason(ART_EBUSY);
  svc_assert_reason(&b_probe.reason, &failed);
  assert_int_equal(a_probe.reason.kind, ART_EXIT_SHUTDOWN);
  assert_int_equal(c_probe.exit_count, 1); /* only the system's shutdown signal */
  assert_int_equal(c_probe.exits[0].reason.kind, ART_EXIT_SHUTDOWN);
  assert_int_equal(c_probe.exits[0].from, ART_PID_NONE);
  svc_probe_fini(&a_probe);
  svc_probe_fini(&b_probe);
  svc_probe_fini(&c_probe);
}

/* A signal already on its way when art_unlink is called has no effect: the partner's exit
 * signal is queued behind a handler that then unlinks. */
static void test_unlink_beats_signal_in_flight(void **unused) {
  (void)unused;
  for (int trap = 0; trap < 2; trap++) {
    art_test_alloc ta;
    art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
    svc_probe a_probe, b_probe;
    svc_probe_init(&a_probe);
    svc_probe_init(&b_probe);
    art_pid a = svc_spawn_probe(sys, &a_probe, trap ? ART_SPAWN_TRAP_EXIT : 0);
    art_pid b = svc_spawn_probe(sys, &b_probe, 0);
    link_to(sys, a, &a_probe, b);
    svc_sync(sys, b, &b_probe);
    svc_cmd block = svc_pid_cmd(b);
    block.code = SVC_UNLINK;
    svc_send(sys, a, SVC_BLOCK, &block);
    assert_true(ART_WAIT_UNTIL(atomic_load(&a_probe.blocked), IT_WAIT_MS));
    svc_cmd exit_b = svc_reason_cmd(art_reason_error(ART_EBUSY, "late"));
    svc_send(sys, b, SVC_EXIT, &exit_b);
    assert_true(ART_WAIT_UNTIL(!art_is_alive(sys, b), IT_WAIT_MS));
    atomic_store(&a_probe.gate, true); /* the signal waits in a's mailbox; a unlinks now */
    svc_sync(sys, a, &a_probe);
    assert_true(art_is_alive(sys, a));
    assert_int_equal(SVC_GET(&a_probe, rc), 0);
    assert_int_equal(art_system_shutdown(sys, it_timeout_ms(IT_WAIT_MS)), 0);
    it_destroy(sys, &ta);
    assert_int_equal(a_probe.gate_timeouts, 0);
    assert_int_equal(b_probe.reason.kind, ART_EXIT_ERROR);
    assert_int_equal(a_probe.reason.kind, ART_EXIT_SHUTDOWN);
    /* a trapping a saw only the system's shutdown, not b's exit */
    assert_int_equal(a_probe.exit_count, trap ? 1 : 0);
    if (trap)
      assert_int_equal(a_probe.exits[0].from, ART_PID_NONE);
    svc_probe_fini(&a_probe);
    svc_probe_fini(&b_probe);
  }
}

/* ---- special cases of art_link ----------------------------------------------------------- */

/* Linking to a dead pid: a non-trapping caller gets ART_ESRCH and no link (it stays alive); a
 * trapping caller gets 0 and one EXIT with reason noproc from that pid. ART_PID_NONE is
 * invalid. */
static void test_link_to_dead_pid(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  svc_probe dead, plain, trapping;
  svc_probe_init(&dead);
  svc_probe_init(&plain);
  svc_probe_init(&trapping);
  art_pid d = svc_spawn_probe(sys, &dead, 0);
  art_pid a = svc_spawn_probe(sys, &plain, 0);
  art_pid t = svc_spawn_probe(sys, &trapping, ART_SPAWN_TRAP_EXIT);
  svc_send(sys, d, SVC_STOP, NULL);
  assert_true(ART_WAIT_UNTIL(!art_is_alive(sys, d), IT_WAIT_MS));

  svc_cmd link_d = svc_pid_cmd(d);
  assert_int_equal(svc_do(sys, a, &plain, SVC_LINK, &link_d), ART_ESRCH);
  assert_int_equal(svc_do(sys, t, &trapping, SVC_LINK, &link_d), 0);
  assert_true(ART_WAIT_UNTIL(SVC_GET(&trapping, exit_count) == 1, IT_WAIT_MS));
  svc_cmd link_none = svc_pid_cmd(ART_PID_NONE);
  assert_int_equal(svc_do(sys, a, &plain, SVC_LINK, &link_none), ART_EINVAL);
  svc_sync(sys, a, &plain);
  svc_sync(sys, t, &trapping);
  assert_true(art_is_alive(sys, a));
  assert_true(art_is_alive(sys, t));
  /* No link was made for a: once it traps, it still receives nothing from d. */
  svc_cmd trap_on = {.on = true};
  svc_do(sys, a, &plain, SVC_TRAP, &trap_on);
  svc_sync(sys, a, &plain);
  assert_int_equal(art_system_shutdown(sys, it_timeout_ms(IT_WAIT_MS)), 0);
  it_destroy(sys, &ta);

  art_exit_reason noproc = art_reason(ART_EXIT_NOPROC);
  assert_int_equal(plain.exit_count, 1); /* the system's shutdown only */
  assert_int_equal(plain.exits[0].reason.kind, ART_EXIT_SHUTDOWN);
  assert_int_equal(trapping.exit_count, 2);
  assert_exit_msg(&trapping, 0, d, &noproc);
  assert_int_equal(trapping.exits[1].reason.kind, ART_EXIT_SHUTDOWN);
  svc_probe_fini(&dead);
  svc_probe_fini(&plain);
  svc_probe_fini(&trapping);
}

/* Linking twice makes one link (one EXIT; a single unlink removes it); linking to oneself does
 * nothing. */
static void test_link_twice_and_to_self(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  svc_probe trapping, plain, b1_probe, b2_probe;
  svc_probe_init(&trapping);
  svc_probe_init(&plain);
  svc_probe_init(&b1_probe);
  svc_probe_init(&b2_probe);
  art_pid t = svc_spawn_probe(sys, &trapping, ART_SPAWN_TRAP_EXIT);
  art_pid a = svc_spawn_probe(sys, &plain, 0);
  art_pid b1 = svc_spawn_probe(sys, &b1_probe, 0);
  art_pid b2 = svc_spawn_probe(sys, &b2_probe, 0);
  link_to(sys, t, &trapping, b1);
  link_to(sys, t, &trapping, b1);
  link_to(sys, t, &trapping, t);
  link_to(sys, b1, &b1_probe, t); /* and once more from the other side */
  link_to(sys, a, &plain, b2);
  link_to(sys, a, &plain, b2);
  link_to(sys, a, &plain, a);
  svc_cmd unlink_b2 = svc_pid_cmd(b2);
  assert_int_equal(svc_do(sys, a, &plain, SVC_UNLINK, &unlink_b2), 0);
  svc_cmd fail = {.code = ART_ENOSPC};
  svc_send(sys, b1, SVC_FAIL, &fail);
  svc_send(sys, b2, SVC_FAIL, &fail);
  assert_true(ART_WAIT_UNTIL(!art_is_alive(sys, b1) && !art_is_alive(sys, b2), IT_WAIT_MS));
  assert_true(ART_WAIT_UNTIL(SVC_GET(&trapping, exit_count) >= 1, IT_WAIT_MS));
  svc_sync(sys, t, &trapping);
  svc_sync(sys, a, &plain);
  assert_true(art_is_alive(sys, a)); /* one unlink removed the double link */
  assert_true(art_is_alive(sys, t));
  assert_int_equal(art_system_shutdown(sys, it_timeout_ms(IT_WAIT_MS)), 0);
  it_destroy(sys, &ta);

  art_exit_reason failed = svc_fail_reason(ART_ENOSPC);
  assert_int_equal(trapping.exit_count, 2); /* b1's exit once, then the system's shutdown */
  assert_exit_msg(&trapping, 0, b1, &failed);
  assert_int_equal(trapping.exits[1].reason.kind, ART_EXIT_SHUTDOWN);
  assert_int_equal(trapping.exits[1].from, ART_PID_NONE);
  assert_int_equal(plain.exit_count, 0);
  assert_int_equal(plain.reason.kind, ART_EXIT_SHUTDOWN);
  svc_probe_fini(&trapping);
  svc_probe_fini(&plain);
  svc_probe_fini(&b1_probe);
  svc_probe_fini(&b2_probe);
}

/* ---- spawn_link and chains ------------------------------------------------------------------ */

/* ART_SPAWN_LINK links parent and child before the child runs: a child that fails on its very
 * first message (queued by its pre_start) always takes a non-trapping parent with it, and
 * always reaches a trapping parent as an EXIT. Repeated, because without the guarantee the
 * child would often be gone before a link could be made. */
static void test_spawn_link(void **unused) {
  (void)unused;
  enum { ROUNDS = 40 };
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  svc_probe *trapping = svc_probe_new();
  art_pid t = svc_spawn_probe(sys, trapping, ART_SPAWN_TRAP_EXIT);
  svc_probe *parents[ROUNDS], *children[ROUNDS], *tchildren[ROUNDS];
  art_pid parent_pids[ROUNDS], child_pids[ROUNDS], tchild_pids[ROUNDS];
  for (int i = 0; i < ROUNDS; i++) {
    parents[i] = svc_probe_new();
    children[i] = svc_probe_new();
    tchildren[i] = svc_probe_new();
    children[i]->fail_in_pre_start = true;
    children[i]->pre_start_fail_code = ART_ECANCELED;
    tchildren[i]->fail_in_pre_start = true;
    tchildren[i]->pre_start_fail_code = ART_ERANGE;
    parent_pids[i] = svc_spawn_probe(sys, parents[i], 0);
    svc_cmd spawn = {.child = children[i], .flags = ART_SPAWN_LINK};
    assert_int_equal(svc_do(sys, parent_pids[i], parents[i], SVC_SPAWN, &spawn), 0);
    child_pids[i] = SVC_GET(parents[i], spawned);
    svc_cmd tspawn = {.child = tchildren[i], .flags = ART_SPAWN_LINK};
    assert_int_equal(svc_do(sys, t, trapping, SVC_SPAWN, &tspawn), 0);
    tchild_pids[i] = SVC_GET(trapping, spawned);
  }
  for (int i = 0; i < ROUNDS; i++)
    assert_true(ART_WAIT_UNTIL(!art_is_alive(sys, parent_pids[i]), IT_WAIT_MS));
  assert_true(ART_WAIT_UNTIL(SVC_GET(trapping, exit_count) == ROUNDS, IT_WAIT_MS));
  svc_sync(sys, t, trapping);
  /* Outside an actor there is no parent to link to. */
  svc_probe orphan;
  svc_probe_init(&orphan);
  art_pid none = ART_PID_NONE;
  assert_int_equal(svc_spawn_probe_rc(sys, &orphan, ART_SPAWN_LINK, NULL, &none), ART_EINVAL);
  assert_int_equal(art_system_shutdown(sys, it_timeout_ms(IT_WAIT_MS)), 0);
  it_destroy(sys, &ta);

  assert_int_equal(orphan.started, 0);
  svc_probe_fini(&orphan);
  art_exit_reason failed = svc_fail_reason(ART_ECANCELED);
  art_exit_reason tfailed = svc_fail_reason(ART_ERANGE);
  assert_int_equal(trapping->exit_count, ROUNDS + 1); /* + the system's shutdown */
  for (int i = 0; i < ROUNDS; i++) {
    assert_int_equal(children[i]->post_stop_calls, 1);
    svc_assert_reason(&children[i]->reason, &failed);
    assert_int_equal(parents[i]->post_stop_calls, 1);
    svc_assert_reason(&parents[i]->reason, &failed);
    svc_assert_reason(&tchildren[i]->reason, &tfailed);
    /* EXITs from different children may arrive in any order: find this one */
    int found = 0;
    for (int j = 0; j < ROUNDS; j++) {
      if (trapping->exits[j].from == tchild_pids[i]) {
        found++;
        assert_exit_msg(trapping, j, tchild_pids[i], &tfailed);
      }
    }
    assert_int_equal(found, 1);
    (void)child_pids[i];
    svc_probe_free(parents[i]);
    svc_probe_free(children[i]);
    svc_probe_free(tchildren[i]);
  }
  svc_probe_free(trapping);
}

/* A-B-C linked in a chain, none trapping: when C fails, B dies with C's reason and A with B's,
 * which is the same. */
static void test_chain_dies(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  svc_probe pa, pb, pc, bystander;
  svc_probe_init(&pa);
  svc_probe_init(&pb);
  svc_probe_init(&pc);
  svc_probe_init(&bystander);
  art_pid a = svc_spawn_probe(sys, &pa, 0);
  art_pid b = svc_spawn_probe(sys, &pb, 0);
  art_pid c = svc_spawn_probe(sys, &pc, 0);
  art_pid x = svc_spawn_probe(sys, &bystander, 0);
  link_to(sys, a, &pa, b);
  link_to(sys, b, &pb, c);
  svc_sync(sys, c, &pc);
  svc_cmd fail = {.code = ART_ENOMEM};
  svc_send(sys, c, SVC_FAIL, &fail);
  assert_true(ART_WAIT_UNTIL(
      !art_is_alive(sys, a) && !art_is_alive(sys, b) && !art_is_alive(sys, c), IT_WAIT_MS));
  assert_true(art_is_alive(sys, x));
  art_system_stats st = it_stats(sys);
  assert_int_equal(st.exits_error, 3);
  assert_int_equal(art_system_shutdown(sys, it_timeout_ms(IT_WAIT_MS)), 0);
  it_destroy(sys, &ta);
  art_exit_reason failed = svc_fail_reason(ART_ENOMEM);
  svc_probe *chain[] = {&pa, &pb, &pc};
  for (int i = 0; i < 3; i++) {
    assert_int_equal(chain[i]->post_stop_calls, 1);
    svc_assert_reason(&chain[i]->reason, &failed);
    svc_probe_fini(chain[i]);
  }
  assert_int_equal(bystander.reason.kind, ART_EXIT_SHUTDOWN);
  svc_probe_fini(&bystander);
}

/* ---- races ---------------------------------------------------------------------------------- */

/* A trapping actor links to one that exits with an error at the same moment, many times: each
 * time exactly one EXIT arrives from that actor, with its real reason (the link was made in
 * time) or noproc (it was gone). Never none, never two. */
static void test_link_race_trapping(void **unused) {
  (void)unused;
  enum { ROUNDS = 200 };
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  svc_probe *linker = svc_probe_new();
  art_pid l = svc_spawn_probe(sys, linker, ART_SPAWN_TRAP_EXIT);
  art_pid targets[ROUNDS];
  int real = 0, noproc = 0;
  for (int i = 0; i < ROUNDS; i++) {
    svc_probe target;
    svc_probe_init(&target);
    targets[i] = svc_spawn_probe(sys, &target, 0);
    svc_cmd exit_cmd = svc_reason_cmd(art_reason_error(ART_EBUSY, "race"));
    svc_cmd link_cmd = svc_pid_cmd(targets[i]);
    if (i % 2) {
      svc_send(sys, targets[i], SVC_EXIT, &exit_cmd);
      svc_send(sys, l, SVC_LINK, &link_cmd);
    } else {
      svc_send(sys, l, SVC_LINK, &link_cmd);
      svc_send(sys, targets[i], SVC_EXIT, &exit_cmd);
    }
    assert_true(ART_WAIT_UNTIL(SVC_GET(&target, post_stop_calls) == 1, IT_WAIT_MS));
    assert_true(ART_WAIT_UNTIL(SVC_GET(linker, exit_count) >= i + 1, IT_WAIT_MS));
    svc_probe_fini(&target);
  }
  svc_sync(sys, l, linker);
  assert_true(art_is_alive(sys, l));
  assert_int_equal(SVC_GET(linker, rc), 0);
  int count = SVC_GET(linker, exit_count);
  assert_int_equal(art_system_shutdown(sys, it_timeout_ms(IT_WAIT_MS)), 0);
  it_destroy(sys, &ta);

  assert_int_equal(count, ROUNDS);
  assert_int_equal(linker->exit_count, ROUNDS + 1); /* + the system's shutdown */
  for (int i = 0; i < ROUNDS; i++) {
    assert_int_equal(linker->exits[i].from, targets[i]);
    art_exit_kind kind = linker->exits[i].reason.kind;
    assert_true(kind == ART_EXIT_ERROR || kind == ART_EXIT_NOPROC);
    if (kind == ART_EXIT_ERROR) {
      assert_int_equal(linker->exits[i].reason.code, ART_EBUSY);
      assert_string_equal(linker->exits[i].reason.text, "race");
      real++;
    } else {
      noproc++;
    }
  }
  print_message("link race (trapping): %d real reasons, %d noproc\n", real, noproc);
  svc_probe_free(linker);
}

/* The same race with a non-trapping linker: either art_link returns ART_ESRCH and the linker
 * lives on, or it returns 0 and the linker is killed with the real reason or noproc. */
static void test_link_race_not_trapping(void **unused) {
  (void)unused;
  enum { ROUNDS = 150 };
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  int esrch = 0, killed = 0;
  for (int i = 0; i < ROUNDS; i++) {
    svc_probe target, linker;
    svc_probe_init(&target);
    svc_probe_init(&linker);
    art_pid t = svc_spawn_probe(sys, &target, 0);
    art_pid l = svc_spawn_probe(sys, &linker, 0);
    svc_cmd exit_cmd = svc_reason_cmd(art_reason_error(ART_EBUSY, "race"));
    svc_cmd link_cmd = svc_pid_cmd(t);
    svc_send(sys, l, SVC_LINK, &link_cmd);
    svc_send(sys, t, SVC_EXIT, &exit_cmd);
    assert_true(ART_WAIT_UNTIL(SVC_GET(&target, post_stop_calls) == 1, IT_WAIT_MS));
    assert_true(ART_WAIT_UNTIL(SVC_GET(&linker, commands) == 1, IT_WAIT_MS));
    int rc = SVC_GET(&linker, rc);
    assert_true(rc == 0 || rc == ART_ESRCH);
    if (rc == 0) {
      assert_true(ART_WAIT_UNTIL(SVC_GET(&linker, post_stop_calls) == 1, IT_WAIT_MS));
      art_exit_reason r = SVC_GET(&linker, reason);
      assert_true(r.kind == ART_EXIT_ERROR || r.kind == ART_EXIT_NOPROC);
      if (r.kind == ART_EXIT_ERROR)
        assert_int_equal(r.code, ART_EBUSY);
      killed++;
    } else {
      svc_sync(sys, l, &linker);
      assert_true(art_is_alive(sys, l));
      assert_int_equal(SVC_GET(&linker, post_stop_calls), 0);
      art_exit_reason shutdown = art_reason_shutdown(NULL);
      assert_int_equal(art_send_exit(sys, l, &shutdown), 0);
      assert_true(ART_WAIT_UNTIL(SVC_GET(&linker, post_stop_calls) == 1, IT_WAIT_MS));
      assert_int_equal(SVC_GET(&linker, reason).kind, ART_EXIT_SHUTDOWN);
      esrch++;
    }
    svc_probe_fini(&target);
    svc_probe_fini(&linker);
  }
  assert_int_equal(art_system_shutdown(sys, it_timeout_ms(IT_WAIT_MS)), 0);
  it_destroy(sys, &ta);
  print_message("link race (not trapping): %d killed, %d ESRCH\n", killed, esrch);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_abnormal_exit_propagates),
      cmocka_unit_test(test_normal_exit_reaches_only_trapping),
      cmocka_unit_test(test_killed_through_link_is_trappable),
      cmocka_unit_test(test_unlink_stops_propagation),
      cmocka_unit_test(test_unlink_beats_signal_in_flight),
      cmocka_unit_test(test_link_to_dead_pid),
      cmocka_unit_test(test_link_twice_and_to_self),
      cmocka_unit_test(test_spawn_link),
      cmocka_unit_test(test_chain_dies),
      cmocka_unit_test(test_link_race_trapping),
      cmocka_unit_test(test_link_race_not_trapping),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
