/*
 * The name registry: a hash table of names under one mutex.
 *
 * An entry points to its actor, and the actor to its entry (a->reg, guarded by the lock). An
 * actor with an entry has ART__SIGNAL_REGISTERED set, so that its exit takes the lock only then.
 * Registration sets the bit and then checks that the actor is still published; exit unpublishes
 * and then reads the bit (seq_cst both): either registration sees the actor gone, or exit sees
 * the bit and removes the entry under the lock. An entry therefore exists only while its actor
 * is not retired, which makes a->reg safe to use under the lock.
 */
#include <string.h>

#include "actor/actor.h"
#include "art/registry.h"

struct art__reg_entry {
  art__reg_entry *next;
  art__actor *actor;
  art_pid pid;
  char name[ART_NAME_MAX + 1];
};

struct art__registry {
  pthread_mutex_t lock;
  art__reg_entry **buckets;
  uint32_t nbuckets, count;
};

static uint32_t hash_name(const char *s) {
  uint32_t h = 2166136261u; /* FNV-1a */
  while (*s)
    h = (h ^ (unsigned char)*s++) * 16777619u;
  return h;
}

int art__registry_create(art_system *sys) {
  art__registry *r = art__calloc(&sys->alloc, sizeof *r);
  if (!r)
    return ART_ENOMEM;
  r->nbuckets = 64;
  if (!(r->buckets = art__calloc(&sys->alloc, r->nbuckets * sizeof *r->buckets)) ||
      pthread_mutex_init(&r->lock, NULL)) {
    art__free(&sys->alloc, r->buckets);
    art__free(&sys->alloc, r);
    return ART_ENOMEM;
  }
  sys->registry = r;
  return 0;
}

void art__registry_destroy(art_system *sys) {
  art__registry *r = sys->registry;
  if (!r)
    return;
  for (uint32_t i = 0; i < r->nbuckets; i++) {
    for (art__reg_entry *e = r->buckets[i], *next; e; e = next) {
      next = e->next;
      art__free(&sys->alloc, e);
    }
  }
  art__free(&sys->alloc, r->buckets);
  pthread_mutex_destroy(&r->lock);
  art__free(&sys->alloc, r);
  sys->registry = NULL;
}

static art__reg_entry **find_locked(art__registry *r, const char *name) {
  art__reg_entry **p = &r->buckets[hash_name(name) & (r->nbuckets - 1)];
  while (*p && strcmp((*p)->name, name) != 0)
    p = &(*p)->next;
  return p;
}

static void grow_locked(art_system *sys, art__registry *r) {
  uint32_t n = r->nbuckets * 2;
  art__reg_entry **b = art__calloc(&sys->alloc, n * sizeof *b);
  if (!b)
    return; /* keep the longer chains */
  for (uint32_t i = 0; i < r->nbuckets; i++) {
    for (art__reg_entry *e = r->buckets[i], *next; e; e = next) {
      next = e->next;
      art__reg_entry **head = &b[hash_name(e->name) & (n - 1)];
      e->next = *head;
      *head = e;
    }
  }
  art__free(&sys->alloc, r->buckets);
  r->buckets = b;
  r->nbuckets = n;
}

static bool valid_name(const char *name) {
  return name && name[0] && strlen(name) <= ART_NAME_MAX;
}

/* Unlinks @p e (found at @p p) and clears its actor's side. Lock held. */
static void remove_locked(art_system *sys, art__registry *r, art__reg_entry **p) {
  art__reg_entry *e = *p;
  ART_MONITOR_EVENT(sys->monitor, ART_EVENT_SYSTEM_ACTOR_DEREGISTERED, ART_SEVERITY_DEBUG, ev, {
    ev.pid = e->pid;
    art_event_copy_text(ev.name, sizeof ev.name, e->name);
  });
  *p = e->next;
  r->count--;
  e->actor->reg = NULL;
  atomic_fetch_and(&e->actor->signals, ~ART__SIGNAL_REGISTERED);
}

int art_register(art_system *sys, const char *name, art_pid pid) {
  if (!sys || !valid_name(name))
    return ART_EINVAL;
  art__registry *r = sys->registry;
  art__reg_entry *e = art__alloc(&sys->alloc, sizeof *e);
  if (!e)
    return ART_ENOMEM;
  int rc = 0;
  art__worker *w = art__sched_current(&sys->sched);
  art__epoch_rec *rec = w ? NULL : art__epoch_enter(&sys->epoch);
  pthread_mutex_lock(&r->lock);
  art__reg_entry **p = find_locked(r, name);
  art__actor *a = art__pidtable_lookup(&sys->pids, pid);
  if (*p) {
    rc = ART_EEXIST;
  } else if (!a || a->pid != pid) {
    rc = ART_ESRCH;
  } else if (a->reg) {
    rc = ART_EBUSY;
  } else {
    atomic_fetch_or(&a->signals, ART__SIGNAL_REGISTERED);
    if (art__pidtable_lookup(&sys->pids, pid) != a) { /* exiting: see the comment above */
      atomic_fetch_and(&a->signals, ~ART__SIGNAL_REGISTERED);
      rc = ART_ESRCH;
    } else {
      e->actor = a;
      e->pid = pid;
      strcpy(e->name, name);
      e->next = NULL;
      *p = e;
      a->reg = e;
      ART_MONITOR_EVENT(sys->monitor, ART_EVENT_SYSTEM_ACTOR_REGISTERED, ART_SEVERITY_DEBUG, ev, {
        ev.pid = pid;
        art_event_copy_text(ev.name, sizeof ev.name, name);
      });
      if (++r->count > r->nbuckets)
        grow_locked(sys, r);
      e = NULL;
    }
  }
  pthread_mutex_unlock(&r->lock);
  if (rec)
    art__epoch_leave(rec);
  art__free(&sys->alloc, e);
  return rc;
}

int art_unregister(art_system *sys, const char *name) {
  if (!sys || !valid_name(name))
    return ART_EINVAL;
  art__registry *r = sys->registry;
  pthread_mutex_lock(&r->lock);
  art__reg_entry **p = find_locked(r, name), *e = *p;
  if (e)
    remove_locked(sys, r, p);
  pthread_mutex_unlock(&r->lock);
  art__free(&sys->alloc, e);
  return e ? 0 : ART_ENOENT;
}

art_pid art_whereis(art_system *sys, const char *name) {
  if (!sys || !valid_name(name))
    return ART_PID_NONE;
  art__registry *r = sys->registry;
  pthread_mutex_lock(&r->lock);
  art__reg_entry *e = *find_locked(r, name);
  art_pid pid = e ? e->pid : ART_PID_NONE;
  pthread_mutex_unlock(&r->lock);
  return pid;
}

int art_send_named(art_system *sys, const char *name, uint32_t type, const void *data,
                   size_t size) {
  if (!sys || !valid_name(name))
    return ART_EINVAL;
  art_pid pid = art_whereis(sys, name);
  return pid ? art_send(sys, pid, type, data, size) : ART_ENOENT;
}

void art__registry_remove_actor(art_system *sys, art__actor *a) {
  if (!(atomic_load(&a->signals) & ART__SIGNAL_REGISTERED))
    return;
  art__registry *r = sys->registry;
  art__reg_entry *e = NULL;
  pthread_mutex_lock(&r->lock);
  if ((e = a->reg) != NULL)
    remove_locked(sys, r, find_locked(r, e->name));
  pthread_mutex_unlock(&r->lock);
  art__free(&sys->alloc, e);
}
