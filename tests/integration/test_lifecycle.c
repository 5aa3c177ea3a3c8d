/*
 * Actor lifecycle: pre_start, handle, post_stop and on_error as include/art/actor.h promises
 * them; exit reasons; states; names; spawn arguments; spawns from inside callbacks.
 *
 * The actors are "probes": they do what the message type says and record what they saw into a
 * mutex-protected struct the test owns. The test asserts only once the actors are gone (or on a
 * value read under the lock).
 */
#include "integration.h"

#include <stdio.h>

enum {
  CMD_PING = 1,        /* counted */
  CMD_STOP,            /* return ART_STOP */
  CMD_EXIT,            /* art_exit() with the art_exit_reason in the payload */
  CMD_EXIT_TWICE,      /* art_exit() with two reasons in turn */
  CMD_FAIL_TEXT,       /* return art_fail(code from payload, "failed with %d") */
  CMD_FAIL_PLAIN,      /* return the code from the payload */
  CMD_FILL_STATE,      /* write over the whole state */
  CMD_SPAWN_CHILD,     /* spawn the probe in the payload, send it a ping */
  CMD_FAIL_THEN_SPAWN, /* art_fail(ART_ECANCELED, "outer text"), spawn, return the art_fail code */
  CMD_EXIT_THEN_SPAWN, /* art_exit(shutdown "before spawn"), spawn, return 0 */
  CMD_BLOCK,           /* wait (bounded) until the test opens the gate */
};

#define MAX_ERRORS 4
#define NAME_LEN 64

typedef struct probe {
  pthread_mutex_t lock;
  /* Set by the test before the spawn. */
  int pre_start_rc;
  size_t state_size; /* runtime-owned state to check for zeroes; 0 = the caller's state */
  art_error_action actions[MAX_ERRORS]; /* on_error's answers, call by call */
  int exit_msg_rc;                      /* what handle() returns for ART_MSG_EXIT */
  bool exit_in_pre_start;               /* call art_exit() from pre_start */
  struct probe *child;                  /* pre_start spawns this probe and pings it */
  atomic_bool gate;                     /* CMD_BLOCK waits for it */
  /* Observed. */
  int pre_start_calls, post_stop_calls, handled, pings, exit_msgs, on_error_calls;
  int on_error_err[MAX_ERRORS];
  uint32_t on_error_type[MAX_ERRORS];
  bool state_was_zeroed;
  art_exit_reason reason;
  art_pid self_pre, self_handle, self_post, self_after_spawn, ping_sender;
  art_system *sys_pre, *sys_handle;
  char name_pre[NAME_LEN], name_handle[NAME_LEN], name_post[NAME_LEN];
  void *state_pre, *state_handle, *state_post, *state_on_error;
  int child_rc;
  art_pid child_pid;
  int gate_timeouts;
} probe;

/* The first bytes of every probe's state. */
typedef struct probe_state {
  probe *p;
} probe_state;

static void probe_init(probe *p) {
  memset(p, 0, sizeof *p);
  pthread_mutex_init(&p->lock, NULL);
  atomic_init(&p->gate, false);
  for (int i = 0; i < MAX_ERRORS; i++)
    p->actions[i] = ART_ACTION_RESUME;
}

static void probe_fini(probe *p) {
  pthread_mutex_destroy(&p->lock);
}

/* Reads an int field of @p p under its lock (for waits while actors run). */
static int probe_get(probe *p, const int *field) {
  pthread_mutex_lock(&p->lock);
  int value = *field;
  pthread_mutex_unlock(&p->lock);
  return value;
}

static void copy_name(char *dst, const char *src) {
  snprintf(dst, NAME_LEN, "%s", src);
}

static const art_actor_ops probe_ops;
static const art_actor_ops probe_ops_default_error;

/* Spawns @p child from a callback of the actor @p ctx and records the outcome in @p p. */
static int spawn_child(art_ctx *ctx, probe *p, probe *child) {
  art_spawn_opts o = {.ops = &probe_ops, .state_size = sizeof(probe_state), .args = child};
  child->state_size = o.state_size;
  art_pid pid = ART_PID_NONE;
  int rc = art_spawn(art_ctx_system(ctx), &o, &pid);
  int send_rc = rc == 0 ? art_send(art_ctx_system(ctx), pid, CMD_PING, NULL, 0) : 0;
  pthread_mutex_lock(&p->lock);
  p->child_rc = rc != 0 ? rc : send_rc;
  p->child_pid = pid;
  p->self_after_spawn = art_self(ctx);
  pthread_mutex_unlock(&p->lock);
  return rc;
}

static int probe_pre_start(art_ctx *ctx, void *state, void *args) {
  probe *p = args;
  bool zeroed = true;
  for (size_t i = 0; i < p->state_size; i++)
    zeroed = zeroed && ((unsigned char *)state)[i] == 0;
  ((probe_state *)state)->p = p;
  pthread_mutex_lock(&p->lock);
  p->pre_start_calls++;
  p->state_was_zeroed = zeroed;
  p->self_pre = art_self(ctx);
  p->sys_pre = art_ctx_system(ctx);
  copy_name(p->name_pre, art_ctx_name(ctx));
  p->state_pre = state;
  pthread_mutex_unlock(&p->lock);
  if (p->exit_in_pre_start) {
    art_exit_reason r = art_reason_shutdown("from pre_start");
    art_exit(ctx, &r);
  }
  if (p->child) {
    int rc = spawn_child(ctx, p, p->child);
    if (rc < 0)
      return rc;
  }
  return p->pre_start_rc;
}

