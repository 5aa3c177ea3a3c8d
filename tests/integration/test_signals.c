/*
 * Exit signals (art_send_exit): what a non-trapping and a trapping actor do with each reason,
 * that a kill cannot be trapped and overtakes a long queue, and signals an actor sends itself.
 */
#include "integration.h"

enum {
  CMD_PING = 1,
  CMD_TRAP_ON,     /* art_trap_exit(ctx, true) */
  CMD_TRAP_OFF,    /* art_trap_exit(ctx, false) */
  CMD_SIGNAL,      /* payload signal_order: art_send_exit(to, reason), then ping `to` */
  CMD_SIGNAL_SELF, /* payload art_exit_reason: art_send_exit(self, reason) */
  CMD_BLOCK,       /* wait (bounded) until the test opens the gate */
};

#define MAX_EXIT_MSGS 8

typedef struct signal_order {
  art_pid to;
  art_exit_reason reason;
} signal_order;

typedef struct probe {
  pthread_mutex_t lock;
  atomic_bool gate;    /* CMD_BLOCK waits for it */
  atomic_bool blocked; /* set once CMD_BLOCK's handler runs */
  bool trap_in_pre_start;
  /* observed */
  int post_stop_calls, pings, exit_msgs, gate_timeouts, signal_rc;
  art_exit_reason reason;
  art_exit_msg exit_msg[MAX_EXIT_MSGS];
  uint32_t exit_msg_size[MAX_EXIT_MSGS];
  art_pid self;
} probe;

static void probe_init(probe *p) {
  memset(p, 0, sizeof *p);
  pthread_mutex_init(&p->lock, NULL);
  atomic_init(&p->gate, false);
  atomic_init(&p->blocked, false);
}

static void probe_fini(probe *p) {
  pthread_mutex_destroy(&p->lock);
}

static int probe_get(probe *p, const int *field) {
  pthread_mutex_lock(&p->lock);
  int value = *field;
  pthread_mutex_unlock(&p->lock);
  return value;
}

typedef struct probe_state {
  probe *p;
} probe_state;

static int probe_pre_start(art_ctx *ctx, void *state, void *args) {
  probe *p = args;
  ((probe_state *)state)->p = p;
  pthread_mutex_lock(&p->lock);
  p->self = art_self(ctx);
  pthread_mutex_unlock(&p->lock);
  if (p->trap_in_pre_start)
    art_trap_exit(ctx, true);
  return 0;
}

static int probe_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  probe *p = ((probe_state *)state)->p;
  art_system *sys = art_ctx_system(ctx);
  switch (msg->type) {
  case CMD_PING:
    pthread_mutex_lock(&p->lock);
    p->pings++;
    pthread_mutex_unlock(&p->lock);
    return 0;
  case ART_MSG_EXIT:
    pthread_mutex_lock(&p->lock);
    if (p->exit_msgs < MAX_EXIT_MSGS) {
      memcpy(&p->exit_msg[p->exit_msgs], msg->data,
             msg->size < sizeof(art_exit_msg) ? msg->size : sizeof(art_exit_msg));
      p->exit_msg_size[p->exit_msgs] = msg->size;
    }
    p->exit_msgs++;
    pthread_mutex_unlock(&p->lock);
    return 0;
  case CMD_TRAP_ON:
  case CMD_TRAP_OFF:
    art_trap_exit(ctx, msg->type == CMD_TRAP_ON);
    return 0;
  case CMD_SIGNAL: {
    signal_order order;
    memcpy(&order, msg->data, sizeof order);
    int rc = art_send_exit(sys, order.to, &order.reason);
    if (rc == 0)
      rc = art_send(sys, order.to, CMD_PING, NULL, 0);
    pthread_mutex_lock(&p->lock);
    p->signal_rc = rc;
    pthread_mutex_unlock(&p->lock);
    return 0;
  }
  case CMD_SIGNAL_SELF: {
    art_exit_reason reason;
    memcpy(&reason, msg->data, sizeof reason);
    int rc = art_send_exit(sys, art_self(ctx), &reason);
    pthread_mutex_lock(&p->lock);
    p->signal_rc = rc;
    pthread_mutex_unlock(&p->lock);
    return 0;
  }
  case CMD_BLOCK:
    atomic_store(&p->blocked, true);
    if (!it_actor_wait_flag(&p->gate)) {
      pthread_mutex_lock(&p->lock);
      p->gate_timeouts++;
      pthread_mutex_unlock(&p->lock);
    }
    return 0;
  default:
    return 0;
  }
}

