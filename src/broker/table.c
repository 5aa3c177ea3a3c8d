/*
 * Versions of the subscription table (see broker.h for who reads and writes them).
 *
 * A version is one allocation: the subscriptions by id, those with wildcards, an index of the
 * exact patterns (open addressing by hash, each entry with the pids of its subscriptions), and
 * the match cache. A publish on a version without wildcards is one probe of the index. With
 * wildcards, the cache maps a topic to its subscribers: a miss matches the topic against every
 * wildcard pattern, adds the index's subscribers, and offers the result to the cache with one
 * CAS on a free slot (release; readers load slots with acquire). The slots themselves are
 * allocated by the first miss, so that a subscribe (which builds a version) does not pay for
 * them. Cache entries are never replaced: a full cache only stops caching, and the next version
 * starts empty.
 */
#include <string.h>

#include "broker/broker.h"

/* Slots probed from a hash's home slot, in the index and the cache. */
#define CACHE_PROBES 8

static uint32_t pow2_at_least(uint64_t n) {
  uint32_t p = 2;
  while (p < n)
    p *= 2;
  return p;
}

static size_t align8(size_t n) {
  return (n + 7) & ~(size_t)7;
}

static bool same_topic(const broker_match *m, uint64_t hash, const char *topic, size_t len) {
  return m->hash == hash && m->len == len && memcmp(m->topic, topic, len) == 0;
}

/* The index entry of @p topic, or the free entry where it would go. */
static broker_match *exact_slot(const broker_table *t, uint64_t hash, const char *topic,
                                size_t len) {
  for (uint32_t i = (uint32_t)hash;; i++) {
    broker_match *m = &t->exact[i & t->exact_mask];
    if (!m->topic || same_topic(m, hash, topic, len))
      return m;
  }
}

broker_table *art__broker_table_build(const art__allocator *a, const broker_table *old,
                                      broker_sub *add, bool (*drop)(const broker_sub *, void *),
                                      void *drop_arg, uint32_t cache_capacity,
                                      broker_sub **dropped) {
  uint32_t n = 0, nwild = 0, nexact = 0;
  uint32_t nold = old ? old->nsubs : 0;
  for (uint32_t i = 0; i <= nold; i++) {
    broker_sub *s = i < nold ? old->subs[i] : add;
    if (!s || (i < nold && drop && drop(s, drop_arg)))
      continue;
    n++;
    if (s->wildcard)
      nwild++;
    else
      nexact++;
  }
  uint32_t exact_cap = pow2_at_least(2 * (uint64_t)nexact);
  uint32_t cache_cap = nwild && cache_capacity ? pow2_at_least(2 * (uint64_t)cache_capacity) : 0;
  size_t off_subs = align8(sizeof(broker_table));
  size_t off_wild = off_subs + align8(n * sizeof(broker_sub *));
  size_t off_exact = off_wild + align8(nwild * sizeof(broker_sub *));
  size_t off_pids = off_exact + align8(exact_cap * sizeof(broker_match));
  size_t total = off_pids + align8(nexact * sizeof(art_pid));
  char *block = art__calloc(a, total);
  if (!block)
    return NULL;
  broker_table *t = (broker_table *)(void *)block;
  t->subs = (broker_sub **)(void *)(block + off_subs);
  t->wild = (broker_sub **)(void *)(block + off_wild);
  t->exact = (broker_match *)(void *)(block + off_exact);
  t->exact_mask = exact_cap - 1;
  atomic_init(&t->cache, NULL);
  t->cache_mask = cache_cap ? cache_cap - 1 : 0;
  t->cache_room = cache_capacity;
  atomic_init(&t->cache_used, 0);
  art_pid *pids = (art_pid *)(void *)(block + off_pids);

  /* The subscriptions in id order, and a count per exact pattern. */
  for (uint32_t i = 0; i <= nold; i++) {
    broker_sub *s = i < nold ? old->subs[i] : add;
    if (!s)
      continue;
    if (i < nold && drop && drop(s, drop_arg)) {
      s->next_doomed = *dropped;
      *dropped = s;
      continue;
    }
    t->subs[t->nsubs++] = s;
    if (s->wildcard) {
      t->wild[t->nwild++] = s;
    } else {
      broker_match *m = exact_slot(t, s->hash, s->pattern, s->len);
      m->hash = s->hash;
      m->topic = s->pattern;
      m->len = s->len;
      m->count++;
    }
  }
  /* Give each exact pattern its run of pids, then fill the runs in id order. */
  uint32_t next = 0;
  for (uint32_t i = 0; i < exact_cap; i++) {
    broker_match *m = &t->exact[i];
    m->pids = pids + next;
    next += m->count;
    m->count = 0;
  }
  for (uint32_t i = 0; i < t->nsubs; i++) {
    broker_sub *s = t->subs[i];
    if (!s->wildcard) {
      broker_match *m = exact_slot(t, s->hash, s->pattern, s->len);
      m->pids[m->count++] = s->pid;
    }
  }
  return t;
}

