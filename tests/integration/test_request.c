/*
 * Request and reply: art_ask / art_reply between actors (deterministic mode: reply or timeout,
 * never both, late replies dropped), and art_call from a plain thread (with workers and in
 * deterministic mode).
 */
#include "services.h"

enum {
  Q_ECHO = 1,   /* responder: reply R_ECHO with the request's payload */
  Q_HOLD,       /* responder: keep the request, reply later on R_LATE */
  Q_IGNORE,     /* responder: never reply */
  Q_BIG,        /* responder: reply with 100 bytes */
  Q_PLAIN,      /* responder: art_reply to a message that is not a request -> rc */
  Q_CALL,       /* responder: art_call from inside a handler -> rc */
  Q_REPLY_LATE, /* responder: reply to the held request number `data[0]` */
  A_ASK,        /* asker: art_ask(ask_cmd) -> rc, correlation */
  A_ASK_BAD,    /* asker: art_ask with a reserved type and with a negative timeout -> rc */
  R_ECHO = 50,
  R_BIG,
  R_LATE,
};

/* ---- the responder ------------------------------------------------------------------------- */

#define HELD_MAX 8

typedef struct responder {
  pthread_mutex_t lock;
  int requests;
  int plain_rc, call_rc, late_rc;
  int held_count;
  art_msg held[HELD_MAX]; /* sender and correlation only */
} responder;

static int responder_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  responder *r = state;
  art_system *sys = art_ctx_system(ctx);
  pthread_mutex_lock(&r->lock);
  r->requests++;
  pthread_mutex_unlock(&r->lock);
  switch (msg->type) {
  case Q_ECHO:
    return art_reply(sys, msg, R_ECHO, msg->data, msg->size);
  case Q_BIG: {
    unsigned char big[100];
    for (int i = 0; i < 100; i++)
      big[i] = (unsigned char)i;
    return art_reply(sys, msg, R_BIG, big, sizeof big);
  }
  case Q_HOLD:
    pthread_mutex_lock(&r->lock);
    if (r->held_count < HELD_MAX) {
      art_msg *h = &r->held[r->held_count++];
      *h = *msg;
      h->data = NULL;
      h->size = 0;
    }
    pthread_mutex_unlock(&r->lock);
    return 0;
  case Q_REPLY_LATE: {
    int i = ((const unsigned char *)msg->data)[0];
    pthread_mutex_lock(&r->lock);
    art_msg h = r->held[i];
    pthread_mutex_unlock(&r->lock);
    int rc = art_reply(sys, &h, R_LATE, &i, sizeof i);
    pthread_mutex_lock(&r->lock);
    r->late_rc = rc;
    pthread_mutex_unlock(&r->lock);
    return 0;
  }
  case Q_PLAIN: {
    int rc = art_reply(sys, msg, R_ECHO, NULL, 0);
    pthread_mutex_lock(&r->lock);
    r->plain_rc = rc;
    pthread_mutex_unlock(&r->lock);
    return 0;
  }
  case Q_CALL: {
    art_call_reply reply = {0};
    int rc = art_call(sys, art_self(ctx), Q_ECHO, NULL, 0, ART_MSEC(10), &reply);
    pthread_mutex_lock(&r->lock);
    r->call_rc = rc;
    pthread_mutex_unlock(&r->lock);
    return 0;
  }
  default:
    return 0;
  }
}

static const art_actor_ops responder_ops = {.handle = responder_handle};

static art_pid spawn_responder(art_system *sys, responder *r) {
  memset(r, 0, sizeof *r);
  pthread_mutex_init(&r->lock, NULL);
  art_spawn_opts o = {.ops = &responder_ops, .state = r};
  art_pid pid = ART_PID_NONE;
  assert_int_equal(art_spawn(sys, &o, &pid), 0);
  return pid;
}

static int responder_get(responder *r, const int *field) {
  pthread_mutex_lock(&r->lock);
  int v = *field;
  pthread_mutex_unlock(&r->lock);
  return v;
}

/* ---- the asker (deterministic tests only: no lock) ------------------------------------------ */

