/* Actors: spawn, sends, the activation, exit. See actor.h for the lifetime. */
#include "actor/actor.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "art/link.h"
#include "art/request.h"

#define NAME_MAX_LEN 63
#define SPAWN_FLAGS (ART_SPAWN_TRAP_EXIT | ART_SPAWN_LINK | ART_SPAWN_MONITOR | ART_SPAWN_DEDICATED)

/* What a callback running on this thread has asked for. */
typedef struct actor_tls {
  art__actor *current;
  bool fail_set; /* art_fail() text for the error being returned */
  char fail_text[ART_REASON_TEXT_MAX];
  art_exit_reason exit_reason; /* art_exit() reason; valid while the actor is EXITING */
} actor_tls;

static ART__THREAD_LOCAL actor_tls tls;

art__actor *art__actor_current(void) {
  return tls.current;
}

art_pid art__sender(art_system *sys) {
  art__actor *self = tls.current;
  return self && self->sys == sys ? self->pid : ART_PID_NONE;
}

static art__worker *current_worker(art_system *sys) {
  return art__sched_current(&sys->sched);
}

/* Messages that count as dead letters when they reach no handler (a timer's message counts
 * with the user's type, reported where the timer is known: timers.c, link.c). */
static bool is_user_visible(uint32_t type) {
  return type < ART_MSG_RESERVED;
}

void art__dead_letter(art_system *sys, art_pid sender, art_pid target, uint32_t type) {
  atomic_fetch_add_explicit(&sys->dead_letters, 1, memory_order_relaxed);
  ART_MONITOR_EVENT(sys->monitor, ART_EVENT_BROKER_DEAD_LETTER, ART_SEVERITY_WARNING, ev, {
    ev.pid = target;
    ev.other = sender;
    ev.count = type;
  });
  if (sys->cfg.dead_letter) {
    art_dead_letter letter = {.sender = sender, .target = target, .type = type};
    sys->cfg.dead_letter(sys->cfg.dead_letter_ctx, &letter);
  }
}

/* ---- envelopes in and out of mailboxes ------------------------------------------------- */

static void env_free(art_system *sys, art__worker *w, art__env *env) {
  art__pool_free(&sys->env_pool, w ? &w->envs : NULL, env);
}

/* Pops everything visible in @p a's mailbox: user messages are dead letters, link and monitor
 * requests are answered with @p reason. The last node stays as the tail (a late producer may
 * be linking to it). */
static void drain_mailbox(art_system *sys, art__worker *w, art__actor *a,
                          const art_exit_reason *reason) {
  art__node *n, *rel;
  while ((n = art__mailbox_pop(&a->tail, &rel))) {
    if (rel != &a->stub)
      env_free(sys, w, (art__env *)rel);
    art__env *env = (art__env *)n;
    if (is_user_visible(env->msg.type))
      art__dead_letter(sys, env->msg.sender, a->pid, env->msg.type);
    if (env->msg.type >= ART_MSG_RESERVED)
      art__actor_undeliverable(sys, a->pid, env, reason);
    art__env_release_payload(&sys->alloc, env);
  }
}

