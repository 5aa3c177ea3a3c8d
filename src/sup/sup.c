/*
 * The supervisor actor: starts, restart decisions, ordered stops, the restart window.
 *
 * Protocol of an operation (a restart, terminate_child, or the supervisor's own shutdown):
 * a list of children to stop in order, handled one at a time (exit signal, then wait for the
 * child's EXIT, with a kill timer for graceful stops), followed by the starts. While an
 * operation runs, every other message is copied to the `pending` queue and handled in arrival
 * order once it is over, which gives the order OTP's blocking receive gives. A child's EXIT
 * found in that queue when its stop begins completes the stop at once.
 */
#include "sup.h"

#include <stdlib.h>
#include <string.h>

#include "art/link.h"
#include "art/monitor.h"
#include "art/request.h"
#include "art/timer.h"

typedef struct sup_child {
  struct sup_child *prev, *next;
  char id[ART_SUP_ID_MAX + 1];
  art_child_spec spec; /* spec.id points to id */
  art_pid pid;         /* ART_PID_NONE when not running */
  bool restarting;     /* a restart attempt failed; SUP_MSG_TRY_AGAIN is on its way */
  uint32_t restarts;
  uint64_t uid; /* names the child in SUP_MSG_TRY_AGAIN, which may outlive it */
} sup_child;

typedef struct sup_pending {
  struct sup_pending *next;
  art_msg msg; /* msg.data points just past this header */
} sup_pending;

typedef enum op_kind { OP_NONE = 0, OP_RESTART, OP_TERMINATE, OP_SHUTDOWN } op_kind;

typedef struct sup_op {
  op_kind kind;
  sup_child **stops; /* in stop order */
  size_t nstops, next;
  sup_child *failed;    /* OP_RESTART: the child whose exit started it */
  sup_child *stopping;  /* waiting for this child's EXIT */
  art_pid stopping_pid; /* its pid */
  art_timer timer;      /* graceful: the kill timer, 0 if none */
  uint64_t token;       /* SUP_MSG_TIMER payload of that timer */
  bool has_reply;       /* reply_to holds a request to answer when done */
  art_msg reply_to;
  art_exit_reason exit_reason; /* OP_SHUTDOWN */
} sup_op;

typedef struct sup_state {
  art_allocator alloc;
  art_system *sys;
  art_pid self, parent;
  art_sup_strategy strategy;
  uint32_t intensity;
  art_duration period;
  int64_t *stamps; /* ring of intensity + 1 restart times, oldest at stamp_head */
  uint32_t stamp_head, stamp_count;
  sup_child *first, *last;
  uint64_t next_uid, next_token;
  sup_op op;
  sup_pending *pending, *pending_tail;
  bool rollback;        /* this actor stops children a failed start left behind */
  bool waiter_expected; /* rollback: exit only after SUP_REQ_WAIT came */
  bool done;            /* rollback: its stops are finished */
  art_pid rollback_pid; /* a failed start: the actor doing its rollback */
  bool fatal;           /* a restart could not be scheduled: shut down with fatal_reason */
  art_exit_reason fatal_reason;
} sup_state;

static const art_actor_ops sup_ops;

/* ---- memory ----------------------------------------------------------------------------- */

static void *sup_alloc(const art_allocator *a, size_t size) {
  void *p = a->alloc ? a->alloc(a->ctx, size) : malloc(size);
  if (p)
    memset(p, 0, size);
  return p;
}

static void sup_free(const art_allocator *a, void *p) {
  if (!p)
    return;
  if (a->free)
    a->free(a->ctx, p);
  else
    free(p);
}

static void child_unlink(sup_state *s, sup_child *c) {
  if (c->prev)
    c->prev->next = c->next;
  else
    s->first = c->next;
  if (c->next)
    c->next->prev = c->prev;
  else
    s->last = c->prev;
  c->prev = c->next = NULL;
}

static void child_append(sup_state *s, sup_child *c) {
  c->prev = s->last;
  c->next = NULL;
  if (s->last)
    s->last->next = c;
  else
    s->first = c;
  s->last = c;
}

static sup_child *child_new(sup_state *s, const art_child_spec *spec) {
  sup_child *c = sup_alloc(&s->alloc, sizeof *c);
  if (!c)
    return NULL;
  c->spec = *spec;
  strcpy(c->id, spec->id);
  c->spec.id = c->id;
  c->uid = ++s->next_uid;
  return c;
}

