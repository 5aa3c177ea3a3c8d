/*
 * Churn: actors are spawned and stopped at random from every direction while messages flow
 * between living and stale pids, then the test thread checks that the runtime kept its
 * promises:
 *
 *   - every spawn that succeeded got exactly one post_stop, and no failed spawn got one;
 *   - an actor that exits by its own decision (ART_STOP, art_exit, an error through on_error)
 *     sees exactly that reason in post_stop; any other exit is a signal's reason;
 *   - a send to a pid known to be dead returns ART_ESRCH, and never touches the old actor;
 *   - payloads arrive intact, with the right sender, and a moved payload is freed exactly once
 *     (handled at most once);
 *   - the system's counters add up with what the test counted itself, and every accepted
 *     message is either handled or reported once to the dead-letter hook;
 *   - what the system holds depends on how many actors and messages are alive, not on how many
 *     there were (pools reuse what exited actors and handled messages gave back);
 *   - after destroy, the counting allocator holds nothing.
 *
 * Four non-actor threads spawn, send and signal; actors spawn children, forward messages,
 * signal others and exit, all from per-thread and per-actor PRNG streams derived from the
 * seed. `--seed N` replays the same streams (the interleaving of threads still varies, so a
 * rare failure may need a few replays); `--ms N` sets the length of the churn phase, which
 * defaults to 3.5 s scaled by ART_TEST_TIME_SCALE.
 *
 * Violations seen on other threads are counted (and the first few printed) and asserted on the
 * test thread at the end.
 */
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "art.h"
#include "test_support.h"

#include <cmocka.h>

#define THREADS 4
#define RECORDS_MAX (1u << 22) /* spawns tracked in one run; spawning stops when they run out */
#define LIVE_MAX 2000          /* actors alive (or being spawned) at once */
#define RECENT_WINDOW LIVE_MAX /* most targets come from the newest spawns */
#define DEFAULT_RUN_MS 3500
#define BACKLOG_MAX 4096              /* messages queued before the threads pause */
#define MEMORY_MAX ((size_t)64 << 20) /* what the system may hold for LIVE_MAX actors + backlog */
#define HOP_TTL 4                     /* forwards a message may still make */
#define WAIT_MS 10000                 /* for the last actors to exit (scaled) */

#define STATE_MAGIC 0x5157a7e5u
#define HOP_MAGIC 0x4f9e11a1u
#define BOX_LIVE 0xb0c5a11eu
#define BOX_DEAD 0xdeadb0c5u
#define BLOB_SIZE 40
#define BIG_STATE_SIZE 512

/* Codes the actors use, distinct so a wrong one is noticed. */
#define PRE_START_FAIL ART_EBUSY
#define FAIL_CODE ART_EPERM
#define EXIT_CODE ART_ECANCELED
#define SIGNAL_CODE ART_ETIMEDOUT

enum { MSG_HOP = 1, MSG_BLOB, MSG_BOX };

enum { REC_UNUSED = 0, REC_SPAWNING, REC_STARTED, REC_FAILED };

/* What a send carried: a message, an exit signal other than kill, or a kill. */
enum { SEND_MESSAGE, SEND_SIGNAL, SEND_KILL, SEND_KINDS };

/* What a spawn will do; chosen by the spawner, copied into the state by pre_start. */
enum {
  PLAN_FAIL = 0x1,            /* pre_start fails */
  PLAN_TRAP = 0x2,            /* spawned with ART_SPAWN_TRAP_EXIT */
  PLAN_TRAP_LATE = 0x4,       /* pre_start calls art_trap_exit */
  PLAN_BIG_STATE = 0x8,       /* state too big for the actor block */
  PLAN_NAMED = 0x10,          /* spawned with a name */
  PLAN_PRE_START_SEND = 0x20, /* pre_start sends (to itself and to another) */
  PLAN_ON_ERROR_RESUME = 0x40,
  PLAN_ON_ERROR_STOP = 0x80, /* neither: on_error is NULL (restart) */
};

/* One per spawn attempt, indexed by the spawn id passed to pre_start in args. */
typedef struct record {
  _Atomic art_pid pid;         /* art_self() as pre_start saw it */
  _Atomic uint32_t status;     /* REC_* */
  _Atomic uint32_t pre_starts; /* pre_start calls */
  _Atomic uint32_t post_stops; /* post_stop calls */
  uint32_t plan;               /* written by the spawner, read by pre_start on the same thread */
} record;

typedef struct actor_state {
  uint32_t magic;
  uint32_t id;
  uint32_t plan;
  int32_t expect_kind; /* -1: no exit decided by the actor itself */
  int32_t expect_code;
  uint32_t normal_to_self; /* sent itself a `normal` exit signal, which it obeys */
  art_test_rng rng;
} actor_state;

_Static_assert(sizeof(actor_state) <= 64, "the usual state fits in the actor block");

/* Inline payload (16 bytes). */
typedef struct hop {
  uint32_t magic;
  uint32_t ttl;
  art_pid origin; /* who sent it: must equal msg->sender */
} hop;

