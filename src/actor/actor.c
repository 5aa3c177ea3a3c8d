/* Actors: spawn, activation, exit, sends and exit signals. See actor.h for the lifetime. */
#include "actor/actor.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define NAME_MAX_LEN 63

/* What a callback running on this thread has asked for. */
typedef struct actor_tls {
  art__actor *current;
  bool fail_set; /* art_fail() text for the error being returned */
  char fail_text[ART_REASON_TEXT_MAX];
  art_exit_reason exit_reason; /* art_exit() reason; valid while the actor is EXITING */
} actor_tls;

static ART__THREAD_LOCAL actor_tls tls;

art__actor *art__actor_current(void) { return tls.current; }

static art__worker *current_worker(art_system *sys) { return art__sched_current(&sys->sched); }

static void count_dead_letter(art_system *sys) { atomic_fetch_add(&sys->dead_letters, 1); }

/* ---- envelopes in and out of mailboxes ------------------------------------------------- */

static void env_free(art_system *sys, art__worker *w, art__env *env) {
  art__pool_free(&sys->env_pool, w ? &w->envs : NULL, env);
}

/* Pops everything visible in @p a's mailbox and drops it as dead letters. The last node stays
 * as the tail (it may be the one a late producer links to). */
static void drain_mailbox(art_system *sys, art__worker *w, art__actor *a) {
  art__node *n, *rel;
  while ((n = art__mailbox_pop(&a->tail, &rel))) {
    if (rel != &a->stub)
      env_free(sys, w, (art__env *)rel);
    art__env *env = (art__env *)n;
    art__env_release_payload(&sys->alloc, env);
    count_dead_letter(sys);
  }
}

int art__send(art_system *sys, art_pid to, uint32_t type, const art_send_args *args) {
  if (ART__UNLIKELY(atomic_load_explicit(&sys->state, memory_order_relaxed) == ART__SYS_STOPPED))
    return ART_ESHUTDOWN;
  art__worker *w = current_worker(sys);
  art__epoch_rec *rec = w ? NULL : art__epoch_enter(&sys->epoch);
  int rc = 0;
  art__actor *a = art__pidtable_lookup(&sys->pids, to);
  if (ART__UNLIKELY(!a || a->pid != to)) {
    count_dead_letter(sys);
    rc = ART_ESRCH;
    goto out;
  }
  art__env *env = art__pool_alloc(&sys->env_pool, w ? &w->envs : NULL);
  if (ART__UNLIKELY(!env)) {
    rc = ART_ENOMEM;
    goto out;
  }
  env->msg.type = type;
  env->msg.correlation = args->correlation;
  art__actor *self = tls.current;
  env->msg.sender = self && self->sys == sys ? self->pid : ART_PID_NONE;
  if (ART__UNLIKELY((rc = art__env_set_payload(&sys->alloc, env, args)) != 0)) {
    env_free(sys, w, env);
    goto out;
  }
  if (type == ART__MSG_SIGNAL_EXIT) {
    const art_exit_msg *m = args->data;
    if (m->reason.kind == ART_EXIT_KILLED)
      /* Release: pairs with the acquire load in the activation loop. */
      atomic_fetch_or_explicit(&a->signals, ART__SIGNAL_KILL, memory_order_release);
  }
  if (art__mailbox_push(&a->mailbox, &env->node))
    art__sched_submit(&sys->sched, &a->task);
  if (w)
    art__stat_add(&w->stats.sent, 1);
  else
    atomic_fetch_add_explicit(&sys->ext_sent, 1, memory_order_relaxed);
out:
  if (rec)
    art__epoch_leave(rec);
  return rc;
}

