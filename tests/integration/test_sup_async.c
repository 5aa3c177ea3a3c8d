/*
 * The supervisor's dynamic API from actors (art_sup_ask_*, read with art_sup_reply_*): every
 * request from an actor with its success and OTP's errors, custom children whose start the
 * reply waits for, the timeout and the reply that comes after it (dropped), the supervisor
 * exiting before it answers (a request it had taken, one still queued, one to a supervisor
 * already gone), a child asking its own supervisor, the readers against messages that are
 * not their replies, every allocation failing in turn; deterministic mode and the counting
 * allocator (sup_test.h). Then, on two workers, acceptors that start and stop instances of one
 * simple_one_for_one supervisor at once.
 */
#include "sup_custom.h"

/* ---- the asker: an actor that makes the requests the test tells it to ------------------- */

enum { MSG_ASK = 100 };

typedef enum ask_kind {
  ASK_START,
  ASK_SIMPLE,
  ASK_SIMPLES,
  ASK_TERMINATE,
  ASK_TERMINATE_PID,
  ASK_RESTART,
  ASK_DELETE,
  ASK_WHICH,
  ASK_COUNT,
  ASK_SPEC,
} ask_kind;

/* A request the test has the asker make. */
typedef struct ask_cmd {
  ask_kind kind;
  art_pid sup;
  const char *id;             /* ASK_TERMINATE, _RESTART, _DELETE, _SPEC */
  const art_child_spec *spec; /* ASK_START */
  void *arg;                  /* ASK_SIMPLE */
  void *const *args;          /* ASK_SIMPLES */
  size_t count;               /* ASK_SIMPLES */
  art_pid child;              /* ASK_TERMINATE_PID */
  art_duration timeout;       /* 0: 1 s */
  bool kill_first;            /* kill the supervisor just before the request */
} ask_cmd;

/* A message the asker received for one of its requests, as read by the reader of its kind. */
typedef struct answer {
  uint64_t correlation;
  ask_kind kind;
  bool timeout;
  int read; /* what the reader returned */
  int rc;   /* the supervisor's answer */
  art_pid pid;
  size_t n; /* instances started, or children */
  art_pid pids[4];
  art_sup_child_info children[4];
  art_sup_counts counts;
  art_child_spec spec;
  /* the message itself, to try the other readers on */
  art_msg msg;
  unsigned char data[512];
} answer;

#define MAX_ASKS 64

/* Written by the asker, read by the test: both on the test thread (deterministic mode). */
static struct {
  uint64_t correlation[MAX_ASKS];
  ask_kind kind[MAX_ASKS];
  size_t asked;
  answer answers[MAX_ASKS];
  size_t answered;
  size_t strays; /* messages that answer none of the requests */
  int last_rc;   /* the last art_sup_ask_* call's return */
  uint64_t last_correlation;
} g_asks;

static int make_request(art_ctx *ctx, const ask_cmd *c, uint64_t *corr) {
  art_duration t = c->timeout ? c->timeout : ART_SEC(1);
  if (c->kill_first) {
    art_exit_reason killed = art_reason(ART_EXIT_KILLED);
    (void)art_send_exit(art_ctx_system(ctx), c->sup, &killed);
  }
  switch (c->kind) {
  case ASK_START:
    return art_sup_ask_start_child(ctx, c->sup, c->spec, t, corr);
  case ASK_SIMPLE:
    return art_sup_ask_start_simple_child(ctx, c->sup, c->arg, t, corr);
  case ASK_SIMPLES:
    return art_sup_ask_start_simple_children(ctx, c->sup, c->args, c->count, t, corr);
  case ASK_TERMINATE:
    return art_sup_ask_terminate_child(ctx, c->sup, c->id, t, corr);
  case ASK_TERMINATE_PID:
    return art_sup_ask_terminate_child_pid(ctx, c->sup, c->child, t, corr);
  case ASK_RESTART:
    return art_sup_ask_restart_child(ctx, c->sup, c->id, t, corr);
  case ASK_DELETE:
    return art_sup_ask_delete_child(ctx, c->sup, c->id, t, corr);
  case ASK_WHICH:
    return art_sup_ask_which_children(ctx, c->sup, t, corr);
  case ASK_COUNT:
    return art_sup_ask_count_children(ctx, c->sup, t, corr);
  case ASK_SPEC:
    return art_sup_ask_get_childspec(ctx, c->sup, c->id, t, corr);
  }
  return ART_EINVAL;
}

static void read_reply(const art_msg *msg, answer *a) {
  switch (a->kind) {
  case ASK_SIMPLES:
    a->read = art_sup_reply_pids(msg, &a->rc, a->pids, 4, &a->n);
    return;
  case ASK_WHICH:
    a->read = art_sup_reply_children(msg, &a->rc, a->children, 4, &a->n);
    return;
  case ASK_COUNT:
    a->read = art_sup_reply_counts(msg, &a->rc, &a->counts);
    return;
  case ASK_SPEC:
    a->read = art_sup_reply_childspec(msg, &a->rc, &a->spec);
    return;
  case ASK_SIMPLE: /* either reader will do: both must agree */
    a->read = art_sup_reply_pids(msg, &a->rc, a->pids, 4, &a->n);
    /* fall through */
  default:
    a->read |= art_sup_reply_result(msg, &a->rc, &a->pid);
    return;
  }
}

static int asker_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  (void)state;
  if (msg->type == MSG_ASK && msg->size == sizeof(ask_cmd)) {
    ask_cmd c;
    memcpy(&c, msg->data, sizeof c);
    uint64_t corr = 0;
    g_asks.last_rc = make_request(ctx, &c, &corr);
    g_asks.last_correlation = g_asks.last_rc ? 0 : corr;
    if (g_asks.last_rc == 0 && g_asks.asked < MAX_ASKS) {
      g_asks.correlation[g_asks.asked] = corr;
      g_asks.kind[g_asks.asked++] = c.kind;
    }
    return 0;
  }
  size_t i = 0;
  while (i < g_asks.asked && g_asks.correlation[i] != msg->correlation)
    i++;
  if (i == g_asks.asked || g_asks.answered == MAX_ASKS ||
      msg->size > sizeof g_asks.answers[0].data) {
    g_asks.strays++;
    return 0;
  }
  answer *a = &g_asks.answers[g_asks.answered++];
  memset(a, 0, sizeof *a);
  a->correlation = msg->correlation;
  a->kind = g_asks.kind[i];
  a->timeout = msg->type == ART_MSG_TIMEOUT;
  a->msg = *msg;
  a->msg.data = a->data;
  if (msg->size)
    memcpy(a->data, msg->data, msg->size);
  if (!a->timeout)
    read_reply(msg, a);
  return 0;
}

