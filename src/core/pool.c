/* Fixed-size block pool; the design is described in pool.h. */
#include "core/pool.h"

#include <string.h>

#define SLAB_SIZE ((size_t)64 * 1024)

/* A batch's head block keeps the link to the next batch in the word after its node. */
static art__node **batch_link(art__node *n) {
  return (art__node **)(void *)(n + 1);
}

int art__pool_init(art__pool *p, const art__allocator *alloc, size_t block_size, bool enabled) {
  memset(p, 0, sizeof *p);
  p->block_size = (block_size + ART__CACHE_LINE - 1) & ~(size_t)(ART__CACHE_LINE - 1);
  p->enabled = enabled;
  p->alloc = alloc;
  return pthread_mutex_init(&p->lock, NULL) == 0 ? 0 : ART_ENOMEM;
}

void art__pool_fini(art__pool *p) {
  void *s = p->slabs;
  while (s) {
    void *next = *(void **)s;
    art__free(p->alloc, s);
    s = next;
  }
  p->slabs = NULL;
  pthread_mutex_destroy(&p->lock);
}

/* Under the lock: carves up to @p n blocks into a chain. Returns how many (0 on OOM). */
static uint32_t carve_locked(art__pool *p, art__node **chain, uint32_t n) {
  uint32_t got = 0;
  *chain = NULL;
  while (got < n) {
    if (!p->carve || (size_t)(p->carve_end - p->carve) < p->block_size) {
      char *slab = art__alloc(p->alloc, SLAB_SIZE);
      if (!slab)
        break;
      *(void **)slab = p->slabs;
      p->slabs = slab;
      p->carve = (char *)(((uintptr_t)slab + sizeof(void *) + ART__CACHE_LINE - 1) &
                          ~(uintptr_t)(ART__CACHE_LINE - 1));
      p->carve_end = slab + SLAB_SIZE;
    }
    art__node *b = (art__node *)(void *)p->carve;
    p->carve += p->block_size;
    atomic_store_explicit(&b->next, *chain, memory_order_relaxed);
    *chain = b;
    got++;
  }
  return got;
}

static art__node *pop_node(art__node **list) {
  art__node *n = *list;
  if (n)
    *list = atomic_load_explicit(&n->next, memory_order_relaxed);
  return n;
}

void *art__pool_alloc(art__pool *p, art__pool_cache *c) {
  if (!p->enabled)
    return art__alloc_aligned(p->alloc, p->block_size);
  if (c && c->free) {
    c->count--;
    return pop_node(&c->free);
  }
  art__node *n = NULL;
  pthread_mutex_lock(&p->lock);
  if (c && p->batches) {
    n = p->batches;
    p->batches = *batch_link(n);
    c->free = atomic_load_explicit(&n->next, memory_order_relaxed);
    c->count = ART__POOL_BATCH - 1;
  } else if ((n = pop_node(&p->loose)) == NULL && p->batches) {
    /* No cache (a non-worker thread): open a batch for it; the rest becomes loose blocks. */
    n = p->batches;
    p->batches = *batch_link(n);
    p->loose = atomic_load_explicit(&n->next, memory_order_relaxed);
  } else if (!n) {
    uint32_t got = carve_locked(p, &n, c ? ART__POOL_BATCH : 1);
    if (got && c) {
      c->free = atomic_load_explicit(&n->next, memory_order_relaxed);
      c->count = got - 1;
    }
  }
  pthread_mutex_unlock(&p->lock);
  return n;
}

void art__pool_free(art__pool *p, art__pool_cache *c, void *block) {
  if (!p->enabled) {
    art__free_aligned(p->alloc, block);
    return;
  }
  art__node *n = block;
  if (!c) {
    pthread_mutex_lock(&p->lock);
    atomic_store_explicit(&n->next, p->loose, memory_order_relaxed);
    p->loose = n;
    pthread_mutex_unlock(&p->lock);
    return;
  }
  atomic_store_explicit(&n->next, c->free, memory_order_relaxed);
  c->free = n;
  if (++c->count < 2 * ART__POOL_BATCH)
    return;
  /* Give one batch back: the first ART__POOL_BATCH blocks of the cache. */
  art__node *first = c->free, *last = first;
  for (uint32_t i = 1; i < ART__POOL_BATCH; i++)
    last = atomic_load_explicit(&last->next, memory_order_relaxed);
  c->free = atomic_load_explicit(&last->next, memory_order_relaxed);
  c->count -= ART__POOL_BATCH;
  atomic_store_explicit(&last->next, NULL, memory_order_relaxed);
  pthread_mutex_lock(&p->lock);
  *batch_link(first) = p->batches;
  p->batches = first;
  pthread_mutex_unlock(&p->lock);
}

void art__pool_cache_flush(art__pool *p, art__pool_cache *c) {
  art__node *n;
  while ((n = pop_node(&c->free)))
    art__pool_free(p, NULL, n);
  c->count = 0;
}