typedef struct ask_cmd {
  art_pid to;
  uint32_t type;
  art_duration timeout;
} ask_cmd;

#define GOT_MAX 16

typedef struct asker {
  int ask_rc, bad_type_rc, bad_timeout_rc, asks;
  uint64_t correlations[GOT_MAX];
  int got;
  struct {
    uint32_t type, size;
    art_pid sender;
    uint64_t correlation;
    int64_t at;
    unsigned char data[16];
  } msgs[GOT_MAX];
} asker;

static int asker_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  asker *a = state;
  art_system *sys = art_ctx_system(ctx);
  if (msg->type == A_ASK) {
    ask_cmd cmd;
    memcpy(&cmd, msg->data, sizeof cmd);
    uint64_t corr = 0;
    static const char payload[] = "question";
    a->ask_rc = art_ask(ctx, cmd.to, cmd.type, payload, sizeof payload, cmd.timeout, &corr);
    if (a->asks < GOT_MAX)
      a->correlations[a->asks++] = corr;
    return 0;
  }
  if (msg->type == A_ASK_BAD) {
    ask_cmd cmd;
    memcpy(&cmd, msg->data, sizeof cmd);
    a->bad_type_rc = art_ask(ctx, cmd.to, ART_MSG_RESERVED, NULL, 0, ART_MSEC(1), NULL);
    a->bad_timeout_rc = art_ask(ctx, cmd.to, Q_ECHO, NULL, 0, -1, NULL);
    return 0;
  }
  if (a->got < GOT_MAX) {
    a->msgs[a->got].type = msg->type;
    a->msgs[a->got].size = msg->size;
    a->msgs[a->got].sender = msg->sender;
    a->msgs[a->got].correlation = msg->correlation;
    a->msgs[a->got].at = art_system_now(sys);
    if (msg->size)
      memcpy(a->msgs[a->got].data, msg->data, msg->size < 16 ? msg->size : 16);
  }
  a->got++;
  return 0;
}

static const art_actor_ops asker_ops = {.handle = asker_handle};

static art_pid spawn_asker(art_system *sys, asker *a) {
  memset(a, 0, sizeof *a);
  art_spawn_opts o = {.ops = &asker_ops, .state = a};
  art_pid pid = ART_PID_NONE;
  assert_int_equal(art_spawn(sys, &o, &pid), 0);
  return pid;
}

static void ask(art_system *sys, art_pid asker_pid, art_pid to, uint32_t type,
                art_duration timeout) {
  ask_cmd cmd = {.to = to, .type = type, .timeout = timeout};
  assert_int_equal(art_send(sys, asker_pid, A_ASK, &cmd, sizeof cmd), 0);
  art_system_run(sys);
}

/* ---- ask and reply (deterministic) ------------------------------------------------------------
 */

/* The reply carries the ask's correlation and the responder as sender; no timeout follows,
 * even when the clock passes the deadline. */
static void test_ask_reply(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = svc_create_deterministic(&ta, NULL, NULL);
  responder r;
  asker a;
  art_pid rp = spawn_responder(sys, &r);
  art_pid ap = spawn_asker(sys, &a);
  ask(sys, ap, rp, Q_ECHO, ART_MSEC(100));
  assert_int_equal(a.ask_rc, 0);
  assert_true(a.correlations[0] != 0);
  assert_int_equal(a.got, 1);
  assert_int_equal(a.msgs[0].type, R_ECHO);
  assert_int_equal(a.msgs[0].correlation, a.correlations[0]);
  assert_int_equal(a.msgs[0].sender, rp);
  assert_int_equal(a.msgs[0].size, sizeof "question");
  assert_string_equal((char *)a.msgs[0].data, "question");
  assert_int_equal(art_clock_advance(sys, ART_SEC(1)), 0); /* the timeout was cancelled */
  assert_int_equal(a.got, 1);
  /* Two asks at once get different correlations and their own replies. */
  ask(sys, ap, rp, Q_ECHO, ART_MSEC(100));
  ask(sys, ap, rp, Q_ECHO, ART_MSEC(100));
  assert_int_equal(a.got, 3);
  assert_true(a.correlations[1] != a.correlations[2]);
  assert_true(a.correlations[1] != a.correlations[0]);
  assert_int_equal(a.msgs[1].correlation, a.correlations[1]);
  assert_int_equal(a.msgs[2].correlation, a.correlations[2]);
  assert_int_equal(art_clock_advance(sys, ART_SEC(1)), 0);
  assert_int_equal(a.got, 3);
  it_destroy(sys, &ta);
  pthread_mutex_destroy(&r.lock);
}

