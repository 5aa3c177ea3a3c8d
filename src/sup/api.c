/*
 * The public supervisor functions: spec checks, start and stop, and the dynamic API as
 * requests to the supervisor actor (see supervisor.c for how the actor serves them).
 */
#include <stdlib.h>
#include <string.h>

#include "art/request.h"
#include "art/timer.h"
#include "sup.h"

void art_sup_spec_init(art_sup_spec *spec) {
  if (!spec)
    return;
  memset(spec, 0, sizeof *spec);
  spec->strategy = ART_SUP_ONE_FOR_ONE;
  spec->intensity = 1;
  spec->period = ART_SEC(5);
}

const char *art_sup_strategy_name(art_sup_strategy strategy) {
  switch (strategy) {
  case ART_SUP_ONE_FOR_ONE:
    return "one_for_one";
  case ART_SUP_ONE_FOR_ALL:
    return "one_for_all";
  case ART_SUP_REST_FOR_ONE:
    return "rest_for_one";
  case ART_SUP_SIMPLE_ONE_FOR_ONE:
    return "simple_one_for_one";
  }
  return "unknown";
}

/* base 0 (off) with other fields set is a mistake, not a configuration. */
static bool backoff_ok(const art_backoff *b) {
  if (b->base == 0)
    return b->max == 0 && b->jitter == 0 && b->reset_after == 0;
  return b->base > 0 && b->max >= 0 && (b->max == 0 || b->max >= b->base) && b->jitter >= 0 &&
         b->jitter <= 1 && b->reset_after >= 0;
}

static bool health_ok(const art_health_spec *h) {
  if (h->interval == 0)
    return h->timeout == 0 && h->threshold == 0;
  return h->interval > 0 && h->timeout >= 0;
}

int art__sup_check_child(const art_child_spec *spec, const art_sup_spec *sup) {
  bool template = sup && sup->strategy == ART_SUP_SIMPLE_ONE_FOR_ONE;
  if (!spec || (!template && (!spec->id || !spec->id[0] || strlen(spec->id) > ART_SUP_ID_MAX)) ||
      (unsigned)spec->restart > ART_RESTART_TEMPORARY ||
      (unsigned)spec->shutdown.kind > ART_SHUTDOWN_INFINITY ||
      (spec->shutdown.kind == ART_SHUTDOWN_GRACEFUL && spec->shutdown.timeout < 0) ||
      spec->max_restarts > ART_SUP_INTENSITY_MAX || spec->restart_window < 0 ||
      (spec->max_restarts && spec->restart_window == 0) || !backoff_ok(&spec->backoff) ||
      !health_ok(&spec->health) || (spec->significant && spec->restart == ART_RESTART_PERMANENT) ||
      (spec->significant && sup && sup->auto_shutdown == ART_AUTO_SHUTDOWN_NEVER))
    return ART_EINVAL;
  switch (spec->type) {
  case ART_CHILD_WORKER:
    if (spec->ops) /* a custom child */
      return spec->ops->start && spec->ops->stop && spec->factory ? 0 : ART_EINVAL;
    if (!spec->actor.ops || !spec->actor.ops->handle || spec->actor.flags & ART_SPAWN_MONITOR ||
        spec->factory || spec->start_timeout)
      return ART_EINVAL;
    return 0;
  case ART_CHILD_SUPERVISOR:
    return spec->sup && !spec->ops && !spec->factory && !spec->start_timeout ? 0 : ART_EINVAL;
  }
  return ART_EINVAL;
}

int art__sup_check_spec(const art_sup_spec *spec) {
  if (!spec || (unsigned)spec->strategy > ART_SUP_SIMPLE_ONE_FOR_ONE || spec->period <= 0 ||
      spec->intensity > ART_SUP_INTENSITY_MAX || (spec->child_count && !spec->children) ||
      (spec->name && strlen(spec->name) > 63) ||
      (unsigned)spec->auto_shutdown > ART_AUTO_SHUTDOWN_ALL_SIGNIFICANT)
    return ART_EINVAL;
  if (spec->strategy == ART_SUP_SIMPLE_ONE_FOR_ONE)
    return spec->child_count == 1 ? art__sup_check_child(&spec->children[0], spec) : ART_EINVAL;
  if (spec->max_children && spec->child_count > spec->max_children)
    return ART_EINVAL;
  for (size_t i = 0; i < spec->child_count; i++) {
    int rc = art__sup_check_child(&spec->children[i], spec);
    if (rc)
      return rc;
  }
  return 0; /* repeated ids are found when the children are indexed (art__sup_child_add) */
}