/* Copied payload (40 bytes, beyond the inline limit). */
typedef struct blob {
  hop head;
  uint8_t bytes[BLOB_SIZE - sizeof(hop)];
} blob;

/* Moved payload: freed by box_free once handled or dropped. */
typedef struct box {
  uint32_t magic;
  _Atomic uint32_t handled;
  hop head;
} box;

_Static_assert(sizeof(hop) <= ART_MSG_INLINE_MAX, "a hop travels inline");
_Static_assert(sizeof(blob) == BLOB_SIZE && BLOB_SIZE > ART_MSG_INLINE_MAX, "a blob is copied");

/* Everything the threads and actors share; counters are relaxed (read after joins/waits). */
static struct churn {
  uint64_t seed;
  art_system *sys;
  record *records;
  _Atomic uint32_t next_id;
  _Atomic int64_t live; /* reserved before a spawn, released by a failed spawn or post_stop */
  _Atomic bool stopping;

  _Atomic uint64_t spawned, spawn_failed;
  /* Every send the test made, by what it sent and whether it was accepted or ART_ESRCH. */
  _Atomic uint64_t accepted[SEND_KINDS], esrch[SEND_KINDS];
  _Atomic uint64_t stale_checked;      /* sends to pids known dead (all must be ART_ESRCH) */
  _Atomic uint64_t handled;            /* handle() calls with one of the test's messages */
  _Atomic uint64_t trapped_exits;      /* handle() calls with ART_MSG_EXIT */
  _Atomic uint64_t dead_letters;       /* dead-letter hook calls for the test's messages */
  _Atomic uint64_t dead_letters_other; /* ... for anything else */
  _Atomic uint64_t boxes_sent, boxes_freed, boxes_handled, boxes_dropped, box_handle_calls;
  _Atomic uint64_t exit_kinds[8]; /* post_stop reasons by kind */
  _Atomic uint64_t violations;
} g;

static uint64_t seed;       /* from art_test_seed() */
static int64_t run_ms = -1; /* --ms */

