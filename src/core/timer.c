/* The timer service; the design is described in timer.h. */
#include "core/timer.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* ---- the heap (by deadline, then id so that equal deadlines fire in creation order) ---- */

static bool earlier(const art__timer *a, const art__timer *b) {
  return a->deadline < b->deadline || (a->deadline == b->deadline && a->id < b->id);
}

static void heap_set(art__timers *ts, uint32_t i, art__timer *t) {
  ts->heap[i] = t;
  t->heap_index = i;
}

static void sift_up(art__timers *ts, uint32_t i) {
  art__timer *t = ts->heap[i];
  while (i > 0) {
    uint32_t parent = (i - 1) / 2;
    if (!earlier(t, ts->heap[parent]))
      break;
    heap_set(ts, i, ts->heap[parent]);
    i = parent;
  }
  heap_set(ts, i, t);
}

static void sift_down(art__timers *ts, uint32_t i) {
  art__timer *t = ts->heap[i];
  for (;;) {
    uint32_t child = 2 * i + 1;
    if (child >= ts->len)
      break;
    if (child + 1 < ts->len && earlier(ts->heap[child + 1], ts->heap[child]))
      child++;
    if (!earlier(ts->heap[child], t))
      break;
    heap_set(ts, i, ts->heap[child]);
    i = child;
  }
  heap_set(ts, i, t);
}

static int heap_push(art__timers *ts, art__timer *t) {
  if (ts->len == ts->cap) {
    uint32_t cap = ts->cap ? ts->cap * 2 : 64;
    art__timer **heap = art__alloc(ts->alloc, cap * sizeof *heap);
    if (!heap)
      return ART_ENOMEM;
    if (ts->len)
      memcpy(heap, ts->heap, ts->len * sizeof *heap);
    art__free(ts->alloc, ts->heap);
    ts->heap = heap;
    ts->cap = cap;
  }
  heap_set(ts, ts->len++, t);
  sift_up(ts, ts->len - 1);
  return 0;
}

static void heap_remove(art__timers *ts, art__timer *t) {
  uint32_t i = t->heap_index;
  t->heap_index = ART__TIMER_NOT_QUEUED;
  art__timer *last = ts->heap[--ts->len];
  if (i == ts->len)
    return;
  heap_set(ts, i, last);
  sift_up(ts, i);
  sift_down(ts, last->heap_index);
}

/* ---- the id hash ---------------------------------------------------------------------- */

static art__timer **bucket(art__timers *ts, uint64_t id) {
  return &ts->buckets[(id * 0x9e3779b97f4a7c15ull) >> 40 & (ts->nbuckets - 1)];
}

static int hash_insert(art__timers *ts, art__timer *t) {
  if (ts->count + 1 > ts->nbuckets) {
    uint32_t n = ts->nbuckets ? ts->nbuckets * 2 : 64;
    art__timer **b = art__calloc(ts->alloc, n * sizeof *b);
    if (!b)
      return ART_ENOMEM;
    art__timer **old = ts->buckets;
    uint32_t old_n = ts->nbuckets;
    ts->buckets = b;
    ts->nbuckets = n;
    for (uint32_t i = 0; i < old_n; i++) {
      for (art__timer *x = old[i], *next; x; x = next) {
        next = x->hash_next;
        art__timer **head = bucket(ts, x->id);
        x->hash_next = *head;
        *head = x;
      }
    }
    art__free(ts->alloc, old);
  }
  art__timer **head = bucket(ts, t->id);
  t->hash_next = *head;
  *head = t;
  ts->count++;
  return 0;
}

static art__timer *hash_remove(art__timers *ts, uint64_t id) {
  if (!ts->nbuckets)
    return NULL;
  for (art__timer **p = bucket(ts, id); *p; p = &(*p)->hash_next) {
    if ((*p)->id == id) {
      art__timer *t = *p;
      *p = t->hash_next;
      ts->count--;
      return t;
    }
  }
  return NULL;
}

static art__timer *hash_find(art__timers *ts, uint64_t id) {
  if (!ts->nbuckets)
    return NULL;
  for (art__timer *t = *bucket(ts, id); t; t = t->hash_next)
    if (t->id == id)
      return t;
  return NULL;
}

/* ---- firing ------------------------------------------------------------------------------ */

static int64_t now_locked(art__timers *ts) {
  return ts->manual ? ts->manual_now : art__clock_mono();
}

/* Fires every timer due at @p now. Lock held. */
static int fire_due(art__timers *ts, int64_t now) {
  int fired = 0;
  while (ts->len && ts->heap[0]->deadline <= now) {
    art__timer *t = ts->heap[0];
    heap_remove(ts, t);
    int rc = ts->fire(ts->ctx, t);
    fired++;
    if (rc) { /* the target is gone (a dead letter): nothing will deliver or cancel it */
      hash_remove(ts, t->id);
      art__free(ts->alloc, t);
    } else if (t->interval > 0) {
      t->deadline += t->interval;
      if (t->deadline <= now && !ts->manual) /* fell behind: don't fire a burst */
        t->deadline = now + t->interval;
      if (heap_push(ts, t)) { /* no memory to re-queue: the periodic timer ends */
        hash_remove(ts, t->id);
        art__free(ts->alloc, t);
      }
    }
  }
  return fired;
}

static void *timer_main(void *arg) {
  art__timers *ts = arg;
  char name[16];
  snprintf(name, sizeof name, "%.10s-tmr", ts->name);
  art__thread_set_name(name);
  pthread_mutex_lock(&ts->lock);
  while (!ts->stopping) {
    int64_t now = art__clock_mono();
    fire_due(ts, now);
    if (ts->stopping)
      break;
    if (!ts->len) {
      ts->sleeping_until = INT64_MAX;
      pthread_cond_wait(&ts->cond, &ts->lock);
    } else {
      int64_t at = ts->heap[0]->deadline;
      struct timespec ts_at = {.tv_sec = at / 1000000000, .tv_nsec = at % 1000000000};
      ts->sleeping_until = at;
      pthread_cond_timedwait(&ts->cond, &ts->lock, &ts_at);
    }
    ts->sleeping_until = 0;
  }
  pthread_mutex_unlock(&ts->lock);
  return NULL;
}

