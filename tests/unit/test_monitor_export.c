/*
 * Unit tests of the monitor's export formats: RFC 3339 times, events and snapshots as JSON
 * (parsed back with jansson, a real JSON parser; the library itself does not use it), string
 * escaping and UTF-8 repair, the snprintf-style buffer contract, and the Prometheus text format
 * (checked by `promtool check metrics` when promtool is installed; skipped otherwise).
 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "art.h"
#include "monitor/monitor.h"
#include "test_support.h"

#include <cmocka.h>

#ifndef ART_TEST_PROMTOOL
#define ART_TEST_PROMTOOL ""
#endif

/* Serialises @p ev and parses it back; fails the test if the output is not JSON. */
static json_t *event_json(const art_event *ev) {
  int n = art_event_to_json(ev, NULL, 0);
  assert_true(n > 0);
  char *text = malloc((size_t)n + 1);
  assert_non_null(text);
  assert_int_equal(art_event_to_json(ev, text, (size_t)n + 1), n);
  assert_int_equal(strlen(text), n);
  json_error_t error;
  json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &error);
  if (!root)
    print_error("not JSON (%s at %d): %s\n", error.text, error.position, text);
  assert_non_null(root);
  assert_true(json_is_object(root));
  free(text);
  return root;
}

static const char *string_of(json_t *obj, const char *key) {
  json_t *value = json_object_get(obj, key);
  if (!json_is_string(value))
    print_error("\"%s\" is not a string\n", key);
  assert_true(json_is_string(value));
  return json_string_value(value);
}

static json_int_t integer_of(json_t *obj, const char *key) {
  json_t *value = json_object_get(obj, key);
  if (!json_is_integer(value))
    print_error("\"%s\" is not an integer\n", key);
  assert_true(json_is_integer(value));
  return json_integer_value(value);
}

/* ---- times ---------------------------------------------------------------------------------- */

static void rfc3339_times(void **state) {
  (void)state;
  static const struct {
    int64_t ns;
    const char *text;
  } cases[] = {
      {0, "1970-01-01T00:00:00.000000000Z"},
      {1, "1970-01-01T00:00:00.000000001Z"},
      {-1, "1969-12-31T23:59:59.999999999Z"},
      {1759753696123456789, "2025-10-06T12:28:16.123456789Z"},
      {951782400000000000, "2000-02-29T00:00:00.000000000Z"}, /* a leap day */
      {INT64_MIN, "1677-09-21T00:12:43.145224192Z"},
      {INT64_MAX, "2262-04-11T23:47:16.854775807Z"},
  };
  char buf[64];
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    assert_int_equal(art_time_format_rfc3339(cases[i].ns, buf, sizeof buf), 30);
    assert_string_equal(buf, cases[i].text);
  }
  /* Against gmtime_r over the whole range of int64 nanoseconds. */
  art_test_rng rng;
  art_test_rng_init(&rng, 42);
  for (int i = 0; i < 20000; i++) {
    int64_t ns = (int64_t)art_test_rng_next(&rng);
    int64_t secs = ns / 1000000000, frac = ns % 1000000000;
    if (frac < 0) {
      frac += 1000000000;
      secs--;
    }
    time_t t = (time_t)secs;
    struct tm tm;
    assert_non_null(gmtime_r(&t, &tm));
    char expected[64];
    size_t len = strftime(expected, sizeof expected, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(expected + len, sizeof expected - len, ".%09lldZ", (long long)frac);
    assert_int_equal(art_time_format_rfc3339(ns, buf, sizeof buf), 30);
    assert_string_equal(buf, expected);
  }
  /* snprintf-style. */
  assert_int_equal(art_time_format_rfc3339(0, NULL, 0), 30);
  assert_int_equal(art_time_format_rfc3339(0, buf, 5), 30);
  assert_string_equal(buf, "1970");
  assert_int_equal(art_time_format_rfc3339(0, NULL, 5), ART_EINVAL);
}

