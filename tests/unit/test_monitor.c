/*
 * Unit tests of the monitoring module: names and kinds, events, the filter, the in-memory
 * monitor (counters, history order and overflow, reset, snapshots), the no-op monitor, a user
 * monitor through the ops table, the event-site macro (on, and compiled out in
 * monitor_off_site.c), allocation failures, and recording from four threads at once with every
 * record checked for tearing. JSON and Prometheus output are tested in test_monitor_export.c.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "art.h"
#include "monitor/monitor.h"
#include "test_support.h"

#include <cmocka.h>

/* monitor_off_site.c: an event site compiled with ART_MONITORING 0. */
int monitor_off_site(art_event_monitor *(*get_monitor)(void), int *built);

static art_event_monitor *make_monitor(uint32_t history, art_severity min) {
  art_monitor_config cfg;
  art_monitor_config_init(&cfg);
  cfg.history_capacity = history;
  cfg.min_severity = min;
  art_event_monitor *mon = NULL;
  assert_int_equal(art_memory_monitor_create(&mon, &cfg), 0);
  assert_non_null(mon);
  return mon;
}

static art_event make_event(art_event_kind kind, art_severity severity, uint64_t count) {
  art_event ev;
  art_event_init(&ev, kind, severity);
  ev.count = count;
  return ev;
}

static void record(art_event_monitor *mon, art_event_kind kind, art_severity severity,
                   uint64_t count) {
  art_event ev = make_event(kind, severity, count);
  assert_int_equal(art_monitor_record(mon, &ev), 0);
}

static uint64_t kind_count(const art_event_snapshot *snap, art_event_kind kind) {
  int index = art_event_kind_index(kind);
  assert_true(index >= 0);
  return snap->by_kind[index];
}

/* ---- names and kinds ------------------------------------------------------------------------ */

static void names_cover_every_family_kind_and_severity(void **state) {
  (void)state;
  static const char *const families[] = {"supervision", "actor", "system", "broker", "mailbox"};
  for (int f = 0; f < ART_EVENT_FAMILY_COUNT; f++)
    assert_string_equal(art_event_family_name((art_event_family)f), families[f]);
  assert_string_equal(art_event_family_name(ART_EVENT_FAMILY_COUNT), "unknown");
  static const char *const severities[] = {"trace",   "debug", "info",
                                           "warning", "error", "critical"};
  for (int s = 0; s < ART_SEVERITY_COUNT; s++)
    assert_string_equal(art_severity_name((art_severity)s), severities[s]);
  assert_string_equal(art_severity_name(ART_SEVERITY_COUNT), "unknown");

  /* Every kind the seed and DESIGN.md list, spelled out so the map cannot agree with itself. */
  static const struct {
    art_event_kind kind;
    art_event_family family;
    const char *name;
  } expected[] = {
      {ART_EVENT_SUPERVISION_CHILD_STARTED, ART_EVENT_FAMILY_SUPERVISION, "child_started"},
      {ART_EVENT_SUPERVISION_CHILD_STOPPED, ART_EVENT_FAMILY_SUPERVISION, "child_stopped"},
      {ART_EVENT_SUPERVISION_CHILD_FAILED, ART_EVENT_FAMILY_SUPERVISION, "child_failed"},
      {ART_EVENT_SUPERVISION_CHILD_RESTARTED, ART_EVENT_FAMILY_SUPERVISION, "child_restarted"},
      {ART_EVENT_SUPERVISION_RESTART_LIMIT_EXCEEDED, ART_EVENT_FAMILY_SUPERVISION,
       "restart_limit_exceeded"},
      {ART_EVENT_SUPERVISION_STRATEGY_APPLIED, ART_EVENT_FAMILY_SUPERVISION, "strategy_applied"},
      {ART_EVENT_SUPERVISION_HEALTH_CHECK_FAILED, ART_EVENT_FAMILY_SUPERVISION,
       "health_check_failed"},
      {ART_EVENT_SUPERVISION_CHILD_DEGRADED, ART_EVENT_FAMILY_SUPERVISION, "child_degraded"},
      {ART_EVENT_ACTOR_SPAWNED, ART_EVENT_FAMILY_ACTOR, "spawned"},
      {ART_EVENT_ACTOR_STARTED, ART_EVENT_FAMILY_ACTOR, "started"},
      {ART_EVENT_ACTOR_MESSAGE_RECEIVED, ART_EVENT_FAMILY_ACTOR, "message_received"},
      {ART_EVENT_ACTOR_MESSAGE_PROCESSED, ART_EVENT_FAMILY_ACTOR, "message_processed"},
      {ART_EVENT_ACTOR_ERROR_OCCURRED, ART_EVENT_FAMILY_ACTOR, "error_occurred"},
      {ART_EVENT_ACTOR_STOPPED, ART_EVENT_FAMILY_ACTOR, "stopped"},
      {ART_EVENT_SYSTEM_STARTED, ART_EVENT_FAMILY_SYSTEM, "started"},
      {ART_EVENT_SYSTEM_SHUTDOWN, ART_EVENT_FAMILY_SYSTEM, "shutdown"},
      {ART_EVENT_SYSTEM_ACTOR_REGISTERED, ART_EVENT_FAMILY_SYSTEM, "actor_registered"},
      {ART_EVENT_SYSTEM_ACTOR_DEREGISTERED, ART_EVENT_FAMILY_SYSTEM, "actor_deregistered"},
      {ART_EVENT_SYSTEM_CONFIGURATION_CHANGED, ART_EVENT_FAMILY_SYSTEM, "configuration_changed"},
      {ART_EVENT_BROKER_MESSAGE_PUBLISHED, ART_EVENT_FAMILY_BROKER, "message_published"},
      {ART_EVENT_BROKER_MESSAGE_ROUTED, ART_EVENT_FAMILY_BROKER, "message_routed"},
      {ART_EVENT_BROKER_SUBSCRIBER_ADDED, ART_EVENT_FAMILY_BROKER, "subscriber_added"},
      {ART_EVENT_BROKER_SUBSCRIBER_REMOVED, ART_EVENT_FAMILY_BROKER, "subscriber_removed"},
      {ART_EVENT_BROKER_ROUTING_FAILED, ART_EVENT_FAMILY_BROKER, "routing_failed"},
      {ART_EVENT_BROKER_DEAD_LETTER, ART_EVENT_FAMILY_BROKER, "dead_letter"},
      {ART_EVENT_MAILBOX_MESSAGE_ENQUEUED, ART_EVENT_FAMILY_MAILBOX, "message_enqueued"},
      {ART_EVENT_MAILBOX_MESSAGE_DEQUEUED, ART_EVENT_FAMILY_MAILBOX, "message_dequeued"},
      {ART_EVENT_MAILBOX_BACKPRESSURE_APPLIED, ART_EVENT_FAMILY_MAILBOX, "backpressure_applied"},
      {ART_EVENT_MAILBOX_CAPACITY_REACHED, ART_EVENT_FAMILY_MAILBOX, "capacity_reached"},
      {ART_EVENT_MAILBOX_MESSAGE_DROPPED, ART_EVENT_FAMILY_MAILBOX, "message_dropped"},
  };
  size_t n = sizeof expected / sizeof expected[0];
  assert_int_equal(n, ART_EVENT_KIND_COUNT);
  for (size_t i = 0; i < n; i++) {
    assert_string_equal(art_event_kind_name(expected[i].kind), expected[i].name);
    assert_int_equal(ART_EVENT_KIND_FAMILY(expected[i].kind), expected[i].family);
    /* The dense index follows the map, and art_event_kind_at() inverts it. */
    assert_int_equal(art_event_kind_index(expected[i].kind), (int)i);
    assert_int_equal(art_event_kind_at((int)i), expected[i].kind);
    assert_non_null(art__event_meta_of((unsigned)expected[i].kind));
  }
  /* Values that are not kinds. */
  assert_int_equal(art_event_kind_index((art_event_kind)8), -1);     /* supervision has 8 */
  assert_int_equal(art_event_kind_index((art_event_kind)0x106), -1); /* actor has 6 */
  assert_int_equal(art_event_kind_index((art_event_kind)0x500), -1); /* no sixth family */
  assert_int_equal(art_event_kind_index((art_event_kind)-1), -1);
  assert_string_equal(art_event_kind_name((art_event_kind)0x106), "unknown");
  assert_int_equal(art_event_kind_at(-1), (art_event_kind)-1);
  assert_int_equal(art_event_kind_at(ART_EVENT_KIND_COUNT), (art_event_kind)-1);
  assert_null(art__event_meta_of(0x106));
}