/* No reply: ART_MSG_TIMEOUT with the ask's correlation, exactly at the timeout. */
static void test_ask_timeout(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = svc_create_deterministic(&ta, NULL, NULL);
  responder r;
  asker a;
  art_pid rp = spawn_responder(sys, &r);
  art_pid ap = spawn_asker(sys, &a);
  ask(sys, ap, rp, Q_IGNORE, ART_MSEC(30));
  assert_int_equal(a.ask_rc, 0);
  assert_int_equal(responder_get(&r, &r.requests), 1);
  assert_int_equal(art_clock_advance(sys, ART_MSEC(30) - 1), 0);
  assert_int_equal(a.got, 0);
  assert_int_equal(art_clock_advance(sys, 1), 1);
  assert_int_equal(a.got, 1);
  assert_int_equal(a.msgs[0].type, ART_MSG_TIMEOUT);
  assert_int_equal(a.msgs[0].correlation, a.correlations[0]);
  assert_int_equal(a.msgs[0].size, 0);
  assert_int_equal(a.msgs[0].at, ART_MSEC(30));
  assert_int_equal(art_clock_advance(sys, ART_SEC(1)), 0);
  assert_int_equal(a.got, 1);
  it_destroy(sys, &ta);
  pthread_mutex_destroy(&r.lock);
}

/* A reply that comes after the timeout is dropped, and is not taken for the reply to a later
 * ask pending at that moment; that ask gets its own reply, and no timeout. */
static void test_late_reply_dropped(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = svc_create_deterministic(&ta, NULL, NULL);
  responder r;
  asker a;
  art_pid rp = spawn_responder(sys, &r);
  art_pid ap = spawn_asker(sys, &a);
  ask(sys, ap, rp, Q_HOLD, ART_MSEC(10));
  assert_int_equal(art_clock_advance(sys, ART_MSEC(10)), 1);
  assert_int_equal(a.got, 1);
  assert_int_equal(a.msgs[0].type, ART_MSG_TIMEOUT);
  assert_int_equal(a.msgs[0].correlation, a.correlations[0]);
  ask(sys, ap, rp, Q_HOLD, ART_MSEC(10)); /* pending while the late reply arrives */
  assert_int_equal(r.held_count, 2);
  unsigned char which = 0;
  assert_int_equal(art_send(sys, rp, Q_REPLY_LATE, &which, 1), 0);
  art_system_run(sys);
  assert_int_equal(r.late_rc, 0); /* accepted by the asker's mailbox, then dropped there */
  assert_int_equal(a.got, 1);
  which = 1;
  assert_int_equal(art_send(sys, rp, Q_REPLY_LATE, &which, 1), 0);
  art_system_run(sys);
  assert_int_equal(a.got, 2);
  assert_int_equal(a.msgs[1].type, R_LATE);
  assert_int_equal(a.msgs[1].correlation, a.correlations[1]);
  int payload;
  memcpy(&payload, a.msgs[1].data, sizeof payload);
  assert_int_equal(payload, 1);
  /* A reply to a request already answered is dropped too. */
  assert_int_equal(art_send(sys, rp, Q_REPLY_LATE, &which, 1), 0);
  art_system_run(sys);
  assert_int_equal(art_clock_advance(sys, ART_SEC(1)), 0);
  assert_int_equal(a.got, 2);
  it_destroy(sys, &ta);
  pthread_mutex_destroy(&r.lock);
}