static int payload_int(const art_msg *msg) {
  int value = 0;
  if (msg->data && msg->size == sizeof value)
    memcpy(&value, msg->data, sizeof value);
  return value;
}

static probe *payload_probe(const art_msg *msg) {
  probe *child = NULL;
  if (msg->data && msg->size == sizeof child)
    memcpy(&child, msg->data, sizeof child);
  return child;
}

static int probe_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  probe *p = ((probe_state *)state)->p;
  pthread_mutex_lock(&p->lock);
  p->handled++;
  p->self_handle = art_self(ctx);
  p->sys_handle = art_ctx_system(ctx);
  copy_name(p->name_handle, art_ctx_name(ctx));
  p->state_handle = state;
  if (msg->type == CMD_PING) {
    p->pings++;
    p->ping_sender = msg->sender;
  }
  if (msg->type == ART_MSG_EXIT)
    p->exit_msgs++;
  pthread_mutex_unlock(&p->lock);

  switch (msg->type) {
  case ART_MSG_EXIT:
    return p->exit_msg_rc;
  case CMD_STOP:
    return ART_STOP;
  case CMD_EXIT:
  case CMD_EXIT_TWICE: {
    art_exit_reason r[2];
    if (msg->size != (msg->type == CMD_EXIT ? 1 : 2) * sizeof r[0])
      return ART_EINVAL; /* a broken test: the reason then says so */
    memcpy(r, msg->data, msg->size);
    art_exit(ctx, &r[0]);
    if (msg->type == CMD_EXIT_TWICE)
      art_exit(ctx, &r[1]);
    return 0;
  }
  case CMD_FAIL_TEXT: {
    int code = payload_int(msg);
    return art_fail(ctx, code, "failed with %d", code);
  }
  case CMD_FAIL_PLAIN:
    return payload_int(msg);
  case CMD_FILL_STATE:
    memset((char *)state + sizeof(probe_state), 0xAB, p->state_size - sizeof(probe_state));
    return 0;
  case CMD_BLOCK:
    if (!it_actor_wait_flag(&p->gate)) {
      pthread_mutex_lock(&p->lock);
      p->gate_timeouts++;
      pthread_mutex_unlock(&p->lock);
    }
    return 0;
  case CMD_SPAWN_CHILD:
    spawn_child(ctx, p, payload_probe(msg));
    return 0;
  case CMD_FAIL_THEN_SPAWN: {
    int rc = art_fail(ctx, ART_ECANCELED, "outer text");
    spawn_child(ctx, p, payload_probe(msg));
    return rc;
  }
  case CMD_EXIT_THEN_SPAWN: {
    art_exit_reason r = art_reason_shutdown("before spawn");
    art_exit(ctx, &r);
    spawn_child(ctx, p, payload_probe(msg));
    return 0;
  }
  default:
    return 0;
  }
}

static void probe_post_stop(art_ctx *ctx, void *state, const art_exit_reason *reason) {
  probe *p = ((probe_state *)state)->p;
  pthread_mutex_lock(&p->lock);
  p->post_stop_calls++;
  p->reason = *reason;
  p->self_post = art_self(ctx);
  copy_name(p->name_post, art_ctx_name(ctx));
  p->state_post = state;
  pthread_mutex_unlock(&p->lock);
}

static art_error_action probe_on_error(art_ctx *ctx, void *state, int err, const art_msg *msg) {
  (void)ctx;
  probe *p = ((probe_state *)state)->p;
  pthread_mutex_lock(&p->lock);
  int call = p->on_error_calls < MAX_ERRORS ? p->on_error_calls : MAX_ERRORS - 1;
  p->on_error_calls++;
  p->on_error_err[call] = err;
  p->on_error_type[call] = msg ? msg->type : 0;
  p->state_on_error = state;
  art_error_action action = p->actions[call];
  pthread_mutex_unlock(&p->lock);
  return action;
}

static const art_actor_ops probe_ops = {
    .pre_start = probe_pre_start,
    .handle = probe_handle,
    .post_stop = probe_post_stop,
    .on_error = probe_on_error,
};

static const art_actor_ops probe_ops_default_error = {
    .pre_start = probe_pre_start,
    .handle = probe_handle,
    .post_stop = probe_post_stop,
};

/* Spawns a probe with a runtime-owned state of @p state_size bytes (at least a probe_state). */
static art_pid spawn_probe_ex(art_system *sys, probe *p, const art_actor_ops *ops,
                              size_t state_size, const char *name, uint32_t flags) {
  if (state_size < sizeof(probe_state))
    state_size = sizeof(probe_state);
  art_spawn_opts o = {
      .ops = ops, .state_size = state_size, .args = p, .name = name, .flags = flags};
  p->state_size = state_size;
  art_pid pid = ART_PID_NONE;
  assert_int_equal(art_spawn(sys, &o, &pid), 0);
  assert_int_not_equal(pid, ART_PID_NONE);
  return pid;
}

