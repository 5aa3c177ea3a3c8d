/*
 * Request and reply (see art/request.h).
 *
 * A request's correlation is ART_CORRELATION_REQUEST | id; the reply carries the same value
 * plus ART__CORRELATION_REPLY, which the receiver removes after checking that the request is
 * still pending in its `asks` list. The ask's timeout is a runtime timer that is claimed the same
 * way, so exactly one of reply and timeout is delivered.
 *
 * art_call() from a plain thread spawns a small proxy actor that owns the pending request; the
 * proxy hands the reply to the caller under a mutex, so a caller that gave up (timeout) is
 * never written to afterwards. Caller and proxy share the call record, freed by the last one.
 */
#include <string.h>

#include "actor/actor.h"
#include "art/link.h"
#include "art/request.h"

static uint64_t new_correlation(art_system *sys) {
  uint64_t id = atomic_fetch_add_explicit(&sys->next_ref, 1, memory_order_relaxed);
  return ART_CORRELATION_REQUEST | (id & ~(ART_CORRELATION_REQUEST | ART__CORRELATION_REPLY));
}

int art_ask(art_ctx *ctx, art_pid to, uint32_t type, const void *data, size_t size,
            art_duration timeout, uint64_t *correlation) {
  if (!ctx || type >= ART_MSG_RESERVED || timeout < 0 || size > UINT32_MAX || (!data && size))
    return ART_EINVAL;
  art_system *sys = ctx->sys;
  art__actor_ext *x = art__actor_ext_get(ctx);
  if (!x)
    return ART_ENOMEM;
  uint64_t corr = new_correlation(sys);
  uint64_t timer;
  int rc = art__timers_add(&sys->timers, timeout, 0, ctx->pid, ART_MSG_TIMEOUT, ART__TIMER_ASK,
                           corr, NULL, 0, &timer);
  if (rc)
    return rc;
  if ((rc = art__ref_list_add(sys, &x->asks, corr, timer)) != 0)
    goto fail_timer;
  art_send_args args = {.data = data, .size = size, .correlation = corr};
  if ((rc = art__send(sys, to, ctx->pid, type, &args)) != 0) {
    art__ref_pair p;
    art__ref_list_take(&x->asks, corr, &p);
    goto fail_timer;
  }
  if (correlation)
    *correlation = corr;
  return 0;
fail_timer:
  art__timers_cancel(&sys->timers, timer, -1, NULL);
  return rc;
}

int art_reply(art_system *sys, const art_msg *request, uint32_t type, const void *data,
              size_t size) {
  if (!sys || !request || !(request->correlation & ART_CORRELATION_REQUEST) ||
      request->correlation & ART__CORRELATION_REPLY || request->sender == ART_PID_NONE ||
      type >= ART_MSG_RESERVED || size > UINT32_MAX || (!data && size))
    return ART_EINVAL;
  art_send_args args = {
      .data = data, .size = size, .correlation = request->correlation | ART__CORRELATION_REPLY};
  return art__send(sys, request->sender, art__sender(sys), type, &args);
}

/* ---- art_call ------------------------------------------------------------------------------- */

typedef struct call_record {
  pthread_mutex_t lock;
  art__token done;
  _Atomic int refs;
  bool abandoned, replied;
  int rc;
  uint64_t correlation;
  art_pid target;
  art_call_reply *reply;
  art_system *sys;
} call_record;

static void call_record_put(call_record *c) {
  if (atomic_fetch_sub(&c->refs, 1) == 1) {
    pthread_mutex_destroy(&c->lock);
    art__free(&c->sys->alloc, c);
  }
}

static int proxy_start(art_ctx *ctx, void *state, void *args) {
  (void)state;
  call_record *c = args;
  art__actor_ext *x = art__actor_ext_get(ctx);
  if (!x || art__ref_list_add(c->sys, &x->asks, c->correlation, 0))
    return ART_ENOMEM;
  /* If the target exits with the request still queued, the DOWN ends the call (noproc). */
  art_ref ref;
  return art_monitor(ctx, c->target, &ref);
}

static int proxy_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  (void)ctx;
  call_record *c = state;
  pthread_mutex_lock(&c->lock);
  if (msg->type == ART_MSG_DOWN) {
    if (!c->abandoned) {
      c->rc = ART_ESRCH;
      c->replied = true;
      art__token_post(&c->done);
    }
  } else if (!c->abandoned) {
    art_call_reply *r = c->reply;
    r->type = msg->type;
    r->size = msg->size;
    size_t n = msg->size < r->capacity ? msg->size : r->capacity;
    if (n)
      memcpy(r->data, msg->data, n);
    c->rc = msg->size > r->capacity ? ART_ERANGE : 0;
    c->replied = true;
    art__token_post(&c->done);
  }
  pthread_mutex_unlock(&c->lock);
  return ART_STOP;
}

/* A proxy that exits with its call still open was stopped from outside: the system's shutdown
 * signals every actor, the proxy too, and the reply can no longer reach the caller. End the
 * call, or the caller would wait for ever. */
static void proxy_stop(art_ctx *ctx, void *state, const art_exit_reason *reason) {
  (void)ctx;
  (void)reason;
  call_record *c = state;
  pthread_mutex_lock(&c->lock);
  if (!c->replied && !c->abandoned) {
    c->rc = ART_ESHUTDOWN;
    c->replied = true;
    art__token_post(&c->done);
  }
  pthread_mutex_unlock(&c->lock);
  call_record_put(c);
}

static const art_actor_ops proxy_ops = {
    .pre_start = proxy_start, .handle = proxy_handle, .post_stop = proxy_stop};

int art_call(art_system *sys, art_pid to, uint32_t type, const void *data, size_t size,
             art_duration timeout, art_call_reply *reply) {
  if (!sys || !reply || type >= ART_MSG_RESERVED || size > UINT32_MAX || (!data && size) ||
      (!reply->data && reply->capacity))
    return ART_EINVAL;
  if (art__actor_current() || art__sched_current(&sys->sched))
    return ART_EDEADLK;
  call_record *c = art__calloc(&sys->alloc, sizeof *c);
  if (!c)
    return ART_ENOMEM;
  if (pthread_mutex_init(&c->lock, NULL)) {
    art__free(&sys->alloc, c);
    return ART_ENOMEM;
  }
  c->sys = sys;
  c->reply = reply;
  c->target = to;
  c->correlation = new_correlation(sys);
  atomic_init(&c->refs, 2);
  art_pid proxy;
  int rc = art_spawn(sys, &(art_spawn_opts){.ops = &proxy_ops, .state = c, .args = c}, &proxy);
  if (rc) {
    atomic_store(&c->refs, 1);
    call_record_put(c);
    return rc;
  }
  art_send_args args = {.data = data, .size = size, .correlation = c->correlation};
  rc = art__send(sys, to, proxy, type, &args);
  if (rc == 0) {
    if (sys->cfg.deterministic)
      art__system_drive(sys);
    else
      art__token_wait(&c->done, timeout);
  }
  pthread_mutex_lock(&c->lock);
  c->abandoned = true;
  bool replied = c->replied;
  if (replied)
    rc = c->rc;
  else if (rc == 0)
    rc = ART_ETIMEDOUT;
  pthread_mutex_unlock(&c->lock);
  if (!replied) { /* the proxy must go; a reply that races in finds the record abandoned */
    art_exit_reason killed = art_reason(ART_EXIT_KILLED);
    art_send_exit(sys, proxy, &killed);
    if (sys->cfg.deterministic)
      art__system_drive(sys);
  }
  call_record_put(c);
  return rc;
}
