/* The pid table; the protocol is described in pidtable.h. */
#include "core/pidtable.h"

#include <string.h>

int art__pidtable_init(art__pidtable *t, const art__allocator *alloc, uint32_t capacity) {
  memset(t, 0, sizeof *t);
  t->alloc = alloc;
  t->nchunks = (capacity + ART__PID_CHUNK_SLOTS - 1) / ART__PID_CHUNK_SLOTS;
  t->capacity = t->nchunks * ART__PID_CHUNK_SLOTS;
  t->chunks = art__calloc(alloc, t->nchunks * sizeof t->chunks[0]);
  if (!t->chunks)
    return ART_ENOMEM;
  if (pthread_mutex_init(&t->lock, NULL) != 0) {
    art__free(alloc, t->chunks);
    return ART_ENOMEM;
  }
  return 0;
}

void art__pidtable_fini(art__pidtable *t) {
  for (uint32_t c = 0; c < t->nchunks; c++)
    art__free(t->alloc, atomic_load_explicit(&t->chunks[c], memory_order_relaxed));
  art__free(t->alloc, t->chunks);
  pthread_mutex_destroy(&t->lock);
}

/* Takes one free index under the lock, growing into a new chunk when needed. */
static int take_index_locked(art__pidtable *t, uint32_t *out) {
  if (t->free_head) {
    uint32_t idx = t->free_head - 1;
    t->free_head = art__pidtable_slot(t, idx)->next_free;
    *out = idx;
    return 0;
  }
  if (t->used == t->capacity)
    return ART_ENOSPC;
  uint32_t c = t->used >> ART__PID_CHUNK_BITS;
  if (!atomic_load_explicit(&t->chunks[c], memory_order_relaxed)) {
    art__pid_slot *chunk = art__calloc(t->alloc, ART__PID_CHUNK_SLOTS * sizeof *chunk);
    if (!chunk)
      return ART_ENOMEM;
    /* Release: pairs with the acquire load in art__pidtable_slot. */
    atomic_store_explicit(&t->chunks[c], chunk, memory_order_release);
  }
  *out = t->used++;
  return 0;
}

int art__pidtable_acquire(art__pidtable *t, art__pid_cache *cache, art_pid *out) {
  uint32_t idx;
  if (cache && cache->count) {
    idx = cache->idx[--cache->count];
  } else {
    pthread_mutex_lock(&t->lock);
    int rc = take_index_locked(t, &idx);
    /* Fill the cache half way so the next spawns on this worker take no lock. */
    while (rc == 0 && cache && cache->count < ART__PID_CACHE &&
           take_index_locked(t, &cache->idx[cache->count]) == 0)
      cache->count++;
    pthread_mutex_unlock(&t->lock);
    if (rc)
      return rc;
  }
  art__pid_slot *s = art__pidtable_slot(t, idx);
  if (++s->generation == 0) /* generation 0 would make pid 0 possible for index 0 */
    s->generation = 1;
  *out = ((art_pid)s->generation << 32) | (art_pid)(idx + 1);
  return 0;
}

static void push_free_locked(art__pidtable *t, uint32_t idx) {
  art__pidtable_slot(t, idx)->next_free = t->free_head;
  t->free_head = idx + 1;
}

void art__pidtable_release(art__pidtable *t, art__pid_cache *cache, art_pid pid) {
  uint32_t idx = art__pid_index(pid);
  atomic_store(&art__pidtable_slot(t, idx)->actor, NULL); /* seq_cst: see core/epoch.h */
  if (cache) {
    if (cache->count == 2 * ART__PID_CACHE) {
      pthread_mutex_lock(&t->lock);
      while (cache->count > ART__PID_CACHE)
        push_free_locked(t, cache->idx[--cache->count]);
      pthread_mutex_unlock(&t->lock);
    }
    cache->idx[cache->count++] = idx;
    return;
  }
  pthread_mutex_lock(&t->lock);
  push_free_locked(t, idx);
  pthread_mutex_unlock(&t->lock);
}

void art__pidtable_cache_flush(art__pidtable *t, art__pid_cache *cache) {
  pthread_mutex_lock(&t->lock);
  while (cache->count)
    push_free_locked(t, cache->idx[--cache->count]);
  pthread_mutex_unlock(&t->lock);
}
