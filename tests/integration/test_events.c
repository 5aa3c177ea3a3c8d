/*
 * The runtime's events, seen through the system's monitor (art/monitor.h, art/system.h):
 *
 *   1. a scripted scenario in deterministic mode, at trace level, checked event by event (kind,
 *      severity, pids, sender/parent, error code and text, exit reason, names, message type,
 *      queue size, capacity, durations, timestamps, seq), and a shutdown that times out;
 *   2. filtering and ownership: the default monitor keeps info and above only; a monitor of the
 *      caller's (ops of our own, or an in-memory one) receives the events and outlives the
 *      system; the no-op monitor records nothing and the runtime works as before;
 *   3. art_system_metrics: promtool-valid Prometheus text whose values match
 *      art_system_stats_get and the monitor's counters, the snprintf length contract, and no
 *      pid in any label;
 *   4. a snapshot as JSON, parsed by jansson: RFC 3339 times, escaped actor names;
 *   5. events from 4 non-actor threads and 2 workers at once, into a small history: the counts
 *      of the events equal the system's counters.
 *
 * Every system allocates through the counting allocator and must free everything by the end of
 * art_system_destroy. The field checks of the scripted scenario do not stop at the first
 * mismatch: they print every one, then fail.
 */
#include <jansson.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "integration.h"

#ifndef ART_TEST_PROMTOOL
#define ART_TEST_PROMTOOL ""
#endif

/* Message types of the test's actors (all below ART_MSG_RESERVED, and none small enough to be
 * mistaken for a queue size). */
enum {
  T_WORK = 0x101,  /* spins for WORK_NS of real time, returns 0 */
  T_FAIL = 0x102,  /* returns art_fail(ART_EINVAL, "bad input 7") */
  T_STOP = 0x103,  /* returns ART_STOP */
  T_RELAY = 0x104, /* driver: sends payload.n messages of payload.type to payload.to */
  T_DATA = 0x201,  /* handled, nothing else */
  T_SPAWN = 0x105, /* churn: spawns a child that stops itself */
};

#define WORK_NS ART_MSEC(1)
#define PRE_START_NS ART_MSEC(1)
#define FAIL_TEXT "bad input 7"

static int64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Busy-waits @p ns of real time (the runtime's durations are measured on CLOCK_MONOTONIC, also
 * in deterministic mode). */
static void spin_for(int64_t ns) {
  int64_t end = mono_ns() + ns;
  while (mono_ns() < end) {
  }
}

/* ---- actors ------------------------------------------------------------------------------ */

/* pre_start spins for *(int64_t *)args when args is given. */
static int worker_pre_start(art_ctx *ctx, void *state, void *args) {
  (void)ctx;
  (void)state;
  if (args)
    spin_for(*(const int64_t *)args);
  return 0;
}

static atomic_int worker_handled;

static int worker_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  (void)state;
  atomic_fetch_add(&worker_handled, 1);
  switch (msg->type) {
  case T_WORK:
    spin_for(WORK_NS);
    return 0;
  case T_FAIL:
    return art_fail(ctx, ART_EINVAL, "bad input %d", 7);
  case T_STOP:
    return ART_STOP;
  default:
    return 0;
  }
}

static const art_actor_ops worker_ops = {.pre_start = worker_pre_start, .handle = worker_handle};

/* Quick: handles anything, fails on T_FAIL, stops on T_STOP. */
static int quick_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  (void)state;
  if (msg->type == T_FAIL)
    return art_fail(ctx, ART_EINVAL, "bad input %d", 7);
  return msg->type == T_STOP ? ART_STOP : 0;
}

static const art_actor_ops quick_ops = {.handle = quick_handle};

static int failing_pre_start(art_ctx *ctx, void *state, void *args) {
  (void)ctx;
  (void)state;
  (void)args;
  return ART_EPERM;
}

static const art_actor_ops failing_ops = {.pre_start = failing_pre_start, .handle = quick_handle};

/* The driver sends on the test's behalf, so that the runtime sees an actor as the sender. */
typedef struct relay_msg {
  art_pid to;
  uint32_t type;
  uint32_t n;
} relay_msg;

typedef struct driver_state {
  int rcs[16];
  int nrcs;
} driver_state;

static int driver_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  driver_state *d = state;
  if (msg->type != T_RELAY || msg->size != sizeof(relay_msg))
    return 0;
  relay_msg r;
  memcpy(&r, msg->data, sizeof r);
  for (uint32_t i = 0; i < r.n; i++) {
    int rc = art_send(art_ctx_system(ctx), r.to, r.type, NULL, 0);
    if (d->nrcs < 16)
      d->rcs[d->nrcs++] = rc;
  }
  return 0;
}

static const art_actor_ops driver_ops = {.handle = driver_handle};

static art_pid spawn_actor(art_system *sys, const art_actor_ops *ops, const char *name, void *state,
                           void *args, uint32_t capacity, art_overflow overflow) {
  art_spawn_opts o = {.ops = ops,
                      .state = state,
                      .args = args,
                      .name = name,
                      .mailbox_capacity = capacity,
                      .overflow = overflow};
  art_pid pid = ART_PID_NONE;
  assert_int_equal(art_spawn(sys, &o, &pid), 0);
  assert_true(pid != ART_PID_NONE);
  return pid;
}

static void relay(art_system *sys, art_pid driver, art_pid to, uint32_t type, uint32_t n) {
  relay_msg r = {.to = to, .type = type, .n = n};
  assert_int_equal(art_send(sys, driver, T_RELAY, &r, sizeof r), 0);
}

/* ---- systems ----------------------------------------------------------------------------- */

static art_system *create_system(art_test_alloc *ta, bool deterministic, uint32_t workers,
                                 art_event_monitor *monitor) {
  art_system_config cfg;
  art_system_config_init(&cfg);
  cfg.deterministic = deterministic;
  cfg.workers = workers;
  cfg.name = "evsys";
  cfg.monitor = monitor;
  return it_create_cfg(ta, &cfg);
}

/* An in-memory monitor allocating through @p ta (initialised here). */
static art_event_monitor *create_memory_monitor(art_test_alloc *ta, uint32_t history,
                                                art_severity min) {
  art_test_alloc_init(ta);
  art_monitor_config mc;
  art_monitor_config_init(&mc);
  mc.history_capacity = history;
  mc.min_severity = min;
  mc.allocator = art_test_alloc_allocator(ta);
  art_event_monitor *mon = NULL;
  assert_int_equal(art_memory_monitor_create(&mon, &mc), 0);
  assert_non_null(mon);
  return mon;
}

static int kidx(art_event_kind kind) {
  int i = art_event_kind_index(kind);
  assert_true(i >= 0);
  return i;
}

static const char *kind_label(const art_event *ev) {
  static _Thread_local char buf[64];
  snprintf(buf, sizeof buf, "%s.%s", art_event_family_name((art_event_family)ev->family),
           art_event_kind_name((art_event_kind)ev->kind));
  return buf;
}

static const char *kind_label_of(art_event_kind kind) {
  static _Thread_local char buf[64];
  snprintf(buf, sizeof buf, "%s.%s", art_event_family_name(ART_EVENT_KIND_FAMILY(kind)),
           art_event_kind_name(kind));
  return buf;
}

/* ---- expected events -------------------------------------------------------------------- */

#define ANY UINT64_MAX /* a field the check leaves alone */

/* One expected event. Every field is checked unless set to ANY (numbers) or NULL (texts);
 * the designated initialisers leave unmentioned numbers at 0, which is what is expected of a
 * field the kind does not use. */
typedef struct exp_ev {
  art_event_kind kind;
  uint64_t pid, other, count, capacity, error_code;
  uint64_t reason;      /* an art_exit_kind, checked when reason_set */
  const char *name;     /* NULL: not checked; else equal */
  const char *text;     /* NULL: not checked; else equal */
  const char *text_has; /* NULL: not checked; else a substring of text */
  int64_t min_duration; /* duration_ns must be >= this (always >= 0) */
  bool reason_set;      /* check reason */
  const char *what;     /* what the test did, for the report */
} exp_ev;

#define EXP_MAX 128

typedef struct exp_list {
  exp_ev ev[EXP_MAX];
  size_t n;
} exp_list;

#define EXPECT(list, ...)                                                                          \
  do {                                                                                             \
    assert_true((list)->n < EXP_MAX);                                                              \
    (list)->ev[(list)->n++] = (exp_ev){__VA_ARGS__};                                               \
  } while (0)

static int mismatches;