static const art_actor_ops asker_ops = {.handle = asker_handle};

static art_pid spawn_asker(art_system *sys) {
  memset(&g_asks, 0, sizeof g_asks);
  art_pid pid;
  assert_int_equal(art_spawn(sys, &(art_spawn_opts){.ops = &asker_ops}, &pid), 0);
  return pid;
}

/* Has the asker make @p cmd's request and runs the actors until they are idle; returns what the
 * art_sup_ask_* call returned. */
static int ask(art_system *sys, art_pid asker, ask_cmd cmd) {
  assert_int_equal(art_send(sys, asker, MSG_ASK, &cmd, sizeof cmd), 0);
  art_system_run(sys);
  return g_asks.last_rc;
}

static size_t answers_to(uint64_t corr) {
  size_t n = 0;
  for (size_t i = 0; i < g_asks.answered; i++)
    n += g_asks.answers[i].correlation == corr;
  return n;
}

/* The one answer to @p corr (the test fails unless there is exactly one). */
static answer *answer_to(uint64_t corr) {
  assert_int_equal(answers_to(corr), 1);
  for (size_t i = 0; i < g_asks.answered; i++)
    if (g_asks.answers[i].correlation == corr)
      return &g_asks.answers[i];
  return NULL;
}

/* Asks, and returns the reply, which must have come and been read. */
static answer *asked(art_system *sys, art_pid asker, ask_cmd cmd) {
  assert_int_equal(ask(sys, asker, cmd), 0);
  answer *a = answer_to(g_asks.last_correlation);
  assert_false(a->timeout);
  assert_int_equal(a->read, 0);
  return a;
}

/* The supervisor's answer to @p cmd. */
static int answer_rc(art_system *sys, art_pid asker, ask_cmd cmd) {
  return asked(sys, asker, cmd)->rc;
}

static void kill_pid(art_system *sys, art_pid pid) {
  art_exit_reason killed = art_reason(ART_EXIT_KILLED);
  assert_int_equal(art_send_exit(sys, pid, &killed), 0);
  art_system_run(sys);
}

/* ---- requests, their answers, OTP's errors ---------------------------------------------- */

static void test_start_child(void **unused) {
  (void)unused;
  art_system *sys = create();
  art_child_spec kids[1] = {worker("a", ART_RESTART_PERMANENT)};
  art_sup_spec spec = sup_spec(ART_SUP_ONE_FOR_ONE, 10, ART_SEC(5), kids, 1);
  spec.max_children = 4;
  art_pid sup;
  assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
  art_pid asker = spawn_asker(sys);

  art_child_spec b = worker("b", ART_RESTART_PERMANENT);
  answer *a = asked(sys, asker, (ask_cmd){.kind = ASK_START, .sup = sup, .spec = &b});
  assert_int_equal(a->rc, 0);
  assert_true(art_is_alive(sys, a->pid));
  assert_int_equal(a->pid, pid_of(sys, sup, "b"));
  assert_string_equal(g_log, "+a +b");
  art_pid b_pid = a->pid;

  /* already_started, with the running child's pid; already_present once it is stopped */
  a = asked(sys, asker, (ask_cmd){.kind = ASK_START, .sup = sup, .spec = &b});
  assert_int_equal(a->rc, ART_EEXIST);
  assert_int_equal(a->pid, b_pid);
  assert_int_equal(answer_rc(sys, asker, (ask_cmd){.kind = ASK_TERMINATE, .sup = sup, .id = "b"}),
                   0);
  a = asked(sys, asker, (ask_cmd){.kind = ASK_START, .sup = sup, .spec = &b});
  assert_int_equal(a->rc, ART_EBUSY);
  assert_int_equal(a->pid, ART_PID_NONE);

  /* a child that fails its start: its error, and its spec is not kept */
  art_child_spec bad = worker("!c", ART_RESTART_PERMANENT);
  a = asked(sys, asker, (ask_cmd){.kind = ASK_START, .sup = sup, .spec = &bad});
  assert_int_equal(a->rc, ART_ENOENT);
  assert_int_equal(a->pid, ART_PID_NONE);
  art_sup_counts counts;
  assert_int_equal(art_sup_count_children(sys, sup, &counts), 0);
  assert_int_equal(counts.specs, 2);

  /* a custom child: the reply waits for its start on the host's thread */
  ctl k = {.name = "k"};
  art_child_spec kc = custom("k", &k, ART_RESTART_PERMANENT);
  a = asked(sys, asker, (ask_cmd){.kind = ASK_START, .sup = sup, .spec = &kc});
  assert_int_equal(a->rc, 0);
  assert_int_equal(a->pid, art_child_pid(atomic_load(&k.cctx)));
  ctl k2 = {.name = "k2", .start_rc = ART_ECANCELED};
  art_child_spec kc2 = custom("k2", &k2, ART_RESTART_PERMANENT);
  assert_int_equal(answer_rc(sys, asker, (ask_cmd){.kind = ASK_START, .sup = sup, .spec = &kc2}),
                   ART_ECANCELED);

  /* max_children (a, b, k, and one more) */
  art_child_spec d = worker("d", ART_RESTART_PERMANENT);
  art_child_spec e = worker("e", ART_RESTART_TRANSIENT);
  assert_int_equal(answer_rc(sys, asker, (ask_cmd){.kind = ASK_START, .sup = sup, .spec = &d}), 0);
  assert_int_equal(answer_rc(sys, asker, (ask_cmd){.kind = ASK_START, .sup = sup, .spec = &e}),
                   ART_ENOSPC);
  /* significant, but the supervisor has no auto_shutdown: only the supervisor can tell */
  e.significant = true;
  assert_int_equal(answer_rc(sys, asker, (ask_cmd){.kind = ASK_START, .sup = sup, .spec = &e}),
                   ART_EINVAL);
  assert_string_equal(g_log, "+a +b -b +k +d");

  /* invalid requests are refused by the call, and nothing comes */
  art_child_spec no_id = worker(NULL, ART_RESTART_PERMANENT);
  size_t answered = g_asks.answered;
  assert_int_equal(ask(sys, asker, (ask_cmd){.kind = ASK_START, .sup = sup, .spec = &no_id}),
                   ART_EINVAL);
  assert_int_equal(ask(sys, asker, (ask_cmd){.kind = ASK_START, .sup = sup}), ART_EINVAL);
  assert_int_equal(ask(sys, asker, (ask_cmd){.kind = ASK_START, .spec = &d}), ART_EINVAL);
  assert_int_equal(
      ask(sys, asker, (ask_cmd){.kind = ASK_START, .sup = sup, .spec = &d, .timeout = -1}),
      ART_EINVAL);
  assert_int_equal(art_sup_ask_start_child(NULL, sup, &d, ART_SEC(1), NULL), ART_EINVAL);
  art_clock_advance(sys, ART_SEC(2));
  assert_int_equal(g_asks.answered, answered);
  assert_int_equal(g_asks.strays, 0);

  assert_int_equal(art_sup_stop(sys, sup, ART_FOREVER), 0);
  destroy(sys);
  assert_balanced(&k);
  assert_balanced(&k2);
}