int art__send(art_system *sys, art_pid to, art_pid sender, uint32_t type,
              const art_send_args *args) {
  art__worker *w = current_worker(sys);
  int rc;
  for (;;) {
    if (ART__UNLIKELY(atomic_load_explicit(&sys->state, memory_order_relaxed) == ART__SYS_STOPPED))
      return ART_ESHUTDOWN;
    art__epoch_rec *rec = w ? NULL : art__epoch_enter(&sys->epoch);
    art__actor *a = art__pidtable_lookup(&sys->pids, to);
    if (ART__UNLIKELY(!a || a->pid != to)) {
      if (is_user_visible(type))
        art__dead_letter(sys, sender, to, type);
      rc = ART_ESRCH;
      goto out;
    }
    uint32_t depth;
    int room = art__actor_take_room(a, sender, type, args, &depth);
    if (ART__UNLIKELY(room != ART__ROOM_OK)) {
      rc = room == ART__ROOM_DROPPED ? 0 : ART_EAGAIN;
      if (room == ART__ROOM_DROPPED || a->overflow != ART_OVERFLOW_BLOCK || w || tls.current)
        goto out;
      /* Block: wait outside the epoch section (the actor may exit meanwhile) for a consumer of
       * a bounded mailbox to make room. seq_cst pair: blocked_senders here, queued there. */
      uint32_t capacity = a->capacity;
      uint32_t seq = atomic_load(&sys->space_seq);
      atomic_fetch_add(&sys->blocked_senders, 1);
      bool full = atomic_load(&a->queued) >= capacity;
      art__epoch_leave(rec);
      if (full) {
        int64_t since = art__clock_mono();
        art__futex_wait(&sys->space_seq, seq, ART_MSEC(100));
        ART_MONITOR_EVENT(sys->monitor, ART_EVENT_MAILBOX_BACKPRESSURE_APPLIED,
                          ART_SEVERITY_WARNING, ev, {
                            ev.pid = to;
                            ev.other = sender;
                            ev.count = depth;
                            ev.capacity = capacity;
                            ev.duration_ns = art__clock_mono() - since;
                          });
      }
      atomic_fetch_sub(&sys->blocked_senders, 1);
      continue;
    }
    art__pool_cache *cache = w ? &w->envs : &sys->ext_caches[rec - sys->epoch.ext].envs;
    bool woke;
    rc = art__actor_enqueue(sys, a, cache, sender, type, args, depth, &woke);
    if (ART__UNLIKELY(rc != 0))
      goto out;
    if (woke)
      art__actor_make_runnable(sys, a);
    if (w)
      art__stat_add(&w->stats.sent, 1);
    else
      atomic_fetch_add_explicit(&sys->ext_sent, 1, memory_order_relaxed);
  out:
    if (rec)
      art__epoch_leave(rec);
    return rc;
  }
}

int art_send_ex(art_system *sys, art_pid to, const art_send_args *args) {
  if (!sys || !args || args->type >= ART_MSG_RESERVED || args->size > UINT32_MAX ||
      (!args->data && (args->size || args->free_fn)) ||
      (args->correlation & ART_CORRELATION_RESERVED))
    return ART_EINVAL;
  return art__send(sys, to, art__sender(sys), args->type, args);
}

int art_send(art_system *sys, art_pid to, uint32_t type, const void *data, size_t size) {
  art_send_args args = {.type = type, .data = data, .size = size};
  return art_send_ex(sys, to, &args);
}

int art_send_ptr(art_system *sys, art_pid to, uint32_t type, void *data, size_t size,
                 void (*free_fn)(void *data)) {
  if (!free_fn)
    return ART_EINVAL;
  art_send_args args = {.type = type, .data = data, .size = size, .free_fn = free_fn};
  return art_send_ex(sys, to, &args);
}

/* A kill needs no message: set the bit, and if the mailbox is parked, unpark it with one CAS
 * and run the actor. A consumer that parks re-checks the bit (see activate), so one of the two
 * always runs the actor after the bit is set. Never allocates, so shutdown can kill under
 * memory exhaustion. */
static void kill_actor(art__actor *a, void *arg) {
  art_system *sys = arg;
  atomic_fetch_or(&a->signals, ART__SIGNAL_KILL);
  uintptr_t head = atomic_load(&a->mailbox.head);
  if (head & ART__MAILBOX_PARKED &&
      atomic_compare_exchange_strong(&a->mailbox.head, &head, head & ~ART__MAILBOX_PARKED))
    art__actor_make_runnable(sys, a);
}

static int with_actor(art_system *sys, art_pid pid, void (*fn)(art__actor *a, void *arg),
                      void *arg);

int art_send_exit(art_system *sys, art_pid pid, const art_exit_reason *reason) {
  if (!sys || !reason || (unsigned)reason->kind > ART_EXIT_HEALTH_CHECK_FAILED)
    return ART_EINVAL;
  if (reason->kind == ART_EXIT_KILLED) {
    if (atomic_load_explicit(&sys->state, memory_order_relaxed) == ART__SYS_STOPPED)
      return ART_ESHUTDOWN;
    return with_actor(sys, pid, kill_actor, sys);
  }
  art_exit_msg m = {.from = art__sender(sys), .reason = *reason};
  m.reason.text[ART_REASON_TEXT_MAX - 1] = '\0';
  art_send_args args = {.data = &m, .size = sizeof m};
  return art__send(sys, pid, m.from, ART__MSG_SIGNAL_EXIT, &args);
}

