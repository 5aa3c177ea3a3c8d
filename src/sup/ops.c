/*
 * Operations: how the supervisor stops and starts children, decides restarts and applies its
 * strategy.
 *
 * An operation (a restart, a dynamic start, terminate_child, a health failure's stop, the
 * supervisor's own start or shutdown) is a list of children to stop, handled one at a time
 * (exit signal, then wait for the child's EXIT, with a timer for graceful stops), then a
 * sequence of starts, each either synchronous (an actor's pre_start runs inside art_spawn) or
 * awaited (a custom child's start runs on its host's thread; a supervisor with custom children
 * starts them after its own pre_start). simple_one_for_one's shutdown stops all instances at
 * once instead. While an operation runs, the supervisor's other messages are copied to the
 * `pending` queue and handled in arrival order once it is over (see supervisor.c), which gives
 * the order OTP's blocking receive gives without ever blocking a worker. A child's EXIT found
 * in that queue when its stop begins completes the stop at once.
 */
#include <string.h>

#include "art/link.h"
#include "sup.h"

static const art_exit_reason *killed_reason(void) {
  static const art_exit_reason killed = {.kind = ART_EXIT_KILLED};
  return &killed;
}

static bool is_simple(const sup_state *s) {
  return s->strategy == ART_SUP_SIMPLE_ONE_FOR_ONE;
}

static bool is_normal_or_shutdown(const art_exit_reason *r) {
  return r->kind == ART_EXIT_NORMAL || r->kind == ART_EXIT_SHUTDOWN;
}

/* ---- a child's run ---------------------------------------------------------------------- */

void art__sup_child_running(sup_state *s, sup_child *c) {
  c->status = CHILD_RUNNING;
  c->since = art_system_now(s->sys);
  c->ran = true;
  c->health = ART_HEALTH_HEALTHY;
  c->health_failures = 0;
  art__sup_emit(s, ART_EVENT_SUPERVISION_CHILD_STARTED, c, c->pid, NULL, 0, 0);
  art__sup_health_arm(s, c);
}

void art__sup_child_down(sup_state *s, sup_child *c) {
  art__sup_health_disarm(s, c);
}

/* ---- starting ------------------------------------------------------------------------- */

int art__sup_start_child(sup_state *s, sup_child *c) {
  art__sup_set_restarting(s, c, false);
  c->start_began = art_system_now(s->sys);
  int rc = art__sup_reserve_pid(s);
  art_pid pid = ART_PID_NONE;
  bool pending = false;
  if (rc == 0) {
    if (c->spec->type == ART_CHILD_SUPERVISOR) {
      rc = art__sup_launch(s->sys, c->spec->sup, s->self, false, &pending, &pid);
    } else if (c->spec->ops) {
      rc = art__sup_host_spawn(s, c, &pid);
      pending = true;
    } else {
      art_spawn_opts opts = c->spec->actor;
      opts.flags |= ART_SPAWN_LINK;
      if (!opts.name && c->spec->id)
        opts.name = c->spec->id;
      if (c->spec == &s->simple_spec)
        opts.args = c->arg;
      rc = art_spawn(s->sys, &opts, &pid);
    }
  }
  if (rc < 0) {
    art__sup_emit(s, ART_EVENT_SUPERVISION_CHILD_FAILED, c, ART_PID_NONE, NULL, rc, 0);
    return rc;
  }
  art__sup_set_pid(s, c, pid);
  if (!pending) {
    art__sup_child_running(s, c);
    return 0;
  }
  c->status = CHILD_STARTING;
  s->op.starting = c;
  s->op.start_timer = 0;
  art_duration timeout = c->spec->start_timeout ? c->spec->start_timeout : ART_SEC(5);
  if (c->spec->ops && timeout >= 0) {
    uint64_t token = s->op.start_token = ++s->next_token;
    if (art_send_after(s->sys, s->self, timeout, SUP_MSG_START_TIMEOUT, &token, sizeof token,
                       &s->op.start_timer) != 0) {
      /* Without the timer the start could be awaited for ever: give it up now. */
      (void)art_send_exit(s->sys, pid, killed_reason());
      art__sup_clear_pid(s, c);
      s->op.starting = NULL;
      art__sup_emit(s, ART_EVENT_SUPERVISION_CHILD_FAILED, c, ART_PID_NONE, NULL, ART_ENOMEM, 0);
      return ART_ENOMEM;
    }
  }
  return SUP_START_PENDING;
}

