/*
 * Epoch-based reclamation of actor blocks, so that resolving a pid and pushing into the
 * actor's mailbox needs no reference count.
 *
 * Readers: a thread may hold a pointer obtained from the pid table only inside a critical
 * section. A worker thread is in one all the time it is awake and announces a fresh epoch
 * between activations (quiescent-state based: it holds no actor pointer from a lookup across
 * activations); it leaves when it parks. Any other thread enters for the length of one call by
 * claiming one of the system's external records.
 *
 * Writers: an exiting actor is unpublished from the pid table first, then retired with the
 * epoch read after the unpublish. It may be freed once every record is either idle (0) or
 * announces a later epoch: such a reader started after the unpublish and cannot see it.
 *
 * Memory order: announcements that start a critical section, the unpublish, the epoch reads
 * and the record scan are seq_cst (a Dekker pattern: either the reader's announcement is seen
 * by the scan, or the unpublish is seen by the reader's lookup). Pid lookups are seq_cst loads
 * (plain loads on x86). The end of a critical section is a release store that pairs with the
 * scan's load, so everything a reader did with the block happens before it is freed.
 */
#ifndef ART_CORE_EPOCH_H
#define ART_CORE_EPOCH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "platform/platform.h"

typedef struct art__epoch_rec {
  ART__ALIGNED_LINE _Atomic uint64_t active; /* 0: not reading; else the epoch announced */
} art__epoch_rec;

#define ART__EPOCH_EXT_RECORDS 64

typedef struct art__epoch {
  ART__ALIGNED_LINE _Atomic uint64_t global; /* starts at 1, only grows */
  art__epoch_rec *workers;
  uint32_t nworkers;
  art__epoch_rec ext[ART__EPOCH_EXT_RECORDS];
} art__epoch;

/* Something waiting to be freed; embedded in the retired object. */
typedef struct art__retired {
  struct art__retired *next;
  uint64_t epoch;
} art__retired;

typedef struct art__retire_list {
  art__retired *head;
  art__retired **tailp;
  uint32_t count;
} art__retire_list;

void art__epoch_init(art__epoch *e, art__epoch_rec *workers, uint32_t nworkers);

/* Workers. */
static inline void art__epoch_online(art__epoch_rec *r, art__epoch *e) {
  atomic_store_explicit(&r->active, atomic_load(&e->global), memory_order_seq_cst);
}
/* Only on a record that is online: going online needs the seq_cst store above. */
static inline void art__epoch_quiescent(art__epoch_rec *r, art__epoch *e) {
  uint64_t g = atomic_load(&e->global);
  /* Release: pairs with the scan's seq_cst load; the reader's past work happens before a free
   * the scan allows. Skipped when nothing changed to keep the line clean. */
  if (atomic_load_explicit(&r->active, memory_order_relaxed) != g)
    atomic_store_explicit(&r->active, g, memory_order_release);
}
static inline void art__epoch_offline(art__epoch_rec *r) {
  atomic_store_explicit(&r->active, 0, memory_order_release);
}

/* Other threads: returns the record to pass to art__epoch_leave. Never fails (spins while all
 * external records are taken, which needs ART__EPOCH_EXT_RECORDS threads inside at once). */
art__epoch_rec *art__epoch_enter(art__epoch *e);
static inline void art__epoch_leave(art__epoch_rec *r) {
  atomic_store_explicit(&r->active, 0, memory_order_release);
}

void art__retire_list_init(art__retire_list *l);
/* Call after the object was unpublished. */
void art__epoch_retire(art__epoch *e, art__retire_list *l, art__retired *item);
/* Frees (through @p free_fn) every item of @p l that no reader can hold any more. Advances the
 * global epoch first so that readers can move past the items. Returns how many were freed. */
uint32_t art__epoch_reclaim(art__epoch *e, art__retire_list *l,
                            void (*free_fn)(art__retired *item, void *arg), void *arg);
/* Moves every item of @p from to the end of @p to. */
void art__retire_list_splice(art__retire_list *to, art__retire_list *from);

#endif /* ART_CORE_EPOCH_H */
