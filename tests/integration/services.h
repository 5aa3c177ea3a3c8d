/*
 * Shared by the tests of the actor services (links, monitors, registry, timers, requests,
 * mailboxes, dedicated actors): a scriptable "probe" actor that runs commands sent by the test
 * thread (link, monitor, exit, spawn...) and records what it sees (EXIT and DOWN messages, its
 * exit reason) under a lock, for the test thread to check afterwards. Helpers for
 * deterministic systems too.
 *
 * Include after the cmocka prerequisites (through integration.h); asserts run on the test
 * thread only.
 */
#ifndef ART_SERVICES_H
#define ART_SERVICES_H

#include "integration.h"

/* The commands a probe understands; the payload is an svc_cmd. */
enum {
  SVC_PING = 1,  /* counted in pings */
  SVC_LINK,      /* art_link(pid) -> rc */
  SVC_UNLINK,    /* art_unlink(pid) -> rc */
  SVC_MONITOR,   /* art_monitor(pid) -> rc, ref; with `on`, a NULL ref */
  SVC_DEMONITOR, /* art_demonitor(ref) -> rc */
  SVC_EXIT,      /* art_exit(reason) */
  SVC_FAIL,      /* return art_fail(code, "text") */
  SVC_STOP,      /* return ART_STOP */
  SVC_TRAP,      /* art_trap_exit(on) */
  SVC_SPAWN,     /* art_spawn(probe child, flags) -> rc, spawned, ref (ART_SPAWN_MONITOR) */
  SVC_SEND_EXIT, /* art_send_exit(pid, reason) -> rc */
  SVC_BLOCK,     /* sets blocked, waits (bounded) for gate, then runs command `code` (if any)
                    with this same payload */
  SVC_USER = 100 /* other types are counted in others */
};

struct svc_probe;

typedef struct svc_cmd {
  art_pid pid;
  art_ref ref;
  art_exit_reason reason;
  uint32_t flags;
  int code;
  bool on;
  struct svc_probe *child;
} svc_cmd;

#define SVC_MAX_RECORDS 256

/* What a probe saw; every field is guarded by lock. A probe that traps exits records each EXIT
 * and exits when the EXIT is a shutdown from a non-actor thread (the system's shutdown). */
typedef struct svc_probe {
  pthread_mutex_t lock;
  bool trap_in_pre_start; /* configuration: art_trap_exit(true) in pre_start */
  bool fail_in_pre_start; /* configuration: pre_start sends itself SVC_FAIL(code) */
  int pre_start_fail_code;
  atomic_bool gate;    /* SVC_BLOCK waits for it */
  atomic_bool blocked; /* set when SVC_BLOCK starts waiting */
  art_pid self;
  int started, post_stop_calls, pings, commands, others, gate_timeouts;
  art_exit_reason reason; /* given to post_stop */
  int rc;                 /* of the last command */
  art_ref ref;            /* of the last SVC_MONITOR or monitored SVC_SPAWN */
  art_pid spawned;        /* of the last SVC_SPAWN */
  int exit_count;
  art_exit_msg exits[SVC_MAX_RECORDS];
  uint32_t exit_size[SVC_MAX_RECORDS];
  int down_count;
  art_down_msg downs[SVC_MAX_RECORDS];
  uint32_t down_size[SVC_MAX_RECORDS];
  uint64_t down_correlation[SVC_MAX_RECORDS];
} svc_probe;

static inline void svc_probe_init(svc_probe *p) {
  memset(p, 0, sizeof *p);
  pthread_mutex_init(&p->lock, NULL);
  atomic_init(&p->gate, false);
  atomic_init(&p->blocked, false);
}

static inline void svc_probe_fini(svc_probe *p) {
  pthread_mutex_destroy(&p->lock);
}

/* A probe on the heap (initialised), for tests whose probes outlive a stack frame or are too
 * many for it; freed with svc_probe_free(). */
static inline svc_probe *svc_probe_new(void) {
  svc_probe *p = test_malloc(sizeof *p);
  svc_probe_init(p);
  return p;
}