/* ---- events --------------------------------------------------------------------------------- */

static void every_kind_serialises_to_json_with_its_fields(void **state) {
  (void)state;
  for (int k = 0; k < ART_EVENT_KIND_COUNT; k++) {
    art_event_kind kind = art_event_kind_at(k);
    art_event ev;
    art_event_init(&ev, kind, art_event_kind_severity(kind));
    ev.seq = 1000 + (uint64_t)k;
    ev.pid = 4294967297; /* slot 1, generation 1 */
    ev.other = 8589934594;
    ev.count = 3;
    ev.error_code = ART_ETIMEDOUT;
    ev.reason = 3; /* error */
    ev.restart_count = 2;
    ev.capacity = 64;
    ev.duration_ns = 1500;
    art_event_copy_text(ev.name, sizeof ev.name, "name");
    art_event_copy_text(ev.text, sizeof ev.text, "text");
    json_t *root = event_json(&ev);
    assert_int_equal(integer_of(root, "seq"), 1000 + k);
    assert_int_equal(integer_of(root, "timestamp_ns"), ev.timestamp);
    char time[32];
    art_time_format_rfc3339(ev.timestamp, time, sizeof time);
    assert_string_equal(string_of(root, "timestamp"), time);
    assert_string_equal(string_of(root, "family"),
                        art_event_family_name(ART_EVENT_KIND_FAMILY(kind)));
    assert_string_equal(string_of(root, "kind"), art_event_kind_name(kind));
    assert_string_equal(string_of(root, "severity"),
                        art_severity_name(art_event_kind_severity(kind)));
    assert_string_equal(string_of(root, "pid"), "4294967297");

    /* The fields the kind uses, under its keys; everything set appears somewhere. */
    const art__event_meta *meta = art__event_meta_of((unsigned)kind);
    assert_non_null(meta);
    assert_string_equal(string_of(root, meta->other_key ? meta->other_key : "other"), "8589934594");
    assert_string_equal(string_of(root, meta->name_key ? meta->name_key : "name"), "name");
    assert_int_equal(integer_of(root, meta->count_key ? meta->count_key : "count"), 3);
    const char *text_key = (meta->fields & ART__FIELD_ERROR) ? "error"
                           : meta->text_key                  ? meta->text_key
                                                             : "detail";
    assert_string_equal(string_of(root, text_key), "text");
    assert_int_equal(integer_of(root, "error_code"), ART_ETIMEDOUT);
    assert_string_equal(string_of(root, "error_name"), "ART_ETIMEDOUT");
    assert_int_equal(integer_of(root, "restart_count"), 2);
    assert_int_equal(integer_of(root, "capacity"), 64);
    assert_int_equal(integer_of(root, "duration_ns"), 1500);
    if (meta->fields & ART__FIELD_REASON)
      assert_string_equal(string_of(root, "reason"), "error");
    else
      assert_null(json_object_get(root, "reason"));
    assert_null(json_object_get(root, "user")); /* 0: left out */
    json_decref(root);
  }
}

