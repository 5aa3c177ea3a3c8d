/*
 * The supervisor actor: its messages and requests, its start (and the rollback of a failed
 * one), its end, and launching it.
 *
 * A start runs in pre_start as far as it can go synchronously: actor children start inside
 * art_spawn. The first child whose start is awaited (a custom child, or a supervisor with
 * custom children) makes the rest of the start an operation that continues in handle(); the
 * caller learns its end from SUP_REQ_WAIT (a plain thread), SUP_MSG_CHILD_STARTED / _FAILED
 * (a parent supervisor), or not at all (an actor: a failure ends the supervisor). A child that
 * fails to start within pre_start makes the spawn fail; the children already started are then
 * handed to a short-lived rollback actor that stops them in reverse order.
 */
#include <string.h>

#include "actor/supervision.h"
#include "art/link.h"
#include "art/request.h"
#include "sup.h"

static const art_actor_ops sup_ops;

void art__sup_reply(sup_state *s, const art_msg *req, uint32_t type, const void *data,
                    size_t size) {
  (void)art_reply(s->sys, req, type, data, size);
}

void art__sup_reply_rc(sup_state *s, const art_msg *req, int rc, art_pid pid) {
  sup_result r = {.rc = rc, .pid = pid};
  art__sup_reply(s, req, SUP_REPLY, &r, sizeof r);
}

static int defer(sup_state *s, const art_msg *msg) {
  sup_pending *p = art__sup_alloc(&s->alloc, sizeof *p + msg->size);
  if (!p)
    return ART_ENOMEM;
  p->msg = *msg;
  if (msg->size) {
    memcpy(p + 1, msg->data, msg->size);
    p->msg.data = p + 1;
  }
  if (s->pending_tail)
    s->pending_tail->next = p;
  else
    s->pending = p;
  s->pending_tail = p;
  return 0;
}

void art__sup_pending_unlink(sup_state *s, sup_pending *prev, sup_pending *p) {
  if (prev)
    prev->next = p->next;
  else
    s->pending = p->next;
  if (s->pending_tail == p)
    s->pending_tail = prev;
}

/* ---- the end of a start --------------------------------------------------------------- */

static void exit_now(art_ctx *ctx, sup_state *s) {
  s->op.kind = OP_SHUTDOWN; /* set everything else aside until the exit */
  art_exit(ctx, &s->op.exit_reason);
}

void art__sup_start_finished(art_ctx *ctx, sup_state *s, int error) {
  s->finished = true;
  s->finish_error = error;
  if (s->notify_parent) {
    int32_t err = error;
    (void)art_send(s->sys, s->parent, error ? SUP_MSG_CHILD_FAILED : SUP_MSG_CHILD_STARTED, &err,
                   sizeof err);
    s->notify_parent = false;
  }
  if (s->has_waiter) {
    art__sup_reply_rc(s, &s->waiter, error, error ? ART_PID_NONE : s->self);
    s->has_waiter = s->waiter_expected = false;
  }
  /* After a failure (or a rollback), exit once the waiter, if one is coming, has its answer. */
  if ((error || s->rollback) && !s->waiter_expected)
    exit_now(ctx, s);
}

/* Whether @p msg is the launcher's request to wait for the end of the start: it alone knows
 * the token, and it asks once. Anything else of the type is a stranger's message. */
static bool is_launcher_wait(const sup_state *s, const art_msg *msg) {
  uint64_t token;
  return msg->type == SUP_REQ_WAIT && s->waiter_expected && !s->has_waiter &&
         msg->correlation & ART_CORRELATION_REQUEST &&
         art__sup_payload(msg, &token, sizeof token) && token == s->wait_token;
}

static void on_wait(art_ctx *ctx, sup_state *s, const art_msg *msg) {
  if (!s->finished) {
    s->has_waiter = true;
    s->waiter = *msg;
    return;
  }
  art__sup_reply_rc(s, msg, s->finish_error, s->finish_error ? ART_PID_NONE : s->self);
  s->waiter_expected = false;
  if (s->finish_error || s->rollback)
    exit_now(ctx, s);
}

/* ---- requests ------------------------------------------------------------------------------ */

