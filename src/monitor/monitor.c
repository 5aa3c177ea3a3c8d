/*
 * The monitor front-end: the filter, the filtered count, dispatch to the ops table, snapshots
 * and the no-op monitor.
 *
 * art_monitor_record() lives in memory.c, so that the in-memory monitor's record inlines into it.
 *
 * The filter word (art_event_monitor.filter) is read by every event site through the inline
 * art_monitor_wants(), so it sits alone with read-only fields on its cache line, and the
 * filtered count, the one field written on the record path, is 64 bytes away. Both are plain
 * uint64_t in the public struct (so the header stays usable from C++) and are accessed only
 * through the __atomic builtins.
 */
#include <stdlib.h>
#include <string.h>

#include "monitor/monitor.h"
#include "platform/platform.h"

_Static_assert(offsetof(art_event_monitor, filtered) == 64, "filtered is a line away from filter");
_Static_assert(sizeof(art_event_monitor) == 128, "two cache lines");
_Static_assert(8 * ART_EVENT_FAMILY_COUNT <= ART__FILTER_MASK_SHIFT, "the want bits fit");

uint64_t art__monitor_filter_word(bool enabled, uint32_t family_mask, art_severity min_severity) {
  uint64_t word = (uint64_t)family_mask << ART__FILTER_MASK_SHIFT |
                  (uint64_t)min_severity << ART__FILTER_SEVERITY_SHIFT;
  if (!enabled)
    return word;
  word |= ART__FILTER_ENABLED_BIT;
  for (unsigned family = 0; family < ART_EVENT_FAMILY_COUNT; family++) {
    if (!(family_mask & ART_EVENT_FAMILY_BIT(family)))
      continue;
    for (unsigned severity = (unsigned)min_severity; severity < ART_SEVERITY_COUNT; severity++)
      word |= UINT64_C(1) << (family * 8 + severity);
  }
  return word;
}

bool art__monitor_config_valid(const art_monitor_config *cfg) {
  return (unsigned)cfg->min_severity < ART_SEVERITY_COUNT &&
         (cfg->family_mask & ~ART_EVENT_FAMILY_ALL) == 0;
}

void art_monitor_config_init(art_monitor_config *cfg) {
  if (!cfg)
    return;
  memset(cfg, 0, sizeof *cfg);
  cfg->enabled = true;
  cfg->min_severity = ART_SEVERITY_INFO;
  cfg->family_mask = ART_EVENT_FAMILY_ALL;
  cfg->history_capacity = 1000;
}

/* Fills a monitor struct; the caller has checked cfg. */
static void monitor_setup(art_event_monitor *mon, const art_monitor_ops *ops, void *self,
                          const art_monitor_config *cfg, uint32_t flags) {
  memset(mon, 0, sizeof *mon);
  mon->ops = ops;
  mon->self = self;
  mon->allocator = cfg->allocator;
  mon->flags = flags;
  /* Relaxed: the monitor is not shared yet; whoever it is handed to gets it through a release
   * (a thread start, a mutex, a system's creation). */
  __atomic_store_n(&mon->filter,
                   art__monitor_filter_word(cfg->enabled, cfg->family_mask, cfg->min_severity),
                   __ATOMIC_RELAXED);
}

int art_monitor_create(art_event_monitor **out, const art_monitor_ops *ops, void *self,
                       const art_monitor_config *cfg) {
  art_monitor_config defaults;
  if (!cfg) {
    art_monitor_config_init(&defaults);
    cfg = &defaults;
  }
  if (!out || !ops || !ops->record || !art__monitor_config_valid(cfg))
    return ART_EINVAL;
  art__allocator alloc;
  art__allocator_init(&alloc, &cfg->allocator);
  art_event_monitor *mon = art__alloc_aligned(&alloc, sizeof *mon);
  if (!mon)
    return ART_ENOMEM;
  monitor_setup(mon, ops, self, cfg, 0);
  mon->allocator = alloc.user;
  *out = mon;
  return 0;
}

void art__monitor_setup_embedded(art_event_monitor *mon, const art_monitor_ops *ops, void *self,
                                 const art_monitor_config *cfg) {
  monitor_setup(mon, ops, self, cfg, ART__MONITOR_EMBEDDED);
}

void art_monitor_destroy(art_event_monitor *mon) {
  if (!mon || (mon->flags & ART__MONITOR_NOOP))
    return;
  if (mon->flags & ART__MONITOR_EMBEDDED) {
    mon->ops->destroy(mon->self);
    return;
  }
  if (mon->ops->destroy)
    mon->ops->destroy(mon->self);
  art__allocator alloc;
  art__allocator_init(&alloc, &mon->allocator);
  art__free_aligned(&alloc, mon);
}

static int take_snapshot(art_event_monitor *mon, art_event_snapshot *snap, art_event *events,
                         size_t capacity) {
  memset(snap, 0, sizeof *snap);
  snap->timestamp = art_now_utc();
  snap->events = events;
  if (!mon->ops->snapshot)
    return ART_EPERM;
  int rc = mon->ops->snapshot(mon->self, snap, events, capacity);
  if (rc)
    return rc;
  /* Relaxed: a statistic, see art_monitor_record(). */
  snap->filtered = __atomic_load_n(&mon->filtered, __ATOMIC_RELAXED);
  return 0;
}