static void unset_fields_are_left_out_and_kind_fields_kept(void **state) {
  (void)state;
  art_event ev;
  art_event_init(&ev, ART_EVENT_SUPERVISION_CHILD_FAILED, ART_SEVERITY_ERROR);
  ev.user = UINT64_MAX;
  json_t *root = event_json(&ev);
  /* child_failed uses these: present even when zero. */
  assert_true(json_is_null(json_object_get(root, "supervisor")));
  assert_string_equal(string_of(root, "child_id"), "");
  assert_string_equal(string_of(root, "reason"), "normal");
  assert_int_equal(integer_of(root, "error_code"), 0);
  assert_string_equal(string_of(root, "error_name"), "ART_OK");
  assert_int_equal(integer_of(root, "restart_count"), 0);
  assert_string_equal(string_of(root, "error"), "");
  /* It does not use these, and they are not set. */
  assert_null(json_object_get(root, "pid"));
  assert_null(json_object_get(root, "capacity"));
  assert_null(json_object_get(root, "duration_ns"));
  assert_null(json_object_get(root, "strategy"));
  assert_null(json_object_get(root, "count"));
  /* 64-bit values beyond a double's 53 bits survive as strings. */
  assert_string_equal(string_of(root, "user"), "18446744073709551615");
  json_decref(root);

  art_event_init(&ev, ART_EVENT_SUPERVISION_STRATEGY_APPLIED, ART_SEVERITY_INFO);
  art_event_copy_text(ev.strategy, sizeof ev.strategy, "rest_for_one");
  ev.count = 3;
  root = event_json(&ev);
  assert_string_equal(string_of(root, "strategy"), "rest_for_one");
  assert_int_equal(integer_of(root, "children"), 3);
  json_decref(root);

  art_event_init(&ev, ART_EVENT_MAILBOX_BACKPRESSURE_APPLIED, ART_SEVERITY_WARNING);
  ev.count = 100;
  ev.capacity = 100;
  ev.other = UINT64_MAX;
  root = event_json(&ev);
  assert_int_equal(integer_of(root, "queue_size"), 100);
  assert_int_equal(integer_of(root, "capacity"), 100);
  assert_string_equal(string_of(root, "sender"), "18446744073709551615");
  json_decref(root);
}

