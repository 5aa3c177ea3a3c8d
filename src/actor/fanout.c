/*
 * Fan-out: the same message to many actors (see art__fanout in actor.h).
 *
 * Each delivery is what art__send() does for one receiver (resolve the pid, take room, an
 * envelope from this thread's cache, one exchange on the mailbox), minus the per-call costs: one
 * epoch section and one look at the system's state for the whole fan-out, the sent counter
 * updated once, and the actors whose mailboxes were parked made runnable in batches of
 * ART__FANOUT_WOKEN with one scheduler call (one lock of the global queue from a plain thread)
 * instead of one each.
 */
#include "actor/actor.h"

int art__fanout_begin(art__fanout *f, art_system *sys) {
  if (ART__UNLIKELY(atomic_load_explicit(&sys->state, memory_order_relaxed) == ART__SYS_STOPPED))
    return ART_ESHUTDOWN;
  f->sys = sys;
  f->w = art__sched_current(&sys->sched);
  f->rec = f->w ? NULL : art__epoch_enter(&sys->epoch);
  f->envs = f->w ? &f->w->envs : &sys->ext_caches[f->rec - sys->epoch.ext].envs;
  f->sent = 0;
  f->nwoken = 0;
  return 0;
}

static void flush_woken(art__fanout *f) {
  art__sched_submit_many(&f->sys->sched, f->woken, f->nwoken);
  f->nwoken = 0;
}

int art__fanout_send(art__fanout *f, art_pid to, art_pid sender, uint32_t type,
                     const art_send_args *args) {
  art_system *sys = f->sys;
  art__actor *a = art__pidtable_lookup(&sys->pids, to);
  if (ART__UNLIKELY(!a || a->pid != to)) {
    art__dead_letter(sys, sender, to, type);
    return ART_ESRCH;
  }
  uint32_t depth;
  int room = art__actor_take_room(a, sender, type, args, &depth);
  if (ART__UNLIKELY(room != ART__ROOM_OK))
    return room == ART__ROOM_DROPPED ? ART__FANOUT_DROPPED : ART_EAGAIN;
  bool woke;
  int rc = art__actor_enqueue(sys, a, f->envs, sender, type, args, depth, &woke);
  if (ART__UNLIKELY(rc != 0))
    return rc;
  if (woke) {
    if (a->dedicated) {
      art__token_post(&a->token);
    } else {
      f->woken[f->nwoken++] = &a->task;
      if (f->nwoken == ART__FANOUT_WOKEN)
        flush_woken(f);
    }
  }
  f->sent++;
  return 0;
}

void art__fanout_end(art__fanout *f) {
  art_system *sys = f->sys;
  flush_woken(f);
  if (f->w)
    art__stat_add(&f->w->stats.sent, f->sent);
  else
    atomic_fetch_add_explicit(&sys->ext_sent, f->sent, memory_order_relaxed);
  if (f->rec)
    art__epoch_leave(f->rec);
}