static void op_clear(sup_state *s) {
  art__sup_free(&s->alloc, s->op.stops);
  memset(&s->op, 0, sizeof s->op);
}

static void schedule_try_again(sup_state *s, sup_child *c) {
  uint64_t uid = c->uid;
  if (!art__sup_set_restarting(s, c, true) ||
      art_send(s->sys, s->self, SUP_MSG_TRY_AGAIN, &uid, sizeof uid) != 0) {
    /* Without the retry the child would stay down; fail the supervisor instead. */
    s->fatal = true;
    s->fatal_reason = art_reason_error(ART_ENOMEM, "supervisor: cannot schedule a restart");
  }
}

static void shutdown_op(art_ctx *ctx, sup_state *s, const art_exit_reason *reason,
                        const art_msg *reply_to, int start_error);

/* What a start's result means for the operation; false if the operation has ended. */
static bool start_result(art_ctx *ctx, sup_state *s, sup_child *c, int rc) {
  if (rc == 0) {
    if (s->op.kind == OP_RESTART && (c == s->op.failed || s->strategy == ART_SUP_ONE_FOR_ALL ||
                                     s->strategy == ART_SUP_REST_FOR_ONE)) {
      c->restarts++;
      art__sup_emit(s, ART_EVENT_SUPERVISION_CHILD_RESTARTED, c, c->pid, NULL, 0, 0);
      c->delay = 0;
    }
    return true;
  }
  sup_op op = s->op; /* its stops are over: op_clear frees them */
  op_clear(s);
  switch (op.kind) {
  case OP_START:
    if (s->in_pre_start) { /* the caller of pre_start rolls back */
      s->pre_start_error = rc;
      s->pre_start_failed = c;
    } else {
      art_exit_reason r = art_reason_shutdown("failed_to_start_child");
      shutdown_op(ctx, s, &r, NULL, rc);
    }
    return false;
  case OP_START_CHILD:
    art__sup_reply_rc(s, &op.reply_to, rc, ART_PID_NONE);
    if (op.remove_on_failure)
      art__sup_child_remove(s, c);
    return false;
  case OP_START_SIMPLE: /* the instances before c stay; c and the rest (the newest) go */
    art__sup_reply_instances(s, &op.reply_to, rc, op.failed, c);
    while (s->last != c)
      art__sup_child_remove(s, s->last);
    art__sup_child_remove(s, c);
    return false;
  default:                     /* OP_RESTART: the rest stay down, and this child is tried again */
    if (rc == ART_ESHUTDOWN) { /* the system is stopping: no point in trying again */
      art_exit_reason r = art_reason(ART_EXIT_SHUTDOWN);
      shutdown_op(ctx, s, &r, NULL, 0);
      return false;
    }
    schedule_try_again(s, c);
    if (s->fatal) {
      s->fatal = false;
      shutdown_op(ctx, s, &s->fatal_reason, NULL, 0);
    }
    return false;
  }
}

/* The awaited start of op.starting is over. */
static void start_over(art_ctx *ctx, sup_state *s, int rc) {
  sup_child *c = s->op.starting;
  s->op.starting = NULL;
  art__sup_timer_cancel(s, &s->op.start_timer);
  if (rc == 0) {
    art__sup_child_running(s, c);
  } else {
    art__sup_emit(s, ART_EVENT_SUPERVISION_CHILD_FAILED, c, c->pid, NULL, rc, 0);
    art__sup_clear_pid(s, c); /* a late STARTED or EXIT from it is ignored */
  }
  if (start_result(ctx, s, c, rc))
    art__sup_op_run(ctx, s);
}

/* ---- stopping ------------------------------------------------------------------------- */

static art_shutdown_kind shutdown_kind(const art_child_spec *spec) {
  if (spec->shutdown.kind != ART_SHUTDOWN_DEFAULT)
    return spec->shutdown.kind;
  return spec->type == ART_CHILD_SUPERVISOR ? ART_SHUTDOWN_INFINITY : ART_SHUTDOWN_GRACEFUL;
}

art_duration art__sup_stop_timeout(const art_child_spec *spec) {
  switch (shutdown_kind(spec)) {
  case ART_SHUTDOWN_IMMEDIATE:
    return 0;
  case ART_SHUTDOWN_INFINITY:
    return ART_FOREVER;
  default:
    return spec->shutdown.kind == ART_SHUTDOWN_DEFAULT ? ART_SEC(5) : spec->shutdown.timeout;
  }
}