/* An ask to a dead pid fails with ART_ESRCH and no timeout message follows; argument errors. */
static void test_ask_errors(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = svc_create_deterministic(&ta, NULL, NULL);
  responder r;
  asker a;
  art_pid rp = spawn_responder(sys, &r);
  art_pid ap = spawn_asker(sys, &a);
  art_exit_reason shutdown = art_reason_shutdown(NULL);
  assert_int_equal(art_send_exit(sys, rp, &shutdown), 0);
  art_system_run(sys);
  assert_false(art_is_alive(sys, rp));
  ask(sys, ap, rp, Q_ECHO, ART_MSEC(10));
  assert_int_equal(a.ask_rc, ART_ESRCH);
  assert_int_equal(art_clock_advance(sys, ART_SEC(1)), 0);
  assert_int_equal(a.got, 0);
  ask_cmd cmd = {.to = ap};
  assert_int_equal(art_send(sys, ap, A_ASK_BAD, &cmd, sizeof cmd), 0);
  art_system_run(sys);
  assert_int_equal(a.bad_type_rc, ART_EINVAL);
  assert_int_equal(a.bad_timeout_rc, ART_EINVAL);
  assert_int_equal(art_ask(NULL, ap, Q_ECHO, NULL, 0, ART_MSEC(1), NULL), ART_EINVAL);
  assert_int_equal(art_clock_advance(sys, ART_SEC(1)), 0);
  assert_int_equal(a.got, 0);
  it_destroy(sys, &ta);
  pthread_mutex_destroy(&r.lock);
}

/* art_reply refuses what is not a request; art_send_ex refuses reserved correlation bits. */
static void test_reply_errors(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = svc_create_deterministic(&ta, NULL, NULL);
  responder r;
  asker a;
  art_pid rp = spawn_responder(sys, &r);
  art_pid ap = spawn_asker(sys, &a);
  assert_int_equal(art_send(sys, rp, Q_PLAIN, NULL, 0), 0);
  art_system_run(sys);
  assert_int_equal(r.plain_rc, ART_EINVAL);

  art_msg forged = {.type = Q_ECHO, .sender = ap, .correlation = 12345};
  assert_int_equal(art_reply(sys, &forged, R_ECHO, NULL, 0), ART_EINVAL); /* not a request */
  forged.correlation = ART_CORRELATION_REQUEST | 12345;
  forged.sender = ART_PID_NONE;
  assert_int_equal(art_reply(sys, &forged, R_ECHO, NULL, 0), ART_EINVAL); /* nobody to answer */
  forged.sender = ap;
  assert_int_equal(art_reply(NULL, &forged, R_ECHO, NULL, 0), ART_EINVAL);
  assert_int_equal(art_reply(sys, NULL, R_ECHO, NULL, 0), ART_EINVAL);
  assert_int_equal(art_reply(sys, &forged, ART_MSG_RESERVED, NULL, 0), ART_EINVAL);
  assert_int_equal(art_reply(sys, &forged, R_ECHO, NULL, 3), ART_EINVAL);
  /* A well-formed reply to a request the asker never made is accepted and dropped there. */
  assert_int_equal(art_reply(sys, &forged, R_ECHO, NULL, 0), 0);
  art_system_run(sys);
  assert_int_equal(a.got, 0);

  art_send_args args = {.type = 1, .correlation = ART_CORRELATION_REQUEST | 7};
  assert_int_equal(art_send_ex(sys, ap, &args), ART_EINVAL);
  args.correlation = ART_CORRELATION_REQUEST;
  assert_int_equal(art_send_ex(sys, ap, &args), ART_EINVAL);
  args.correlation = UINT64_C(1) << 62; /* the other reserved bit: a reply's */
  assert_true(args.correlation & ART_CORRELATION_RESERVED);
  assert_int_equal(art_send_ex(sys, ap, &args), ART_EINVAL);
  args.correlation = 7; /* an ordinary correlation is fine and reaches the handler */
  assert_int_equal(art_send_ex(sys, ap, &args), 0);
  art_system_run(sys);
  assert_int_equal(a.got, 1);
  assert_int_equal(a.msgs[0].correlation, 7);
  it_destroy(sys, &ta);
  pthread_mutex_destroy(&r.lock);
}

/* ---- art_call ----------------------------------------------------------------------------------
 */

