/*
 * Timers: a heartbeat with a deadline, first on the real clock, then on a manual one.
 *
 * A heartbeat actor sets three timers when it starts: a tick every 50 ms (art_send_interval),
 * a one-shot deadline at 300 ms (art_send_after), and an alarm at 100 ms that it cancels at
 * once (art_timer_cancel), so the alarm never fires. At the deadline the actor cancels its
 * heartbeat and stops.
 *
 * The second run is the same actor in a deterministic system (config.deterministic = true):
 * no worker threads, and a clock that starts at 0 and moves only in art_clock_advance(),
 * which fires what comes due and runs the actors until they are idle. Every tick lands on an
 * exact multiple of 50 ms and the run takes no real time, which is how time-based behaviour
 * is tested without sleeping.
 *
 * Run: build/release/examples/timers
 */
#include <art.h>

#include <stdio.h>

enum { MSG_TICK = 1, MSG_DEADLINE, MSG_ALARM };

#define TICK_MS 50
#define DEADLINE_MS 300
#define ALARM_MS 100

/* The heartbeat's state; main reads it after the actor has exited. */
typedef struct heartbeat {
  const char *label; /* "real:" or "manual:", for the output */
  int64_t start_ns;  /* art_system_now() when the timers were set */
  art_timer ticker, deadline;
  int alarm_cancel_rc;    /* art_timer_cancel of the alarm, before it could fire */
  int ticker_cancel_rc;   /* art_timer_cancel of the periodic ticker, at the deadline */
  int deadline_cancel_rc; /* art_timer_cancel of the deadline after it was delivered */
  int ticks, alarms, deadlines;
  int64_t tick_at_ns[16]; /* since start_ns */
  int64_t deadline_at_ns;
  art_exit_reason exit_reason;
} heartbeat;

static double ms(int64_t ns) {
  return (double)ns / 1e6;
}

static int heartbeat_start(art_ctx *ctx, void *state, void *args) {
  (void)args;
  heartbeat *hb = state;
  art_system *sys = art_ctx_system(ctx);
  art_pid self = art_self(ctx);
  hb->start_ns = art_system_now(sys);
  int rc = art_send_interval(sys, self, ART_MSEC(TICK_MS), ART_MSEC(TICK_MS), MSG_TICK, NULL, 0,
                             &hb->ticker);
  if (rc == 0)
    rc = art_send_after(sys, self, ART_MSEC(DEADLINE_MS), MSG_DEADLINE, NULL, 0, &hb->deadline);
  art_timer alarm;
  if (rc == 0)
    rc = art_send_after(sys, self, ART_MSEC(ALARM_MS), MSG_ALARM, NULL, 0, &alarm);
  if (rc)
    return rc; /* a timer set already fires into a dead pid: a dead letter, nothing worse */
  /* After a cancel returns 0 the message is never delivered, even if it was already sent. */
  hb->alarm_cancel_rc = art_timer_cancel(sys, alarm);
  printf("%-9s tick every %d ms, deadline at %d ms, alarm at %d ms cancelled (%d)\n", hb->label,
         TICK_MS, DEADLINE_MS, ALARM_MS, hb->alarm_cancel_rc);
  return 0;
}

static int heartbeat_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  heartbeat *hb = state;
  art_system *sys = art_ctx_system(ctx);
  int64_t at = art_system_now(sys) - hb->start_ns;
  switch (msg->type) {
  case MSG_TICK:
    if (hb->ticks < (int)(sizeof hb->tick_at_ns / sizeof hb->tick_at_ns[0]))
      hb->tick_at_ns[hb->ticks] = at;
    hb->ticks++;
    printf("%-9s tick %d at %7.3f ms\n", hb->label, hb->ticks, ms(at));
    return 0;
  case MSG_ALARM:
    hb->alarms++;
    printf("%-9s alarm at %7.3f ms (it was cancelled!)\n", hb->label, ms(at));
    return 0;
  case MSG_DEADLINE:
    hb->deadlines++;
    hb->deadline_at_ns = at;
    hb->ticker_cancel_rc = art_timer_cancel(sys, hb->ticker);
    /* A one-shot timer whose message was delivered is gone: cancelling it says ART_ENOENT. */
    hb->deadline_cancel_rc = art_timer_cancel(sys, hb->deadline);
    printf("%-9s deadline at %7.3f ms after %d ticks: heartbeat cancelled (%d), stopping\n",
           hb->label, ms(at), hb->ticks, hb->ticker_cancel_rc);
    return ART_STOP;
  default:
    return art_fail(ctx, ART_EINVAL, "unexpected message %u", msg->type);
  }
}

