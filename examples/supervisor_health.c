/*
 * Health checks (the seed's pattern 5): a supervisor restarts a child that still runs but no
 * longer works.
 *
 * "ingest" is an actor that processes jobs. A job it cannot process is an error its on_error
 * resumes from (the message is dropped, the actor lives on), so errors do not crash it; they
 * only pile up. Its art_actor_ops.health callback says what that means: 2 errors or more is
 * degraded, 4 or more is failed. The supervisor checks its health every second (art_health_spec:
 * interval 1 s, answer within 500 ms, fail at 3 failed checks in a row):
 *
 *   - degraded is recorded (a child_degraded event, which_children's health) and nothing more;
 *   - each failed check is counted (health_check_failed, with the count in a row);
 *   - at the third, the supervisor stops the child and handles it as an exit with reason
 *     health_check_failed: the child is permanent, so it is restarted, with a fresh state.
 *
 * The system runs in deterministic mode: art_clock_advance() moves the clock by a second,
 * which fires the check, and runs the actors until they are idle, so each step below is one
 * health check, with no sleeping. After each step the program prints the supervision events it
 * caused, from the system's monitor.
 *
 * Run: build/release/examples/supervisor_health
 */
#include <art.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int failures;

#define CHECK(cond)                                                                                \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      fprintf(stderr, "check failed at line %d: %s\n", __LINE__, #cond);                           \
      failures++;                                                                                  \
    }                                                                                              \
  } while (0)

enum { MSG_JOB = 1 };

#define DEGRADED_AT 2 /* errors */
#define FAILED_AT 4

/* ---- the health-aware actor ------------------------------------------------------------------ */

typedef struct ingest {
  int processed, errors;
} ingest;

/* A job is a byte: 0 is one it cannot process. */
static int ingest_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  ingest *in = state;
  if (msg->type != MSG_JOB || msg->size != 1)
    return 0;
  if (*(const char *)msg->data == 0)
    return art_fail(ctx, ART_EINVAL, "unreadable job");
  in->processed++;
  return 0;
}

/* A job that fails is dropped and counted; the actor carries on. */
static art_error_action ingest_error(art_ctx *ctx, void *state, int err, const art_msg *msg) {
  (void)ctx;
  (void)err;
  (void)msg;
  ((ingest *)state)->errors++;
  return ART_ACTION_RESUME;
}

/* Runs in the actor's own context, between messages, for each of the supervisor's checks. */
static art_health_status ingest_health(art_ctx *ctx, void *state, char *reason, size_t len) {
  (void)ctx;
  const ingest *in = state;
  art_health_status status = ART_HEALTH_HEALTHY;
  if (in->errors >= FAILED_AT) {
    snprintf(reason, len, "error threshold exceeded: %d errors", in->errors);
    status = ART_HEALTH_FAILED;
  } else if (in->errors >= DEGRADED_AT) {
    snprintf(reason, len, "elevated error rate: %d errors", in->errors);
    status = ART_HEALTH_DEGRADED;
  }
  return status;
}

static const art_actor_ops ingest_ops = {
    .handle = ingest_handle, .on_error = ingest_error, .health = ingest_health};

/* ---- the main thread ---------------------------------------------------------------------- */

static const char *health_name(art_health_status h) {
  return h == ART_HEALTH_HEALTHY ? "healthy" : h == ART_HEALTH_DEGRADED ? "degraded" : "failed";
}

static art_sup_child_info ingest_info(art_system *sys, art_pid sup) {
  art_sup_child_info info = {.pid = ART_PID_NONE};
  size_t n = 0;
  CHECK(art_sup_which_children(sys, sup, &info, 1, &n) == 0 && n == 1);
  return info;
}

static void send_jobs(art_system *sys, art_pid sup, int good, int bad) {
  art_pid pid = ingest_info(sys, sup).pid;
  for (int i = 0; i < good + bad; i++) {
    char job = i < good ? 'j' : 0;
    CHECK(art_send(sys, pid, MSG_JOB, &job, 1) == 0);
  }
  art_system_run(sys);
  printf("      sent %d good and %d unreadable jobs\n", good, bad);
}

/* Counts of the events printed so far, by kind. */
static uint64_t seen[ART_EVENT_KIND_COUNT];
static uint64_t next_seq;

/* Prints the supervision events recorded since the last call. */
static void print_new_events(art_system *sys) {
  art_event_snapshot snap;
  CHECK(art_monitor_snapshot_alloc(art_system_monitor(sys), &snap) == 0);
  for (size_t i = 0; i < snap.count; i++) {
    const art_event *ev = &snap.events[i];
    if (ev->seq < next_seq || ev->family != ART_EVENT_FAMILY_SUPERVISION)
      continue;
    printf("      event %-20s", art_event_kind_name((art_event_kind)ev->kind));
    switch (ev->kind) {
    case ART_EVENT_SUPERVISION_HEALTH_CHECK_FAILED:
      printf(" failures in a row %" PRIu64 ": %s", ev->count, ev->text);
      break;
    case ART_EVENT_SUPERVISION_CHILD_DEGRADED:
      printf(" %s", ev->text);
      break;
    case ART_EVENT_SUPERVISION_CHILD_FAILED:
    case ART_EVENT_SUPERVISION_CHILD_STOPPED:
      printf(" reason %s", art_exit_kind_name((art_exit_kind)ev->reason));
      break;
    case ART_EVENT_SUPERVISION_CHILD_RESTARTED:
      printf(" restart %" PRIu32, ev->restart_count);
      break;
    case ART_EVENT_SUPERVISION_CHILD_STARTED:
      printf(" pid %#" PRIx64, ev->pid);
      break;
    case ART_EVENT_SUPERVISION_STRATEGY_APPLIED:
      printf(" %s", ev->strategy);
      break;
    default:
      break;
    }
    printf("\n");
    seen[art_event_kind_index((art_event_kind)ev->kind)]++;
  }
  if (snap.count)
    next_seq = snap.events[snap.count - 1].seq + 1;
  art_event_snapshot_free(&snap);
}

