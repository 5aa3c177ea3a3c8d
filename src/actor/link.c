/*
 * Links, monitors and the runtime messages that carry them (OTP's semantics; see art/link.h).
 *
 * Each side keeps its own view, touched only by its own thread: a link is in both actors' link
 * lists, a monitor in the watcher's `watching` and the target's `watched_by`. Requests travel
 * as runtime messages through the mailbox, so they stay ordered with the sender's messages.
 * An exit signal from a link counts only if the link is still in the receiver's list, and a
 * DOWN only if its reference is still in `watching`: that is what makes unlink and demonitor
 * final. A request that reaches an actor which exits before handling it is answered with the
 * exit reason (drained at exit) or `noproc` (drained late).
 */
#include <string.h>

#include "actor/actor.h"
#include "actor/supervision.h"
#include "art/link.h"
#include "art/request.h"

art__actor_ext *art__actor_ext_get(art__actor *a) {
  if (!a->ext)
    a->ext = art__calloc(&a->sys->alloc, sizeof *a->ext);
  return a->ext;
}

static int grow(art_system *sys, void **items, uint32_t *cap, size_t size) {
  uint32_t n = *cap ? *cap * 2 : 4;
  void *bigger = art__alloc(&sys->alloc, n * size);
  if (!bigger)
    return ART_ENOMEM;
  if (*cap)
    memcpy(bigger, *items, *cap * size);
  art__free(&sys->alloc, *items);
  *items = bigger;
  *cap = n;
  return 0;
}

int art__ref_list_add(art_system *sys, art__ref_list *l, uint64_t ref, uint64_t pid) {
  if (l->count == l->cap && grow(sys, (void **)&l->items, &l->cap, sizeof *l->items))
    return ART_ENOMEM;
  l->items[l->count++] = (art__ref_pair){ref, pid};
  return 0;
}

bool art__ref_list_take(art__ref_list *l, uint64_t ref, art__ref_pair *out) {
  for (uint32_t i = 0; i < l->count; i++) {
    if (l->items[i].ref == ref) {
      *out = l->items[i];
      l->items[i] = l->items[--l->count];
      return true;
    }
  }
  return false;
}

/* ---- signals out ---------------------------------------------------------------------------- */

static void send_signal(art_system *sys, art_pid to, art_pid from, uint32_t type, uint64_t ref,
                        const void *data, size_t size) {
  art_send_args args = {.data = data, .size = size, .correlation = ref};
  art__send(sys, to, from, type, &args);
}

static void send_link_exit(art_system *sys, art_pid to, art_pid from,
                           const art_exit_reason *reason) {
  art_exit_msg m = {.from = from, .reason = *reason};
  send_signal(sys, to, from, ART__MSG_LINK_EXIT, 0, &m, sizeof m);
}

/* For art__pid_set_drain: the exit of @p a (with @p reason) to one linked actor. */
typedef struct link_exit {
  art__actor *a;
  const art_exit_reason *reason;
} link_exit;

static void send_link_exit_to(void *arg, art_pid to) {
  const link_exit *e = arg;
  send_link_exit(e->a->sys, to, e->a->pid, e->reason);
}

static void send_down(art_system *sys, art_pid to, art_pid from, art_ref ref,
                      const art_exit_reason *reason) {
  art_down_msg m = {.ref = ref, .pid = from, .reason = *reason};
  send_signal(sys, to, from, ART__MSG_DOWN, ref, &m, sizeof m);
}

/* ---- the API ------------------------------------------------------------------------------- */

int art_link(art_ctx *ctx, art_pid pid) {
  if (!ctx || pid == ART_PID_NONE)
    return ART_EINVAL;
  if (pid == ctx->pid)
    return 0;
  art__actor_ext *x = art__actor_ext_get(ctx);
  if (!x)
    return ART_ENOMEM;
  if (art__pid_set_has(&x->links, pid))
    return 0;
  if (art__pid_set_add(&ctx->sys->alloc, &x->links, pid))
    return ART_ENOMEM;
  int rc = art__send(ctx->sys, pid, ctx->pid, ART__MSG_LINK, &(art_send_args){0});
  if (rc == ART_ESRCH && art__actor_traps_exits(ctx)) {
    /* OTP: a trapping caller gets {'EXIT', Pid, noproc}; it arrives through the link. */
    art_exit_reason noproc = art_reason(ART_EXIT_NOPROC);
    send_link_exit(ctx->sys, ctx->pid, pid, &noproc);
    return 0;
  }
  if (rc)
    art__pid_set_remove(&x->links, pid);
  return rc;
}