static void kinds_have_sensible_default_severities(void **state) {
  (void)state;
  assert_int_equal(art_event_kind_severity(ART_EVENT_SUPERVISION_CHILD_FAILED), ART_SEVERITY_ERROR);
  assert_int_equal(art_event_kind_severity(ART_EVENT_SUPERVISION_RESTART_LIMIT_EXCEEDED),
                   ART_SEVERITY_CRITICAL);
  assert_int_equal(art_event_kind_severity(ART_EVENT_ACTOR_MESSAGE_RECEIVED), ART_SEVERITY_TRACE);
  assert_int_equal(art_event_kind_severity(ART_EVENT_MAILBOX_MESSAGE_DROPPED),
                   ART_SEVERITY_WARNING);
  assert_int_equal(art_event_kind_severity((art_event_kind)0x106), ART_SEVERITY_INFO);
  for (int i = 0; i < ART_EVENT_KIND_COUNT; i++)
    assert_true(art_event_kind_severity(art_event_kind_at(i)) < ART_SEVERITY_COUNT);
}

/* ---- events --------------------------------------------------------------------------------- */

static void event_init_fills_kind_family_severity_and_time(void **state) {
  (void)state;
  art_event ev;
  memset(&ev, 0xAB, sizeof ev);
  int64_t before = art_now_utc();
  art_event_init(&ev, ART_EVENT_BROKER_DEAD_LETTER, ART_SEVERITY_WARNING);
  int64_t after = art_now_utc();
  assert_int_equal(ev.kind, ART_EVENT_BROKER_DEAD_LETTER);
  assert_int_equal(ev.family, ART_EVENT_FAMILY_BROKER);
  assert_int_equal(ev.severity, ART_SEVERITY_WARNING);
  assert_true(ev.timestamp >= before && ev.timestamp <= after);
  assert_int_equal(ev.seq, 0);
  assert_int_equal(ev.pid, ART_PID_NONE);
  assert_int_equal(ev.user, 0);
  assert_string_equal(ev.topic, "");
  assert_string_equal(ev.text, "");
  assert_int_equal(sizeof ev, 256);
  art_event_init(NULL, ART_EVENT_ACTOR_SPAWNED, ART_SEVERITY_INFO); /* no crash */
}

static void copy_text_truncates_at_a_character_boundary(void **state) {
  (void)state;
  char buf[8];
  assert_int_equal(art_event_copy_text(buf, sizeof buf, "abc"), 3);
  assert_string_equal(buf, "abc");
  assert_int_equal(art_event_copy_text(buf, sizeof buf, "abcdefghij"), 7);
  assert_string_equal(buf, "abcdefg");
  /* "abcde" + "é" (2 bytes) fits 7 bytes exactly; "abcdef" + "é" would cut it: leave it out. */
  assert_int_equal(art_event_copy_text(buf, sizeof buf, "abcde\xc3\xa9xyz"), 7);
  assert_string_equal(buf, "abcde\xc3\xa9");
  assert_int_equal(art_event_copy_text(buf, sizeof buf, "abcdef\xc3\xa9"), 6);
  assert_string_equal(buf, "abcdef");
  /* A 4-byte character that starts at byte 5 of 7. */
  assert_int_equal(art_event_copy_text(buf, sizeof buf, "abcde\xf0\x9f\x98\x80"), 5);
  assert_string_equal(buf, "abcde");
  assert_int_equal(art_event_copy_text(buf, sizeof buf, NULL), 0);
  assert_string_equal(buf, "");
  assert_int_equal(art_event_copy_text(buf, 0, "x"), 0);
  assert_int_equal(art_event_copy_text(NULL, 8, "x"), 0);
}

/* ---- configuration and creation ------------------------------------------------------------- */

static void config_defaults_and_bad_arguments(void **state) {
  (void)state;
  art_monitor_config cfg;
  memset(&cfg, 0xFF, sizeof cfg);
  art_monitor_config_init(&cfg);
  assert_true(cfg.enabled);
  assert_int_equal(cfg.min_severity, ART_SEVERITY_INFO);
  assert_int_equal(cfg.family_mask, ART_EVENT_FAMILY_ALL);
  assert_int_equal(cfg.history_capacity, 1000);
  assert_null(cfg.allocator.alloc);

  art_event_monitor *mon = NULL;
  assert_int_equal(art_memory_monitor_create(NULL, &cfg), ART_EINVAL);
  cfg.min_severity = ART_SEVERITY_COUNT;
  assert_int_equal(art_memory_monitor_create(&mon, &cfg), ART_EINVAL);
  art_monitor_config_init(&cfg);
  cfg.family_mask = ART_EVENT_FAMILY_ALL + 1;
  assert_int_equal(art_memory_monitor_create(&mon, &cfg), ART_EINVAL);
  art_monitor_config_init(&cfg);
  cfg.history_capacity = ART_MONITOR_HISTORY_MAX + 1;
  assert_int_equal(art_memory_monitor_create(&mon, &cfg), ART_EINVAL);
  assert_null(mon);

  /* NULL config: the defaults. */
  assert_int_equal(art_memory_monitor_create(&mon, NULL), 0);
  bool enabled = false;
  uint32_t mask = 0;
  art_severity min = ART_SEVERITY_TRACE;
  assert_int_equal(art_monitor_get_filter(mon, &enabled, &mask, &min), 0);
  assert_true(enabled);
  assert_int_equal(mask, ART_EVENT_FAMILY_ALL);
  assert_int_equal(min, ART_SEVERITY_INFO);
  art_event_snapshot snap;
  assert_int_equal(art_monitor_snapshot(mon, &snap, NULL, 0), 0);
  assert_int_equal(snap.history_capacity, 1000);
  assert_int_equal(art_monitor_get_filter(NULL, NULL, NULL, NULL), ART_EINVAL);
  art_monitor_destroy(mon);
  art_monitor_destroy(NULL);
}