static void test_terminate_restart_delete(void **unused) {
  (void)unused;
  art_system *sys = create();
  art_child_spec kids[2] = {worker("a", ART_RESTART_PERMANENT), worker("b", ART_RESTART_PERMANENT)};
  kids[1].backoff.base = ART_SEC(1);
  art_sup_spec spec = sup_spec(ART_SUP_ONE_FOR_ONE, 10, ART_SEC(5), kids, 2);
  art_pid sup;
  assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
  art_pid asker = spawn_asker(sys);
  g_log[0] = 0;
#define RC(kind_, id_) answer_rc(sys, asker, (ask_cmd){.kind = (kind_), .sup = sup, .id = (id_)})

  assert_int_equal(RC(ASK_TERMINATE, "a"), 0);
  assert_int_equal(RC(ASK_TERMINATE, "a"), 0); /* stopped already: fine */
  assert_string_equal(g_log, "-a");
  answer *a = asked(sys, asker, (ask_cmd){.kind = ASK_RESTART, .sup = sup, .id = "a"});
  assert_int_equal(a->rc, 0);
  assert_true(art_is_alive(sys, a->pid));
  assert_int_equal(a->pid, pid_of(sys, sup, "a"));
  art_pid a_pid = a->pid;
  a = asked(sys, asker, (ask_cmd){.kind = ASK_RESTART, .sup = sup, .id = "a"});
  assert_int_equal(a->rc, ART_EBUSY); /* running */
  assert_int_equal(a->pid, a_pid);
  assert_int_equal(RC(ASK_DELETE, "a"), ART_EBUSY);
  assert_int_equal(RC(ASK_TERMINATE, "a"), 0);
  assert_int_equal(RC(ASK_DELETE, "a"), 0);
  assert_int_equal(RC(ASK_DELETE, "a"), ART_ENOENT);
  assert_int_equal(RC(ASK_TERMINATE, "a"), ART_ENOENT);
  assert_int_equal(RC(ASK_RESTART, "a"), ART_ENOENT);
  assert_string_equal(g_log, "-a +a -a");

  /* a child waiting for its backoff: restarting */
  tell(sys, sup, "b", CMD_FAIL);
  assert_int_equal(info_of(sys, sup, "b").state, ART_CHILD_RESTARTING);
  assert_int_equal(RC(ASK_RESTART, "b"), ART_EAGAIN);
  assert_int_equal(RC(ASK_DELETE, "b"), ART_EAGAIN);
  assert_int_equal(RC(ASK_TERMINATE, "b"), 0); /* cancels the restart */
  art_clock_advance(sys, ART_SEC(2));
  assert_int_equal(info_of(sys, sup, "b").state, ART_CHILD_UNDEFINED);
  assert_int_equal(RC(ASK_RESTART, "b"), 0);
  assert_string_equal(g_log, "-a +a -a -b +b");

  /* ids the call refuses */
  static const char long_id[ART_SUP_ID_MAX + 2] =
      "0123456789012345678901234567890123456789012345678901234567890123";
  static const ask_kind by_id[4] = {ASK_TERMINATE, ASK_RESTART, ASK_DELETE, ASK_SPEC};
  for (int i = 0; i < 4; i++) {
    assert_int_equal(ask(sys, asker, (ask_cmd){.kind = by_id[i], .sup = sup}), ART_EINVAL);
    assert_int_equal(ask(sys, asker, (ask_cmd){.kind = by_id[i], .sup = sup, .id = ""}),
                     ART_EINVAL);
    assert_int_equal(ask(sys, asker, (ask_cmd){.kind = by_id[i], .sup = sup, .id = long_id}),
                     ART_EINVAL);
    assert_int_equal(ask(sys, asker, (ask_cmd){.kind = by_id[i], .id = "b"}), ART_EINVAL);
  }
  assert_int_equal(art_sup_ask_terminate_child(NULL, sup, "b", 0, NULL), ART_EINVAL);
  assert_int_equal(art_sup_ask_restart_child(NULL, sup, "b", 0, NULL), ART_EINVAL);
  assert_int_equal(art_sup_ask_delete_child(NULL, sup, "b", 0, NULL), ART_EINVAL);
  assert_int_equal(art_sup_ask_get_childspec(NULL, sup, "b", 0, NULL), ART_EINVAL);
#undef RC
  assert_int_equal(g_asks.strays, 0);
  destroy(sys);
}