int art_sup_start(art_system *sys, const art_sup_spec *spec, art_pid *out) {
  if (!sys || !spec)
    return ART_EINVAL;
  /* A plain thread may wait for the rollback of a failed start; an actor's thread may not
   * (art_system_wait tells them apart without waiting when given no time). */
  bool may_wait = art_system_wait(sys, 0) != ART_EDEADLK;
  return art__sup_launch(sys, spec, ART_PID_NONE, may_wait, NULL, out);
}

int art_sup_start_link(art_ctx *ctx, const art_sup_spec *spec, art_pid *out) {
  if (!ctx || !spec)
    return ART_EINVAL;
  return art__sup_launch(art_ctx_system(ctx), spec, art_self(ctx), false, NULL, out);
}

/* One request, answered with a sup_result. */
static int call_result(art_system *sys, art_pid sup, uint32_t type, const void *data, size_t size,
                       art_pid *pid) {
  sup_result r = {0};
  art_call_reply rep = {.data = &r, .capacity = sizeof r};
  int rc = art_call(sys, sup, type, data, size, ART_FOREVER, &rep);
  if (rc)
    return rc;
  if (rep.type != SUP_REPLY || rep.size != sizeof r)
    return ART_EINVAL;
  if (pid)
    *pid = r.pid;
  return r.rc;
}

int art_sup_stop(art_system *sys, art_pid sup, art_duration timeout) {
  if (!sys || sup == ART_PID_NONE)
    return ART_EINVAL;
  sup_result r = {0};
  art_call_reply rep = {.data = &r, .capacity = sizeof r};
  int rc = art_call(sys, sup, SUP_REQ_STOP, NULL, 0, timeout, &rep);
  if (rc == ART_EDEADLK) /* from an actor: ask, don't wait */
    return art_send(sys, sup, SUP_MSG_STOP_ASYNC, NULL, 0);
  return rc ? rc : r.rc;
}

static int id_request(const char *id, sup_id_req *req) {
  if (!id || !id[0] || strlen(id) > ART_SUP_ID_MAX)
    return ART_EINVAL;
  memset(req, 0, sizeof *req);
  strcpy(req->id, id);
  return 0;
}

int art_sup_start_child(art_system *sys, art_pid sup, const art_child_spec *spec, art_pid *pid) {
  if (!sys || sup == ART_PID_NONE)
    return ART_EINVAL;
  int rc = art__sup_check_child(spec, NULL);
  if (rc)
    return rc;
  sup_start_req req;
  memset(&req, 0, sizeof req);
  req.spec = *spec;
  req.spec.id = NULL;
  strcpy(req.id, spec->id);
  return call_result(sys, sup, SUP_REQ_START_CHILD, &req, sizeof req, pid);
}

static int id_call(art_system *sys, art_pid sup, uint32_t type, const char *id, art_pid *pid) {
  sup_id_req req;
  if (!sys || sup == ART_PID_NONE || id_request(id, &req))
    return ART_EINVAL;
  return call_result(sys, sup, type, &req, sizeof req, pid);
}

int art_sup_terminate_child(art_system *sys, art_pid sup, const char *id) {
  return id_call(sys, sup, SUP_REQ_TERMINATE, id, NULL);
}

int art_sup_restart_child(art_system *sys, art_pid sup, const char *id, art_pid *pid) {
  return id_call(sys, sup, SUP_REQ_RESTART, id, pid);
}

int art_sup_delete_child(art_system *sys, art_pid sup, const char *id) {
  return id_call(sys, sup, SUP_REQ_DELETE, id, NULL);
}