int art_unlink(art_ctx *ctx, art_pid pid) {
  if (!ctx)
    return ART_EINVAL;
  if (ctx->ext && art__pid_set_remove(&ctx->ext->links, pid))
    art__send(ctx->sys, pid, ctx->pid, ART__MSG_UNLINK, &(art_send_args){0});
  return 0;
}

int art_monitor(art_ctx *ctx, art_pid pid, art_ref *ref) {
  if (!ctx || !ref)
    return ART_EINVAL;
  art__actor_ext *x = art__actor_ext_get(ctx);
  if (!x)
    return ART_ENOMEM;
  art_ref r = atomic_fetch_add_explicit(&ctx->sys->next_ref, 1, memory_order_relaxed);
  if (art__ref_list_add(ctx->sys, &x->watching, r, pid))
    return ART_ENOMEM;
  int rc = art__send(ctx->sys, pid, ctx->pid, ART__MSG_MONITOR, &(art_send_args){.correlation = r});
  if (rc == ART_ESRCH) {
    art_exit_reason noproc = art_reason(ART_EXIT_NOPROC);
    send_down(ctx->sys, ctx->pid, pid, r, &noproc);
  } else if (rc) {
    art__ref_pair p;
    art__ref_list_take(&x->watching, r, &p);
    return rc;
  }
  *ref = r;
  return 0;
}

int art_demonitor(art_ctx *ctx, art_ref ref) {
  if (!ctx)
    return ART_EINVAL;
  art__ref_pair p;
  if (!ctx->ext || !art__ref_list_take(&ctx->ext->watching, ref, &p))
    return ART_ENOENT;
  art__send(ctx->sys, p.pid, ctx->pid, ART__MSG_DEMONITOR, &(art_send_args){.correlation = ref});
  return 0;
}

/* ---- signals in ------------------------------------------------------------------------------ */

/* An exit signal, from art_send_exit (@p link false) or from a link. */
static bool exit_signal(art__actor *a, art__env *env, bool link) {
  const art_exit_msg *m = env->msg.data;
  if (link && !(a->ext && art__pid_set_remove(&a->ext->links, m->from)))
    return false; /* unlinked meanwhile: the signal no longer counts */
  if (m->reason.kind == ART_EXIT_KILLED && !link) {
    art__actor_set_exit(a, &m->reason);
  } else if (art__actor_traps_exits(a)) {
    env->msg.type = ART_MSG_EXIT;
    return true;
  } else if (m->reason.kind != ART_EXIT_NORMAL || (!link && m->from == a->pid)) {
    art__actor_set_exit(a, &m->reason);
  }
  return false;
}

/* A reply (to art_ask or art_call): delivered only if the request is still pending. */
static bool reply_in(art__actor *a, art__env *env) {
  uint64_t corr = env->msg.correlation & ~ART__CORRELATION_REPLY;
  art__ref_pair p;
  if (!a->ext || !art__ref_list_take(&a->ext->asks, corr, &p))
    return false; /* late: its timeout was delivered already */
  if (p.pid)
    art__timers_cancel(&a->sys->timers, p.pid, -1, NULL);
  env->msg.correlation = corr;
  return true;
}

static bool timer_in(art__actor *a, art__env *env) {
  uint32_t type, kind;
  uint64_t corr;
  if (!art__timers_claim(&a->sys->timers, env->msg.correlation, &type, &kind, &corr))
    return false; /* cancelled */
  if (kind == ART__TIMER_ASK) {
    art__ref_pair p;
    if (!a->ext || !art__ref_list_take(&a->ext->asks, corr, &p))
      return false; /* the reply came first */
    env->msg.type = ART_MSG_TIMEOUT;
    env->msg.correlation = corr;
    return true;
  }
  env->msg.type = type;
  env->msg.correlation = 0;
  return true;
}