static uint64_t seen_of(art_event_kind kind) {
  return seen[art_event_kind_index(kind)];
}

/* One second passes: the supervisor's next health check runs and is answered. */
static art_sup_child_info tick(art_system *sys, art_pid sup, int second) {
  printf("t=%ds  the supervisor checks ingest's health\n", second);
  CHECK(art_clock_advance(sys, ART_SEC(1)) >= 1); /* at least the check's timer fired */
  print_new_events(sys);
  art_sup_child_info info = ingest_info(sys, sup);
  printf("      which_children: pid %#" PRIx64 ", restarts %" PRIu32 ", health %s\n", info.pid,
         info.restarts, health_name(info.health));
  return info;
}

int main(void) {
  art_system_config cfg;
  art_system_config_init(&cfg);
  cfg.deterministic = true;
  art_system *sys;
  int rc = art_system_create(&sys, &cfg);
  if (rc) {
    fprintf(stderr, "art_system_create: %s\n", art_strerror(rc));
    return 1;
  }

  art_child_spec child = {.id = "ingest", .restart = ART_RESTART_PERMANENT};
  child.actor.ops = &ingest_ops;
  child.actor.state_size = sizeof(ingest);
  child.health =
      (art_health_spec){.interval = ART_SEC(1), .timeout = ART_MSEC(500), .threshold = 3};
  art_sup_spec spec;
  art_sup_spec_init(&spec);
  spec.children = &child;
  spec.child_count = 1;
  art_pid sup;
  rc = art_sup_start(sys, &spec, &sup);
  CHECK(rc == 0);
  if (rc) {
    fprintf(stderr, "art_sup_start: %s\n", art_strerror(rc));
    art_system_destroy(sys);
    return 1;
  }
  art_pid first = ingest_info(sys, sup).pid;
  printf("t=0s  ingest started; health checks every 1 s, failed at 3 in a row\n");
  print_new_events(sys);

  send_jobs(sys, sup, 5, 0);
  art_sup_child_info info = tick(sys, sup, 1);
  CHECK(info.health == ART_HEALTH_HEALTHY);

  send_jobs(sys, sup, 3, DEGRADED_AT);
  info = tick(sys, sup, 2);
  CHECK(info.health == ART_HEALTH_DEGRADED && info.pid == first);
  CHECK(seen_of(ART_EVENT_SUPERVISION_CHILD_DEGRADED) == 1);

  send_jobs(sys, sup, 1, FAILED_AT - DEGRADED_AT);
  for (int second = 3; second <= 4; second++) { /* failed, but below the threshold: it runs on */
    info = tick(sys, sup, second);
    CHECK(info.health == ART_HEALTH_FAILED && info.pid == first && info.restarts == 0);
  }
  CHECK(seen_of(ART_EVENT_SUPERVISION_HEALTH_CHECK_FAILED) == 2);

  info = tick(sys, sup, 5); /* the third failed check in a row: stopped and restarted */
  CHECK(seen_of(ART_EVENT_SUPERVISION_HEALTH_CHECK_FAILED) == 3);
  CHECK(seen_of(ART_EVENT_SUPERVISION_CHILD_RESTARTED) == 1);
  CHECK(info.pid != first && info.pid != ART_PID_NONE && info.restarts == 1);
  CHECK(!art_is_alive(sys, first));

  info = tick(sys, sup, 6); /* the new ingest has a fresh state: no errors */
  CHECK(info.health == ART_HEALTH_HEALTHY && info.restarts == 1);

  /* The reason the supervisor gave the exit it caused. */
  art_event_snapshot snap;
  uint64_t health_exits = 0;
  CHECK(art_monitor_snapshot_alloc(art_system_monitor(sys), &snap) == 0);
  for (size_t i = 0; i < snap.count; i++)
    if (snap.events[i].family == ART_EVENT_FAMILY_SUPERVISION &&
        (snap.events[i].kind == ART_EVENT_SUPERVISION_CHILD_FAILED ||
         snap.events[i].kind == ART_EVENT_SUPERVISION_CHILD_STOPPED) &&
        snap.events[i].reason == ART_EXIT_HEALTH_CHECK_FAILED)
      health_exits++;
  art_event_snapshot_free(&snap);
  CHECK(health_exits == 1);

  CHECK(art_sup_stop(sys, sup, ART_SEC(5)) == 0);
  art_system_destroy(sys);
  if (failures) {
    fprintf(stderr, "supervisor_health: %d check(s) failed\n", failures);
    return 1;
  }
  printf("supervisor_health: all checks passed\n");
  return 0;
}