static void test_simple_one_for_one(void **unused) {
  (void)unused;
  art_system *sys = create();
  art_child_spec tmpl = worker("template", ART_RESTART_TEMPORARY);
  art_sup_spec spec = sup_spec(ART_SUP_SIMPLE_ONE_FOR_ONE, 10, ART_SEC(5), &tmpl, 1);
  spec.max_children = 3;
  art_pid sup;
  assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
  art_pid asker = spawn_asker(sys);

  answer *a = asked(sys, asker, (ask_cmd){.kind = ASK_SIMPLE, .sup = sup, .arg = "x"});
  assert_int_equal(a->rc, 0);
  assert_true(art_is_alive(sys, a->pid));
  assert_int_equal(a->n, 1); /* art_sup_reply_pids reads it alike */
  assert_int_equal(a->pids[0], a->pid);
  assert_int_equal(a->pids[1], ART_PID_NONE);
  art_pid x = a->pid;
  void *const yz[2] = {"y", "z"};
  a = asked(sys, asker, (ask_cmd){.kind = ASK_SIMPLES, .sup = sup, .args = yz, .count = 2});
  assert_int_equal(a->rc, 0);
  assert_int_equal(a->n, 2);
  assert_true(art_is_alive(sys, a->pids[0]) && art_is_alive(sys, a->pids[1]));
  assert_int_equal(a->pids[2], ART_PID_NONE);
  art_pid y = a->pids[0];
  assert_string_equal(g_log, "+x +y +z");

  /* max_children: a batch that would pass it starts none */
  a = asked(sys, asker, (ask_cmd){.kind = ASK_SIMPLE, .sup = sup, .arg = "w"});
  assert_int_equal(a->rc, ART_ENOSPC);
  assert_int_equal(a->pid, ART_PID_NONE);
  a = asked(sys, asker, (ask_cmd){.kind = ASK_SIMPLES, .sup = sup, .args = yz, .count = 2});
  assert_int_equal(a->rc, ART_ENOSPC);
  assert_int_equal(a->n, 0);
  assert_int_equal(a->pids[0], ART_PID_NONE);

  /* terminate by pid; a dead pid is terminated already; a living stranger is not ours */
  assert_int_equal(
      answer_rc(sys, asker, (ask_cmd){.kind = ASK_TERMINATE_PID, .sup = sup, .child = x}), 0);
  assert_false(art_is_alive(sys, x));
  assert_int_equal(
      answer_rc(sys, asker, (ask_cmd){.kind = ASK_TERMINATE_PID, .sup = sup, .child = x}), 0);
  assert_int_equal(
      answer_rc(sys, asker, (ask_cmd){.kind = ASK_TERMINATE_PID, .sup = sup, .child = asker}),
      ART_ENOENT);
  assert_int_equal(ask(sys, asker, (ask_cmd){.kind = ASK_TERMINATE_PID, .sup = sup}), ART_EINVAL);
  assert_int_equal(
      answer_rc(sys, asker, (ask_cmd){.kind = ASK_TERMINATE_PID, .sup = sup, .child = y}), 0);

  /* a batch stops at the first that fails: those before it stay */
  void *const q_bad[2] = {"q", "!bad"};
  a = asked(sys, asker, (ask_cmd){.kind = ASK_SIMPLES, .sup = sup, .args = q_bad, .count = 2});
  assert_int_equal(a->rc, ART_ENOENT);
  assert_int_equal(a->n, 1);
  assert_true(art_is_alive(sys, a->pids[0]));
  assert_int_equal(a->pids[1], ART_PID_NONE);
  assert_string_equal(g_log, "+x +y +z -x -y +q");
  assert_int_equal(ask(sys, asker, (ask_cmd){.kind = ASK_SIMPLES, .sup = sup, .args = yz}),
                   ART_EINVAL); /* count 0 would get no reply */
  assert_int_equal(art_sup_ask_start_simple_child(NULL, sup, "v", 0, NULL), ART_EINVAL);
  assert_int_equal(art_sup_ask_start_simple_children(NULL, sup, yz, 2, 0, NULL), ART_EINVAL);

  /* the id-based requests are not for simple_one_for_one */
  art_child_spec b = worker("b", ART_RESTART_PERMANENT);
  assert_int_equal(answer_rc(sys, asker, (ask_cmd){.kind = ASK_START, .sup = sup, .spec = &b}),
                   ART_EPERM);
  assert_int_equal(answer_rc(sys, asker, (ask_cmd){.kind = ASK_TERMINATE, .sup = sup, .id = "b"}),
                   ART_EPERM);
  assert_int_equal(answer_rc(sys, asker, (ask_cmd){.kind = ASK_RESTART, .sup = sup, .id = "b"}),
                   ART_EPERM);
  assert_int_equal(answer_rc(sys, asker, (ask_cmd){.kind = ASK_DELETE, .sup = sup, .id = "b"}),
                   ART_EPERM);

  /* ... and instances are not for the other strategies */
  art_sup_spec other = sup_spec(ART_SUP_ONE_FOR_ONE, 10, ART_SEC(5), NULL, 0);
  art_pid sup2;
  assert_int_equal(art_sup_start(sys, &other, &sup2), 0);
  assert_int_equal(answer_rc(sys, asker, (ask_cmd){.kind = ASK_SIMPLE, .sup = sup2, .arg = "v"}),
                   ART_EPERM);
  assert_int_equal(
      answer_rc(sys, asker, (ask_cmd){.kind = ASK_SIMPLES, .sup = sup2, .args = yz, .count = 2}),
      ART_EPERM);
  assert_int_equal(
      answer_rc(sys, asker, (ask_cmd){.kind = ASK_TERMINATE_PID, .sup = sup2, .child = asker}),
      ART_ENOENT);
  assert_int_equal(g_asks.strays, 0);
  destroy(sys);
}

