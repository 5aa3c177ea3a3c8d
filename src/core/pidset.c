/*
 * The pid set (core/pidset.h). Invariant: every pid sits in the run of occupied slots that
 * starts at its home slot, at or after its home (cyclically), so a lookup stops at the first
 * empty slot. The load stays at most one half, so runs are short.
 */
#include "core/pidset.h"

#include <string.h>

/* Fibonacci hashing: the pid times 2^64 / phi, top bits. Pids of actors spawned one after
 * the other differ in their low bits, which this spreads over the table. */
static uint32_t home_of(const art__pid_set *set, art_pid pid) {
  return (uint32_t)(((uint64_t)pid * UINT64_C(0x9e3779b97f4a7c15)) >>
                    (64 - __builtin_ctz(set->cap)));
}

/* The slot holding @p pid, or the empty slot that ends its run. cap must be > 0. */
static uint32_t slot_of(const art__pid_set *set, art_pid pid) {
  uint32_t mask = set->cap - 1, i = home_of(set, pid);
  while (set->slots[i] != pid && set->slots[i] != ART_PID_NONE)
    i = (i + 1) & mask;
  return i;
}

int art__pid_set_add(const art__allocator *alloc, art__pid_set *set, art_pid pid) {
  if (set->cap && set->slots[slot_of(set, pid)] == pid)
    return 0;
  if ((uint64_t)(set->count + 1) * 2 > set->cap) {
    if (set->cap > UINT32_MAX / 2)
      return ART_ENOMEM;
    art__pid_set bigger = {.cap = set->cap ? set->cap * 2 : 4, .count = set->count};
    if (!(bigger.slots = art__calloc(alloc, (size_t)bigger.cap * sizeof(art_pid))))
      return ART_ENOMEM;
    for (uint32_t i = 0; i < set->cap; i++)
      if (set->slots[i] != ART_PID_NONE)
        bigger.slots[slot_of(&bigger, set->slots[i])] = set->slots[i];
    art__free(alloc, set->slots);
    *set = bigger;
  }
  set->slots[slot_of(set, pid)] = pid;
  set->count++;
  return 0;
}

bool art__pid_set_remove(art__pid_set *set, art_pid pid) {
  if (!set->count || pid == ART_PID_NONE)
    return false;
  uint32_t mask = set->cap - 1, hole = slot_of(set, pid);
  if (set->slots[hole] != pid)
    return false;
  /* Backward shift: a later entry of the run moves into the hole unless its home lies
   * cyclically in (hole, entry], where it must stay to remain reachable from its home. */
  for (uint32_t j = (hole + 1) & mask; set->slots[j] != ART_PID_NONE; j = (j + 1) & mask) {
    uint32_t home = home_of(set, set->slots[j]);
    bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
    if (!stays) {
      set->slots[hole] = set->slots[j];
      hole = j;
    }
  }
  set->slots[hole] = ART_PID_NONE;
  set->count--;
  return true;
}

bool art__pid_set_has(const art__pid_set *set, art_pid pid) {
  return set->count && pid != ART_PID_NONE && set->slots[slot_of(set, pid)] == pid;
}

void art__pid_set_drain(art__pid_set *set, void (*fn)(void *arg, art_pid pid), void *arg) {
  for (uint32_t i = 0; set->count && i < set->cap; i++) {
    art_pid pid = set->slots[i];
    if (pid == ART_PID_NONE)
      continue;
    set->slots[i] = ART_PID_NONE;
    set->count--;
    fn(arg, pid);
  }
}

void art__pid_set_free(const art__allocator *alloc, art__pid_set *set) {
  art__free(alloc, set->slots);
  memset(set, 0, sizeof *set);
}