static bool is_simple(const sup_state *s) {
  return s->strategy == ART_SUP_SIMPLE_ONE_FOR_ONE;
}

/* Starts @p c (appended already) as an operation that answers @p msg when it is over. */
static void start_op(art_ctx *ctx, sup_state *s, sup_child *c, const art_msg *msg, bool is_new) {
  art__sup_op_begin(s, OP_START_CHILD, NULL, 0);
  s->op.failed = s->op.cursor = c;
  s->op.single = true;
  s->op.remove_on_failure = is_new;
  s->op.has_reply = true;
  s->op.reply_to = *msg;
  art__sup_op_run(ctx, s);
}

static void do_start_child(art_ctx *ctx, sup_state *s, const art_msg *msg) {
  sup_start_req req;
  if (msg->size != sizeof req) {
    art__sup_reply_rc(s, msg, ART_EINVAL, ART_PID_NONE);
    return;
  }
  memcpy(&req, msg->data, sizeof req);
  req.spec.id = req.id;
  sup_child *old = art__sup_child_by_id(s, req.id);
  int rc = 0;
  if (is_simple(s))
    rc = ART_EPERM;
  else if (req.spec.significant && s->auto_shutdown == ART_AUTO_SHUTDOWN_NEVER)
    rc = ART_EINVAL;
  else if (old)
    rc = old->pid != ART_PID_NONE ? ART_EEXIST : ART_EBUSY;
  else if (s->max_children && s->nchildren >= s->max_children)
    rc = ART_ENOSPC;
  if (rc) {
    art__sup_reply_rc(s, msg, rc, old && rc == ART_EEXIST ? old->pid : ART_PID_NONE);
    return;
  }
  sup_child *c = art__sup_child_new(s, &req.spec);
  if (!c || (rc = art__sup_child_add(s, c)) != 0) {
    if (c)
      art__sup_child_free(s, c);
    art__sup_reply_rc(s, msg, c ? rc : ART_ENOMEM, ART_PID_NONE);
    return;
  }
  start_op(ctx, s, c, msg, true);
}

void art__sup_reply_instances(sup_state *s, const art_msg *req, int rc, sup_child *first,
                              sup_child *end) {
  size_t n = 0;
  for (sup_child *c = first; c != end; c = c->next)
    n++;
  int64_t *reply = art__sup_alloc(&s->alloc, 2 * sizeof(int64_t) + n * sizeof(art_pid));
  if (!reply) { /* they run, but their pids cannot be told */
    int64_t head[2] = {rc ? rc : ART_ENOMEM, (int64_t)n};
    art__sup_reply(s, req, SUP_REPLY_INSTANCES, head, sizeof head);
    return;
  }
  reply[0] = rc;
  reply[1] = (int64_t)n;
  art_pid *pids = (art_pid *)(reply + 2);
  for (sup_child *c = first; c != end; c = c->next)
    *pids++ = c->pid;
  art__sup_reply(s, req, SUP_REPLY_INSTANCES, reply, 2 * sizeof(int64_t) + n * sizeof(art_pid));
  art__sup_free(&s->alloc, reply);
}

/* Appends the instances, then starts them in order as one operation. */
static void do_start_simple(art_ctx *ctx, sup_state *s, const art_msg *msg) {
  uint64_t count = 0;
  if (msg->size >= sizeof count)
    memcpy(&count, msg->data, sizeof count);
  const char *args = (const char *)msg->data + sizeof count;
  bool with_args = count <= UINT32_MAX && msg->size == sizeof count + count * sizeof(void *);
  int rc = 0;
  if (!is_simple(s))
    rc = ART_EPERM;
  else if (count == 0 || (msg->size != sizeof count && !with_args))
    rc = ART_EINVAL;
  else if (s->max_children && count > s->max_children - s->nchildren)
    rc = ART_ENOSPC;
  sup_child *first = NULL;
  for (uint64_t i = 0; rc == 0 && i < count; i++) {
    void *arg = NULL;
    if (with_args)
      memcpy(&arg, args + i * sizeof arg, sizeof arg);
    sup_child *c = art__sup_instance_new(s, arg);
    if (!c) {
      rc = ART_ENOMEM;
      while (first && s->last != first) /* none of them started: undo */
        art__sup_child_remove(s, s->last);
      if (first)
        art__sup_child_remove(s, first);
      break;
    }
    art__sup_child_append(s, c);
    first = first ? first : c;
  }
  if (rc) {
    art__sup_reply_instances(s, msg, rc, NULL, NULL);
    return;
  }
  art__sup_op_begin(s, OP_START_SIMPLE, NULL, 0);
  s->op.failed = s->op.cursor = first;
  s->op.has_reply = true;
  s->op.reply_to = *msg;
  art__sup_op_run(ctx, s);
}

