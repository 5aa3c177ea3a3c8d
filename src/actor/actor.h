/*
 * The actor block and the system object (private).
 *
 * An actor block is three cache lines from an actor pool; actors with a runtime-owned state of
 * at most ART__ACTOR_INLINE_STATE bytes come from a second pool whose blocks carry it inline. Line
 * 0 is written by senders (the mailbox head) and read by them (the pid they check); lines 1-2
 * belong to the thread running the actor.
 *
 * Lifetime: spawn publishes the pid before pre_start and holds the mailbox "scheduled" so no
 * sender can run it early. Exit unpublishes the pid, runs post_stop, drops what is queued
 * (dead letters) and retires the block; the epoch scheme frees it once no sender that looked
 * it up can still be pushing into its mailbox. An exited actor's mailbox is never parked again,
 * so a late sender never schedules it.
 */
#ifndef ART_ACTOR_ACTOR_H
#define ART_ACTOR_ACTOR_H

#include <pthread.h>

#include "art/actor.h"
#include "art/monitor.h"
#include "core/envelope.h"
#include "core/epoch.h"
#include "core/mailbox.h"
#include "core/pidset.h"
#include "core/pidtable.h"
#include "core/pool.h"
#include "core/sched.h"
#include "core/timer.h"

typedef struct art__registry art__registry;

typedef struct art_ctx art__actor;

/* Runtime-internal message types: never reach a handler as such. */
#define ART__MSG_SIGNAL_EXIT 0xFFFFFF01u /* art_send_exit; data: art_exit_msg */
#define ART__MSG_LINK_EXIT 0xFFFFFF02u   /* a linked actor exited; data: art_exit_msg */
#define ART__MSG_LINK 0xFFFFFF03u        /* the sender links to the receiver */
#define ART__MSG_UNLINK 0xFFFFFF04u
#define ART__MSG_MONITOR 0xFFFFFF05u /* the sender monitors the receiver; ref in correlation */
#define ART__MSG_DEMONITOR 0xFFFFFF06u
#define ART__MSG_DOWN 0xFFFFFF07u  /* data: art_down_msg; checked before delivery */
#define ART__MSG_TIMER 0xFFFFFF08u /* timer id in correlation; checked before delivery */
/* ART__MSG_HEALTH_CHECK and ART__MSG_HEALTH_ANSWER: see actor/supervision.h. */

/* Set in the correlation of a reply (with ART_CORRELATION_REQUEST); removed before delivery.
 * Part of ART_CORRELATION_RESERVED, so no user message carries it. */
#define ART__CORRELATION_REPLY (UINT64_C(1) << 62)

/* Timer kinds. */
#define ART__TIMER_USER 0u
#define ART__TIMER_ASK 1u

/* Actor flags (owner only). */
#define ART__ACTOR_STARTED 0x1u /* pre_start succeeded: post_stop is owed */
#define ART__ACTOR_TRAP_EXIT 0x2u
#define ART__ACTOR_OWNS_STATE 0x4u
#define ART__ACTOR_EXITING 0x8u /* art_exit() was called: exit after this callback */
#define ART__ACTOR_EXITED 0x10u
#define ART__ACTOR_INLINE 0x20u /* the block carries ART__ACTOR_INLINE_STATE bytes of state */

/* Signal bits (any thread sets them). */
#define ART__SIGNAL_KILL 0x1u
#define ART__SIGNAL_REGISTERED 0x2u /* has a registry entry: exit must remove it */

#define ART__ACTOR_INLINE_STATE 64u

typedef struct art__ref_pair {
  uint64_t ref; /* monitor reference, or ask correlation */
  uint64_t pid; /* the other side, or the ask's timer */
} art__ref_pair;

typedef struct art__ref_list {
  art__ref_pair *items;
  uint32_t count, cap;
} art__ref_list;

/* What an actor that links, monitors or asks keeps; allocated on first use (owner only). */
typedef struct art__actor_ext {
  art__pid_set links;
  art__ref_list watching;   /* monitors this actor set: (ref, target) */
  art__ref_list watched_by; /* monitors on this actor: (ref, watcher) */
  art__ref_list asks;       /* pending asks: (correlation, timer) */
} art__actor_ext;