/* Whether a stopped child goes (temporary children, simple_one_for_one's instances). */
static bool goes_when_stopped(const sup_state *s, const sup_child *c) {
  return c->spec->restart == ART_RESTART_TEMPORARY || c->spec == &s->simple_spec;
}

/* The child stopped (its EXIT came): record it; drop it if it goes. A health failure's stop
 * is handled as the child's exit when the operation ends. */
static void stop_done(sup_state *s, sup_child *c, const art_exit_reason *reason) {
  art_pid pid = c->pid;
  art__sup_child_down(s, c);
  if (s->op.kind == OP_SHUTDOWN && !goes_when_stopped(s, c)) {
    /* The exit frees the pid map whole: leaving the entry (art__sup_child_by_pid sees that the
     * pid is no longer the child's) spares a supervisor of many children a miss per child. */
    c->pid = ART_PID_NONE;
    c->status = CHILD_DOWN;
  } else {
    art__sup_clear_pid(s, c);
  }
  if (s->op.kind == OP_HEALTH_STOP) {
    c->stop_timed = false;
    return;
  }
  art__sup_emit(s, ART_EVENT_SUPERVISION_CHILD_STOPPED, c, pid, reason, 0, 0);
  c->stop_timed = false;
  if (goes_when_stopped(s, c))
    art__sup_child_remove(s, c);
}

/* A custom child's stop overran: record it and carry on without it. Its EXIT, when it comes,
 * names no child any more. */
static void abandon(sup_state *s, sup_child *c) {
  art_exit_reason r = art_reason(ART_EXIT_TIMEOUT);
  art_event_copy_text(r.text, sizeof r.text, "stop overran: abandoned");
  if (s->op.kind == OP_HEALTH_STOP) /* stop_done records nothing then; the overrun is news */
    art__sup_emit(s, ART_EVENT_SUPERVISION_CHILD_STOPPED, c, c->pid, &r, 0, 0);
  stop_done(s, c, &r);
}

/* The stop of @p c begins now (child_stopped's duration). */
static void stop_clock_start(sup_state *s, sup_child *c) {
  c->stop_began = art_system_now(s->sys);
  c->stop_timed = true;
}

/* Takes the EXIT of @p pid out of the pending queue, if it is there. */
static bool take_pending_exit(sup_state *s, art_pid pid, art_exit_reason *reason) {
  sup_pending *prev = NULL;
  for (sup_pending *p = s->pending; p; prev = p, p = p->next) {
    if (p->msg.type != ART_MSG_EXIT || ((const art_exit_msg *)p->msg.data)->from != pid)
      continue;
    *reason = ((const art_exit_msg *)p->msg.data)->reason;
    art__sup_pending_unlink(s, prev, p);
    art__sup_free(&s->alloc, p);
    return true;
  }
  return false;
}

/* The signal a stop sends, and the delay of the timer that follows it (negative: none): the
 * kill for an actor, the abandonment for a custom child. */
static const art_exit_reason *stop_signal(const sup_child *c, art_duration *timer) {
  static const art_exit_reason shutdown = {.kind = ART_EXIT_SHUTDOWN};
  *timer = -1;
  switch (shutdown_kind(c->spec)) {
  case ART_SHUTDOWN_IMMEDIATE:
    if (art__sup_is_custom(c))
      *timer = 0; /* its stop gets no time at all */
    return killed_reason();
  case ART_SHUTDOWN_INFINITY:
    return &shutdown;
  default:
    *timer = art__sup_stop_timeout(c->spec);
    return &shutdown;
  }
}

static int arm_stop_timer(sup_state *s, art_duration delay) {
  uint64_t token = s->op.token = ++s->next_token;
  return art_send_after(s->sys, s->self, delay, SUP_MSG_TIMER, &token, sizeof token, &s->op.timer);
}