int art_sup_which_children(art_system *sys, art_pid sup, art_sup_child_info *out, size_t capacity,
                           size_t *count) {
  if (!sys || sup == ART_PID_NONE || (!out && capacity) ||
      capacity > (SIZE_MAX - sizeof(int64_t)) / sizeof *out)
    return ART_EINVAL;
  size_t size = sizeof(int64_t) + capacity * sizeof *out;
  int64_t *buf = malloc(size);
  if (!buf)
    return ART_ENOMEM;
  art_call_reply rep = {.data = buf, .capacity = size};
  int rc = art_call(sys, sup, SUP_REQ_WHICH, NULL, 0, ART_FOREVER, &rep);
  if ((rc == 0 || rc == ART_ERANGE) && (rep.type != SUP_REPLY || rep.size < sizeof *buf))
    rc = ART_EINVAL;
  if (rc == 0 || rc == ART_ERANGE) {
    if (*buf < 0) {
      rc = (int)*buf;
    } else {
      size_t n = (size_t)*buf;
      if (count)
        *count = n;
      size_t k = n < capacity ? n : capacity;
      if (k)
        memcpy(out, buf + 1, k * sizeof *out);
      rc = n > capacity ? ART_ERANGE : 0;
    }
  }
  free(buf);
  return rc;
}

int art_sup_count_children(art_system *sys, art_pid sup, art_sup_counts *out) {
  if (!sys || sup == ART_PID_NONE || !out)
    return ART_EINVAL;
  art_sup_counts n = {0};
  art_call_reply rep = {.data = &n, .capacity = sizeof n};
  int rc = art_call(sys, sup, SUP_REQ_COUNT, NULL, 0, ART_FOREVER, &rep);
  if (rc)
    return rc;
  if (rep.type != SUP_REPLY || rep.size != sizeof n)
    return ART_EINVAL;
  *out = n;
  return 0;
}

int art_sup_get_childspec(art_system *sys, art_pid sup, const char *id, art_child_spec *out) {
  sup_id_req req;
  if (!sys || sup == ART_PID_NONE || !out || id_request(id, &req))
    return ART_EINVAL;
  sup_spec_reply r;
  memset(&r, 0, sizeof r);
  art_call_reply rep = {.data = &r, .capacity = sizeof r};
  int rc = art_call(sys, sup, SUP_REQ_GET_SPEC, &req, sizeof req, ART_FOREVER, &rep);
  if (rc)
    return rc;
  if (rep.type != SUP_REPLY || rep.size != sizeof r)
    return ART_EINVAL;
  if (r.rc == 0) {
    *out = r.spec;
    out->id = id;
  }
  return r.rc;
}

int art_sup_start_simple_children(art_system *sys, art_pid sup, void *const *args, size_t count,
                                  art_pid *pids, size_t *started) {
  if (started)
    *started = 0;
  size_t max = (UINT32_MAX - 2 * sizeof(int64_t)) / sizeof(art_pid);
  if (!sys || sup == ART_PID_NONE || count > max)
    return ART_EINVAL;
  if (count == 0)
    return 0;
  /* The request: the count, then the arguments (none: all NULL). */
  size_t req_size = sizeof(uint64_t) + (args ? count * sizeof *args : 0);
  size_t reply_size = 2 * sizeof(int64_t) + count * sizeof(art_pid);
  uint64_t *req = malloc(req_size);
  int64_t *reply = malloc(reply_size);
  int rc = ART_ENOMEM;
  if (req && reply) {
    req[0] = count;
    if (args)
      memcpy(req + 1, args, count * sizeof *args);
    art_call_reply rep = {.data = reply, .capacity = reply_size};
    rc = art_call(sys, sup, SUP_REQ_START_SIMPLE, req, req_size, ART_FOREVER, &rep);
    if (rc == 0 && (rep.type != SUP_REPLY || rep.size < 2 * sizeof(int64_t) || reply[1] < 0 ||
                    (uint64_t)reply[1] > count))
      rc = ART_EINVAL;
    if (rc == 0) {
      size_t n = (size_t)reply[1];
      bool with_pids = rep.size == 2 * sizeof(int64_t) + n * sizeof(art_pid);
      if (started)
        *started = n;
      for (size_t i = 0; pids && i < count; i++)
        pids[i] = i < n && with_pids ? ((const art_pid *)(reply + 2))[i] : ART_PID_NONE;
      rc = (int)reply[0];
    }
  }
  free(req);
  free(reply);
  return rc;
}

int art_sup_start_simple_child(art_system *sys, art_pid sup, void *arg, art_pid *pid) {
  return art_sup_start_simple_children(sys, sup, &arg, 1, pid, NULL);
}

int art_sup_terminate_child_pid(art_system *sys, art_pid sup, art_pid child) {
  if (!sys || sup == ART_PID_NONE || child == ART_PID_NONE)
    return ART_EINVAL;
  return call_result(sys, sup, SUP_REQ_TERMINATE_PID, &child, sizeof child, NULL);
}