static sup_child *child_by_id(sup_state *s, const char *id) {
  for (sup_child *c = s->first; c; c = c->next)
    if (strcmp(c->id, id) == 0)
      return c;
  return NULL;
}

static sup_child *child_by_pid(sup_state *s, art_pid pid) {
  for (sup_child *c = s->first; c; c = c->next)
    if (c->pid == pid && pid != ART_PID_NONE)
      return c;
  return NULL;
}

static void state_free(sup_state *s) {
  while (s->first) {
    sup_child *c = s->first;
    child_unlink(s, c);
    sup_free(&s->alloc, c);
  }
  while (s->pending) {
    sup_pending *p = s->pending;
    s->pending = p->next;
    sup_free(&s->alloc, p);
  }
  sup_free(&s->alloc, s->op.stops);
  sup_free(&s->alloc, s->stamps);
  art_allocator a = s->alloc;
  sup_free(&a, s);
}

/* ---- events ----------------------------------------------------------------------------- */

static void emit(sup_state *s, art_event_kind kind, const sup_child *c, art_pid pid,
                 const art_exit_reason *reason, int err, uint64_t count) {
  ART_MONITOR_EVENT(art_system_monitor(s->sys), kind, art_event_kind_severity(kind), ev, {
    ev.pid = pid;
    ev.other = s->self;
    if (c) {
      art_event_copy_text(ev.child_id, sizeof ev.child_id, c->id);
      ev.restart_count = c->restarts;
    }
    if (reason) {
      ev.reason = (uint8_t)reason->kind;
      ev.error_code = reason->code;
      art_event_copy_text(ev.text, sizeof ev.text, reason->text);
    }
    if (err) {
      ev.error_code = err;
      art_event_copy_text(ev.text, sizeof ev.text, art_strerror(err));
    }
    ev.count = count;
    if (kind == ART_EVENT_SUPERVISION_STRATEGY_APPLIED)
      art_event_copy_text(ev.strategy, sizeof ev.strategy, art_sup_strategy_name(s->strategy));
    if (kind == ART_EVENT_SUPERVISION_RESTART_LIMIT_EXCEEDED) {
      ev.restart_count = (uint32_t)count;
      ev.count = 0;
      ev.duration_ns = s->period;
    }
  });
}

/* ---- starting ------------------------------------------------------------------------- */

/* Starts @p c linked to the supervisor; runs in the supervisor's callbacks. */
static int child_start(sup_state *s, sup_child *c) {
  art_pid pid = ART_PID_NONE;
  int rc;
  if (c->spec.type == ART_CHILD_WORKER) {
    art_spawn_opts opts = c->spec.actor;
    opts.flags |= ART_SPAWN_LINK;
    if (!opts.name)
      opts.name = c->id;
    rc = art_spawn(s->sys, &opts, &pid);
  } else {
    rc = art__sup_launch(s->sys, c->spec.sup, s->self, false, &pid);
  }
  if (rc < 0) {
    emit(s, ART_EVENT_SUPERVISION_CHILD_FAILED, c, ART_PID_NONE, NULL, rc, 0);
    return rc;
  }
  c->pid = pid;
  c->restarting = false;
  emit(s, ART_EVENT_SUPERVISION_CHILD_STARTED, c, pid, NULL, 0, 0);
  return 0;
}

static bool is_normal_or_shutdown(const art_exit_reason *r) {
  return r->kind == ART_EXIT_NORMAL || r->kind == ART_EXIT_SHUTDOWN;
}

/* ---- the restart window ----------------------------------------------------------------- */

/* Records a restart now; true if the restarts in the window now exceed the intensity. A stamp
 * t stays in the window while t >= now - period, as OTP's add_restart keeps it. */
static bool add_restart(sup_state *s) {
  int64_t now = art_system_now(s->sys);
  uint32_t cap = s->intensity + 1;
  while (s->stamp_count && s->stamps[s->stamp_head] < now - s->period) {
    s->stamp_head = (s->stamp_head + 1) % cap;
    s->stamp_count--;
  }
  if (s->stamp_count == cap) { /* only after an exceeded window; keep the newest */
    s->stamp_head = (s->stamp_head + 1) % cap;
    s->stamp_count--;
  }
  s->stamps[(s->stamp_head + s->stamp_count) % cap] = now;
  s->stamp_count++;
  return s->stamp_count > s->intensity;
}

/* ---- operations ------------------------------------------------------------------------- */

static void handle_msg(art_ctx *ctx, sup_state *s, const art_msg *msg);