/* From the test thread with worker threads: the reply is filled in (type, size, data). */
static void test_call_reply(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  responder r;
  art_pid rp = spawn_responder(sys, &r);
  char buf[32];
  memset(buf, 0, sizeof buf);
  art_call_reply reply = {.data = buf, .capacity = sizeof buf};
  assert_int_equal(art_call(sys, rp, Q_ECHO, "hello", 6, it_timeout_ms(IT_WAIT_MS), &reply), 0);
  assert_int_equal(reply.type, R_ECHO);
  assert_int_equal(reply.size, 6);
  assert_string_equal(buf, "hello");
  /* A reply that fits exactly. */
  unsigned char big[100];
  art_call_reply exact = {.data = big, .capacity = sizeof big};
  assert_int_equal(art_call(sys, rp, Q_BIG, NULL, 0, it_timeout_ms(IT_WAIT_MS), &exact), 0);
  assert_int_equal(exact.type, R_BIG);
  assert_int_equal(exact.size, 100);
  for (int i = 0; i < 100; i++)
    assert_int_equal(big[i], i);
  /* Replies with no payload need no buffer. */
  art_call_reply none = {0};
  assert_int_equal(art_call(sys, rp, Q_ECHO, NULL, 0, it_timeout_ms(IT_WAIT_MS), &none), 0);
  assert_int_equal(none.type, R_ECHO);
  assert_int_equal(none.size, 0);
  assert_int_equal(art_system_shutdown(sys, it_timeout_ms(IT_WAIT_MS)), 0);
  it_destroy(sys, &ta);
  assert_int_equal(r.requests, 3);
  pthread_mutex_destroy(&r.lock);
}

/* A reply larger than the buffer: ART_ERANGE, type and size set, the first bytes copied, and
 * nothing written past the buffer. */
static void test_call_erange(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  responder r;
  art_pid rp = spawn_responder(sys, &r);
  unsigned char buf[16];
  memset(buf, 0xEE, sizeof buf);
  art_call_reply reply = {.data = buf, .capacity = 10};
  assert_int_equal(art_call(sys, rp, Q_BIG, NULL, 0, it_timeout_ms(IT_WAIT_MS), &reply),
                   ART_ERANGE);
  assert_int_equal(reply.type, R_BIG);
  assert_int_equal(reply.size, 100);
  for (int i = 0; i < 10; i++)
    assert_int_equal(buf[i], i);
  for (int i = 10; i < 16; i++)
    assert_int_equal(buf[i], 0xEE);
  art_call_reply zero = {0};
  assert_int_equal(art_call(sys, rp, Q_ECHO, "x", 1, it_timeout_ms(IT_WAIT_MS), &zero), ART_ERANGE);
  assert_int_equal(zero.size, 1);
  assert_int_equal(zero.type, R_ECHO);
  assert_int_equal(art_system_shutdown(sys, it_timeout_ms(IT_WAIT_MS)), 0);
  it_destroy(sys, &ta);
  pthread_mutex_destroy(&r.lock);
}

/* No reply: ART_ETIMEDOUT after about the timeout; a reply the responder sends later goes
 * nowhere; the system still shuts down cleanly and nothing leaks. Dead pids: ART_ESRCH.
 * Inside a handler: ART_EDEADLK. Bad arguments: ART_EINVAL. */