/* Runs @p fn on the actor @p pid resolves to, inside an epoch section. ART_ESRCH if none. */
static int with_actor(art_system *sys, art_pid pid, void (*fn)(art__actor *a, void *arg),
                      void *arg) {
  if (!sys || pid == ART_PID_NONE)
    return ART_ESRCH;
  art__worker *w = current_worker(sys);
  art__epoch_rec *rec = w ? NULL : art__epoch_enter(&sys->epoch);
  art__actor *a = art__pidtable_lookup(&sys->pids, pid);
  bool alive = a && a->pid == pid;
  if (alive && fn)
    fn(a, arg);
  if (rec)
    art__epoch_leave(rec);
  return alive ? 0 : ART_ESRCH;
}

bool art_is_alive(art_system *sys, art_pid pid) {
  return with_actor(sys, pid, NULL, NULL) == 0;
}

void art__actor_for_each(art_system *sys, void (*fn)(art__actor *a, void *arg), void *arg) {
  art__pidtable *t = &sys->pids;
  pthread_mutex_lock(&t->lock);
  uint32_t used = t->used;
  pthread_mutex_unlock(&t->lock);
  art__worker *w = current_worker(sys);
  art__epoch_rec *rec = w ? NULL : art__epoch_enter(&sys->epoch);
  for (uint32_t i = 0; i < used; i++) {
    art__actor *a = atomic_load(&art__pidtable_slot(t, i)->actor); /* seq_cst: core/epoch.h */
    if (a)
      fn(a, arg);
  }
  if (rec)
    art__epoch_leave(rec);
}

static void read_mailbox_stats(art__actor *a, void *arg) {
  art_mailbox_stats *out = arg;
  uint64_t processed = atomic_load_explicit(&a->processed, memory_order_relaxed);
  out->depth = atomic_load_explicit(&a->queued, memory_order_relaxed);
  out->high_water = atomic_load_explicit(&a->high_water, memory_order_relaxed);
  out->processed = processed;
  out->enqueued = processed + out->depth;
  out->dropped = atomic_load_explicit(&a->dropped, memory_order_relaxed);
  out->capacity = a->capacity;
}

int art_mailbox_stats_get(art_system *sys, art_pid pid, art_mailbox_stats *out) {
  if (!sys || !out)
    return ART_EINVAL;
  memset(out, 0, sizeof *out);
  return with_actor(sys, pid, read_mailbox_stats, out);
}

/* ---- spawn ------------------------------------------------------------------------------- */

static void free_ext(art_system *sys, art__actor *a) {
  art__actor_ext *x = a->ext;
  if (!x)
    return;
  art__pid_set_free(&sys->alloc, &x->links);
  art__free(&sys->alloc, x->watching.items);
  art__free(&sys->alloc, x->watched_by.items);
  art__free(&sys->alloc, x->asks.items);
  art__free(&sys->alloc, x);
  a->ext = NULL;
}

static void release_state_and_name(art_system *sys, art__actor *a) {
  if (a->flags & ART__ACTOR_OWNS_STATE && !(a->flags & ART__ACTOR_INLINE))
    art__free(&sys->alloc, a->state);
  a->state = NULL;
  art__free(&sys->alloc, a->name);
  a->name = NULL;
  free_ext(sys, a);
}

/* Retires an unpublished actor: the block is freed once no sender can hold it. It is the last
 * touch of the block. */
static void retire(art_system *sys, art__worker *w, art__actor *a) {
  if (w)
    art__epoch_retire(&sys->epoch, &w->retired, &a->retired);
  else
    art__sched_retire_external(&sys->sched, &a->retired);
}

static void actor_gone(art_system *sys) {
  /* seq_cst: the Dekker pair with art_system_wait (alive, waiters). */
  if (atomic_fetch_sub(&sys->alive, 1) == 1 && atomic_load(&sys->waiters)) {
    pthread_mutex_lock(&sys->wait_lock);
    pthread_cond_broadcast(&sys->wait_cond);
    pthread_mutex_unlock(&sys->wait_lock);
  }
}

/* Establishes the links and monitor asked for with ART_SPAWN_LINK / ART_SPAWN_MONITOR between
 * the calling actor and @p child, before the child can run. */
static int attach_to_parent(art_system *sys, art__actor *parent, art__actor *child,
                            const art_spawn_opts *opts) {
  art__actor_ext *px = art__actor_ext_get(parent), *cx = art__actor_ext_get(child);
  if (!px || !cx)
    return ART_ENOMEM;
  if (opts->flags & ART_SPAWN_LINK) {
    if (art__pid_set_add(&sys->alloc, &cx->links, parent->pid) ||
        art__pid_set_add(&sys->alloc, &px->links, child->pid))
      return ART_ENOMEM;
  }
  if (opts->flags & ART_SPAWN_MONITOR) {
    uint64_t ref = atomic_fetch_add_explicit(&sys->next_ref, 1, memory_order_relaxed);
    *opts->monitor_ref = 0; /* set only once both sides hold the monitor (see detach) */
    if (art__ref_list_add(sys, &cx->watched_by, ref, parent->pid) ||
        art__ref_list_add(sys, &px->watching, ref, child->pid))
      return ART_ENOMEM;
    *opts->monitor_ref = ref;
  }
  return 0;
}

