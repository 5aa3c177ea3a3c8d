/*
 * Monitoring basics (the seed's monitoring_basic): an in-memory monitor with a configuration,
 * events recorded the way the runtime records them, a snapshot, the severity filter at work, a
 * family mask changed at run time, a reset, and the snapshot as JSON and Prometheus text.
 *
 * A supervisor's child "db-pool" fails twice and is restarted; actors are spawned and handle
 * messages (trace events, below the monitor's minimum severity: they are filtered); a mailbox
 * drops a message. Every step prints what it did and checks the monitor agrees; the program
 * exits non-zero if a check fails.
 *
 * Run: build/release/examples/monitoring_basic
 */
#include <art.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

static int failures;

#define CHECK(cond)                                                                                \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      fprintf(stderr, "check failed at line %d: %s\n", __LINE__, #cond);                           \
      failures++;                                                                                  \
    }                                                                                              \
  } while (0)

/* What the runtime does at its event sites: the event is built only if the monitor wants it. */
static void child_failed(art_event_monitor *mon, art_pid supervisor, art_pid child,
                         uint32_t restarts) {
  ART_MONITOR_EVENT(mon, ART_EVENT_SUPERVISION_CHILD_FAILED, ART_SEVERITY_ERROR, ev, {
    ev.pid = child;
    ev.other = supervisor;
    ev.error_code = ART_ETIMEDOUT;
    ev.reason = ART_EXIT_ERROR;
    ev.restart_count = restarts;
    art_event_copy_text(ev.child_id, sizeof ev.child_id, "db-pool");
    art_event_copy_text(ev.text, sizeof ev.text, "connection lost");
  });
  ART_MONITOR_EVENT(mon, ART_EVENT_SUPERVISION_CHILD_RESTARTED, ART_SEVERITY_WARNING, ev, {
    ev.pid = child + 1;
    ev.other = supervisor;
    ev.restart_count = restarts;
    ev.duration_ns = ART_MSEC(100) << restarts; /* the backoff it waited */
    art_event_copy_text(ev.child_id, sizeof ev.child_id, "db-pool");
  });
}

static void actor_lifecycle(art_event_monitor *mon, art_pid parent, art_pid actor) {
  ART_MONITOR_EVENT(mon, ART_EVENT_ACTOR_SPAWNED, ART_SEVERITY_INFO, ev, {
    ev.pid = actor;
    ev.other = parent;
  });
  for (uint32_t type = 1; type <= 3; type++) {
    ART_MONITOR_EVENT(mon, ART_EVENT_ACTOR_MESSAGE_PROCESSED, ART_SEVERITY_TRACE, ev, {
      ev.pid = actor;
      ev.count = type;
      ev.duration_ns = 250;
    });
  }
}

static void print_counts(const char *title, const art_event_snapshot *snap) {
  printf("%s: total %" PRIu64 ", filtered %" PRIu64 ", in history %zu (dropped %" PRIu64 ")\n",
         title, snap->total, snap->filtered, snap->count, snap->history_dropped);
  for (int s = 0; s < ART_SEVERITY_COUNT; s++)
    if (snap->by_severity[s])
      printf("  %-8s %" PRIu64 "\n", art_severity_name((art_severity)s), snap->by_severity[s]);
}