static void allocation_failures_leak_nothing(void **state) {
  (void)state;
  art_test_alloc ta;
  art_test_alloc_init(&ta);
  art_monitor_config cfg;
  art_monitor_config_init(&cfg);
  cfg.allocator = art_test_alloc_allocator(&ta);
  /* The in-memory monitor makes two allocations (itself, the ring); fail each in turn. */
  for (uint64_t n = 1; n <= 2; n++) {
    art_event_monitor *mon = NULL;
    art_test_alloc_fail_at(&ta, n);
    assert_int_equal(art_memory_monitor_create(&mon, &cfg), ART_ENOMEM);
    assert_null(mon);
    assert_int_equal(art_test_alloc_live(&ta), 0);
  }
  art_test_alloc_fail_at(&ta, 0);
  art_event_monitor *mon = NULL;
  assert_int_equal(art_memory_monitor_create(&mon, &cfg), 0);
  assert_int_equal(art_test_alloc_live(&ta), 2);
  art_monitor_destroy(mon);
  assert_int_equal(art_test_alloc_live(&ta), 0);

  /* Without history, one allocation. */
  cfg.history_capacity = 0;
  assert_int_equal(art_memory_monitor_create(&mon, &cfg), 0);
  assert_int_equal(art_test_alloc_live(&ta), 1);
  art_monitor_destroy(mon);
  assert_int_equal(art_test_alloc_live(&ta), 0);
}

/* ---- recording and snapshots ---------------------------------------------------------------- */

static void snapshot_counts_and_orders_what_was_recorded(void **state) {
  (void)state;
  art_event_monitor *mon = make_monitor(100, ART_SEVERITY_TRACE);
  art_event ev;
  art_event_init(&ev, ART_EVENT_SUPERVISION_CHILD_FAILED, ART_SEVERITY_ERROR);
  ev.pid = 11;
  ev.other = 22;
  ev.error_code = ART_ETIMEDOUT;
  ev.restart_count = 3;
  art_event_copy_text(ev.child_id, sizeof ev.child_id, "worker-1");
  art_event_copy_text(ev.text, sizeof ev.text, "connection lost");
  assert_int_equal(art_monitor_record(mon, &ev), 0);
  record(mon, ART_EVENT_ACTOR_SPAWNED, ART_SEVERITY_DEBUG, 1);
  record(mon, ART_EVENT_ACTOR_SPAWNED, ART_SEVERITY_DEBUG, 2);
  record(mon, ART_EVENT_MAILBOX_MESSAGE_DROPPED, ART_SEVERITY_WARNING, 3);
  record(mon, ART_EVENT_ACTOR_SPAWNED, ART_SEVERITY_INFO, 4);

  art_event events[10];
  art_event_snapshot snap;
  int64_t before = art_now_utc();
  assert_int_equal(art_monitor_snapshot(mon, &snap, events, 10), 0);
  assert_true(snap.timestamp >= before);
  assert_int_equal(snap.total, 5);
  assert_int_equal(snap.filtered, 0);
  assert_int_equal(snap.by_severity[ART_SEVERITY_ERROR], 1);
  assert_int_equal(snap.by_severity[ART_SEVERITY_DEBUG], 2);
  assert_int_equal(snap.by_severity[ART_SEVERITY_WARNING], 1);
  assert_int_equal(snap.by_severity[ART_SEVERITY_INFO], 1);
  assert_int_equal(snap.by_severity[ART_SEVERITY_TRACE], 0);
  assert_int_equal(snap.by_family[ART_EVENT_FAMILY_SUPERVISION], 1);
  assert_int_equal(snap.by_family[ART_EVENT_FAMILY_ACTOR], 3);
  assert_int_equal(snap.by_family[ART_EVENT_FAMILY_MAILBOX], 1);
  assert_int_equal(snap.by_family[ART_EVENT_FAMILY_SYSTEM], 0);
  assert_int_equal(kind_count(&snap, ART_EVENT_ACTOR_SPAWNED), 3);
  assert_int_equal(kind_count(&snap, ART_EVENT_SUPERVISION_CHILD_FAILED), 1);
  assert_int_equal(kind_count(&snap, ART_EVENT_MAILBOX_MESSAGE_DROPPED), 1);
  int spawned = art_event_kind_index(ART_EVENT_ACTOR_SPAWNED);
  assert_int_equal(snap.by_kind_severity[spawned][ART_SEVERITY_DEBUG], 2);
  assert_int_equal(snap.by_kind_severity[spawned][ART_SEVERITY_INFO], 1);
  uint64_t sum = 0;
  for (int k = 0; k < ART_EVENT_KIND_COUNT; k++)
    sum += snap.by_kind[k];
  assert_int_equal(sum, snap.total);

  assert_int_equal(snap.history_capacity, 100);
  assert_int_equal(snap.history_dropped, 0);
  assert_int_equal(snap.history_lost, 0);
  assert_int_equal(snap.history_skipped, 0);
  assert_false(snap.owned);
  assert_ptr_equal(snap.events, events);
  assert_int_equal(snap.count, 5);
  /* The first event came back whole, with its position as seq. */
  ev.seq = 0;
  assert_memory_equal(&events[0], &ev, sizeof ev);
  for (size_t i = 1; i < 5; i++) {
    assert_int_equal(events[i].seq, i);
    assert_int_equal(events[i].count, i);
  }
  assert_int_equal(events[4].severity, ART_SEVERITY_INFO);
  art_event_snapshot_free(&snap); /* caller's storage: only forgets it */
  assert_null(snap.events);
  assert_int_equal(snap.count, 0);
  art_monitor_destroy(mon);
}

static void snapshot_storage_smaller_than_history_gets_the_newest(void **state) {
  (void)state;
  art_event_monitor *mon = make_monitor(16, ART_SEVERITY_TRACE);
  for (uint64_t i = 0; i < 10; i++)
    record(mon, ART_EVENT_MAILBOX_MESSAGE_ENQUEUED, ART_SEVERITY_TRACE, i);
  art_event events[3];
  art_event_snapshot snap;
  assert_int_equal(art_monitor_snapshot(mon, &snap, events, 3), 0);
  assert_int_equal(snap.count, 3);
  for (size_t i = 0; i < 3; i++)
    assert_int_equal(events[i].count, 7 + i);
  assert_int_equal(snap.total, 10);

  /* Counters only. */
  assert_int_equal(art_monitor_snapshot(mon, &snap, NULL, 0), 0);
  assert_int_equal(snap.count, 0);
  assert_int_equal(snap.total, 10);
  /* Bad arguments. */
  assert_int_equal(art_monitor_snapshot(mon, &snap, NULL, 1), ART_EINVAL);
  assert_int_equal(art_monitor_snapshot(mon, NULL, events, 3), ART_EINVAL);
  assert_int_equal(art_monitor_snapshot(NULL, &snap, events, 3), ART_EINVAL);
  assert_int_equal(art_monitor_snapshot_alloc(NULL, &snap), ART_EINVAL);
  assert_int_equal(art_monitor_snapshot_alloc(mon, NULL), ART_EINVAL);

  /* Allocated: the whole history, owned by the snapshot. */
  assert_int_equal(art_monitor_snapshot_alloc(mon, &snap), 0);
  assert_true(snap.owned);
  assert_int_equal(snap.count, 10);
  for (size_t i = 0; i < 10; i++)
    assert_int_equal(snap.events[i].count, i);
  art_event_snapshot_free(&snap);
  assert_null(snap.events);
  assert_false(snap.owned);
  art_event_snapshot_free(&snap); /* twice is harmless */
  art_event_snapshot_free(NULL);
  art_monitor_destroy(mon);
}

