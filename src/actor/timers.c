/* Timers and deterministic mode: the system's side of core/timer.h (see art/timer.h). */
#include "actor/actor.h"
#include "art/timer.h"

int art__timer_fire(void *arg, art__timer *t) {
  art_system *sys = arg;
  art_send_args args = {.data = t->size ? t->payload : NULL, .size = t->size, .correlation = t->id};
  int rc = art__send(sys, t->target, ART_PID_NONE, ART__MSG_TIMER, &args);
  if (rc == ART_ESRCH && t->kind == ART__TIMER_USER)
    art__dead_letter(sys, ART_PID_NONE, t->target, t->type);
  return rc;
}

static int add_timer(art_system *sys, art_pid to, art_duration delay, art_duration interval,
                     uint32_t type, const void *data, size_t size, art_timer *timer) {
  if (!sys || delay < 0 || interval < 0 || type >= ART_MSG_RESERVED || size > UINT32_MAX ||
      (!data && size))
    return ART_EINVAL;
  if (atomic_load(&sys->state) == ART__SYS_STOPPED)
    return ART_ESHUTDOWN;
  uint64_t id;
  int rc = art__timers_add(&sys->timers, delay, interval, to, type, ART__TIMER_USER, 0, data,
                           (uint32_t)size, &id);
  if (rc == 0 && timer)
    *timer = id;
  return rc;
}

int art_send_after(art_system *sys, art_pid to, art_duration delay, uint32_t type, const void *data,
                   size_t size, art_timer *timer) {
  return add_timer(sys, to, delay, 0, type, data, size, timer);
}

int art_send_interval(art_system *sys, art_pid to, art_duration delay, art_duration interval,
                      uint32_t type, const void *data, size_t size, art_timer *timer) {
  if (interval <= 0)
    return ART_EINVAL;
  return add_timer(sys, to, delay, interval, type, data, size, timer);
}

int art_timer_cancel(art_system *sys, art_timer timer) {
  if (!sys)
    return ART_EINVAL;
  return art__timers_cancel(&sys->timers, timer, ART__TIMER_USER, NULL);
}

int64_t art_system_now(art_system *sys) {
  return sys ? art__timers_now(&sys->timers) : art__clock_mono();
}

static int check_driver(art_system *sys) {
  if (!sys || !sys->cfg.deterministic)
    return ART_EINVAL;
  if (art__actor_current() || art__sched_current(&sys->sched))
    return ART_EDEADLK;
  return 0;
}

int64_t art_system_run(art_system *sys) {
  int rc = check_driver(sys);
  return rc ? rc : art__system_drive(sys);
}

int art_clock_advance(art_system *sys, art_duration delta) {
  int rc = check_driver(sys);
  if (rc)
    return rc;
  if (delta < 0)
    return ART_EINVAL;
  /* Step from deadline to deadline so that what a firing causes (new timers, replies) happens
   * at the right time before later timers fire. */
  art__system_drive(sys);
  int fired = 0;
  int64_t end = art__timers_now(&sys->timers) + delta;
  for (;;) {
    int64_t now = art__timers_now(&sys->timers);
    int64_t next = art__timers_next_deadline(&sys->timers);
    int64_t step = next >= 0 && next <= end ? next - now : end - now;
    if (step < 0)
      step = 0;
    int n = art__timers_advance(&sys->timers, step);
    if (n > 0)
      fired += n;
    art__system_drive(sys);
    if (now + step >= end && n <= 0)
      break;
  }
  return fired;
}