int main(void) {
  /* 1. A monitor: keep the last 100 events, info and above, every family. */
  art_monitor_config cfg;
  art_monitor_config_init(&cfg);
  cfg.history_capacity = 100;
  cfg.min_severity = ART_SEVERITY_INFO;
  art_event_monitor *mon;
  int rc = art_memory_monitor_create(&mon, &cfg);
  if (rc) {
    fprintf(stderr, "art_memory_monitor_create: %s\n", art_strerror(rc));
    return 1;
  }
  printf("monitor: history 100, minimum severity %s, all families\n",
         art_severity_name(cfg.min_severity));

  /* 2. Record: two failures and restarts, two actors with three messages each, a drop. */
  art_pid supervisor = 4294967297u, child = 8589934594u;
  child_failed(mon, supervisor, child, 1);
  child_failed(mon, supervisor, child, 2);
  actor_lifecycle(mon, supervisor, 12884901891u);
  actor_lifecycle(mon, supervisor, 17179869188u);
  art_event drop;
  art_event_init(&drop, ART_EVENT_MAILBOX_MESSAGE_DROPPED, ART_SEVERITY_WARNING);
  drop.pid = 12884901891u;
  drop.count = 64;
  drop.capacity = 64;
  CHECK(art_monitor_record(mon, &drop) == 0);
  /* A trace event handed to record directly is filtered, and counted as such. */
  art_event dequeued;
  art_event_init(&dequeued, ART_EVENT_MAILBOX_MESSAGE_DEQUEUED, ART_SEVERITY_TRACE);
  CHECK(art_monitor_record(mon, &dequeued) == 0);
  printf("recorded: 2 child failures and restarts, 2 spawns, 6 messages (trace), 1 drop, "
         "1 dequeue (trace)\n");

  /* 3. Snapshot: counters and the events, oldest first. */
  art_event_snapshot snap;
  CHECK(art_monitor_snapshot_alloc(mon, &snap) == 0);
  print_counts("snapshot", &snap);
  CHECK(snap.total == 7);    /* 2 failed + 2 restarted + 2 spawned + 1 dropped */
  CHECK(snap.filtered == 1); /* the dequeue; the message sites never built their events */
  CHECK(snap.by_severity[ART_SEVERITY_ERROR] == 2);
  CHECK(snap.by_severity[ART_SEVERITY_WARNING] == 3);
  CHECK(snap.by_family[ART_EVENT_FAMILY_SUPERVISION] == 4);
  CHECK(snap.by_kind[art_event_kind_index(ART_EVENT_ACTOR_MESSAGE_PROCESSED)] == 0);
  CHECK(snap.count == 7);
  for (size_t i = 0; i < snap.count; i++) {
    const art_event *ev = &snap.events[i];
    printf("  #%" PRIu64 " %s.%s (%s)\n", ev->seq,
           art_event_family_name((art_event_family)ev->family),
           art_event_kind_name((art_event_kind)ev->kind),
           art_severity_name((art_severity)ev->severity));
    CHECK(ev->seq == i);
  }
  char event_json[512];
  CHECK(art_event_to_json(&snap.events[0], event_json, sizeof event_json) < (int)sizeof event_json);
  printf("first event as JSON: %s\n", event_json);
  art_event_snapshot_free(&snap);

  /* 4. Filter at run time: supervision only, warnings and above (the seed's
   *    Monitor<SupervisionEvent>). */
  CHECK(art_monitor_set_filter(mon, ART_EVENT_FAMILY_BIT(ART_EVENT_FAMILY_SUPERVISION),
                               ART_SEVERITY_WARNING) == 0);
  CHECK(!art_monitor_wants(mon, ART_EVENT_FAMILY_ACTOR, ART_SEVERITY_CRITICAL));
  CHECK(art_monitor_wants(mon, ART_EVENT_FAMILY_SUPERVISION, ART_SEVERITY_ERROR));
  actor_lifecycle(mon, supervisor, 21474836485u); /* not wanted: nothing is built */
  child_failed(mon, supervisor, child, 3);
  CHECK(art_monitor_snapshot(mon, &snap, NULL, 0) == 0);
  print_counts("after the filter change (supervision, warning+)", &snap);
  CHECK(snap.total == 9);
  CHECK(snap.by_family[ART_EVENT_FAMILY_ACTOR] == 2);

  /* 5. Export: the snapshot as JSON, the counters as Prometheus text. */
  int json_len = art_event_snapshot_to_json(&snap, NULL, 0);
  int prom_len = art_event_snapshot_to_prometheus(&snap, NULL, 0);
  CHECK(json_len > 0 && prom_len > 0);
  char *text = malloc((size_t)(prom_len > json_len ? prom_len : json_len) + 1);
  CHECK(text != NULL);
  if (text) {
    CHECK(art_event_snapshot_to_prometheus(&snap, text, (size_t)prom_len + 1) == prom_len);
    printf("Prometheus text (%d bytes):\n%s", prom_len, text);
    CHECK(art_event_snapshot_to_json(&snap, text, (size_t)json_len + 1) == json_len);
    printf("snapshot JSON: %d bytes\n", json_len);
    free(text);
  }

  /* 6. Reset: counters and history start over. */
  CHECK(art_monitor_reset(mon) == 0);
  CHECK(art_monitor_snapshot(mon, &snap, NULL, 0) == 0);
  print_counts("after reset", &snap);
  CHECK(snap.total == 0 && snap.filtered == 0 && snap.history_dropped == 0);

  art_monitor_destroy(mon);
  if (failures) {
    fprintf(stderr, "monitoring_basic: %d check(s) failed\n", failures);
    return 1;
  }
  printf("monitoring_basic: all checks passed\n");
  return 0;
}