static void terminate(art_ctx *ctx, sup_state *s, sup_child *c, const art_msg *msg) {
  sup_child **v = art__sup_alloc(&s->alloc, sizeof *v);
  if (!v) {
    art__sup_reply_rc(s, msg, ART_ENOMEM, ART_PID_NONE);
    return;
  }
  v[0] = c;
  art__sup_op_begin(s, OP_TERMINATE, v, 1);
  s->op.failed = c;
  s->op.has_reply = true;
  s->op.reply_to = *msg;
  art__sup_op_run(ctx, s);
}

static void do_terminate_pid(art_ctx *ctx, sup_state *s, const art_msg *msg) {
  art_pid pid = ART_PID_NONE;
  if (msg->size == sizeof pid)
    memcpy(&pid, msg->data, sizeof pid);
  sup_child *c = is_simple(s) ? art__sup_instance_by_pid(s, pid) : NULL;
  if (c)
    terminate(ctx, s, c, msg);
  else /* as OTP: a dead pid of a simple_one_for_one supervisor is terminated already */
    art__sup_reply_rc(s, msg, is_simple(s) && !art_is_alive(s->sys, pid) ? 0 : ART_ENOENT,
                      ART_PID_NONE);
}

/* The reply: an int64_t (the number of children), then the entries. */
static void do_which(sup_state *s, const art_msg *msg) {
  size_t n = s->nchildren;
  int64_t *head = art__sup_alloc(&s->alloc, sizeof *head + n * sizeof(art_sup_child_info));
  if (!head) {
    art__sup_reply_rc(s, msg, ART_ENOMEM, ART_PID_NONE);
    return;
  }
  *head = (int64_t)n;
  art_sup_child_info *v = (art_sup_child_info *)(head + 1);
  size_t k = 0;
  for (sup_child *c = s->first; c; c = c->next, k++) {
    strcpy(v[k].id, art__sup_child_id(c));
    v[k].pid = c->status == CHILD_RUNNING ? c->pid : ART_PID_NONE;
    v[k].type = c->spec->type;
    v[k].state = c->status == CHILD_RUNNING      ? ART_CHILD_RUNNING
                 : c->status == CHILD_RESTARTING ? ART_CHILD_RESTARTING
                                                 : ART_CHILD_UNDEFINED;
    v[k].restarts = c->restarts;
    v[k].health = (art_health_status)c->health;
  }
  art__sup_reply(s, msg, SUP_REPLY_CHILDREN, head, sizeof *head + n * sizeof *v);
  art__sup_free(&s->alloc, head);
}

static void do_count(sup_state *s, const art_msg *msg) {
  art_sup_counts n = {0};
  for (sup_child *c = s->first; c; c = c->next) {
    n.specs++;
    n.active += c->status == CHILD_RUNNING && art_is_alive(s->sys, c->pid);
    n.supervisors += c->spec->type == ART_CHILD_SUPERVISOR;
    n.workers += c->spec->type == ART_CHILD_WORKER;
  }
  if (is_simple(s)) /* OTP: one spec; the instances count by their type */
    n.specs = 1;
  art__sup_reply(s, msg, SUP_REPLY_COUNTS, &n, sizeof n);
}