__attribute__((format(printf, 3, 4))) static void mismatch(size_t i, const art_event *ev,
                                                           const char *fmt, ...) {
  char text[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  print_error("event %zu (%s): %s\n", i, kind_label(ev), text);
  mismatches++;
}

static void check_u64(size_t i, const art_event *ev, const exp_ev *x, const char *field,
                      uint64_t got, uint64_t want) {
  if (want != ANY && got != want)
    mismatch(i, ev, "%s is %llu (0x%llx), expected %llu (0x%llx)   [%s]", field,
             (unsigned long long)got, (unsigned long long)got, (unsigned long long)want,
             (unsigned long long)want, x->what ? x->what : "");
}

static void check_event(size_t i, const art_event *ev, const exp_ev *x) {
  const char *what = x->what ? x->what : "";
  if (ev->family != ART_EVENT_KIND_FAMILY(ev->kind))
    mismatch(i, ev, "family %u is not the kind's", ev->family);
  if (ev->severity != art_event_kind_severity((art_event_kind)ev->kind))
    mismatch(i, ev, "severity %s, the kind's is %s", art_severity_name(ev->severity),
             art_severity_name(art_event_kind_severity((art_event_kind)ev->kind)));
  check_u64(i, ev, x, "pid", ev->pid, x->pid);
  check_u64(i, ev, x, "other", ev->other, x->other);
  check_u64(i, ev, x, "count", ev->count, x->count);
  check_u64(i, ev, x, "capacity", ev->capacity, x->capacity);
  check_u64(i, ev, x, "error_code", (uint64_t)(int64_t)ev->error_code,
            x->error_code == ANY ? ANY : (uint64_t)(int64_t)(int32_t)x->error_code);
  if (x->reason_set && ev->reason != x->reason)
    mismatch(i, ev, "reason %s, expected %s   [%s]", art_exit_kind_name(ev->reason),
             art_exit_kind_name((art_exit_kind)x->reason), what);
  if (x->name && strncmp(ev->name, x->name, sizeof ev->name) != 0)
    mismatch(i, ev, "name \"%.64s\", expected \"%s\"   [%s]", ev->name, x->name, what);
  if (x->text && strncmp(ev->text, x->text, sizeof ev->text) != 0)
    mismatch(i, ev, "text \"%.88s\", expected \"%s\"   [%s]", ev->text, x->text, what);
  if (x->text_has && !strstr(ev->text, x->text_has))
    mismatch(i, ev, "text \"%.88s\" does not say \"%s\"   [%s]", ev->text, x->text_has, what);
  if (ev->duration_ns < 0 || ev->duration_ns < x->min_duration)
    mismatch(i, ev, "duration_ns %lld, expected >= %lld   [%s]", (long long)ev->duration_ns,
             (long long)x->min_duration, what);
  if (ev->restart_count || ev->user || ev->strategy[0])
    mismatch(i, ev, "restart_count/user/strategy set");
}

/* Compares the recorded events with the expected ones: first the sequence of kinds (printed
 * side by side if it differs), then every field. Returns the number of mismatches. */
static int check_sequence(const art_event_snapshot *snap, const exp_list *exp) {
  mismatches = 0;
  bool same_kinds = snap->count == exp->n;
  for (size_t i = 0; same_kinds && i < exp->n; i++)
    same_kinds = snap->events[i].kind == (uint16_t)exp->ev[i].kind;
  if (!same_kinds) {
    print_error("the sequence of events differs (%zu recorded, %zu expected):\n", snap->count,
                exp->n);
    size_t n = snap->count > exp->n ? snap->count : exp->n;
    for (size_t i = 0; i < n; i++) {
      const char *got = i < snap->count ? kind_label(&snap->events[i]) : "-";
      char got_copy[64];
      snprintf(got_copy, sizeof got_copy, "%s", got);
      print_error(
          "  %3zu  %-36s %s%s\n", i, got_copy, i < exp->n ? kind_label_of(exp->ev[i].kind) : "-",
          i < snap->count && i < exp->n && snap->events[i].kind != exp->ev[i].kind ? "   <--" : "");
    }
    mismatches++;
  }
  size_t n = snap->count < exp->n ? snap->count : exp->n;
  for (size_t i = 0; i < n; i++) {
    const art_event *ev = &snap->events[i];
    if (ev->kind != (uint16_t)exp->ev[i].kind)
      break; /* the fields of a shifted sequence say nothing more */
    check_event(i, ev, &exp->ev[i]);
    if (ev->seq != i)
      mismatch(i, ev, "seq %llu, expected %zu", (unsigned long long)ev->seq, i);
    if (i > 0 && ev->timestamp < snap->events[i - 1].timestamp)
      mismatch(i, ev, "timestamp %lld before the previous event's %lld", (long long)ev->timestamp,
               (long long)snap->events[i - 1].timestamp);
  }
  return mismatches;
}

/* ---- 1. the scripted scenario ------------------------------------------------------------ */

/* The actors of the scenario. */
typedef struct scenario {
  art_pid worker, driver, full, lossy, doomed, victim;
  driver_state ds;
  int64_t pre_start_ns;
} scenario;

/* Runs the scenario on @p sys (deterministic, trace level) and fills @p exp with the events it
 * must produce, in order. The doomed actor's pid and the order in which shutdown runs the
 * actors are taken from @p snap afterwards (see complete_expectations). */
static void run_scenario(art_system *sys, scenario *s, exp_list *exp) {
  memset(s, 0, sizeof *s);
  s->pre_start_ns = PRE_START_NS;
  exp->n = 0;
  EXPECT(exp, .kind = ART_EVENT_SYSTEM_STARTED, .count = 1, .what = "art_system_create");
  assert_int_equal(art_system_set_event_filter(sys, ART_EVENT_FAMILY_ALL, ART_SEVERITY_TRACE), 0);
  EXPECT(exp, .kind = ART_EVENT_SYSTEM_CONFIGURATION_CHANGED, .name = "event_filter",
         .text_has = "trace", .what = "art_system_set_event_filter");

  /* A named actor whose pre_start takes 1 ms, registered under its name. */
  s->worker = spawn_actor(sys, &worker_ops, "worker", NULL, &s->pre_start_ns, 0, 0);
  EXPECT(exp, .kind = ART_EVENT_ACTOR_SPAWNED, .pid = s->worker, .name = "worker",
         .what = "spawn worker (parent: none)");
  EXPECT(exp, .kind = ART_EVENT_ACTOR_STARTED, .pid = s->worker, .name = "worker",
         .min_duration = PRE_START_NS, .what = "worker's pre_start took 1 ms");
  assert_int_equal(art_register(sys, "worker", s->worker), 0);
  EXPECT(exp, .kind = ART_EVENT_SYSTEM_ACTOR_REGISTERED, .pid = s->worker, .name = "worker",
         .what = "art_register");
  s->driver = spawn_actor(sys, &driver_ops, NULL, &s->ds, NULL, 0, 0);
  EXPECT(exp, .kind = ART_EVENT_ACTOR_SPAWNED, .pid = s->driver, .name = "", .what = "spawn");
  EXPECT(exp, .kind = ART_EVENT_ACTOR_STARTED, .pid = s->driver, .name = "", .what = "spawn");

  /* A message from the test thread (no sender), handled in 1 ms. */
  assert_int_equal(art_send(sys, s->worker, T_WORK, "abcd", 4), 0);
  EXPECT(exp, .kind = ART_EVENT_MAILBOX_MESSAGE_ENQUEUED, .pid = s->worker, .count = 1,
         .what = "send to worker: queue_size 1");
  assert_true(art_system_run(sys) > 0);
  EXPECT(exp, .kind = ART_EVENT_MAILBOX_MESSAGE_DEQUEUED, .pid = s->worker, .other = ANY,
         .what = "worker takes it: queue_size 0");
  EXPECT(exp, .kind = ART_EVENT_ACTOR_MESSAGE_RECEIVED, .pid = s->worker, .count = T_WORK,
         .what = "message_type");
  EXPECT(exp, .kind = ART_EVENT_ACTOR_MESSAGE_PROCESSED, .pid = s->worker, .count = T_WORK,
         .min_duration = WORK_NS, .what = "the handler took 1 ms");

  /* The same from an actor: the sender is the driver. */
  relay(sys, s->driver, s->worker, T_WORK, 1);
  EXPECT(exp, .kind = ART_EVENT_MAILBOX_MESSAGE_ENQUEUED, .pid = s->driver, .count = 1);
  assert_true(art_system_run(sys) > 0);
  EXPECT(exp, .kind = ART_EVENT_MAILBOX_MESSAGE_DEQUEUED, .pid = s->driver, .other = ANY);
  EXPECT(exp, .kind = ART_EVENT_ACTOR_MESSAGE_RECEIVED, .pid = s->driver, .count = T_RELAY);
  EXPECT(exp, .kind = ART_EVENT_MAILBOX_MESSAGE_ENQUEUED, .pid = s->worker, .other = s->driver,
         .count = 1, .what = "driver sends to worker");
  EXPECT(exp, .kind = ART_EVENT_ACTOR_MESSAGE_PROCESSED, .pid = s->driver, .count = T_RELAY);
  EXPECT(exp, .kind = ART_EVENT_MAILBOX_MESSAGE_DEQUEUED, .pid = s->worker, .other = ANY);
  EXPECT(exp, .kind = ART_EVENT_ACTOR_MESSAGE_RECEIVED, .pid = s->worker, .other = s->driver,
         .count = T_WORK, .what = "sender: the driver");
  EXPECT(exp, .kind = ART_EVENT_ACTOR_MESSAGE_PROCESSED, .pid = s->worker, .other = s->driver,
         .count = T_WORK, .min_duration = WORK_NS, .what = "sender: the driver");

  /* A message whose handler fails with a text: the actor exits with that error. */
  assert_int_equal(art_send(sys, s->worker, T_FAIL, NULL, 0), 0);
  EXPECT(exp, .kind = ART_EVENT_MAILBOX_MESSAGE_ENQUEUED, .pid = s->worker, .count = 1);
  assert_true(art_system_run(sys) > 0);
  assert_false(art_is_alive(sys, s->worker));
  EXPECT(exp, .kind = ART_EVENT_MAILBOX_MESSAGE_DEQUEUED, .pid = s->worker, .other = ANY);
  EXPECT(exp, .kind = ART_EVENT_ACTOR_MESSAGE_RECEIVED, .pid = s->worker, .count = T_FAIL);
  EXPECT(exp, .kind = ART_EVENT_ACTOR_ERROR_OCCURRED, .pid = s->worker, .error_code = ART_EINVAL,
         .count = T_FAIL, .text = FAIL_TEXT, .what = "art_fail(ART_EINVAL, \"" FAIL_TEXT "\")");
  EXPECT(exp, .kind = ART_EVENT_ACTOR_MESSAGE_PROCESSED, .pid = s->worker, .count = T_FAIL);
  EXPECT(exp, .kind = ART_EVENT_ACTOR_STOPPED, .pid = s->worker, .count = ANY, .reason_set = true,
         .reason = ART_EXIT_ERROR, .error_code = ART_EINVAL, .text = FAIL_TEXT, .name = "worker",
         .min_duration = 2 * WORK_NS,
         .what = "exit with the handler's error; lifetime >= the 2 ms its handlers ran");
  EXPECT(exp, .kind = ART_EVENT_SYSTEM_ACTOR_DEREGISTERED, .pid = s->worker, .name = "worker",
         .what = "its name goes with it");

  /* Dead letters: to the exited pid from the test thread, then from the driver. */
  assert_int_equal(art_send(sys, s->worker, T_WORK, NULL, 0), ART_ESRCH);
  EXPECT(exp, .kind = ART_EVENT_BROKER_DEAD_LETTER, .pid = s->worker, .count = T_WORK,
         .what = "send to the exited worker");
  relay(sys, s->driver, s->worker, T_WORK, 1);
  EXPECT(exp, .kind = ART_EVENT_MAILBOX_MESSAGE_ENQUEUED, .pid = s->driver, .count = 1);
  assert_true(art_system_run(sys) > 0);
  EXPECT(exp, .kind = ART_EVENT_MAILBOX_MESSAGE_DEQUEUED, .pid = s->driver, .other = ANY);
  EXPECT(exp, .kind = ART_EVENT_ACTOR_MESSAGE_RECEIVED, .pid = s->driver, .count = T_RELAY);
  EXPECT(exp, .kind = ART_EVENT_BROKER_DEAD_LETTER, .pid = s->worker, .other = s->driver,
         .count = T_WORK, .what = "the driver sends to the exited worker");
  EXPECT(exp, .kind = ART_EVENT_ACTOR_MESSAGE_PROCESSED, .pid = s->driver, .count = T_RELAY);

  /* Bounded mailboxes of 1: one refuses the second message, the other drops it. */
  s->full = spawn_actor(sys, &quick_ops, "full", NULL, NULL, 1, ART_OVERFLOW_ERROR);
  EXPECT(exp, .kind = ART_EVENT_ACTOR_SPAWNED, .pid = s->full, .name = "full");
  EXPECT(exp, .kind = ART_EVENT_ACTOR_STARTED, .pid = s->full, .name = "full");
  s->lossy = spawn_actor(sys, &quick_ops, "lossy", NULL, NULL, 1, ART_OVERFLOW_DROP);
  EXPECT(exp, .kind = ART_EVENT_ACTOR_SPAWNED, .pid = s->lossy, .name = "lossy");
  EXPECT(exp, .kind = ART_EVENT_ACTOR_STARTED, .pid = s->lossy, .name = "lossy");

  relay(sys, s->driver, s->full, T_DATA, 2);
  EXPECT(exp, .kind = ART_EVENT_MAILBOX_MESSAGE_ENQUEUED, .pid = s->driver, .count = 1);
  assert_true(art_system_run(sys) > 0);
  EXPECT(exp, .kind = ART_EVENT_MAILBOX_MESSAGE_DEQUEUED, .pid = s->driver, .other = ANY);
  EXPECT(exp, .kind = ART_EVENT_ACTOR_MESSAGE_RECEIVED, .pid = s->driver, .count = T_RELAY);
  EXPECT(exp, .kind = ART_EVENT_MAILBOX_MESSAGE_ENQUEUED, .pid = s->full, .other = s->driver,
         .count = 1, .capacity = 1, .what = "first message into the bounded mailbox");
  EXPECT(exp, .kind = ART_EVENT_MAILBOX_CAPACITY_REACHED, .pid = s->full, .other = s->driver,
         .count = 1, .capacity = 1, .what = "second message refused (ART_OVERFLOW_ERROR)");
  EXPECT(exp, .kind = ART_EVENT_ACTOR_MESSAGE_PROCESSED, .pid = s->driver, .count = T_RELAY);
  EXPECT(exp, .kind = ART_EVENT_MAILBOX_MESSAGE_DEQUEUED, .pid = s->full, .other = ANY,
         .capacity = 1, .what = "bounded mailbox: capacity 1, queue_size 0");
  EXPECT(exp, .kind = ART_EVENT_ACTOR_MESSAGE_RECEIVED, .pid = s->full, .other = s->driver,
         .count = T_DATA);
  EXPECT(exp, .kind = ART_EVENT_ACTOR_MESSAGE_PROCESSED, .pid = s->full, .other = s->driver,
         .count = T_DATA);
  assert_int_equal(s->ds.nrcs, 4);
  assert_int_equal(s->ds.rcs[0], 0);         /* to the worker */
  assert_int_equal(s->ds.rcs[1], ART_ESRCH); /* to the exited worker */
  assert_int_equal(s->ds.rcs[2], 0);
  assert_int_equal(s->ds.rcs[3], ART_EAGAIN);

  relay(sys, s->driver, s->lossy, T_DATA, 2);
  EXPECT(exp, .kind = ART_EVENT_MAILBOX_MESSAGE_ENQUEUED, .pid = s->driver, .count = 1);
  assert_true(art_system_run(sys) > 0);
  EXPECT(exp, .kind = ART_EVENT_MAILBOX_MESSAGE_DEQUEUED, .pid = s->driver, .other = ANY);
  EXPECT(exp, .kind = ART_EVENT_ACTOR_MESSAGE_RECEIVED, .pid = s->driver, .count = T_RELAY);
  EXPECT(exp, .kind = ART_EVENT_MAILBOX_MESSAGE_ENQUEUED, .pid = s->lossy, .other = s->driver,
         .count = 1, .capacity = 1);
  EXPECT(exp, .kind = ART_EVENT_MAILBOX_MESSAGE_DROPPED, .pid = s->lossy, .other = s->driver,
         .count = 1, .capacity = 1, .what = "second message dropped (ART_OVERFLOW_DROP)");
  EXPECT(exp, .kind = ART_EVENT_ACTOR_MESSAGE_PROCESSED, .pid = s->driver, .count = T_RELAY);
  EXPECT(exp, .kind = ART_EVENT_MAILBOX_MESSAGE_DEQUEUED, .pid = s->lossy, .other = ANY,
         .capacity = 1);
  EXPECT(exp, .kind = ART_EVENT_ACTOR_MESSAGE_RECEIVED, .pid = s->lossy, .other = s->driver,
         .count = T_DATA);
  EXPECT(exp, .kind = ART_EVENT_ACTOR_MESSAGE_PROCESSED, .pid = s->lossy, .other = s->driver,
         .count = T_DATA);
  assert_int_equal(s->ds.nrcs, 6);
  assert_int_equal(s->ds.rcs[4], 0);
  assert_int_equal(s->ds.rcs[5], 0); /* dropped, and the send says 0 */

  /* A spawn whose pre_start fails: spawned, then the error; no start, no stop. The pid is
   * unknown to the caller: complete_expectations takes it from the spawned event. */
  art_spawn_opts o = {.ops = &failing_ops, .name = "doomed"};
  art_pid none = ART_PID_NONE;
  assert_int_equal(art_spawn(sys, &o, &none), ART_EPERM);
  assert_true(none == ART_PID_NONE);
  EXPECT(exp, .kind = ART_EVENT_ACTOR_SPAWNED, .pid = ANY, .name = "doomed",
         .what = "spawn with a failing pre_start");
  EXPECT(exp, .kind = ART_EVENT_ACTOR_ERROR_OCCURRED, .pid = ANY, .error_code = ART_EPERM,
         .text = "pre_start failed", .what = "pre_start returned ART_EPERM");

  /* An exit signal with an error reason from the test thread. */
  s->victim = spawn_actor(sys, &quick_ops, "victim", NULL, NULL, 0, 0);
  EXPECT(exp, .kind = ART_EVENT_ACTOR_SPAWNED, .pid = s->victim, .name = "victim");
  EXPECT(exp, .kind = ART_EVENT_ACTOR_STARTED, .pid = s->victim, .name = "victim");
  art_exit_reason r = art_reason_error(ART_ECANCELED, "go away");
  assert_int_equal(art_send_exit(sys, s->victim, &r), 0);
  EXPECT(exp, .kind = ART_EVENT_MAILBOX_MESSAGE_ENQUEUED, .pid = s->victim, .count = 1,
         .what = "the exit signal is queued: queue_size 1");
  assert_true(art_system_run(sys) > 0);
  assert_false(art_is_alive(sys, s->victim));
  EXPECT(exp, .kind = ART_EVENT_MAILBOX_MESSAGE_DEQUEUED, .pid = s->victim, .other = ANY);
  EXPECT(exp, .kind = ART_EVENT_ACTOR_STOPPED, .pid = s->victim, .count = ANY, .reason_set = true,
         .reason = ART_EXIT_ERROR, .error_code = ART_ECANCELED, .text = "go away", .name = "victim",
         .what = "art_send_exit(error)");

  /* Shutdown: the signals go out newest first (lossy, full, driver); each actor then takes its
   * signal and stops, in the order the scheduler runs them (complete_expectations). */
  assert_int_equal(art_system_shutdown(sys, it_timeout_ms(IT_WAIT_MS)), 0);
  EXPECT(exp, .kind = ART_EVENT_MAILBOX_MESSAGE_ENQUEUED, .pid = s->lossy, .count = 1,
         .capacity = 1, .what = "shutdown signal, newest actor first");
  EXPECT(exp, .kind = ART_EVENT_MAILBOX_MESSAGE_ENQUEUED, .pid = s->full, .count = 1, .capacity = 1,
         .what = "shutdown signal");
  EXPECT(exp, .kind = ART_EVENT_MAILBOX_MESSAGE_ENQUEUED, .pid = s->driver, .count = 1,
         .what = "shutdown signal, oldest actor last");
  for (int i = 0; i < 3; i++) {
    EXPECT(exp, .kind = ART_EVENT_MAILBOX_MESSAGE_DEQUEUED, .pid = ANY, .other = ANY,
           .capacity = ANY);
    EXPECT(exp, .kind = ART_EVENT_ACTOR_STOPPED, .pid = ANY, .count = ANY, .reason_set = true,
           .reason = ART_EXIT_SHUTDOWN, .text = "system shutdown", .what = "system shutdown");
  }
  EXPECT(exp, .kind = ART_EVENT_SYSTEM_SHUTDOWN, .count = 0, .name = "evsys",
         .what = "no actor still alive after the shutdown");
}

/* Fills in what only the recording can say: the doomed actor's pid (it must be the same in
 * both of its events, and no other actor's), and which actor shutdown ran when. */
static void complete_expectations(const art_event_snapshot *snap, const scenario *s,
                                  exp_list *exp) {
  size_t n = snap->count < exp->n ? snap->count : exp->n;
  art_pid doomed = ART_PID_NONE;
  art_pid left[3] = {s->lossy, s->full, s->driver};
  const char *names[3] = {"lossy", "full", ""};
  for (size_t i = 0; i < n; i++) {
    exp_ev *x = &exp->ev[i];
    const art_event *ev = &snap->events[i];
    if (x->kind == ART_EVENT_ACTOR_SPAWNED && x->pid == ANY) {
      doomed = ev->pid;
      x->pid = doomed != ART_PID_NONE ? doomed : 1; /* 1: no pid, which must fail */
    } else if (x->kind == ART_EVENT_ACTOR_ERROR_OCCURRED && x->pid == ANY) {
      x->pid = doomed != ART_PID_NONE ? doomed : 1;
    } else if (x->kind == ART_EVENT_MAILBOX_MESSAGE_DEQUEUED && x->pid == ANY) {
      /* One of the actors shutdown has not run yet; the next event is its stop. */
      int found = -1;
      for (int k = 0; k < 3; k++)
        if (left[k] != ART_PID_NONE && left[k] == ev->pid)
          found = k;
      if (found < 0) {
        print_error("event %zu (%s): pid %llu is not one of the actors left at shutdown\n", i,
                    kind_label(ev), (unsigned long long)ev->pid);
        mismatches++;
        x->pid = 1;
        continue;
      }
      x->pid = left[found];
      x->capacity = found < 2 ? 1 : 0;
      if (i + 1 < exp->n) {
        exp->ev[i + 1].pid = left[found];
        exp->ev[i + 1].name = names[found];
      }
      left[found] = ART_PID_NONE;
    }
  }
  assert_true(doomed != s->worker && doomed != s->driver && doomed != s->full &&
              doomed != s->lossy);
}

static void test_scripted_scenario(void **unused) {
  (void)unused;
  static exp_list exp; /* static: a failed assert leaks nothing */
  art_test_alloc ta;
  art_system *sys = create_system(&ta, true, 0, NULL);
  scenario s;
  run_scenario(sys, &s, &exp);

  art_event_snapshot snap;
  assert_int_equal(art_monitor_snapshot_alloc(art_system_monitor(sys), &snap), 0);
  it_destroy(sys, &ta);

  mismatches = 0;
  complete_expectations(&snap, &s, &exp);
  int bad = mismatches + check_sequence(&snap, &exp);

  /* The counters agree with the history: nothing lost, dropped or filtered. */
  if (snap.total != snap.count || snap.filtered || snap.history_dropped || snap.history_lost) {
    print_error("total %llu, history %zu, filtered %llu, dropped %llu, lost %llu\n",
                (unsigned long long)snap.total, snap.count, (unsigned long long)snap.filtered,
                (unsigned long long)snap.history_dropped, (unsigned long long)snap.history_lost);
    bad++;
  }
  uint64_t by_kind[ART_EVENT_KIND_COUNT] = {0};
  for (size_t i = 0; i < exp.n; i++)
    by_kind[kidx(exp.ev[i].kind)]++;
  for (int k = 0; k < ART_EVENT_KIND_COUNT; k++) {
    if (snap.by_kind[k] != by_kind[k]) {
      print_error("%s counted %llu, expected %llu\n", kind_label_of(art_event_kind_at(k)),
                  (unsigned long long)snap.by_kind[k], (unsigned long long)by_kind[k]);
      bad++;
    }
  }
  art_event_snapshot_free(&snap);
  if (bad)
    print_error("%d mismatches in the scenario's events\n", bad);
  assert_int_equal(bad, 0);
}

/* A shutdown that times out says how many actors are still alive: a handler that does not
 * return holds its actor past the shutdown signal and the kill. */
typedef struct gate {
  atomic_bool open, entered;
} gate;

static int gated_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  (void)ctx;
  (void)msg;
  gate *g = state;
  atomic_store(&g->entered, true);
  it_actor_wait_flag(&g->open);
  return 0;
}