static void ring_overflow_drops_the_oldest_and_keeps_order(void **state) {
  (void)state;
  /* 5 is not a power of two: the ring has 8 slots, the history keeps exactly 5. */
  const uint32_t capacities[] = {8, 5, 1};
  for (size_t c = 0; c < sizeof capacities / sizeof capacities[0]; c++) {
    uint32_t capacity = capacities[c];
    art_event_monitor *mon = make_monitor(capacity, ART_SEVERITY_TRACE);
    for (uint64_t i = 0; i < 20; i++)
      record(mon, ART_EVENT_ACTOR_MESSAGE_RECEIVED, ART_SEVERITY_TRACE, i);
    art_event_snapshot snap;
    assert_int_equal(art_monitor_snapshot_alloc(mon, &snap), 0);
    assert_int_equal(snap.total, 20);
    assert_int_equal(snap.history_capacity, capacity);
    assert_int_equal(snap.count, capacity);
    assert_int_equal(snap.history_dropped, 20 - capacity);
    assert_int_equal(snap.history_lost, 0);
    for (size_t i = 0; i < capacity; i++) {
      assert_int_equal(snap.events[i].count, 20 - capacity + i);
      assert_int_equal(snap.events[i].seq, 20 - capacity + i);
    }
    art_event_snapshot_free(&snap);
    art_monitor_destroy(mon);
  }
}

static void history_capacity_zero_keeps_counters_only(void **state) {
  (void)state;
  art_event_monitor *mon = make_monitor(0, ART_SEVERITY_TRACE);
  for (uint64_t i = 0; i < 5; i++)
    record(mon, ART_EVENT_SYSTEM_STARTED, ART_SEVERITY_INFO, i);
  art_event_snapshot snap;
  assert_int_equal(art_monitor_snapshot_alloc(mon, &snap), 0);
  assert_int_equal(snap.total, 5);
  assert_int_equal(snap.count, 0);
  assert_null(snap.events);
  assert_int_equal(snap.history_capacity, 0);
  assert_int_equal(snap.history_dropped, 0);
  art_event_snapshot_free(&snap);
  art_monitor_destroy(mon);
}

static void invalid_events_are_refused_and_not_counted(void **state) {
  (void)state;
  art_event_monitor *mon = make_monitor(10, ART_SEVERITY_TRACE);
  art_event ev = make_event(ART_EVENT_ACTOR_SPAWNED, ART_SEVERITY_INFO, 0);
  assert_int_equal(art_monitor_record(NULL, &ev), ART_EINVAL);
  assert_int_equal(art_monitor_record(mon, NULL), ART_EINVAL);
  ev.family = ART_EVENT_FAMILY_BROKER; /* not the kind's family */
  assert_int_equal(art_monitor_record(mon, &ev), ART_EINVAL);
  ev = make_event(ART_EVENT_ACTOR_SPAWNED, ART_SEVERITY_INFO, 0);
  ev.kind = 0x106; /* the actor family has six kinds */
  assert_int_equal(art_monitor_record(mon, &ev), ART_EINVAL);
  ev = make_event(ART_EVENT_ACTOR_SPAWNED, ART_SEVERITY_INFO, 0);
  ev.severity = ART_SEVERITY_COUNT;
  assert_int_equal(art_monitor_record(mon, &ev), ART_EINVAL);
  ev = make_event(ART_EVENT_ACTOR_SPAWNED, ART_SEVERITY_INFO, 0);
  ev.family = ART_EVENT_FAMILY_COUNT;
  ev.kind = (uint16_t)(ART_EVENT_FAMILY_COUNT << 8);
  assert_int_equal(art_monitor_record(mon, &ev), ART_EINVAL);
  art_event_snapshot snap;
  assert_int_equal(art_monitor_snapshot(mon, &snap, NULL, 0), 0);
  assert_int_equal(snap.total, 0);
  assert_int_equal(snap.filtered, 0);
  art_monitor_destroy(mon);
}

/* ---- filters -------------------------------------------------------------------------------- */

static void severity_filter_counts_what_it_rejects(void **state) {
  (void)state;
  art_event_monitor *mon = make_monitor(10, ART_SEVERITY_WARNING);
  assert_false(art_monitor_wants(mon, ART_EVENT_FAMILY_ACTOR, ART_SEVERITY_TRACE));
  assert_false(art_monitor_wants(mon, ART_EVENT_FAMILY_ACTOR, ART_SEVERITY_INFO));
  assert_true(art_monitor_wants(mon, ART_EVENT_FAMILY_ACTOR, ART_SEVERITY_WARNING));
  assert_true(art_monitor_wants(mon, ART_EVENT_FAMILY_MAILBOX, ART_SEVERITY_CRITICAL));
  record(mon, ART_EVENT_ACTOR_SPAWNED, ART_SEVERITY_TRACE, 0);
  record(mon, ART_EVENT_ACTOR_SPAWNED, ART_SEVERITY_INFO, 1);
  record(mon, ART_EVENT_ACTOR_ERROR_OCCURRED, ART_SEVERITY_WARNING, 2);
  record(mon, ART_EVENT_ACTOR_ERROR_OCCURRED, ART_SEVERITY_ERROR, 3);
  record(mon, ART_EVENT_SUPERVISION_RESTART_LIMIT_EXCEEDED, ART_SEVERITY_CRITICAL, 4);
  art_event events[10];
  art_event_snapshot snap;
  assert_int_equal(art_monitor_snapshot(mon, &snap, events, 10), 0);
  assert_int_equal(snap.total, 3);
  assert_int_equal(snap.filtered, 2);
  assert_int_equal(snap.by_severity[ART_SEVERITY_TRACE], 0);
  assert_int_equal(snap.by_severity[ART_SEVERITY_INFO], 0);
  assert_int_equal(kind_count(&snap, ART_EVENT_ACTOR_SPAWNED), 0);
  assert_int_equal(snap.count, 3);
  assert_int_equal(events[0].count, 2);
  assert_int_equal(events[2].count, 4);

  /* Lower the bar at run time. */
  assert_int_equal(art_monitor_set_filter(mon, ART_EVENT_FAMILY_ALL, ART_SEVERITY_TRACE), 0);
  assert_true(art_monitor_wants(mon, ART_EVENT_FAMILY_ACTOR, ART_SEVERITY_TRACE));
  record(mon, ART_EVENT_ACTOR_SPAWNED, ART_SEVERITY_TRACE, 5);
  assert_int_equal(art_monitor_snapshot(mon, &snap, NULL, 0), 0);
  assert_int_equal(snap.total, 4);
  assert_int_equal(snap.filtered, 2);
  assert_int_equal(art_monitor_set_filter(mon, ART_EVENT_FAMILY_ALL, ART_SEVERITY_COUNT),
                   ART_EINVAL);
  assert_int_equal(art_monitor_set_filter(NULL, ART_EVENT_FAMILY_ALL, ART_SEVERITY_INFO),
                   ART_EINVAL);
  art_monitor_destroy(mon);
}