static inline void svc_probe_free(svc_probe *p) {
  svc_probe_fini(p);
  test_free(p);
}

/* Reads an int field of @p p under its lock: SVC_GET(p, exit_count). */
#define SVC_GET(p, field)                                                                          \
  __extension__({                                                                                  \
    pthread_mutex_lock(&(p)->lock);                                                                \
    __typeof__((p)->field) svc__value = (p)->field;                                                \
    pthread_mutex_unlock(&(p)->lock);                                                              \
    svc__value;                                                                                    \
  })

typedef struct svc_probe_state {
  svc_probe *p;
} svc_probe_state;

static inline int svc_probe_pre_start(art_ctx *ctx, void *state, void *args) {
  svc_probe *p = args;
  ((svc_probe_state *)state)->p = p;
  pthread_mutex_lock(&p->lock);
  p->self = art_self(ctx);
  p->started++;
  bool trap = p->trap_in_pre_start, fail = p->fail_in_pre_start;
  svc_cmd cmd = {.code = p->pre_start_fail_code};
  pthread_mutex_unlock(&p->lock);
  if (trap)
    art_trap_exit(ctx, true);
  if (fail) /* the first message the actor will handle */
    return art_send(art_ctx_system(ctx), art_self(ctx), SVC_FAIL, &cmd, sizeof cmd);
  return 0;
}

static inline void svc_record_rc(svc_probe *p, int rc) {
  pthread_mutex_lock(&p->lock);
  p->rc = rc;
  pthread_mutex_unlock(&p->lock);
}

static inline int svc_probe_handle(art_ctx *ctx, void *state, const art_msg *msg);

static inline void svc_probe_post_stop(art_ctx *ctx, void *state, const art_exit_reason *reason) {
  (void)ctx;
  svc_probe *p = ((svc_probe_state *)state)->p;
  pthread_mutex_lock(&p->lock);
  p->post_stop_calls++;
  p->reason = *reason;
  pthread_mutex_unlock(&p->lock);
}

static const art_actor_ops svc_probe_ops = {
    .pre_start = svc_probe_pre_start,
    .handle = svc_probe_handle,
    .post_stop = svc_probe_post_stop,
};

static inline int svc_spawn_probe_rc(art_system *sys, svc_probe *p, uint32_t flags,
                                     art_ref *monitor_ref, art_pid *out) {
  art_spawn_opts o = {.ops = &svc_probe_ops,
                      .state_size = sizeof(svc_probe_state),
                      .args = p,
                      .flags = flags,
                      .monitor_ref = monitor_ref};
  return art_spawn(sys, &o, out);
}