/* The requests that name a child by id. */
static void do_id_request(art_ctx *ctx, sup_state *s, const art_msg *msg) {
  const sup_id_req *idr = msg->data;
  if (msg->size != sizeof *idr || !memchr(idr->id, 0, sizeof idr->id)) {
    art__sup_reply_rc(s, msg, ART_EINVAL, ART_PID_NONE);
    return;
  }
  if (msg->type == SUP_REQ_GET_SPEC) {
    sup_child *c = art__sup_child_by_id(s, idr->id);
    sup_spec_reply r = {.rc = ART_ENOENT};
    if (is_simple(s) || c) {
      r.rc = 0;
      r.spec = is_simple(s) ? s->simple_spec : *c->spec;
      r.spec.id = NULL;
    }
    art__sup_reply(s, msg, SUP_REPLY_SPEC, &r, sizeof r);
    return;
  }
  if (is_simple(s)) { /* OTP's {error, simple_one_for_one} */
    art__sup_reply_rc(s, msg, ART_EPERM, ART_PID_NONE);
    return;
  }
  sup_child *c = art__sup_child_by_id(s, idr->id);
  if (!c) {
    art__sup_reply_rc(s, msg, ART_ENOENT, ART_PID_NONE);
    return;
  }
  switch (msg->type) {
  case SUP_REQ_TERMINATE:
    terminate(ctx, s, c, msg);
    return;
  case SUP_REQ_RESTART:
  case SUP_REQ_DELETE:
    if (c->pid != ART_PID_NONE)
      art__sup_reply_rc(s, msg, ART_EBUSY, c->pid);
    else if (c->status == CHILD_RESTARTING)
      art__sup_reply_rc(s, msg, ART_EAGAIN, ART_PID_NONE);
    else if (msg->type == SUP_REQ_RESTART)
      start_op(ctx, s, c, msg, false);
    else {
      art__sup_child_remove(s, c);
      art__sup_reply_rc(s, msg, 0, ART_PID_NONE);
    }
    return;
  default:
    return;
  }
}

static void do_request(art_ctx *ctx, sup_state *s, const art_msg *msg) {
  switch (msg->type) {
  case SUP_REQ_START_CHILD:
    do_start_child(ctx, s, msg);
    return;
  case SUP_REQ_START_SIMPLE:
    do_start_simple(ctx, s, msg);
    return;
  case SUP_REQ_TERMINATE_PID:
    do_terminate_pid(ctx, s, msg);
    return;
  case SUP_REQ_TERMINATE:
  case SUP_REQ_RESTART:
  case SUP_REQ_DELETE:
  case SUP_REQ_GET_SPEC:
    do_id_request(ctx, s, msg);
    return;
  case SUP_REQ_WHICH:
    do_which(s, msg);
    return;
  case SUP_REQ_COUNT:
    do_count(s, msg);
    return;
  case SUP_REQ_STOP: {
    art_exit_reason r = art_reason(ART_EXIT_SHUTDOWN);
    art__sup_begin_shutdown(ctx, s, &r, msg);
    return;
  }
  default:
    return;
  }
}

/* ---- messages ------------------------------------------------------------------------------ */

/* An exit signal that stops the supervisor: from its parent, or from a plain thread (the
 * system's shutdown among them). Those of other actors are ignored, as in OTP. */
static bool is_stop_signal(const sup_state *s, const art_exit_msg *x) {
  return x->from == ART_PID_NONE || (x->from == s->parent && s->parent != ART_PID_NONE);
}

static void on_exit_msg(art_ctx *ctx, sup_state *s, const art_exit_msg *x) {
  if (is_stop_signal(s, x)) {
    art__sup_begin_shutdown(ctx, s, &x->reason, NULL);
    return;
  }
  sup_child *c = art__sup_child_by_pid(s, x->from);
  if (!c)
    return; /* a child given up on (start timeout, abandoned stop), or not ours */
  if (s->rollback)
    art__sup_clear_pid(s, c); /* a rollback restarts nothing */
  else
    art__sup_child_exited(ctx, s, c, &x->reason);
}

