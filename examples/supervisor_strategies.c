/*
 * Supervisor strategies side by side: one_for_one, one_for_all and rest_for_one, each over the
 * same three permanent children A, B and C (started in that order). B fails under each, and
 * the supervision events of the system's monitor show what the supervisor did about it:
 *
 *   one_for_one    restart B alone
 *   one_for_all    stop the others in reverse start order (C, then A), start all in order
 *   rest_for_one   stop those started after B (C), then start B and C in order
 *
 * which is OTP's supervisor exactly. The children count their own starts, and both views are
 * checked against the expected outcome.
 *
 * The system runs in deterministic mode (config.deterministic): the actors run on this thread
 * in art_system_run(), so each failure is handled completely before the program reads the
 * events, and the run replays identically.
 *
 * Run: build/release/examples/supervisor_strategies
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

enum { MSG_FAIL = 1 };

/* ---- the children: A, B, C count their starts ---------------------------------------------- */

typedef struct child_record {
  const char *id;
  int starts;
} child_record;

static int child_start(art_ctx *ctx, void *state, void *args) {
  (void)ctx;
  child_record *rec = args;
  rec->starts++; /* deterministic mode: one thread, no lock needed */
  *(child_record **)state = rec;
  return 0;
}

static int child_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  (void)state;
  if (msg->type == MSG_FAIL)
    return art_fail(ctx, ART_EINVAL, "told to fail");
  return 0;
}

static const art_actor_ops child_ops = {.pre_start = child_start, .handle = child_handle};

/* ---- one strategy -----------------------------------------------------------------------------
 */

typedef struct scenario {
  art_sup_strategy strategy;
  const char *stopped;   /* OTP: the siblings the supervisor stops, in order */
  const char *restarted; /* OTP: the children started again, in order */
  child_record children[3];
  art_pid sup;
} scenario;

static void append(char *buf, size_t size, const char *id) {
  size_t n = strlen(buf);
  snprintf(buf + n, size - n, "%s%s", n ? " " : "", id);
}

static art_pid child_pid(art_system *sys, art_pid sup, const char *id) {
  art_sup_child_info info[3];
  size_t n = 0;
  CHECK(art_sup_which_children(sys, sup, info, 3, &n) == 0);
  for (size_t i = 0; i < n && i < 3; i++)
    if (strcmp(info[i].id, id) == 0)
      return info[i].pid;
  return ART_PID_NONE;
}

/* Prints the supervision events of @p sc's supervisor, oldest first, and collects who it
 * stopped (child_stopped with reason shutdown) and who it restarted (child_restarted). */
static void read_events(art_system *sys, const scenario *sc, char *stopped, char *restarted,
                        size_t size) {
  art_event_snapshot snap;
  stopped[0] = restarted[0] = '\0';
  CHECK(art_monitor_snapshot_alloc(art_system_monitor(sys), &snap) == 0);
  for (size_t i = 0; i < snap.count; i++) {
    const art_event *ev = &snap.events[i];
    if (ev->family != ART_EVENT_FAMILY_SUPERVISION || ev->other != sc->sup)
      continue;
    printf("    %-17s %s", art_event_kind_name((art_event_kind)ev->kind), ev->child_id);
    switch (ev->kind) {
    case ART_EVENT_SUPERVISION_CHILD_FAILED:
      printf("  %s: %s", art_exit_kind_name((art_exit_kind)ev->reason), ev->text);
      break;
    case ART_EVENT_SUPERVISION_CHILD_STOPPED:
      printf("  %s", art_exit_kind_name((art_exit_kind)ev->reason));
      if (ev->reason == ART_EXIT_SHUTDOWN)
        append(stopped, size, ev->child_id);
      break;
    case ART_EVENT_SUPERVISION_STRATEGY_APPLIED:
      printf("  %s, %" PRIu64 " child%s", ev->strategy, ev->count, ev->count == 1 ? "" : "ren");
      break;
    case ART_EVENT_SUPERVISION_CHILD_RESTARTED:
      printf("  restart %" PRIu32, ev->restart_count);
      append(restarted, size, ev->child_id);
      break;
    default:
      break;
    }
    printf("\n");
  }
  art_event_snapshot_free(&snap);
}

static void run(art_system *sys, scenario *sc) {
  const char *ids[3] = {"A", "B", "C"};
  art_child_spec specs[3];
  for (int i = 0; i < 3; i++) {
    sc->children[i] = (child_record){.id = ids[i]};
    specs[i] = (art_child_spec){.id = ids[i], .restart = ART_RESTART_PERMANENT};
    specs[i].actor.ops = &child_ops;
    specs[i].actor.state_size = sizeof(child_record *);
    specs[i].actor.args = &sc->children[i];
  }
  art_sup_spec spec;
  art_sup_spec_init(&spec);
  spec.strategy = sc->strategy;
  spec.intensity = 3;
  spec.children = specs; /* copied by art_sup_start: a local array is fine */
  spec.child_count = 3;
  int rc = art_sup_start(sys, &spec, &sc->sup);
  CHECK(rc == 0);
  if (rc)
    return;

  printf("\n%s: B fails\n", art_sup_strategy_name(sc->strategy));
  CHECK(art_monitor_reset(art_system_monitor(sys)) == 0); /* only this failure's events */
  art_pid b = child_pid(sys, sc->sup, "B");
  CHECK(art_send(sys, b, MSG_FAIL, NULL, 0) == 0);
  art_system_run(sys); /* B fails; the supervisor applies its strategy; all idle again */

  char stopped[256], restarted[256];
  read_events(sys, sc, stopped, restarted, sizeof stopped);
  printf("  stopped by the supervisor: %-6s (OTP: %s)\n", stopped[0] ? stopped : "-",
         sc->stopped[0] ? sc->stopped : "-");
  printf("  restarted:                 %-6s (OTP: %s)\n", restarted, sc->restarted);
  printf("  starts counted by the children: A %d, B %d, C %d\n", sc->children[0].starts,
         sc->children[1].starts, sc->children[2].starts);
  CHECK(strcmp(stopped, sc->stopped) == 0);
  CHECK(strcmp(restarted, sc->restarted) == 0);
  for (int i = 0; i < 3; i++) /* once at the start, once more if restarted */
    CHECK(sc->children[i].starts == 1 + (strstr(sc->restarted, ids[i]) != NULL));
  CHECK(art_is_alive(sys, sc->sup));
  CHECK(child_pid(sys, sc->sup, "B") != b);
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
  printf("three supervisors over children A, B, C (permanent, started in that order)\n");

  static scenario scenarios[3] = {
      {.strategy = ART_SUP_ONE_FOR_ONE, .stopped = "", .restarted = "B"},
      {.strategy = ART_SUP_ONE_FOR_ALL, .stopped = "C A", .restarted = "A B C"},
      {.strategy = ART_SUP_REST_FOR_ONE, .stopped = "C", .restarted = "B C"},
  };
  for (int i = 0; i < 3; i++)
    run(sys, &scenarios[i]);

  for (int i = 0; i < 3; i++)
    if (scenarios[i].sup != ART_PID_NONE)
      CHECK(art_sup_stop(sys, scenarios[i].sup, ART_SEC(5)) == 0);
  art_system_destroy(sys);
  if (failures) {
    fprintf(stderr, "supervisor_strategies: %d check(s) failed\n", failures);
    return 1;
  }
  printf("\nsupervisor_strategies: all checks passed\n");
  return 0;
}
