/*
 * Health checks. Each running child with an interval has one timer at a time: the tick that
 * sends its next check, or the timeout of the check in flight. A check is a runtime message
 * (actor/supervision.h) whose correlation maps back to the child in `by_ref`; the answer comes
 * back as a message, so the supervisor never waits for a child. Answers that come too late
 * find no correlation and are dropped.
 */
#include <string.h>

#include "actor/supervision.h"
#include "art/request.h"
#include "sup.h"

_Static_assert(ART__MSG_HEALTH_CHECK == ART_MSG_HEALTH_CHECK, "one health-check type");

static art_duration check_timeout(const sup_child *c) {
  return c->spec->health.timeout ? c->spec->health.timeout : ART_SEC(1);
}

static uint32_t threshold(const sup_child *c) {
  return c->spec->health.threshold ? c->spec->health.threshold : 3;
}

/* Schedules the next check. Without a timer (no memory) the child goes unchecked until its
 * next start. */
void art__sup_health_arm(sup_state *s, sup_child *c) {
  if (c->spec->health.interval <= 0 || c->status != CHILD_RUNNING)
    return;
  sup_child_ref ref = {.uid = c->uid, .pid = c->pid};
  if (art_send_after(s->sys, s->self, c->spec->health.interval, SUP_MSG_HEALTH_TICK, &ref,
                     sizeof ref, &c->health_timer) != 0)
    c->health_timer = 0;
}

void art__sup_health_disarm(sup_state *s, sup_child *c) {
  art__sup_timer_cancel(s, &c->health_timer);
  if (c->health_correlation)
    art__sup_map_take(&s->by_ref, c->health_correlation);
  c->health_correlation = 0;
}

void art__sup_health_tick(art_ctx *ctx, sup_state *s, const sup_child_ref *ref) {
  (void)ctx;
  sup_child *c = art__sup_child_by_pid(s, ref->pid);
  if (!c || c->uid != ref->uid || c->status != CHILD_RUNNING || c->health_correlation)
    return; /* stale: that run of the child is over */
  c->health_timer = 0;
  /* Bit 63 keeps correlations apart from the uids that share `by_ref`. */
  uint64_t correlation = ART_CORRELATION_REQUEST | ++s->next_token;
  if (art__sup_map_reserve(&s->alloc, &s->by_ref, s->by_ref.count + 1) != 0 ||
      art_send_after(s->sys, s->self, check_timeout(c), SUP_MSG_HEALTH_TIMEOUT, &correlation,
                     sizeof correlation, &c->health_timer) != 0) {
    c->health_timer = 0;
    art__sup_health_arm(s, c); /* try again at the next interval */
    return;
  }
  art__sup_map_put(&s->by_ref, correlation, c);
  c->health_correlation = correlation;
  c->health_sent = art_system_now(s->sys);
  /* If the child is gone, its EXIT is on its way; the timeout covers everything else. */
  (void)art__health_ask(s->sys, s->self, c->pid, correlation);
}

static void record(sup_state *s, const sup_child *c, art_event_kind kind, const char *detail,
                   art_duration took) {
  ART_MONITOR_EVENT(art_system_monitor(s->sys), kind, art_event_kind_severity(kind), ev, {
    ev.pid = c->pid;
    ev.other = s->self;
    art_event_copy_text(ev.child_id, sizeof ev.child_id, art__sup_child_id(c));
    ev.restart_count = c->restarts;
    ev.count = c->health_failures;
    ev.duration_ns = took;
    art_event_copy_text(ev.text, sizeof ev.text, detail);
  });
}

/* Stops @p c with its shutdown policy; the end of the operation handles it as an exit with
 * reason health_check_failed. */
static void fail_child(art_ctx *ctx, sup_state *s, sup_child *c) {
  sup_child **v = art__sup_alloc(&s->alloc, sizeof *v);
  if (!v) { /* no memory for the operation: kill it, its EXIT does the rest */
    art_exit_reason killed = art_reason(ART_EXIT_KILLED);
    (void)art_send_exit(s->sys, c->pid, &killed);
    return;
  }
  v[0] = c;
  art__sup_op_begin(s, OP_HEALTH_STOP, v, 1);
  s->op.failed = c;
  art__sup_op_run(ctx, s);
}

static void result(art_ctx *ctx, sup_state *s, sup_child *c, art_health_status status,
                   const char *detail) {
  art_duration took = art_system_now(s->sys) - c->health_sent;
  c->health = (uint8_t)status;
  switch (status) {
  case ART_HEALTH_HEALTHY:
    c->health_failures = 0;
    break;
  case ART_HEALTH_DEGRADED:
    record(s, c, ART_EVENT_SUPERVISION_CHILD_DEGRADED, detail, took);
    break;
  default:
    c->health_failures++;
    record(s, c, ART_EVENT_SUPERVISION_HEALTH_CHECK_FAILED, detail, took);
    if (c->health_failures >= threshold(c)) {
      fail_child(ctx, s, c);
      return;
    }
  }
  art__sup_health_arm(s, c);
}

void art__sup_health_answer(art_ctx *ctx, sup_state *s, const art_msg *msg) {
  sup_child *c = art__sup_map_take(&s->by_ref, msg->correlation);
  if (!c || !(msg->correlation & ART_CORRELATION_REQUEST))
    return; /* late: its timeout came first */
  c->health_correlation = 0;
  art__sup_timer_cancel(s, &c->health_timer);
  art__health_answer answer = {.status = ART_HEALTH_FAILED};
  if (msg->size == sizeof answer)
    memcpy(&answer, msg->data, sizeof answer);
  answer.detail[sizeof answer.detail - 1] = 0;
  art_health_status status = (unsigned)answer.status > ART_HEALTH_FAILED
                                 ? ART_HEALTH_FAILED
                                 : (art_health_status)answer.status;
  result(ctx, s, c, status, answer.detail);
}

void art__sup_health_timeout(art_ctx *ctx, sup_state *s, uint64_t correlation) {
  if (!(correlation & ART_CORRELATION_REQUEST))
    return;
  sup_child *c = art__sup_map_take(&s->by_ref, correlation);
  if (!c)
    return;
  c->health_correlation = 0;
  c->health_timer = 0; /* it fired */
  result(ctx, s, c, ART_HEALTH_FAILED, "no answer in time");
}
