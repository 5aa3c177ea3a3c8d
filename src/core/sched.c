/* The scheduler; the design is described in sched.h. */
#include "core/sched.h"

#include <stdio.h>
#include <string.h>

ART__THREAD_LOCAL art__worker *art__tls_worker;

/* Activations between two looks at the global queue, so that it cannot starve (Go uses 61). */
#define GLOBAL_CHECK_INTERVAL 61
/* A run-next slot that has not moved for this long on a worker busy with one activation may be
 * stolen. */
#define RUNNEXT_STALL_NS 20000
/* How long a worker that holds retired actors sleeps before it tries to free them again. */
#define RECLAIM_RETRY_NS 1000000
/* Activations in a row taken from the run-next slot before the ring gets a turn. */
#define RUNNEXT_STREAK 128
/* Retired actors a worker collects before it tries to reclaim them. */
#define RECLAIM_THRESHOLD 64

static uint64_t rng_next(uint64_t *state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* ---- the global queue ---------------------------------------------------------------- */

/* Lock held. Grows the ring to hold @p more tasks; false if that cannot be done. */
static bool global_reserve(art__sched *s, uint32_t more) {
  if (s->global_count + more <= s->global_cap)
    return true;
  uint32_t cap = s->global_cap ? s->global_cap : 1024;
  while (cap < s->global_count + more)
    cap *= 2;
  art__task **ring = art__alloc(s->alloc, cap * sizeof *ring);
  if (!ring)
    return false;
  for (uint32_t i = 0; i < s->global_count; i++)
    ring[i] = s->global_ring[(s->global_first + i) % s->global_cap];
  art__free(s->alloc, s->global_ring);
  s->global_ring = ring;
  s->global_cap = cap;
  s->global_first = 0;
  return true;
}

static void global_push(art__sched *s, art__task *const *tasks, uint32_t n) {
  pthread_mutex_lock(&s->global_lock);
  if (global_reserve(s, n)) {
    for (uint32_t i = 0; i < n; i++)
      s->global_ring[(s->global_first + s->global_count + i) % s->global_cap] = tasks[i];
    s->global_count += n;
  } else {
    for (uint32_t i = 0; i < n; i++) {
      tasks[i]->next = NULL;
      if (s->global_tail)
        s->global_tail->next = tasks[i];
      else
        s->global_head = tasks[i];
      s->global_tail = tasks[i];
    }
  }
  /* seq_cst: the Dekker pair with parking workers, see park(). */
  atomic_fetch_add(&s->global_len, n);
  pthread_mutex_unlock(&s->global_lock);
}

static bool runq_push(art__worker *w, art__task *task);
static void wake_one(art__sched *s);

/* Takes a share of the global queue: one task to run now, more into the ring. The rest are
 * now behind the task this worker is about to run, which may take long: another worker is
 * woken (if none spins) to steal them, as any worker that queues stealable work does. Without
 * it, a worker taking its share outside spin() left them there while the others slept. */
static art__task *global_take(art__worker *w) {
  art__sched *s = w->sched;
  if (atomic_load(&s->global_len) == 0)
    return NULL;
  art__task *batch[ART__RUNQ_SIZE / 2];
  uint32_t n = 0;
  pthread_mutex_lock(&s->global_lock);
  uint32_t len = atomic_load_explicit(&s->global_len, memory_order_relaxed);
  uint32_t want = len / s->nworkers + 1;
  if (want > ART__RUNQ_SIZE / 2)
    want = ART__RUNQ_SIZE / 2;
  for (; n < want && s->global_count; n++) {
    batch[n] = s->global_ring[s->global_first];
    s->global_first = (s->global_first + 1) % s->global_cap;
    s->global_count--;
  }
  for (; n < want && s->global_head; n++) {
    batch[n] = s->global_head;
    if (!(s->global_head = s->global_head->next))
      s->global_tail = NULL;
  }
  if (n)
    atomic_fetch_sub(&s->global_len, n);
  pthread_mutex_unlock(&s->global_lock);
  if (!n)
    return NULL;
  for (uint32_t i = 1; i < n; i++)
    runq_push(w, batch[i]);
  if (n > 1)
    wake_one(s);
  return batch[0];
}

/* ---- the per-worker ring ---------------------------------------------------------------- */

/* Owner only. Returns false if the ring was full and half of it went to the global queue. */
static bool runq_push(art__worker *w, art__task *task) {
  art__runq *q = &w->q;
  for (;;) {
    /* Acquire: pairs with the CAS of consumers on head, so their reads of the slots are done
     * before we overwrite them. */
    uint32_t h = atomic_load_explicit(&q->head, memory_order_acquire);
    uint32_t t = atomic_load_explicit(&q->tail, memory_order_relaxed);
    if (t - h < ART__RUNQ_SIZE) {
      atomic_store_explicit(&q->slots[t % ART__RUNQ_SIZE], task, memory_order_relaxed);
      /* Release: pairs with the acquire loads of tail by thieves; publishes the slot. */
      atomic_store_explicit(&q->tail, t + 1, memory_order_release);
      return true;
    }
    /* Full: move the older half and the new task to the global queue. */
    uint32_t n = ART__RUNQ_SIZE / 2;
    art__task *batch[ART__RUNQ_SIZE / 2 + 1];
    for (uint32_t i = 0; i < n; i++)
      batch[i] = atomic_load_explicit(&q->slots[(h + i) % ART__RUNQ_SIZE], memory_order_relaxed);
    if (!atomic_compare_exchange_strong_explicit(&q->head, &h, h + n, memory_order_acq_rel,
                                                 memory_order_relaxed))
      continue; /* a thief took some: the ring has room now */
    batch[n] = task;
    global_push(w->sched, batch, n + 1);
    return false;
  }
}

/* Owner only. */
static art__task *runq_pop(art__worker *w) {
  art__runq *q = &w->q;
  for (;;) {
    uint32_t h = atomic_load_explicit(&q->head, memory_order_acquire);
    uint32_t t = atomic_load_explicit(&q->tail, memory_order_relaxed);
    if (t == h)
      return NULL;
    art__task *task = atomic_load_explicit(&q->slots[h % ART__RUNQ_SIZE], memory_order_relaxed);
    if (atomic_compare_exchange_weak_explicit(&q->head, &h, h + 1, memory_order_acq_rel,
                                              memory_order_relaxed))
      return task;
  }
}

static bool runq_empty(art__worker *w) {
  return atomic_load(&w->q.head) == atomic_load(&w->q.tail) && !atomic_load(&w->q.runnext);
}

/* Any thread: takes half of @p q's ring into @p out. Returns how many. */
static uint32_t runq_grab(art__runq *q, art__task **out) {
  for (;;) {
    uint32_t h = atomic_load_explicit(&q->head, memory_order_acquire);
    /* Acquire: pairs with the owner's release store of tail. */
    uint32_t t = atomic_load_explicit(&q->tail, memory_order_acquire);
    uint32_t n = t - h;
    n -= n / 2;
    if (n == 0)
      return 0;
    if (n > ART__RUNQ_SIZE / 2)
      continue; /* head and tail read at different times */
    for (uint32_t i = 0; i < n; i++)
      out[i] = atomic_load_explicit(&q->slots[(h + i) % ART__RUNQ_SIZE], memory_order_relaxed);
    if (atomic_compare_exchange_strong_explicit(&q->head, &h, h + n, memory_order_acq_rel,
                                                memory_order_relaxed))
      return n;
  }
}

/* Takes the victim's run-next if its worker has been inside one activation for a while. */
static art__task *steal_runnext(art__worker *w, art__worker *victim) {
  if (!atomic_load_explicit(&victim->q.runnext, memory_order_relaxed))
    return NULL;
  uint64_t ticks = atomic_load_explicit(&victim->q.ticks, memory_order_relaxed);
  int64_t now = art__clock_mono();
  if (w->stall_victim != victim->id || w->stall_ticks != ticks) {
    w->stall_victim = victim->id;
    w->stall_ticks = ticks;
    w->stall_since = now;
    return NULL;
  }
  if (now - w->stall_since < RUNNEXT_STALL_NS)
    return NULL;
  /* Acquire: pairs with the release store that put the task there. */
  return atomic_exchange_explicit(&victim->q.runnext, NULL, memory_order_acquire);
}

static art__task *steal(art__worker *w) {
  art__sched *s = w->sched;
  if (s->nworkers < 2)
    return NULL;
  art__task *batch[ART__RUNQ_SIZE / 2];
  uint32_t start = (uint32_t)(rng_next(&w->rng) % s->nworkers);
  for (uint32_t k = 0; k < s->nworkers; k++) {
    art__worker *v = &s->workers[(start + k) % s->nworkers];
    if (v == w)
      continue;
    uint32_t n = runq_grab(&v->q, batch);
    art__task *task = n ? batch[--n] : steal_runnext(w, v);
    if (!task)
      continue;
    for (uint32_t i = 0; i < n; i++)
      runq_push(w, batch[i]);
    art__stat_add(&w->stats.steals, n + 1);
    return task;
  }
  return NULL;
}

/* ---- waking and parking ------------------------------------------------------------------ */

/* Called after work was queued where another worker could take it. Wakes one parked worker if
 * none is spinning (a spinning worker will find the work); the woken one starts spinning. */
static void wake_one(art__sched *s) {
  /* seq_cst loads: the Dekker pair with park(). */
  if (atomic_load(&s->nparked) == 0)
    return;
  uint32_t zero = 0;
  if (!atomic_compare_exchange_strong(&s->nspinning, &zero, 1))
    return;
  pthread_mutex_lock(&s->idle_lock);
  art__worker *w = s->idle;
  if (w) {
    s->idle = w->next_idle;
    atomic_fetch_sub(&s->nparked, 1);
  }
  pthread_mutex_unlock(&s->idle_lock);
  if (!w) {
    atomic_fetch_sub(&s->nspinning, 1);
    return;
  }
  w->spinning = true; /* counted above on its behalf; it reads this after the token */
  art__token_post(&w->token);
}

/* Work an idle worker could take: the global queue and the rings (not run-next slots, which
 * their owners take next; a stalled one is found by spinning thieves). */
static bool any_work(art__sched *s) {
  if (atomic_load(&s->global_len))
    return true;
  for (uint32_t i = 0; i < s->nworkers; i++)
    if (atomic_load(&s->workers[i].q.head) != atomic_load(&s->workers[i].q.tail))
      return true;
  return false;
}

/* Removes @p w from the idle list if it is still there; returns false if a waker took it (a
 * token is then on its way). */
static bool unpark_self(art__sched *s, art__worker *w) {
  bool found = false;
  pthread_mutex_lock(&s->idle_lock);
  for (art__worker **p = &s->idle; *p; p = &(*p)->next_idle) {
    if (*p == w) {
      *p = w->next_idle;
      atomic_fetch_sub(&s->nparked, 1);
      found = true;
      break;
    }
  }
  pthread_mutex_unlock(&s->idle_lock);
  return found;
}

static void reclaim(art__worker *w) {
  art__sched *s = w->sched;
  if (w->retired.head)
    art__epoch_reclaim(s->epoch, &w->retired, s->reclaim, s->ctx);
  if (atomic_load_explicit(&s->retired_external, memory_order_relaxed) &&
      pthread_mutex_trylock(&s->retired_lock) == 0) {
    art__epoch_reclaim(s->epoch, &s->retired, s->reclaim, s->ctx);
    atomic_store_explicit(&s->retired_external, s->retired.count, memory_order_relaxed);
    pthread_mutex_unlock(&s->retired_lock);
  }
  /* Try again only after as many more retirements: a reader stuck in a long activation must
   * not make every activation here scan all the records. */
  w->reclaim_at = w->retired.count + RECLAIM_THRESHOLD;
}

/* Before going idle: this worker's own last announcement holds back what it retired since, so
 * reclaim, announce the epoch the first pass opened, and reclaim again. */
static void reclaim_before_idle(art__worker *w) {
  reclaim(w);
  art__epoch_quiescent(&w->sched->epoch->workers[w->id], w->sched->epoch);
  reclaim(w);
}

static bool retired_pending(art__worker *w) {
  return w->retired.head || atomic_load_explicit(&w->sched->retired_external, memory_order_relaxed);
}

/* Takes @p w out of the spinning count if it is in it. Returns true if it was the last
 * spinner. */
static bool leave_spinning(art__worker *w) {
  if (!w->spinning)
    return false;
  w->spinning = false;
  return atomic_fetch_sub(&w->sched->nspinning, 1) == 1;
}

/* Parks @p w until it is woken. The order matters: stop spinning, announce parked, then look
 * for work once more (all seq_cst). A submitter queues, then reads nparked and nspinning: if it
 * saw nparked == 0, its task is visible to the look below; otherwise it wakes a parked worker
 * unless another worker spins, and a spinner looks again before it parks. `spinning` is set by
 * a waker only after taking this worker off the idle list (under idle_lock), so this thread
 * changes it only before it joins the list. */
static void park(art__worker *w) {
  art__sched *s = w->sched;
  /* Reclaiming answers late requests to dead actors, which may make an actor runnable here. */
  reclaim_before_idle(w);
  if (!runq_empty(w))
    return;
  leave_spinning(w);
  pthread_mutex_lock(&s->idle_lock);
  w->next_idle = s->idle;
  s->idle = w;
  atomic_fetch_add(&s->nparked, 1);
  pthread_mutex_unlock(&s->idle_lock);
  if ((any_work(s) || atomic_load(&s->stopping)) && unpark_self(s, w))
    return;
  art__stat_add(&w->stats.parks, 1);
  art__epoch_offline(&s->epoch->workers[w->id]);
  /* Retired actors still held back by other readers: come back to free them (their mailboxes
   * may hold requests that are owed an answer), rather than sleep on them. */
  if (!art__token_wait(&w->token, retired_pending(w) ? RECLAIM_RETRY_NS : -1) && !unpark_self(s, w))
    art__token_wait(&w->token, -1); /* a waker took us off the list: its token is coming */
  art__epoch_online(&s->epoch->workers[w->id], s->epoch);
}

/* ---- the worker loop ------------------------------------------------------------------------ */

static art__task *find_local(art__worker *w, uint64_t tick) {
  art__task *t = NULL;
  if (tick % GLOBAL_CHECK_INTERVAL == 0 && (t = global_take(w)))
    return t;
  if (atomic_load_explicit(&w->q.runnext, memory_order_relaxed) &&
      (t = atomic_exchange_explicit(&w->q.runnext, NULL, memory_order_acquire))) {
    /* Run-next goes first, but a pair of actors that keep waking each other would hold the
     * worker for ever: after RUNNEXT_STREAK turns in a row, it waits behind the ring (Go's
     * time-slice inheritance does the same). */
    if (++w->runnext_streak <= RUNNEXT_STREAK)
      return t;
    w->runnext_streak = 0;
    art__task *first = runq_pop(w);
    if (!first)
      return t;
    runq_push(w, t);
    return first;
  }
  w->runnext_streak = 0;
  if ((t = runq_pop(w)))
    return t;
  return global_take(w);
}

/* Spins for up to spin_ns looking for work anywhere. */
static art__task *spin(art__worker *w) {
  art__sched *s = w->sched;
  if (!w->spinning) {
    w->spinning = true;
    atomic_fetch_add(&s->nspinning, 1);
  }
  int64_t until = art__clock_mono() + s->spin_ns;
  art__task *t;
  do {
    if ((t = global_take(w)) || (t = steal(w)) || (t = runq_pop(w)))
      return t;
    if (atomic_load_explicit(&s->stopping, memory_order_relaxed))
      return NULL;
    for (int i = 0; i < 16; i++)
      art__cpu_relax();
  } while (art__clock_mono() < until);
  return NULL;
}

/* The spinner that found work stops spinning; if it was the last one, another worker is woken
 * to keep looking, since more work may follow (Go's rule). */
static void stop_spinning(art__worker *w) {
  if (leave_spinning(w))
    wake_one(w->sched);
}

static void run_task(art__worker *w, art__task *task) {
  art__sched *s = w->sched;
  for (;;) {
    atomic_store_explicit(&w->q.ticks, atomic_load_explicit(&w->q.ticks, memory_order_relaxed) + 1,
                          memory_order_relaxed);
    bool again = s->run(task, w, s->ctx);
    art__epoch_quiescent(&s->epoch->workers[w->id], s->epoch);
    if (!again)
      return;
    /* Still runnable: keep running it if nothing else waits here (rule: batching), else put
     * it behind the others. */
    if (!runq_empty(w) || atomic_load_explicit(&s->global_len, memory_order_relaxed)) {
      runq_push(w, task);
      wake_one(s);
      return;
    }
  }
}

static void *worker_main(void *arg) {
  art__worker *w = arg;
  art__sched *s = w->sched;
  char name[16];
  snprintf(name, sizeof name, "%.10s-w%u", s->name, w->id);
  art__thread_set_name(name);
  art__tls_worker = w;
  art__epoch_online(&s->epoch->workers[w->id], s->epoch);
  uint64_t tick = 0;
  for (;;) {
    art__task *task = find_local(w, ++tick);
    if (!task) {
      if (atomic_load(&s->stopping))
        break;
      task = spin(w);
      if (!task) {
        park(w);
        continue;
      }
    }
    stop_spinning(w);
    run_task(w, task);
    if (w->retired.count >= w->reclaim_at)
      reclaim(w);
  }
  leave_spinning(w);
  art__epoch_offline(&s->epoch->workers[w->id]);
  art__tls_worker = NULL;
  return NULL;
}

/* ---- the public face of the scheduler ------------------------------------------------------ */

int64_t art__sched_drive(art__sched *s) {
  art__worker *w = &s->workers[0];
  art__worker *saved = art__tls_worker;
  art__tls_worker = w;
  art__epoch_online(&s->epoch->workers[w->id], s->epoch);
  int64_t n = 0;
  uint64_t tick = 0;
  for (;;) {
    art__task *task;
    while ((task = find_local(w, ++tick)) != NULL) {
      run_task(w, task);
      n++;
      if (w->retired.count >= w->reclaim_at)
        reclaim(w);
    }
    reclaim_before_idle(w); /* may answer late requests, making actors runnable again */
    if (runq_empty(w) && !atomic_load(&s->global_len))
      break;
  }
  art__epoch_offline(&s->epoch->workers[w->id]);
  art__tls_worker = saved;
  return n;
}

void art__sched_submit(art__sched *s, art__task *task) {
  art__worker *w = art__sched_current(s);
  if (w) {
    /* Release: pairs with the acquire exchange of whoever takes run-next. */
    art__task *old = atomic_exchange_explicit(&w->q.runnext, task, memory_order_acq_rel);
    if (!old)
      return;
    runq_push(w, old);
  } else {
    global_push(s, &task, 1);
  }
  wake_one(s);
}

void art__sched_submit_many(art__sched *s, art__task *const *tasks, uint32_t n) {
  if (n == 0)
    return;
  art__worker *w = art__sched_current(s);
  if (w) {
    /* Into the ring, not run-next: a fan-out wakes many actors and none of them should jump
     * the queue ahead of the others. */
    for (uint32_t i = 0; i < n; i++)
      runq_push(w, tasks[i]);
  } else {
    global_push(s, tasks, n);
  }
  wake_one(s);
}

int art__sched_init(art__sched *s, art__worker *workers, uint32_t n, const char *name,
                    int64_t spin_ns, art__epoch *epoch, const art__allocator *alloc,
                    art__run_fn run, art__reclaim_fn reclaim_fn, void *ctx) {
  memset(s, 0, sizeof *s);
  s->alloc = alloc;
  s->workers = workers;
  s->nworkers = n;
  s->spin_ns = spin_ns;
  s->epoch = epoch;
  s->run = run;
  s->reclaim = reclaim_fn;
  s->ctx = ctx;
  snprintf(s->name, sizeof s->name, "%s", name);
  art__retire_list_init(&s->retired);
  if (pthread_mutex_init(&s->global_lock, NULL))
    return ART_ENOMEM;
  if (pthread_mutex_init(&s->idle_lock, NULL)) {
    pthread_mutex_destroy(&s->global_lock);
    return ART_ENOMEM;
  }
  if (pthread_mutex_init(&s->retired_lock, NULL)) {
    pthread_mutex_destroy(&s->idle_lock);
    pthread_mutex_destroy(&s->global_lock);
    return ART_ENOMEM;
  }
  for (uint32_t i = 0; i < n; i++) {
    art__worker *w = &workers[i];
    memset(w, 0, sizeof *w);
    w->sched = s;
    w->id = i;
    w->rng = 0x853c49e6748fea9bull * (i + 1);
    w->stall_victim = UINT32_MAX;
    w->reclaim_at = RECLAIM_THRESHOLD;
    art__retire_list_init(&w->retired);
  }
  return 0;
}

int art__sched_start(art__sched *s) {
  for (uint32_t i = 0; i < s->nworkers; i++) {
    int rc = pthread_create(&s->workers[i].thread, NULL, worker_main, &s->workers[i]);
    if (rc) {
      art__sched_stop(s);
      return -rc;
    }
    s->workers[i].started = true;
  }
  return 0;
}

void art__sched_stop(art__sched *s) {
  atomic_store(&s->stopping, true);
  for (uint32_t i = 0; i < s->nworkers; i++)
    art__token_post(&s->workers[i].token);
  for (uint32_t i = 0; i < s->nworkers; i++) {
    if (s->workers[i].started) {
      pthread_join(s->workers[i].thread, NULL);
      s->workers[i].started = false;
    }
  }
}

void art__sched_retire_external(art__sched *s, art__retired *item) {
  pthread_mutex_lock(&s->retired_lock);
  art__epoch_retire(s->epoch, &s->retired, item);
  atomic_store_explicit(&s->retired_external, s->retired.count, memory_order_relaxed);
  pthread_mutex_unlock(&s->retired_lock);
  /* Only workers reclaim: make sure one comes to it even if all of them sleep (a parked worker
   * that holds retired items retries on a timer; wake_one does nothing if one is spinning). */
  wake_one(s);
}

static void reclaim_list(art__sched *s, art__retire_list *l) {
  while (l->head) {
    art__retired *item = l->head;
    l->head = item->next;
    s->reclaim(item, s->ctx);
  }
  art__retire_list_init(l);
}

void art__sched_reclaim_all(art__sched *s) {
  for (uint32_t i = 0; i < s->nworkers; i++)
    reclaim_list(s, &s->workers[i].retired);
  reclaim_list(s, &s->retired);
}

void art__sched_fini(art__sched *s) {
  art__free(s->alloc, s->global_ring);
  s->global_ring = NULL;
  pthread_mutex_destroy(&s->retired_lock);
  pthread_mutex_destroy(&s->idle_lock);
  pthread_mutex_destroy(&s->global_lock);
}