static void reply(sup_state *s, const art_msg *req, const void *data, size_t size) {
  (void)art_reply(s->sys, req, SUP_REPLY, data, size);
}

static void reply_rc(sup_state *s, const art_msg *req, int rc, art_pid pid) {
  sup_result r = {.rc = rc, .pid = pid};
  reply(s, req, &r, sizeof r);
}

static int defer(sup_state *s, const art_msg *msg) {
  sup_pending *p = sup_alloc(&s->alloc, sizeof *p + msg->size);
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

/* Takes the EXIT of @p pid out of the pending queue, if it is there. */
static bool take_pending_exit(sup_state *s, art_pid pid, art_exit_reason *reason) {
  for (sup_pending **pp = &s->pending; *pp; pp = &(*pp)->next) {
    sup_pending *p = *pp;
    if (p->msg.type != ART_MSG_EXIT)
      continue;
    const art_exit_msg *x = p->msg.data;
    if (x->from != pid)
      continue;
    *reason = x->reason;
    *pp = p->next;
    if (s->pending_tail == p) {
      s->pending_tail = NULL;
      for (sup_pending *q = s->pending; q; q = q->next)
        s->pending_tail = q;
    }
    sup_free(&s->alloc, p);
    return true;
  }
  return false;
}

/* The child stopped (its EXIT came): record it, drop a temporary child's spec. */
static void stop_done(sup_state *s, sup_child *c, const art_exit_reason *reason) {
  emit(s, ART_EVENT_SUPERVISION_CHILD_STOPPED, c, c->pid, reason, 0, 0);
  c->pid = ART_PID_NONE;
  if (c->spec.restart == ART_RESTART_TEMPORARY) {
    child_unlink(s, c);
    sup_free(&s->alloc, c);
  }
}

/* Begins stopping @p c; true if it is already stopped (no EXIT to wait for). */
static bool stop_begin(sup_state *s, sup_child *c) {
  art_exit_reason reason;
  if (c->pid == ART_PID_NONE) {
    c->restarting = false;
    if (c->spec.restart == ART_RESTART_TEMPORARY) {
      child_unlink(s, c);
      sup_free(&s->alloc, c);
    }
    return true;
  }
  if (take_pending_exit(s, c->pid, &reason)) {
    stop_done(s, c, &reason);
    return true;
  }
  art_shutdown_kind kind = c->spec.shutdown.kind;
  if (kind == ART_SHUTDOWN_DEFAULT)
    kind = c->spec.type == ART_CHILD_SUPERVISOR ? ART_SHUTDOWN_INFINITY : ART_SHUTDOWN_GRACEFUL;
  art_duration timeout =
      c->spec.shutdown.kind == ART_SHUTDOWN_DEFAULT ? ART_SEC(5) : c->spec.shutdown.timeout;
  s->op.stopping = c;
  s->op.stopping_pid = c->pid;
  s->op.timer = 0;
  /* A child that is already gone answers with its EXIT through the link all the same, so a
   * failed signal needs no special case. */
  if (kind == ART_SHUTDOWN_IMMEDIATE) {
    reason = art_reason(ART_EXIT_KILLED);
  } else {
    reason = art_reason(ART_EXIT_SHUTDOWN);
    if (kind == ART_SHUTDOWN_GRACEFUL) {
      uint64_t token = ++s->next_token;
      s->op.token = token;
      if (art_send_after(s->sys, s->self, timeout, SUP_MSG_TIMER, &token, sizeof token,
                         &s->op.timer) != 0) {
        s->op.timer = 0;
        reason = art_reason(ART_EXIT_KILLED); /* no timer to enforce it: don't wait forever */
      }
    }
  }
  (void)art_send_exit(s->sys, c->pid, &reason);
  return false;
}

static void op_finish(art_ctx *ctx, sup_state *s);

/* Runs the operation until it must wait for an EXIT, or to its end. */
static void op_continue(art_ctx *ctx, sup_state *s) {
  while (s->op.next < s->op.nstops) {
    sup_child *c = s->op.stops[s->op.next];
    if (!stop_begin(s, c))
      return;
    s->op.next++;
  }
  op_finish(ctx, s);
}

static void schedule_try_again(sup_state *s, sup_child *c) {
  c->restarting = true;
  uint64_t uid = c->uid;
  if (art_send(s->sys, s->self, SUP_MSG_TRY_AGAIN, &uid, sizeof uid) != 0) {
    /* Without the retry message the child would stay down; fail the supervisor instead. */
    s->fatal = true;
    s->fatal_reason = art_reason_error(ART_ENOMEM, "supervisor: cannot schedule a restart");
  }
}

static void begin_shutdown(art_ctx *ctx, sup_state *s, const art_exit_reason *reason,
                           const art_msg *reply_to);

/* OP_RESTART, after its stops: start the children from @p from on (or @p from alone) in
 * order; at the first failure, the rest stay down and that child is retried later. */
static void restart_starts(art_ctx *ctx, sup_state *s, sup_child *from, bool alone) {
  for (sup_child *c = from; c; c = alone ? NULL : c->next) {
    if (c->pid != ART_PID_NONE)
      continue;
    int rc = child_start(s, c);
    if (rc == ART_ESHUTDOWN) { /* the system is stopping: no point in trying again */
      art_exit_reason r = art_reason(ART_EXIT_SHUTDOWN);
      begin_shutdown(ctx, s, &r, NULL);
      return;
    }
    if (rc < 0) {
      schedule_try_again(s, c);
      return;
    }
    if (c == s->op.failed || s->strategy != ART_SUP_ONE_FOR_ONE) {
      c->restarts++;
      emit(s, ART_EVENT_SUPERVISION_CHILD_RESTARTED, c, c->pid, NULL, 0, 0);
    }
  }
}

static void op_finish(art_ctx *ctx, sup_state *s) {
  sup_op op = s->op;
  memset(&s->op, 0, sizeof s->op);
  sup_free(&s->alloc, op.stops);
  switch (op.kind) {
  case OP_RESTART:
    s->op.failed = op.failed;
    s->op.kind = OP_RESTART; /* keeps messages aside during the starts (none can come) */
    if (s->strategy == ART_SUP_ONE_FOR_ONE)
      restart_starts(ctx, s, op.failed, true);
    else if (s->strategy == ART_SUP_ONE_FOR_ALL)
      restart_starts(ctx, s, s->first, false);
    else
      restart_starts(ctx, s, op.failed, false);
    if (s->op.kind != OP_RESTART)
      return; /* the starts began a shutdown */
    memset(&s->op, 0, sizeof s->op);
    if (s->fatal) {
      s->fatal = false;
      begin_shutdown(ctx, s, &s->fatal_reason, NULL);
      return;
    }
    break;
  case OP_TERMINATE:
    if (op.has_reply)
      reply_rc(s, &op.reply_to, 0, ART_PID_NONE);
    break;
  case OP_SHUTDOWN:
    if (op.has_reply)
      reply_rc(s, &op.reply_to, 0, ART_PID_NONE);
    if (s->rollback && s->waiter_expected && !op.has_reply) {
      s->done = true; /* the waiter's SUP_REQ_WAIT is on its way: exit when it comes */
      return;
    }
    art_exit(ctx, &op.exit_reason);
    s->op.kind = OP_SHUTDOWN; /* exiting: set everything else aside */
    return;
  case OP_NONE:
    break;
  }
  /* Handle what was set aside, until one of the messages starts another operation. */
  while (s->op.kind == OP_NONE && s->pending) {
    sup_pending *p = s->pending;
    s->pending = p->next;
    if (!s->pending)
      s->pending_tail = NULL;
    handle_msg(ctx, s, &p->msg);
    sup_free(&s->alloc, p);
  }
}

/* Makes the operation current: it will stop @p stops (taken) in order. */
static int op_begin(sup_state *s, op_kind kind, sup_child **stops, size_t n) {
  memset(&s->op, 0, sizeof s->op);
  s->op.kind = kind;
  s->op.stops = stops;
  s->op.nstops = n;
  return 0;
}

/* The running children from @p from to the end, in reverse order (reverse start order). */
static sup_child **collect_reverse(sup_state *s, sup_child *from, sup_child *skip, size_t *n) {
  size_t count = 0;
  for (sup_child *c = from; c; c = c->next)
    count++;
  sup_child **v = sup_alloc(&s->alloc, (count ? count : 1) * sizeof *v);
  if (!v)
    return NULL;
  size_t k = 0;
  for (sup_child *c = s->last; c; c = c->prev) {
    if (c != skip)
      v[k++] = c;
    if (c == from)
      break;
  }
  *n = k;
  return v;
}

static void begin_shutdown(art_ctx *ctx, sup_state *s, const art_exit_reason *reason,
                           const art_msg *reply_to) {
  size_t n = 0;
  sup_child **v = s->first ? collect_reverse(s, s->first, NULL, &n) : NULL;
  if (s->first && !v) { /* out of memory: kill the children through the links */
    art_exit_reason killed = art_reason(ART_EXIT_KILLED);
    for (sup_child *c = s->first; c; c = c->next)
      if (c->pid != ART_PID_NONE)
        (void)art_send_exit(s->sys, c->pid, &killed);
  }
  op_begin(s, OP_SHUTDOWN, v, n);
  s->op.exit_reason = *reason;
  if (reply_to) {
    s->op.has_reply = true;
    s->op.reply_to = *reply_to;
  }
  op_continue(ctx, s);
}

/* OTP's restart/2: count the restart, then apply the strategy. */
static void restart(art_ctx *ctx, sup_state *s, sup_child *c) {
  if (add_restart(s)) {
    emit(s, ART_EVENT_SUPERVISION_RESTART_LIMIT_EXCEEDED, c, ART_PID_NONE, NULL, 0, s->stamp_count);
    c->restarting = false;
    c->pid = ART_PID_NONE; /* it is gone: nothing to stop */
    art_exit_reason r = art_reason_shutdown("reached_max_restart_intensity");
    begin_shutdown(ctx, s, &r, NULL);
    return;
  }
  c->pid = ART_PID_NONE;
  size_t n = 0;
  sup_child **v = NULL;
  uint64_t touched = 1;
  if (s->strategy != ART_SUP_ONE_FOR_ONE) {
    sup_child *from = s->strategy == ART_SUP_ONE_FOR_ALL ? s->first : c;
    v = collect_reverse(s, from, c, &n);
    if (!v) {
      art_exit_reason r = art_reason_error(ART_ENOMEM, "supervisor: out of memory");
      begin_shutdown(ctx, s, &r, NULL);
      return;
    }
    touched = n + 1;
  }
  emit(s, ART_EVENT_SUPERVISION_STRATEGY_APPLIED, c, c->pid, NULL, 0, touched);
  op_begin(s, OP_RESTART, v, n);
  s->op.failed = c;
  op_continue(ctx, s);
}

/* ---- messages --------------------------------------------------------------------------- */

static void on_child_exit(art_ctx *ctx, sup_state *s, sup_child *c, const art_exit_reason *r) {
  bool failed = !is_normal_or_shutdown(r);
  emit(s, failed ? ART_EVENT_SUPERVISION_CHILD_FAILED : ART_EVENT_SUPERVISION_CHILD_STOPPED, c,
       c->pid, r, 0, 0);
  bool again = c->spec.restart == ART_RESTART_PERMANENT ||
               (c->spec.restart == ART_RESTART_TRANSIENT && failed);
  if (!again) {
    c->pid = ART_PID_NONE;
    if (c->spec.restart == ART_RESTART_TEMPORARY) {
      child_unlink(s, c);
      sup_free(&s->alloc, c);
    }
    return;
  }
  restart(ctx, s, c);
}

static void on_exit_msg(art_ctx *ctx, sup_state *s, const art_exit_msg *x) {
  if (x->from == ART_PID_NONE || (x->from == s->parent && s->parent != ART_PID_NONE)) {
    begin_shutdown(ctx, s, &x->reason, NULL);
    return;
  }
  sup_child *c = child_by_pid(s, x->from);
  if (c && s->rollback)
    stop_done(s, c, &x->reason); /* a rollback restarts nothing */
  else if (c)
    on_child_exit(ctx, s, c, &x->reason);
}

static void on_try_again(art_ctx *ctx, sup_state *s, uint64_t uid) {
  for (sup_child *c = s->first; c; c = c->next)
    if (c->uid == uid && c->restarting) {
      restart(ctx, s, c);
      return;
    }
}

static void do_start_child(sup_state *s, const art_msg *msg) {
  sup_start_req req;
  memcpy(&req, msg->data, sizeof req);
  req.spec.id = req.id;
  sup_child *old = child_by_id(s, req.id);
  if (old) {
    reply_rc(s, msg, old->pid != ART_PID_NONE ? ART_EEXIST : ART_EBUSY, old->pid);
    return;
  }
  sup_child *c = child_new(s, &req.spec);
  if (!c) {
    reply_rc(s, msg, ART_ENOMEM, ART_PID_NONE);
    return;
  }
  int rc = child_start(s, c);
  if (rc < 0) {
    sup_free(&s->alloc, c);
    reply_rc(s, msg, rc, ART_PID_NONE);
    return;
  }
  child_append(s, c);
  reply_rc(s, msg, 0, c->pid);
}

/* The reply: an int64_t (the number of children, or an error), then the entries. */
static void do_which(sup_state *s, const art_msg *msg) {
  size_t n = 0;
  for (sup_child *c = s->first; c; c = c->next)
    n++;
  int64_t *head = sup_alloc(&s->alloc, sizeof *head + n * sizeof(art_sup_child_info));
  if (!head) {
    int64_t err = ART_ENOMEM;
    reply(s, msg, &err, sizeof err);
    return;
  }
  *head = (int64_t)n;
  art_sup_child_info *v = (art_sup_child_info *)(head + 1);
  size_t k = 0;
  for (sup_child *c = s->first; c; c = c->next, k++) {
    strcpy(v[k].id, c->id);
    v[k].pid = c->pid;
    v[k].type = c->spec.type;
    v[k].state = c->pid != ART_PID_NONE ? ART_CHILD_RUNNING
                 : c->restarting        ? ART_CHILD_RESTARTING
                                        : ART_CHILD_UNDEFINED;
  }
  reply(s, msg, head, sizeof *head + n * sizeof *v);
  sup_free(&s->alloc, head);
}

static void do_request(art_ctx *ctx, sup_state *s, const art_msg *msg) {
  const sup_id_req *idr = msg->data;
  sup_child *c = NULL;
  if (msg->type == SUP_REQ_TERMINATE || msg->type == SUP_REQ_RESTART ||
      msg->type == SUP_REQ_DELETE || msg->type == SUP_REQ_GET_SPEC) {
    if (msg->size != sizeof *idr || !(c = child_by_id(s, idr->id))) {
      if (msg->type == SUP_REQ_GET_SPEC) {
        sup_spec_reply r = {.rc = ART_ENOENT};
        reply(s, msg, &r, sizeof r);
      } else {
        reply_rc(s, msg, ART_ENOENT, ART_PID_NONE);
      }
      return;
    }
  }
  switch (msg->type) {
  case SUP_REQ_START_CHILD:
    if (msg->size == sizeof(sup_start_req))
      do_start_child(s, msg);
    else
      reply_rc(s, msg, ART_EINVAL, ART_PID_NONE);
    return;
  case SUP_REQ_TERMINATE: {
    sup_child **v = sup_alloc(&s->alloc, sizeof *v);
    if (!v) {
      reply_rc(s, msg, ART_ENOMEM, ART_PID_NONE);
      return;
    }
    v[0] = c;
    op_begin(s, OP_TERMINATE, v, 1);
    s->op.has_reply = true;
    s->op.reply_to = *msg;
    op_continue(ctx, s);
    return;
  }
  case SUP_REQ_RESTART:
    if (c->pid != ART_PID_NONE)
      reply_rc(s, msg, ART_EBUSY, c->pid);
    else if (c->restarting)
      reply_rc(s, msg, ART_EAGAIN, ART_PID_NONE);
    else {
      int rc = child_start(s, c);
      reply_rc(s, msg, rc, c->pid);
    }
    return;
  case SUP_REQ_DELETE:
    if (c->pid != ART_PID_NONE) {
      reply_rc(s, msg, ART_EBUSY, c->pid);
    } else if (c->restarting) {
      reply_rc(s, msg, ART_EAGAIN, ART_PID_NONE);
    } else {
      child_unlink(s, c);
      sup_free(&s->alloc, c);
      reply_rc(s, msg, 0, ART_PID_NONE);
    }
    return;
  case SUP_REQ_GET_SPEC: {
    sup_spec_reply r = {.rc = 0, .spec = c->spec};
    r.spec.id = NULL;
    reply(s, msg, &r, sizeof r);
    return;
  }
  case SUP_REQ_WHICH:
    do_which(s, msg);
    return;
  case SUP_REQ_COUNT: {
    art_sup_counts n = {0};
    for (sup_child *k = s->first; k; k = k->next) {
      n.specs++;
      n.active += k->pid != ART_PID_NONE && art_is_alive(s->sys, k->pid);
      n.supervisors += k->spec.type == ART_CHILD_SUPERVISOR;
      n.workers += k->spec.type == ART_CHILD_WORKER;
    }
    reply(s, msg, &n, sizeof n);
    return;
  }
  case SUP_REQ_STOP: {
    art_exit_reason r = art_reason(ART_EXIT_SHUTDOWN);
    begin_shutdown(ctx, s, &r, msg);
    return;
  }
  default:
    return;
  }
}

/* Handles one message while no operation runs. */
static void handle_msg(art_ctx *ctx, sup_state *s, const art_msg *msg) {
  switch (msg->type) {
  case ART_MSG_EXIT:
    on_exit_msg(ctx, s, msg->data);
    return;
  case SUP_MSG_TRY_AGAIN: {
    uint64_t uid;
    memcpy(&uid, msg->data, sizeof uid);
    on_try_again(ctx, s, uid);
    return;
  }
  case SUP_MSG_STOP_ASYNC: {
    art_exit_reason r = art_reason(ART_EXIT_SHUTDOWN);
    begin_shutdown(ctx, s, &r, NULL);
    return;
  }
  default:
    if (msg->correlation & ART_CORRELATION_REQUEST)
      do_request(ctx, s, msg);
    return;
  }
}

static int sup_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  sup_state *s = state;
  if (msg->type == SUP_MSG_BEGIN_ROLLBACK) {
    art_exit_reason r = art_reason(ART_EXIT_NORMAL);
    begin_shutdown(ctx, s, &r, NULL);
    return 0;
  }
  if (msg->type == SUP_REQ_WAIT) {
    if (s->done) {
      reply_rc(s, msg, 0, ART_PID_NONE);
      return ART_STOP;
    }
    s->op.has_reply = true;
    s->op.reply_to = *msg;
    return 0;
  }
  if (s->op.kind != OP_NONE) {
    if (msg->type == SUP_MSG_TIMER) {
      uint64_t token;
      memcpy(&token, msg->data, sizeof token);
      if (s->op.stopping && token == s->op.token) {
        s->op.timer = 0;
        art_exit_reason killed = art_reason(ART_EXIT_KILLED);
        (void)art_send_exit(s->sys, s->op.stopping_pid, &killed);
      }
      return 0;
    }
    if (msg->type == ART_MSG_EXIT && s->op.stopping &&
        ((const art_exit_msg *)msg->data)->from == s->op.stopping_pid) {
      if (s->op.timer)
        (void)art_timer_cancel(s->sys, s->op.timer);
      sup_child *c = s->op.stopping;
      s->op.stopping = NULL;
      s->op.timer = 0;
      s->op.next++;
      stop_done(s, c, &((const art_exit_msg *)msg->data)->reason);
      op_continue(ctx, s);
      return 0;
    }
    if (defer(s, msg) != 0 && (msg->correlation & ART_CORRELATION_REQUEST))
      reply_rc(s, msg, ART_ENOMEM, ART_PID_NONE);
    return 0;
  }
  if (msg->type == SUP_MSG_TIMER) /* a stale timer of a finished stop */
    return 0;
  handle_msg(ctx, s, msg);
  return 0;
}