/* Begins stopping @p c; true if it is stopped already (no EXIT to wait for). */
static bool stop_begin(sup_state *s, sup_child *c) {
  art_exit_reason reason;
  if (c->pid == ART_PID_NONE) {
    art__sup_set_restarting(s, c, false);
    if (s->op.kind != OP_HEALTH_STOP && goes_when_stopped(s, c))
      art__sup_child_remove(s, c);
    return true;
  }
  if (take_pending_exit(s, c->pid, &reason)) {
    stop_done(s, c, &reason);
    return true;
  }
  art_duration delay;
  const art_exit_reason *signal = stop_signal(c, &delay);
  stop_clock_start(s, c);
  s->op.stopping = c;
  s->op.stopping_pid = c->pid;
  s->op.timer = 0;
  if (delay >= 0 && arm_stop_timer(s, delay) != 0) {
    s->op.timer = 0;
    if (art__sup_is_custom(c)) { /* no timer to bound the stop: don't wait for it at all */
      (void)art_send_exit(s->sys, c->pid, signal);
      s->op.stopping = NULL;
      abandon(s, c);
      return true;
    }
    signal = killed_reason(); /* no timer to enforce it: don't wait for ever */
  }
  /* A child that is already gone answers with its EXIT through the link all the same, unless
   * that EXIT was lost (see lost_messages). */
  if (art_send_exit(s->sys, c->pid, signal) != 0 && s->lost_messages) {
    art__sup_timer_cancel(s, &s->op.timer);
    s->op.stopping = NULL;
    art_exit_reason noproc = art_reason(ART_EXIT_NOPROC);
    stop_done(s, c, &noproc);
    return true;
  }
  return false;
}

/* simple_one_for_one's shutdown: every instance is signalled at once, with one timer. The
 * EXITs set aside complete their instances' stops first. */
static bool stop_all_begin(sup_state *s) {
  sup_pending *prev = NULL;
  for (sup_pending *p = s->pending, *next; p; p = next) {
    next = p->next;
    sup_child *c = NULL;
    if (p->msg.type == ART_MSG_EXIT)
      c = art__sup_child_by_pid(s, ((const art_exit_msg *)p->msg.data)->from);
    if (!c) {
      prev = p;
      continue;
    }
    art__sup_pending_unlink(s, prev, p);
    stop_done(s, c, &((const art_exit_msg *)p->msg.data)->reason);
    art__sup_free(&s->alloc, p);
  }
  if (!s->first)
    return true;
  art_duration delay;
  const art_exit_reason *signal = stop_signal(s->first, &delay);
  s->op.all_at_once = true;
  s->op.timer = 0;
  if (delay >= 0 && arm_stop_timer(s, delay) != 0) {
    s->op.timer = 0;
    signal = killed_reason();
  }
  size_t waiting = 0;
  for (sup_child *c = s->first, *next; c; c = next) {
    next = c->next;
    if (c->pid == ART_PID_NONE) {
      art__sup_child_remove(s, c);
      continue;
    }
    stop_clock_start(s, c);
    if (art_send_exit(s->sys, c->pid, signal) != 0 && s->lost_messages) {
      art_exit_reason noproc = art_reason(ART_EXIT_NOPROC); /* see stop_begin */
      stop_done(s, c, &noproc);
      continue;
    }
    waiting++;
  }
  s->op.waiting = waiting;
  if (!waiting)
    art__sup_timer_cancel(s, &s->op.timer);
  return waiting == 0;
}

/* The stop timer fired: kill the child (or every instance left), or abandon custom ones. */
static void stop_timer_fired(art_ctx *ctx, sup_state *s) {
  s->op.timer = 0;
  if (s->op.all_at_once) {
    for (sup_child *c = s->first, *next; c; c = next) {
      next = c->next;
      if (c->pid == ART_PID_NONE)
        continue;
      if (art__sup_is_custom(c)) {
        abandon(s, c);
        s->op.waiting--;
      } else {
        (void)art_send_exit(s->sys, c->pid, killed_reason());
      }
    }
    if (!s->op.waiting)
      art__sup_op_run(ctx, s);
    return;
  }
  sup_child *c = s->op.stopping;
  if (!c)
    return;
  if (art__sup_is_custom(c)) {
    s->op.stopping = NULL;
    s->op.next++;
    abandon(s, c);
    art__sup_op_run(ctx, s);
  } else {
    (void)art_send_exit(s->sys, s->op.stopping_pid, killed_reason());
  }
}

/* ---- operations --------------------------------------------------------------------------- */

void art__sup_op_begin(sup_state *s, op_kind kind, sup_child **stops, size_t n) {
  op_clear(s);
  s->op.kind = kind;
  s->op.stops = stops;
  s->op.nstops = n;
}

