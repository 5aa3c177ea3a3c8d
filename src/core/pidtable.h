/*
 * The pid table: resolves pids (slot index + generation) to actors without locks.
 *
 * Slots live in chunks that are allocated on first use and never freed while the system runs,
 * so a slot pointer is always valid. A slot's actor pointer is published with a seq_cst store
 * and cleared (unpublished) the same way when the actor exits; the actor block itself is
 * reclaimed by epochs (core/epoch.h). A lookup checks the pid stored in the actor against the
 * one asked for, so a reused slot never resolves an old pid.
 *
 * Free slot indices are kept per worker (no lock) and in a shared stack (mutex) that the
 * per-worker caches trade with in batches. A slot's generation grows on every reuse.
 */
#ifndef ART_CORE_PIDTABLE_H
#define ART_CORE_PIDTABLE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "art/common.h"
#include "platform/platform.h"

#define ART__PID_CHUNK_BITS 12
#define ART__PID_CHUNK_SLOTS (1u << ART__PID_CHUNK_BITS)
#define ART__PID_CACHE 64u

typedef struct art__pid_slot {
  _Atomic(void *) actor; /* the actor whose pid this slot holds now, or NULL */
  uint32_t generation;   /* of the pid handed out last; changed only by the slot's owner */
  uint32_t next_free;    /* free-list link (index + 1, 0 = end) */
} art__pid_slot;

typedef struct art__pid_cache {
  uint32_t idx[ART__PID_CACHE * 2];
  uint32_t count;
} art__pid_cache;

typedef struct art__pidtable {
  _Atomic(art__pid_slot *) *chunks; /* capacity / ART__PID_CHUNK_SLOTS pointers */
  uint32_t nchunks;
  uint32_t capacity;
  pthread_mutex_t lock; /* guards free list, grow */
  uint32_t free_head;   /* index + 1 of the first free slot, 0 = none */
  uint32_t used;        /* slots handed out from chunks so far (the high-water mark) */
  const art__allocator *alloc;
} art__pidtable;

int art__pidtable_init(art__pidtable *t, const art__allocator *alloc, uint32_t capacity);
void art__pidtable_fini(art__pidtable *t);

static inline uint32_t art__pid_index(art_pid pid) {
  return (uint32_t)(pid & 0xffffffffu) - 1;
}
static inline uint32_t art__pid_generation(art_pid pid) {
  return (uint32_t)(pid >> 32);
}

static inline art__pid_slot *art__pidtable_slot(art__pidtable *t, uint32_t index) {
  uint32_t c = index >> ART__PID_CHUNK_BITS;
  if (c >= t->nchunks)
    return NULL;
  /* Acquire: pairs with the release store that published the chunk. */
  art__pid_slot *chunk = atomic_load_explicit(&t->chunks[c], memory_order_acquire);
  return chunk ? &chunk[index & (ART__PID_CHUNK_SLOTS - 1)] : NULL;
}

/* The actor published for @p pid's slot, or NULL. The caller must be inside an epoch critical
 * section and must still compare the actor's own pid with @p pid. */
static inline void *art__pidtable_lookup(art__pidtable *t, art_pid pid) {
  if (pid == ART_PID_NONE)
    return NULL;
  art__pid_slot *s = art__pidtable_slot(t, art__pid_index(pid));
  /* seq_cst: see core/epoch.h. */
  return s ? atomic_load(&s->actor) : NULL;
}

/* Takes a free slot and makes a pid for it (not published yet). @p cache may be NULL. Returns
 * 0, ART_ENOSPC or ART_ENOMEM. */
int art__pidtable_acquire(art__pidtable *t, art__pid_cache *cache, art_pid *out);
static inline void art__pidtable_publish(art__pidtable *t, art_pid pid, void *actor) {
  atomic_store(&art__pidtable_slot(t, art__pid_index(pid))->actor, actor);
}
/* Unpublishes and frees the slot of @p pid. */
void art__pidtable_release(art__pidtable *t, art__pid_cache *cache, art_pid pid);
/* Returns the cached indices to the shared free list. */
void art__pidtable_cache_flush(art__pidtable *t, art__pid_cache *cache);

#endif /* ART_CORE_PIDTABLE_H */