static void test_which_count_spec(void **unused) {
  (void)unused;
  art_system *sys = create();
  art_child_spec kids[5] = {worker("a", ART_RESTART_PERMANENT), worker("b", ART_RESTART_TRANSIENT),
                            worker("c", ART_RESTART_PERMANENT), worker("d", ART_RESTART_PERMANENT),
                            worker("e", ART_RESTART_PERMANENT)};
  art_sup_spec spec = sup_spec(ART_SUP_ONE_FOR_ONE, 10, ART_SEC(5), kids, 3);
  art_pid sup;
  assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
  art_pid asker = spawn_asker(sys);
  assert_int_equal(art_sup_terminate_child(sys, sup, "b"), 0);

  answer *a = asked(sys, asker, (ask_cmd){.kind = ASK_WHICH, .sup = sup});
  assert_int_equal(a->rc, 0);
  assert_int_equal(a->n, 3);
  assert_string_equal(a->children[0].id, "a");
  assert_int_equal(a->children[0].pid, pid_of(sys, sup, "a"));
  assert_int_equal(a->children[0].state, ART_CHILD_RUNNING);
  assert_string_equal(a->children[1].id, "b");
  assert_int_equal(a->children[1].state, ART_CHILD_UNDEFINED);
  assert_int_equal(a->children[1].pid, ART_PID_NONE);
  assert_string_equal(a->children[2].id, "c");

  /* more than the reader has room for: the first ones, and ART_ERANGE */
  assert_int_equal(art_sup_start_child(sys, sup, &kids[3], NULL), 0);
  assert_int_equal(art_sup_start_child(sys, sup, &kids[4], NULL), 0);
  a = asked(sys, asker, (ask_cmd){.kind = ASK_WHICH, .sup = sup});
  assert_int_equal(a->rc, ART_ERANGE);
  assert_int_equal(a->n, 5);
  assert_string_equal(a->children[3].id, "d");

  a = asked(sys, asker, (ask_cmd){.kind = ASK_COUNT, .sup = sup});
  assert_int_equal(a->rc, 0);
  assert_int_equal(a->counts.specs, 5);
  assert_int_equal(a->counts.active, 4);
  assert_int_equal(a->counts.workers, 5);
  assert_int_equal(a->counts.supervisors, 0);

  a = asked(sys, asker, (ask_cmd){.kind = ASK_SPEC, .sup = sup, .id = "b"});
  assert_int_equal(a->rc, 0);
  assert_null(a->spec.id); /* the asker knows which it asked for */
  assert_int_equal(a->spec.restart, ART_RESTART_TRANSIENT);
  assert_ptr_equal(a->spec.actor.ops, &child_ops);
  assert_ptr_equal(a->spec.actor.args, kids[1].actor.args);
  a = asked(sys, asker, (ask_cmd){.kind = ASK_SPEC, .sup = sup, .id = "zz"});
  assert_int_equal(a->rc, ART_ENOENT);

  /* simple_one_for_one: the template under any id, OTP's shape of the counts */
  art_child_spec tmpl = worker("template", ART_RESTART_TEMPORARY);
  art_sup_spec simple = sup_spec(ART_SUP_SIMPLE_ONE_FOR_ONE, 10, ART_SEC(5), &tmpl, 1);
  art_pid sup2;
  assert_int_equal(art_sup_start(sys, &simple, &sup2), 0);
  assert_int_equal(art_sup_start_simple_child(sys, sup2, "x", NULL), 0);
  assert_int_equal(art_sup_start_simple_child(sys, sup2, "y", NULL), 0);
  a = asked(sys, asker, (ask_cmd){.kind = ASK_SPEC, .sup = sup2, .id = "anything"});
  assert_int_equal(a->rc, 0);
  assert_int_equal(a->spec.restart, ART_RESTART_TEMPORARY);
  a = asked(sys, asker, (ask_cmd){.kind = ASK_COUNT, .sup = sup2});
  assert_int_equal(a->counts.specs, 1);
  assert_int_equal(a->counts.active, 2);
  assert_int_equal(a->counts.workers, 2);
  a = asked(sys, asker, (ask_cmd){.kind = ASK_WHICH, .sup = sup2});
  assert_int_equal(a->n, 2);
  assert_string_equal(a->children[1].id, "");

  assert_int_equal(art_sup_ask_which_children(NULL, sup, 0, NULL), ART_EINVAL);
  assert_int_equal(art_sup_ask_count_children(NULL, sup, 0, NULL), ART_EINVAL);
  assert_int_equal(ask(sys, asker, (ask_cmd){.kind = ASK_COUNT}), ART_EINVAL);
  assert_int_equal(g_asks.strays, 0);
  destroy(sys);
}

/* ---- time and the supervisor's end ------------------------------------------------------- */

/* A one_for_one supervisor over "a" and "~s", which ignores shutdown: its stop takes the
 * whole graceful timeout, 1 s. */
static art_pid start_with_stuck(art_system *sys) {
  art_child_spec kids[2] = {worker("a", ART_RESTART_PERMANENT),
                            worker("~s", ART_RESTART_PERMANENT)};
  kids[1].shutdown = (art_shutdown){.kind = ART_SHUTDOWN_GRACEFUL, .timeout = ART_SEC(1)};
  art_sup_spec spec = sup_spec(ART_SUP_ONE_FOR_ONE, 10, ART_SEC(5), kids, 2);
  art_pid sup;
  assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
  return sup;
}

/* The supervisor is stopping a child that ignores shutdown (graceful, 1 s): the terminate's
 * timeout comes first, the reply after it is dropped; a request set aside meanwhile is served
 * once the stop is over. */
static void test_timeout_then_late_reply(void **unused) {
  (void)unused;
  art_system *sys = create();
  art_pid sup = start_with_stuck(sys);
  art_pid asker = spawn_asker(sys);
  g_log[0] = 0;

  assert_int_equal(
      ask(sys, asker,
          (ask_cmd){.kind = ASK_TERMINATE, .sup = sup, .id = "~s", .timeout = ART_MSEC(100)}),
      0);
  uint64_t terminate = g_asks.last_correlation;
  assert_int_equal(ask(sys, asker, (ask_cmd){.kind = ASK_COUNT, .sup = sup, .timeout = ART_SEC(5)}),
                   0);
  uint64_t count = g_asks.last_correlation;
  assert_true(terminate != count);
  assert_int_equal(g_asks.answered, 0);
  art_clock_advance(sys, ART_MSEC(99));
  assert_int_equal(g_asks.answered, 0);
  art_clock_advance(sys, ART_MSEC(1));
  assert_true(answer_to(terminate)->timeout);
  assert_int_equal(answers_to(count), 0);
  assert_string_equal(g_log, "");

  art_clock_advance(sys, ART_MSEC(900)); /* the kill: the stop is over */
  assert_string_equal(g_log, "-~s");
  assert_true(answer_to(terminate)->timeout); /* its reply was dropped */
  answer *a = answer_to(count);
  assert_false(a->timeout);
  assert_int_equal(a->rc, 0);
  assert_int_equal(a->counts.specs, 2);
  assert_int_equal(a->counts.active, 1);
  art_clock_advance(sys, ART_SEC(10));
  assert_int_equal(g_asks.answered, 2);
  assert_int_equal(g_asks.strays, 0);
  destroy(sys);
}