static void probe_post_stop(art_ctx *ctx, void *state, const art_exit_reason *reason) {
  (void)ctx;
  probe *p = ((probe_state *)state)->p;
  pthread_mutex_lock(&p->lock);
  p->post_stop_calls++;
  p->reason = *reason;
  pthread_mutex_unlock(&p->lock);
}

static const art_actor_ops probe_ops = {
    .pre_start = probe_pre_start,
    .handle = probe_handle,
    .post_stop = probe_post_stop,
};

static art_pid spawn_probe(art_system *sys, probe *p, uint32_t flags) {
  art_spawn_opts o = {
      .ops = &probe_ops, .state_size = sizeof(probe_state), .args = p, .flags = flags};
  art_pid pid = ART_PID_NONE;
  assert_int_equal(art_spawn(sys, &o, &pid), 0);
  return pid;
}

static void send_cmd(art_system *sys, art_pid pid, uint32_t type, const void *data, size_t size) {
  assert_int_equal(art_send(sys, pid, type, data, size), 0);
}

/* Has actor @p from send exit signal @p reason to @p to, followed by a ping. */
static void order_signal(art_system *sys, art_pid from, art_pid to, art_exit_reason reason) {
  signal_order order = {.to = to, .reason = reason};
  send_cmd(sys, from, CMD_SIGNAL, &order, sizeof order);
}

/* Sends @p reason from the test thread, then a ping, and waits for the ping to be handled (the
 * signal, sent first by the same sender, was then dealt with). */
static void signal_and_ping(art_system *sys, art_pid pid, probe *p, art_exit_reason reason) {
  int pings = probe_get(p, &p->pings);
  assert_int_equal(art_send_exit(sys, pid, &reason), 0);
  send_cmd(sys, pid, CMD_PING, NULL, 0);
  assert_true(ART_WAIT_UNTIL(probe_get(p, &p->pings) == pings + 1, IT_WAIT_MS));
}

static void assert_reason(const art_exit_reason *r, art_exit_kind kind, int code,
                          const char *text) {
  assert_int_equal(r->kind, kind);
  assert_int_equal(r->code, code);
  assert_int_equal(r->flags, 0);
  assert_string_equal(r->text, text);
}

/* ---- non-trapping actors --------------------------------------------------------------- */

/* `normal` from another actor or from a plain thread is ignored: the actor keeps working. */
static void test_normal_ignored_without_trap(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  probe target, sender;
  probe_init(&target);
  probe_init(&sender);
  art_pid pid = spawn_probe(sys, &target, 0);
  art_pid sender_pid = spawn_probe(sys, &sender, 0);

  signal_and_ping(sys, pid, &target, art_reason(ART_EXIT_NORMAL));
  assert_true(art_is_alive(sys, pid));
  order_signal(sys, sender_pid, pid, art_reason(ART_EXIT_NORMAL));
  assert_true(ART_WAIT_UNTIL(probe_get(&target, &target.pings) == 2, IT_WAIT_MS));
  assert_true(art_is_alive(sys, pid));
  assert_int_equal(probe_get(&target, &target.post_stop_calls), 0);

  art_system_stats st = it_stats(sys);
  assert_int_equal(st.actors_exited, 0);
  assert_int_equal(art_system_shutdown(sys, it_timeout_ms(IT_WAIT_MS)), 0);
  it_destroy(sys, &ta);
  assert_int_equal(sender.signal_rc, 0);
  assert_int_equal(target.exit_msgs, 0);
  assert_int_equal(target.post_stop_calls, 1);
  assert_reason(&target.reason, ART_EXIT_SHUTDOWN, 0, "system shutdown");
  probe_fini(&target);
  probe_fini(&sender);
}

/* Any other reason makes a non-trapping actor exit with exactly that reason; what was queued
 * behind the signal is not handled. */
