/*
 * The public supervisor functions: spec checks, start and stop, and the dynamic API as
 * requests to the supervisor actor (see supervisor.c for how the actor serves them).
 *
 * Each dynamic function has two forms over one encoding of its request: from a plain thread
 * (art_sup_<verb>) the request goes with art_call and the function reads the reply it waited
 * for; from an actor (art_sup_ask_<verb>) it goes with art_ask, and the actor reads the reply
 * when it arrives. Both read it with the same art_sup_reply_* function: a reply art_call
 * received is presented as the message an actor would have received (reply_view).
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

/* ---- encoding requests ----------------------------------------------------------------- */

/* Most simple_one_for_one instances one request may start (the reply's size is a uint32_t). */
#define INSTANCES_MAX ((UINT32_MAX - 2 * sizeof(int64_t)) / sizeof(art_pid))

static int id_request(const char *id, sup_id_req *req) {
  if (!id || !id[0] || strlen(id) > ART_SUP_ID_MAX)
    return ART_EINVAL;
  memset(req, 0, sizeof *req);
  strcpy(req->id, id);
  return 0;
}

static int start_request(const art_child_spec *spec, sup_start_req *req) {
  int rc = art__sup_check_child(spec, NULL);
  if (rc)
    return rc;
  memset(req, 0, sizeof *req);
  req->spec = *spec;
  req->spec.id = NULL;
  strcpy(req->id, spec->id);
  return 0;
}

/* The request of start_simple_children: the count, then the arguments (none: all NULL). The
 * caller frees it. */
static void *instances_request(void *const *args, size_t count, size_t *size) {
  uint64_t n = count;
  *size = sizeof n + (args ? count * sizeof *args : 0);
  unsigned char *req = malloc(*size);
  if (req) {
    memcpy(req, &n, sizeof n);
    if (args)
      memcpy(req + sizeof n, args, count * sizeof *args);
  }
  return req;
}

/* ---- the two ways a request travels ------------------------------------------------------ */

/* From an actor: the reply, or ART_MSG_TIMEOUT, comes as a message. */
static int ask(art_ctx *ctx, art_pid sup, uint32_t type, const void *data, size_t size,
               art_duration timeout, uint64_t *correlation) {
  if (!ctx || sup == ART_PID_NONE)
    return ART_EINVAL;
  return art_ask(ctx, sup, type, data, size, timeout, correlation);
}

/* From a plain thread: waits for the reply, which lands in @p buf; @p view presents it as the
 * message an actor would have received, cut to @p capacity (art_call's ART_ERANGE). @p buf
 * has room for a sup_result, the error answer any request may get. */
static int call(art_system *sys, art_pid sup, uint32_t type, const void *data, size_t size,
                void *buf, size_t capacity, art_msg *view) {
  if (!sys || sup == ART_PID_NONE)
    return ART_EINVAL;
  art_call_reply rep = {.data = buf, .capacity = capacity};
  int rc = art_call(sys, sup, type, data, size, ART_FOREVER, &rep);
  if (rc && rc != ART_ERANGE)
    return rc;
  memset(view, 0, sizeof *view);
  view->type = rep.type;
  view->size = (uint32_t)(rep.size < capacity ? rep.size : capacity);
  view->data = buf;
  view->correlation = ART_CORRELATION_REQUEST; /* as an asked reply has it */
  return 0;
}

/* One request answered with a sup_result (or SUP_REPLY_INSTANCES' first instance). */
static int call_result(art_system *sys, art_pid sup, uint32_t type, const void *data, size_t size,
                       art_pid *pid) {
  sup_result buf;
  art_msg view;
  int rc = call(sys, sup, type, data, size, &buf, sizeof buf, &view);
  if (rc == 0 && art_sup_reply_result(&view, &rc, pid) != 0)
    rc = ART_EINVAL;
  return rc;
}

/* ---- reading replies --------------------------------------------------------------------- */