/* Requests the supervisor had taken (the one it serves, those set aside) are answered with
 * ART_ESRCH when it is killed, whatever their kind; one still queued in its mailbox gets only
 * its timeout; one to a supervisor already gone fails at once. */
static void test_supervisor_exits_first(void **unused) {
  (void)unused;
  art_system *sys = create();
  art_pid sup = start_with_stuck(sys);
  art_pid s = pid_of(sys, sup, "~s");
  art_pid asker = spawn_asker(sys);

  void *const xy[2] = {"x", "y"};
  ask_cmd cmds[6] = {
      {.kind = ASK_TERMINATE, .sup = sup, .id = "~s"}, /* served: waits for ~s */
      {.kind = ASK_COUNT, .sup = sup},                 /* the rest are set aside */
      {.kind = ASK_WHICH, .sup = sup},
      {.kind = ASK_SPEC, .sup = sup, .id = "a"},
      {.kind = ASK_SIMPLES, .sup = sup, .args = xy, .count = 2},
      {.kind = ASK_RESTART, .sup = sup, .id = "a"},
  };
  uint64_t corr[6];
  for (int i = 0; i < 6; i++) {
    assert_int_equal(ask(sys, asker, cmds[i]), 0);
    corr[i] = g_asks.last_correlation;
  }
  assert_int_equal(g_asks.answered, 0);
  kill_pid(sys, sup);
  assert_false(art_is_alive(sys, sup));
  for (int i = 0; i < 6; i++) {
    answer *a = answer_to(corr[i]);
    assert_false(a->timeout);
    assert_int_equal(a->read, 0);
    assert_int_equal(a->rc, ART_ESRCH);
    assert_int_equal(a->n, 0);
  }
  kill_pid(sys, s); /* it traps exits: the supervisor's end did not stop it */

  /* queued behind the kill: no answer but the timeout */
  sup = start_with_stuck(sys);
  s = pid_of(sys, sup, "~s");
  uint64_t dead_letters = it_stats(sys).dead_letters;
  assert_int_equal(
      ask(sys, asker,
          (ask_cmd){.kind = ASK_COUNT, .sup = sup, .kill_first = true, .timeout = ART_MSEC(100)}),
      0);
  uint64_t queued = g_asks.last_correlation;
  assert_false(art_is_alive(sys, sup));
  assert_int_equal(answers_to(queued), 0);
  assert_int_equal(it_stats(sys).dead_letters, dead_letters + 1);
  art_clock_advance(sys, ART_MSEC(100));
  assert_true(answer_to(queued)->timeout);
  kill_pid(sys, s);

  /* gone: the call says so, and nothing comes */
  size_t answered = g_asks.answered;
  assert_int_equal(ask(sys, asker, (ask_cmd){.kind = ASK_COUNT, .sup = sup}), ART_ESRCH);
  art_clock_advance(sys, ART_SEC(2));
  assert_int_equal(g_asks.answered, answered);
  assert_int_equal(g_asks.strays, 0);
  destroy(sys);
}

/* ---- a child asks its own supervisor ------------------------------------------------------ */

static void test_child_asks_its_supervisor(void **unused) {
  (void)unused;
  art_system *sys = create();
  art_child_spec kids[2] = {worker("a", ART_RESTART_PERMANENT),
                            {.id = "asker", .restart = ART_RESTART_TRANSIENT}};
  kids[1].actor.ops = &asker_ops;
  art_sup_spec spec = sup_spec(ART_SUP_ONE_FOR_ONE, 10, ART_SEC(5), kids, 2);
  art_pid sup;
  memset(&g_asks, 0, sizeof g_asks);
  assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
  art_pid asker = pid_of(sys, sup, "asker");

  /* a sibling, added by a child */
  art_child_spec b = worker("b", ART_RESTART_PERMANENT);
  answer *a = asked(sys, asker, (ask_cmd){.kind = ASK_START, .sup = sup, .spec = &b});
  assert_int_equal(a->rc, 0);
  assert_int_equal(a->pid, pid_of(sys, sup, "b"));
  assert_string_equal(g_log, "+a +b");

  /* the child has itself terminated: it is stopped, and the reply finds it gone */
  uint64_t dead_letters = it_stats(sys).dead_letters;
  assert_int_equal(ask(sys, asker, (ask_cmd){.kind = ASK_TERMINATE, .sup = sup, .id = "asker"}), 0);
  assert_false(art_is_alive(sys, asker));
  assert_int_equal(answers_to(g_asks.last_correlation), 0);
  assert_int_equal(it_stats(sys).dead_letters, dead_letters + 1);
  assert_int_equal(info_of(sys, sup, "asker").state, ART_CHILD_UNDEFINED);
  assert_int_equal(art_sup_restart_child(sys, sup, "asker", &asker), 0);
  assert_int_equal(answer_rc(sys, asker, (ask_cmd){.kind = ASK_DELETE, .sup = sup, .id = "b"}),
                   ART_EBUSY);
  destroy(sys);
}

/* ---- the readers ------------------------------------------------------------------------- */

