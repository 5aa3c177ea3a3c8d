/*
 * An event site compiled with ART_MONITORING 0, for test_monitor.c: neither the monitor
 * expression nor the statements that build the event may run.
 */
#define ART_MONITORING 0
#include "art.h"

int monitor_off_site(art_event_monitor *(*get_monitor)(void), int *built);

int monitor_off_site(art_event_monitor *(*get_monitor)(void), int *built) {
  ART_MONITOR_EVENT(get_monitor(), ART_EVENT_ACTOR_SPAWNED, ART_SEVERITY_CRITICAL, ev, {
    (*built)++;
    ev.pid = 1;
  });
  if (ART_MONITOR_WANTS(get_monitor(), ART_EVENT_ACTOR_SPAWNED, ART_SEVERITY_CRITICAL))
    return 1;
  (void)built; /* used only by the event site, which is compiled out */
  return 0;
}