static void family_mask_selects_families(void **state) {
  (void)state;
  art_monitor_config cfg;
  art_monitor_config_init(&cfg);
  cfg.min_severity = ART_SEVERITY_TRACE;
  /* The seed's Monitor<SupervisionEvent>: supervision only (health kinds included). */
  cfg.family_mask = ART_EVENT_FAMILY_BIT(ART_EVENT_FAMILY_SUPERVISION);
  art_event_monitor *mon;
  assert_int_equal(art_memory_monitor_create(&mon, &cfg), 0);
  for (int f = 0; f < ART_EVENT_FAMILY_COUNT; f++)
    for (int s = 0; s < ART_SEVERITY_COUNT; s++)
      assert_int_equal(art_monitor_wants(mon, (art_event_family)f, (art_severity)s),
                       f == ART_EVENT_FAMILY_SUPERVISION);
  record(mon, ART_EVENT_SUPERVISION_CHILD_STARTED, ART_SEVERITY_INFO, 0);
  record(mon, ART_EVENT_SUPERVISION_HEALTH_CHECK_FAILED, ART_SEVERITY_WARNING, 1);
  record(mon, ART_EVENT_ACTOR_SPAWNED, ART_SEVERITY_INFO, 2);
  record(mon, ART_EVENT_BROKER_DEAD_LETTER, ART_SEVERITY_WARNING, 3);
  record(mon, ART_EVENT_MAILBOX_MESSAGE_DROPPED, ART_SEVERITY_ERROR, 4);
  art_event_snapshot snap;
  assert_int_equal(art_monitor_snapshot(mon, &snap, NULL, 0), 0);
  assert_int_equal(snap.total, 2);
  assert_int_equal(snap.filtered, 3);
  assert_int_equal(snap.by_family[ART_EVENT_FAMILY_SUPERVISION], 2);

  uint32_t mask = ART_EVENT_FAMILY_BIT(ART_EVENT_FAMILY_BROKER) |
                  ART_EVENT_FAMILY_BIT(ART_EVENT_FAMILY_MAILBOX);
  assert_int_equal(art_monitor_set_filter(mon, mask, ART_SEVERITY_WARNING), 0);
  uint32_t got_mask;
  art_severity got_min;
  assert_int_equal(art_monitor_get_filter(mon, NULL, &got_mask, &got_min), 0);
  assert_int_equal(got_mask, mask);
  assert_int_equal(got_min, ART_SEVERITY_WARNING);
  assert_false(art_monitor_wants(mon, ART_EVENT_FAMILY_SUPERVISION, ART_SEVERITY_CRITICAL));
  assert_true(art_monitor_wants(mon, ART_EVENT_FAMILY_BROKER, ART_SEVERITY_WARNING));
  assert_false(art_monitor_wants(mon, ART_EVENT_FAMILY_MAILBOX, ART_SEVERITY_INFO));
  assert_int_equal(art_monitor_set_filter(mon, ART_EVENT_FAMILY_ALL << 1, ART_SEVERITY_INFO),
                   ART_EINVAL);
  art_monitor_destroy(mon);
}

static void disabled_monitor_wants_nothing_and_keeps_its_settings(void **state) {
  (void)state;
  art_monitor_config cfg;
  art_monitor_config_init(&cfg);
  cfg.enabled = false;
  cfg.min_severity = ART_SEVERITY_DEBUG;
  art_event_monitor *mon;
  assert_int_equal(art_memory_monitor_create(&mon, &cfg), 0);
  for (int f = 0; f < ART_EVENT_FAMILY_COUNT; f++)
    for (int s = 0; s < ART_SEVERITY_COUNT; s++)
      assert_false(art_monitor_wants(mon, (art_event_family)f, (art_severity)s));
  record(mon, ART_EVENT_ACTOR_SPAWNED, ART_SEVERITY_CRITICAL, 0);
  assert_int_equal(art_monitor_set_enabled(mon, true), 0);
  assert_true(art_monitor_wants(mon, ART_EVENT_FAMILY_ACTOR, ART_SEVERITY_DEBUG));
  assert_false(art_monitor_wants(mon, ART_EVENT_FAMILY_ACTOR, ART_SEVERITY_TRACE));
  record(mon, ART_EVENT_ACTOR_SPAWNED, ART_SEVERITY_DEBUG, 1);
  assert_int_equal(art_monitor_set_enabled(mon, false), 0);
  bool enabled = true;
  art_severity min;
  assert_int_equal(art_monitor_get_filter(mon, &enabled, NULL, &min), 0);
  assert_false(enabled);
  assert_int_equal(min, ART_SEVERITY_DEBUG);
  record(mon, ART_EVENT_ACTOR_SPAWNED, ART_SEVERITY_DEBUG, 2);
  art_event_snapshot snap;
  assert_int_equal(art_monitor_snapshot(mon, &snap, NULL, 0), 0);
  assert_int_equal(snap.total, 1);
  assert_int_equal(snap.filtered, 2);
  assert_int_equal(art_monitor_set_enabled(NULL, true), ART_EINVAL);
  art_monitor_destroy(mon);
}

/* ---- reset ---------------------------------------------------------------------------------- */

static void reset_zeroes_counters_and_history(void **state) {
  (void)state;
  art_event_monitor *mon = make_monitor(4, ART_SEVERITY_INFO);
  for (uint64_t i = 0; i < 6; i++)
    record(mon, ART_EVENT_BROKER_MESSAGE_PUBLISHED, ART_SEVERITY_INFO, i);
  record(mon, ART_EVENT_BROKER_MESSAGE_PUBLISHED, ART_SEVERITY_TRACE, 99); /* filtered */
  art_event_snapshot snap;
  assert_int_equal(art_monitor_snapshot(mon, &snap, NULL, 0), 0);
  assert_int_equal(snap.total, 6);
  assert_int_equal(snap.filtered, 1);
  assert_int_equal(snap.history_dropped, 2);

  assert_int_equal(art_monitor_reset(mon), 0);
  art_event events[4];
  assert_int_equal(art_monitor_snapshot(mon, &snap, events, 4), 0);
  assert_int_equal(snap.total, 0);
  assert_int_equal(snap.filtered, 0);
  assert_int_equal(snap.count, 0);
  assert_int_equal(snap.history_dropped, 0);
  for (int k = 0; k < ART_EVENT_KIND_COUNT; k++)
    assert_int_equal(snap.by_kind[k], 0);
  for (int s = 0; s < ART_SEVERITY_COUNT; s++)
    assert_int_equal(snap.by_severity[s], 0);

  /* Recording goes on; the sequence keeps counting and only the new events show. */
  record(mon, ART_EVENT_BROKER_SUBSCRIBER_ADDED, ART_SEVERITY_INFO, 100);
  record(mon, ART_EVENT_BROKER_SUBSCRIBER_ADDED, ART_SEVERITY_INFO, 101);
  assert_int_equal(art_monitor_snapshot(mon, &snap, events, 4), 0);
  assert_int_equal(snap.total, 2);
  assert_int_equal(snap.count, 2);
  assert_int_equal(events[0].count, 100);
  assert_int_equal(events[0].seq, 6);
  assert_int_equal(events[1].seq, 7);
  assert_int_equal(art_monitor_reset(NULL), ART_EINVAL);
  art_monitor_destroy(mon);
}

/* ---- the no-op monitor ---------------------------------------------------------------------- */