/* Undoes attach_to_parent on both sides, without any signal: the spawn failed. Removes only
 * what attach added (the child's pid is new; the reference is set only once both sides hold
 * it), never another link or monitor of the parent. */
static void detach_from_parent(art__actor *parent, art__actor *child, const art_spawn_opts *opts) {
  if (!(opts->flags & (ART_SPAWN_LINK | ART_SPAWN_MONITOR)))
    return;
  art__ref_pair p;
  if (parent->ext)
    art__pid_set_remove(&parent->ext->links, child->pid);
  if (child->ext)
    art__pid_set_remove(&child->ext->links, parent->pid);
  if (opts->flags & ART_SPAWN_MONITOR && *opts->monitor_ref) {
    if (parent->ext)
      art__ref_list_take(&parent->ext->watching, *opts->monitor_ref, &p);
    if (child->ext)
      art__ref_list_take(&child->ext->watched_by, *opts->monitor_ref, &p);
    *opts->monitor_ref = 0;
  }
}

static void *dedicated_main(void *arg);

/* The owner parks its empty mailbox; this must be its last touch of the actor, which another
 * thread may run as soon as it is parked. Returns false if the actor must keep running: a
 * producer got in, or a kill came before the park and may have missed the parked bit (seq_cst
 * pair with kill_actor: signals, then head), in which case the mailbox is taken back. */
static bool park(art__actor *a) {
  art__node *tail = a->tail;
  if (!art__mailbox_try_park(&a->mailbox, tail)) /* fails unless head == tail: empty */
    return false;
  uintptr_t parked = (uintptr_t)tail | ART__MAILBOX_PARKED;
  return !(atomic_load(&a->signals) & ART__SIGNAL_KILL &&
           atomic_compare_exchange_strong(&a->mailbox.head, &parked, (uintptr_t)tail));
}