static void test_call_failures(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  responder r;
  art_pid rp = spawn_responder(sys, &r);
  char buf[8];
  art_call_reply reply = {.data = buf, .capacity = sizeof buf};
  int64_t start = art_now_monotonic();
  assert_int_equal(art_call(sys, rp, Q_IGNORE, NULL, 0, ART_MSEC(50), &reply), ART_ETIMEDOUT);
  assert_true(art_now_monotonic() - start >= ART_MSEC(50));
  assert_int_equal(art_call(sys, rp, Q_HOLD, NULL, 0, ART_MSEC(20), &reply), ART_ETIMEDOUT);
  unsigned char which = 0;
  assert_int_equal(art_send(sys, rp, Q_REPLY_LATE, &which, 1), 0); /* to a proxy that is gone */
  assert_true(ART_WAIT_UNTIL(responder_get(&r, &r.requests) == 3, IT_WAIT_MS));
  int late_rc = responder_get(&r, &r.late_rc);
  assert_true(late_rc == 0 || late_rc == ART_ESRCH);

  assert_int_equal(art_send(sys, rp, Q_CALL, NULL, 0), 0);
  assert_true(ART_WAIT_UNTIL(responder_get(&r, &r.requests) == 4, IT_WAIT_MS));
  assert_int_equal(responder_get(&r, &r.call_rc), ART_EDEADLK);

  assert_int_equal(art_call(NULL, rp, Q_ECHO, NULL, 0, ART_MSEC(10), &reply), ART_EINVAL);
  assert_int_equal(art_call(sys, rp, Q_ECHO, NULL, 0, ART_MSEC(10), NULL), ART_EINVAL);
  assert_int_equal(art_call(sys, rp, ART_MSG_RESERVED, NULL, 0, ART_MSEC(10), &reply), ART_EINVAL);
  assert_int_equal(art_call(sys, rp, Q_ECHO, NULL, 2, ART_MSEC(10), &reply), ART_EINVAL);
  art_call_reply no_buffer = {.data = NULL, .capacity = 4};
  assert_int_equal(art_call(sys, rp, Q_ECHO, NULL, 0, ART_MSEC(10), &no_buffer), ART_EINVAL);

  svc_probe p;
  svc_probe_init(&p);
  art_pid dead = svc_spawn_probe(sys, &p, 0);
  svc_send(sys, dead, SVC_STOP, NULL);
  svc_wait_alive(sys, 1);
  assert_int_equal(art_call(sys, dead, Q_ECHO, NULL, 0, ART_MSEC(100), &reply), ART_ESRCH);
  svc_wait_alive(sys, 1); /* no proxy left behind */
  assert_int_equal(art_system_shutdown(sys, it_timeout_ms(IT_WAIT_MS)), 0);
  it_destroy(sys, &ta);
  svc_probe_fini(&p);
  pthread_mutex_destroy(&r.lock);
}

/* A request still queued when its target exits ends the call with ART_ESRCH (gen_server's
 * noproc), even with no timeout: the call must not wait for ever. */
static void test_call_target_exits_first(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  for (int i = 0; i < 50; i++) {
    svc_probe p;
    svc_probe_init(&p);
    art_pid pid = svc_spawn_probe(sys, &p, 0);
    svc_send(sys, pid, SVC_STOP, NULL); /* queued before the request: it exits first */
    char buf[8];
    art_call_reply reply = {.data = buf, .capacity = sizeof buf};
    assert_int_equal(art_call(sys, pid, Q_ECHO, NULL, 0, ART_FOREVER, &reply), ART_ESRCH);
    svc_wait_alive(sys, 0); /* neither the target nor the proxy is left */
    svc_probe_fini(&p);
  }
  assert_int_equal(art_system_shutdown(sys, it_timeout_ms(IT_WAIT_MS)), 0);
  it_destroy(sys, &ta);
}

typedef struct held_call {
  art_system *sys;
  art_pid to;
  atomic_int rc; /* 1 while waiting */
} held_call;

static void *held_call_main(void *arg) {
  held_call *h = arg;
  char buf[8];
  art_call_reply reply = {.data = buf, .capacity = sizeof buf};
  atomic_store(&h->rc, art_call(h->sys, h->to, Q_HOLD, NULL, 0, ART_FOREVER, &reply));
  return NULL;
}

/* The system's shutdown ends a call that waits with no timeout: the shutdown signals the
 * proxy (the newest actor) before the target, so the target's DOWN finds it gone; the call
 * returns ART_ESHUTDOWN instead of waiting for ever. */
