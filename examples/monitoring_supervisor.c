/*
 * Monitoring a supervisor tree (the seed's monitoring_supervisor): every decision a supervisor
 * takes is an event in the system's monitor, and a snapshot of the monitor tells the story.
 *
 * The tree:
 *
 *   app (one_for_one, 5 restarts in 10 s)
 *   ├── db                          a worker
 *   └── web (one_for_one, 1 restart in 5 s)
 *       ├── listener                a worker
 *       └── session                 a worker
 *
 * Failures are injected: db fails twice (app restarts it each time); session fails twice in
 * a row, so web gives up on the second one (restart_limit_exceeded), stops listener and exits
 * with reason `shutdown`, and app restarts web with both its children. Then the program takes
 * a snapshot of the system's in-memory monitor and prints the supervision events (kind, child,
 * reason, restart count), the counters per kind, and the snapshot as JSON.
 *
 * The system runs in deterministic mode, so the run and its events replay exactly; the monitor
 * is the one the system creates (art_system_monitor), set to keep supervision events only.
 *
 * Run: build/release/examples/monitoring_supervisor
 */
#include <art.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
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

/* ---- the workers: fail on request, with a reason ----------------------------------------------
 */

static int worker_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  (void)state;
  if (msg->type == MSG_FAIL)
    return art_fail(ctx, ART_ETIMEDOUT, "%.*s", (int)msg->size, (const char *)msg->data);
  return 0;
}

static const art_actor_ops worker_ops = {.handle = worker_handle};

static art_child_spec worker(const char *id) {
  art_child_spec c = {.id = id};
  c.actor.ops = &worker_ops;
  return c;
}

/* ---- the tree ----------------------------------------------------------------------------------
 */

static const art_child_spec web_children[2] = {
    {.id = "listener", .actor = {.ops = &worker_ops}},
    {.id = "session", .actor = {.ops = &worker_ops}},
};

static art_pid child_pid(art_system *sys, art_pid sup, const char *id) {
  art_sup_child_info info[4];
  size_t n = 0;
  CHECK(art_sup_which_children(sys, sup, info, 4, &n) == 0);
  for (size_t i = 0; i < n && i < 4; i++)
    if (strcmp(info[i].id, id) == 0)
      return info[i].pid;
  return ART_PID_NONE;
}

/* Makes child @p path ("db", or "web/session") of @p app fail with @p why, and runs the actors
 * until the supervisors have dealt with it. */
static void inject(art_system *sys, art_pid app, const char *path, const char *why) {
  art_pid pid;
  if (strncmp(path, "web/", 4) == 0)
    pid = child_pid(sys, child_pid(sys, app, "web"), path + 4);
  else
    pid = child_pid(sys, app, path);
  printf("inject: %s fails (%s)\n", path, why);
  CHECK(art_send(sys, pid, MSG_FAIL, why, strlen(why)) == 0);
  art_system_run(sys);
}

/* ---- reading the monitor -------------------------------------------------------------------- */

static void print_events(const art_event_snapshot *snap, art_pid app) {
  printf("\nsupervision events (%zu), oldest first:\n", snap->count);
  printf("  %-4s %-4s %-23s %-9s %-9s %-8s %s\n", "seq", "sup", "kind", "child", "reason",
         "restarts", "detail");
  for (size_t i = 0; i < snap->count; i++) {
    const art_event *ev = &snap->events[i];
    const char *reason = "", *detail = ev->text;
    char restarts[16] = "";
    switch (ev->kind) {
    case ART_EVENT_SUPERVISION_CHILD_FAILED:
    case ART_EVENT_SUPERVISION_CHILD_STOPPED:
      reason = art_exit_kind_name((art_exit_kind)ev->reason);
      break;
    case ART_EVENT_SUPERVISION_STRATEGY_APPLIED:
      detail = ev->strategy;
      break;
    default:
      break;
    }
    /* The kinds that carry a restart count (restart_limit_exceeded: restarts in the window). */
    if (ev->kind == ART_EVENT_SUPERVISION_CHILD_FAILED ||
        ev->kind == ART_EVENT_SUPERVISION_CHILD_RESTARTED ||
        ev->kind == ART_EVENT_SUPERVISION_RESTART_LIMIT_EXCEEDED)
      snprintf(restarts, sizeof restarts, "%" PRIu32, ev->restart_count);
    printf("  %-4" PRIu64 " %-4s %-23s %-9s %-9s %-8s %s\n", ev->seq,
           ev->other == app ? "app" : "web", art_event_kind_name((art_event_kind)ev->kind),
           ev->child_id, reason, restarts, detail);
  }
}

static uint64_t count_of(const art_event_snapshot *snap, art_event_kind kind) {
  return snap->by_kind[art_event_kind_index(kind)];
}