int art_spawn(art_system *sys, const art_spawn_opts *opts, art_pid *out) {
  if (!sys || !opts || !opts->ops || !opts->ops->handle || (opts->flags & ~SPAWN_FLAGS) ||
      (opts->name && strlen(opts->name) > NAME_MAX_LEN) ||
      (unsigned)opts->overflow > ART_OVERFLOW_BLOCK ||
      (opts->flags & ART_SPAWN_MONITOR && !opts->monitor_ref))
    return ART_EINVAL;
  art__actor *parent = tls.current && tls.current->sys == sys ? tls.current : NULL;
  if (opts->flags & (ART_SPAWN_LINK | ART_SPAWN_MONITOR) && !parent)
    return ART_EINVAL;
  if (atomic_load(&sys->state) != ART__SYS_RUNNING)
    return ART_ESHUTDOWN;
  art__worker *w = current_worker(sys);
  int kind = opts->state_size && opts->state_size <= ART__ACTOR_INLINE_STATE;
  art__actor *a = art__pool_alloc(&sys->actor_pools[kind], w ? &w->actors[kind] : NULL);
  if (!a)
    return ART_ENOMEM;
  memset(a, 0, sizeof *a);
  if (kind)
    a->flags = ART__ACTOR_INLINE;
  a->ops = opts->ops;
  a->sys = sys;
  a->flags |= opts->flags & ART_SPAWN_TRAP_EXIT ? ART__ACTOR_TRAP_EXIT : 0;
  a->capacity = opts->mailbox_capacity;
  a->overflow = (uint8_t)opts->overflow;
  a->dedicated = opts->flags & ART_SPAWN_DEDICATED && !sys->cfg.deterministic;
  int rc = ART_ENOMEM;
  if (opts->state_size) {
    a->flags |= ART__ACTOR_OWNS_STATE;
    if (kind) {
      a->state = a + 1;
      memset(a->state, 0, opts->state_size);
    } else if (!(a->state = art__calloc(&sys->alloc, opts->state_size))) {
      goto fail_block;
    }
  } else {
    a->state = opts->state;
  }
  if (opts->name) {
    size_t len = strlen(opts->name);
    if (!(a->name = art__alloc(&sys->alloc, len + 1)))
      goto fail_state;
    memcpy(a->name, opts->name, len + 1);
  }
  if ((rc = art__pidtable_acquire(&sys->pids, w ? &w->pids : NULL, &a->pid)) != 0)
    goto fail_state;
  if (opts->flags & (ART_SPAWN_LINK | ART_SPAWN_MONITOR) &&
      (rc = attach_to_parent(sys, parent, a, opts)) != 0)
    goto fail_pid;
  art__mailbox_init(&a->mailbox, &a->tail, &a->stub);
  a->seq = atomic_fetch_add_explicit(&sys->spawn_seq, 1, memory_order_relaxed);
  /* seq_cst pair with art_system_shutdown (state, then alive): either shutdown waits for this
   * actor, or this spawn sees the state change and backs out. */
  atomic_fetch_add(&sys->alive, 1);
  if (atomic_load(&sys->state) != ART__SYS_RUNNING) {
    actor_gone(sys);
    rc = ART_ESHUTDOWN;
    goto fail_pid;
  }
  art__pidtable_publish(&sys->pids, a->pid, a);
  ART_MONITOR_EVENT(sys->monitor, ART_EVENT_ACTOR_SPAWNED, ART_SEVERITY_DEBUG, ev, {
    ev.pid = a->pid;
    ev.other = parent ? parent->pid : ART_PID_NONE;
    art_event_copy_text(ev.name, sizeof ev.name, opts->name);
  });

  rc = 0;
  /* Times for the started (pre_start's duration) and stopped (lifetime) events, read only
   * when someone listens. */
  int64_t pre_start_at =
      ART_MONITOR_WANTS(sys->monitor, ART_EVENT_ACTOR_STARTED, ART_SEVERITY_DEBUG)
          ? art__clock_mono()
          : 0;
  a->born = ART_MONITOR_WANTS(sys->monitor, ART_EVENT_ACTOR_STOPPED, ART_SEVERITY_DEBUG)
                ? (pre_start_at ? pre_start_at : art__clock_mono())
                : 0;
  if (a->ops->pre_start) {
    actor_tls saved = tls; /* a spawn from a handler must not disturb that handler's state */
    tls.current = a;
    tls.fail_set = false;
    rc = a->ops->pre_start(a, a->state, opts->args);
    tls = saved;
  }
  if (rc < 0) {
    /* Never started: unpublish, drop what raced in, and retire (the pid may have leaked). */
    art__pidtable_release(&sys->pids, w ? &w->pids : NULL, a->pid);
    art__registry_remove_actor(sys, a);
    detach_from_parent(parent, a, opts);
    /* Links and monitors pre_start made itself are signalled, as for any exit; the spawner's
     * were removed silently above (it learns of the failure from the return code). */
    art_exit_reason failed = art_reason_error(rc, "pre_start failed");
    art__actor_exit_services(a, &failed);
    drain_mailbox(sys, w, a, &failed);
    release_state_and_name(sys, a);
    a->flags |= ART__ACTOR_EXITED;
    atomic_fetch_add_explicit(&sys->spawn_failures, 1, memory_order_relaxed);
    ART_MONITOR_EVENT(sys->monitor, ART_EVENT_ACTOR_ERROR_OCCURRED, ART_SEVERITY_ERROR, ev, {
      ev.pid = a->pid;
      ev.error_code = rc;
      art_event_copy_text(ev.text, sizeof ev.text, "pre_start failed");
    });
    retire(sys, w, a);
    actor_gone(sys);
    return rc;
  }
  a->flags |= ART__ACTOR_STARTED;
  art_pid pid = a->pid;
  ART_MONITOR_EVENT(sys->monitor, ART_EVENT_ACTOR_STARTED, ART_SEVERITY_DEBUG, ev, {
    ev.pid = pid;
    ev.other = parent ? parent->pid : ART_PID_NONE;
    ev.duration_ns = pre_start_at ? art__clock_mono() - pre_start_at : 0;
    art_event_copy_text(ev.name, sizeof ev.name, opts->name);
  });
  if (a->dedicated) {
    atomic_fetch_add(&sys->dedicated_running, 1);
    pthread_t thread;
    int err = pthread_create(&thread, NULL, dedicated_main, a);
    if (err) {
      /* post_stop is owed: let a worker run the actor just long enough to be killed. The
       * mailbox is still held, so no sender reads `dedicated` meanwhile. */
      atomic_fetch_sub(&sys->dedicated_running, 1);
      detach_from_parent(parent, a, opts);
      a->dedicated = false;
      atomic_fetch_or(&a->signals, ART__SIGNAL_KILL);
      art__sched_submit(&sys->sched, &a->task);
      return -err;
    }
  }
  if (w)
    art__stat_add(&w->stats.spawned, 1);
  else
    atomic_fetch_add_explicit(&sys->ext_spawned, 1, memory_order_relaxed);
  if (out)
    *out = pid;
  /* The mailbox was held scheduled during pre_start: park it, or run what arrived. Once it is
   * parked, @p a can run, exit and be reclaimed at once, while park() still reads it: a
   * non-worker thread holds an epoch record across (a worker is always inside one). */
  art__epoch_rec *rec = w ? NULL : art__epoch_enter(&sys->epoch);
  if (!park(a))
    art__actor_make_runnable(sys, a);
  if (rec)
    art__epoch_leave(rec);
  return 0;

fail_pid:
  detach_from_parent(parent, a, opts);
  art__pidtable_release(&sys->pids, w ? &w->pids : NULL, a->pid);
fail_state:
  release_state_and_name(sys, a);
fail_block:
  art__pool_free(&sys->actor_pools[kind], w ? &w->actors[kind] : NULL, a);
  return rc;
}