static void test_other_reasons_exit_without_trap(void **unused) {
  (void)unused;
  art_exit_reason reasons[4];
  reasons[0] = art_reason_shutdown("go away");
  reasons[1] = art_reason_error(ART_EBUSY, "broken pipe");
  reasons[2] = art_reason(ART_EXIT_TIMEOUT);
  reasons[3] = art_reason_error(ART_ERANGE, "from an actor");
  for (int i = 0; i < 4; i++) {
    art_test_alloc ta;
    art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
    probe target, sender;
    probe_init(&target);
    probe_init(&sender);
    art_pid pid = spawn_probe(sys, &target, 0);
    art_pid sender_pid = spawn_probe(sys, &sender, 0);
    if (i < 3) {
      send_cmd(sys, pid, CMD_BLOCK, NULL, 0);
      assert_int_equal(art_send_exit(sys, pid, &reasons[i]), 0);
      send_cmd(sys, pid, CMD_PING, NULL, 0);
      atomic_store(&target.gate, true);
    } else {
      order_signal(sys, sender_pid, pid, reasons[i]); /* the ping behind it may miss: ESRCH */
    }
    assert_true(ART_WAIT_UNTIL(!art_is_alive(sys, pid), IT_WAIT_MS));
    assert_true(art_is_alive(sys, sender_pid));
    assert_int_equal(art_system_shutdown(sys, it_timeout_ms(IT_WAIT_MS)), 0);
    it_destroy(sys, &ta);
    assert_int_equal(target.post_stop_calls, 1);
    assert_int_equal(target.pings, 0);
    assert_int_equal(target.exit_msgs, 0);
    assert_int_equal(target.gate_timeouts, 0);
    assert_memory_equal(&target.reason, &reasons[i], sizeof reasons[i]);
    assert_int_equal(sender.post_stop_calls, 1);
    probe_fini(&target);
    probe_fini(&sender);
  }
}

/* ---- trapping actors --------------------------------------------------------------------- */

static void assert_exit_msg(const probe *p, int i, art_pid from, const art_exit_reason *reason) {
  assert_int_equal(p->exit_msg_size[i], sizeof(art_exit_msg));
  assert_int_equal(p->exit_msg[i].from, from);
  assert_memory_equal(&p->exit_msg[i].reason, reason, sizeof *reason);
}

/* With ART_SPAWN_TRAP_EXIT every signal but kill arrives as ART_MSG_EXIT {from, reason}: from
 * the test thread ART_PID_NONE, from an actor that actor's pid. */
static void test_trap_flag_turns_signals_into_messages(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  probe target, sender;
  probe_init(&target);
  probe_init(&sender);
  art_pid pid = spawn_probe(sys, &target, ART_SPAWN_TRAP_EXIT);
  art_pid sender_pid = spawn_probe(sys, &sender, 0);

  art_exit_reason r0 = art_reason_shutdown("please stop");
  art_exit_reason r1 = art_reason(ART_EXIT_NORMAL);
  art_exit_reason r2 = art_reason_error(ART_EPERM, "denied");
  art_exit_reason r3 = art_reason_error(ART_ECANCELED, "from a peer");
  art_exit_reason r4 = art_reason(ART_EXIT_NORMAL);
  signal_and_ping(sys, pid, &target, r0);
  signal_and_ping(sys, pid, &target, r1);
  signal_and_ping(sys, pid, &target, r2);
  order_signal(sys, sender_pid, pid, r3);
  assert_true(ART_WAIT_UNTIL(probe_get(&target, &target.pings) == 4, IT_WAIT_MS));
  order_signal(sys, sender_pid, pid, r4);
  assert_true(ART_WAIT_UNTIL(probe_get(&target, &target.pings) == 5, IT_WAIT_MS));
  assert_true(art_is_alive(sys, pid));
  assert_int_equal(probe_get(&target, &target.post_stop_calls), 0);

  /* It ignores the shutdown message, so it is killed once the timeout has passed. */
  assert_int_equal(art_system_shutdown(sys, ART_MSEC(20)), 0);
  it_destroy(sys, &ta);
  assert_int_equal(sender.signal_rc, 0);
  /* The system's shutdown signal arrived as a sixth message; then it was killed. */
  assert_int_equal(target.exit_msgs, 6);
  assert_exit_msg(&target, 0, ART_PID_NONE, &r0);
  assert_exit_msg(&target, 1, ART_PID_NONE, &r1);
  assert_exit_msg(&target, 2, ART_PID_NONE, &r2);
  assert_exit_msg(&target, 3, sender_pid, &r3);
  assert_exit_msg(&target, 4, sender_pid, &r4);
  assert_int_equal(target.exit_msg[5].reason.kind, ART_EXIT_SHUTDOWN);
  assert_int_equal(target.exit_msg[5].from, ART_PID_NONE);
  assert_int_equal(target.post_stop_calls, 1);
  assert_reason(&target.reason, ART_EXIT_KILLED, 0, "");
  probe_fini(&target);
  probe_fini(&sender);
}

/* art_trap_exit() from pre_start and from a handler turns trapping on; off again, a signal
 * makes the actor exit. */
