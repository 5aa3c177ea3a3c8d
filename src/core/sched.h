/*
 * The scheduler: N worker threads running tasks (actors) from per-worker run queues.
 *
 * Each worker has a "run next" slot and a bounded ring (Go's design). A task made runnable by
 * code running on a worker goes to that worker's run-next slot, pushing the previous occupant
 * to the ring, so a sender and the receiver it woke stay on one core. Tasks made runnable by
 * other threads go to the global queue. An idle worker takes from the global queue, then
 * steals half of another worker's ring, spins for `spin_ns`, and only then parks. A parked
 * worker is woken only when a task is queued where it could take it and no worker is spinning.
 *
 * Locking: rings and run-next are lock-free; the global queue and the list of parked workers
 * each have a mutex, taken once per batch of tasks or per park. Lifetime: tasks are owned by
 * the caller; the scheduler only links them.
 */
#ifndef ART_CORE_SCHED_H
#define ART_CORE_SCHED_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "core/epoch.h"
#include "core/pidtable.h"
#include "core/pool.h"
#include "platform/platform.h"

typedef struct art__task {
  struct art__task *next; /* global queue link */
} art__task;

#define ART__RUNQ_SIZE 256u

typedef struct art__runq {
  ART__ALIGNED_LINE _Atomic uint32_t head; /* taken by the owner and thieves with CAS */
  ART__ALIGNED_LINE _Atomic uint32_t tail; /* written by the owner only */
  _Atomic(art__task *) runnext;            /* owner, or a thief after the victim stalls */
  _Atomic uint64_t ticks;                  /* activations started: thieves detect a stall */
  _Atomic(art__task *) slots[ART__RUNQ_SIZE];
} art__runq;

typedef struct art__sched art__sched;

/* Per-worker counters: written by the owner only (relaxed load + store), read by anyone. */
typedef struct art__worker_stats {
  _Atomic uint64_t sent, handled, spawned, exits_by_kind[8], dead_letters, steals, parks;
} art__worker_stats;

/* Adds to a per-worker counter: owner only, so a relaxed load and store, no atomic RMW. */
static inline void art__stat_add(_Atomic uint64_t *c, uint64_t n) {
  atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n, memory_order_relaxed);
}

typedef struct art__worker {
  art__runq q;
  ART__ALIGNED_LINE art__sched *sched;
  uint32_t id;
  uint64_t rng;
  void *current;             /* the actor whose callback runs now (actor layer) */
  art__pool_cache envs;      /* envelope blocks */
  art__pool_cache actors[2]; /* actor blocks: bare, and with inline state */
  art__pid_cache pids;
  art__retire_list retired;
  uint32_t reclaim_at;     /* retired.count that triggers the next reclaim */
  uint32_t runnext_streak; /* activations taken from run-next in a row */
  art__worker_stats stats;
  bool spinning;
  /* remembered stall of another worker's run-next: (victim, ticks, since) */
  uint32_t stall_victim;
  uint64_t stall_ticks;
  int64_t stall_since;
  struct art__worker *next_idle;
  pthread_t thread;
  bool started;
  ART__ALIGNED_LINE art__token token;
} art__worker;

/* Runs @p task for one activation on @p w. Returns true if the task is still runnable and must
 * be queued again, false if it parked itself (or exited). */
typedef bool (*art__run_fn)(art__task *task, art__worker *w, void *ctx);
/* Frees a retired object once no reader can hold it. */
typedef void (*art__reclaim_fn)(art__retired *item, void *ctx);

struct art__sched {
  art__worker *workers;
  uint32_t nworkers;
  int64_t spin_ns;
  art__run_fn run;
  art__reclaim_fn reclaim;
  void *ctx;
  art__epoch *epoch;
  char name[16];

  /* The global queue: a growable ring of task pointers, so that moving batches never touches
   * the (cold) actor blocks; the intrusive list takes what the ring cannot when growing it
   * fails, so no runnable task is ever lost. */
  ART__ALIGNED_LINE pthread_mutex_t global_lock;
  art__task **global_ring;
  uint32_t global_cap, global_first, global_count;
  art__task *global_head, *global_tail; /* the fallback list */
  _Atomic uint32_t global_len;          /* ring + list */
  const art__allocator *alloc;

  ART__ALIGNED_LINE _Atomic uint32_t nspinning;
  _Atomic uint32_t nparked;
  _Atomic bool stopping;
  pthread_mutex_t idle_lock;
  art__worker *idle;

  /* objects retired by non-worker threads; reclaimed by workers when idle and at the end */
  pthread_mutex_t retired_lock;
  art__retire_list retired;
  _Atomic uint32_t retired_external; /* retired.count, readable without the lock (a hint) */
};

/* The worker the calling thread is, or NULL. */
extern ART__THREAD_LOCAL art__worker *art__tls_worker;

int art__sched_init(art__sched *s, art__worker *workers, uint32_t n, const char *name,
                    int64_t spin_ns, art__epoch *epoch, const art__allocator *alloc,
                    art__run_fn run, art__reclaim_fn reclaim, void *ctx);
int art__sched_start(art__sched *s);
/* Stops and joins the workers. Call when no task is runnable any more. */
void art__sched_stop(art__sched *s);
void art__sched_fini(art__sched *s);

/* Runs tasks on the calling thread, as worker 0, until none is runnable (deterministic mode:
 * the scheduler was never started). Returns the number of activations. */
int64_t art__sched_drive(art__sched *s);

/* Makes @p task runnable. On one of this scheduler's workers it goes to the run-next slot;
 * elsewhere to the global queue. */
void art__sched_submit(art__sched *s, art__task *task);

/* Makes @p n tasks runnable at once: on a worker into its ring, elsewhere into the global queue
 * under one lock; one wake-up for all. */
void art__sched_submit_many(art__sched *s, art__task *const *tasks, uint32_t n);

/* Retires an object from a non-worker thread. */
void art__sched_retire_external(art__sched *s, art__retired *item);
/* Reclaims everything retired, ignoring readers: only once no reader can exist. */
void art__sched_reclaim_all(art__sched *s);

static inline art__worker *art__sched_current(const art__sched *s) {
  art__worker *w = art__tls_worker;
  return w && w->sched == s ? w : NULL;
}

#endif /* ART_CORE_SCHED_H */