/* ---- exit ------------------------------------------------------------------------------ */

/* Wakes the senders blocked on a full bounded mailbox (art__send), if any: room was made or an
 * actor exited. */
static void wake_blocked_senders(art_system *sys) {
  if (atomic_load(&sys->blocked_senders)) {
    atomic_fetch_add(&sys->space_seq, 1);
    art__futex_wake_all(&sys->space_seq);
  }
}

static void do_exit(art_system *sys, art__worker *w, art__actor *a, const art_exit_reason *r) {
  a->flags |= ART__ACTOR_EXITED;
  /* Counted before the unpublish (a seq_cst store): whoever sees the pid gone sees the exit
   * counted. */
  if (w)
    art__stat_add(&w->stats.exits_by_kind[r->kind], 1);
  else
    atomic_fetch_add_explicit(&sys->ext_exits_by_kind[r->kind], 1, memory_order_relaxed);
  art__pidtable_release(&sys->pids, w ? &w->pids : NULL, a->pid);
  if (a->flags & ART__ACTOR_STARTED && a->ops->post_stop) {
    art__actor *saved = tls.current;
    tls.current = a;
    a->ops->post_stop(a, a->state, r);
    tls.current = saved;
  }
  ART_MONITOR_EVENT(sys->monitor, ART_EVENT_ACTOR_STOPPED, ART_SEVERITY_DEBUG, ev, {
    ev.pid = a->pid;
    ev.reason = (uint8_t)r->kind;
    ev.error_code = r->code;
    ev.count = atomic_load_explicit(&a->processed, memory_order_relaxed);
    ev.duration_ns = a->born ? art__clock_mono() - a->born : 0;
    art_event_copy_text(ev.name, sizeof ev.name, a->name);
    art_event_copy_text(ev.text, sizeof ev.text, r->text);
  });
  art__registry_remove_actor(sys, a);
  art__actor_exit_services(a, r);
  drain_mailbox(sys, w, a, r);
  wake_blocked_senders(sys); /* they will find the actor gone */
  release_state_and_name(sys, a);
  retire(sys, w, a);
  actor_gone(sys);
}

void art__actor_reclaim(art__retired *item, void *arg) {
  art_system *sys = arg;
  art__actor *a = ART__CONTAINER_OF(item, art__actor, retired);
  art__worker *w = current_worker(sys);
  static const art_exit_reason noproc = {.kind = ART_EXIT_NOPROC};
  drain_mailbox(sys, w, a, &noproc); /* what late senders pushed after the exit */
  if (a->tail != &a->stub)
    env_free(sys, w, (art__env *)a->tail);
  int kind = (a->flags & ART__ACTOR_INLINE) != 0;
  art__pool_free(&sys->actor_pools[kind], w ? &w->actors[kind] : NULL, a);
}

/* ---- the activation ------------------------------------------------------------------------ */

void art__actor_set_exit(art__actor *a, const art_exit_reason *r) {
  if (a->flags & ART__ACTOR_EXITING)
    return;
  a->flags |= ART__ACTOR_EXITING;
  tls.exit_reason = *r;
  tls.exit_reason.text[ART_REASON_TEXT_MAX - 1] = '\0';
}