/* A reply of @p type, at least @p size bytes, to a request (art_send_ex cannot fake one). */
static bool is_reply(const art_msg *msg, uint32_t type, size_t size) {
  return msg && msg->type == type && msg->size >= size && (msg->data || !msg->size) &&
         msg->correlation & ART_CORRELATION_REQUEST;
}

/* A SUP_REPLY that carries an error, which answers any request that could not be served. */
static bool error_reply(const art_msg *msg, int *rc) {
  sup_result r;
  if (!is_reply(msg, SUP_REPLY, sizeof r) || msg->size != sizeof r)
    return false;
  memcpy(&r, msg->data, sizeof r);
  if (r.rc >= 0)
    return false;
  if (rc)
    *rc = r.rc;
  return true;
}

int art_sup_reply_result(const art_msg *msg, int *rc, art_pid *pid) {
  if (msg && msg->type == SUP_REPLY_INSTANCES)
    return art_sup_reply_pids(msg, rc, pid, 1, NULL);
  sup_result r;
  if (!is_reply(msg, SUP_REPLY, sizeof r) || msg->size != sizeof r)
    return ART_EINVAL;
  memcpy(&r, msg->data, sizeof r);
  if (rc)
    *rc = r.rc;
  if (pid)
    *pid = r.pid;
  return 0;
}

int art_sup_reply_pids(const art_msg *msg, int *rc, art_pid *pids, size_t capacity,
                       size_t *started) {
  int64_t head[2] = {0, 0}; /* the error, how many started */
  size_t listed = 0;        /* pids in the reply */
  if (!error_reply(msg, rc)) {
    if (!is_reply(msg, SUP_REPLY_INSTANCES, sizeof head))
      return ART_EINVAL;
    memcpy(head, msg->data, sizeof head);
    listed = (msg->size - sizeof head) / sizeof(art_pid);
    /* No pids when the supervisor had no memory for them, and then it says so. */
    if (head[0] > 0 || head[1] < 0 || (msg->size - sizeof head) % sizeof(art_pid) ||
        (listed ? (uint64_t)head[1] != listed : head[1] && !head[0]))
      return ART_EINVAL;
    if (rc)
      *rc = (int)head[0];
  }
  for (size_t i = 0; pids && i < capacity; i++) {
    pids[i] = ART_PID_NONE;
    if (i < listed)
      memcpy(&pids[i], (const char *)msg->data + sizeof head + i * sizeof(art_pid),
             sizeof(art_pid));
  }
  if (started)
    *started = (size_t)head[1];
  return 0;
}

int art_sup_reply_children(const art_msg *msg, int *rc, art_sup_child_info *out, size_t capacity,
                           size_t *count) {
  int64_t n = 0;
  if (!error_reply(msg, rc)) {
    if (!is_reply(msg, SUP_REPLY_CHILDREN, sizeof n))
      return ART_EINVAL;
    memcpy(&n, msg->data, sizeof n);
    if (!out)
      capacity = 0;
    /* All the entries; from art_call, those its buffer could hold. */
    size_t entries = (msg->size - sizeof n) / sizeof *out;
    if (n < 0 || (msg->size - sizeof n) % sizeof *out || entries > (uint64_t)n)
      return ART_EINVAL;
    size_t k = (uint64_t)n < capacity ? (size_t)n : capacity;
    if (entries < k)
      return ART_EINVAL;
    if (k)
      memcpy(out, (const char *)msg->data + sizeof n, k * sizeof *out);
    if (rc)
      *rc = (uint64_t)n > capacity ? ART_ERANGE : 0;
  }
  if (count)
    *count = (size_t)n;
  return 0;
}

int art_sup_reply_counts(const art_msg *msg, int *rc, art_sup_counts *out) {
  if (error_reply(msg, rc))
    return 0;
  if (!is_reply(msg, SUP_REPLY_COUNTS, sizeof *out) || msg->size != sizeof *out)
    return ART_EINVAL;
  if (out)
    memcpy(out, msg->data, sizeof *out);
  if (rc)
    *rc = 0;
  return 0;
}