static void violation(int line, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void violation(int line, const char *fmt, ...) {
  uint64_t n = atomic_fetch_add(&g.violations, 1);
  if (n >= 10)
    return;
  char text[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  fprintf(stderr, "violation (test_churn.c:%d): %s\n", line, text);
}

#define CHECK(cond, ...)                                                                           \
  do {                                                                                             \
    if (!(cond))                                                                                   \
      violation(__LINE__, __VA_ARGS__);                                                            \
  } while (0)

static void count(_Atomic uint64_t *c) {
  atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

static uint64_t get(_Atomic uint64_t *c) {
  return atomic_load_explicit(c, memory_order_relaxed);
}

static bool chance(art_test_rng *rng, unsigned percent) {
  return art_test_rng_below(rng, 100) < percent;
}

static uint32_t records_used(void) {
  uint32_t n = atomic_load(&g.next_id);
  return n < RECORDS_MAX ? n : RECORDS_MAX;
}

/* A pid is dead for sure once its post_stop ran or its spawn failed. The seq_cst loads pair
 * with the stores in post_stop and spawn_one, which come after the runtime unpublished it. */
static bool record_dead(record *rec) {
  return atomic_load(&rec->post_stops) > 0 || atomic_load(&rec->status) == REC_FAILED;
}

/* Any spawn record so far (most of them long dead). */
static record *any_record(art_test_rng *rng) {
  uint32_t n = records_used();
  return n ? &g.records[art_test_rng_below(rng, n)] : NULL;
}

/* A random target: usually one that looked alive (a few tries among the newest spawns),
 * sometimes any (likely stale). */
static record *random_record(art_test_rng *rng) {
  uint32_t n = records_used();
  if (n == 0 || chance(rng, 10))
    return any_record(rng);
  uint32_t lo = n > RECENT_WINDOW ? n - RECENT_WINDOW : 0;
  record *rec = NULL;
  for (int tries = 0; tries < 8; tries++) {
    rec = &g.records[lo + art_test_rng_below(rng, n - lo)];
    if (!record_dead(rec))
      break;
  }
  return rec;
}

static const char *const send_kind_names[] = {"send", "art_send_exit", "kill"};

/* Counts the result of a send of @p kind; @p known_dead: the target was dead before it. */
static void account(int rc, int kind, bool known_dead) {
  if (rc == 0) {
    count(&g.accepted[kind]);
    CHECK(!known_dead, "%s to a dead pid was accepted", send_kind_names[kind]);
  } else if (rc == ART_ESRCH) {
    count(&g.esrch[kind]);
  } else {
    violation(__LINE__, "%s returned %s", send_kind_names[kind], art_err_name(rc));
  }
  if (known_dead)
    count(&g.stale_checked);
}

/* The system's dead-letter hook: runs on the sender's thread, on the worker of an actor that
 * exits with messages queued, and in art_system_destroy() for what reached exited actors late. */
static void on_dead_letter(void *ctx, const art_dead_letter *letter) {
  (void)ctx;
  if (letter->type >= MSG_HOP && letter->type <= MSG_BOX) {
    count(&g.dead_letters);
    CHECK(letter->target != ART_PID_NONE, "dead letter without a target");
  } else {
    count(&g.dead_letters_other);
  }
}

static void box_free(void *data) {
  box *b = data;
  CHECK(b->magic == BOX_LIVE, "box freed twice or corrupted (magic %#x)", b->magic);
  uint32_t handled = atomic_load(&b->handled);
  if (handled == 0)
    count(&g.boxes_dropped);
  else if (handled == 1)
    count(&g.boxes_handled);
  else
    violation(__LINE__, "a moved payload was handled %u times", handled);
  b->magic = BOX_DEAD;
  count(&g.boxes_freed);
  free(b);
}

/* Sends a message of a random kind (inline, copied, moved) to @p to. */
static void send_message(art_test_rng *rng, art_pid self, art_pid to, uint32_t ttl,
                         bool known_dead) {
  hop head = {.magic = HOP_MAGIC, .ttl = ttl, .origin = self};
  uint64_t kind = art_test_rng_below(rng, 10);
  int rc;
  if (kind < 6) {
    rc = art_send(g.sys, to, MSG_HOP, &head, sizeof head);
  } else if (kind < 8) {
    blob b = {.head = head};
    for (size_t i = 0; i < sizeof b.bytes; i++)
      b.bytes[i] = (uint8_t)(ttl * 31 + i);
    rc = art_send(g.sys, to, MSG_BLOB, &b, sizeof b);
  } else {
    box *b = malloc(sizeof *b);
    if (!b) {
      violation(__LINE__, "out of memory");
      return;
    }
    b->magic = BOX_LIVE;
    atomic_init(&b->handled, 0);
    b->head = head;
    rc = art_send_ptr(g.sys, to, MSG_BOX, b, sizeof *b, box_free);
    if (rc == 0)
      count(&g.boxes_sent);
    else
      free(b); /* a failed send leaves the payload with the caller */
  }
  account(rc, SEND_MESSAGE, known_dead);
}

static art_exit_reason random_signal(art_test_rng *rng) {
  uint64_t r = art_test_rng_below(rng, 100);
  if (r < 45)
    return art_reason_shutdown("churn shutdown");
  if (r < 80)
    return art_reason(ART_EXIT_KILLED);
  if (r < 90)
    return art_reason_error(SIGNAL_CODE, "churn signal");
  return art_reason(ART_EXIT_NORMAL); /* ignored unless the target traps exits */
}

/* Sends a message (or, with @p signal, an exit signal) to a random spawn record's pid.
 * Returns true if that was a `normal` exit signal to @p self, which does make it exit. */
static bool send_random(art_test_rng *rng, art_pid self, uint32_t ttl, bool signal) {
  record *rec = random_record(rng);
  if (!rec)
    return false;
  bool dead = record_dead(rec);
  art_pid to = atomic_load(&rec->pid);
  if (to == ART_PID_NONE)
    return false; /* pre_start has not run yet */
  if (!signal) {
    send_message(rng, self, to, ttl, dead);
    return false;
  }
  art_exit_reason r = random_signal(rng);
  int rc = art_send_exit(g.sys, to, &r);
  account(rc, r.kind == ART_EXIT_KILLED ? SEND_KILL : SEND_SIGNAL, dead);
  return rc == 0 && to == self && r.kind == ART_EXIT_NORMAL;
}

/* ---- the actor ---------------------------------------------------------------------------- */

static int churn_pre_start(art_ctx *ctx, void *state, void *args);
static int churn_handle(art_ctx *ctx, void *state, const art_msg *msg);
static void churn_post_stop(art_ctx *ctx, void *state, const art_exit_reason *reason);
static art_error_action on_error_resume(art_ctx *ctx, void *state, int err, const art_msg *msg);
static art_error_action on_error_stop(art_ctx *ctx, void *state, int err, const art_msg *msg);

static const art_actor_ops ops_restart = {
    .pre_start = churn_pre_start, .handle = churn_handle, .post_stop = churn_post_stop};
static const art_actor_ops ops_resume = {.pre_start = churn_pre_start,
                                         .handle = churn_handle,
                                         .post_stop = churn_post_stop,
                                         .on_error = on_error_resume};
static const art_actor_ops ops_stop = {.pre_start = churn_pre_start,
                                       .handle = churn_handle,
                                       .post_stop = churn_post_stop,
                                       .on_error = on_error_stop};

static uint32_t random_plan(art_test_rng *rng) {
  uint32_t plan = 0;
  if (chance(rng, 10))
    plan |= PLAN_FAIL;
  if (chance(rng, 10))
    plan |= PLAN_TRAP;
  else if (chance(rng, 5))
    plan |= PLAN_TRAP_LATE;
  if (chance(rng, 10))
    plan |= PLAN_BIG_STATE;
  if (chance(rng, 10))
    plan |= PLAN_NAMED;
  if (chance(rng, 10))
    plan |= PLAN_PRE_START_SEND;
  uint64_t on_error = art_test_rng_below(rng, 4);
  if (on_error == 0)
    plan |= PLAN_ON_ERROR_RESUME;
  else if (on_error == 1)
    plan |= PLAN_ON_ERROR_STOP;
  return plan;
}

/* Spawns one actor with a random plan, unless the run is stopping or too many are alive. Runs
 * on the non-actor threads and inside actor callbacks. */
static void spawn_one(art_test_rng *rng, art_pid self) {
  if (atomic_load(&g.stopping))
    return;
  if (atomic_fetch_add(&g.live, 1) >= LIVE_MAX) {
    atomic_fetch_sub(&g.live, 1);
    return;
  }
  uint32_t id = atomic_fetch_add(&g.next_id, 1);
  if (id >= RECORDS_MAX) {
    atomic_fetch_sub(&g.live, 1);
    return;
  }
  record *rec = &g.records[id];
  uint32_t plan = random_plan(rng);
  rec->plan = plan;
  atomic_store(&rec->status, REC_SPAWNING);

  char name[32];
  snprintf(name, sizeof name, "churn-%" PRIu32, id);
  art_spawn_opts opts = {
      .ops = plan & PLAN_ON_ERROR_RESUME ? &ops_resume
             : plan & PLAN_ON_ERROR_STOP ? &ops_stop
                                         : &ops_restart,
      .state_size = plan & PLAN_BIG_STATE ? BIG_STATE_SIZE : sizeof(actor_state),
      .args = (void *)(uintptr_t)id,
      .name = plan & PLAN_NAMED ? name : NULL,
      .flags = plan & PLAN_TRAP ? ART_SPAWN_TRAP_EXIT : 0,
  };
  art_pid pid = ART_PID_NONE;
  int rc = art_spawn(g.sys, &opts, &pid);
  if (rc == 0) {
    count(&g.spawned);
    CHECK(!(plan & PLAN_FAIL), "spawn %u succeeded although its pre_start failed", id);
    CHECK(pid != ART_PID_NONE && pid == atomic_load(&rec->pid),
          "spawn %u returned pid %#" PRIx64 ", pre_start saw %#" PRIx64, id, pid,
          atomic_load(&rec->pid));
    atomic_store(&rec->status, REC_STARTED);
    send_message(rng, self, pid, HOP_TTL, false);
    return;
  }
  CHECK(rc == PRE_START_FAIL && (plan & PLAN_FAIL), "spawn %u (plan %#x) returned %s", id, plan,
        art_err_name(rc));
  CHECK(atomic_load(&rec->pre_starts) == 1, "failed spawn %u ran pre_start %u times", id,
        atomic_load(&rec->pre_starts));
  count(&g.spawn_failed);
  atomic_store(&rec->status, REC_FAILED);
  atomic_fetch_sub(&g.live, 1);
  /* The pid pre_start saw is stale now. */
  art_pid stale = atomic_load(&rec->pid);
  if (stale != ART_PID_NONE) {
    send_message(rng, self, stale, 0, true);
    CHECK(!art_is_alive(g.sys, stale), "the pid of failed spawn %u is alive", id);
  }
}

static int churn_pre_start(art_ctx *ctx, void *state, void *args) {
  uint32_t id = (uint32_t)(uintptr_t)args;
  record *rec = &g.records[id];
  actor_state *st = state;
  CHECK(st->magic == 0, "pre_start %u: state not zeroed", id);
  atomic_fetch_add(&rec->pre_starts, 1);
  atomic_store(&rec->pid, art_self(ctx));
  st->magic = STATE_MAGIC;
  st->id = id;
  st->plan = rec->plan;
  st->expect_kind = -1;
  art_test_rng_init(&st->rng, g.seed ^ (UINT64_C(0x9e3779b97f4a7c15) * (id + 1)));
  if (st->plan & PLAN_NAMED) {
    char name[32];
    snprintf(name, sizeof name, "churn-%" PRIu32, id);
    CHECK(strcmp(art_ctx_name(ctx), name) == 0, "actor %u is named '%s'", id, art_ctx_name(ctx));
  }
  if (st->plan & PLAN_TRAP_LATE)
    art_trap_exit(ctx, true);
  if (st->plan & PLAN_PRE_START_SEND) {
    /* Handled once started, or dropped as a dead letter if this spawn fails. */
    send_message(&st->rng, art_self(ctx), art_self(ctx), 1, false);
    send_random(&st->rng, art_self(ctx), 1, false);
  }
  return st->plan & PLAN_FAIL ? PRE_START_FAIL : 0;
}

static void expect_exit(actor_state *st, art_exit_kind kind, int code) {
  st->expect_kind = (int32_t)kind;
  st->expect_code = code;
}

/* Checks the payload of @p msg; returns its ttl. */
static uint32_t check_payload(actor_state *st, const art_msg *msg) {
  const hop *head = NULL;
  switch (msg->type) {
  case MSG_HOP:
    CHECK(msg->size == sizeof(hop), "hop of size %u", msg->size);
    head = msg->data;
    break;
  case MSG_BLOB: {
    CHECK(msg->size == BLOB_SIZE, "blob of size %u", msg->size);
    const blob *b = msg->data;
    head = &b->head;
    for (size_t i = 0; i < sizeof b->bytes; i++)
      if (b->bytes[i] != (uint8_t)(head->ttl * 31 + i)) {
        violation(__LINE__, "blob to actor %u corrupted at byte %zu", st->id, i);
        break;
      }
    break;
  }
  case MSG_BOX: {
    CHECK(msg->size == sizeof(box), "box of size %u", msg->size);
    box *b = (box *)(uintptr_t)msg->data;
    CHECK(b->magic == BOX_LIVE, "box handled after free (magic %#x)", b->magic);
    atomic_fetch_add(&b->handled, 1);
    count(&g.box_handle_calls);
    head = &b->head;
    break;
  }
  default:
    violation(__LINE__, "actor %u got message type %#x", st->id, msg->type);
    return 0;
  }
  CHECK(head->magic == HOP_MAGIC, "payload magic %#x", head->magic);
  CHECK(head->origin == msg->sender, "message from %#" PRIx64 " arrived with sender %#" PRIx64,
        head->origin, msg->sender);
  CHECK(msg->correlation == 0, "correlation %" PRIu64, msg->correlation);
  return head->ttl;
}

static int churn_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  actor_state *st = state;
  CHECK(st->magic == STATE_MAGIC, "handle: state corrupted (magic %#x)", st->magic);
  record *rec = &g.records[st->id];
  CHECK(atomic_load(&rec->post_stops) == 0, "actor %u handles a message after post_stop", st->id);
  CHECK(st->expect_kind < 0, "actor %u handles a message after deciding to exit", st->id);
  art_pid self = art_self(ctx);

  if (msg->type == ART_MSG_EXIT) {
    CHECK(st->plan & (PLAN_TRAP | PLAN_TRAP_LATE), "actor %u does not trap exits", st->id);
    CHECK(msg->size == sizeof(art_exit_msg) && msg->data, "exit message of size %u", msg->size);
    const art_exit_msg *m = msg->data;
    CHECK(m->reason.kind != ART_EXIT_KILLED, "a kill was trapped");
    count(&g.trapped_exits);
    if (chance(&st->rng, 50)) {
      expect_exit(st, ART_EXIT_NORMAL, 0);
      return ART_STOP;
    }
    return 0;
  }

  count(&g.handled);
  uint32_t ttl = check_payload(st, msg);
  uint64_t r = art_test_rng_below(&st->rng, 100);
  if (r < 40) {
    if (ttl > 0)
      send_random(&st->rng, self, ttl - 1, false);
  } else if (r < 48) {
    spawn_one(&st->rng, self);
  } else if (r < 54) {
    if (send_random(&st->rng, self, 0, true))
      st->normal_to_self = 1;
  } else if (r < 58) {
    expect_exit(st, ART_EXIT_NORMAL, 0);
    return ART_STOP;
  } else if (r < 61) {
    expect_exit(st, ART_EXIT_ERROR, EXIT_CODE);
    char text[32];
    snprintf(text, sizeof text, "churn exit %" PRIu32, st->id);
    art_exit_reason reason = art_reason_error(EXIT_CODE, text);
    art_exit(ctx, &reason);
  } else if (r < 64) {
    if (st->plan & PLAN_ON_ERROR_STOP)
      expect_exit(st, ART_EXIT_NORMAL, 0);
    else if (!(st->plan & PLAN_ON_ERROR_RESUME))
      expect_exit(st, ART_EXIT_ERROR, FAIL_CODE);
    return art_fail(ctx, FAIL_CODE, "churn fail %" PRIu32, st->id);
  } else if (r < 66) {
    art_exit_reason reason = art_reason_shutdown("churn self");
    account(art_send_exit(g.sys, self, &reason), SEND_SIGNAL, false);
  }
  return 0;
}

static art_error_action on_error_resume(art_ctx *ctx, void *state, int err, const art_msg *msg) {
  (void)ctx;
  (void)msg;
  actor_state *st = state;
  CHECK(err == FAIL_CODE, "actor %u: on_error got %s", st->id, art_err_name(err));
  return ART_ACTION_RESUME;
}

static art_error_action on_error_stop(art_ctx *ctx, void *state, int err, const art_msg *msg) {
  (void)ctx;
  (void)msg;
  actor_state *st = state;
  CHECK(err == FAIL_CODE, "actor %u: on_error got %s", st->id, art_err_name(err));
  return ART_ACTION_STOP;
}

/* The reason must be the one the actor chose, or (if it chose none) a signal's. */
static void check_reason(actor_state *st, const art_exit_reason *reason) {
  char text[ART_REASON_TEXT_MAX];
  char seen[256];
  art_reason_format(reason, seen, sizeof seen);
  if (st->expect_kind >= 0) {
    text[0] = '\0';
    if (st->expect_code == EXIT_CODE)
      snprintf(text, sizeof text, "churn exit %" PRIu32, st->id);
    else if (st->expect_code == FAIL_CODE)
      snprintf(text, sizeof text, "churn fail %" PRIu32, st->id);
    CHECK((int32_t)reason->kind == st->expect_kind && reason->code == st->expect_code &&
              strcmp(reason->text, text) == 0,
          "actor %u exits with %s, expected kind %d code %d text '%s'", st->id, seen,
          st->expect_kind, st->expect_code, text);
    return;
  }
  bool ok = false;
  switch (reason->kind) {
  case ART_EXIT_SHUTDOWN:
    ok = strcmp(reason->text, "churn shutdown") == 0 || strcmp(reason->text, "churn self") == 0;
    break;
  case ART_EXIT_KILLED:
    ok = reason->text[0] == '\0';
    break;
  case ART_EXIT_ERROR:
    ok = reason->code == SIGNAL_CODE && strcmp(reason->text, "churn signal") == 0;
    break;
  case ART_EXIT_NORMAL: /* from others it is ignored, from itself it is obeyed */
    ok = st->normal_to_self && reason->text[0] == '\0';
    break;
  default:
    break;
  }
  CHECK(ok, "actor %u exits with unexpected reason %s", st->id, seen);
}

static void churn_post_stop(art_ctx *ctx, void *state, const art_exit_reason *reason) {
  actor_state *st = state;
  CHECK(st->magic == STATE_MAGIC, "post_stop: state corrupted (magic %#x)", st->magic);
  record *rec = &g.records[st->id];
  CHECK(art_self(ctx) == atomic_load(&rec->pid), "post_stop of actor %u with another pid", st->id);
  CHECK(!(st->plan & PLAN_FAIL), "post_stop of actor %u whose pre_start failed", st->id);
  CHECK(!art_is_alive(g.sys, art_self(ctx)), "actor %u is alive in its post_stop", st->id);
  check_reason(st, reason);
  unsigned kind = (unsigned)reason->kind < 8 ? (unsigned)reason->kind : 7;
  count(&g.exit_kinds[kind]);
  /* seq_cst: pairs with record_dead(); the runtime unpublished the pid before this call. */
  atomic_fetch_add(&rec->post_stops, 1);
  atomic_fetch_sub(&g.live, 1);
  /* A dying actor may still send and spawn. */
  uint64_t r = art_test_rng_below(&st->rng, 100);
  if (r < 10)
    send_random(&st->rng, art_self(ctx), 1, false);
  else if (r < 13)
    spawn_one(&st->rng, art_self(ctx));
  st->magic = 0;
}

/* ---- the non-actor threads ---------------------------------------------------------------- */

typedef struct driver {
  pthread_t thread;
  uint32_t index;
  int64_t deadline;
  uint64_t ops;
} driver;

/* Messages accepted and neither handled nor dropped yet (a snapshot). */
static int64_t backlog(void) {
  return (int64_t)get(&g.accepted[SEND_MESSAGE]) - (int64_t)get(&g.handled) -
         ((int64_t)get(&g.dead_letters) - (int64_t)get(&g.esrch[SEND_MESSAGE]));
}

/* Waits while the workers are far behind: four threads sending as fast as they can would
 * otherwise bury the actors under queued messages, and the run would test only dead letters. */
static void throttle(int64_t deadline) {
  while (backlog() > BACKLOG_MAX && art_now_monotonic() < deadline) {
    struct timespec pause = {.tv_nsec = 50000};
    nanosleep(&pause, NULL);
  }
}

static void *driver_main(void *arg) {
  driver *d = arg;
  art_test_rng rng;
  art_test_rng_init(&rng, g.seed + UINT64_C(0x1000) * (d->index + 1));
  while (art_now_monotonic() < d->deadline) {
    if (++d->ops % 16 == 0)
      throttle(d->deadline);
    uint64_t r = art_test_rng_below(&rng, 100);
    if (r < 20) {
      spawn_one(&rng, ART_PID_NONE);
    } else if (r < 80) {
      send_random(&rng, ART_PID_NONE, HOP_TTL, false);
    } else if (r < 92) {
      send_random(&rng, ART_PID_NONE, 0, true);
    } else {
      /* Look for a pid known to be dead: a send to it must fail and touch nothing. */
      for (int tries = 0; tries < 8; tries++) {
        record *rec = any_record(&rng);
        if (!rec || !record_dead(rec))
          continue;
        art_pid pid = atomic_load(&rec->pid);
        if (pid == ART_PID_NONE)
          continue;
        CHECK(!art_is_alive(g.sys, pid), "dead pid %#" PRIx64 " is alive", pid);
        send_message(&rng, ART_PID_NONE, pid, 0, true);
        break;
      }
    }
  }
  return NULL;
}

/* ---- the test ----------------------------------------------------------------------------- */

/* Kills every actor that may still be alive, until none is. An actor in the middle of a
 * handler may still spawn one more after a pass, so there are passes until none is left. */
static void stop_everything(void) {
  atomic_store(&g.stopping, true);
  art_exit_reason killed = art_reason(ART_EXIT_KILLED);
  int rc = ART_ETIMEDOUT;
  int64_t deadline = art_now_monotonic() + (int64_t)(ART_MSEC(WAIT_MS) * art_test_time_scale());
  while (rc != 0 && art_now_monotonic() < deadline) {
    uint32_t n = records_used();
    for (uint32_t id = 0; id < n; id++) {
      record *rec = &g.records[id];
      if (record_dead(rec))
        continue;
      art_pid pid = atomic_load(&rec->pid);
      if (pid != ART_PID_NONE)
        account(art_send_exit(g.sys, pid, &killed), SEND_KILL, false);
    }
    rc = art_system_wait(g.sys, ART_MSEC(200));
  }
  assert_int_equal(rc, 0);
}

static void churn(void **unused) {
  (void)unused;
  art_test_rng config_rng;
  art_test_rng_init(&config_rng, seed);
  memset(&g, 0, sizeof g);
  g.seed = seed;
  g.records = calloc(RECORDS_MAX, sizeof *g.records);
  assert_non_null(g.records);

  art_test_alloc ta;
  art_test_alloc_init(&ta);
  art_system_config cfg;
  art_system_config_init(&cfg);
  cfg.workers = 1 + (uint32_t)art_test_rng_below(&config_rng, 4);
  static const uint32_t batches[] = {1, 8, 128};
  cfg.batch = batches[art_test_rng_below(&config_rng, 3)];
  cfg.max_actors = 1u << 16; /* slots are reused often: generations must tell pids apart */
  cfg.allocator = art_test_alloc_allocator(&ta);
  cfg.dead_letter = on_dead_letter;
  assert_int_equal(art_system_create(&g.sys, &cfg), 0);

  int64_t ms = run_ms >= 0 ? run_ms : (int64_t)(DEFAULT_RUN_MS * art_test_time_scale());
  fprintf(stderr, "churn: %u workers, batch %u, pool %s, %u threads for %" PRId64 " ms\n",
          cfg.workers, cfg.batch, cfg.pool ? "on" : "off", THREADS, ms);
  int64_t start = art_now_monotonic();
  driver drivers[THREADS];
  for (uint32_t i = 0; i < THREADS; i++) {
    drivers[i] = (driver){.index = i, .deadline = start + ART_MSEC(ms)};
    assert_int_equal(pthread_create(&drivers[i].thread, NULL, driver_main, &drivers[i]), 0);
  }
  uint64_t ops = 0;
  for (uint32_t i = 0; i < THREADS; i++) {
    assert_int_equal(pthread_join(drivers[i].thread, NULL), 0);
    ops += drivers[i].ops;
  }
  /* Exited actors and handled messages give their memory back for reuse: what the system holds
   * depends on how many actors and messages are alive, not on how many there were. */
  size_t churn_bytes = art_test_alloc_live_bytes(&ta);
  stop_everything();
  int64_t churn_end = art_now_monotonic();

  /* Quiet now: no actor is alive and no thread sends. Every pid ever handed out is stale. */
  uint32_t n = records_used();
  uint64_t started = 0, failed = 0;
  art_exit_reason shutdown = art_reason_shutdown("late");
  art_exit_reason killed = art_reason(ART_EXIT_KILLED);
  for (uint32_t id = 0; id < n; id++) {
    record *rec = &g.records[id];
    uint32_t status = atomic_load(&rec->status);
    uint32_t post_stops = atomic_load(&rec->post_stops);
    uint32_t pre_starts = atomic_load(&rec->pre_starts);
    if (status == REC_STARTED) {
      started++;
      CHECK(post_stops == 1, "actor %u: %u post_stops", id, post_stops);
    } else if (status == REC_FAILED) {
      failed++;
      CHECK(post_stops == 0, "failed spawn %u: %u post_stops", id, post_stops);
    } else {
      violation(__LINE__, "spawn %u never finished (status %u)", id, status);
    }
    CHECK(pre_starts == 1, "spawn %u: %u pre_starts", id, pre_starts);
    art_pid pid = atomic_load(&rec->pid);
    CHECK(pid != ART_PID_NONE, "spawn %u: no pid", id);
    CHECK(!art_is_alive(g.sys, pid), "the pid of spawn %u is alive", id);
    account(art_send(g.sys, pid, MSG_HOP, NULL, 0), SEND_MESSAGE, true);
    account(art_send_exit(g.sys, pid, &shutdown), SEND_SIGNAL, true);
    account(art_send_exit(g.sys, pid, &killed), SEND_KILL, true);
  }

  /* No actor is alive, so shutdown signals nobody; it stops the workers, so the counters hold
   * still from here on (until destroy drops what reached exited actors late). */
  assert_int_equal(art_system_shutdown(g.sys, ART_SEC(5)), 0);
  art_system_stats st;
  assert_int_equal(art_system_stats_get(g.sys, &st), 0);
  uint64_t messages = get(&g.accepted[SEND_MESSAGE]), signals = get(&g.accepted[SEND_SIGNAL]);
  uint64_t stale_messages = get(&g.esrch[SEND_MESSAGE]);
  uint64_t dead_letters = get(&g.dead_letters) + get(&g.dead_letters_other);
  int64_t late =
      (int64_t)(messages + stale_messages) - (int64_t)(get(&g.handled) + get(&g.dead_letters));
  fprintf(stderr,
          "churn: %" PRIu64 " ops, %" PRIu64 " spawns (%" PRIu64 " failed in pre_start), exits "
          "normal %" PRIu64 " shutdown %" PRIu64 " killed %" PRIu64 " error %" PRIu64 "\n"
          "churn: %" PRIu64 " messages and %" PRIu64 " exit signals accepted, %" PRIu64
          " kills; %" PRIu64 " handled, %" PRIu64 " dead letters (%" PRIu64
          " sent to stale pids), %" PRId64 " left in exited mailboxes; %" PRIu64
          " sends to pids known dead; %" PRIu64 " steals, %" PRIu64 " parks; %zu bytes "
          "allocated; %.2f s\n",
          ops, st.actors_spawned + st.spawn_failures, st.spawn_failures, st.exits_normal,
          st.exits_shutdown, st.exits_killed, st.exits_error, messages, signals,
          get(&g.accepted[SEND_KILL]), st.messages_handled, st.dead_letters, stale_messages, late,
          get(&g.stale_checked), st.steals, st.parks, churn_bytes,
          (double)(churn_end - start) / 1e9);

  assert_int_equal(get(&g.violations), 0);
  assert_int_equal(atomic_load(&g.live), 0);
  assert_true(churn_bytes <= MEMORY_MAX);
  assert_true(get(&g.spawned) > 0 && get(&g.spawn_failed) > 0 && get(&g.stale_checked) > 0);
  /* Spawns and exits: exact once nothing runs. */
  assert_int_equal(st.actors_alive, 0);
  assert_int_equal(started, get(&g.spawned));
  assert_int_equal(failed, get(&g.spawn_failed));
  assert_int_equal(st.actors_spawned, started);
  assert_int_equal(st.spawn_failures, failed);
  assert_int_equal(st.actors_exited, st.actors_spawned);
  assert_int_equal(st.exits_normal, get(&g.exit_kinds[ART_EXIT_NORMAL]));
  assert_int_equal(st.exits_shutdown, get(&g.exit_kinds[ART_EXIT_SHUTDOWN]));
  assert_int_equal(st.exits_killed, get(&g.exit_kinds[ART_EXIT_KILLED]));
  assert_int_equal(st.exits_error, get(&g.exit_kinds[ART_EXIT_ERROR]));
  /* Messages: every accepted message and exit signal went into a mailbox (a kill is a flag, not
   * a message); each dead letter was reported to the hook; a message given to a handler was
   * taken out of a mailbox, and so was every signal that reached its actor. */
  assert_int_equal(st.messages_sent, messages + signals);
  assert_int_equal(st.dead_letters, dead_letters);
  assert_true(st.dead_letters >= stale_messages);
  assert_true(st.messages_handled >= get(&g.handled) + get(&g.trapped_exits));
  assert_true(st.messages_handled <= st.messages_sent);
  /* A message is handled or a dead letter, once; those that reached an exited actor late are
   * dropped when its block is reclaimed, at the latest in destroy. */
  assert_true(late >= 0);

  assert_int_equal(art_send(g.sys, atomic_load(&g.records[0].pid), MSG_HOP, NULL, 0),
                   ART_ESHUTDOWN);
  art_system_destroy(g.sys);
  g.sys = NULL;

  assert_int_equal(get(&g.handled) + get(&g.dead_letters), messages + stale_messages);
  assert_int_equal(get(&g.boxes_freed), get(&g.boxes_sent));
  assert_int_equal(get(&g.boxes_handled) + get(&g.boxes_dropped), get(&g.boxes_sent));
  assert_int_equal(get(&g.boxes_handled), get(&g.box_handle_calls));
  assert_int_equal(art_test_alloc_live(&ta), 0);
  assert_int_equal(art_test_alloc_live_bytes(&ta), 0);
  assert_int_equal(get(&g.violations), 0); /* the checks in box_free and on_dead_letter */
  free(g.records);
  g.records = NULL;
}

/* Reads `--ms N` (the length of the churn phase); --seed is read by art_test_seed(). */
static void parse_args(int argc, char **argv) {
  for (int i = 1; i + 1 < argc; i++)
    if (strcmp(argv[i], "--ms") == 0)
      run_ms = strtoll(argv[i + 1], NULL, 10);
}

int main(int argc, char **argv) {
  seed = art_test_seed(argc, argv);
  parse_args(argc, argv);
  const struct CMUnitTest tests[] = {cmocka_unit_test(churn)};
  int failed = cmocka_run_group_tests(tests, NULL, NULL);
  if (failed)
    fprintf(stderr, "test_churn failed; replay with --seed %" PRIu64 "\n", seed);
  return failed;
}
