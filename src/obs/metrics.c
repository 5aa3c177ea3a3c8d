/*
 * Prometheus text for a system: the runtime's counters, then the monitor's event counters.
 * Metric names follow Prometheus' conventions (`_total` for counters, base units); there are
 * no pid labels, so the number of series does not grow with the number of actors.
 */
#include <string.h>

#include "actor/actor.h"
#include "monitor/monitor.h"

static void metric(art__text *t, const char *name, const char *type, const char *help,
                   uint64_t value) {
  art__prometheus_header(t, name, type, help);
  art__prometheus_sample(t, name, value);
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
  art__text t;
  art__text_init(&t, buf, len);
  metric(&t, "art_workers", "gauge", "Worker threads.", st.workers);
  metric(&t, "art_actors_alive", "gauge", "Actors spawned and not yet exited.", st.actors_alive);
  metric(&t, "art_actors_spawned_total", "counter", "Actors spawned.", st.actors_spawned);
  metric(&t, "art_spawn_failures_total", "counter", "Spawns whose pre_start failed.",
         st.spawn_failures);
  art__prometheus_header(&t, "art_actor_exits_total", "counter", "Actor exits by reason.");
  const struct {
    const char *series;
    uint64_t value;
  } exits[] = {{"art_actor_exits_total{reason=\"normal\"}", st.exits_normal},
               {"art_actor_exits_total{reason=\"shutdown\"}", st.exits_shutdown},
               {"art_actor_exits_total{reason=\"killed\"}", st.exits_killed},
               {"art_actor_exits_total{reason=\"error\"}", st.exits_error}};
  for (size_t i = 0; i < sizeof exits / sizeof exits[0]; i++)
    art__prometheus_sample(&t, exits[i].series, exits[i].value);
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
  if (art_monitor_snapshot(sys->monitor, &snap, NULL, 0) == 0)
    art__prometheus_snapshot(&t, &snap);
  return art__text_finish(&t);
}
