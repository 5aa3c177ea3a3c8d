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
/* A health check reached @p a: answered with its health callback (false), or to be delivered
 * to its handler (true). See actor/supervision.h. */
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
