/*
 * Prometheus text for a system: the runtime's counters, then the monitor's event counters.
 * Metric names follow Prometheus' conventions (`_total` for counters, base units); there are
 * no pid labels, so the number of series does not grow with the number of actors.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "actor/actor.h"

typedef struct text_buf {
  char *buf;
  size_t len, used; /* used may pass len: the length the whole text needs */
} text_buf;

__attribute__((format(printf, 2, 3))) static void put(text_buf *t, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  size_t room = t->used < t->len ? t->len - t->used : 0;
  int n = vsnprintf(room ? t->buf + t->used : NULL, room, fmt, ap);
  va_end(ap);
  if (n > 0)
    t->used += (size_t)n;
}

static void metric(text_buf *t, const char *name, const char *type, const char *help,
                   uint64_t value) {
  put(t, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help, name, type, name,
      (unsigned long long)value);
}

static void raise_max(art__actor *a, void *arg) {
  uint64_t *max = arg;
  uint32_t hw = atomic_load_explicit(&a->high_water, memory_order_relaxed);
  *max = hw > *max ? hw : *max;
}

/* The largest mailbox high-water mark among living actors (a scan of the pid table). */
static uint64_t max_high_water(art_system *sys) {
  uint64_t max = 0;
  art__actor_for_each(sys, raise_max, &max);
  return max;
}

int art_system_metrics(art_system *sys, char *buf, size_t len) {
  if (!sys || (!buf && len))
    return ART_EINVAL;
  art_system_stats st;
  art_system_stats_get(sys, &st);
  text_buf t = {buf, len, 0};
  if (len)
    buf[0] = '\0';
  metric(&t, "art_workers", "gauge", "Worker threads.", st.workers);
  metric(&t, "art_actors_alive", "gauge", "Actors spawned and not yet exited.", st.actors_alive);
  metric(&t, "art_actors_spawned_total", "counter", "Actors spawned.", st.actors_spawned);
  metric(&t, "art_spawn_failures_total", "counter", "Spawns whose pre_start failed.",
         st.spawn_failures);
  put(&t, "# HELP art_actor_exits_total Actor exits by reason.\n"
          "# TYPE art_actor_exits_total counter\n");
  const struct {
    const char *reason;
    uint64_t value;
  } exits[] = {{"normal", st.exits_normal},
               {"shutdown", st.exits_shutdown},
               {"killed", st.exits_killed},
               {"error", st.exits_error}};
  for (size_t i = 0; i < sizeof exits / sizeof exits[0]; i++)
    put(&t, "art_actor_exits_total{reason=\"%s\"} %llu\n", exits[i].reason,
        (unsigned long long)exits[i].value);
  metric(&t, "art_messages_sent_total", "counter", "Messages and signals accepted by mailboxes.",
         st.messages_sent);
  metric(&t, "art_messages_handled_total", "counter",
         "Messages and signals taken out of mailboxes.", st.messages_handled);
  metric(&t, "art_dead_letters_total", "counter", "Messages that reached no handler.",
         st.dead_letters);
  metric(&t, "art_mailbox_high_water_max", "gauge",
         "The largest mailbox high-water mark among living actors.", max_high_water(sys));
  metric(&t, "art_scheduler_steals_total", "counter", "Actors moved between workers.", st.steals);
  metric(&t, "art_scheduler_parks_total", "counter", "Times a worker went to sleep.", st.parks);

  art_event_snapshot snap;
  memset(&snap, 0, sizeof snap);
  if (art_monitor_snapshot(sys->monitor, &snap, NULL, 0) == 0) {
    size_t room = t.used < len ? len - t.used : 0;
    int n = art_event_snapshot_to_prometheus(&snap, room ? buf + t.used : NULL, room);
    if (n > 0)
      t.used += (size_t)n;
  }
  return (int)t.used;
}