int art_monitor_snapshot(art_event_monitor *mon, art_event_snapshot *snap, art_event *events,
                         size_t capacity) {
  if (!mon || !snap || (!events && capacity))
    return ART_EINVAL;
  int rc = take_snapshot(mon, snap, events, capacity);
  if (rc)
    memset(snap, 0, sizeof *snap);
  return rc;
}

int art_monitor_snapshot_alloc(art_event_monitor *mon, art_event_snapshot *snap) {
  if (!mon || !snap)
    return ART_EINVAL;
  /* The first pass only learns how much history there is; the second fills it. */
  int rc = take_snapshot(mon, snap, NULL, 0);
  if (rc) {
    memset(snap, 0, sizeof *snap);
    return rc;
  }
  size_t capacity = (size_t)snap->history_capacity;
  if (capacity == 0)
    return 0;
  art_event *events = malloc(capacity * sizeof *events);
  if (!events) {
    memset(snap, 0, sizeof *snap);
    return ART_ENOMEM;
  }
  rc = take_snapshot(mon, snap, events, capacity);
  if (rc) {
    free(events);
    memset(snap, 0, sizeof *snap);
    return rc;
  }
  snap->owned = true;
  return 0;
}

void art_event_snapshot_free(art_event_snapshot *snap) {
  if (!snap)
    return;
  if (snap->owned)
    free(snap->events);
  snap->events = NULL;
  snap->count = 0;
  snap->owned = false;
}

int art_monitor_reset(art_event_monitor *mon) {
  if (!mon)
    return ART_EINVAL;
  if (mon->flags & ART__MONITOR_NOOP)
    return 0;
  /* Relaxed: a statistic, see art_monitor_record(). */
  __atomic_store_n(&mon->filtered, 0, __ATOMIC_RELAXED);
  return mon->ops->reset ? mon->ops->reset(mon->self) : 0;
}

/* Replaces the settings in the filter word with one CAS loop, so that concurrent setters each
 * leave a word computed from one set of settings. */
static int update_filter(art_event_monitor *mon, int enabled, int64_t family_mask,
                         int min_severity) {
  if (mon->flags & ART__MONITOR_NOOP)
    return ART_EPERM;
  /* Relaxed throughout: pairs with the relaxed loads in art_monitor_wants(); the word orders
   * no other data. */
  uint64_t old = __atomic_load_n(&mon->filter, __ATOMIC_RELAXED), word;
  do {
    bool on = enabled >= 0 ? enabled != 0 : (old & ART__FILTER_ENABLED_BIT) != 0;
    uint32_t mask = family_mask >= 0 ? (uint32_t)family_mask
                                     : (uint32_t)(old >> ART__FILTER_MASK_SHIFT) & 0xffu;
    art_severity min = min_severity >= 0
                           ? (art_severity)min_severity
                           : (art_severity)((old >> ART__FILTER_SEVERITY_SHIFT) & 0xffu);
    word = art__monitor_filter_word(on, mask, min);
  } while (!__atomic_compare_exchange_n(&mon->filter, &old, word, true, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED));
  return 0;
}

int art_monitor_set_filter(art_event_monitor *mon, uint32_t family_mask,
                           art_severity min_severity) {
  if (!mon || (family_mask & ~ART_EVENT_FAMILY_ALL) || (unsigned)min_severity >= ART_SEVERITY_COUNT)
    return ART_EINVAL;
  return update_filter(mon, -1, family_mask, (int)min_severity);
}

int art_monitor_set_enabled(art_event_monitor *mon, bool enabled) {
  if (!mon)
    return ART_EINVAL;
  return update_filter(mon, enabled, -1, -1);
}

int art_monitor_get_filter(const art_event_monitor *mon, bool *enabled, uint32_t *family_mask,
                           art_severity *min_severity) {
  if (!mon)
    return ART_EINVAL;
  /* Relaxed: see update_filter(). */
  uint64_t word = __atomic_load_n(&mon->filter, __ATOMIC_RELAXED);
  if (enabled)
    *enabled = (word & ART__FILTER_ENABLED_BIT) != 0;
  if (family_mask)
    *family_mask = (uint32_t)(word >> ART__FILTER_MASK_SHIFT) & 0xffu;
  if (min_severity)
    *min_severity = (art_severity)((word >> ART__FILTER_SEVERITY_SHIFT) & 0xffu);
  return 0;
}

/* ---- the no-op monitor --------------------------------------------------------------------- */

static int noop_record(void *self, const art_event *event) {
  (void)self;
  (void)event;
  return 0;
}

static int noop_snapshot(void *self, art_event_snapshot *snap, art_event *events, size_t capacity) {
  (void)self;
  (void)snap;
  (void)events;
  (void)capacity;
  return 0;
}

static const art_monitor_ops noop_ops = {.record = noop_record, .snapshot = noop_snapshot};

/* Never written: its filter wants nothing and the setters refuse it, and records on it return
 * before counting. */
static art_event_monitor noop_monitor = {
    .filter = 0, /* disabled, no family */
    .ops = &noop_ops,
    .flags = ART__MONITOR_NOOP,
};

art_event_monitor *art_monitor_noop(void) {
  return &noop_monitor;
}