/* ---- the interface ----------------------------------------------------------------------------
 */

int art__timers_init(art__timers *ts, const art__allocator *alloc, bool manual,
                     art__timer_fire_fn fire, void *ctx, const char *name) {
  memset(ts, 0, sizeof *ts);
  ts->alloc = alloc;
  ts->manual = manual;
  ts->fire = fire;
  ts->ctx = ctx;
  ts->next_id = 1;
  snprintf(ts->name, sizeof ts->name, "%s", name);
  pthread_condattr_t attr;
  if (pthread_condattr_init(&attr))
    return ART_ENOMEM;
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  int rc = pthread_cond_init(&ts->cond, &attr);
  pthread_condattr_destroy(&attr);
  if (rc)
    return ART_ENOMEM;
  if (pthread_mutex_init(&ts->lock, NULL)) {
    pthread_cond_destroy(&ts->cond);
    return ART_ENOMEM;
  }
  return 0;
}

void art__timers_fini(art__timers *ts) {
  pthread_mutex_lock(&ts->lock);
  ts->stopping = true;
  pthread_cond_signal(&ts->cond);
  pthread_mutex_unlock(&ts->lock);
  if (ts->thread_started)
    pthread_join(ts->thread, NULL);
  for (uint32_t i = 0; i < ts->nbuckets; i++) {
    for (art__timer *t = ts->buckets[i], *next; t; t = next) {
      next = t->hash_next;
      art__free(ts->alloc, t);
    }
  }
  art__free(ts->alloc, ts->buckets);
  art__free(ts->alloc, ts->heap);
  pthread_mutex_destroy(&ts->lock);
  pthread_cond_destroy(&ts->cond);
}

int64_t art__timers_now(art__timers *ts) {
  if (!ts->manual)
    return art__clock_mono();
  pthread_mutex_lock(&ts->lock);
  int64_t now = ts->manual_now;
  pthread_mutex_unlock(&ts->lock);
  return now;
}

int art__timers_add(art__timers *ts, int64_t delay, int64_t interval, art_pid target, uint32_t type,
                    uint32_t kind, uint64_t correlation, const void *payload, uint32_t size,
                    uint64_t *id) {
  art__timer *t = art__alloc(ts->alloc, sizeof *t + size);
  if (!t)
    return ART_ENOMEM;
  memset(t, 0, sizeof *t);
  t->interval = interval;
  t->target = target;
  t->type = type;
  t->kind = kind;
  t->correlation = correlation;
  t->size = size;
  if (size)
    memcpy(t->payload, payload, size);
  pthread_mutex_lock(&ts->lock);
  int rc = 0;
  if (!ts->manual && !ts->thread_started) {
    if ((rc = -pthread_create(&ts->thread, NULL, timer_main, ts)) != 0)
      goto fail;
    ts->thread_started = true;
  }
  t->id = ts->next_id++;
  t->deadline = now_locked(ts) + (delay > 0 ? delay : 0);
  if ((rc = hash_insert(ts, t)) != 0)
    goto fail;
  if ((rc = heap_push(ts, t)) != 0) {
    hash_remove(ts, t->id);
    goto fail;
  }
  if (t->deadline < ts->sleeping_until)
    pthread_cond_signal(&ts->cond);
  *id = t->id;
  pthread_mutex_unlock(&ts->lock);
  return 0;
fail:
  pthread_mutex_unlock(&ts->lock);
  art__free(ts->alloc, t);
  return rc;
}

int art__timers_cancel(art__timers *ts, uint64_t id, int kind, uint32_t *type) {
  pthread_mutex_lock(&ts->lock);
  art__timer *t = hash_find(ts, id);
  if (t && (kind < 0 || t->kind == (uint32_t)kind)) {
    hash_remove(ts, id);
    if (t->heap_index != ART__TIMER_NOT_QUEUED)
      heap_remove(ts, t);
    if (type)
      *type = t->type;
  } else {
    t = NULL;
  }
  pthread_mutex_unlock(&ts->lock);
  art__free(ts->alloc, t);
  return t ? 0 : ART_ENOENT;
}

bool art__timers_claim(art__timers *ts, uint64_t id, uint32_t *type, uint32_t *kind,
                       uint64_t *correlation) {
  pthread_mutex_lock(&ts->lock);
  art__timer *t = hash_find(ts, id);
  bool found = t != NULL;
  if (t) {
    *type = t->type;
    *kind = t->kind;
    *correlation = t->correlation;
    if (t->interval == 0)
      hash_remove(ts, id);
    else
      t = NULL; /* periodic: stays */
  }
  pthread_mutex_unlock(&ts->lock);
  if (t)
    art__free(ts->alloc, t);
  return found;
}

int art__timers_advance(art__timers *ts, int64_t ns) {
  if (!ts->manual || ns < 0)
    return ART_EINVAL;
  pthread_mutex_lock(&ts->lock);
  ts->manual_now += ns;
  int fired = fire_due(ts, ts->manual_now);
  pthread_mutex_unlock(&ts->lock);
  return fired;
}

int64_t art__timers_next_deadline(art__timers *ts) {
  pthread_mutex_lock(&ts->lock);
  int64_t next = ts->len ? ts->heap[0]->deadline : -1;
  pthread_mutex_unlock(&ts->lock);
  return next;
}