typedef struct art__reg_entry art__reg_entry;

struct art_ctx {
  /* line 0: senders */
  ART__ALIGNED_LINE art__mailbox mailbox;
  art_pid pid;              /* immutable while published */
  _Atomic uint32_t signals; /* ART__SIGNAL_* */
  uint32_t capacity;        /* immutable: 0 = unbounded */
  uint8_t overflow;         /* immutable: art_overflow */
  bool dedicated;           /* immutable: runs on its own thread, woken through token */
  art__token token;         /* dedicated: posted on the mailbox's empty→non-empty edge */
  _Atomic uint32_t queued;  /* accepted minus taken out (taken out counted per batch) */
  _Atomic uint32_t high_water;
  _Atomic uint32_t blocked; /* senders waiting for room (ART_OVERFLOW_BLOCK) */
  _Atomic uint64_t dropped;
  /* line 1: the running thread */
  ART__ALIGNED_LINE art__node *tail;
  art__node stub;
  art__task task;
  const art_actor_ops *ops;
  void *state;
  art_system *sys;
  char *name;
  uint32_t flags;
  uint32_t reserved;
  /* line 2 */
  ART__ALIGNED_LINE art__retired retired;
  uint64_t seq;               /* spawn order, for shutdown in reverse */
  _Atomic uint64_t processed; /* written by the running thread only */
  art__actor_ext *ext;
  art__reg_entry *reg; /* guarded by the registry lock */
  int64_t born;        /* monotonic spawn time, when the stopped event was wanted */
};
enum { ART__SYS_RUNNING, ART__SYS_STOPPING, ART__SYS_STOPPED };

struct art_system {
  art__allocator alloc;
  art_system_config cfg;
  char name[32];
  art__epoch epoch;
  art__epoch_rec *worker_epochs;
  art__pidtable pids;
  art__pool actor_pools[2]; /* bare blocks, and blocks with inline state */
  art__pool env_pool;
  art__sched sched;
  art__worker *workers;

  ART__ALIGNED_LINE _Atomic uint64_t alive;
  _Atomic uint64_t spawn_seq;
  _Atomic int state;
  _Atomic uint32_t waiters;
  /* counters of work done outside the workers, and of rare events */
  _Atomic uint64_t ext_sent, ext_spawned, ext_handled, spawn_failures, dead_letters;
  _Atomic uint64_t ext_exits_by_kind[8]; /* exits of dedicated actors */
  _Atomic uint32_t blocked_senders;      /* senders waiting for room in a bounded mailbox */

  pthread_mutex_t wait_lock; /* guards nothing but the condition below */
  pthread_cond_t wait_cond;  /* broadcast when alive reaches 0 */
  pthread_mutex_t shutdown_lock;
  int shutdown_rc;

  art__timers timers;
  art__registry *registry;
  art_event_monitor *monitor; /* never NULL once created */
  bool owns_monitor;
  _Atomic uint64_t next_ref;          /* monitor references and request correlations */
  _Atomic uint32_t space_seq;         /* bumped when a bounded mailbox with blocked senders
                                         makes room; blocked senders wait on it (futex) */
  _Atomic uint32_t dedicated_running; /* threads of dedicated actors still running */
  _Atomic uint64_t random;            /* splitmix64 state of art__random */
  /* Envelope caches of non-worker threads, one per external epoch record: a thread owns the
   * cache of the record it holds for the length of a send, so no lock is needed. */
  struct {
    ART__ALIGNED_LINE art__pool_cache envs;
  } ext_caches[ART__EPOCH_EXT_RECORDS];
};

/* Runs @p a: on its own thread if it has one, else on the scheduler. */
static inline void art__actor_make_runnable(art_system *sys, art__actor *a) {
  if (a->dedicated)
    art__token_post(&a->token);
  else
    art__sched_submit(&sys->sched, &a->task);
}