/* ---- start and rollback ---------------------------------------------------------------- */

/* A child failed to start during the supervisor's start: hand the ones already started to a
 * rollback actor that stops them in reverse order. */
static void start_rollback(art_ctx *ctx, sup_state *s, sup_child *failed, bool may_wait) {
  if (s->first == failed)
    return;
  sup_state *r = sup_alloc(&s->alloc, sizeof *r);
  if (r) {
    r->alloc = s->alloc;
    r->sys = s->sys;
    r->strategy = s->strategy;
    r->rollback = true;
    r->waiter_expected = may_wait;
  }
  while (s->first != failed) {
    sup_child *c = s->first;
    (void)art_unlink(ctx, c->pid);
    child_unlink(s, c);
    if (r) {
      child_append(r, c);
    } else {
      art_exit_reason killed = art_reason(ART_EXIT_KILLED);
      (void)art_send_exit(s->sys, c->pid, &killed);
      sup_free(&s->alloc, c);
    }
  }
  if (!r)
    return;
  art_spawn_opts opts = {
      .ops = &sup_ops, .state = r, .flags = ART_SPAWN_TRAP_EXIT, .name = "art_sup_rollback"};
  if (art_spawn(s->sys, &opts, &s->rollback_pid) != 0) {
    art_exit_reason killed = art_reason(ART_EXIT_KILLED);
    for (sup_child *c = r->first; c; c = c->next)
      (void)art_send_exit(s->sys, c->pid, &killed);
    s->rollback_pid = ART_PID_NONE;
    state_free(r);
  }
}