static void op_finish(art_ctx *ctx, sup_state *s);

void art__sup_op_run(art_ctx *ctx, sup_state *s) {
  if (s->op.all_at_once) {
    if (s->op.waiting)
      return;
  } else {
    while (s->op.next < s->op.nstops) {
      if (!stop_begin(s, s->op.stops[s->op.next]))
        return;
      s->op.next++;
    }
  }
  while (s->op.cursor && !s->op.starting) {
    sup_child *c = s->op.cursor;
    s->op.cursor = s->op.single ? NULL : c->next;
    if (c->status == CHILD_RUNNING)
      continue;
    int rc = art__sup_start_child(s, c);
    if (rc == SUP_START_PENDING)
      return;
    if (!start_result(ctx, s, c, rc))
      return;
  }
  if (!s->op.starting)
    op_finish(ctx, s);
}

static void arm_backoff(art_ctx *ctx, sup_state *s, sup_child *c) {
  sup_child_ref ref = {.uid = c->uid};
  if (!art__sup_set_restarting(s, c, true) ||
      art_send_after(s->sys, s->self, c->delay, SUP_MSG_BACKOFF, &ref, sizeof ref,
                     &c->backoff_timer) != 0) {
    c->backoff_timer = 0;
    art_exit_reason r = art_reason_error(ART_ENOMEM, "supervisor: cannot schedule a restart");
    shutdown_op(ctx, s, &r, NULL, 0);
  }
}

static void op_finish(art_ctx *ctx, sup_state *s) {
  sup_op op = s->op; /* its stops are over: op_clear frees them */
  op_clear(s);
  switch (op.kind) {
  case OP_START:
    if (!s->in_pre_start)
      art__sup_start_finished(ctx, s, 0);
    return;
  case OP_RESTART:
    if (op.backoff)
      arm_backoff(ctx, s, op.failed);
    return;
  case OP_START_CHILD:
    art__sup_reply_rc(s, &op.reply_to, 0, op.failed->pid);
    return;
  case OP_START_SIMPLE:
    art__sup_reply_instances(s, &op.reply_to, 0, op.failed, NULL);
    return;
  case OP_TERMINATE:
    art__sup_reply_rc(s, &op.reply_to, 0, ART_PID_NONE);
    return;
  case OP_HEALTH_STOP: {
    art_exit_reason r = art_reason(ART_EXIT_HEALTH_CHECK_FAILED);
    art__sup_child_exited(ctx, s, op.failed, &r);
    return;
  }
  case OP_SHUTDOWN:
    if (op.has_reply)
      art__sup_reply_rc(s, &op.reply_to, 0, ART_PID_NONE);
    s->op.kind = OP_SHUTDOWN; /* exiting: set everything else aside */
    s->op.exit_reason = op.exit_reason;
    if (op.start_error || s->rollback)
      art__sup_start_finished(ctx, s, op.start_error);
    else
      art_exit(ctx, &op.exit_reason);
    return;
  case OP_NONE:
    return;
  }
}