static art_pid spawn_probe(art_system *sys, probe *p) {
  return spawn_probe_ex(sys, p, &probe_ops, 0, NULL, 0);
}

static void send_cmd(art_system *sys, art_pid pid, uint32_t type, const void *data, size_t size) {
  assert_int_equal(art_send(sys, pid, type, data, size), 0);
}

static void send_int(art_system *sys, art_pid pid, uint32_t type, int value) {
  send_cmd(sys, pid, type, &value, sizeof value);
}

static void assert_reason(const art_exit_reason *r, art_exit_kind kind, int code, uint32_t flags,
                          const char *text) {
  assert_int_equal(r->kind, kind);
  assert_int_equal(r->code, code);
  assert_int_equal(r->flags, flags);
  assert_string_equal(r->text, text);
}

/* ---- pre_start ------------------------------------------------------------------------- */

/* A failing pre_start fails the spawn with its code; the actor never runs and post_stop is not
 * called; its name and large state are freed. */
static void test_pre_start_failure(void **unused) {
  (void)unused;
  const int codes[] = {ART_EPERM, -1000};
  for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
    art_test_alloc ta;
    art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
    probe p;
    probe_init(&p);
    p.pre_start_rc = codes[i];
    p.state_size = 4096;
    art_spawn_opts o = {
        .ops = &probe_ops, .state_size = 4096, .args = &p, .name = "doomed", .flags = 0};
    art_pid pid = ART_PID_NONE;
    assert_int_equal(art_spawn(sys, &o, &pid), codes[i]);
    art_pid self = p.self_pre;
    assert_false(art_is_alive(sys, self));
    assert_int_equal(art_send(sys, self, CMD_PING, NULL, 0), ART_ESRCH);
    it_wait_all(sys);
    art_system_stats st = it_stats(sys);
    assert_int_equal(st.spawn_failures, 1);
    assert_int_equal(st.actors_spawned, 0);
    assert_int_equal(st.actors_alive, 0);
    it_destroy(sys, &ta);
    assert_int_equal(p.pre_start_calls, 1);
    assert_int_equal(p.handled, 0);
    assert_int_equal(p.post_stop_calls, 0);
    probe_fini(&p);
  }
}

/* art_exit() from pre_start has no effect: the actor starts and works. */
static void test_exit_from_pre_start_is_ignored(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  probe p;
  probe_init(&p);
  p.exit_in_pre_start = true;
  art_pid pid = spawn_probe(sys, &p);
  send_cmd(sys, pid, CMD_PING, NULL, 0);
  assert_true(ART_WAIT_UNTIL(probe_get(&p, &p.pings) == 1, IT_WAIT_MS));
  assert_true(art_is_alive(sys, pid));
  send_cmd(sys, pid, CMD_STOP, NULL, 0);
  it_wait_all(sys);
  it_destroy(sys, &ta);
  assert_int_equal(p.post_stop_calls, 1);
  assert_reason(&p.reason, ART_EXIT_NORMAL, 0, 0, "");
  probe_fini(&p);
}

/* ---- exits and their reasons ----------------------------------------------------------- */

/* Returning ART_STOP exits with reason normal; messages queued behind it are never handled. */
static void test_stop_return_is_normal(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  probe p;
  probe_init(&p);
  art_pid pid = spawn_probe(sys, &p);
  send_cmd(sys, pid, CMD_BLOCK, NULL, 0); /* so that the ping is surely queued behind the stop */
  send_cmd(sys, pid, CMD_STOP, NULL, 0);
  send_cmd(sys, pid, CMD_PING, NULL, 0);
  atomic_store(&p.gate, true);
  it_wait_all(sys);
  assert_false(art_is_alive(sys, pid));
  art_system_stats st = it_stats(sys);
  assert_int_equal(st.actors_spawned, 1);
  assert_int_equal(st.actors_exited, 1);
  assert_int_equal(st.exits_normal, 1);
  assert_int_equal(st.dead_letters, 1); /* the ping */
  it_destroy(sys, &ta);
  assert_int_equal(p.post_stop_calls, 1);
  assert_int_equal(p.pings, 0);
  assert_int_equal(p.gate_timeouts, 0);
  assert_reason(&p.reason, ART_EXIT_NORMAL, 0, 0, "");
  assert_int_equal(p.self_post, pid);
  probe_fini(&p);
}