typedef struct sup_start_args {
  bool may_wait;
} sup_start_args;

static int sup_pre_start(art_ctx *ctx, void *state, void *args) {
  sup_state *s = state;
  s->self = art_self(ctx);
  if (s->rollback) {
    for (sup_child *c = s->first; c; c = c->next)
      (void)art_link(ctx, c->pid); /* traps exits: a child already gone sends EXIT noproc */
    return art_send(s->sys, s->self, SUP_MSG_BEGIN_ROLLBACK, NULL, 0);
  }
  const sup_start_args *a = args;
  for (sup_child *c = s->first; c; c = c->next) {
    int rc = child_start(s, c);
    if (rc < 0) {
      start_rollback(ctx, s, c, a->may_wait);
      return rc;
    }
  }
  return 0;
}

static void sup_post_stop(art_ctx *ctx, void *state, const art_exit_reason *reason) {
  (void)ctx;
  (void)reason;
  sup_state *s = state;
  if (s->op.timer)
    (void)art_timer_cancel(s->sys, s->op.timer);
  /* Requests set aside will not be served: answer them, so that no caller waits for ever. */
  if (s->op.has_reply) /* killed during the operation */
    reply_rc(s, &s->op.reply_to, s->op.kind == OP_SHUTDOWN ? 0 : ART_ESRCH, ART_PID_NONE);
  for (sup_pending *p = s->pending; p; p = p->next)
    if (p->msg.correlation & ART_CORRELATION_REQUEST) {
      if (p->msg.type == SUP_REQ_STOP)
        reply_rc(s, &p->msg, 0, ART_PID_NONE);
      else
        reply_rc(s, &p->msg, ART_ESRCH, ART_PID_NONE);
    }
  state_free(s);
}

