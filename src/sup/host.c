/*
 * The host of a custom child: an actor on a dedicated thread that owns one object made by the
 * child's factory. It stands for the child in the supervisor (its pid, its link, its exit), so
 * the strategies treat custom children like any other.
 *
 * Protocol: pre_start (on the supervisor's thread) only queues HOST_MSG_START; the host's own
 * thread then makes the object, runs start (which may block) and reports SUP_MSG_CHILD_STARTED
 * or SUP_MSG_CHILD_FAILED to the supervisor, which meanwhile keeps its mailbox served and
 * enforces the start timeout. A failed start ends the host (normal exit). Whatever ends the
 * host (the supervisor's exit signal, art_child_fail, a kill, the supervisor's own death
 * through the link), post_stop runs on the host's thread: stop if the start succeeded, then
 * destroy, each exactly once.
 */
#include <string.h>

#include "sup.h"

struct art_child_ctx {
  art_system *sys;
  art_pid pid;
};

typedef struct host_state {
  art_child_ctx cctx;
  const art_child_ops *ops;
  void *(*factory)(void *arg);
  void *factory_arg;
  art_duration stop_timeout;
  art_pid sup;
  void *obj;
  bool started;
} host_state;

static int host_pre_start(art_ctx *ctx, void *state, void *args) {
  host_state *h = state;
  *h = *(const host_state *)args;
  h->cctx.sys = art_ctx_system(ctx);
  h->cctx.pid = art_self(ctx);
  return art_send(h->cctx.sys, h->cctx.pid, HOST_MSG_START, NULL, 0);
}

static void host_start(art_ctx *ctx, host_state *h) {
  int rc = ART_ENOMEM;
  if ((h->obj = h->factory(h->factory_arg)) != NULL) {
    rc = h->ops->start(h->obj, &h->cctx);
    if (rc > 0)
      rc = ART_EINVAL; /* not an error code: don't mistake it for success */
  }
  h->started = rc == 0;
  int32_t err = rc;
  if (rc == 0) {
    (void)art_send(h->cctx.sys, h->sup, SUP_MSG_CHILD_STARTED, NULL, 0);
  } else {
    (void)art_send(h->cctx.sys, h->sup, SUP_MSG_CHILD_FAILED, &err, sizeof err);
    art_exit_reason normal = art_reason(ART_EXIT_NORMAL);
    art_exit(ctx, &normal);
  }
}

static int host_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  host_state *h = state;
  switch (msg->type) {
  case HOST_MSG_START:
    if (!h->obj) /* once */
      host_start(ctx, h);
    return 0;
  case HOST_MSG_FAIL:
    if (msg->size == sizeof(art_exit_reason)) {
      art_exit_reason r;
      memcpy(&r, msg->data, sizeof r);
      art_exit(ctx, &r);
    }
    return 0;
  default:
    return 0; /* the child takes no messages */
  }
}

/* The object's health, in the host's turn (on its own thread: health_check may block). */
static art_health_status host_health(art_ctx *ctx, void *state, char *detail, size_t size) {
  (void)ctx;
  host_state *h = state;
  if (!h->started)
    return ART_HEALTH_FAILED;
  return h->ops->health_check ? h->ops->health_check(h->obj, detail, size) : ART_HEALTH_HEALTHY;
}

static void host_post_stop(art_ctx *ctx, void *state, const art_exit_reason *reason) {
  (void)ctx;
  (void)reason;
  host_state *h = state;
  if (h->started)
    (void)h->ops->stop(h->obj, h->stop_timeout);
  if (h->obj && h->ops->destroy)
    h->ops->destroy(h->obj);
}

static const art_actor_ops host_ops = {.pre_start = host_pre_start,
                                       .handle = host_handle,
                                       .post_stop = host_post_stop,
                                       .health = host_health};

int art__sup_host_spawn(sup_state *s, const sup_child *c, art_pid *pid) {
  host_state init = {
      .ops = c->spec->ops,
      .factory = c->spec->factory,
      .factory_arg = c->spec == &s->simple_spec ? c->arg : c->spec->factory_arg,
      .stop_timeout = art__sup_stop_timeout(c->spec),
      .sup = s->self,
  };
  art_spawn_opts opts = {
      .ops = &host_ops,
      .state_size = sizeof(host_state),
      .args = &init,
      .name = c->spec->id ? c->spec->id : "art_child",
      .flags = ART_SPAWN_LINK | ART_SPAWN_DEDICATED,
  };
  return art_spawn(s->sys, &opts, pid);
}

/* ---- the context API ------------------------------------------------------------------- */

int art_child_fail(art_child_ctx *cctx, const art_exit_reason *reason) {
  if (!cctx || !reason || (unsigned)reason->kind > ART_EXIT_HEALTH_CHECK_FAILED)
    return ART_EINVAL;
  return art_send(cctx->sys, cctx->pid, HOST_MSG_FAIL, reason, sizeof *reason);
}

art_system *art_child_system(const art_child_ctx *cctx) {
  return cctx ? cctx->sys : NULL;
}

art_pid art_child_pid(const art_child_ctx *cctx) {
  return cctx ? cctx->pid : ART_PID_NONE;
}