/* A reader takes only the replies of its kind (and the error answer any request may get). */
static void test_readers(void **unused) {
  (void)unused;
  art_system *sys = create();
  art_child_spec kids[1] = {worker("a", ART_RESTART_PERMANENT)};
  art_sup_spec spec = sup_spec(ART_SUP_ONE_FOR_ONE, 10, ART_SEC(5), kids, 1);
  art_pid sup;
  assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
  art_pid asker = spawn_asker(sys);
  answer result = *asked(sys, asker, (ask_cmd){.kind = ASK_TERMINATE, .sup = sup, .id = "a"});
  answer counts = *asked(sys, asker, (ask_cmd){.kind = ASK_COUNT, .sup = sup});
  answer which = *asked(sys, asker, (ask_cmd){.kind = ASK_WHICH, .sup = sup});
  answer spec_reply = *asked(sys, asker, (ask_cmd){.kind = ASK_SPEC, .sup = sup, .id = "a"});
  art_child_spec tmpl = worker("t", ART_RESTART_TEMPORARY);
  art_sup_spec simple = sup_spec(ART_SUP_SIMPLE_ONE_FOR_ONE, 10, ART_SEC(5), &tmpl, 1);
  art_pid sup2;
  assert_int_equal(art_sup_start(sys, &simple, &sup2), 0);
  answer pids = *asked(sys, asker, (ask_cmd){.kind = ASK_SIMPLE, .sup = sup2, .arg = "x"});
  assert_int_equal(ask(sys, asker,
                       (ask_cmd){.kind = ASK_TERMINATE,
                                 .sup = sup,
                                 .id = "a",
                                 .kill_first = true,
                                 .timeout = ART_MSEC(10)}),
                   0);
  art_clock_advance(sys, ART_MSEC(10));
  answer timeout = *answer_to(g_asks.last_correlation);
  assert_true(timeout.timeout);

  int rc;
  art_pid pid;
  art_sup_counts n;
  art_sup_child_info info[2];
  art_child_spec cs;
  size_t k;
  const answer *all[6] = {&result, &counts, &which, &spec_reply, &pids, &timeout};
  for (int i = 0; i < 6; i++) {
    const art_msg *m = &all[i]->msg;
    bool is_result = m == &result.msg || m == &pids.msg;
    assert_int_equal(art_sup_reply_result(m, &rc, &pid), is_result ? 0 : ART_EINVAL);
    assert_int_equal(art_sup_reply_pids(m, &rc, &pid, 1, &k), m == &pids.msg ? 0 : ART_EINVAL);
    assert_int_equal(art_sup_reply_counts(m, &rc, &n), m == &counts.msg ? 0 : ART_EINVAL);
    assert_int_equal(art_sup_reply_children(m, &rc, info, 2, &k), m == &which.msg ? 0 : ART_EINVAL);
    assert_int_equal(art_sup_reply_childspec(m, &rc, &cs), m == &spec_reply.msg ? 0 : ART_EINVAL);
    /* not an answer to a request: a user message cannot carry a request's correlation */
    art_msg forged = *m;
    forged.correlation = 0;
    assert_int_equal(art_sup_reply_result(&forged, &rc, &pid), ART_EINVAL);
    assert_int_equal(art_sup_reply_pids(&forged, &rc, &pid, 1, &k), ART_EINVAL);
    assert_int_equal(art_sup_reply_counts(&forged, &rc, &n), ART_EINVAL);
    assert_int_equal(art_sup_reply_children(&forged, &rc, info, 2, &k), ART_EINVAL);
    assert_int_equal(art_sup_reply_childspec(&forged, &rc, &cs), ART_EINVAL);
    /* cut short */
    forged = *m;
    forged.size = m->size ? m->size - 1 : 0;
    if (m->size) {
      assert_int_equal(art_sup_reply_result(&forged, &rc, &pid), ART_EINVAL);
      assert_int_equal(art_sup_reply_pids(&forged, &rc, &pid, 1, &k), ART_EINVAL);
      assert_int_equal(art_sup_reply_counts(&forged, &rc, &n), ART_EINVAL);
      assert_int_equal(art_sup_reply_children(&forged, &rc, info, 2, &k), ART_EINVAL);
      assert_int_equal(art_sup_reply_childspec(&forged, &rc, &cs), ART_EINVAL);
    }
  }
  /* every output may be left out */
  assert_int_equal(art_sup_reply_result(&result.msg, NULL, NULL), 0);
  assert_int_equal(art_sup_reply_pids(&pids.msg, NULL, NULL, 4, NULL), 0);
  assert_int_equal(art_sup_reply_counts(&counts.msg, NULL, NULL), 0);
  assert_int_equal(art_sup_reply_children(&which.msg, NULL, NULL, 4, NULL), 0);
  assert_int_equal(art_sup_reply_childspec(&spec_reply.msg, NULL, NULL), 0);
  assert_int_equal(art_sup_reply_result(NULL, &rc, &pid), ART_EINVAL);
  assert_int_equal(art_sup_reply_pids(NULL, &rc, &pid, 1, &k), ART_EINVAL);
  assert_int_equal(art_sup_reply_counts(NULL, &rc, &n), ART_EINVAL);
  assert_int_equal(art_sup_reply_children(NULL, &rc, info, 2, &k), ART_EINVAL);
  assert_int_equal(art_sup_reply_childspec(NULL, &rc, &cs), ART_EINVAL);
  /* the children reader with less room than children: the count, ART_ERANGE */
  assert_int_equal(art_sup_reply_children(&which.msg, &rc, NULL, 0, &k), 0);
  assert_int_equal(rc, ART_ERANGE);
  assert_int_equal(k, 1);
  destroy(sys);
}

/* ---- allocation failures --------------------------------------------------------------- */

/* Each request of the scenario gets at most one answer (exactly one, right, when no
 * allocation failed); nothing crashes or leaks whichever allocation fails. */
static void scenario(art_system *sys) {
  art_child_spec kids[1] = {worker("a", ART_RESTART_PERMANENT)};
  art_sup_spec spec = sup_spec(ART_SUP_ONE_FOR_ONE, 10, ART_SEC(5), kids, 1);
  art_child_spec tmpl = worker("t", ART_RESTART_TEMPORARY);
  art_sup_spec simple = sup_spec(ART_SUP_SIMPLE_ONE_FOR_ONE, 10, ART_SEC(5), &tmpl, 1);
  art_pid sup = ART_PID_NONE, sup2 = ART_PID_NONE, asker;
  memset(&g_asks, 0, sizeof g_asks);
  if (art_sup_start(sys, &spec, &sup) || art_sup_start(sys, &simple, &sup2) ||
      art_spawn(sys, &(art_spawn_opts){.ops = &asker_ops}, &asker))
    return;
  static art_child_spec b;
  b = worker("b", ART_RESTART_PERMANENT);
  static void *const xy[2] = {"x", "y"};
  const ask_cmd cmds[] = {
      {.kind = ASK_START, .sup = sup, .spec = &b},
      {.kind = ASK_WHICH, .sup = sup},
      {.kind = ASK_COUNT, .sup = sup},
      {.kind = ASK_SPEC, .sup = sup, .id = "a"},
      {.kind = ASK_TERMINATE, .sup = sup, .id = "b"},
      {.kind = ASK_RESTART, .sup = sup, .id = "b"},
      {.kind = ASK_DELETE, .sup = sup, .id = "b"},
      {.kind = ASK_SIMPLES, .sup = sup2, .args = xy, .count = 2},
      {.kind = ASK_SIMPLE, .sup = sup2, .arg = "z"},
      {.kind = ASK_TERMINATE_PID, .sup = sup2, .child = sup},
  };
  for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
    if (art_send(sys, asker, MSG_ASK, &cmds[i], sizeof cmds[i]) == 0)
      art_system_run(sys);
  art_clock_advance(sys, ART_SEC(2));
  (void)art_sup_stop(sys, sup2, ART_FOREVER);
  (void)art_sup_stop(sys, sup, ART_FOREVER);
}

