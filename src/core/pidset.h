/*
 * A set of pids: open addressing with linear probing and backward-shift deletion, so that
 * adding, finding and removing a pid take constant time however many there are (an actor's
 * links: a supervisor is linked to each of its children, possibly 100,000 of them).
 *
 * Locking: none; a set belongs to one owner (an actor's links are touched only by the actor).
 * Lifetime: zero-initialised is empty and owns nothing; art__pid_set_free() frees the slots.
 */
#ifndef ART_CORE_PIDSET_H
#define ART_CORE_PIDSET_H

#include <stdbool.h>
#include <stdint.h>

#include "art/common.h"
#include "platform/platform.h"

typedef struct art__pid_set {
  art_pid *slots;      /* ART_PID_NONE marks an empty slot */
  uint32_t count, cap; /* cap: 0 or a power of two, at least twice count */
} art__pid_set;

/* Adds @p pid (not ART_PID_NONE); 0 if it was added or was there already, ART_ENOMEM (the
 * set is unchanged). */
int art__pid_set_add(const art__allocator *alloc, art__pid_set *set, art_pid pid);

/* Removes @p pid; false if it was not there. */
bool art__pid_set_remove(art__pid_set *set, art_pid pid);

bool art__pid_set_has(const art__pid_set *set, art_pid pid);

/* Calls @p fn for each pid and empties the set (its slots stay allocated). */
void art__pid_set_drain(art__pid_set *set, void (*fn)(void *arg, art_pid pid), void *arg);

void art__pid_set_free(const art__allocator *alloc, art__pid_set *set);

#endif /* ART_CORE_PIDSET_H */