static inline void art__actor_raise_high_water(art__actor *a, uint32_t depth) {
  uint32_t hw = atomic_load_explicit(&a->high_water, memory_order_relaxed);
  while (depth > hw &&
         !atomic_compare_exchange_weak_explicit(&a->high_water, &hw, depth, memory_order_relaxed,
                                                memory_order_relaxed)) {
  }
}

enum { ART__ROOM_OK, ART__ROOM_FULL, ART__ROOM_DROPPED };

/* Takes a place in @p a's mailbox; *depth receives the number of messages queued with it.
 * Bounded mailboxes may refuse user messages: ART__ROOM_FULL (the caller keeps the message), or
 * ART__ROOM_DROPPED (dropped and counted; a moved payload was freed). */
static inline int art__actor_take_room(art__actor *a, art_pid sender, uint32_t type,
                                       const art_send_args *args, uint32_t *depth) {
  uint32_t q = atomic_fetch_add_explicit(&a->queued, 1, memory_order_seq_cst);
  *depth = q + 1;
  if (ART__LIKELY(!a->capacity || q < a->capacity || type >= ART_MSG_RESERVED)) {
    art__actor_raise_high_water(a, q + 1);
    return ART__ROOM_OK;
  }
  atomic_fetch_sub_explicit(&a->queued, 1, memory_order_relaxed);
  *depth = q;
  bool drop = a->overflow == ART_OVERFLOW_DROP;
  ART_MONITOR_EVENT(a->sys->monitor,
                    drop ? ART_EVENT_MAILBOX_MESSAGE_DROPPED : ART_EVENT_MAILBOX_CAPACITY_REACHED,
                    ART_SEVERITY_WARNING, ev, {
                      ev.pid = a->pid;
                      ev.other = sender;
                      ev.count = q;
                      ev.capacity = a->capacity;
                    });
  if (!drop)
    return ART__ROOM_FULL;
  atomic_fetch_add_explicit(&a->dropped, 1, memory_order_relaxed);
  if (args->free_fn) /* dropping takes the message: a moved payload is freed now */
    args->free_fn((void *)(uintptr_t)args->data);
  return ART__ROOM_DROPPED;
}

/* Queues an envelope of @p type from @p sender with payload @p args in @p a's mailbox, after
 * art__actor_take_room() gave it a place (@p depth); the envelope comes from @p cache. On an
 * error (ART_ENOMEM) the place is given back and the payload stays the caller's. *woke is set
 * if the mailbox was parked: the caller must make @p a runnable. */
static inline int art__actor_enqueue(art_system *sys, art__actor *a, art__pool_cache *cache,
                                     art_pid sender, uint32_t type, const art_send_args *args,
                                     uint32_t depth, bool *woke) {
  art__env *env = art__pool_alloc(&sys->env_pool, cache);
  if (ART__UNLIKELY(!env)) {
    atomic_fetch_sub_explicit(&a->queued, 1, memory_order_relaxed);
    return ART_ENOMEM;
  }
  env->msg.type = type;
  env->msg.correlation = args->correlation;
  env->msg.sender = sender;
  int rc = art__env_set_payload(&sys->alloc, env, args);
  if (ART__UNLIKELY(rc != 0)) {
    atomic_fetch_sub_explicit(&a->queued, 1, memory_order_relaxed);
    art__pool_free(&sys->env_pool, cache, env);
    return rc;
  }
  ART_MONITOR_EVENT(sys->monitor, ART_EVENT_MAILBOX_MESSAGE_ENQUEUED, ART_SEVERITY_TRACE, ev, {
    ev.pid = a->pid;
    ev.other = sender;
    ev.count = depth;
    ev.capacity = a->capacity;
  });
  *woke = art__mailbox_push(&a->mailbox, &env->node);
  return 0;
}

/*
 * A fan-out: one message to many actors (the broker's publish), inside one epoch section, with
 * the actors it wakes made runnable together at the end. Between begin and end the caller may
 * read anything the system's epoch protects.
 */
#define ART__FANOUT_WOKEN 64