/* art_exit() makes the actor exit with exactly the reason given, once the handler returns. */
static void test_exit_reasons_arrive_as_given(void **unused) {
  (void)unused;
  art_exit_reason reasons[4];
  reasons[0] = art_reason_shutdown("maintenance");
  reasons[1] = art_reason_error(ART_EBUSY, "custom text");
  reasons[2] = art_reason(ART_EXIT_TIMEOUT);
  reasons[3] = art_reason_error(ART_ERANGE, NULL);
  const art_exit_kind kinds[] = {ART_EXIT_SHUTDOWN, ART_EXIT_ERROR, ART_EXIT_TIMEOUT,
                                 ART_EXIT_ERROR};
  const int codes[] = {0, ART_EBUSY, 0, ART_ERANGE};
  const char *texts[] = {"maintenance", "custom text", "", art_strerror(ART_ERANGE)};
  for (int i = 0; i < 4; i++) {
    art_test_alloc ta;
    art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
    probe p;
    probe_init(&p);
    art_pid pid = spawn_probe(sys, &p);
    send_cmd(sys, pid, CMD_EXIT, &reasons[i], sizeof reasons[i]);
    it_wait_all(sys);
    art_system_stats st = it_stats(sys);
    assert_int_equal(st.exits_shutdown, kinds[i] == ART_EXIT_SHUTDOWN);
    assert_int_equal(st.exits_error, kinds[i] == ART_EXIT_ERROR || kinds[i] == ART_EXIT_TIMEOUT);
    it_destroy(sys, &ta);
    assert_int_equal(p.post_stop_calls, 1);
    assert_reason(&p.reason, kinds[i], codes[i], 0, texts[i]);
    probe_fini(&p);
  }
}

/* The first art_exit() wins; a text without a terminator arrives terminated and truncated. */
static void test_exit_first_call_wins_and_text_is_bounded(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  probe first, unterminated;
  probe_init(&first);
  probe_init(&unterminated);
  art_pid pid1 = spawn_probe(sys, &first);
  art_pid pid2 = spawn_probe(sys, &unterminated);

  art_exit_reason two[2] = {art_reason_shutdown("first"),
                            art_reason_error(ART_ECANCELED, "second")};
  send_cmd(sys, pid1, CMD_EXIT_TWICE, two, sizeof two);
  art_exit_reason long_text = art_reason_error(ART_ECANCELED, NULL);
  memset(long_text.text, 'x', sizeof long_text.text);
  send_cmd(sys, pid2, CMD_EXIT, &long_text, sizeof long_text);

  it_wait_all(sys);
  it_destroy(sys, &ta);
  assert_int_equal(first.post_stop_calls, 1);
  assert_reason(&first.reason, ART_EXIT_SHUTDOWN, 0, 0, "first");
  assert_int_equal(unterminated.post_stop_calls, 1);
  assert_int_equal(unterminated.reason.kind, ART_EXIT_ERROR);
  assert_int_equal(unterminated.reason.code, ART_ECANCELED);
  assert_int_equal(strnlen(unterminated.reason.text, ART_REASON_TEXT_MAX), ART_REASON_TEXT_MAX - 1);
  probe_fini(&first);
  probe_fini(&unterminated);
}

/* A kill from outside: post_stop runs once with reason killed. */
static void test_killed_by_exit_signal(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  probe p;
  probe_init(&p);
  art_pid pid = spawn_probe(sys, &p);
  send_cmd(sys, pid, CMD_PING, NULL, 0);
  assert_true(ART_WAIT_UNTIL(probe_get(&p, &p.pings) == 1, IT_WAIT_MS));
  art_exit_reason killed = art_reason(ART_EXIT_KILLED);
  assert_int_equal(art_send_exit(sys, pid, &killed), 0);
  it_wait_all(sys);
  assert_int_equal(it_stats(sys).exits_killed, 1);
  it_destroy(sys, &ta);
  assert_int_equal(p.post_stop_calls, 1);
  assert_reason(&p.reason, ART_EXIT_KILLED, 0, 0, "");
  probe_fini(&p);
}

/* ---- on_error ------------------------------------------------------------------------------ */

static atomic_int moved_frees;

static void count_moved_free(void *data) {
  atomic_fetch_add(&moved_frees, 1);
  free(data);
}

/* Resume: the failed message is dropped (a moved payload is freed once), on_error sees the
 * error and the message, and the actor handles the next message. */
static void test_on_error_resume(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  probe p;
  probe_init(&p);
  p.actions[0] = ART_ACTION_RESUME;
  p.actions[1] = ART_ACTION_RESUME;
  art_pid pid = spawn_probe(sys, &p);
  atomic_store(&moved_frees, 0);

  send_int(sys, pid, CMD_FAIL_TEXT, ART_ECANCELED);
  int *code = malloc(sizeof *code);
  assert_non_null(code);
  *code = ART_EAGAIN;
  assert_int_equal(art_send_ptr(sys, pid, CMD_FAIL_PLAIN, code, sizeof *code, count_moved_free), 0);
  send_cmd(sys, pid, CMD_PING, NULL, 0);
  assert_true(ART_WAIT_UNTIL(probe_get(&p, &p.pings) == 1, IT_WAIT_MS));
  assert_true(art_is_alive(sys, pid));
  assert_int_equal(atomic_load(&moved_frees), 1);
  assert_int_equal(probe_get(&p, &p.on_error_calls), 2);

  send_cmd(sys, pid, CMD_STOP, NULL, 0);
  it_wait_all(sys);
  it_destroy(sys, &ta);
  assert_int_equal(atomic_load(&moved_frees), 1);
  assert_int_equal(p.on_error_calls, 2);
  assert_int_equal(p.on_error_err[0], ART_ECANCELED);
  assert_int_equal(p.on_error_type[0], CMD_FAIL_TEXT);
  assert_int_equal(p.on_error_err[1], ART_EAGAIN);
  assert_int_equal(p.on_error_type[1], CMD_FAIL_PLAIN);
  assert_ptr_equal(p.state_on_error, p.state_handle);
  assert_int_equal(p.handled, 4);
  assert_int_equal(p.post_stop_calls, 1);
  assert_reason(&p.reason, ART_EXIT_NORMAL, 0, 0, "");
  probe_fini(&p);
}

