/*
 * The actor block and the system object (private).
 *
 * An actor block is three cache lines from the actor pool, followed by up to
 * ART__ACTOR_INLINE_STATE bytes of user state. Line 0 is written by senders (the mailbox head)
 * and read by them (the pid they check); lines 1-2 belong to the thread running the actor.
 *
 * Lifetime: spawn publishes the pid before pre_start and holds the mailbox "scheduled" so no
 * sender can run it early. Exit unpublishes the pid, runs post_stop, drops what is queued
 * (dead letters) and retires the block; the epoch scheme frees it once no sender that looked
 * it up can still be pushing into its mailbox. An exited actor's mailbox is never parked again,
 * so a late sender never schedules it.
 */
#ifndef ART_ACTOR_INTERNAL_H
#define ART_ACTOR_INTERNAL_H

#include <pthread.h>

#include "art/actor.h"
#include "core/envelope.h"
#include "core/epoch.h"
#include "core/mailbox.h"
#include "core/pidtable.h"
#include "core/pool.h"
#include "core/sched.h"

typedef struct art_ctx art__actor;

/* Runtime-internal message types (never reach a handler as such). */
#define ART__MSG_SIGNAL_EXIT 0xFFFFFF01u

/* Actor flags (owner only). */
#define ART__ACTOR_STARTED 0x1u   /* pre_start succeeded: post_stop is owed */
#define ART__ACTOR_TRAP_EXIT 0x2u
#define ART__ACTOR_OWNS_STATE 0x4u
#define ART__ACTOR_EXITING 0x8u   /* art_exit() was called: exit after this callback */
#define ART__ACTOR_EXITED 0x10u

/* Signal bits (any thread sets them). */
#define ART__SIGNAL_KILL 0x1u

#define ART__ACTOR_INLINE_STATE 64u

struct art_ctx {
  /* line 0: senders */
  ART__ALIGNED_LINE art__mailbox mailbox;
  art_pid pid;               /* immutable while published */
  _Atomic uint32_t signals;  /* ART__SIGNAL_* */
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
  uint64_t seq; /* spawn order, for shutdown in reverse */
};

_Static_assert(sizeof(struct art_ctx) == 3 * ART__CACHE_LINE, "actor block layout");

enum { ART__SYS_RUNNING, ART__SYS_STOPPING, ART__SYS_STOPPED };

struct art_system {
  art__allocator alloc;
  art_system_config cfg;
  char name[32];
  art__epoch epoch;
  art__epoch_rec *worker_epochs;
  art__pidtable pids;
  art__pool actor_pool;
  art__pool env_pool;
  art__sched sched;
  art__worker *workers;

  ART__ALIGNED_LINE _Atomic uint64_t alive;
  _Atomic uint64_t spawn_seq;
  _Atomic int state;
  _Atomic uint32_t waiters;
  /* counters of work done outside the workers, and of rare events */
  _Atomic uint64_t ext_sent, ext_spawned, spawn_failures, dead_letters;

  pthread_mutex_t wait_lock; /* guards nothing but the condition below */
  pthread_cond_t wait_cond;  /* broadcast when alive reaches 0 */
  pthread_mutex_t shutdown_lock;
  int shutdown_rc;
};

/* The scheduler's callbacks. */
bool art__actor_run(art__task *task, art__worker *w, void *sys);
void art__actor_reclaim(art__retired *item, void *sys);

/* The actor whose callback runs on this thread, or NULL. */
art__actor *art__actor_current(void);

/* Sends an envelope of @p type with payload @p args to @p to; the path every send takes. */
int art__send(art_system *sys, art_pid to, uint32_t type, const art_send_args *args);

static inline void art__stat_add(_Atomic uint64_t *c, uint64_t n) {
  atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
                        memory_order_relaxed);
}

#endif /* ART_ACTOR_INTERNAL_H */