void art__broker_table_free(const art__allocator *a, broker_table *t) {
  if (!t)
    return;
  _Atomic(broker_match *) *slots = atomic_load_explicit(&t->cache, memory_order_relaxed);
  if (slots) {
    for (uint32_t i = 0; i <= t->cache_mask; i++) {
      broker_match *m = atomic_load_explicit(&slots[i], memory_order_relaxed);
      if (m)
        art__free(a, m);
    }
    art__free(a, (void *)slots);
  }
  for (broker_sub *s = t->doomed, *next; s; s = next) {
    next = s->next_doomed;
    art__free(a, s);
  }
  art__free(a, t);
}

broker_sub *art__broker_table_find(const broker_table *t, art_sub id) {
  uint32_t lo = 0, hi = t->nsubs;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (t->subs[mid]->id < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < t->nsubs && t->subs[lo]->id == id ? t->subs[lo] : NULL;
}

/* The cache's slots, allocated now if no publisher did yet; NULL when out of memory. */
static _Atomic(broker_match *) *cache_slots(const art__allocator *a, broker_table *t) {
  /* Acquire: pairs with the release CAS below, so the zeroed slots are seen. */
  _Atomic(broker_match *) *slots = atomic_load_explicit(&t->cache, memory_order_acquire);
  if (slots)
    return slots;
  slots = art__calloc(a, (t->cache_mask + 1) * sizeof *slots);
  if (!slots)
    return NULL;
  _Atomic(broker_match *) *expected = NULL;
  if (atomic_compare_exchange_strong_explicit(&t->cache, &expected, slots, memory_order_acq_rel,
                                              memory_order_acquire))
    return slots;
  art__free(a, (void *)slots); /* another publisher was first */
  return expected;
}

/* Offers @p m to the cache; false if there is no room near its home slot. */
static bool cache_insert(const art__allocator *a, broker_table *t, broker_match *m) {
  if (atomic_load_explicit(&t->cache_used, memory_order_relaxed) >= t->cache_room)
    return false;
  _Atomic(broker_match *) *slots = cache_slots(a, t);
  if (!slots)
    return false;
  for (uint32_t k = 0; k < CACHE_PROBES; k++) {
    _Atomic(broker_match *) *slot = &slots[(m->hash + k) & t->cache_mask];
    broker_match *expected = NULL;
    /* Release: pairs with the acquire loads of slots (in route() and on failure here); the
     * entry's contents are published with the pointer. Acquire on failure: the entry found is
     * read below. */
    if (atomic_compare_exchange_strong_explicit(slot, &expected, m, memory_order_acq_rel,
                                                memory_order_acquire)) {
      atomic_fetch_add_explicit(&t->cache_used, 1, memory_order_relaxed);
      return true;
    }
    if (same_topic(expected, m->hash, m->topic, m->len))
      return false; /* another publisher cached it first */
  }
  return false;
}

int art__broker_table_route(const art__allocator *a, broker_table *t, const char *topic,
                            const broker_topic_info *info, broker_match *m, void **owned) {
  *owned = NULL;
  const broker_match *exact = exact_slot(t, info->hash, topic, info->len);
  if (t->nwild == 0) {
    *m = *exact; /* a free entry has count 0 */
    return BROKER_ROUTE_INDEX;
  }
  /* Acquire: pairs with the release CAS of cache_slots(). */
  _Atomic(broker_match *) *slots = atomic_load_explicit(&t->cache, memory_order_acquire);
  if (slots) {
    for (uint32_t k = 0; k < CACHE_PROBES; k++) {
      broker_match *e =
          atomic_load_explicit(&slots[(info->hash + k) & t->cache_mask], memory_order_acquire);
      if (!e)
        break;
      if (same_topic(e, info->hash, topic, info->len)) {
        *m = *e;
        return BROKER_ROUTE_CACHE;
      }
    }
  }
  uint32_t count = exact->count;
  for (uint32_t i = 0; i < t->nwild; i++)
    count += art__broker_topic_match(t->wild[i]->pattern, t->wild[i]->len, topic, info->len);
  size_t pids_at = align8(sizeof(broker_match));
  size_t topic_at = pids_at + count * sizeof(art_pid);
  broker_match *e = art__alloc(a, topic_at + info->len + 1);
  if (!e)
    return ART_ENOMEM;
  e->hash = info->hash;
  e->len = (uint32_t)info->len;
  e->pids = (art_pid *)(void *)((char *)e + pids_at);
  char *copy = (char *)e + topic_at;
  memcpy(copy, topic, info->len + 1);
  e->topic = copy;
  e->count = exact->count;
  memcpy(e->pids, exact->pids, exact->count * sizeof(art_pid));
  for (uint32_t i = 0; i < t->nwild; i++)
    if (art__broker_topic_match(t->wild[i]->pattern, t->wild[i]->len, topic, info->len))
      e->pids[e->count++] = t->wild[i]->pid;
  *m = *e;
  if (!t->cache_mask || !cache_insert(a, t, e))
    *owned = e;
  return BROKER_ROUTE_SCAN;
}