static const art_actor_ops gated_ops = {.handle = gated_handle};

static void test_shutdown_that_times_out(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = create_system(&ta, false, 2, NULL);
  gate g;
  atomic_init(&g.open, false);
  atomic_init(&g.entered, false);
  art_pid stuck = spawn_actor(sys, &gated_ops, "stuck", &g, NULL, 0, 0);
  spawn_actor(sys, &quick_ops, "idle", NULL, NULL, 0, 0);
  assert_int_equal(art_send(sys, stuck, T_WORK, NULL, 0), 0);
  assert_true(ART_WAIT_UNTIL(atomic_load(&g.entered), IT_WAIT_MS));

  /* The idle actor stops; the stuck one survives the signal and the kill's grace period. */
  int rc = art_system_shutdown(sys, ART_MSEC(20));
  art_event_snapshot snap;
  art_event events[16];
  int snap_rc = art_monitor_snapshot(art_system_monitor(sys), &snap, events, 16);
  atomic_store(&g.open, true);
  it_destroy(sys, &ta);

  assert_int_equal(rc, ART_ETIMEDOUT);
  assert_int_equal(snap_rc, 0);
  const art_event *last = snap.count ? &snap.events[snap.count - 1] : NULL;
  assert_non_null(last);
  assert_int_equal(last->kind, ART_EVENT_SYSTEM_SHUTDOWN);
  assert_int_equal(last->error_code, ART_ETIMEDOUT);
  assert_true(last->duration_ns >= ART_MSEC(20));
  if (last->count != 1)
    print_error("system.shutdown after a timeout: actors %llu, expected 1 (the stuck actor)\n",
                (unsigned long long)last->count);
  assert_int_equal(last->count, 1);
}