bool art__actor_system_message(art__actor *a, art__env *env) {
  art_system *sys = a->sys;
  art_pid from = env->msg.sender;
  art__actor_ext *x;
  art__ref_pair p;
  switch (env->msg.type) {
  case ART__MSG_SIGNAL_EXIT:
    return exit_signal(a, env, false);
  case ART__MSG_LINK_EXIT:
    return exit_signal(a, env, true);
  case ART__MSG_LINK:
    if (!(x = art__actor_ext_get(a)) || art__pid_set_add(&sys->alloc, &x->links, from)) {
      art_exit_reason r = art_reason_error(ART_ENOMEM, "no memory for the link");
      send_link_exit(sys, from, a->pid, &r);
    }
    return false;
  case ART__MSG_UNLINK:
    if (a->ext)
      art__pid_set_remove(&a->ext->links, from);
    return false;
  case ART__MSG_MONITOR:
    if (!(x = art__actor_ext_get(a)) ||
        art__ref_list_add(sys, &x->watched_by, env->msg.correlation, from)) {
      art_exit_reason r = art_reason_error(ART_ENOMEM, "no memory for the monitor");
      send_down(sys, from, a->pid, env->msg.correlation, &r);
    }
    return false;
  case ART__MSG_DEMONITOR:
    if (a->ext)
      art__ref_list_take(&a->ext->watched_by, env->msg.correlation, &p);
    return false;
  case ART__MSG_DOWN:
    if (!a->ext || !art__ref_list_take(&a->ext->watching, env->msg.correlation, &p))
      return false; /* demonitored */
    env->msg.type = ART_MSG_DOWN;
    return true;
  case ART__MSG_TIMER:
    return timer_in(a, env);
  case ART__MSG_HEALTH_CHECK:
    return art__actor_health_check(a, env);
  case ART__MSG_HEALTH_ANSWER:
    return true;
  case ART_MSG_TIMEOUT: /* the broker's request timeouts: it decided already (broker/request.c) */
    return true;
  default:
    if (env->msg.type < ART_MSG_RESERVED && env->msg.correlation & ART__CORRELATION_REPLY)
      return reply_in(a, env);
    return false;
  }
}

void art__actor_exit_services(art__actor *a, const art_exit_reason *reason) {
  art__actor_ext *x = a->ext;
  if (!x)
    return;
  art_system *sys = a->sys;
  link_exit signal = {a, reason};
  art__pid_set_drain(&x->links, send_link_exit_to, &signal);
  for (uint32_t i = 0; i < x->watched_by.count; i++)
    send_down(sys, x->watched_by.items[i].pid, a->pid, x->watched_by.items[i].ref, reason);
  x->watched_by.count = 0;
  for (uint32_t i = 0; i < x->watching.count; i++) /* OTP drops monitors the dead actor set */
    art__send(sys, x->watching.items[i].pid, a->pid, ART__MSG_DEMONITOR,
              &(art_send_args){.correlation = x->watching.items[i].ref});
  x->watching.count = 0;
  for (uint32_t i = 0; i < x->asks.count; i++)
    if (x->asks.items[i].pid)
      art__timers_cancel(&sys->timers, x->asks.items[i].pid, -1, NULL);
  x->asks.count = 0;
}

void art__actor_undeliverable(art_system *sys, art_pid self, art__env *env,
                              const art_exit_reason *reason) {
  switch (env->msg.type) {
  case ART__MSG_LINK:
    send_link_exit(sys, env->msg.sender, self, reason);
    break;
  case ART__MSG_MONITOR:
    send_down(sys, env->msg.sender, self, env->msg.correlation, reason);
    break;
  case ART__MSG_TIMER: { /* a dead letter only if the timer was still live */
    uint32_t type;
    if (art__timers_cancel(&sys->timers, env->msg.correlation, ART__TIMER_USER, &type) == 0)
      art__dead_letter(sys, ART_PID_NONE, self, type);
    else
      art__timers_cancel(&sys->timers, env->msg.correlation, -1, NULL);
    break;
  }
  default:
    break;
  }
}
