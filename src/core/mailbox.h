/*
 * The mailbox: an intrusive multi-producer, single-consumer queue (Vyukov's design as Pony's
 * runtime uses it) whose head word also carries the actor's scheduling state.
 *
 * Producers (any thread) push with one atomic exchange on `head`. Bit 0 of `head` set means
 * "empty and not scheduled": the producer whose exchange clears it has made the queue non-empty
 * and must schedule the actor; every other producer must not. The consumer (the thread running
 * the actor) pops from `tail` with plain loads and, when it finds the queue empty, tries to set
 * the bit with one CAS; if a producer got in first, the actor stays scheduled.
 *
 * Lifetime: `tail` always points to the node consumed last (initially the stub). A node is
 * released when the node after it is popped, because a producer may still be writing its
 * `next` field until then. So a popped node stays valid until the following pop, and the
 * caller of art__mailbox_pop() gets the node it may free instead.
 */
#ifndef ART_CORE_MAILBOX_H
#define ART_CORE_MAILBOX_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct art__node {
  _Atomic(struct art__node *) next;
} art__node;

typedef struct art__mailbox {
  _Atomic uintptr_t head; /* written by producers: keep on a cache line of its own */
} art__mailbox;

#define ART__MAILBOX_PARKED ((uintptr_t)1)

/* Starts the mailbox empty and *scheduled* (bit clear): the owner decides when to park it. */
static inline void art__mailbox_init(art__mailbox *mb, art__node **tail, art__node *stub) {
  atomic_store_explicit(&stub->next, NULL, memory_order_relaxed);
  atomic_store_explicit(&mb->head, (uintptr_t)stub, memory_order_relaxed);
  *tail = stub;
}

/* Pushes the chain first..last (linked through next; last->next is overwritten) with one
 * exchange. Returns true if the mailbox was parked: the caller must schedule the actor. */
static inline bool art__mailbox_push_chain(art__mailbox *mb, art__node *first, art__node *last) {
  atomic_store_explicit(&last->next, NULL, memory_order_relaxed);
  /* acq_rel: release publishes nothing by itself (the link below does), acquire pairs with the
   * consumer's release CAS in art__mailbox_try_park, so a producer that will schedule the actor
   * sees everything its last activation wrote. */
  uintptr_t prev = atomic_exchange_explicit(&mb->head, (uintptr_t)last, memory_order_acq_rel);
  art__node *prev_node = (art__node *)(prev & ~ART__MAILBOX_PARKED);
  /* Release: pairs with the consumer's acquire load of next in art__mailbox_pop, publishing the
   * contents of the nodes. */
  atomic_store_explicit(&prev_node->next, first, memory_order_release);
  return (prev & ART__MAILBOX_PARKED) != 0;
}

static inline bool art__mailbox_push(art__mailbox *mb, art__node *node) {
  return art__mailbox_push_chain(mb, node, node);
}

/* Consumer only. Returns the next node or NULL if none is visible yet. *release receives the
 * node that may now be freed (the previous tail), or NULL. */
static inline art__node *art__mailbox_pop(art__node **tail, art__node **release) {
  art__node *t = *tail;
  art__node *next = atomic_load_explicit(&t->next, memory_order_acquire);
  if (next == NULL) {
    *release = NULL;
    return NULL;
  }
  *tail = next;
  *release = t;
  return next;
}

/* Consumer only, after a pop returned NULL. Marks the mailbox parked if it is really empty.
 * Returns false if a producer pushed in the meantime (the actor must stay scheduled). */
static inline bool art__mailbox_try_park(art__mailbox *mb, art__node *tail) {
  uintptr_t expected = (uintptr_t)tail;
  /* seq_cst (release would do for producers, which pair with it through their acquire
   * exchange): a killer sets its bit and then reads head, and the consumer reads the bit after
   * this, a Dekker pair (see kill_actor in actor.c). */
  return atomic_compare_exchange_strong_explicit(&mb->head, &expected,
                                                 expected | ART__MAILBOX_PARKED,
                                                 memory_order_seq_cst, memory_order_relaxed);
}

/* True if nothing is queued after tail (consumer only, a snapshot). */
static inline bool art__mailbox_empty(const art__mailbox *mb, art__node *tail) {
  return (atomic_load_explicit(&mb->head, memory_order_relaxed) & ~ART__MAILBOX_PARKED) ==
         (uintptr_t)tail;
}

#endif /* ART_CORE_MAILBOX_H */