static void noop_monitor_wants_records_and_counts_nothing(void **state) {
  (void)state;
  art_event_monitor *noop = art_monitor_noop();
  assert_non_null(noop);
  assert_ptr_equal(noop, art_monitor_noop());
  for (int f = 0; f < ART_EVENT_FAMILY_COUNT; f++)
    for (int s = 0; s < ART_SEVERITY_COUNT; s++)
      assert_false(art_monitor_wants(noop, (art_event_family)f, (art_severity)s));
  assert_false(art_monitor_wants(NULL, ART_EVENT_FAMILY_ACTOR, ART_SEVERITY_CRITICAL));
  art_event ev = make_event(ART_EVENT_ACTOR_SPAWNED, ART_SEVERITY_CRITICAL, 0);
  assert_int_equal(art_monitor_record(noop, &ev), 0);
  art_event events[2];
  art_event_snapshot snap;
  assert_int_equal(art_monitor_snapshot(noop, &snap, events, 2), 0);
  assert_int_equal(snap.total, 0);
  assert_int_equal(snap.filtered, 0);
  assert_int_equal(snap.count, 0);
  assert_int_equal(art_monitor_snapshot_alloc(noop, &snap), 0);
  assert_null(snap.events);
  art_event_snapshot_free(&snap);
  assert_int_equal(art_monitor_reset(noop), 0);
  assert_int_equal(art_monitor_set_filter(noop, ART_EVENT_FAMILY_ALL, ART_SEVERITY_TRACE),
                   ART_EPERM);
  assert_int_equal(art_monitor_set_enabled(noop, true), ART_EPERM);
  assert_false(art_monitor_wants(noop, ART_EVENT_FAMILY_ACTOR, ART_SEVERITY_CRITICAL));
  art_monitor_destroy(noop); /* does nothing */
  assert_false(
      art_monitor_wants(art_monitor_noop(), ART_EVENT_FAMILY_ACTOR, ART_SEVERITY_CRITICAL));
}

/* ---- a user monitor through the ops table --------------------------------------------------- */

/* Keeps the kinds it is given, as a forwarder to syslog or a socket would see them. */
typedef struct forwarder {
  pthread_mutex_t lock;
  art_event_kind kinds[16];
  size_t count;
  int resets;
  int *destroyed;
} forwarder;

static int forwarder_record(void *self, const art_event *ev) {
  forwarder *f = self;
  pthread_mutex_lock(&f->lock);
  if (f->count < 16)
    f->kinds[f->count++] = (art_event_kind)ev->kind;
  pthread_mutex_unlock(&f->lock);
  return ev->kind == ART_EVENT_BROKER_ROUTING_FAILED ? ART_EAGAIN : 0;
}

static int forwarder_snapshot(void *self, art_event_snapshot *snap, art_event *events,
                              size_t capacity) {
  forwarder *f = self;
  pthread_mutex_lock(&f->lock);
  snap->total = f->count;
  snap->history_capacity = 16;
  for (size_t i = 0; i < f->count && i < capacity; i++) {
    art_event_init(&events[i], f->kinds[i], ART_SEVERITY_INFO);
    snap->count++;
  }
  pthread_mutex_unlock(&f->lock);
  return 0;
}

static int forwarder_reset(void *self) {
  forwarder *f = self;
  pthread_mutex_lock(&f->lock);
  f->count = 0;
  f->resets++;
  pthread_mutex_unlock(&f->lock);
  return 0;
}

static void forwarder_destroy(void *self) {
  forwarder *f = self;
  (*f->destroyed)++;
  pthread_mutex_destroy(&f->lock);
  free(f);
}

static const art_monitor_ops forwarder_ops = {
    .record = forwarder_record,
    .snapshot = forwarder_snapshot,
    .reset = forwarder_reset,
    .destroy = forwarder_destroy,
};

static void user_monitor_through_the_ops_table(void **state) {
  (void)state;
  int destroyed = 0;
  forwarder *f = calloc(1, sizeof *f);
  assert_non_null(f);
  pthread_mutex_init(&f->lock, NULL);
  f->destroyed = &destroyed;

  art_test_alloc ta;
  art_test_alloc_init(&ta);
  art_monitor_config cfg;
  art_monitor_config_init(&cfg);
  cfg.family_mask = ART_EVENT_FAMILY_BIT(ART_EVENT_FAMILY_BROKER);
  cfg.allocator = art_test_alloc_allocator(&ta);
  art_event_monitor *mon = NULL;
  assert_int_equal(art_monitor_create(&mon, NULL, f, &cfg), ART_EINVAL);
  static const art_monitor_ops no_record = {.reset = forwarder_reset};
  assert_int_equal(art_monitor_create(&mon, &no_record, f, &cfg), ART_EINVAL);
  art_test_alloc_fail_at(&ta, 1);
  assert_int_equal(art_monitor_create(&mon, &forwarder_ops, f, &cfg), ART_ENOMEM);
  assert_int_equal(destroyed, 0); /* on failure nothing is owned */
  assert_int_equal(art_monitor_create(&mon, &forwarder_ops, f, &cfg), 0);

  assert_true(art_monitor_wants(mon, ART_EVENT_FAMILY_BROKER, ART_SEVERITY_INFO));
  assert_false(art_monitor_wants(mon, ART_EVENT_FAMILY_ACTOR, ART_SEVERITY_CRITICAL));
  record(mon, ART_EVENT_BROKER_MESSAGE_PUBLISHED, ART_SEVERITY_INFO, 0);
  record(mon, ART_EVENT_ACTOR_SPAWNED, ART_SEVERITY_INFO, 0);            /* filtered */
  record(mon, ART_EVENT_BROKER_SUBSCRIBER_ADDED, ART_SEVERITY_DEBUG, 0); /* filtered */
  record(mon, ART_EVENT_BROKER_DEAD_LETTER, ART_SEVERITY_WARNING, 0);
  /* The implementation's error comes back to the caller. */
  art_event ev = make_event(ART_EVENT_BROKER_ROUTING_FAILED, ART_SEVERITY_WARNING, 0);
  assert_int_equal(art_monitor_record(mon, &ev), ART_EAGAIN);
  /* The front-end checks events before the implementation sees them. */
  ev.kind = 0x3FF; /* in the broker family, but not a kind */
  assert_int_equal(art_monitor_record(mon, &ev), ART_EINVAL);
  assert_int_equal(f->count, 3);
  assert_int_equal(f->kinds[0], ART_EVENT_BROKER_MESSAGE_PUBLISHED);
  assert_int_equal(f->kinds[1], ART_EVENT_BROKER_DEAD_LETTER);

  art_event_snapshot snap;
  assert_int_equal(art_monitor_snapshot_alloc(mon, &snap), 0);
  assert_int_equal(snap.total, 3);
  assert_int_equal(snap.filtered, 2);
  assert_int_equal(snap.count, 3);
  assert_int_equal(snap.events[2].kind, ART_EVENT_BROKER_ROUTING_FAILED);
  art_event_snapshot_free(&snap);

  assert_int_equal(art_monitor_reset(mon), 0);
  assert_int_equal(f->resets, 1);
  assert_int_equal(art_monitor_snapshot(mon, &snap, NULL, 0), 0);
  assert_int_equal(snap.filtered, 0);
  assert_int_equal(snap.total, 0);

  assert_int_equal(art_test_alloc_live(&ta), 1);
  art_monitor_destroy(mon);
  assert_int_equal(destroyed, 1);
  assert_int_equal(art_test_alloc_live(&ta), 0);
}