static void test_every_allocation_fails(void **unused) {
  (void)unused;
  static const int expected[10] = {0, 0, 0, 0, 0, 0, ART_EBUSY, 0, 0, ART_ENOENT};
  uint64_t n = 1;
  for (;; n++) {
    art_system *sys = create();
    art_test_alloc_fail_at(&g_ta, n);
    scenario(sys);
    bool fired = atomic_load(&g_ta.failures) > 0;
    art_test_alloc_fail_at(&g_ta, 0);
    for (size_t i = 0; i < g_asks.asked; i++)
      assert_true(answers_to(g_asks.correlation[i]) <= 1);
    assert_int_equal(g_asks.strays, 0);
    if (!fired) { /* the whole scenario ran */
      assert_int_equal(g_asks.asked, 10);
      for (size_t i = 0; i < 10; i++) {
        answer *a = answer_to(g_asks.correlation[i]);
        assert_false(a->timeout);
        assert_int_equal(a->read, 0);
        assert_int_equal(a->rc, expected[i]);
      }
    }
    destroy(sys);
    if (!fired)
      break;
  }
  fprintf(stderr, "allocations failed in turn: %llu\n", (unsigned long long)(n - 1));
  assert_true(n > 50);
}

/* ---- threads: acceptors at once ---------------------------------------------------------- */

/* Each acceptor starts ROUNDS instances of one simple_one_for_one supervisor one after the
 * other (the next request when the reply comes), then terminates them by pid the same way. */
enum { ACCEPTORS = 4, ROUNDS = 50, MSG_GO = 1 };

typedef struct acceptor {
  art_pid sup;
  art_pid pids[ROUNDS];
  int started, terminated;
  uint64_t pending;
} acceptor;

static atomic_int g_done, g_wrong;

static int next_request(art_ctx *ctx, acceptor *a) {
  art_duration t = it_timeout_ms(IT_WAIT_MS);
  if (a->started < ROUNDS)
    return art_sup_ask_start_simple_child(ctx, a->sup, NULL, t, &a->pending);
  if (a->terminated < ROUNDS)
    return art_sup_ask_terminate_child_pid(ctx, a->sup, a->pids[a->terminated], t, &a->pending);
  atomic_fetch_add(&g_done, 1);
  return ART_STOP;
}

static int acceptor_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  acceptor *a = state;
  if (msg->type == MSG_GO && msg->size == sizeof a->sup) {
    memcpy(&a->sup, msg->data, sizeof a->sup);
    return next_request(ctx, a);
  }
  int rc;
  art_pid pid;
  if (msg->correlation != a->pending || art_sup_reply_result(msg, &rc, &pid) != 0 || rc != 0) {
    atomic_fetch_add(&g_wrong, 1); /* a timeout, a failure, or a stray */
    return ART_STOP;
  }
  if (a->started < ROUNDS)
    a->pids[a->started++] = pid;
  else
    a->terminated++;
  return next_request(ctx, a);
}

static const art_actor_ops acceptor_ops = {.handle = acceptor_handle};

static int instance_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  (void)ctx;
  (void)state;
  (void)msg;
  return 0;
}

static const art_actor_ops instance_ops = {.handle = instance_handle};

static void test_acceptors_on_workers(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  art_child_spec tmpl = {.restart = ART_RESTART_TEMPORARY};
  tmpl.actor.ops = &instance_ops;
  art_sup_spec spec = default_spec(&tmpl, 1);
  spec.strategy = ART_SUP_SIMPLE_ONE_FOR_ONE;
  art_pid sup;
  assert_int_equal(art_sup_start(sys, &spec, &sup), 0);
  atomic_store(&g_done, 0);
  atomic_store(&g_wrong, 0);
  for (int i = 0; i < ACCEPTORS; i++) {
    art_pid a;
    art_spawn_opts opts = {.ops = &acceptor_ops, .state_size = sizeof(acceptor)};
    assert_int_equal(art_spawn(sys, &opts, &a), 0);
    assert_int_equal(art_send(sys, a, MSG_GO, &sup, sizeof sup), 0);
  }
  assert_true(
      ART_WAIT_UNTIL(atomic_load(&g_done) + atomic_load(&g_wrong) == ACCEPTORS, IT_WAIT_MS));
  assert_int_equal(atomic_load(&g_wrong), 0);
  art_sup_counts counts;
  assert_int_equal(art_sup_count_children(sys, sup, &counts), 0);
  assert_int_equal(counts.workers, 0);
  assert_int_equal(counts.active, 0);
  assert_int_equal(art_sup_stop(sys, sup, ART_FOREVER), 0);
  it_destroy(sys, &ta);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_start_child),
      cmocka_unit_test(test_terminate_restart_delete),
      cmocka_unit_test(test_simple_one_for_one),
      cmocka_unit_test(test_which_count_spec),
      cmocka_unit_test(test_timeout_then_late_reply),
      cmocka_unit_test(test_supervisor_exits_first),
      cmocka_unit_test(test_child_asks_its_supervisor),
      cmocka_unit_test(test_readers),
      cmocka_unit_test(test_every_allocation_fails),
      cmocka_unit_test(test_acceptors_on_workers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