/* Turns a handler error into the error action's effect. */
static void handle_error(art__actor *a, int err, const art_msg *msg) {
  ART_MONITOR_EVENT(a->sys->monitor, ART_EVENT_ACTOR_ERROR_OCCURRED, ART_SEVERITY_ERROR, ev, {
    ev.pid = a->pid;
    ev.other = msg->sender;
    ev.error_code = err;
    ev.count = msg->type;
    art_event_copy_text(ev.text, sizeof ev.text, tls.fail_set ? tls.fail_text : "");
  });
  art_error_action action =
      a->ops->on_error ? a->ops->on_error(a, a->state, err, msg) : ART_ACTION_RESTART;
  art_exit_reason r;
  switch (action) {
  case ART_ACTION_RESUME:
    return;
  case ART_ACTION_STOP:
    r = art_reason(ART_EXIT_NORMAL);
    break;
  case ART_ACTION_ESCALATE:
  case ART_ACTION_RESTART:
  default:
    r = art_reason_error(err, tls.fail_set ? tls.fail_text : NULL);
    if (action == ART_ACTION_ESCALATE)
      r.flags |= ART_REASON_ESCALATE;
    break;
  }
  art__actor_set_exit(a, &r);
}

/* Calls the handler and turns its result into the actor's next step. */
static void call_handler(art__actor *a, const art_msg *msg) {
  tls.fail_set = false;
  int rc = a->ops->handle(a, a->state, msg);
  if (ART__LIKELY(rc == 0))
    return;
  if (rc == ART_STOP) {
    static const art_exit_reason normal = {.kind = ART_EXIT_NORMAL};
    art__actor_set_exit(a, &normal);
  } else if (rc < 0) {
    handle_error(a, rc, msg);
  }
}

enum { RUN_PARKED, RUN_AGAIN, RUN_EXITED };

/* call_handler() with the MessageReceived and MessageProcessed events (trace level). */
static void call_handler_observed(art__actor *a, const art_msg *msg) {
  art_event_monitor *mon = a->sys->monitor;
  ART_MONITOR_EVENT(mon, ART_EVENT_ACTOR_MESSAGE_RECEIVED, ART_SEVERITY_TRACE, ev, {
    ev.pid = a->pid;
    ev.other = msg->sender;
    ev.count = msg->type;
  });
  int64_t start = art__clock_mono();
  call_handler(a, msg);
  ART_MONITOR_EVENT(mon, ART_EVENT_ACTOR_MESSAGE_PROCESSED, ART_SEVERITY_TRACE, ev, {
    ev.pid = a->pid;
    ev.other = msg->sender;
    ev.count = msg->type;
    ev.duration_ns = art__clock_mono() - start;
  });
}

/* Frees @p n places in a bounded mailbox and wakes senders blocked for room. seq_cst pair with
 * them: queued here, then blocked_senders; blocked_senders there, then queued. */
static void make_room(art_system *sys, art__actor *a, uint32_t n) {
  atomic_store_explicit(&a->processed,
                        atomic_load_explicit(&a->processed, memory_order_relaxed) + n,
                        memory_order_relaxed);
  atomic_fetch_sub(&a->queued, n);
  wake_blocked_senders(sys);
}