int art_sup_reply_childspec(const art_msg *msg, int *rc, art_child_spec *out) {
  if (error_reply(msg, rc))
    return 0;
  sup_spec_reply r;
  if (!is_reply(msg, SUP_REPLY_SPEC, sizeof r) || msg->size != sizeof r)
    return ART_EINVAL;
  memcpy(&r, msg->data, sizeof r);
  if (r.rc == 0 && out)
    *out = r.spec;
  if (rc)
    *rc = r.rc;
  return 0;
}

/* ---- from plain threads -------------------------------------------------------------------- */

int art_sup_start_child(art_system *sys, art_pid sup, const art_child_spec *spec, art_pid *pid) {
  sup_start_req req;
  int rc = sys && sup != ART_PID_NONE ? start_request(spec, &req) : ART_EINVAL;
  return rc ? rc : call_result(sys, sup, SUP_REQ_START_CHILD, &req, sizeof req, pid);
}

static int id_call(art_system *sys, art_pid sup, uint32_t type, const char *id, art_pid *pid) {
  sup_id_req req;
  if (id_request(id, &req))
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

int art_sup_terminate_child_pid(art_system *sys, art_pid sup, art_pid child) {
  if (child == ART_PID_NONE)
    return ART_EINVAL;
  return call_result(sys, sup, SUP_REQ_TERMINATE_PID, &child, sizeof child, NULL);
}

int art_sup_start_simple_children(art_system *sys, art_pid sup, void *const *args, size_t count,
                                  art_pid *pids, size_t *started) {
  if (started)
    *started = 0;
  if (!sys || sup == ART_PID_NONE || count > INSTANCES_MAX)
    return ART_EINVAL;
  if (count == 0)
    return 0;
  size_t req_size, reply_size = 2 * sizeof(int64_t) + count * sizeof(art_pid);
  void *req = instances_request(args, count, &req_size);
  void *reply = malloc(reply_size);
  int rc = ART_ENOMEM;
  art_msg view;
  if (req && reply &&
      (rc = call(sys, sup, SUP_REQ_START_SIMPLE, req, req_size, reply, reply_size, &view)) == 0 &&
      art_sup_reply_pids(&view, &rc, pids, count, started) != 0)
    rc = ART_EINVAL;
  free(req);
  free(reply);
  return rc;
}

int art_sup_start_simple_child(art_system *sys, art_pid sup, void *arg, art_pid *pid) {
  return art_sup_start_simple_children(sys, sup, &arg, 1, pid, NULL);
}

int art_sup_which_children(art_system *sys, art_pid sup, art_sup_child_info *out, size_t capacity,
                           size_t *count) {
  if ((!out && capacity) || capacity > (SIZE_MAX - sizeof(int64_t)) / sizeof *out)
    return ART_EINVAL;
  /* Room for one entry at least: whole entries fit, and so does the error answer. */
  size_t size = sizeof(int64_t) + (capacity ? capacity : 1) * sizeof *out;
  void *buf = malloc(size);
  if (!buf)
    return ART_ENOMEM;
  art_msg view;
  int rc = call(sys, sup, SUP_REQ_WHICH, NULL, 0, buf, size, &view);
  if (rc == 0 && art_sup_reply_children(&view, &rc, out, capacity, count) != 0)
    rc = ART_EINVAL;
  free(buf);
  return rc;
}

int art_sup_count_children(art_system *sys, art_pid sup, art_sup_counts *out) {
  if (!out)
    return ART_EINVAL;
  union {
    art_sup_counts counts;
    sup_result error;
  } buf;
  art_msg view;
  int rc = call(sys, sup, SUP_REQ_COUNT, NULL, 0, &buf, sizeof buf, &view);
  if (rc == 0 && art_sup_reply_counts(&view, &rc, out) != 0)
    rc = ART_EINVAL;
  return rc;
}

int art_sup_get_childspec(art_system *sys, art_pid sup, const char *id, art_child_spec *out) {
  sup_id_req req;
  if (!out || id_request(id, &req))
    return ART_EINVAL;
  sup_spec_reply buf;
  art_msg view;
  int rc = call(sys, sup, SUP_REQ_GET_SPEC, &req, sizeof req, &buf, sizeof buf, &view);
  if (rc == 0 && art_sup_reply_childspec(&view, &rc, out) != 0)
    rc = ART_EINVAL;
  if (rc == 0)
    out->id = id;
  return rc;
}

/* ---- from actors ----------------------------------------------------------------------------- */

int art_sup_ask_start_child(art_ctx *ctx, art_pid sup, const art_child_spec *spec,
                            art_duration timeout, uint64_t *correlation) {
  sup_start_req req;
  int rc = start_request(spec, &req);
  return rc ? rc : ask(ctx, sup, SUP_REQ_START_CHILD, &req, sizeof req, timeout, correlation);
}

int art_sup_ask_start_simple_children(art_ctx *ctx, art_pid sup, void *const *args, size_t count,
                                      art_duration timeout, uint64_t *correlation) {
  if (count == 0 || count > INSTANCES_MAX)
    return ART_EINVAL; /* count 0 would get no reply */
  size_t size;
  void *req = instances_request(args, count, &size);
  if (!req)
    return ART_ENOMEM;
  int rc = ask(ctx, sup, SUP_REQ_START_SIMPLE, req, size, timeout, correlation);
  free(req);
  return rc;
}

int art_sup_ask_start_simple_child(art_ctx *ctx, art_pid sup, void *arg, art_duration timeout,
                                   uint64_t *correlation) {
  return art_sup_ask_start_simple_children(ctx, sup, &arg, 1, timeout, correlation);
}

static int id_ask(art_ctx *ctx, art_pid sup, uint32_t type, const char *id, art_duration timeout,
                  uint64_t *correlation) {
  sup_id_req req;
  if (id_request(id, &req))
    return ART_EINVAL;
  return ask(ctx, sup, type, &req, sizeof req, timeout, correlation);
}

int art_sup_ask_terminate_child(art_ctx *ctx, art_pid sup, const char *id, art_duration timeout,
                                uint64_t *correlation) {
  return id_ask(ctx, sup, SUP_REQ_TERMINATE, id, timeout, correlation);
}

int art_sup_ask_restart_child(art_ctx *ctx, art_pid sup, const char *id, art_duration timeout,
                              uint64_t *correlation) {
  return id_ask(ctx, sup, SUP_REQ_RESTART, id, timeout, correlation);
}

int art_sup_ask_delete_child(art_ctx *ctx, art_pid sup, const char *id, art_duration timeout,
                             uint64_t *correlation) {
  return id_ask(ctx, sup, SUP_REQ_DELETE, id, timeout, correlation);
}

int art_sup_ask_get_childspec(art_ctx *ctx, art_pid sup, const char *id, art_duration timeout,
                              uint64_t *correlation) {
  return id_ask(ctx, sup, SUP_REQ_GET_SPEC, id, timeout, correlation);
}

int art_sup_ask_terminate_child_pid(art_ctx *ctx, art_pid sup, art_pid child, art_duration timeout,
                                    uint64_t *correlation) {
  if (child == ART_PID_NONE)
    return ART_EINVAL;
  return ask(ctx, sup, SUP_REQ_TERMINATE_PID, &child, sizeof child, timeout, correlation);
}

int art_sup_ask_which_children(art_ctx *ctx, art_pid sup, art_duration timeout,
                               uint64_t *correlation) {
  return ask(ctx, sup, SUP_REQ_WHICH, NULL, 0, timeout, correlation);
}

int art_sup_ask_count_children(art_ctx *ctx, art_pid sup, art_duration timeout,
                               uint64_t *correlation) {
  return ask(ctx, sup, SUP_REQ_COUNT, NULL, 0, timeout, correlation);
}