static void strings_are_escaped_and_invalid_utf8_replaced(void **state) {
  (void)state;
  /* Quotes, backslashes, every control character and DEL, and valid UTF-8. */
  char text[ART_EVENT_TEXT_MAX];
  size_t n = 0;
  const char *head = "say \"hi\" C:\\path\\ ";
  memcpy(text, head, strlen(head));
  n += strlen(head);
  for (int c = 1; c < 0x20; c++)
    text[n++] = (char)c;
  text[n++] = 0x7F;
  const char *tail = " \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
  memcpy(text + n, tail, strlen(tail) + 1);
  assert_true(strlen(text) < sizeof text);

  art_event ev;
  art_event_init(&ev, ART_EVENT_ACTOR_ERROR_OCCURRED, ART_SEVERITY_ERROR);
  memcpy(ev.text, text, strlen(text) + 1);
  json_t *root = event_json(&ev);
  assert_string_equal(string_of(root, "error"), text);
  json_decref(root);

  /* The raw output uses the short escapes where JSON has them. */
  char out[1024];
  assert_true(art_event_to_json(&ev, out, sizeof out) < (int)sizeof out);
  assert_non_null(strstr(out, "say \\\"hi\\\" C:\\\\path\\\\ "));
  assert_non_null(strstr(out, "\\u0001\\u0002"));
  assert_non_null(strstr(out, "\\b\\t\\n\\u000b\\f\\r\\u000e"));
  assert_non_null(strstr(out, "\\u001f\\u007f"));

  /* Invalid UTF-8: one U+FFFD per bad byte. */
  static const struct {
    const char *in;
    const char *out;
  } bad[] = {
      {"a\xff"
       "b",
       "a\xef\xbf\xbd"
       "b"}, /* a byte never in UTF-8 */
      {"a\x80"
       "b",
       "a\xef\xbf\xbd"
       "b"},                                                    /* a stray continuation */
      {"\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd"},                 /* overlong '/' */
      {"\xe0\x80\xaf", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* overlong, 3 bytes */
      {"\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* a surrogate */
      {"\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* above U+10FFFF */
      {"x\xe2\x82", "x\xef\xbf\xbd\xef\xbf\xbd"}, /* cut short at the end */
      {"\xe2\x82x", "\xef\xbf\xbd\xef\xbf\xbdx"}, /* cut short by ASCII */
      {"\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf"},   /* U+10FFFF itself is fine */
      {"\xed\x9f\xbf", "\xed\x9f\xbf"},           /* U+D7FF is fine */
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    art_event_init(&ev, ART_EVENT_SYSTEM_ACTOR_REGISTERED, ART_SEVERITY_DEBUG);
    memcpy(ev.name, bad[i].in, strlen(bad[i].in) + 1);
    root = event_json(&ev);
    assert_string_equal(string_of(root, "name"), bad[i].out);
    json_decref(root);
  }

  /* A text field that fills its array has no NUL: it ends at the end of the array. */
  art_event_init(&ev, ART_EVENT_BROKER_SUBSCRIBER_ADDED, ART_SEVERITY_DEBUG);
  memset(ev.topic, 'a', sizeof ev.topic);
  memset(ev.text, 'b', sizeof ev.text);
  root = event_json(&ev);
  assert_int_equal(strlen(string_of(root, "topic")), sizeof ev.topic);
  assert_int_equal(strlen(string_of(root, "detail")), sizeof ev.text);
  json_decref(root);
}

static void json_output_follows_snprintf(void **state) {
  (void)state;
  art_event ev;
  art_event_init(&ev, ART_EVENT_SUPERVISION_CHILD_STOPPED, ART_SEVERITY_INFO);
  art_event_copy_text(ev.child_id, sizeof ev.child_id, "child \"one\"");
  int n = art_event_to_json(&ev, NULL, 0);
  assert_true(n > 100);
  char *full = malloc((size_t)n + 1);
  char *part = malloc((size_t)n + 1);
  assert_int_equal(art_event_to_json(&ev, full, (size_t)n + 1), n);
  for (size_t len = 1; len <= (size_t)n + 1; len++) {
    memset(part, 'X', (size_t)n + 1);
    assert_int_equal(art_event_to_json(&ev, part, len), n);
    assert_int_equal(strlen(part), len - 1);
    assert_memory_equal(part, full, len - 1);
  }
  assert_int_equal(art_event_to_json(NULL, part, 10), ART_EINVAL);
  assert_int_equal(art_event_to_json(&ev, NULL, 10), ART_EINVAL);
  free(full);
  free(part);
}

/* ---- snapshots ------------------------------------------------------------------------------ */

static void snapshot_serialises_to_json(void **state) {
  (void)state;
  art_monitor_config cfg;
  art_monitor_config_init(&cfg);
  cfg.history_capacity = 4;
  cfg.min_severity = ART_SEVERITY_DEBUG;
  art_event_monitor *mon;
  assert_int_equal(art_memory_monitor_create(&mon, &cfg), 0);
  for (uint64_t i = 0; i < 6; i++) {
    art_event ev;
    art_event_init(&ev, i % 2 ? ART_EVENT_ACTOR_SPAWNED : ART_EVENT_BROKER_DEAD_LETTER,
                   i % 2 ? ART_SEVERITY_DEBUG : ART_SEVERITY_WARNING);
    ev.count = i;
    art_event_copy_text(ev.text, sizeof ev.text, "line\nbreak \"quoted\"");
    assert_int_equal(art_monitor_record(mon, &ev), 0);
  }
  art_event ev;
  art_event_init(&ev, ART_EVENT_ACTOR_MESSAGE_RECEIVED, ART_SEVERITY_TRACE);
  assert_int_equal(art_monitor_record(mon, &ev), 0); /* filtered */

  art_event_snapshot snap;
  assert_int_equal(art_monitor_snapshot_alloc(mon, &snap), 0);
  int n = art_event_snapshot_to_json(&snap, NULL, 0);
  assert_true(n > 0);
  char *text = malloc((size_t)n + 1);
  assert_int_equal(art_event_snapshot_to_json(&snap, text, (size_t)n + 1), n);
  json_error_t error;
  json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &error);
  if (!root)
    print_error("not JSON (%s at %d): %s\n", error.text, error.position, text);
  assert_non_null(root);
  char time[32];
  art_time_format_rfc3339(snap.timestamp, time, sizeof time);
  assert_string_equal(string_of(root, "timestamp"), time);
  assert_int_equal(integer_of(root, "total"), 6);
  assert_int_equal(integer_of(root, "filtered"), 1);
  json_t *history = json_object_get(root, "history");
  assert_int_equal(integer_of(history, "capacity"), 4);
  assert_int_equal(integer_of(history, "size"), 4);
  assert_int_equal(integer_of(history, "dropped"), 2);
  assert_int_equal(integer_of(history, "lost"), 0);
  assert_int_equal(integer_of(history, "skipped"), 0);
  json_t *severity = json_object_get(root, "by_severity");
  assert_int_equal(json_object_size(severity), ART_SEVERITY_COUNT);
  assert_int_equal(integer_of(severity, "debug"), 3);
  assert_int_equal(integer_of(severity, "warning"), 3);
  assert_int_equal(integer_of(severity, "trace"), 0);
  json_t *family = json_object_get(root, "by_family");
  assert_int_equal(json_object_size(family), ART_EVENT_FAMILY_COUNT);
  assert_int_equal(integer_of(family, "actor"), 3);
  assert_int_equal(integer_of(family, "broker"), 3);
  json_t *by_kind = json_object_get(root, "by_kind");
  assert_int_equal(json_object_size(by_kind), ART_EVENT_FAMILY_COUNT);
  size_t kinds = 0;
  const char *name;
  json_t *value;
  json_object_foreach(by_kind, name, value) {
    kinds += json_object_size(value);
  }
  assert_int_equal(kinds, ART_EVENT_KIND_COUNT);
  assert_int_equal(integer_of(json_object_get(by_kind, "actor"), "spawned"), 3);
  assert_int_equal(integer_of(json_object_get(by_kind, "broker"), "dead_letter"), 3);
  assert_int_equal(integer_of(json_object_get(by_kind, "supervision"), "child_degraded"), 0);
  json_t *events = json_object_get(root, "events");
  assert_int_equal(json_array_size(events), 4);
  for (size_t i = 0; i < 4; i++) {
    json_t *event = json_array_get(events, i);
    assert_int_equal(integer_of(event, "seq"), 2 + i);
    assert_string_equal(string_of(event, "kind"), i % 2 ? "spawned" : "dead_letter");
    assert_string_equal(string_of(event, "detail"), "line\nbreak \"quoted\"");
  }
  json_decref(root);

  /* Truncated output is a NUL-terminated prefix. */
  char small[16];
  assert_int_equal(art_event_snapshot_to_json(&snap, small, sizeof small), n);
  assert_memory_equal(small, text, sizeof small - 1);
  assert_int_equal(small[sizeof small - 1], '\0');
  free(text);

  /* An empty snapshot is JSON too. */
  art_event_snapshot empty;
  memset(&empty, 0, sizeof empty);
  char buf[2048];
  n = art_event_snapshot_to_json(&empty, buf, sizeof buf);
  assert_true(n > 0 && n < (int)sizeof buf);
  root = json_loads(buf, 0, &error);
  assert_non_null(root);
  assert_int_equal(json_array_size(json_object_get(root, "events")), 0);
  json_decref(root);
  assert_int_equal(art_event_snapshot_to_json(NULL, buf, sizeof buf), ART_EINVAL);
  empty.count = 1; /* events NULL */
  assert_int_equal(art_event_snapshot_to_json(&empty, buf, sizeof buf), ART_EINVAL);

  art_event_snapshot_free(&snap);
  art_monitor_destroy(mon);
}

/* ---- Prometheus ----------------------------------------------------------------------------- */

static char *prometheus_text(const art_event_snapshot *snap) {
  int n = art_event_snapshot_to_prometheus(snap, NULL, 0);
  assert_true(n > 0);
  char *text = malloc((size_t)n + 1);
  assert_non_null(text);
  assert_int_equal(art_event_snapshot_to_prometheus(snap, text, (size_t)n + 1), n);
  return text;
}

static art_event_monitor *prometheus_monitor(void) {
  art_monitor_config cfg;
  art_monitor_config_init(&cfg);
  cfg.history_capacity = 2;
  art_event_monitor *mon;
  assert_int_equal(art_memory_monitor_create(&mon, &cfg), 0);
  static const struct {
    art_event_kind kind;
    art_severity severity;
  } events[] = {
      {ART_EVENT_ACTOR_SPAWNED, ART_SEVERITY_INFO},
      {ART_EVENT_ACTOR_SPAWNED, ART_SEVERITY_INFO},
      {ART_EVENT_ACTOR_SPAWNED, ART_SEVERITY_CRITICAL},
      {ART_EVENT_SUPERVISION_CHILD_FAILED, ART_SEVERITY_ERROR},
      {ART_EVENT_MAILBOX_MESSAGE_DROPPED, ART_SEVERITY_WARNING},
      {ART_EVENT_MAILBOX_MESSAGE_DROPPED, ART_SEVERITY_DEBUG}, /* filtered */
  };
  for (size_t i = 0; i < sizeof events / sizeof events[0]; i++) {
    art_event ev;
    art_event_init(&ev, events[i].kind, events[i].severity);
    ev.pid = 1000 + i; /* pids never become labels */
    assert_int_equal(art_monitor_record(mon, &ev), 0);
  }
  return mon;
}

static void prometheus_text_has_the_counters(void **state) {
  (void)state;
  art_event_monitor *mon = prometheus_monitor();
  art_event_snapshot snap;
  assert_int_equal(art_monitor_snapshot(mon, &snap, NULL, 0), 0);
  char *text = prometheus_text(&snap);
  static const char *const lines[] = {
      "# HELP art_monitor_events_total ",
      "# TYPE art_monitor_events_total counter\n",
      "\nart_monitor_events_total{family=\"actor\",kind=\"spawned\",severity=\"info\"} 2\n",
      "\nart_monitor_events_total{family=\"actor\",kind=\"spawned\",severity=\"critical\"} 1\n",
      "\nart_monitor_events_total{family=\"supervision\",kind=\"child_failed\",severity=\"error\"} "
      "1\n",
      "\nart_monitor_events_total{family=\"mailbox\",kind=\"message_dropped\","
      "severity=\"warning\"} 1\n",
      "# TYPE art_monitor_events_filtered_total counter\nart_monitor_events_filtered_total 1\n",
      "# TYPE art_monitor_history_dropped_total counter\nart_monitor_history_dropped_total 3\n",
      "# TYPE art_monitor_history_lost_total counter\nart_monitor_history_lost_total 0\n",
      "# TYPE art_monitor_history_capacity gauge\nart_monitor_history_capacity 2\n",
  };
  for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
    if (!strstr(text, lines[i]))
      print_error("missing %s in:\n%s", lines[i], text);
    assert_non_null(strstr(text, lines[i]));
  }
  /* Counters that are zero have no series; pids are no labels. */
  assert_null(strstr(text, "severity=\"debug\""));
  assert_null(strstr(text, "kind=\"started\""));
  assert_null(strstr(text, "pid"));
  assert_int_equal(text[strlen(text) - 1], '\n');

  /* snprintf-style. */
  char small[20];
  int n = (int)strlen(text);
  assert_int_equal(art_event_snapshot_to_prometheus(&snap, small, sizeof small), n);
  assert_memory_equal(small, text, sizeof small - 1);
  assert_int_equal(art_event_snapshot_to_prometheus(NULL, small, sizeof small), ART_EINVAL);
  assert_int_equal(art_event_snapshot_to_prometheus(&snap, NULL, 5), ART_EINVAL);
  free(text);
  art_monitor_destroy(mon);
}

static void prometheus_escapes_label_values_and_help(void **state) {
  (void)state;
  char buf[64];
  art__text t;
  art__text_init(&t, buf, sizeof buf);
  art__prometheus_escape(&t, "a\\b\"c\nd", true);
  assert_int_equal(art__text_finish(&t), 10);
  assert_string_equal(buf, "a\\\\b\\\"c\\nd");
  art__text_init(&t, buf, sizeof buf);
  art__prometheus_escape(&t, "a\\b\"c\nd", false); /* HELP: quotes stay */
  assert_int_equal(art__text_finish(&t), 9);
  assert_string_equal(buf, "a\\\\b\"c\\nd");
}

/* Runs promtool on @p text; returns its exit status and puts what it printed in @p out. */
static int promtool_check(const char *text, char *out, size_t len) {
  char path[] = "/tmp/art_test_metrics_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  size_t n = strlen(text);
  assert_int_equal(write(fd, text, n), (ssize_t)n);
  close(fd);
  char command[512];
  snprintf(command, sizeof command, "'%s' check metrics < '%s' 2>&1", ART_TEST_PROMTOOL, path);
  FILE *p = popen(command, "r");
  assert_non_null(p);
  size_t got = fread(out, 1, len - 1, p);
  out[got] = '\0';
  int status = pclose(p);
  unlink(path);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void prometheus_text_passes_promtool(void **state) {
  (void)state;
  if (ART_TEST_PROMTOOL[0] == '\0' || access(ART_TEST_PROMTOOL, X_OK) != 0) {
    print_message("promtool not found (Debian package prometheus, see scripts/deps.sh): "
                  "skipping the promtool check\n");
    skip();
  }
  char out[4096];
  /* promtool must be able to fail, or passing it proves nothing. */
  assert_int_not_equal(promtool_check("art_x_total{a=\"b} 1\n", out, sizeof out), 0);
  assert_int_not_equal(promtool_check("# TYPE x counter\nx 1\n", out, sizeof out), 0);

  art_event_monitor *mon = prometheus_monitor();
  art_event_snapshot snap;
  assert_int_equal(art_monitor_snapshot(mon, &snap, NULL, 0), 0);
  char *text = prometheus_text(&snap);
  int status = promtool_check(text, out, sizeof out);
  if (status != 0 || out[0])
    print_error("promtool (%d): %s\non:\n%s", status, out, text);
  assert_int_equal(status, 0);
  assert_string_equal(out, "");
  free(text);

  /* Every kind at every severity at once, and a freshly reset monitor with no series. */
  art_monitor_set_filter(mon, ART_EVENT_FAMILY_ALL, ART_SEVERITY_TRACE);
  for (int k = 0; k < ART_EVENT_KIND_COUNT; k++) {
    for (int s = 0; s < ART_SEVERITY_COUNT; s++) {
      art_event ev;
      art_event_init(&ev, art_event_kind_at(k), (art_severity)s);
      assert_int_equal(art_monitor_record(mon, &ev), 0);
    }
  }
  for (int round = 0; round < 2; round++) {
    assert_int_equal(art_monitor_snapshot(mon, &snap, NULL, 0), 0);
    text = prometheus_text(&snap);
    status = promtool_check(text, out, sizeof out);
    if (status != 0 || out[0])
      print_error("promtool (%d): %s\non:\n%s", status, out, text);
    assert_int_equal(status, 0);
    free(text);
    assert_int_equal(art_monitor_reset(mon), 0);
  }
  art_monitor_destroy(mon);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(rfc3339_times),
      cmocka_unit_test(every_kind_serialises_to_json_with_its_fields),
      cmocka_unit_test(unset_fields_are_left_out_and_kind_fields_kept),
      cmocka_unit_test(strings_are_escaped_and_invalid_utf8_replaced),
      cmocka_unit_test(json_output_follows_snprintf),
      cmocka_unit_test(snapshot_serialises_to_json),
      cmocka_unit_test(prometheus_text_has_the_counters),
      cmocka_unit_test(prometheus_escapes_label_values_and_help),
      cmocka_unit_test(prometheus_text_passes_promtool),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