/* ---- 2. filtering, monitors of the caller's, the no-op monitor -------------------------- */

static void test_default_monitor_keeps_info_and_above(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = create_system(&ta, false, 2, NULL);
  art_event_monitor *mon = art_system_monitor(sys);
  assert_non_null(mon);
  assert_true(mon != art_monitor_noop());
  bool enabled = false;
  uint32_t mask = 0;
  art_severity min = ART_SEVERITY_TRACE;
  assert_int_equal(art_monitor_get_filter(mon, &enabled, &mask, &min), 0);
  assert_true(enabled);
  assert_int_equal(mask, ART_EVENT_FAMILY_ALL);
  assert_int_equal(min, ART_SEVERITY_INFO);

  /* Messages, a failure that ends the actor, a dead letter. */
  art_pid a = spawn_actor(sys, &quick_ops, "a", NULL, NULL, 0, 0);
  for (int i = 0; i < 5; i++)
    assert_int_equal(art_send(sys, a, T_DATA, NULL, 0), 0);
  assert_int_equal(art_send(sys, a, T_FAIL, NULL, 0), 0);
  it_wait_all(sys);
  assert_int_equal(art_send(sys, a, T_DATA, NULL, 0), ART_ESRCH);

  art_system_stats st = it_stats(sys);
  assert_int_equal(st.messages_handled, 6);
  assert_int_equal(st.dead_letters, 1);
  assert_int_equal(st.exits_error, 1);

  art_event_snapshot snap;
  assert_int_equal(art_monitor_snapshot_alloc(mon, &snap), 0);
  assert_int_equal(snap.by_severity[ART_SEVERITY_TRACE], 0);
  assert_int_equal(snap.by_severity[ART_SEVERITY_DEBUG], 0);
  assert_int_equal(snap.by_kind[kidx(ART_EVENT_MAILBOX_MESSAGE_ENQUEUED)], 0);
  assert_int_equal(snap.by_kind[kidx(ART_EVENT_ACTOR_MESSAGE_PROCESSED)], 0);
  assert_int_equal(snap.by_kind[kidx(ART_EVENT_ACTOR_SPAWNED)], 0);
  assert_int_equal(snap.by_kind[kidx(ART_EVENT_SYSTEM_STARTED)], 1);
  assert_int_equal(snap.by_kind[kidx(ART_EVENT_ACTOR_ERROR_OCCURRED)], 1);
  assert_int_equal(snap.by_kind[kidx(ART_EVENT_BROKER_DEAD_LETTER)], 1);
  assert_int_equal(snap.total, 3);
  assert_int_equal(snap.filtered, 0); /* the sites ask before they build an event */
  assert_int_equal(snap.count, 3);
  assert_int_equal(snap.events[0].kind, ART_EVENT_SYSTEM_STARTED);
  assert_int_equal(snap.events[0].count, 2);
  assert_int_equal(snap.events[1].kind, ART_EVENT_ACTOR_ERROR_OCCURRED);
  assert_true(snap.events[1].pid == a);
  assert_int_equal(snap.events[1].error_code, ART_EINVAL);
  assert_string_equal(snap.events[1].text, FAIL_TEXT);
  assert_int_equal(snap.events[1].count, T_FAIL);
  assert_int_equal(snap.events[2].kind, ART_EVENT_BROKER_DEAD_LETTER);
  assert_true(snap.events[2].pid == a);
  assert_int_equal(snap.events[2].count, T_DATA);
  art_event_snapshot_free(&snap);
  it_destroy(sys, &ta);
}

/* A monitor of our own: counts what it is given, by kind, and its destroy calls. */
typedef struct counting_monitor {
  atomic_uint_least64_t by_kind[ART_EVENT_KIND_COUNT];
  atomic_uint_least64_t records, bad, destroys;
} counting_monitor;

