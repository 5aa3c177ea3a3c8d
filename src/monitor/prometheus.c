/*
 * The counters of a snapshot in the Prometheus text exposition format, version 0.0.4:
 * https://prometheus.io/docs/instrumenting/exposition_formats/
 *
 * Every metric family gets its HELP and TYPE lines, then its samples. Label values are escaped
 * (backslash, double quote, line feed), HELP text too (backslash, line feed), although every
 * value written today is a fixed snake_case name: the escaping is for names added later.
 */
#include <string.h>

#include "monitor/monitor.h"

void art__prometheus_escape(art__text *t, const char *s, bool label_value) {
  for (; *s; s++) {
    if (*s == '\\')
      art__text_append(t, "\\\\", 2);
    else if (*s == '\n')
      art__text_append(t, "\\n", 2);
    else if (*s == '"' && label_value)
      art__text_append(t, "\\\"", 2);
    else
      art__text_putc(t, *s);
  }
}

void art__prometheus_header(art__text *t, const char *name, const char *type, const char *help) {
  art__text_puts(t, "# HELP ");
  art__text_puts(t, name);
  art__text_putc(t, ' ');
  art__prometheus_escape(t, help, false);
  art__text_puts(t, "\n# TYPE ");
  art__text_puts(t, name);
  art__text_putc(t, ' ');
  art__text_puts(t, type);
  art__text_putc(t, '\n');
}

static void label(art__text *t, const char *name, const char *value, bool first) {
  if (!first)
    art__text_putc(t, ',');
  art__text_puts(t, name);
  art__text_append(t, "=\"", 2);
  art__prometheus_escape(t, value, true);
  art__text_putc(t, '"');
}

void art__prometheus_sample(art__text *t, const char *series, uint64_t value) {
  art__text_puts(t, series);
  art__text_putc(t, ' ');
  art__text_u64(t, value);
  art__text_putc(t, '\n');
}

void art__prometheus_snapshot(art__text *t, const art_event_snapshot *snap) {
  static const char events[] = "art_monitor_events_total";
  art__prometheus_header(
      t, events, "counter",
      "Events recorded by the monitor since its last reset, by family, kind and severity.");
  for (int k = 0; k < ART_EVENT_KIND_COUNT; k++) {
    art_event_kind kind = art_event_kind_at(k);
    for (int s = 0; s < ART_SEVERITY_COUNT; s++) {
      uint64_t n = snap->by_kind_severity[k][s];
      if (n == 0)
        continue;
      art__text_puts(t, events);
      art__text_putc(t, '{');
      label(t, "family", art_event_family_name(ART_EVENT_KIND_FAMILY(kind)), true);
      label(t, "kind", art_event_kind_name(kind), false);
      label(t, "severity", art_severity_name((art_severity)s), false);
      art__text_append(t, "} ", 2);
      art__text_u64(t, n);
      art__text_putc(t, '\n');
    }
  }

  art__prometheus_header(
      t, "art_monitor_events_filtered_total", "counter",
      "Events given to the monitor that its family or severity filter rejected.");
  art__prometheus_sample(t, "art_monitor_events_filtered_total", snap->filtered);
  art__prometheus_header(t, "art_monitor_history_dropped_total", "counter",
                         "Recorded events pushed out of the history by newer ones.");
  art__prometheus_sample(t, "art_monitor_history_dropped_total", snap->history_dropped);
  art__prometheus_header(
      t, "art_monitor_history_lost_total", "counter",
      "Recorded events that could not enter the history (a writer a whole lap behind held "
      "their slot).");
  art__prometheus_sample(t, "art_monitor_history_lost_total", snap->history_lost);
  art__prometheus_header(t, "art_monitor_history_capacity", "gauge",
                         "Events the history keeps at most.");
  art__prometheus_sample(t, "art_monitor_history_capacity", snap->history_capacity);
}

int art_event_snapshot_to_prometheus(const art_event_snapshot *snap, char *buf, size_t len) {
  if (!snap || (!buf && len))
    return ART_EINVAL;
  art__text t;
  art__text_init(&t, buf, len);
  art__prometheus_snapshot(&t, snap);
  return art__text_finish(&t);
}