static void heartbeat_stop(art_ctx *ctx, void *state, const art_exit_reason *reason) {
  (void)ctx;
  heartbeat *hb = state;
  hb->exit_reason = *reason;
}

static const art_actor_ops heartbeat_ops = {
    .pre_start = heartbeat_start, .handle = heartbeat_handle, .post_stop = heartbeat_stop};

/* ---- main ---------------------------------------------------------------------------------- */

static int failures;

static void check(bool ok, const char *what) {
  if (!ok) {
    fprintf(stderr, "timers: FAILED: %s\n", what);
    failures++;
  }
}

/* What both runs must show. */
static void check_common(const heartbeat *hb) {
  char reason[192];
  art_reason_format(&hb->exit_reason, reason, sizeof reason);
  if (hb->exit_reason.kind != ART_EXIT_NORMAL)
    fprintf(stderr, "timers: the heartbeat exited with %s\n", reason);
  check(hb->exit_reason.kind == ART_EXIT_NORMAL, "the heartbeat stops normally");
  check(hb->alarm_cancel_rc == 0 && hb->alarms == 0, "the cancelled alarm never fires");
  check(hb->deadlines == 1, "the deadline fires once");
  check(hb->ticker_cancel_rc == 0, "cancelling the periodic timer returns 0");
  check(hb->deadline_cancel_rc == ART_ENOENT, "cancelling a delivered one-shot: ART_ENOENT");
}

/* On the real clock: the timer service's thread fires the timers. */
static void run_real(void) {
  art_system *sys;
  int rc = art_system_create(&sys, NULL);
  if (rc) {
    check(false, "art_system_create");
    return;
  }
  heartbeat hb = {.label = "real:"};
  int64_t t0 = art_now_monotonic();
  check(art_spawn(sys, &(art_spawn_opts){.ops = &heartbeat_ops, .state = &hb}, NULL) == 0,
        "spawn the heartbeat");
  check(art_system_wait(sys, ART_SEC(3)) == 0, "the heartbeat stops within 3 s");
  int64_t elapsed = art_now_monotonic() - t0;
  art_system_destroy(sys);
  printf("real:     finished after %.1f ms of real time\n", ms(elapsed));

  check_common(&hb);
  /* On a real clock a loaded machine may delay ticks (a periodic timer that fell behind does
   * not fire a burst), so only the bounds are certain; the deterministic run below checks the
   * exact count. */
  check(hb.ticks >= 1 && hb.ticks <= 6, "between 1 and 6 ticks before the deadline");
  check(hb.deadline_at_ns >= ART_MSEC(DEADLINE_MS), "the deadline is not early");
}

/* On a manual clock: nothing happens until main moves the clock. */
static void run_manual(void) {
  art_system_config cfg;
  art_system_config_init(&cfg);
  cfg.deterministic = true;
  art_system *sys;
  int rc = art_system_create(&sys, &cfg);
  if (rc) {
    check(false, "art_system_create (deterministic)");
    return;
  }
  heartbeat hb = {.label = "manual:"};
  int64_t t0 = art_now_monotonic();
  check(art_spawn(sys, &(art_spawn_opts){.ops = &heartbeat_ops, .state = &hb}, NULL) == 0,
        "spawn the heartbeat");
  /* Four steps of 100 ms: ticks at 50 and 100, at 150 and 200, at 250 and 300 plus the
   * deadline (the tick was set first, so it fires first), then nothing. */
  static const int expected_fired[] = {2, 2, 3, 0};
  for (int step = 0; step < 4; step++) {
    int fired = art_clock_advance(sys, ART_MSEC(100));
    printf("manual:   art_clock_advance(100 ms) -> clock at %3.0f ms, %d timers fired\n",
           ms(art_system_now(sys)), fired);
    check(fired == expected_fired[step], "the expected number of firings per step");
  }
  check(art_system_wait(sys, 0) == 0, "the heartbeat has stopped");
  int64_t elapsed = art_now_monotonic() - t0, manual = art_system_now(sys);
  art_system_destroy(sys);
  printf("manual:   %.0f ms of manual time took %.3f ms of real time\n", ms(manual), ms(elapsed));

  check_common(&hb);
  check(hb.ticks == 6, "exactly 6 ticks");
  for (int i = 0; i < hb.ticks && i < 6; i++)
    check(hb.tick_at_ns[i] == ART_MSEC(TICK_MS) * (i + 1), "tick k at exactly k * 50 ms");
  check(hb.deadline_at_ns == ART_MSEC(DEADLINE_MS), "the deadline at exactly 300 ms");
}

int main(void) {
  run_real();
  run_manual();
  if (failures)
    return 1;
  printf("timers: OK: ticks until the deadline, cancelled timers silent, exact on a manual "
         "clock\n");
  return 0;
}