static int counting_record(void *self, const art_event *ev) {
  counting_monitor *c = self;
  int k = art_event_kind_index((art_event_kind)ev->kind);
  if (k < 0 || ev->family != ART_EVENT_KIND_FAMILY(ev->kind) ||
      ev->severity != art_event_kind_severity((art_event_kind)ev->kind)) {
    atomic_fetch_add(&c->bad, 1);
    return 0;
  }
  atomic_fetch_add(&c->by_kind[k], 1);
  atomic_fetch_add(&c->records, 1);
  return 0;
}

static void counting_destroy(void *self) {
  counting_monitor *c = self;
  atomic_fetch_add(&c->destroys, 1);
}

static const art_monitor_ops counting_ops = {.record = counting_record,
                                             .destroy = counting_destroy};

static uint64_t counted(counting_monitor *c, art_event_kind kind) {
  return atomic_load(&c->by_kind[kidx(kind)]);
}

static void test_user_monitor_receives_events_and_outlives_the_system(void **unused) {
  (void)unused;
  static counting_monitor c; /* zeroed */
  memset(&c, 0, sizeof c);
  art_test_alloc ta_mon;
  art_test_alloc_init(&ta_mon);
  art_monitor_config mc;
  art_monitor_config_init(&mc);
  mc.min_severity = ART_SEVERITY_TRACE;
  mc.allocator = art_test_alloc_allocator(&ta_mon);
  art_event_monitor *mon = NULL;
  assert_int_equal(art_monitor_create(&mon, &counting_ops, &c, &mc), 0);

  art_test_alloc ta;
  art_system *sys = create_system(&ta, true, 0, mon);
  assert_ptr_equal(art_system_monitor(sys), mon);
  art_pid a = spawn_actor(sys, &quick_ops, NULL, NULL, NULL, 0, 0);
  assert_int_equal(art_send(sys, a, T_DATA, NULL, 0), 0);
  assert_int_equal(art_send(sys, a, T_DATA, NULL, 0), 0);
  assert_int_equal(art_send(sys, a, T_STOP, NULL, 0), 0);
  art_system_run(sys);
  assert_int_equal(art_send(sys, a, T_DATA, NULL, 0), ART_ESRCH);
  /* It cannot report: the metrics leave its counters out, the rest is there. */
  art_event_snapshot snap;
  assert_int_equal(art_monitor_snapshot(mon, &snap, NULL, 0), ART_EPERM);
  char metrics[8192];
  int n = art_system_metrics(sys, metrics, sizeof metrics);
  assert_true(n > 0 && (size_t)n < sizeof metrics);
  assert_non_null(strstr(metrics, "\nart_actors_spawned_total 1\n"));
  assert_null(strstr(metrics, "art_monitor_events_total"));
  art_system_destroy(sys);
  assert_int_equal(art_test_alloc_live(&ta), 0);

  assert_int_equal(atomic_load(&c.destroys), 0); /* the system did not destroy it */
  assert_int_equal(atomic_load(&c.bad), 0);
  assert_int_equal(counted(&c, ART_EVENT_SYSTEM_STARTED), 1);
  assert_int_equal(counted(&c, ART_EVENT_ACTOR_SPAWNED), 1);
  assert_int_equal(counted(&c, ART_EVENT_ACTOR_STARTED), 1);
  assert_int_equal(counted(&c, ART_EVENT_MAILBOX_MESSAGE_ENQUEUED), 3);
  assert_int_equal(counted(&c, ART_EVENT_MAILBOX_MESSAGE_DEQUEUED), 3);
  assert_int_equal(counted(&c, ART_EVENT_ACTOR_MESSAGE_RECEIVED), 3);
  assert_int_equal(counted(&c, ART_EVENT_ACTOR_MESSAGE_PROCESSED), 3);
  assert_int_equal(counted(&c, ART_EVENT_ACTOR_STOPPED), 1);
  assert_int_equal(counted(&c, ART_EVENT_BROKER_DEAD_LETTER), 1);
  assert_int_equal(counted(&c, ART_EVENT_SYSTEM_SHUTDOWN), 1);
  assert_int_equal(atomic_load(&c.records), 18);

  /* Still usable after the system is gone. */
  art_event ev;
  art_event_init(&ev, ART_EVENT_SYSTEM_CONFIGURATION_CHANGED, ART_SEVERITY_INFO);
  assert_int_equal(art_monitor_record(mon, &ev), 0);
  assert_int_equal(atomic_load(&c.records), 19);
  art_monitor_destroy(mon);
  assert_int_equal(atomic_load(&c.destroys), 1);
  assert_int_equal(art_test_alloc_live(&ta_mon), 0);
}

static void test_memory_monitor_of_the_callers(void **unused) {
  (void)unused;
  art_test_alloc ta_mon, ta;
  art_event_monitor *mon = create_memory_monitor(&ta_mon, 64, ART_SEVERITY_DEBUG);
  art_system *sys = create_system(&ta, false, 2, mon);
  assert_ptr_equal(art_system_monitor(sys), mon);
  art_pid a = spawn_actor(sys, &quick_ops, "mine", NULL, NULL, 0, 0);
  assert_int_equal(art_send(sys, a, T_STOP, NULL, 0), 0);
  it_wait_all(sys);
  art_system_destroy(sys);
  assert_int_equal(art_test_alloc_live(&ta), 0);

  /* The monitor is still there, with what the system told it (debug and above). */
  art_event_snapshot snap;
  art_event events[64];
  assert_int_equal(art_monitor_snapshot(mon, &snap, events, 64), 0);
  static const art_event_kind want[] = {
      ART_EVENT_SYSTEM_STARTED, ART_EVENT_ACTOR_SPAWNED,   ART_EVENT_ACTOR_STARTED,
      ART_EVENT_ACTOR_STOPPED,  ART_EVENT_SYSTEM_SHUTDOWN,
  };
  assert_int_equal(snap.count, sizeof want / sizeof want[0]);
  for (size_t i = 0; i < snap.count; i++)
    assert_int_equal(snap.events[i].kind, want[i]);
  assert_true(snap.events[1].pid == a);
  assert_string_equal(snap.events[1].name, "mine");
  assert_int_equal(snap.events[3].reason, ART_EXIT_NORMAL);
  assert_int_equal(snap.by_severity[ART_SEVERITY_TRACE], 0);
  assert_int_not_equal(art_test_alloc_live(&ta_mon), 0);
  art_monitor_destroy(mon);
  assert_int_equal(art_test_alloc_live(&ta_mon), 0);
}

static void test_noop_monitor_records_nothing(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = create_system(&ta, false, 2, art_monitor_noop());
  assert_ptr_equal(art_system_monitor(sys), art_monitor_noop());
  /* Its filter cannot be changed: asking for trace changes nothing. */
  art_system_set_event_filter(sys, ART_EVENT_FAMILY_ALL, ART_SEVERITY_TRACE);
  art_pid a = spawn_actor(sys, &quick_ops, "a", NULL, NULL, 0, 0);
  art_pid b = spawn_actor(sys, &quick_ops, "b", NULL, NULL, 1, ART_OVERFLOW_DROP);
  for (int i = 0; i < 10; i++)
    assert_int_equal(art_send(sys, a, T_DATA, NULL, 0), 0);
  assert_int_equal(art_send(sys, a, T_FAIL, NULL, 0), 0);
  assert_int_equal(art_send(sys, b, T_STOP, NULL, 0), 0);
  it_wait_all(sys);
  assert_int_equal(art_send(sys, a, T_DATA, NULL, 0), ART_ESRCH);
  art_system_stats st = it_stats(sys);
  assert_int_equal(st.actors_spawned, 2);
  assert_int_equal(st.exits_error, 1);
  assert_int_equal(st.exits_normal, 1);
  assert_int_equal(st.messages_handled, 12);
  assert_int_equal(st.dead_letters, 1);

  art_event_snapshot snap;
  assert_int_equal(art_monitor_snapshot(art_monitor_noop(), &snap, NULL, 0), 0);
  assert_int_equal(snap.total, 0);
  assert_int_equal(snap.filtered, 0);
  char metrics[8192];
  int n = art_system_metrics(sys, metrics, sizeof metrics);
  assert_true(n > 0 && (size_t)n < sizeof metrics);
  assert_non_null(strstr(metrics, "\nart_dead_letters_total 1\n"));
  assert_null(strstr(metrics, "art_monitor_events_total{"));
  it_destroy(sys, &ta);
  assert_int_equal(art_monitor_snapshot(art_monitor_noop(), &snap, NULL, 0), 0);
  assert_int_equal(snap.total, 0);
}

/* ---- 3. art_system_metrics ---------------------------------------------------------------- */

/* The value of the sample @p series (name and labels, exactly as written) in @p text. */
static bool sample_value(const char *text, const char *series, uint64_t *value) {
  size_t len = strlen(series);
  for (const char *line = text; *line;) {
    const char *end = strchr(line, '\n');
    if (!end)
      end = line + strlen(line);
    if ((size_t)(end - line) > len && strncmp(line, series, len) == 0 && line[len] == ' ') {
      char *stop;
      *value = strtoull(line + len + 1, &stop, 10);
      return stop == end;
    }
    line = *end ? end + 1 : end;
  }
  return false;
}

static void assert_sample(const char *text, const char *series, uint64_t want) {
  uint64_t got = 0;
  if (!sample_value(text, series, &got)) {
    print_error("no sample %s in:\n%s", series, text);
    fail();
  }
  if (got != want)
    print_error("%s is %llu, expected %llu\n", series, (unsigned long long)got,
                (unsigned long long)want);
  assert_int_equal(got, want);
}

/* The whole metrics text of @p sys, through the snprintf contract. */
static char *metrics_text(art_system *sys) {
  int n = art_system_metrics(sys, NULL, 0);
  assert_true(n > 0);
  char *text = malloc((size_t)n + 1);
  assert_non_null(text);
  assert_int_equal(art_system_metrics(sys, text, (size_t)n + 1), n);
  assert_int_equal(strlen(text), n);
  return text;
}