/* The children from @p from to the end but @p skip, in reverse (reverse start order). */
static sup_child **collect_reverse(sup_state *s, sup_child *from, sup_child *skip, size_t *n) {
  size_t count = 0;
  for (sup_child *c = from; c; c = c->next)
    count++;
  sup_child **v = art__sup_alloc(&s->alloc, (count ? count : 1) * sizeof *v);
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

static void shutdown_op(art_ctx *ctx, sup_state *s, const art_exit_reason *reason,
                        const art_msg *reply_to, int start_error) {
  size_t n = 0;
  sup_child **v = NULL;
  if (!is_simple(s) && s->first && !(v = collect_reverse(s, s->first, NULL, &n))) {
    /* out of memory: kill the children through the links */
    for (sup_child *c = s->first; c; c = c->next)
      if (c->pid != ART_PID_NONE)
        (void)art_send_exit(s->sys, c->pid, killed_reason());
  }
  art__sup_op_begin(s, OP_SHUTDOWN, v, n);
  s->op.exit_reason = *reason;
  s->op.start_error = start_error;
  if (reply_to) {
    s->op.has_reply = true;
    s->op.reply_to = *reply_to;
  }
  if (is_simple(s) && !stop_all_begin(s))
    return;
  art__sup_op_run(ctx, s);
}

void art__sup_begin_shutdown(art_ctx *ctx, sup_state *s, const art_exit_reason *reason,
                             const art_msg *reply_to) {
  shutdown_op(ctx, s, reason, reply_to, 0);
}

void art__sup_abandon_start(art_ctx *ctx, sup_state *s, const art_exit_reason *reason) {
  art__sup_timer_cancel(s, &s->op.start_timer);
  sup_op op = s->op; /* its stops are over: op_clear frees them */
  op_clear(s);
  int start_error = 0;
  switch (op.kind) {
  case OP_START: /* the launcher, or the parent supervisor, learns of it as a failed start */
    start_error = ART_ESHUTDOWN;
    break;
  case OP_START_CHILD: /* as any request the supervisor's end leaves unserved */
    art__sup_reply_rc(s, &op.reply_to, ART_ESRCH, ART_PID_NONE);
    break;
  case OP_START_SIMPLE:
    art__sup_reply_instances(s, &op.reply_to, ART_ESRCH, op.failed, op.starting);
    break;
  default: /* OP_RESTART */
    break;
  }
  shutdown_op(ctx, s, reason, NULL, start_error);
}

/* Handles a message that belongs to the operation in progress. */
bool art__sup_op_message(art_ctx *ctx, sup_state *s, const art_msg *msg) {
  switch (msg->type) {
  case SUP_MSG_TIMER: {
    uint64_t token;
    if (art__sup_payload(msg, &token, sizeof token) && s->op.timer && token == s->op.token)
      stop_timer_fired(ctx, s);
    return true; /* a stale one is dropped */
  }
  case SUP_MSG_START_TIMEOUT: {
    uint64_t token;
    if (art__sup_payload(msg, &token, sizeof token) && s->op.starting && s->op.start_timer &&
        token == s->op.start_token) {
      s->op.start_timer = 0;
      /* Its start goes on on the host's thread; the kill takes effect when it returns, and
       * the host then stops and destroys the object if the start succeeded. */
      (void)art_send_exit(s->sys, s->op.starting->pid, killed_reason());
      start_over(ctx, s, ART_ETIMEDOUT);
    }
    return true;
  }
  case SUP_MSG_CHILD_STARTED:
  case SUP_MSG_CHILD_FAILED:
    if (s->op.starting && msg->sender == s->op.starting->pid) {
      int32_t rc = ART_ECANCELED;
      if (msg->type == SUP_MSG_CHILD_FAILED && msg->size == sizeof rc)
        memcpy(&rc, msg->data, sizeof rc);
      start_over(ctx, s, msg->type == SUP_MSG_CHILD_STARTED ? 0 : (rc < 0 ? rc : ART_ECANCELED));
    }
    return true; /* a late one is dropped */
  case ART_MSG_EXIT: {
    const art_exit_msg *x = msg->data;
    if (s->op.starting && x->from == s->op.starting->pid) {
      start_over(ctx, s,
                 x->reason.kind == ART_EXIT_ERROR && x->reason.code < 0 ? x->reason.code
                                                                        : ART_ECANCELED);
      return true;
    }
    if (s->op.stopping && x->from == s->op.stopping_pid) {
      art__sup_timer_cancel(s, &s->op.timer);
      sup_child *c = s->op.stopping;
      s->op.stopping = NULL;
      s->op.next++;
      stop_done(s, c, &x->reason);
      art__sup_op_run(ctx, s);
      return true;
    }
    sup_child *c;
    if (s->op.all_at_once && s->op.waiting && (c = art__sup_child_by_pid(s, x->from))) {
      stop_done(s, c, &x->reason);
      if (--s->op.waiting == 0) {
        art__sup_timer_cancel(s, &s->op.timer);
        art__sup_op_run(ctx, s);
      }
      return true;
    }
    return false;
  }
  default:
    return false;
  }
}

/* ---- restarts ----------------------------------------------------------------------------- */

static void give_up(art_ctx *ctx, sup_state *s, sup_child *c, uint32_t count) {
  art__sup_emit(s, ART_EVENT_SUPERVISION_RESTART_LIMIT_EXCEEDED, c, ART_PID_NONE, NULL, 0, count);
  art__sup_set_restarting(s, c, false);
  art_exit_reason r = art_reason_shutdown("reached_max_restart_intensity");
  shutdown_op(ctx, s, &r, NULL, 0);
}

void art__sup_restart(art_ctx *ctx, sup_state *s, sup_child *c) {
  int64_t now = art_system_now(s->sys);
  bool over = false, child_over = false;
  int rc = art__sup_window_add(&s->alloc, &s->window, now, &over);
  if (rc == 0 && c->window.limit)
    rc = art__sup_window_add(&s->alloc, &c->window, now, &child_over);
  if (rc != 0) {
    art_exit_reason r = art_reason_error(rc, "supervisor: out of memory");
    shutdown_op(ctx, s, &r, NULL, 0);
    return;
  }
  if (over || child_over) {
    give_up(ctx, s, c, over ? s->window.count : c->window.count);
    return;
  }
  c->delay = art__sup_backoff_next(s, c, now);
  size_t n = 0;
  sup_child **v = NULL;
  sup_child *from = s->strategy == ART_SUP_ONE_FOR_ALL ? s->first : c;
  if (s->strategy == ART_SUP_ONE_FOR_ALL || s->strategy == ART_SUP_REST_FOR_ONE) {
    if (!(v = collect_reverse(s, from, c, &n))) {
      art_exit_reason r = art_reason_error(ART_ENOMEM, "supervisor: out of memory");
      shutdown_op(ctx, s, &r, NULL, 0);
      return;
    }
  }
  art__sup_emit(s, ART_EVENT_SUPERVISION_STRATEGY_APPLIED, c, c->pid, NULL, 0, n + 1);
  art__sup_op_begin(s, OP_RESTART, v, n);
  s->op.failed = c;
  if (c->delay > 0) {
    s->op.backoff = true; /* stop now, start when the delay is over */
  } else {
    s->op.cursor = from;
    s->op.single = s->strategy == ART_SUP_ONE_FOR_ONE || is_simple(s);
  }
  art__sup_op_run(ctx, s);
}

void art__sup_backoff_over(art_ctx *ctx, sup_state *s, sup_child *c) {
  c->backoff_timer = 0; /* it fired */
  art__sup_set_restarting(s, c, false);
  art__sup_op_begin(s, OP_RESTART, NULL, 0);
  s->op.failed = c;
  s->op.cursor = s->strategy == ART_SUP_ONE_FOR_ALL ? s->first : c;
  s->op.single = s->strategy == ART_SUP_ONE_FOR_ONE || is_simple(s);
  art__sup_op_run(ctx, s);
}

/* OTP's do_auto_shutdown, after a significant child ended and was not restarted. */
static bool auto_shutdown_due(sup_state *s) {
  if (s->auto_shutdown == ART_AUTO_SHUTDOWN_ANY_SIGNIFICANT)
    return true;
  if (is_simple(s)) /* the instances share the template's significance */
    return s->nchildren == 0;
  for (sup_child *c = s->first; c; c = c->next)
    if (c->spec->significant && c->status != CHILD_DOWN)
      return false;
  return true;
}

void art__sup_child_exited(art_ctx *ctx, sup_state *s, sup_child *c, const art_exit_reason *r) {
  bool failed = !is_normal_or_shutdown(r);
  art_pid pid = c->pid;
  art__sup_child_down(s, c);
  art__sup_clear_pid(s, c);
  art__sup_emit(s,
                failed ? ART_EVENT_SUPERVISION_CHILD_FAILED : ART_EVENT_SUPERVISION_CHILD_STOPPED,
                c, pid, r, 0, 0);
  if (r->flags & ART_REASON_ESCALATE) { /* on_error's Escalate: the supervisor fails at once */
    art_exit_reason reason = *r;
    reason.flags &= ~ART_REASON_ESCALATE; /* its parent applies its own policy to it */
    shutdown_op(ctx, s, &reason, NULL, 0);
    return;
  }
  art_restart policy = c->spec->restart;
  if (policy == ART_RESTART_PERMANENT || (policy == ART_RESTART_TRANSIENT && failed)) {
    art__sup_restart(ctx, s, c);
    return;
  }
  bool significant = c->spec->significant;
  if (goes_when_stopped(s, c))
    art__sup_child_remove(s, c);
  if (significant && s->auto_shutdown != ART_AUTO_SHUTDOWN_NEVER && auto_shutdown_due(s)) {
    art_exit_reason reason = art_reason_shutdown("auto_shutdown");
    shutdown_op(ctx, s, &reason, NULL, 0);
  }
}