static inline int svc_probe_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  svc_probe *p = ((svc_probe_state *)state)->p;
  art_system *sys = art_ctx_system(ctx);
  svc_cmd cmd;
  memset(&cmd, 0, sizeof cmd);
  if (msg->type < SVC_USER && msg->size == sizeof cmd)
    memcpy(&cmd, msg->data, sizeof cmd);
  int result = 0;
  switch (msg->type) {
  case SVC_PING:
    pthread_mutex_lock(&p->lock);
    p->pings++;
    pthread_mutex_unlock(&p->lock);
    return 0;
  case ART_MSG_EXIT:
    pthread_mutex_lock(&p->lock);
    if (p->exit_count < SVC_MAX_RECORDS) {
      memcpy(&p->exits[p->exit_count], msg->data,
             msg->size < sizeof(art_exit_msg) ? msg->size : sizeof(art_exit_msg));
      p->exit_size[p->exit_count] = msg->size;
    }
    p->exit_count++;
    pthread_mutex_unlock(&p->lock);
    /* Like an OTP server that traps exits: a shutdown from outside (the system's) ends it. */
    if (msg->size == sizeof(art_exit_msg)) {
      const art_exit_msg *m = msg->data;
      if (m->from == ART_PID_NONE && m->reason.kind == ART_EXIT_SHUTDOWN)
        art_exit(ctx, &m->reason);
    }
    return 0;
  case ART_MSG_DOWN:
    pthread_mutex_lock(&p->lock);
    if (p->down_count < SVC_MAX_RECORDS) {
      memcpy(&p->downs[p->down_count], msg->data,
             msg->size < sizeof(art_down_msg) ? msg->size : sizeof(art_down_msg));
      p->down_size[p->down_count] = msg->size;
      p->down_correlation[p->down_count] = msg->correlation;
    }
    p->down_count++;
    pthread_mutex_unlock(&p->lock);
    return 0;
  case SVC_LINK:
    svc_record_rc(p, art_link(ctx, cmd.pid));
    break;
  case SVC_UNLINK:
    svc_record_rc(p, art_unlink(ctx, cmd.pid));
    break;
  case SVC_MONITOR: {
    art_ref ref = 0;
    int rc = art_monitor(ctx, cmd.pid, cmd.on ? NULL : &ref); /* on: no ref (EINVAL) */
    pthread_mutex_lock(&p->lock);
    p->rc = rc;
    p->ref = ref;
    pthread_mutex_unlock(&p->lock);
    break;
  }
  case SVC_DEMONITOR:
    svc_record_rc(p, art_demonitor(ctx, cmd.ref));
    break;
  case SVC_EXIT:
    art_exit(ctx, &cmd.reason);
    break;
  case SVC_FAIL:
    result = art_fail(ctx, cmd.code, "failed on purpose");
    break;
  case SVC_STOP:
    result = ART_STOP;
    break;
  case SVC_TRAP:
    art_trap_exit(ctx, cmd.on);
    break;
  case SVC_SPAWN: {
    art_ref ref = 0;
    art_pid child = ART_PID_NONE;
    int rc = svc_spawn_probe_rc(sys, cmd.child, cmd.flags, &ref, &child);
    pthread_mutex_lock(&p->lock);
    p->rc = rc;
    p->spawned = child;
    if (cmd.flags & ART_SPAWN_MONITOR)
      p->ref = ref;
    pthread_mutex_unlock(&p->lock);
    break;
  }
  case SVC_SEND_EXIT:
    svc_record_rc(p, art_send_exit(sys, cmd.pid, &cmd.reason));
    break;
  case SVC_BLOCK:
    atomic_store(&p->blocked, true);
    if (!it_actor_wait_flag(&p->gate)) {
      pthread_mutex_lock(&p->lock);
      p->gate_timeouts++;
      pthread_mutex_unlock(&p->lock);
    }
    if (cmd.code > 0 && cmd.code != SVC_BLOCK) {
      art_msg then = *msg;
      then.type = (uint32_t)cmd.code;
      return svc_probe_handle(ctx, state, &then); /* counts the command itself */
    }
    break;
  default:
    pthread_mutex_lock(&p->lock);
    p->others++;
    pthread_mutex_unlock(&p->lock);
    return 0;
  }
  pthread_mutex_lock(&p->lock);
  p->commands++;
  pthread_mutex_unlock(&p->lock);
  return result;
}

/* Spawns a probe actor recording into @p p (initialised by the caller). */
static inline art_pid svc_spawn_probe(art_system *sys, svc_probe *p, uint32_t flags) {
  art_pid pid = ART_PID_NONE;
  assert_int_equal(svc_spawn_probe_rc(sys, p, flags, NULL, &pid), 0);
  assert_true(pid != ART_PID_NONE);
  return pid;
}

/* Waits until exactly @p n actors are alive: the others have finished exiting, so the EXIT and
 * DOWN messages their exits send are queued already. */
static inline void svc_wait_alive(art_system *sys, uint64_t n) {
  assert_true(ART_WAIT_UNTIL(it_stats(sys).actors_alive == n, IT_WAIT_MS));
}