/* Runs promtool on @p text; returns its exit status and puts what it printed in @p out. */
static int promtool_check(const char *text, char *out, size_t len) {
  char path[] = "/tmp/art_test_events_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  size_t n = strlen(text);
  assert_int_equal(write(fd, text, n), (ssize_t)n);
  close(fd);
  char command[512];
  snprintf(command, sizeof command, "'%s' check metrics < '%s' 2>&1", ART_TEST_PROMTOOL, path);
  FILE *p = popen(command, "r");
  assert_non_null(p);
  size_t got = fread(out, 1, len - 1, p);
  out[got] = '\0';
  int status = pclose(p);
  unlink(path);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static bool have_promtool(void) {
  if (ART_TEST_PROMTOOL[0] == '\0' || access(ART_TEST_PROMTOOL, X_OK) != 0) {
    print_message("promtool not found (Debian package prometheus, see scripts/deps.sh): "
                  "skipping the promtool check\n");
    return false;
  }
  return true;
}

static void assert_promtool_accepts(const char *text) {
  char out[4096];
  int status = promtool_check(text, out, sizeof out);
  if (status != 0 || out[0])
    print_error("promtool (%d): %s\non:\n%s", status, out, text);
  assert_int_equal(status, 0);
  assert_string_equal(out, "");
}

/* Every label is one of the fixed ones (no pid label), and no label value is a number (an id)
 * or the decimal form of one of @p pids. */
static void assert_no_pid_labels(const char *text, const art_pid *pids, size_t npids) {
  static const char *const allowed[] = {"reason", "family", "kind", "severity"};
  size_t labels = 0;
  for (const char *line = text; *line;) {
    const char *end = strchr(line, '\n');
    assert_non_null(end); /* every line ends with a line feed */
    const char *open = memchr(line, '{', (size_t)(end - line));
    if (line[0] != '#' && open) {
      const char *p = open + 1;
      while (*p != '}') {
        const char *eq = strchr(p, '=');
        assert_non_null(eq);
        assert_true(eq < end);
        bool ok = false;
        for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
          ok |= strlen(allowed[i]) == (size_t)(eq - p) && strncmp(p, allowed[i], eq - p) == 0;
        if (!ok)
          print_error("unexpected label %.*s in: %.*s\n", (int)(eq - p), p, (int)(end - line),
                      line);
        assert_true(ok);
        assert_true(eq[1] == '"');
        const char *v = eq + 2, *value = v;
        bool digits = true;
        while (*v != '"') {
          assert_true(v < end);
          digits &= *v >= '0' && *v <= '9';
          v += *v == '\\' ? 2 : 1;
        }
        if (digits)
          print_error("a number as a label value: %.*s\n", (int)(end - line), line);
        assert_false(digits);
        for (size_t i = 0; i < npids; i++) {
          char pid[32];
          int len = snprintf(pid, sizeof pid, "%llu", (unsigned long long)pids[i]);
          assert_false(len == v - value && memcmp(pid, value, (size_t)len) == 0);
        }
        labels++;
        p = v + 1;
        if (*p == ',')
          p++;
      }
    }
    line = end + 1;
  }
  assert_true(labels >= 4); /* at least the exits by reason were looked at */
}

/* Checks the runtime's samples of @p text against @p st. */
static void assert_runtime_samples(const char *text, const art_system_stats *st, bool scheduler,
                                   uint64_t high_water) {
  assert_sample(text, "art_workers", st->workers);
  assert_sample(text, "art_actors_alive", st->actors_alive);
  assert_sample(text, "art_actors_spawned_total", st->actors_spawned);
  assert_sample(text, "art_spawn_failures_total", st->spawn_failures);
  assert_sample(text, "art_actor_exits_total{reason=\"normal\"}", st->exits_normal);
  assert_sample(text, "art_actor_exits_total{reason=\"shutdown\"}", st->exits_shutdown);
  assert_sample(text, "art_actor_exits_total{reason=\"killed\"}", st->exits_killed);
  assert_sample(text, "art_actor_exits_total{reason=\"error\"}", st->exits_error);
  assert_sample(text, "art_messages_sent_total", st->messages_sent);
  assert_sample(text, "art_messages_handled_total", st->messages_handled);
  assert_sample(text, "art_dead_letters_total", st->dead_letters);
  assert_sample(text, "art_mailbox_high_water_max", high_water);
  if (scheduler) {
    assert_sample(text, "art_scheduler_steals_total", st->steals);
    assert_sample(text, "art_scheduler_parks_total", st->parks);
  }
}

/* The monitor's samples of @p text are those of @p snap: one per (family, kind, severity) that
 * counted something, and the history's. */
static void assert_monitor_samples(const char *text, const art_event_snapshot *snap) {
  size_t series = 0;
  for (int k = 0; k < ART_EVENT_KIND_COUNT; k++) {
    art_event_kind kind = art_event_kind_at(k);
    for (int s = 0; s < ART_SEVERITY_COUNT; s++) {
      if (!snap->by_kind_severity[k][s])
        continue;
      char name[160];
      snprintf(name, sizeof name,
               "art_monitor_events_total{family=\"%s\",kind=\"%s\",severity=\"%s\"}",
               art_event_family_name(ART_EVENT_KIND_FAMILY(kind)), art_event_kind_name(kind),
               art_severity_name((art_severity)s));
      assert_sample(text, name, snap->by_kind_severity[k][s]);
      series++;
    }
  }
  size_t lines = 0;
  for (const char *p = text; (p = strstr(p, "\nart_monitor_events_total{")) != NULL; p++)
    lines++;
  assert_int_equal(lines, series);
  assert_sample(text, "art_monitor_events_filtered_total", snap->filtered);
  assert_sample(text, "art_monitor_history_dropped_total", snap->history_dropped);
  assert_sample(text, "art_monitor_history_lost_total", snap->history_lost);
  assert_sample(text, "art_monitor_history_capacity", snap->history_capacity);
}

static void test_metrics_of_a_quiet_system(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = create_system(&ta, true, 0, NULL);
  art_pid a = spawn_actor(sys, &quick_ops, "a", NULL, NULL, 0, 0);
  art_pid b = spawn_actor(sys, &quick_ops, "b", NULL, NULL, 0, 0);
  art_pid c = spawn_actor(sys, &quick_ops, "c", NULL, NULL, 0, 0);
  art_pid e = spawn_actor(sys, &quick_ops, "e", NULL, NULL, 0, 0);
  art_pid k = spawn_actor(sys, &quick_ops, "k", NULL, NULL, 0, 0);
  art_pid s = spawn_actor(sys, &quick_ops, "s", NULL, NULL, 0, 0);
  art_pid d = spawn_actor(sys, &quick_ops, "d", NULL, NULL, 0, 0);
  art_spawn_opts o = {.ops = &failing_ops};
  assert_int_equal(art_spawn(sys, &o, NULL), ART_EPERM);
  /* High-water marks: a 7, b 3, c 10 (but c exits: only the living count). Exits: c and d
   * normal, e error, k killed, s shutdown. */
  for (int i = 0; i < 7; i++)
    assert_int_equal(art_send(sys, a, T_DATA, NULL, 0), 0);
  for (int i = 0; i < 3; i++)
    assert_int_equal(art_send(sys, b, T_DATA, NULL, 0), 0);
  for (int i = 0; i < 9; i++)
    assert_int_equal(art_send(sys, c, T_DATA, NULL, 0), 0);
  assert_int_equal(art_send(sys, c, T_STOP, NULL, 0), 0);
  assert_int_equal(art_send(sys, e, T_FAIL, NULL, 0), 0);
  assert_int_equal(art_send(sys, d, T_STOP, NULL, 0), 0);
  art_system_run(sys);
  art_exit_reason killed = art_reason(ART_EXIT_KILLED);
  art_exit_reason shutdown = art_reason_shutdown("bye");
  assert_int_equal(art_send_exit(sys, k, &killed), 0);
  assert_int_equal(art_send_exit(sys, s, &shutdown), 0);
  art_system_run(sys);
  assert_int_equal(art_send(sys, c, T_DATA, NULL, 0), ART_ESRCH);
  assert_int_equal(art_send(sys, e, T_DATA, NULL, 0), ART_ESRCH);

  art_system_stats st = it_stats(sys);
  assert_int_equal(st.actors_alive, 2);
  assert_int_equal(st.actors_spawned, 7);
  assert_int_equal(st.exits_normal, 2); /* every exit reason has its own count */
  assert_int_equal(st.exits_error, 1);
  assert_int_equal(st.exits_killed, 1);
  assert_int_equal(st.exits_shutdown, 1);
  assert_int_equal(st.spawn_failures, 1);
  assert_int_equal(st.dead_letters, 2);
  assert_int_equal(st.messages_sent, 7 + 3 + 10 + 1 + 1 + 1); /* the shutdown signal counts */
  assert_int_equal(st.messages_handled, st.messages_sent);
  art_mailbox_stats ms;
  assert_int_equal(art_mailbox_stats_get(sys, a, &ms), 0);
  assert_int_equal(ms.high_water, 7);

  char *text = metrics_text(sys);
  art_event_snapshot snap;
  assert_int_equal(art_monitor_snapshot(art_system_monitor(sys), &snap, NULL, 0), 0);
  assert_runtime_samples(text, &st, true, 7);
  assert_sample(text, "art_workers", 1);
  /* The default monitor: the start, two errors (a handler, a pre_start), two dead letters. */
  assert_int_equal(snap.total, 5);
  assert_monitor_samples(text, &snap);
  assert_sample(text,
                "art_monitor_events_total{family=\"broker\",kind=\"dead_letter\","
                "severity=\"warning\"}",
                2);
  assert_sample(text, "art_monitor_history_capacity", 1000);
  const art_pid pids[] = {a, b, c, d, e, k, s};
  assert_no_pid_labels(text, pids, 7);
  if (have_promtool())
    assert_promtool_accepts(text);

  /* The snprintf contract: any buffer gets a NUL-terminated prefix, the return is the whole
   * length; length + 1 holds it all. */
  int n = (int)strlen(text);
  char small[16];
  memset(small, 'x', sizeof small);
  assert_int_equal(art_system_metrics(sys, small, sizeof small), n);
  assert_int_equal(strlen(small), sizeof small - 1);
  assert_memory_equal(small, text, sizeof small - 1);
  char one[1] = {'x'};
  assert_int_equal(art_system_metrics(sys, one, 1), n);
  assert_int_equal(one[0], '\0');
  char *buf = malloc((size_t)n + 1);
  assert_non_null(buf);
  const char *monitor_part = strstr(text, "# HELP art_monitor_events_total");
  assert_non_null(monitor_part);
  size_t cuts[] = {(size_t)n,
                   (size_t)n - 1,
                   (size_t)(monitor_part - text),
                   (size_t)(monitor_part - text) + 1,
                   (size_t)(monitor_part - text) + 7,
                   200};
  for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
    size_t len = cuts[i];
    memset(buf, 'x', (size_t)n + 1);
    assert_int_equal(art_system_metrics(sys, buf, len), n);
    assert_int_equal(strlen(buf), len - 1);
    assert_memory_equal(buf, text, len - 1);
  }
  memset(buf, 'x', (size_t)n + 1);
  assert_int_equal(art_system_metrics(sys, buf, (size_t)n + 1), n);
  assert_string_equal(buf, text);
  assert_int_equal(art_system_metrics(NULL, buf, (size_t)n + 1), ART_EINVAL);
  assert_int_equal(art_system_metrics(sys, NULL, 10), ART_EINVAL);
  free(buf);
  free(text);
  it_destroy(sys, &ta);
}