/* Runs one failing message through on_error's @p action (NULL on_error if @p use_default) and
 * returns the probe's post_stop reason. A ping queued behind the failure must not be handled. */
static art_exit_reason fail_once(art_error_action action, bool use_default, int code,
                                 bool with_text, int *post_stops, int *pings) {
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  probe p;
  probe_init(&p);
  p.actions[0] = action;
  art_pid pid =
      spawn_probe_ex(sys, &p, use_default ? &probe_ops_default_error : &probe_ops, 0, NULL, 0);
  send_cmd(sys, pid, CMD_BLOCK, NULL, 0);
  send_int(sys, pid, with_text ? CMD_FAIL_TEXT : CMD_FAIL_PLAIN, code);
  send_cmd(sys, pid, CMD_PING, NULL, 0);
  atomic_store(&p.gate, true);
  it_wait_all(sys);
  assert_int_equal(it_stats(sys).dead_letters, 1);
  it_destroy(sys, &ta);
  assert_int_equal(p.on_error_calls, use_default ? 0 : 1);
  assert_int_equal(p.gate_timeouts, 0);
  *post_stops = p.post_stop_calls;
  *pings = p.pings;
  art_exit_reason reason = p.reason;
  probe_fini(&p);
  return reason;
}

static void test_on_error_stop_restart_escalate(void **unused) {
  (void)unused;
  int post_stops, pings;
  char text[64];
  snprintf(text, sizeof text, "failed with %d", ART_ECANCELED);

  art_exit_reason r = fail_once(ART_ACTION_STOP, false, ART_ECANCELED, true, &post_stops, &pings);
  assert_int_equal(post_stops, 1);
  assert_int_equal(pings, 0);
  assert_reason(&r, ART_EXIT_NORMAL, 0, 0, "");

  r = fail_once(ART_ACTION_RESTART, false, ART_ECANCELED, true, &post_stops, &pings);
  assert_int_equal(post_stops, 1);
  assert_int_equal(pings, 0);
  assert_reason(&r, ART_EXIT_ERROR, ART_ECANCELED, 0, text);

  /* Without art_fail() the text is art_strerror(code). */
  r = fail_once(ART_ACTION_RESTART, false, ART_ENOENT, false, &post_stops, &pings);
  assert_int_equal(post_stops, 1);
  assert_reason(&r, ART_EXIT_ERROR, ART_ENOENT, 0, art_strerror(ART_ENOENT));

  r = fail_once(ART_ACTION_ESCALATE, false, ART_ECANCELED, true, &post_stops, &pings);
  assert_int_equal(post_stops, 1);
  assert_int_equal(pings, 0);
  assert_reason(&r, ART_EXIT_ERROR, ART_ECANCELED, ART_REASON_ESCALATE, text);

  /* A code that is no ART_E* value passes through unchanged. */
  r = fail_once(ART_ACTION_ESCALATE, false, -4242, false, &post_stops, &pings);
  assert_int_equal(r.kind, ART_EXIT_ERROR);
  assert_int_equal(r.code, -4242);
  assert_int_equal(r.flags, ART_REASON_ESCALATE);
}

/* on_error NULL means Restart: exit with the error as reason. */
static void test_on_error_default_is_restart(void **unused) {
  (void)unused;
  int post_stops, pings;
  char text[64];
  snprintf(text, sizeof text, "failed with %d", ART_EBUSY);
  art_exit_reason r = fail_once(ART_ACTION_RESUME, true, ART_EBUSY, true, &post_stops, &pings);
  assert_int_equal(post_stops, 1);
  assert_int_equal(pings, 0);
  assert_reason(&r, ART_EXIT_ERROR, ART_EBUSY, 0, text);

  r = fail_once(ART_ACTION_RESUME, true, ART_EPERM, false, &post_stops, &pings);
  assert_int_equal(post_stops, 1);
  assert_reason(&r, ART_EXIT_ERROR, ART_EPERM, 0, art_strerror(ART_EPERM));
}

/* art_fail()'s text belongs to the error it was attached to: a later error returned without
 * art_fail() (here by a trapping actor's handler for an EXIT message) gets the default text. */
