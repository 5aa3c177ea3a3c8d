/*
 * Fixed-size, cache-line aligned blocks (actors, envelopes) with per-worker caches.
 *
 * Pooling on: blocks are carved from 64 KiB slabs that live until the pool is destroyed. Each
 * worker keeps a cache; caches trade whole batches with the pool's depot under its mutex, once
 * per ART__POOL_BATCH blocks, so a one-way stream (one worker allocates, another frees) costs
 * no lock per block. Pooling off: every block goes to and from the allocator (aligned by hand),
 * so that sanitizers and failing test allocators see each one.
 *
 * Thread safety: a cache belongs to one thread; pass NULL as the cache from other threads.
 */
#ifndef ART_CORE_POOL_H
#define ART_CORE_POOL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/mailbox.h"
#include "platform/platform.h"

#define ART__POOL_BATCH 64u

typedef struct art__pool_cache {
  art__node *free; /* linked through next (relaxed: owner only) */
  uint32_t count;
} art__pool_cache;

typedef struct art__pool {
  size_t block_size; /* a multiple of ART__CACHE_LINE */
  bool enabled;
  const art__allocator *alloc;
  pthread_mutex_t lock;
  art__node *batches; /* full batches; a batch's first block links the next batch through
                         the word after its node */
  art__node *loose;   /* single blocks freed without a cache */
  void *slabs;        /* allocated slabs, linked through their first word */
  char *carve, *carve_end;
} art__pool;

int art__pool_init(art__pool *p, const art__allocator *alloc, size_t block_size, bool enabled);
/* Frees all slabs. Every block must be free (or abandoned) by then. */
void art__pool_fini(art__pool *p);
/* Empties @p c into the pool (or frees its blocks when pooling is off). */
void art__pool_cache_flush(art__pool *p, art__pool_cache *c);

void *art__pool_alloc(art__pool *p, art__pool_cache *c);
void art__pool_free(art__pool *p, art__pool_cache *c, void *block);

#endif /* ART_CORE_POOL_H */