/* Handles one message while no operation runs. */
static void handle_msg(art_ctx *ctx, sup_state *s, const art_msg *msg) {
  sup_child_ref ref;
  uint64_t u64;
  sup_child *c;
  switch (msg->type) {
  case ART_MSG_EXIT:
    on_exit_msg(ctx, s, msg->data);
    return;
  case SUP_MSG_TRY_AGAIN:
    c = art__sup_payload(msg, &u64, sizeof u64) ? art__sup_child_by_uid(s, u64) : NULL;
    if (c && !c->backoff_timer)
      art__sup_restart(ctx, s, c);
    return;
  case SUP_MSG_BACKOFF:
    c = art__sup_payload(msg, &ref, sizeof ref) ? art__sup_child_by_uid(s, ref.uid) : NULL;
    if (c && c->backoff_timer)
      art__sup_backoff_over(ctx, s, c);
    return;
  case SUP_MSG_STOP_ASYNC: {
    art_exit_reason r = art_reason(ART_EXIT_SHUTDOWN);
    art__sup_begin_shutdown(ctx, s, &r, NULL);
    return;
  }
  case SUP_MSG_HEALTH_TICK:
    if (art__sup_payload(msg, &ref, sizeof ref))
      art__sup_health_tick(ctx, s, &ref);
    return;
  case SUP_MSG_HEALTH_TIMEOUT:
    if (art__sup_payload(msg, &u64, sizeof u64))
      art__sup_health_timeout(ctx, s, u64);
    return;
  case ART__MSG_HEALTH_ANSWER:
    art__sup_health_answer(ctx, s, msg);
    return;
  default: /* requests; stale timers and start reports are dropped */
    if (msg->correlation & ART_CORRELATION_REQUEST)
      do_request(ctx, s, msg);
    return;
  }
}

/* Whether @p msg has a type the supervisor sends itself but another actor sent it: its timers'
 * messages have no sender, its retries are its own. (A plain thread's message cannot be told
 * from a timer's; its payload must still name the pending timer or child.) */
static bool is_forged(const sup_state *s, const art_msg *msg) {
  switch (msg->type) {
  case SUP_MSG_TIMER:
  case SUP_MSG_START_TIMEOUT:
  case SUP_MSG_BACKOFF:
  case SUP_MSG_HEALTH_TICK:
  case SUP_MSG_HEALTH_TIMEOUT:
    return msg->sender != ART_PID_NONE;
  case SUP_MSG_TRY_AGAIN:
  case SUP_MSG_BEGIN_ROLLBACK:
    return msg->sender != s->self;
  default:
    return false;
  }
}

static int sup_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  sup_state *s = state;
  if (is_forged(s, msg)) {
    /* dropped */
  } else if (msg->type == SUP_MSG_BEGIN_ROLLBACK && s->rollback) {
    art_exit_reason r = art_reason(ART_EXIT_NORMAL);
    art__sup_begin_shutdown(ctx, s, &r, NULL);
  } else if (is_launcher_wait(s, msg)) {
    on_wait(ctx, s, msg);
  } else if (s->op.kind == OP_NONE) {
    handle_msg(ctx, s, msg);
  } else {
    if (msg->type == ART_MSG_EXIT && !s->stop_signalled && is_stop_signal(s, msg->data)) {
      s->stop_signalled = true; /* set aside all the same; see the end of this function */
      s->stop_reason = ((const art_exit_msg *)msg->data)->reason;
    }
    if (!art__sup_op_message(ctx, s, msg) && defer(s, msg) != 0) {
      if (msg->correlation & ART_CORRELATION_REQUEST) {
        art__sup_reply_rc(s, msg, ART_ENOMEM, ART_PID_NONE);
      } else { /* an EXIT or a timer lost: the supervisor can no longer keep its promises */
        s->fatal = s->lost_messages = true;
        s->fatal_reason = art_reason_error(ART_ENOMEM, "supervisor: out of memory, message lost");
      }
    }
  }
  /* Handle what was set aside, until one of the messages begins another operation. */
  while (s->op.kind == OP_NONE && s->pending) {
    sup_pending *p = s->pending;
    art__sup_pending_unlink(s, NULL, p);
    handle_msg(ctx, s, &p->msg);
    art__sup_free(&s->alloc, p);
  }
  /* A stop signal waits behind an operation that awaits a start, which may never end (a
   * custom child's start may have no limit): OTP's supervisor, blocked in a start, dies of its
   * parent's kill; ours gives the start up and shuts down in order. */
  if (s->op.starting && s->stop_signalled)
    art__sup_abandon_start(ctx, s, &s->stop_reason);
  if (s->op.kind == OP_NONE && s->fatal) {
    s->fatal = false;
    art__sup_begin_shutdown(ctx, s, &s->fatal_reason, NULL);
  }
  return 0;
}