/* Sends command @p type to @p pid (must succeed). */
static inline void svc_send(art_system *sys, art_pid pid, uint32_t type, const svc_cmd *cmd) {
  svc_cmd zero;
  memset(&zero, 0, sizeof zero);
  assert_int_equal(art_send(sys, pid, type, cmd ? cmd : &zero, sizeof zero), 0);
}

/* Sends command @p type to the probe @p pid and waits until it was handled; returns its rc. */
static inline int svc_do(art_system *sys, art_pid pid, svc_probe *p, uint32_t type,
                         const svc_cmd *cmd) {
  int before = SVC_GET(p, commands);
  svc_send(sys, pid, type, cmd);
  assert_true(ART_WAIT_UNTIL(SVC_GET(p, commands) > before, IT_WAIT_MS));
  return SVC_GET(p, rc);
}

/* Pings @p pid and waits until the ping was handled: everything sent to it before from this
 * thread has been handled. */
static inline void svc_sync(art_system *sys, art_pid pid, svc_probe *p) {
  int before = SVC_GET(p, pings);
  svc_send(sys, pid, SVC_PING, NULL);
  assert_true(ART_WAIT_UNTIL(SVC_GET(p, pings) > before, IT_WAIT_MS));
}

static inline svc_cmd svc_pid_cmd(art_pid pid) {
  svc_cmd c;
  memset(&c, 0, sizeof c);
  c.pid = pid;
  return c;
}

static inline svc_cmd svc_reason_cmd(art_exit_reason reason) {
  svc_cmd c;
  memset(&c, 0, sizeof c);
  c.reason = reason;
  return c;
}

static inline void svc_assert_reason(const art_exit_reason *got, const art_exit_reason *want) {
  assert_int_equal(got->kind, want->kind);
  assert_int_equal(got->code, want->code);
  assert_int_equal(got->flags, want->flags);
  assert_string_equal(got->text, want->text);
}

/* The reason an actor exits with when its handler returns art_fail(code, "failed on
 * purpose") and it has no on_error (restart). */
static inline art_exit_reason svc_fail_reason(int code) {
  return art_reason_error(code, "failed on purpose");
}

/* A deterministic system (manual clock, the test thread runs the actors) allocating through
 * @p ta, with an optional dead-letter hook. */
static inline art_system *
svc_create_deterministic(art_test_alloc *ta, void (*dead_letter)(void *, const art_dead_letter *),
                         void *dead_letter_ctx) {
  art_system_config cfg;
  art_system_config_init(&cfg);
  cfg.deterministic = true;
  cfg.dead_letter = dead_letter;
  cfg.dead_letter_ctx = dead_letter_ctx;
  return it_create_cfg(ta, &cfg);
}

/* A system with @p workers workers and a dead-letter hook. */
static inline art_system *svc_create_hooked(art_test_alloc *ta, uint32_t workers,
                                            void (*dead_letter)(void *, const art_dead_letter *),
                                            void *dead_letter_ctx) {
  art_system_config cfg;
  art_system_config_init(&cfg);
  cfg.workers = workers;
  cfg.dead_letter = dead_letter;
  cfg.dead_letter_ctx = dead_letter_ctx;
  return it_create_cfg(ta, &cfg);
}

/* Dead letters seen by the hook. */
#define SVC_MAX_LETTERS 256
typedef struct svc_letters {
  pthread_mutex_t lock;
  int count;
  art_dead_letter items[SVC_MAX_LETTERS];
} svc_letters;

static inline void svc_letters_init(svc_letters *l) {
  memset(l, 0, sizeof *l);
  pthread_mutex_init(&l->lock, NULL);
}

static inline void svc_letters_fini(svc_letters *l) {
  pthread_mutex_destroy(&l->lock);
}

static inline void svc_letters_hook(void *ctx, const art_dead_letter *letter) {
  svc_letters *l = ctx;
  pthread_mutex_lock(&l->lock);
  if (l->count < SVC_MAX_LETTERS)
    l->items[l->count] = *letter;
  l->count++;
  pthread_mutex_unlock(&l->lock);
}

#endif /* ART_SERVICES_H */