static void print_counters(const art_event_snapshot *snap) {
  printf("\ncounters: %" PRIu64 " events, %" PRIu64 " filtered out\n", snap->total, snap->filtered);
  for (int i = 0; i < ART_EVENT_KIND_COUNT; i++) {
    if (!snap->by_kind[i])
      continue;
    art_event_kind kind = art_event_kind_at(i);
    printf("  %s.%-24s %-8s %" PRIu64 "\n", art_event_family_name(ART_EVENT_KIND_FAMILY(kind)),
           art_event_kind_name(kind), art_severity_name(art_event_kind_severity(kind)),
           snap->by_kind[i]);
  }
}

/* The JSON of a snapshot that holds the counters and the last three events. */
static void print_json(art_event_monitor *mon) {
  art_event last[3];
  art_event_snapshot snap;
  CHECK(art_monitor_snapshot(mon, &snap, last, 3) == 0);
  int len = art_event_snapshot_to_json(&snap, NULL, 0); /* the size it needs */
  CHECK(len > 0);
  char *json = len > 0 ? malloc((size_t)len + 1) : NULL;
  if (!json)
    return;
  CHECK(art_event_snapshot_to_json(&snap, json, (size_t)len + 1) == len);
  printf("\nthe snapshot as JSON (counters and the last %zu events, %d bytes):\n%s\n", snap.count,
         len, json);
  CHECK(json[0] == '{' && json[len - 1] == '}');
  CHECK(strstr(json, "\"restart_limit_exceeded\":1") != NULL); /* a counter */
  CHECK(strstr(json, "\"kind\":\"child_started\"") != NULL);   /* an event: web's restart */
  free(json);
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
  /* The seed's Monitor<SupervisionEvent>: the system's monitor keeps supervision events from
   * info up; the reset forgets what the system recorded before. */
  art_event_monitor *mon = art_system_monitor(sys);
  CHECK(art_system_set_event_filter(sys, ART_EVENT_FAMILY_BIT(ART_EVENT_FAMILY_SUPERVISION),
                                    ART_SEVERITY_INFO) == 0);
  CHECK(art_monitor_reset(mon) == 0);

  art_sup_spec web;
  art_sup_spec_init(&web);
  web.intensity = 1;
  web.children = web_children; /* a nested spec is kept by pointer: static */
  web.child_count = 2;
  web.name = "web";
  art_child_spec app_children[2] = {worker("db"),
                                    {.id = "web", .type = ART_CHILD_SUPERVISOR, .sup = &web}};
  art_sup_spec app;
  art_sup_spec_init(&app);
  app.intensity = 5;
  app.period = ART_SEC(10);
  app.children = app_children;
  app.child_count = 2;
  app.name = "app";
  art_pid app_pid;
  rc = art_sup_start(sys, &app, &app_pid);
  CHECK(rc == 0);
  if (rc == 0) {
    printf("started: app > db, web > listener, session\n");
    inject(sys, app_pid, "db", "connection lost");
    art_clock_advance(sys, ART_SEC(1));
    inject(sys, app_pid, "db", "connection lost again");
    art_pid old_web = child_pid(sys, app_pid, "web");
    inject(sys, app_pid, "web/session", "bad frame");
    inject(sys, app_pid, "web/session", "bad frame again"); /* web's second restart in 5 s */
    art_pid new_web = child_pid(sys, app_pid, "web");
    CHECK(new_web != ART_PID_NONE && new_web != old_web);
    CHECK(child_pid(sys, new_web, "session") != ART_PID_NONE);
  }

  art_event_snapshot snap;
  CHECK(art_monitor_snapshot_alloc(mon, &snap) == 0);
  print_events(&snap, app_pid);
  print_counters(&snap);
  CHECK(count_of(&snap, ART_EVENT_SUPERVISION_CHILD_FAILED) == 4);    /* db x2, session x2 */
  CHECK(count_of(&snap, ART_EVENT_SUPERVISION_CHILD_RESTARTED) == 4); /* db x2, session, web */
  CHECK(count_of(&snap, ART_EVENT_SUPERVISION_RESTART_LIMIT_EXCEEDED) == 1); /* web */
  CHECK(snap.by_family[ART_EVENT_FAMILY_SUPERVISION] == snap.total);
  /* db's restarts are counted in its events: its second failure comes after one restart. */
  uint32_t db_restarts = 0;
  for (size_t i = 0; i < snap.count; i++)
    if (snap.events[i].kind == ART_EVENT_SUPERVISION_CHILD_RESTARTED &&
        strcmp(snap.events[i].child_id, "db") == 0)
      db_restarts = snap.events[i].restart_count;
  CHECK(db_restarts == 2);
  art_event_snapshot_free(&snap);
  print_json(mon);

  if (rc == 0)
    CHECK(art_sup_stop(sys, app_pid, ART_SEC(5)) == 0);
  art_system_destroy(sys);
  if (failures) {
    fprintf(stderr, "monitoring_supervisor: %d check(s) failed\n", failures);
    return 1;
  }
  printf("monitoring_supervisor: all checks passed\n");
  return 0;
}