int art_send_ex(art_system *sys, art_pid to, const art_send_args *args) {
  if (!sys || !args || args->type >= ART_MSG_RESERVED || args->size > UINT32_MAX ||
      (!args->data && (args->size || args->free_fn)))
    return ART_EINVAL;
  return art__send(sys, to, args->type, args);
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

int art_send_exit(art_system *sys, art_pid pid, const art_exit_reason *reason) {
  if (!sys || !reason || (unsigned)reason->kind > ART_EXIT_HEALTH_CHECK_FAILED)
    return ART_EINVAL;
  art__actor *self = tls.current;
  art_exit_msg m = {.from = self && self->sys == sys ? self->pid : ART_PID_NONE,
                    .reason = *reason};
  m.reason.text[ART_REASON_TEXT_MAX - 1] = '\0';
  art_send_args args = {.type = ART__MSG_SIGNAL_EXIT, .data = &m, .size = sizeof m};
  return art__send(sys, pid, ART__MSG_SIGNAL_EXIT, &args);
}

bool art_is_alive(art_system *sys, art_pid pid) {
  if (!sys || pid == ART_PID_NONE)
    return false;
  art__worker *w = current_worker(sys);
  art__epoch_rec *rec = w ? NULL : art__epoch_enter(&sys->epoch);
  art__actor *a = art__pidtable_lookup(&sys->pids, pid);
  bool alive = a && a->pid == pid;
  if (rec)
    art__epoch_leave(rec);
  return alive;
}

/* ---- spawn ------------------------------------------------------------------------------- */

static void release_state_and_name(art_system *sys, art__actor *a) {
  if (a->flags & ART__ACTOR_OWNS_STATE && a->state != (void *)(a + 1))
    art__free(&sys->alloc, a->state);
  a->state = NULL;
  art__free(&sys->alloc, a->name);
  a->name = NULL;
}

/* Retires an unpublished actor: the block is freed once no sender can hold it. */
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

int art_spawn(art_system *sys, const art_spawn_opts *opts, art_pid *out) {
  if (!sys || !opts || !opts->ops || !opts->ops->handle || (opts->flags & ~ART_SPAWN_TRAP_EXIT) ||
      (opts->name && strlen(opts->name) > NAME_MAX_LEN))
    return ART_EINVAL;
  if (atomic_load(&sys->state) != ART__SYS_RUNNING)
    return ART_ESHUTDOWN;
  art__worker *w = current_worker(sys);
  art__actor *a = art__pool_alloc(&sys->actor_pool, w ? &w->actors : NULL);
  if (!a)
    return ART_ENOMEM;
  memset(a, 0, sizeof *a);
  a->ops = opts->ops;
  a->sys = sys;
  a->flags = opts->flags & ART_SPAWN_TRAP_EXIT ? ART__ACTOR_TRAP_EXIT : 0;
  int rc = ART_ENOMEM;
  if (opts->state_size) {
    a->flags |= ART__ACTOR_OWNS_STATE;
    if (opts->state_size <= ART__ACTOR_INLINE_STATE) {
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
  art__mailbox_init(&a->mailbox, &a->tail, &a->stub);
  a->seq = atomic_fetch_add_explicit(&sys->spawn_seq, 1, memory_order_relaxed);
  /* seq_cst pair with art_system_shutdown (state, then alive): either shutdown waits for this
   * actor, or this spawn sees the state change and backs out. */
  atomic_fetch_add(&sys->alive, 1);
  if (atomic_load(&sys->state) != ART__SYS_RUNNING) {
    art__pidtable_release(&sys->pids, w ? &w->pids : NULL, a->pid);
    actor_gone(sys);
    rc = ART_ESHUTDOWN;
    goto fail_state;
  }
  art__pidtable_publish(&sys->pids, a->pid, a);

  rc = 0;
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
    drain_mailbox(sys, w, a);
    release_state_and_name(sys, a);
    a->flags |= ART__ACTOR_EXITED;
    atomic_fetch_add_explicit(&sys->spawn_failures, 1, memory_order_relaxed);
    retire(sys, w, a);
    actor_gone(sys);
    return rc;
  }
  a->flags |= ART__ACTOR_STARTED;
  if (w)
    art__stat_add(&w->stats.spawned, 1);
  else
    atomic_fetch_add_explicit(&sys->ext_spawned, 1, memory_order_relaxed);
  if (out)
    *out = a->pid;
  /* The mailbox was held scheduled during pre_start: park it, or run what arrived. Nothing of
   * @p a may be touched after this point: it can run, exit and be freed at once. */
  if (!art__mailbox_empty(&a->mailbox, a->tail) || !art__mailbox_try_park(&a->mailbox, a->tail))
    art__sched_submit(&sys->sched, &a->task);
  return 0;

fail_state:
  release_state_and_name(sys, a);
fail_block:
  art__pool_free(&sys->actor_pool, w ? &w->actors : NULL, a);
  return rc;
}

/* ---- exit ------------------------------------------------------------------------------ */

static void do_exit(art_system *sys, art__worker *w, art__actor *a, const art_exit_reason *r) {
  a->flags |= ART__ACTOR_EXITED;
  art__pidtable_release(&sys->pids, w ? &w->pids : NULL, a->pid);
  if (a->flags & ART__ACTOR_STARTED && a->ops->post_stop) {
    art__actor *saved = tls.current;
    tls.current = a;
    a->ops->post_stop(a, a->state, r);
    tls.current = saved;
  }
  drain_mailbox(sys, w, a);
  release_state_and_name(sys, a);
  if (w)
    art__stat_add(&w->stats.exits_by_kind[r->kind], 1);
  retire(sys, w, a);
  actor_gone(sys);
}

void art__actor_reclaim(art__retired *item, void *arg) {
  art_system *sys = arg;
  art__actor *a = ART__CONTAINER_OF(item, art__actor, retired);
  art__worker *w = current_worker(sys);
  drain_mailbox(sys, w, a); /* what late senders pushed after the exit */
  if (a->tail != &a->stub)
    env_free(sys, w, (art__env *)a->tail);
  art__pool_free(&sys->actor_pool, w ? &w->actors : NULL, a);
}

/* ---- the activation ------------------------------------------------------------------------ */

static void set_exit(art__actor *a, const art_exit_reason *r) {
  if (a->flags & ART__ACTOR_EXITING)
    return;
  a->flags |= ART__ACTOR_EXITING;
  tls.exit_reason = *r;
}

/* Turns a handler error into the error action's effect. */
static void handle_error(art__actor *a, int err, const art_msg *msg) {
  art_error_action action =
      a->ops->on_error ? a->ops->on_error(a, a->state, err, msg) : ART_ACTION_RESTART;
  switch (action) {
  case ART_ACTION_RESUME:
    break;
  case ART_ACTION_STOP: {
    art_exit_reason r = art_reason(ART_EXIT_NORMAL);
    set_exit(a, &r);
    break;
  }
  case ART_ACTION_ESCALATE:
  case ART_ACTION_RESTART:
  default: {
    art_exit_reason r = art_reason_error(err, tls.fail_set ? tls.fail_text : NULL);
    if (action == ART_ACTION_ESCALATE)
      r.flags |= ART_REASON_ESCALATE;
    set_exit(a, &r);
    break;
  }
  }
}

/* Calls the handler and turns its result into the actor's next step. */
static void call_handler(art__actor *a, const art_msg *msg) {
  tls.fail_set = false;
  int rc = a->ops->handle(a, a->state, msg);
  if (ART__LIKELY(rc == 0))
    return;
  if (rc == ART_STOP) {
    art_exit_reason r = art_reason(ART_EXIT_NORMAL);
    set_exit(a, &r);
  } else if (rc < 0) {
    handle_error(a, rc, msg);
  }
}

/* An exit signal arrived through the mailbox (OTP's exit/2 rules, see art_send_exit). */
static void handle_exit_signal(art__actor *a, art__env *env) {
  const art_exit_msg *m = env->msg.data;
  if (m->reason.kind == ART_EXIT_KILLED) {
    set_exit(a, &m->reason);
  } else if (a->flags & ART__ACTOR_TRAP_EXIT) {
    env->msg.type = ART_MSG_EXIT;
    call_handler(a, &env->msg);
  } else if (m->reason.kind != ART_EXIT_NORMAL || m->from == a->pid) {
    set_exit(a, &m->reason);
  }
}

static void handle_message(art__actor *a, art__env *env) {
  if (ART__UNLIKELY(env->msg.type >= ART_MSG_RESERVED))
    handle_exit_signal(a, env);
  else
    call_handler(a, &env->msg);
}

bool art__actor_run(art__task *task, art__worker *w, void *arg) {
  art_system *sys = arg;
  art__actor *a = ART__CONTAINER_OF(task, art__actor, task);
  uint32_t batch = sys->cfg.batch;
  uint64_t handled = 0;
  bool again = true;
  tls.current = a;
  /* A kill overtakes the queue. Checked once per activation, not per message: the word sits on
   * the line senders write, and a batch is short. Acquire: pairs with the killer's fetch_or. */
  if (ART__UNLIKELY(atomic_load_explicit(&a->signals, memory_order_acquire) & ART__SIGNAL_KILL)) {
    art_exit_reason r = art_reason(ART_EXIT_KILLED);
    do_exit(sys, w, a, &r);
    tls.current = NULL;
    return false;
  }
  for (uint32_t i = 0; i < batch; i++) {
    art__node *rel;
    art__node *n = art__mailbox_pop(&a->tail, &rel);
    if (rel && rel != &a->stub)
      env_free(sys, w, (art__env *)rel);
    if (!n) {
      /* Empty: park the mailbox unless a producer got in; if one is mid-push, come back. */
      again = !art__mailbox_try_park(&a->mailbox, a->tail);
      break;
    }
    art__env *env = (art__env *)n;
    handle_message(a, env);
    handled++;
    art__env_release_payload(&sys->alloc, env);
    if (a->flags & ART__ACTOR_EXITING)
      break;
  }
  art__stat_add(&w->stats.handled, handled);
  if (a->flags & ART__ACTOR_EXITING) {
    art_exit_reason r = tls.exit_reason;
    do_exit(sys, w, a, &r);
    again = false;
  }
  tls.current = NULL;
  return again;
}

/* ---- the context API ----------------------------------------------------------------------- */

art_pid art_self(const art_ctx *ctx) { return ctx ? ctx->pid : ART_PID_NONE; }

art_system *art_ctx_system(const art_ctx *ctx) { return ctx ? ctx->sys : NULL; }

const char *art_ctx_name(const art_ctx *ctx) { return ctx && ctx->name ? ctx->name : ""; }

void art_exit(art_ctx *ctx, const art_exit_reason *reason) {
  if (!ctx || !reason || !(ctx->flags & ART__ACTOR_STARTED) || ctx->flags & ART__ACTOR_EXITED ||
      (unsigned)reason->kind > ART_EXIT_HEALTH_CHECK_FAILED)
    return;
  set_exit(ctx, reason);
  tls.exit_reason.text[ART_REASON_TEXT_MAX - 1] = '\0';
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