static int count_only_record(void *self, const art_event *ev) {
  (void)ev;
  (*(int *)self)++;
  return 0;
}

static void user_monitor_without_snapshot_cannot_report(void **state) {
  (void)state;
  static const art_monitor_ops ops = {.record = count_only_record};
  int recorded = 0;
  art_event_monitor *mon;
  assert_int_equal(art_monitor_create(&mon, &ops, &recorded, NULL), 0);
  record(mon, ART_EVENT_SYSTEM_STARTED, ART_SEVERITY_INFO, 0);
  record(mon, ART_EVENT_SYSTEM_STARTED, ART_SEVERITY_DEBUG, 0); /* default minimum: info */
  assert_int_equal(recorded, 1);
  art_event_snapshot snap;
  assert_int_equal(art_monitor_snapshot(mon, &snap, NULL, 0), ART_EPERM);
  assert_int_equal(art_monitor_snapshot_alloc(mon, &snap), ART_EPERM);
  assert_null(snap.events);
  assert_int_equal(art_monitor_reset(mon), 0); /* nothing to forget but the filtered count */
  art_monitor_destroy(mon);                    /* no destroy op: only the monitor is freed */
}

/* ---- the event-site macro ------------------------------------------------------------------- */

static int sites_built;

static void event_site_builds_only_when_wanted(void **state) {
  (void)state;
  art_event_monitor *mon = make_monitor(8, ART_SEVERITY_INFO);
  sites_built = 0;
  ART_MONITOR_EVENT(mon, ART_EVENT_SUPERVISION_CHILD_FAILED, ART_SEVERITY_ERROR, ev, {
    sites_built++;
    ev.pid = 5;
    ev.error_code = ART_EINVAL;
    ev.restart_count = 2;
    art_event_copy_text(ev.child_id, sizeof ev.child_id, "db");
  });
  /* Below the minimum severity, and no monitor at all: never built. */
  ART_MONITOR_EVENT(mon, ART_EVENT_ACTOR_MESSAGE_RECEIVED, ART_SEVERITY_TRACE, ev,
                    { sites_built++; });
  ART_MONITOR_EVENT(NULL, ART_EVENT_ACTOR_SPAWNED, ART_SEVERITY_CRITICAL, ev, { sites_built++; });
  assert_int_equal(sites_built, 1);
  assert_true(ART_MONITOR_WANTS(mon, ART_EVENT_SUPERVISION_CHILD_FAILED, ART_SEVERITY_ERROR));
  assert_false(ART_MONITOR_WANTS(mon, ART_EVENT_ACTOR_MESSAGE_RECEIVED, ART_SEVERITY_TRACE));

  art_event events[8];
  art_event_snapshot snap;
  assert_int_equal(art_monitor_snapshot(mon, &snap, events, 8), 0);
  assert_int_equal(snap.total, 1);
  assert_int_equal(snap.filtered, 0); /* the site never called record */
  assert_int_equal(events[0].kind, ART_EVENT_SUPERVISION_CHILD_FAILED);
  assert_int_equal(events[0].family, ART_EVENT_FAMILY_SUPERVISION);
  assert_int_equal(events[0].pid, 5);
  assert_int_equal(events[0].restart_count, 2);
  assert_string_equal(events[0].child_id, "db");
  assert_true(events[0].timestamp > 0);
  art_monitor_destroy(mon);
}

static int off_monitor_calls;

static art_event_monitor *off_get_monitor(void) {
  off_monitor_calls++;
  return art_monitor_noop();
}

static void event_site_compiles_away_when_monitoring_is_off(void **state) {
  (void)state;
  int built = 0;
  off_monitor_calls = 0;
  assert_int_equal(monitor_off_site(off_get_monitor, &built), 0);
  assert_int_equal(built, 0);
  assert_int_equal(off_monitor_calls, 0);
}

/* ---- four threads at once ------------------------------------------------------------------- */

#define WRITERS 4

/* FNV-1a over the event with seq and user zeroed: what the writer put in. */
static uint64_t event_checksum(const art_event *ev) {
  art_event copy = *ev;
  copy.seq = 0;
  copy.user = 0;
  const unsigned char *bytes = (const unsigned char *)&copy;
  uint64_t h = UINT64_C(0xcbf29ce484222325);
  for (size_t i = 0; i < sizeof copy; i++) {
    h ^= bytes[i];
    h *= UINT64_C(0x100000001b3);
  }
  return h | 1; /* never 0 */
}

static const art_event_kind writer_kinds[] = {
    ART_EVENT_SUPERVISION_CHILD_RESTARTED, ART_EVENT_ACTOR_MESSAGE_PROCESSED,
    ART_EVENT_SYSTEM_ACTOR_REGISTERED,     ART_EVENT_BROKER_MESSAGE_ROUTED,
    ART_EVENT_MAILBOX_MESSAGE_ENQUEUED,
};
#define WRITER_KINDS (sizeof writer_kinds / sizeof writer_kinds[0])

typedef struct writer {
  art_event_monitor *mon;
  unsigned id;
  uint64_t events;
  atomic_bool *go;
  int errors;
} writer;