/* One activation: up to `batch` messages. */
static int activate(art_system *sys, art__worker *w, art__actor *a) {
  uint32_t batch = sys->cfg.batch;
  uint32_t taken = 0;
  bool empty = false;
  tls.current = a;
  /* A kill overtakes the queue. Checked once per activation, not per message: the word sits on
   * the line senders write, and a batch is short. Acquire: pairs with the killer's fetch_or. */
  if (ART__UNLIKELY(atomic_load_explicit(&a->signals, memory_order_acquire) & ART__SIGNAL_KILL)) {
    static const art_exit_reason killed = {.kind = ART_EXIT_KILLED};
    a->flags &= ~ART__ACTOR_EXITING;
    art__actor_set_exit(a, &killed);
  }
  while (!(a->flags & ART__ACTOR_EXITING) && taken < batch) {
    art__node *rel;
    art__node *n = art__mailbox_pop(&a->tail, &rel);
    if (rel && rel != &a->stub)
      env_free(sys, w, (art__env *)rel);
    if (!n) {
      empty = true;
      break;
    }
    taken++;
    if (a->capacity) /* a bounded mailbox has room again at once (see below for the others) */
      make_room(sys, a, 1);
    art__env *env = (art__env *)n;
    ART_MONITOR_EVENT(sys->monitor, ART_EVENT_MAILBOX_MESSAGE_DEQUEUED, ART_SEVERITY_TRACE, ev, {
      /* an unbounded mailbox is debited at the end of the batch: subtract what was taken */
      uint32_t queued = atomic_load_explicit(&a->queued, memory_order_relaxed);
      ev.pid = a->pid;
      ev.other = env->msg.sender;
      ev.count = a->capacity ? queued : queued - taken;
      ev.capacity = a->capacity;
    });
    if (ART__LIKELY(env->msg.type < ART_MSG_RESERVED &&
                    !(env->msg.correlation & ART__CORRELATION_REPLY)) ||
        art__actor_system_message(a, env)) {
      if (ART__UNLIKELY(ART_MONITOR_WANTS(sys->monitor, ART_EVENT_ACTOR_MESSAGE_PROCESSED,
                                          ART_SEVERITY_TRACE)))
        call_handler_observed(a, &env->msg);
      else
        call_handler(a, &env->msg);
    }
    art__env_release_payload(&sys->alloc, env);
  }
  if (taken) {
    /* Unbounded mailboxes count what was taken once per batch: the word is on the line the
     * senders write. */
    if (!a->capacity) {
      atomic_store_explicit(&a->processed,
                            atomic_load_explicit(&a->processed, memory_order_relaxed) + taken,
                            memory_order_relaxed);
      atomic_fetch_sub_explicit(&a->queued, taken, memory_order_relaxed);
    }
    if (w)
      art__stat_add(&w->stats.handled, taken);
    else
      atomic_fetch_add_explicit(&sys->ext_handled, taken, memory_order_relaxed);
  }
  int result = RUN_AGAIN;
  if (a->flags & ART__ACTOR_EXITING) {
    art_exit_reason r = tls.exit_reason;
    do_exit(sys, w, a, &r);
    result = RUN_EXITED;
  } else if (empty && park(a)) { /* if a producer is mid-push, come back */
    result = RUN_PARKED;
  }
  tls.current = NULL;
  return result;
}

bool art__actor_run(art__task *task, art__worker *w, void *arg) {
  return activate(arg, w, ART__CONTAINER_OF(task, art__actor, task)) == RUN_AGAIN;
}

/* The thread of a dedicated actor: activations whenever the mailbox edge posts the token. The
 * block is not touched after the activation that exits (it is retired there). */
static void *dedicated_main(void *arg) {
  art__actor *a = arg;
  art_system *sys = a->sys;
  pthread_detach(pthread_self());
  char name[16];
  snprintf(name, sizeof name, "%.10s-ded", sys->name);
  art__thread_set_name(name);
  int r = RUN_PARKED;
  while (r != RUN_EXITED) {
    art__token_wait(&a->token, -1);
    while ((r = activate(sys, NULL, a)) == RUN_AGAIN) {
    }
  }
  atomic_fetch_sub(&sys->dedicated_running, 1); /* the last touch of the system */
  return NULL;
}

/* ---- the context API ----------------------------------------------------------------------- */

art_pid art_self(const art_ctx *ctx) {
  return ctx ? ctx->pid : ART_PID_NONE;
}

art_system *art_ctx_system(const art_ctx *ctx) {
  return ctx ? ctx->sys : NULL;
}

const char *art_ctx_name(const art_ctx *ctx) {
  return ctx && ctx->name ? ctx->name : "";
}

void art_exit(art_ctx *ctx, const art_exit_reason *reason) {
  if (!ctx || !reason || !(ctx->flags & ART__ACTOR_STARTED) || ctx->flags & ART__ACTOR_EXITED ||
      (unsigned)reason->kind > ART_EXIT_HEALTH_CHECK_FAILED)
    return;
  art__actor_set_exit(ctx, reason);
}

int art_fail(art_ctx *ctx, int code, const char *fmt, ...) {
  (void)ctx;
  if (fmt) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tls.fail_text, sizeof tls.fail_text, fmt, ap);
    va_end(ap);
    tls.fail_set = true;
  }
  return code < 0 ? code : ART_EINVAL;
}

void art_trap_exit(art_ctx *ctx, bool on) {
  if (!ctx)
    return;
  if (on)
    ctx->flags |= ART__ACTOR_TRAP_EXIT;
  else
    ctx->flags &= ~ART__ACTOR_TRAP_EXIT;
}

bool art__actor_traps_exits(const art__actor *a) {
  return a->flags & ART__ACTOR_TRAP_EXIT;
}