static const art_actor_ops sup_ops = {
    .pre_start = sup_pre_start, .handle = sup_handle, .post_stop = sup_post_stop};

/* ---- launching ---------------------------------------------------------------------------- */

int art__sup_launch(art_system *sys, const art_sup_spec *spec, art_pid parent, bool may_wait,
                    art_pid *out) {
  if (!sys || !spec || (unsigned)spec->strategy > ART_SUP_REST_FOR_ONE || spec->period <= 0 ||
      spec->max_children || spec->auto_shutdown || spec->intensity > ART_SUP_INTENSITY_MAX ||
      (spec->child_count && !spec->children) || (spec->name && strlen(spec->name) > 63))
    return ART_EINVAL;
  for (size_t i = 0; i < spec->child_count; i++) {
    int rc = art__sup_check_child(&spec->children[i]);
    if (rc)
      return rc;
    for (size_t j = 0; j < i; j++)
      if (strcmp(spec->children[i].id, spec->children[j].id) == 0)
        return ART_EEXIST;
  }
  art_allocator alloc = spec->allocator;
  if (!alloc.alloc || !alloc.free)
    alloc = (art_allocator){0};
  sup_state *s = sup_alloc(&alloc, sizeof *s);
  if (!s)
    return ART_ENOMEM;
  s->alloc = alloc;
  s->sys = sys;
  s->parent = parent;
  s->strategy = spec->strategy;
  s->intensity = spec->intensity;
  s->period = spec->period;
  if (!(s->stamps = sup_alloc(&alloc, ((size_t)spec->intensity + 1) * sizeof *s->stamps)))
    goto fail;
  for (size_t i = 0; i < spec->child_count; i++) {
    sup_child *c = child_new(s, &spec->children[i]);
    if (!c)
      goto fail;
    child_append(s, c);
  }
  sup_start_args args = {.may_wait = may_wait};
  art_spawn_opts opts = {
      .ops = &sup_ops,
      .state = s,
      .args = &args,
      .name = spec->name ? spec->name : "art_sup",
      .flags = ART_SPAWN_TRAP_EXIT | (parent != ART_PID_NONE ? ART_SPAWN_LINK : 0),
  };
  int rc = art_spawn(sys, &opts, out);
  if (rc == 0)
    return 0;
  if (s->rollback_pid != ART_PID_NONE && may_wait) {
    art_call_reply r = {0};
    int wrc = art_call(sys, s->rollback_pid, SUP_REQ_WAIT, NULL, 0, ART_FOREVER, &r);
    if (wrc != 0 && wrc != ART_ETIMEDOUT && wrc != ART_ESRCH) {
      art_exit_reason killed = art_reason(ART_EXIT_KILLED); /* it would wait for ever */
      (void)art_send_exit(sys, s->rollback_pid, &killed);
    }
  }
  state_free(s);
  return rc;
fail:
  state_free(s);
  return ART_ENOMEM;
}