/* The i-th event of writer @p id; every field depends on both, and the text varies in length. */
static void writer_event(art_event *ev, unsigned id, uint64_t i) {
  art_event_kind kind = writer_kinds[(i + id) % WRITER_KINDS];
  art_event_init(ev, kind, (art_severity)(i % ART_SEVERITY_COUNT));
  ev->pid = (uint64_t)id << 32 | (i + 1);
  ev->other = ~ev->pid;
  ev->count = i * 7 + id;
  ev->capacity = i ^ 0x5555;
  ev->duration_ns = (int64_t)(i * 1000 + id);
  ev->restart_count = (uint32_t)i;
  ev->error_code = -(int32_t)(i % 100);
  char text[ART_EVENT_TEXT_MAX];
  snprintf(text, sizeof text, "writer %u event %llu %.*s", id, (unsigned long long)i, (int)(i % 60),
           "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
  art_event_copy_text(ev->text, sizeof ev->text, text);
  snprintf(text, sizeof text, "name-%u-%llu", id, (unsigned long long)(i * 31));
  art_event_copy_text(ev->name, sizeof ev->name, text);
  ev->user = event_checksum(ev);
}

static void *writer_main(void *arg) {
  writer *w = arg;
  while (!atomic_load(w->go)) {
  }
  art_event ev;
  for (uint64_t i = 0; i < w->events; i++) {
    writer_event(&ev, w->id, i);
    if (art_monitor_record(w->mon, &ev) != 0)
      w->errors++;
  }
  return NULL;
}

/* Checks every event of a snapshot: whole (checksum), in sequence order, and in each writer's
 * own order. Returns the number of bad events. */
static size_t check_events(const art_event_snapshot *snap) {
  size_t bad = 0;
  uint64_t last_seq = 0;
  uint64_t last_of_writer[WRITERS] = {0};
  for (size_t i = 0; i < snap->count; i++) {
    const art_event *ev = &snap->events[i];
    if (ev->user != event_checksum(ev))
      bad++;
    if (i > 0 && ev->seq <= last_seq)
      bad++;
    last_seq = ev->seq;
    unsigned id = (unsigned)(ev->pid >> 32);
    uint64_t n = ev->pid & 0xffffffffu;
    if (id >= WRITERS || n <= last_of_writer[id])
      bad++;
    else
      last_of_writer[id] = n;
  }
  return bad;
}

/* A small history, so that writers lap the snapshot that is reading it as often as possible. */
#define HISTORY 16

static void four_threads_record_exact_counts_and_whole_records(void **state) {
  (void)state;
  const uint64_t per_writer = 50000;
  art_event_monitor *mon = make_monitor(HISTORY, ART_SEVERITY_TRACE);
  atomic_bool go = false;
  writer writers[WRITERS];
  pthread_t threads[WRITERS];
  for (unsigned i = 0; i < WRITERS; i++) {
    writers[i] = (writer){.mon = mon, .id = i, .events = per_writer, .go = &go};
    assert_int_equal(pthread_create(&threads[i], NULL, writer_main, &writers[i]), 0);
  }
  atomic_store(&go, true);

  /* Snapshots taken while the writers run: each event in them must be whole and in order. */
  art_event events[HISTORY];
  size_t snapshots = 0, seen = 0, bad = 0;
  art_event_snapshot snap;
  do {
    assert_int_equal(art_monitor_snapshot(mon, &snap, events, HISTORY), 0);
    bad += check_events(&snap);
    seen += snap.count;
    snapshots++;
  } while (snap.total < WRITERS * per_writer);
  for (unsigned i = 0; i < WRITERS; i++) {
    assert_int_equal(pthread_join(threads[i], NULL), 0);
    assert_int_equal(writers[i].errors, 0);
  }
  assert_int_equal(bad, 0);
  assert_true(snapshots > 0);
  print_message("%zu snapshots while recording, %zu events checked\n", snapshots, seen);

  /* Exact counts. */
  assert_int_equal(art_monitor_snapshot(mon, &snap, events, HISTORY), 0);
  assert_int_equal(check_events(&snap), 0);
  assert_int_equal(snap.total, WRITERS * per_writer);
  assert_int_equal(snap.filtered, 0);
  uint64_t by_kind[ART_EVENT_KIND_COUNT] = {0}, by_severity[ART_SEVERITY_COUNT] = {0};
  for (unsigned id = 0; id < WRITERS; id++) {
    for (uint64_t i = 0; i < per_writer; i++) {
      by_kind[art_event_kind_index(writer_kinds[(i + id) % WRITER_KINDS])]++;
      by_severity[i % ART_SEVERITY_COUNT]++;
    }
  }
  for (int k = 0; k < ART_EVENT_KIND_COUNT; k++)
    assert_int_equal(snap.by_kind[k], by_kind[k]);
  for (int s = 0; s < ART_SEVERITY_COUNT; s++)
    assert_int_equal(snap.by_severity[s], by_severity[s]);
  /* Every position is either in the history, pushed out, or lost to a lapped slot. */
  assert_int_equal(snap.history_dropped, WRITERS * per_writer - HISTORY);
  /* Quiet now: a position of the last HISTORY is missing only if its writer lost its slot. */
  assert_int_equal(snap.count + snap.history_skipped, HISTORY);
  assert_true(snap.history_skipped <= snap.history_lost);
  if (snap.count == HISTORY)
    assert_int_equal(events[HISTORY - 1].seq, WRITERS * per_writer - 1);
  art_monitor_destroy(mon);
}

/* Snapshots, resets and filter changes racing with writers: whole records, no crash, and the
 * sanitizers watching. */
static void reset_and_filter_changes_race_with_writers(void **state) {
  (void)state;
  const uint64_t per_writer = 5000;
  art_event_monitor *mon = make_monitor(32, ART_SEVERITY_TRACE);
  atomic_bool go = false;
  writer writers[WRITERS];
  pthread_t threads[WRITERS];
  for (unsigned i = 0; i < WRITERS; i++) {
    writers[i] = (writer){.mon = mon, .id = i, .events = per_writer, .go = &go};
    assert_int_equal(pthread_create(&threads[i], NULL, writer_main, &writers[i]), 0);
  }
  atomic_store(&go, true);
  art_event events[32];
  art_event_snapshot snap;
  size_t bad = 0;
  for (int round = 0; round < 200; round++) {
    assert_int_equal(art_monitor_snapshot(mon, &snap, events, 32), 0);
    bad += check_events(&snap);
    if (round % 10 == 0)
      assert_int_equal(art_monitor_reset(mon), 0);
    if (round % 7 == 0)
      assert_int_equal(art_monitor_set_filter(mon, ART_EVENT_FAMILY_ALL,
                                              (art_severity)(round % ART_SEVERITY_COUNT)),
                       0);
  }
  for (unsigned i = 0; i < WRITERS; i++) {
    assert_int_equal(pthread_join(threads[i], NULL), 0);
    assert_int_equal(writers[i].errors, 0);
  }
  assert_int_equal(bad, 0);
  /* Quiet now: counts add up with the filtered ones, whatever the resets forgot. */
  assert_int_equal(art_monitor_reset(mon), 0);
  assert_int_equal(art_monitor_set_filter(mon, ART_EVENT_FAMILY_ALL, ART_SEVERITY_ERROR), 0);
  for (uint64_t i = 0; i < 12; i++) {
    art_event ev;
    writer_event(&ev, 0, i);
    assert_int_equal(art_monitor_record(mon, &ev), 0);
  }
  assert_int_equal(art_monitor_snapshot(mon, &snap, events, 32), 0);
  assert_int_equal(snap.total, 4); /* severities i % 6 in {4, 5} */
  assert_int_equal(snap.filtered, 8);
  assert_int_equal(snap.count, 4);
  assert_int_equal(check_events(&snap), 0);
  art_monitor_destroy(mon);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(names_cover_every_family_kind_and_severity),
      cmocka_unit_test(kinds_have_sensible_default_severities),
      cmocka_unit_test(event_init_fills_kind_family_severity_and_time),
      cmocka_unit_test(copy_text_truncates_at_a_character_boundary),
      cmocka_unit_test(config_defaults_and_bad_arguments),
      cmocka_unit_test(allocation_failures_leak_nothing),
      cmocka_unit_test(snapshot_counts_and_orders_what_was_recorded),
      cmocka_unit_test(snapshot_storage_smaller_than_history_gets_the_newest),
      cmocka_unit_test(ring_overflow_drops_the_oldest_and_keeps_order),
      cmocka_unit_test(history_capacity_zero_keeps_counters_only),
      cmocka_unit_test(invalid_events_are_refused_and_not_counted),
      cmocka_unit_test(severity_filter_counts_what_it_rejects),
      cmocka_unit_test(family_mask_selects_families),
      cmocka_unit_test(disabled_monitor_wants_nothing_and_keeps_its_settings),
      cmocka_unit_test(reset_zeroes_counters_and_history),
      cmocka_unit_test(noop_monitor_wants_records_and_counts_nothing),
      cmocka_unit_test(user_monitor_through_the_ops_table),
      cmocka_unit_test(user_monitor_without_snapshot_cannot_report),
      cmocka_unit_test(event_site_builds_only_when_wanted),
      cmocka_unit_test(event_site_compiles_away_when_monitoring_is_off),
      cmocka_unit_test(four_threads_record_exact_counts_and_whole_records),
      cmocka_unit_test(reset_and_filter_changes_race_with_writers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