static void test_trap_exit_call(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  probe in_pre_start, in_handler;
  probe_init(&in_pre_start);
  probe_init(&in_handler);
  in_pre_start.trap_in_pre_start = true;
  art_pid pid1 = spawn_probe(sys, &in_pre_start, 0);
  art_pid pid2 = spawn_probe(sys, &in_handler, 0);
  send_cmd(sys, pid2, CMD_TRAP_ON, NULL, 0);

  art_exit_reason shutdown = art_reason_shutdown("first");
  signal_and_ping(sys, pid1, &in_pre_start, shutdown);
  signal_and_ping(sys, pid2, &in_handler, shutdown);
  assert_true(art_is_alive(sys, pid1));
  assert_true(art_is_alive(sys, pid2));
  assert_int_equal(probe_get(&in_pre_start, &in_pre_start.exit_msgs), 1);
  assert_int_equal(probe_get(&in_handler, &in_handler.exit_msgs), 1);

  art_exit_reason error = art_reason_error(ART_EBUSY, "second");
  send_cmd(sys, pid1, CMD_TRAP_OFF, NULL, 0);
  send_cmd(sys, pid2, CMD_TRAP_OFF, NULL, 0);
  assert_int_equal(art_send_exit(sys, pid1, &error), 0);
  assert_int_equal(art_send_exit(sys, pid2, &error), 0);
  it_wait_all(sys);
  it_destroy(sys, &ta);
  probe *probes[] = {&in_pre_start, &in_handler};
  for (int i = 0; i < 2; i++) {
    assert_int_equal(probes[i]->exit_msgs, 1);
    assert_exit_msg(probes[i], 0, ART_PID_NONE, &shutdown);
    assert_int_equal(probes[i]->post_stop_calls, 1);
    assert_reason(&probes[i]->reason, ART_EXIT_ERROR, ART_EBUSY, "second");
    probe_fini(probes[i]);
  }
}

/* killed always kills, trapping or not, from a thread or an actor. */
static void test_kill_cannot_be_trapped(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  probe by_thread, by_actor, sender;
  probe_init(&by_thread);
  probe_init(&by_actor);
  probe_init(&sender);
  art_pid pid1 = spawn_probe(sys, &by_thread, ART_SPAWN_TRAP_EXIT);
  art_pid pid2 = spawn_probe(sys, &by_actor, ART_SPAWN_TRAP_EXIT);
  art_pid sender_pid = spawn_probe(sys, &sender, 0);
  art_exit_reason killed = art_reason(ART_EXIT_KILLED);
  assert_int_equal(art_send_exit(sys, pid1, &killed), 0);
  order_signal(sys, sender_pid, pid2, killed);
  assert_true(ART_WAIT_UNTIL(!art_is_alive(sys, pid1) && !art_is_alive(sys, pid2), IT_WAIT_MS));
  assert_true(art_is_alive(sys, sender_pid));
  assert_int_equal(it_stats(sys).exits_killed, 2);
  assert_int_equal(art_system_shutdown(sys, it_timeout_ms(IT_WAIT_MS)), 0);
  it_destroy(sys, &ta);
  probe *probes[] = {&by_thread, &by_actor};
  for (int i = 0; i < 2; i++) {
    assert_int_equal(probes[i]->exit_msgs, 0);
    assert_int_equal(probes[i]->post_stop_calls, 1);
    assert_reason(&probes[i]->reason, ART_EXIT_KILLED, 0, "");
    probe_fini(probes[i]);
  }
  assert_int_equal(sender.signal_rc, 0);
  probe_fini(&sender);
}

/* A kill sent behind 100,000 queued messages ends the actor long before it got through them;
 * the messages left count as dead letters. */
static void test_kill_overtakes_long_queue(void **unused) {
  (void)unused;
  const int queued = 100000;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  probe p;
  probe_init(&p);
  art_pid pid = spawn_probe(sys, &p, ART_SPAWN_TRAP_EXIT);
  send_cmd(sys, pid, CMD_BLOCK, NULL, 0); /* holds the actor until everything is queued */
  assert_true(ART_WAIT_UNTIL(atomic_load(&p.blocked), IT_WAIT_MS));
  for (int i = 0; i < queued; i++)
    send_cmd(sys, pid, CMD_PING, NULL, 0);
  art_exit_reason killed = art_reason(ART_EXIT_KILLED);
  assert_int_equal(art_send_exit(sys, pid, &killed), 0);
  atomic_store(&p.gate, true);
  it_wait_all(sys);
  art_system_stats st = it_stats(sys);
  it_destroy(sys, &ta);
  assert_int_equal(p.gate_timeouts, 0);
  assert_int_equal(p.post_stop_calls, 1);
  assert_reason(&p.reason, ART_EXIT_KILLED, 0, "");
  assert_int_equal(p.exit_msgs, 0);
  /* "Far fewer": a kill is noticed between two batches of the actor (128 by default). */
  assert_true(p.pings < 1000);
  assert_int_equal(st.messages_handled, (uint64_t)p.pings + 1);
  /* Every ping not handled is a dead letter (the kill's own envelope may count as one too). */
  uint64_t missed = (uint64_t)(queued - p.pings);
  assert_true(st.dead_letters >= missed && st.dead_letters <= missed + 1);
  probe_fini(&p);
}