static void test_call_during_shutdown(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  responder r;
  art_pid rp = spawn_responder(sys, &r);
  held_call h = {.sys = sys, .to = rp, .rc = 1};
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, held_call_main, &h), 0);
  assert_true(ART_WAIT_UNTIL(responder_get(&r, &r.requests) == 1, IT_WAIT_MS));
  assert_int_equal(art_system_shutdown(sys, it_timeout_ms(IT_WAIT_MS)), 0);
  assert_true(ART_WAIT_UNTIL(atomic_load(&h.rc) != 1, IT_WAIT_MS));
  pthread_join(t, NULL);
  assert_int_equal(atomic_load(&h.rc), ART_ESHUTDOWN);
  it_destroy(sys, &ta);
  pthread_mutex_destroy(&r.lock);
}

/* In deterministic mode art_call runs the actors: a reply gives 0, silence ART_ETIMEDOUT at
 * once (time does not pass by itself). */
static void test_call_deterministic(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = svc_create_deterministic(&ta, NULL, NULL);
  responder r;
  art_pid rp = spawn_responder(sys, &r);
  char buf[16];
  art_call_reply reply = {.data = buf, .capacity = sizeof buf};
  assert_int_equal(art_call(sys, rp, Q_ECHO, "det", 4, ART_SEC(1), &reply), 0);
  assert_int_equal(reply.type, R_ECHO);
  assert_int_equal(reply.size, 4);
  assert_string_equal(buf, "det");
  assert_int_equal(art_call(sys, rp, Q_IGNORE, NULL, 0, ART_SEC(1), &reply), ART_ETIMEDOUT);
  assert_int_equal(art_system_now(sys), 0);
  assert_int_equal(r.requests, 2);
  assert_int_equal(it_stats(sys).actors_alive, 1); /* the proxies are gone */
  it_destroy(sys, &ta);
  pthread_mutex_destroy(&r.lock);
}

typedef struct caller {
  art_system *sys;
  art_pid to;
  int index, wrong, failed;
} caller;

static void *caller_main(void *arg) {
  caller *c = arg;
  for (int i = 0; i < 100; i++) {
    int mine[2] = {c->index, i}, got[2] = {-1, -1};
    art_call_reply reply = {.data = got, .capacity = sizeof got};
    int rc = art_call(c->sys, c->to, Q_ECHO, mine, sizeof mine, it_timeout_ms(IT_WAIT_MS), &reply);
    if (rc)
      c->failed++;
    else if (reply.type != R_ECHO || reply.size != sizeof got || got[0] != mine[0] ||
             got[1] != mine[1])
      c->wrong++;
  }
  return NULL;
}

/* Calls from several threads at once to one responder: each gets the reply to its own
 * request. */
static void test_concurrent_calls(void **unused) {
  (void)unused;
  enum { CALLERS = 4 };
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  responder r;
  art_pid rp = spawn_responder(sys, &r);
  caller callers[CALLERS];
  pthread_t threads[CALLERS];
  for (int i = 0; i < CALLERS; i++) {
    callers[i] = (caller){.sys = sys, .to = rp, .index = i};
    assert_int_equal(pthread_create(&threads[i], NULL, caller_main, &callers[i]), 0);
  }
  for (int i = 0; i < CALLERS; i++)
    pthread_join(threads[i], NULL);
  svc_wait_alive(sys, 1); /* every proxy is gone */
  assert_int_equal(art_system_shutdown(sys, it_timeout_ms(IT_WAIT_MS)), 0);
  it_destroy(sys, &ta);
  for (int i = 0; i < CALLERS; i++) {
    assert_int_equal(callers[i].failed, 0);
    assert_int_equal(callers[i].wrong, 0);
  }
  assert_int_equal(r.requests, CALLERS * 100);
  pthread_mutex_destroy(&r.lock);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ask_reply),
      cmocka_unit_test(test_ask_timeout),
      cmocka_unit_test(test_late_reply_dropped),
      cmocka_unit_test(test_ask_errors),
      cmocka_unit_test(test_reply_errors),
      cmocka_unit_test(test_call_reply),
      cmocka_unit_test(test_call_erange),
      cmocka_unit_test(test_call_failures),
      cmocka_unit_test(test_call_deterministic),
      cmocka_unit_test(test_concurrent_calls),
      cmocka_unit_test(test_call_target_exits_first),
      cmocka_unit_test(test_call_during_shutdown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