typedef struct art__fanout {
  art_system *sys;
  art__worker *w;        /* NULL off the workers */
  art__epoch_rec *rec;   /* the epoch record held off the workers */
  art__pool_cache *envs; /* the envelope cache of this thread */
  uint64_t sent;
  uint32_t nwoken;
  art__task *woken[ART__FANOUT_WOKEN];
} art__fanout;

/* Enters the epoch section. ART_ESHUTDOWN (nothing entered) if the system has stopped. */
int art__fanout_begin(art__fanout *f, art_system *sys);
/*
 * One delivery of @p args (a moved payload, free_fn set) to @p to: 0 (queued), ART__FANOUT_DROPPED
 * (a full mailbox with ART_OVERFLOW_DROP dropped it and called free_fn), ART_ESRCH (stale pid:
 * counted as a dead letter), ART_EAGAIN (full bounded mailbox; never waits, whatever the
 * policy), ART_ENOMEM. On an error the payload stays the caller's.
 */
#define ART__FANOUT_DROPPED 1
int art__fanout_send(art__fanout *f, art_pid to, art_pid sender, uint32_t type,
                     const art_send_args *args);
/* Makes the woken actors runnable, counts the sends, leaves the epoch section. */
void art__fanout_end(art__fanout *f);

/* The scheduler's callbacks. */
bool art__actor_run(art__task *task, art__worker *w, void *sys);
void art__actor_reclaim(art__retired *item, void *sys);

/* The actor whose callback runs on this thread, or NULL. */
art__actor *art__actor_current(void);

/* The path every send takes: an envelope of @p type from @p sender with payload @p args. A
 * runtime message (type >= ART_MSG_RESERVED) is never refused by a bounded mailbox. */
int art__send(art_system *sys, art_pid to, art_pid sender, uint32_t type,
              const art_send_args *args);
/* Calls @p fn for every published actor, inside an epoch section (so @p fn may read the actor
 * but must not keep it). Actors spawned or exiting meanwhile may or may not be visited. */
void art__actor_for_each(art_system *sys, void (*fn)(art__actor *a, void *arg), void *arg);
/* The pid of the actor running on this thread if it belongs to @p sys, else ART_PID_NONE. */
art_pid art__sender(art_system *sys);
/* Runs actors of a deterministic system on the calling thread until idle. */
int64_t art__system_drive(art_system *sys);

void art__actor_set_exit(art__actor *a, const art_exit_reason *r);
bool art__actor_traps_exits(const art__actor *a);

/* Extensions (links, monitors, asks): lazily allocated, owner only. */
art__actor_ext *art__actor_ext_get(art__actor *a);
int art__ref_list_add(art_system *sys, art__ref_list *l, uint64_t ref, uint64_t pid);
bool art__ref_list_take(art__ref_list *l, uint64_t ref, art__ref_pair *out);

/* Handles a runtime message; returns true if it is to be delivered to the handler as
 * (possibly rewritten) env->msg. */
bool art__actor_system_message(art__actor *a, art__env *env);
/* A health check reached @p a: answers it (see actor/supervision.h); false, never delivered. */
bool art__actor_health_check(art__actor *a, art__env *env);
/* On exit: signal links and monitors, release the name, cancel pending asks. */
void art__actor_exit_services(art__actor *a, const art_exit_reason *reason);
/* A runtime message that will never be handled (its actor exited): answers link and monitor
 * requests with @p reason (the actor's exit reason, or noproc when drained late). */
void art__actor_undeliverable(art_system *sys, art_pid self, art__env *env,
                              const art_exit_reason *reason);
/* The registry. */
int art__registry_create(art_system *sys);
void art__registry_destroy(art_system *sys);
void art__registry_remove_actor(art_system *sys, art__actor *a);
/* Timers: the fire callback. */
int art__timer_fire(void *sys, art__timer *t);
/* A dead letter: counted and shown to the hook. */
void art__dead_letter(art_system *sys, art_pid sender, art_pid target, uint32_t type);

#endif /* ART_ACTOR_ACTOR_H */