/* An actor that signals `normal` to itself exits with reason normal; a trapping one gets the
 * signal as a message from itself. */
static void test_normal_to_self(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  probe plain, trapping;
  probe_init(&plain);
  probe_init(&trapping);
  art_pid pid1 = spawn_probe(sys, &plain, 0);
  art_pid pid2 = spawn_probe(sys, &trapping, ART_SPAWN_TRAP_EXIT);
  art_exit_reason normal = art_reason(ART_EXIT_NORMAL);
  send_cmd(sys, pid1, CMD_SIGNAL_SELF, &normal, sizeof normal);
  send_cmd(sys, pid2, CMD_SIGNAL_SELF, &normal, sizeof normal);
  assert_true(ART_WAIT_UNTIL(!art_is_alive(sys, pid1), IT_WAIT_MS));
  assert_true(ART_WAIT_UNTIL(probe_get(&trapping, &trapping.exit_msgs) == 1, IT_WAIT_MS));
  assert_true(art_is_alive(sys, pid2));
  art_system_stats st = it_stats(sys);
  assert_int_equal(st.exits_normal, 1);
  art_exit_reason error = art_reason_error(ART_EPERM, NULL);
  assert_int_equal(art_send_exit(sys, pid2, &error), 0);
  assert_true(ART_WAIT_UNTIL(probe_get(&trapping, &trapping.exit_msgs) == 2, IT_WAIT_MS));
  assert_int_equal(art_system_shutdown(sys, ART_MSEC(20)), 0);
  it_destroy(sys, &ta);
  assert_int_equal(plain.signal_rc, 0);
  assert_int_equal(plain.post_stop_calls, 1);
  assert_reason(&plain.reason, ART_EXIT_NORMAL, 0, "");
  assert_int_equal(trapping.signal_rc, 0);
  assert_exit_msg(&trapping, 0, pid2, &normal);
  assert_exit_msg(&trapping, 1, ART_PID_NONE, &error);
  probe_fini(&plain);
  probe_fini(&trapping);
}

/* Argument errors, stale pids, and a system that has stopped. */
static void test_send_exit_errors(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  probe p;
  probe_init(&p);
  art_pid pid = spawn_probe(sys, &p, 0);
  art_exit_reason shutdown = art_reason_shutdown(NULL);
  art_exit_reason bad_kind = art_reason(ART_EXIT_ERROR);
  bad_kind.kind = (art_exit_kind)99;
  assert_int_equal(art_send_exit(NULL, pid, &shutdown), ART_EINVAL);
  assert_int_equal(art_send_exit(sys, pid, NULL), ART_EINVAL);
  assert_int_equal(art_send_exit(sys, pid, &bad_kind), ART_EINVAL);
  assert_true(art_is_alive(sys, pid));
  assert_int_equal(it_stats(sys).dead_letters, 0);

  assert_int_equal(art_send_exit(sys, pid, &shutdown), 0);
  it_wait_all(sys);
  assert_int_equal(art_send_exit(sys, pid, &shutdown), ART_ESRCH);
  assert_int_equal(art_send_exit(sys, ART_PID_NONE, &shutdown), ART_ESRCH);
  assert_int_equal(art_system_shutdown(sys, it_timeout_ms(IT_WAIT_MS)), 0);
  assert_int_equal(art_send_exit(sys, pid, &shutdown), ART_ESHUTDOWN);
  it_destroy(sys, &ta);
  assert_int_equal(p.post_stop_calls, 1);
  assert_reason(&p.reason, ART_EXIT_SHUTDOWN, 0, "");
  probe_fini(&p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_normal_ignored_without_trap),
      cmocka_unit_test(test_other_reasons_exit_without_trap),
      cmocka_unit_test(test_trap_flag_turns_signals_into_messages),
      cmocka_unit_test(test_trap_exit_call),
      cmocka_unit_test(test_kill_cannot_be_trapped),
      cmocka_unit_test(test_kill_overtakes_long_queue),
      cmocka_unit_test(test_normal_to_self),
      cmocka_unit_test(test_send_exit_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