static void test_fail_text_does_not_leak_into_later_errors(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 1, IT_POOL_DEFAULT);
  probe p;
  probe_init(&p);
  p.actions[0] = ART_ACTION_RESUME;
  p.actions[1] = ART_ACTION_RESTART;
  p.exit_msg_rc = ART_ENOENT;
  art_pid pid = spawn_probe_ex(sys, &p, &probe_ops, 0, NULL, ART_SPAWN_TRAP_EXIT);
  send_int(sys, pid, CMD_FAIL_TEXT, ART_ECANCELED);
  art_exit_reason shutdown = art_reason_shutdown(NULL);
  assert_int_equal(art_send_exit(sys, pid, &shutdown), 0);
  it_wait_all(sys);
  it_destroy(sys, &ta);
  assert_int_equal(p.on_error_calls, 2);
  assert_int_equal(p.on_error_err[1], ART_ENOENT);
  assert_int_equal(p.on_error_type[1], ART_MSG_EXIT);
  assert_int_equal(p.post_stop_calls, 1);
  assert_reason(&p.reason, ART_EXIT_ERROR, ART_ENOENT, 0, art_strerror(ART_ENOENT));
  probe_fini(&p);
}

/* ---- state ----------------------------------------------------------------------------- */

/* Runtime-owned states, inline (up to 64 bytes), just above, and large, are zeroed at every
 * spawn, also when the block of an actor that scribbled over its state is reused; they are
 * freed (the leak check). */
static void test_state_zeroed_and_freed(void **unused) {
  (void)unused;
  const size_t sizes[] = {sizeof(probe_state), 64, 65, 4096};
  const int pools[] = {IT_POOL_OFF, IT_POOL_ON};
  for (size_t k = 0; k < 2; k++) {
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
      art_test_alloc ta;
      art_system *sys = it_create(&ta, 2, pools[k]);
      for (int round = 0; round < 20; round++) {
        probe p;
        probe_init(&p);
        art_pid pid = spawn_probe_ex(sys, &p, &probe_ops, sizes[s], NULL, 0);
        send_cmd(sys, pid, CMD_FILL_STATE, NULL, 0);
        send_cmd(sys, pid, CMD_STOP, NULL, 0);
        it_wait_all(sys);
        assert_true(p.state_was_zeroed);
        assert_int_equal(p.post_stop_calls, 1);
        assert_ptr_equal(p.state_pre, p.state_handle);
        assert_ptr_equal(p.state_pre, p.state_post);
        probe_fini(&p);
      }
      it_destroy(sys, &ta);
    }
  }
}

/* With state_size 0 the caller's state pointer reaches every callback and stays the caller's. */
static void test_caller_state_passed_through(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  probe p;
  probe_init(&p);
  p.actions[0] = ART_ACTION_RESUME;
  struct {
    probe_state head;
    char canary[32];
  } mine;
  mine.head.p = &p;
  memset(mine.canary, 'c', sizeof mine.canary);
  art_spawn_opts o = {.ops = &probe_ops, .state = &mine, .args = &p};
  art_pid pid;
  assert_int_equal(art_spawn(sys, &o, &pid), 0);
  send_int(sys, pid, CMD_FAIL_PLAIN, ART_ECANCELED);
  send_cmd(sys, pid, CMD_STOP, NULL, 0);
  it_wait_all(sys);
  it_destroy(sys, &ta);
  assert_ptr_equal(p.state_pre, &mine);
  assert_ptr_equal(p.state_handle, &mine);
  assert_ptr_equal(p.state_on_error, &mine);
  assert_ptr_equal(p.state_post, &mine);
  assert_ptr_equal(mine.head.p, &p);
  for (size_t i = 0; i < sizeof mine.canary; i++)
    assert_int_equal(mine.canary[i], 'c');
  probe_fini(&p);
}

/* ---- identity ---------------------------------------------------------------------------- */

/* art_self, art_ctx_system and art_ctx_name in every callback; the name is copied. */
static void test_names_and_self(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  probe named, anonymous, longest;
  probe_init(&named);
  probe_init(&anonymous);
  probe_init(&longest);
  char name[16];
  snprintf(name, sizeof name, "worker-%d", 7);
  char name63[64];
  memset(name63, 'n', 63);
  name63[63] = '\0';

  art_pid pid_named = spawn_probe_ex(sys, &named, &probe_ops, 0, name, 0);
  memset(name, '?', sizeof name - 1); /* the runtime keeps its own copy */
  art_pid pid_anonymous = spawn_probe(sys, &anonymous);
  art_pid pid_longest = spawn_probe_ex(sys, &longest, &probe_ops, 0, name63, 0);
  assert_int_not_equal(pid_named, pid_anonymous);
  assert_int_not_equal(pid_named, pid_longest);
  assert_int_not_equal(pid_anonymous, pid_longest);
  probe *probes[] = {&named, &anonymous, &longest};
  art_pid pids[] = {pid_named, pid_anonymous, pid_longest};
  for (int i = 0; i < 3; i++) {
    assert_true(art_is_alive(sys, pids[i]));
    send_cmd(sys, pids[i], CMD_PING, NULL, 0);
    send_cmd(sys, pids[i], CMD_STOP, NULL, 0);
  }
  it_wait_all(sys);
  it_destroy(sys, &ta);

  const char *expected[] = {"worker-7", "", name63};
  for (int i = 0; i < 3; i++) {
    probe *p = probes[i];
    assert_int_equal(p->self_pre, pids[i]);
    assert_int_equal(p->self_handle, pids[i]);
    assert_int_equal(p->self_post, pids[i]);
    assert_ptr_equal(p->sys_pre, sys);
    assert_ptr_equal(p->sys_handle, sys);
    assert_string_equal(p->name_pre, expected[i]);
    assert_string_equal(p->name_handle, expected[i]);
    assert_string_equal(p->name_post, expected[i]);
    assert_int_equal(p->post_stop_calls, 1);
    probe_fini(p);
  }
}