/* ---- start and rollback ---------------------------------------------------------------- */

/* A child failed to start during pre_start: hand the ones already started to a rollback actor
 * that stops them in reverse order. */
static void start_rollback(art_ctx *ctx, sup_state *s, sup_child *failed, bool may_wait) {
  if (s->first == failed)
    return;
  size_t n = 0;
  for (sup_child *c = s->first; c != failed; c = c->next)
    n++;
  sup_state *r = art__sup_alloc(&s->alloc, sizeof *r);
  if (r) {
    r->alloc = s->alloc;
    r->sys = s->sys;
    r->strategy = s->strategy;
    r->rollback = true;
    r->waiter_expected = may_wait;
    r->wait_token = s->wait_token;
    if (art__sup_map_reserve(&r->alloc, &r->by_pid, n) != 0) {
      art__sup_state_free(r);
      r = NULL;
    }
  }
  art_exit_reason killed = art_reason(ART_EXIT_KILLED);
  while (s->first != failed) {
    sup_child *c = s->first;
    art_pid pid = c->pid;
    (void)art_unlink(ctx, pid);
    art__sup_child_down(s, c);
    art__sup_clear_pid(s, c);
    art__sup_child_detach(s, c);
    if (r) {
      art__sup_child_append(r, c);
      art__sup_set_pid(r, c, pid);
      c->status = CHILD_RUNNING;
    } else {
      (void)art_send_exit(s->sys, pid, &killed);
      art__sup_child_free(s, c);
    }
  }
  if (!r)
    return;
  art_spawn_opts opts = {
      .ops = &sup_ops, .state = r, .flags = ART_SPAWN_TRAP_EXIT, .name = "art_sup_rollback"};
  if (art_spawn(s->sys, &opts, &s->rollback_pid) != 0) {
    for (sup_child *c = r->first; c; c = c->next)
      (void)art_send_exit(s->sys, c->pid, &killed);
    s->rollback_pid = ART_PID_NONE;
    art__sup_state_free(r);
  }
}

typedef struct sup_start_args {
  bool may_wait; /* a plain thread launches it and can wait */
  bool notify;   /* a parent supervisor launches it */
  bool pending;  /* out: the start goes on asynchronously */
} sup_start_args;

static int sup_pre_start(art_ctx *ctx, void *state, void *args) {
  sup_state *s = state;
  s->self = art_self(ctx);
  if (s->rollback) {
    for (sup_child *c = s->first; c; c = c->next)
      (void)art_link(ctx, c->pid); /* traps exits: a child already gone sends EXIT noproc */
    return art_send(s->sys, s->self, SUP_MSG_BEGIN_ROLLBACK, NULL, 0);
  }
  sup_start_args *a = args;
  art__sup_op_begin(s, OP_START, NULL, 0);
  s->op.cursor = s->first;
  s->in_pre_start = true;
  art__sup_op_run(ctx, s);
  s->in_pre_start = false;
  if (s->pre_start_error) {
    start_rollback(ctx, s, s->pre_start_failed, a->may_wait);
    return s->pre_start_error;
  }
  if (s->op.kind == OP_START) { /* a child's start is awaited */
    a->pending = true;
    s->notify_parent = a->notify;
    s->waiter_expected = a->may_wait;
  }
  return 0;
}