/* The same on worker threads, once the system is quiet: the scheduler counters move while
 * workers spin and park, so they are left out. */
static void test_metrics_with_workers(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = create_system(&ta, false, 2, NULL);
  art_system_set_event_filter(sys, ART_EVENT_FAMILY_ALL, ART_SEVERITY_TRACE);
  art_pid pids[4];
  for (int i = 0; i < 4; i++)
    pids[i] = spawn_actor(sys, &quick_ops, NULL, NULL, NULL, 0, 0);
  for (int i = 0; i < 40; i++)
    assert_int_equal(art_send(sys, pids[i % 4], T_DATA, NULL, 0), 0);
  assert_int_equal(art_send(sys, pids[0], T_STOP, NULL, 0), 0);
  assert_int_equal(art_send(sys, pids[1], T_FAIL, NULL, 0), 0);
  assert_true(ART_WAIT_UNTIL(
      it_stats(sys).actors_alive == 2 && it_stats(sys).messages_handled == 42, IT_WAIT_MS));
  assert_int_equal(art_send(sys, pids[0], T_DATA, NULL, 0), ART_ESRCH);
  art_system_stats st = it_stats(sys);
  uint64_t hw = 0;
  for (int i = 2; i < 4; i++) {
    art_mailbox_stats ms;
    assert_int_equal(art_mailbox_stats_get(sys, pids[i], &ms), 0);
    hw = ms.high_water > hw ? ms.high_water : hw;
  }
  char *text = metrics_text(sys);
  art_event_snapshot snap;
  assert_int_equal(art_monitor_snapshot(art_system_monitor(sys), &snap, NULL, 0), 0);
  assert_runtime_samples(text, &st, false, hw);
  assert_int_equal(st.dead_letters, 1);
  assert_int_equal(st.exits_normal + st.exits_error, 2);
  assert_monitor_samples(text, &snap);
  assert_int_equal(snap.by_kind[kidx(ART_EVENT_ACTOR_MESSAGE_PROCESSED)], 42);
  assert_no_pid_labels(text, pids, 4);
  if (have_promtool())
    assert_promtool_accepts(text);
  free(text);
  it_destroy(sys, &ta);
}

/* ---- 4. JSON ------------------------------------------------------------------------------ */

#define ODD_NAME "say \"hi\" \\ bye\t/"

static const char *json_str(json_t *obj, const char *key) {
  json_t *v = json_object_get(obj, key);
  if (!json_is_string(v))
    print_error("\"%s\" is not a string\n", key);
  assert_true(json_is_string(v));
  return json_string_value(v);
}

static json_int_t json_int(json_t *obj, const char *key) {
  json_t *v = json_object_get(obj, key);
  if (!json_is_integer(v))
    print_error("\"%s\" is not an integer\n", key);
  assert_true(json_is_integer(v));
  return json_integer_value(v);
}

/* @p text is "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ" and says @p ns (checked against gmtime_r). */
static void assert_rfc3339(const char *text, int64_t ns) {
  assert_int_equal(strlen(text), 30);
  for (int i = 0; i < 30; i++) {
    char c = text[i];
    switch (i) {
    case 4:
    case 7:
      assert_int_equal(c, '-');
      break;
    case 10:
      assert_int_equal(c, 'T');
      break;
    case 13:
    case 16:
      assert_int_equal(c, ':');
      break;
    case 19:
      assert_int_equal(c, '.');
      break;
    case 29:
      assert_int_equal(c, 'Z');
      break;
    default:
      assert_true(c >= '0' && c <= '9');
    }
  }
  time_t secs = (time_t)(ns / 1000000000);
  struct tm tm;
  assert_non_null(gmtime_r(&secs, &tm));
  char want[40];
  strftime(want, sizeof want, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(want + 19, sizeof want - 19, ".%09lldZ", (long long)(ns % 1000000000));
  assert_string_equal(text, want);
}

static void test_snapshot_as_json(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = create_system(&ta, true, 0, NULL);
  assert_int_equal(art_system_set_event_filter(sys, ART_EVENT_FAMILY_ALL, ART_SEVERITY_TRACE), 0);
  art_pid a = spawn_actor(sys, &quick_ops, ODD_NAME, NULL, NULL, 0, 0);
  assert_int_equal(art_register(sys, ODD_NAME, a), 0);
  assert_int_equal(art_send(sys, a, T_DATA, NULL, 0), 0);
  assert_int_equal(art_send(sys, a, T_STOP, NULL, 0), 0);
  art_system_run(sys);
  art_event_snapshot snap;
  assert_int_equal(art_monitor_snapshot_alloc(art_system_monitor(sys), &snap), 0);
  it_destroy(sys, &ta);

  int n = art_event_snapshot_to_json(&snap, NULL, 0);
  assert_true(n > 0);
  char *text = malloc((size_t)n + 1);
  assert_non_null(text);
  assert_int_equal(art_event_snapshot_to_json(&snap, text, (size_t)n + 1), n);
  assert_int_equal(strlen(text), n);
  /* The name, escaped: \" for the quotes, \\ for the backslash, \t for the tab. */
  assert_non_null(strstr(text, "\"say \\\"hi\\\" \\\\ bye\\t/\""));

  json_error_t error;
  json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &error);
  if (!root)
    print_error("not JSON (%s at %d): %s\n", error.text, error.position, text);
  assert_non_null(root);
  assert_rfc3339(json_str(root, "timestamp"), snap.timestamp);
  assert_int_equal(json_int(root, "total"), snap.total);
  json_t *events = json_object_get(root, "events");
  assert_true(json_is_array(events));
  assert_int_equal(json_array_size(events), snap.count);
  char pid_text[32];
  snprintf(pid_text, sizeof pid_text, "%llu", (unsigned long long)a);
  int named = 0;
  for (size_t i = 0; i < snap.count; i++) {
    const art_event *ev = &snap.events[i];
    json_t *obj = json_array_get(events, i);
    assert_true(json_is_object(obj));
    assert_int_equal(json_int(obj, "seq"), ev->seq);
    assert_int_equal(json_int(obj, "timestamp_ns"), ev->timestamp);
    assert_rfc3339(json_str(obj, "timestamp"), ev->timestamp);
    assert_string_equal(json_str(obj, "family"),
                        art_event_family_name((art_event_family)ev->family));
    assert_string_equal(json_str(obj, "kind"), art_event_kind_name((art_event_kind)ev->kind));
    assert_string_equal(json_str(obj, "severity"), art_severity_name((art_severity)ev->severity));
    if (ev->pid == a)
      assert_string_equal(json_str(obj, "pid"), pid_text);
    json_t *name = json_object_get(obj, "name");
    if (ev->pid == a && ev->family != ART_EVENT_FAMILY_MAILBOX &&
        ev->kind != ART_EVENT_ACTOR_MESSAGE_RECEIVED &&
        ev->kind != ART_EVENT_ACTOR_MESSAGE_PROCESSED) {
      /* spawned, started, stopped, registered, deregistered: the name, decoded intact */
      assert_true(json_is_string(name));
      assert_string_equal(json_string_value(name), ODD_NAME);
      named++;
    }
    if (ev->kind == ART_EVENT_ACTOR_MESSAGE_RECEIVED) {
      assert_int_equal(json_int(obj, "message_type"), ev->count);
      assert_true(json_is_null(json_object_get(obj, "sender")));
    }
  }
  assert_int_equal(named, 5);
  json_decref(root);
  free(text);
  art_event_snapshot_free(&snap);
}

/* ---- 5. concurrency --------------------------------------------------------------------- */

static atomic_uint_least64_t churn_handled, churn_failures, churn_children;

