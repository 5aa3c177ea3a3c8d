/* Epoch-based reclamation; the protocol is described in epoch.h. */
#include "core/epoch.h"

#include <pthread.h>
#include <string.h>

void art__epoch_init(art__epoch *e, art__epoch_rec *workers, uint32_t nworkers) {
  atomic_init(&e->global, 1);
  e->workers = workers;
  e->nworkers = nworkers;
  for (uint32_t i = 0; i < nworkers; i++)
    atomic_init(&workers[i].active, 0);
  for (uint32_t i = 0; i < ART__EPOCH_EXT_RECORDS; i++)
    atomic_init(&e->ext[i].active, 0);
}

art__epoch_rec *art__epoch_enter(art__epoch *e) {
  /* Start where the thread's stack address points, so that threads spread over the records. */
  uintptr_t here = (uintptr_t)&e;
  uint32_t start = (uint32_t)((here >> 12) ^ (here >> 20));
  for (;;) {
    for (uint32_t k = 0; k < ART__EPOCH_EXT_RECORDS; k++) {
      art__epoch_rec *r = &e->ext[(start + k) % ART__EPOCH_EXT_RECORDS];
      uint64_t idle = 0;
      if (atomic_load_explicit(&r->active, memory_order_relaxed) == 0 &&
          atomic_compare_exchange_strong(&r->active, &idle, atomic_load(&e->global)))
        return r;
    }
    art__cpu_relax();
  }
}

void art__retire_list_init(art__retire_list *l) {
  l->head = NULL;
  l->tailp = &l->head;
  l->count = 0;
}

void art__epoch_retire(art__epoch *e, art__retire_list *l, art__retired *item) {
  item->epoch = atomic_load(&e->global);
  item->next = NULL;
  *l->tailp = item;
  l->tailp = &item->next;
  l->count++;
}

static uint64_t min_active(art__epoch *e) {
  uint64_t min = UINT64_MAX;
  for (uint32_t i = 0; i < e->nworkers; i++) {
    uint64_t a = atomic_load(&e->workers[i].active);
    if (a && a < min)
      min = a;
  }
  for (uint32_t i = 0; i < ART__EPOCH_EXT_RECORDS; i++) {
    uint64_t a = atomic_load(&e->ext[i].active);
    if (a && a < min)
      min = a;
  }
  return min;
}

uint32_t art__epoch_reclaim(art__epoch *e, art__retire_list *l,
                            void (*free_fn)(art__retired *item, void *arg), void *arg) {
  if (!l->head)
    return 0;
  atomic_fetch_add(&e->global, 1);
  uint64_t min = min_active(e);
  uint32_t freed = 0;
  /* Items were retired in epoch order, so the safe ones form a prefix. */
  while (l->head && l->head->epoch < min) {
    art__retired *item = l->head;
    l->head = item->next;
    if (!l->head)
      l->tailp = &l->head;
    l->count--;
    free_fn(item, arg);
    freed++;
  }
  return freed;
}

void art__retire_list_splice(art__retire_list *to, art__retire_list *from) {
  if (!from->head)
    return;
  *to->tailp = from->head;
  to->tailp = from->tailp;
  to->count += from->count;
  art__retire_list_init(from);
}