static void sup_post_stop(art_ctx *ctx, void *state, const art_exit_reason *reason) {
  (void)ctx;
  (void)reason;
  sup_state *s = state;
  art__sup_timer_cancel(s, &s->op.timer);
  art__sup_timer_cancel(s, &s->op.start_timer);
  /* Requests not served will not be: answer them, so that no caller waits for ever. */
  if (s->op.has_reply) /* killed during the operation */
    art__sup_reply_rc(s, &s->op.reply_to, s->op.kind == OP_SHUTDOWN ? 0 : ART_ESRCH, ART_PID_NONE);
  if (s->has_waiter)
    art__sup_reply_rc(s, &s->waiter, s->finished ? s->finish_error : ART_ESRCH, ART_PID_NONE);
  for (sup_pending *p = s->pending; p; p = p->next)
    if (p->msg.correlation & ART_CORRELATION_REQUEST)
      art__sup_reply_rc(s, &p->msg, p->msg.type == SUP_REQ_STOP ? 0 : ART_ESRCH, ART_PID_NONE);
  art__sup_state_free(s);
}

static const art_actor_ops sup_ops = {
    .pre_start = sup_pre_start, .handle = sup_handle, .post_stop = sup_post_stop};

/* ---- launching ---------------------------------------------------------------------------- */

/* Waits for the end of an asynchronous start; 0, or its error (the supervisor then exits). */
static int await_start(art_system *sys, art_pid pid, uint64_t token) {
  sup_result r = {0};
  art_call_reply rep = {.data = &r, .capacity = sizeof r};
  int rc = art_call(sys, pid, SUP_REQ_WAIT, &token, sizeof token, ART_FOREVER, &rep);
  if (rc == 0)
    return rep.type == SUP_REPLY && rep.size == sizeof r ? r.rc : ART_EINVAL;
  /* No request reached it (it would wait for one), unless the system is stopping: then the
   * shutdown's signal ends it, in order. */
  if (rc != ART_ETIMEDOUT && rc != ART_ESRCH && rc != ART_ESHUTDOWN) {
    art_exit_reason killed = art_reason(ART_EXIT_KILLED);
    (void)art_send_exit(sys, pid, &killed);
  }
  return rc;
}

int art__sup_launch(art_system *sys, const art_sup_spec *spec, art_pid parent, bool may_wait,
                    bool *pending, art_pid *out) {
  if (!sys)
    return ART_EINVAL;
  int rc = art__sup_check_spec(spec);
  if (rc)
    return rc;
  art_allocator alloc = spec->allocator;
  if (!alloc.alloc || !alloc.free)
    alloc = (art_allocator){0};
  sup_state *s = art__sup_alloc(&alloc, sizeof *s);
  if (!s)
    return ART_ENOMEM;
  s->alloc = alloc;
  s->sys = sys;
  uint64_t token = s->wait_token = art__random(sys);
  s->parent = parent;
  s->strategy = spec->strategy;
  s->auto_shutdown = spec->auto_shutdown;
  s->max_children = spec->max_children;
  s->window.limit = spec->intensity;
  s->window.period = spec->period;
  if (spec->strategy == ART_SUP_SIMPLE_ONE_FOR_ONE) {
    s->simple_spec = spec->children[0];
    s->simple_spec.id = NULL;
  } else {
    for (size_t i = 0; i < spec->child_count; i++) {
      sup_child *c = art__sup_child_new(s, &spec->children[i]);
      if (!c || (rc = art__sup_child_add(s, c)) != 0) { /* ART_EEXIST: a repeated id */
        if (c)
          art__sup_child_free(s, c);
        art__sup_state_free(s);
        return c ? rc : ART_ENOMEM;
      }
    }
  }
  sup_start_args args = {.may_wait = may_wait, .notify = pending != NULL};
  art_spawn_opts opts = {
      .ops = &sup_ops,
      .state = s,
      .args = &args,
      .name = spec->name ? spec->name : "art_sup",
      .flags = ART_SPAWN_TRAP_EXIT | (parent != ART_PID_NONE ? ART_SPAWN_LINK : 0),
  };
  art_pid pid = ART_PID_NONE;
  rc = art_spawn(sys, &opts, &pid);
  if (rc == 0) {
    if (pending)
      *pending = args.pending;
    if (args.pending && may_wait)
      rc = await_start(sys, pid, token);
    if (out && (rc == 0 || rc == ART_ETIMEDOUT))
      *out = pid;
    return rc;
  }
  if (s->rollback_pid != ART_PID_NONE && may_wait)
    (void)await_start(sys, s->rollback_pid, token);
  art__sup_state_free(s);
  return rc;
}