static int churn_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  (void)state;
  atomic_fetch_add(&churn_handled, 1);
  switch (msg->type) {
  case T_FAIL:
    atomic_fetch_add(&churn_failures, 1);
    return art_fail(ctx, ART_EINVAL, "bad input %d", 7);
  case T_STOP:
    return ART_STOP;
  case T_SPAWN: {
    art_system *sys = art_ctx_system(ctx);
    art_spawn_opts o = {.ops = &quick_ops};
    art_pid child;
    if (art_spawn(sys, &o, &child) == 0) {
      atomic_fetch_add(&churn_children, 1);
      art_send(sys, child, T_DATA, NULL, 0);
      art_send(sys, child, T_STOP, NULL, 0);
    }
    return 0;
  }
  default:
    return 0;
  }
}

static const art_actor_ops churn_ops = {.handle = churn_handle};

typedef struct churn_thread {
  pthread_t thread;
  art_system *sys;
  uint64_t seed;
  int iterations;
  uint64_t spawns, esrch, errors;
} churn_thread;

static void *churn_main(void *arg) {
  churn_thread *t = arg;
  art_test_rng rng;
  art_test_rng_init(&rng, t->seed);
  for (int i = 0; i < t->iterations; i++) {
    art_spawn_opts o = {.ops = &churn_ops};
    art_pid pid;
    if (art_spawn(t->sys, &o, &pid) != 0) {
      t->errors++;
      continue;
    }
    t->spawns++;
    uint64_t m = art_test_rng_below(&rng, 8);
    for (uint64_t j = 0; j < m; j++)
      t->errors += art_send(t->sys, pid, T_DATA, NULL, 0) != 0;
    if (art_test_rng_below(&rng, 4) == 0)
      t->errors += art_send(t->sys, pid, T_SPAWN, NULL, 0) != 0;
    art_exit_reason r;
    switch (art_test_rng_below(&rng, 4)) {
    case 0:
      t->errors += art_send(t->sys, pid, T_STOP, NULL, 0) != 0;
      break;
    case 1:
      t->errors += art_send(t->sys, pid, T_FAIL, NULL, 0) != 0;
      break;
    case 2:
      r = art_reason(ART_EXIT_KILLED);
      t->errors += art_send_exit(t->sys, pid, &r) != 0;
      break;
    default:
      r = art_reason_error(ART_ECANCELED, "churn");
      t->errors += art_send_exit(t->sys, pid, &r) != 0;
      break;
    }
    /* After the exit request: queued and drained at the exit, or refused; a dead letter
     * either way. */
    int rc = art_send(t->sys, pid, T_DATA, NULL, 0);
    if (rc == ART_ESRCH)
      t->esrch++;
    else if (rc != 0)
      t->errors++;
  }
  return NULL;
}

static void count_dead_letter(void *ctx, const art_dead_letter *letter) {
  (void)letter;
  atomic_fetch_add((atomic_uint_least64_t *)ctx, 1);
}

static void test_events_from_many_threads(void **unused) {
  (void)unused;
  enum { THREADS = 4, HISTORY = 256 };
  atomic_store(&churn_handled, 0);
  atomic_store(&churn_failures, 0);
  atomic_store(&churn_children, 0);
  atomic_uint_least64_t hooked;
  atomic_init(&hooked, 0);
  art_test_alloc ta_mon, ta;
  art_event_monitor *mon = create_memory_monitor(&ta_mon, HISTORY, ART_SEVERITY_TRACE);
  art_system_config cfg;
  art_system_config_init(&cfg);
  cfg.workers = 2;
  cfg.monitor = mon;
  cfg.dead_letter = count_dead_letter;
  cfg.dead_letter_ctx = &hooked;
  art_system *sys = it_create_cfg(&ta, &cfg);

  uint64_t seed = art_test_seed(0, NULL);
  int iterations = art_test_time_scale() > 1.0 ? 150 : 400;
  churn_thread threads[THREADS];
  for (int i = 0; i < THREADS; i++) {
    threads[i] = (churn_thread){.sys = sys, .seed = seed + (uint64_t)i, .iterations = iterations};
    assert_int_equal(pthread_create(&threads[i].thread, NULL, churn_main, &threads[i]), 0);
  }
  /* Meanwhile: snapshots and metrics; a snapshot's events are in order. */
  art_event *events = malloc(HISTORY * sizeof *events);
  assert_non_null(events);
  size_t metrics_len = 1 << 14;
  char *metrics = malloc(metrics_len);
  assert_non_null(metrics);
  for (int round = 0; round < 50; round++) {
    art_event_snapshot snap;
    assert_int_equal(art_monitor_snapshot(mon, &snap, events, HISTORY), 0);
    assert_true(snap.count <= HISTORY);
    for (size_t i = 1; i < snap.count; i++)
      assert_true(snap.events[i].seq > snap.events[i - 1].seq);
    int n = art_system_metrics(sys, metrics, metrics_len);
    assert_true(n > 0 && (size_t)n < metrics_len);
  }
  uint64_t spawns = 0, esrch = 0;
  for (int i = 0; i < THREADS; i++) {
    assert_int_equal(pthread_join(threads[i].thread, NULL), 0);
    assert_int_equal(threads[i].errors, 0);
    spawns += threads[i].spawns;
    esrch += threads[i].esrch;
  }
  it_wait_all(sys);
  /* Stop the workers: nothing runs from here on (a message pushed into an actor as it exited
   * is counted when the actor is reclaimed, which may still be pending on a worker until now). */
  assert_int_equal(art_system_shutdown(sys, it_timeout_ms(IT_WAIT_MS)), 0);

  art_system_stats st = it_stats(sys);
  uint64_t children = atomic_load(&churn_children);
  assert_int_equal(st.actors_spawned, spawns + children);
  assert_int_equal(st.actors_exited, st.actors_spawned);
  assert_int_equal(st.actors_alive, 0);
  assert_true(st.dead_letters >= esrch);
  assert_true(st.dead_letters >= (uint64_t)THREADS * (uint64_t)iterations);
  assert_int_equal(st.dead_letters, atomic_load(&hooked));

  art_event_snapshot snap;
  assert_int_equal(art_monitor_snapshot(mon, &snap, events, HISTORY), 0);
  assert_int_equal(snap.by_kind[kidx(ART_EVENT_SYSTEM_STARTED)], 1);
  assert_int_equal(snap.by_kind[kidx(ART_EVENT_SYSTEM_SHUTDOWN)], 1);
  assert_int_equal(snap.by_kind[kidx(ART_EVENT_ACTOR_SPAWNED)], st.actors_spawned);
  assert_int_equal(snap.by_kind[kidx(ART_EVENT_ACTOR_STARTED)], st.actors_spawned);
  assert_int_equal(snap.by_kind[kidx(ART_EVENT_ACTOR_STOPPED)], st.actors_exited);
  assert_int_equal(snap.by_kind[kidx(ART_EVENT_BROKER_DEAD_LETTER)], st.dead_letters);
  assert_int_equal(snap.by_kind[kidx(ART_EVENT_MAILBOX_MESSAGE_ENQUEUED)], st.messages_sent);
  assert_int_equal(snap.by_kind[kidx(ART_EVENT_MAILBOX_MESSAGE_DEQUEUED)], st.messages_handled);
  assert_int_equal(snap.by_kind[kidx(ART_EVENT_ACTOR_MESSAGE_RECEIVED)],
                   atomic_load(&churn_handled) + 2 * children);
  assert_int_equal(snap.by_kind[kidx(ART_EVENT_ACTOR_MESSAGE_PROCESSED)],
                   atomic_load(&churn_handled) + 2 * children);
  assert_int_equal(snap.by_kind[kidx(ART_EVENT_ACTOR_ERROR_OCCURRED)],
                   atomic_load(&churn_failures));
  assert_int_equal(snap.filtered, 0);
  /* The history: the last HISTORY positions, the rest dropped; nothing was being written. */
  uint64_t kept = snap.total < HISTORY ? snap.total : HISTORY;
  print_message("events %llu, history %zu, dropped %llu, lost %llu, skipped %llu\n",
                (unsigned long long)snap.total, snap.count,
                (unsigned long long)snap.history_dropped, (unsigned long long)snap.history_lost,
                (unsigned long long)snap.history_skipped);
  assert_int_equal(snap.history_dropped, snap.total - kept);
  /* Every position of the window is read or skipped; with no writer left, only positions
   * whose event was lost (a writer a lap behind held the slot) can be skipped. */
  assert_int_equal(snap.count + snap.history_skipped, kept);
  assert_true(snap.history_skipped <= snap.history_lost);
  for (size_t i = 1; i < snap.count; i++)
    assert_true(snap.events[i].seq > snap.events[i - 1].seq);
  assert_true(snap.count > 0 && snap.events[snap.count - 1].seq < snap.total);
  assert_true(snap.events[0].seq >= snap.total - kept);
  assert_int_equal(snap.events[snap.count - 1].kind, ART_EVENT_SYSTEM_SHUTDOWN);

  /* Destroying reclaims the last actors; their late letters, if any, are events too. */
  art_system_destroy(sys);
  assert_int_equal(art_test_alloc_live(&ta), 0);
  assert_int_equal(art_monitor_snapshot(mon, &snap, NULL, 0), 0);
  assert_int_equal(snap.by_kind[kidx(ART_EVENT_BROKER_DEAD_LETTER)], atomic_load(&hooked));
  free(metrics);
  free(events);
  art_monitor_destroy(mon);
  assert_int_equal(art_test_alloc_live(&ta_mon), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_scripted_scenario),
      cmocka_unit_test(test_shutdown_that_times_out),
      cmocka_unit_test(test_default_monitor_keeps_info_and_above),
      cmocka_unit_test(test_user_monitor_receives_events_and_outlives_the_system),
      cmocka_unit_test(test_memory_monitor_of_the_callers),
      cmocka_unit_test(test_noop_monitor_records_nothing),
      cmocka_unit_test(test_metrics_of_a_quiet_system),
      cmocka_unit_test(test_metrics_with_workers),
      cmocka_unit_test(test_snapshot_as_json),
      cmocka_unit_test(test_events_from_many_threads),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