/* ---- spawn arguments ------------------------------------------------------------------------ */

static int plain_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  (void)ctx;
  (void)state;
  (void)msg;
  return 0;
}

static const art_actor_ops no_handle_ops = {.pre_start = probe_pre_start,
                                            .post_stop = probe_post_stop};

static void test_spawn_einval(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  probe p;
  probe_init(&p);
  char name64[65];
  memset(name64, 'n', 64);
  name64[64] = '\0';
  art_pid pid = ART_PID_NONE;

  art_spawn_opts ok = {.ops = &probe_ops, .state_size = sizeof(probe_state), .args = &p};
  art_spawn_opts o = ok;
  assert_int_equal(art_spawn(NULL, &o, &pid), ART_EINVAL);
  assert_int_equal(art_spawn(sys, NULL, &pid), ART_EINVAL);
  o.ops = NULL;
  assert_int_equal(art_spawn(sys, &o, &pid), ART_EINVAL);
  o = ok;
  o.ops = &no_handle_ops;
  assert_int_equal(art_spawn(sys, &o, &pid), ART_EINVAL);
  o = ok;
  o.flags = 0x100u;
  assert_int_equal(art_spawn(sys, &o, &pid), ART_EINVAL);
  o.flags = ART_SPAWN_TRAP_EXIT | 0x80000000u;
  assert_int_equal(art_spawn(sys, &o, &pid), ART_EINVAL);
  o = ok;
  o.name = name64;
  assert_int_equal(art_spawn(sys, &o, &pid), ART_EINVAL);

  assert_int_equal(p.pre_start_calls, 0);
  art_system_stats st = it_stats(sys);
  assert_int_equal(st.actors_spawned, 0);
  assert_int_equal(st.spawn_failures, 0);
  assert_int_equal(st.actors_alive, 0);

  /* The minimum: only handle, no out pointer. */
  static const art_actor_ops minimal = {.handle = plain_handle};
  art_spawn_opts bare = {.ops = &minimal};
  assert_int_equal(art_spawn(sys, &bare, NULL), 0);
  assert_int_equal(it_stats(sys).actors_spawned, 1);
  it_destroy(sys, &ta);
  assert_int_equal(p.pre_start_calls, 0);
  probe_fini(&p);
}

/* ---- spawns from inside callbacks ------------------------------------------------------------ */

/* A handler spawns a child, which runs and sees the parent as the sender of its ping; the
 * parent's own context is intact after the spawn. */
static void test_spawn_from_handler(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  probe parent, child;
  probe_init(&parent);
  probe_init(&child);
  art_pid parent_pid = spawn_probe_ex(sys, &parent, &probe_ops, 0, "parent", 0);
  probe *child_ptr = &child;
  send_cmd(sys, parent_pid, CMD_SPAWN_CHILD, &child_ptr, sizeof child_ptr);
  assert_true(ART_WAIT_UNTIL(probe_get(&child, &child.pings) == 1, IT_WAIT_MS));
  send_cmd(sys, parent_pid, CMD_PING, NULL, 0);
  send_cmd(sys, parent_pid, CMD_STOP, NULL, 0);
  assert_true(ART_WAIT_UNTIL(probe_get(&parent, &parent.post_stop_calls) == 1, IT_WAIT_MS));
  pthread_mutex_lock(&parent.lock);
  art_pid child_pid = parent.child_pid;
  pthread_mutex_unlock(&parent.lock);
  assert_true(art_is_alive(sys, child_pid));
  send_cmd(sys, child_pid, CMD_STOP, NULL, 0);
  it_wait_all(sys);
  assert_int_equal(it_stats(sys).actors_spawned, 2);
  it_destroy(sys, &ta);

  assert_int_equal(parent.child_rc, 0);
  assert_int_not_equal(child_pid, parent_pid);
  assert_int_equal(parent.self_after_spawn, parent_pid);
  assert_int_equal(parent.self_handle, parent_pid);
  assert_string_equal(parent.name_handle, "parent");
  assert_int_equal(child.self_pre, child_pid);
  assert_string_equal(child.name_pre, "");
  assert_int_equal(child.ping_sender, parent_pid);
  assert_int_equal(child.post_stop_calls, 1);
  assert_int_equal(parent.post_stop_calls, 1);
  assert_reason(&parent.reason, ART_EXIT_NORMAL, 0, 0, "");
  probe_fini(&parent);
  probe_fini(&child);
}

/* A spawn between art_fail()/art_exit() and the handler's return keeps what the handler set. */
static void test_spawn_from_handler_keeps_fail_and_exit(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  probe failing, exiting, child1, child2;
  probe_init(&failing);
  probe_init(&exiting);
  probe_init(&child1);
  probe_init(&child2);
  failing.actions[0] = ART_ACTION_RESTART;
  art_pid pid_failing = spawn_probe(sys, &failing);
  art_pid pid_exiting = spawn_probe(sys, &exiting);
  probe *c1 = &child1, *c2 = &child2;
  send_cmd(sys, pid_failing, CMD_FAIL_THEN_SPAWN, &c1, sizeof c1);
  send_cmd(sys, pid_exiting, CMD_EXIT_THEN_SPAWN, &c2, sizeof c2);
  assert_true(ART_WAIT_UNTIL(probe_get(&failing, &failing.post_stop_calls) == 1 &&
                                 probe_get(&exiting, &exiting.post_stop_calls) == 1 &&
                                 probe_get(&child1, &child1.pings) == 1 &&
                                 probe_get(&child2, &child2.pings) == 1,
                             IT_WAIT_MS));
  assert_int_equal(it_stats(sys).actors_alive, 2); /* the children live on */
  assert_int_equal(art_system_shutdown(sys, it_timeout_ms(IT_WAIT_MS)), 0);
  it_destroy(sys, &ta);
  assert_int_equal(failing.child_rc, 0);
  assert_int_equal(exiting.child_rc, 0);
  assert_reason(&failing.reason, ART_EXIT_ERROR, ART_ECANCELED, 0, "outer text");
  assert_reason(&exiting.reason, ART_EXIT_SHUTDOWN, 0, 0, "before spawn");
  assert_int_equal(child1.post_stop_calls, 1);
  assert_int_equal(child2.post_stop_calls, 1);
  assert_int_equal(child1.reason.kind, ART_EXIT_SHUTDOWN);
  assert_int_equal(child2.reason.kind, ART_EXIT_SHUTDOWN);
  probe_fini(&failing);
  probe_fini(&exiting);
  probe_fini(&child1);
  probe_fini(&child2);
}

/* pre_start spawns a child (nested pre_start on the same thread); the parent's context is
 * intact afterwards; the child's ping comes from the parent. */
static void test_spawn_from_pre_start(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  probe parent, child;
  probe_init(&parent);
  probe_init(&child);
  parent.child = &child;
  art_pid parent_pid = spawn_probe_ex(sys, &parent, &probe_ops, 0, "parent", 0);
  assert_true(ART_WAIT_UNTIL(probe_get(&child, &child.pings) == 1, IT_WAIT_MS));
  assert_int_equal(art_system_shutdown(sys, it_timeout_ms(IT_WAIT_MS)), 0);
  it_destroy(sys, &ta);
  assert_int_equal(parent.child_rc, 0);
  assert_int_equal(parent.self_after_spawn, parent_pid);
  assert_int_equal(parent.self_pre, parent_pid);
  assert_int_not_equal(parent.child_pid, parent_pid);
  assert_int_equal(child.self_pre, parent.child_pid);
  assert_int_equal(child.ping_sender, parent_pid);
  assert_int_equal(parent.post_stop_calls, 1);
  assert_int_equal(child.post_stop_calls, 1);
  probe_fini(&parent);
  probe_fini(&child);
}

/* A child whose pre_start fails inside the parent's pre_start fails both spawns; neither gets
 * post_stop. */
static void test_nested_pre_start_failure(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  probe parent, child;
  probe_init(&parent);
  probe_init(&child);
  parent.child = &child;
  child.pre_start_rc = ART_EEXIST;
  art_spawn_opts o = {.ops = &probe_ops, .state_size = 4096, .args = &parent, .name = "p"};
  parent.state_size = 4096;
  assert_int_equal(art_spawn(sys, &o, NULL), ART_EEXIST);
  it_wait_all(sys);
  art_system_stats st = it_stats(sys);
  assert_int_equal(st.spawn_failures, 2);
  assert_int_equal(st.actors_spawned, 0);
  it_destroy(sys, &ta);
  assert_int_equal(parent.child_rc, ART_EEXIST);
  assert_int_equal(parent.pre_start_calls, 1);
  assert_int_equal(child.pre_start_calls, 1);
  assert_int_equal(parent.post_stop_calls, 0);
  assert_int_equal(child.post_stop_calls, 0);
  probe_fini(&parent);
  probe_fini(&child);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pre_start_failure),
      cmocka_unit_test(test_exit_from_pre_start_is_ignored),
      cmocka_unit_test(test_stop_return_is_normal),
      cmocka_unit_test(test_exit_reasons_arrive_as_given),
      cmocka_unit_test(test_exit_first_call_wins_and_text_is_bounded),
      cmocka_unit_test(test_killed_by_exit_signal),
      cmocka_unit_test(test_on_error_resume),
      cmocka_unit_test(test_on_error_stop_restart_escalate),
      cmocka_unit_test(test_on_error_default_is_restart),
      cmocka_unit_test(test_fail_text_does_not_leak_into_later_errors),
      cmocka_unit_test(test_state_zeroed_and_freed),
      cmocka_unit_test(test_caller_state_passed_through),
      cmocka_unit_test(test_names_and_self),
      cmocka_unit_test(test_spawn_einval),
      cmocka_unit_test(test_spawn_from_handler),
      cmocka_unit_test(test_spawn_from_handler_keeps_fail_and_exit),
      cmocka_unit_test(test_spawn_from_pre_start),
      cmocka_unit_test(test_nested_pre_start_failure),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
