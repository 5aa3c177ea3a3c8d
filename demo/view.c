/*
 * The live view and its pieces (see view.h). A screen is built in memory and written at once,
 * so that the terminal never shows half of one.
 */
#include "view.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_CHILDREN 80
#define EVENTS_SHOWN 8

/* A growing text buffer; output that does not fit is cut, never overflows. */
typedef struct text {
  char buf[16384];
  size_t len;
} text;

static void put(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(text *t, const char *fmt, ...) {
  if (t->len >= sizeof t->buf - 1)
    return;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(t->buf + t->len, sizeof t->buf - t->len, fmt, ap);
  va_end(ap);
  if (n > 0)
    t->len += (size_t)n < sizeof t->buf - t->len ? (size_t)n : sizeof t->buf - 1 - t->len;
}

static uint64_t kind_count(const art_event_snapshot *snap, art_event_kind kind) {
  int index = art_event_kind_index(kind);
  return index >= 0 ? snap->by_kind[index] : 0;
}

void demo_counts_read(demo_pipeline *p, demo_counts *out) {
  *out = (demo_counts){0};
  art_event_snapshot snap;
  if (art_monitor_snapshot(art_system_monitor(p->sys), &snap, NULL, 0) == 0) {
    out->failures = kind_count(&snap, ART_EVENT_SUPERVISION_CHILD_FAILED);
    out->restarts = kind_count(&snap, ART_EVENT_SUPERVISION_CHILD_RESTARTED);
    out->escalations = kind_count(&snap, ART_EVENT_SUPERVISION_RESTART_LIMIT_EXCEEDED);
    out->health_fails = kind_count(&snap, ART_EVENT_SUPERVISION_HEALTH_CHECK_FAILED);
    out->degraded = kind_count(&snap, ART_EVENT_SUPERVISION_CHILD_DEGRADED);
  }
  art_broker_stats stats;
  if (p->broker && art_broker_stats_get(p->broker, &stats) == 0) {
    out->dead_letters = stats.dead_letters;
    out->published = stats.published;
    out->delivered = stats.delivered;
  }
}

static const char *state_name(const art_sup_child_info *c) {
  switch (c->state) {
  case ART_CHILD_RUNNING:
    return "running";
  case ART_CHILD_RESTARTING:
    return "restarting";
  default:
    return "stopped";
  }
}

static const char *health_name(art_health_status h) {
  return h == ART_HEALTH_DEGRADED ? "degraded" : h == ART_HEALTH_FAILED ? "failed" : "healthy";
}

/* One supervisor's children, and theirs below them. A pool of many workers is summed up on
 * one line, with the busiest restarter named. */
static void show_tree(text *t, demo_pipeline *p, art_pid sup, const char *prefix, int depth) {
  art_sup_child_info children[MAX_CHILDREN];
  size_t n = 0;
  int rc = art_sup_which_children(p->sys, sup, children, MAX_CHILDREN, &n);
  if (rc != 0 && rc != ART_ERANGE) {
    put(t, "%s(unavailable: %s)\n", prefix, art_strerror(rc));
    return;
  }
  if (n > MAX_CHILDREN)
    n = MAX_CHILDREN;
  size_t workers = 0;
  for (size_t i = 0; i < n; i++)
    workers += children[i].type == ART_CHILD_WORKER && strncmp(children[i].id, "worker-", 7) == 0;
  if (workers > 4 && workers == n) {
    size_t running = 0, top = 0;
    uint64_t restarts = 0;
    for (size_t i = 0; i < n; i++) {
      running += children[i].state == ART_CHILD_RUNNING;
      restarts += children[i].restarts;
      if (children[i].restarts > children[top].restarts)
        top = i;
    }
    put(t, "%s└─ %-12s x%-3zu %zu running, %" PRIu64 " restarts (most: %s, %u)\n", prefix,
        "worker-*", n, running, restarts, children[top].id, children[top].restarts);
    return;
  }
  for (size_t i = 0; i < n; i++) {
    const art_sup_child_info *c = &children[i];
    bool last = i + 1 == n;
    const char *what = demo_pipeline_describe(p, c->id);
    put(t, "%s%s %-*s %-13s %-10s restarts %-4u %s\n", prefix, last ? "└─" : "├─", 16 - 3 * depth,
        c->id, what, state_name(c), c->restarts,
        c->health == ART_HEALTH_HEALTHY ? "" : health_name(c->health));
    if (c->type == ART_CHILD_SUPERVISOR && c->state == ART_CHILD_RUNNING && depth < 4) {
      char deeper[64];
      snprintf(deeper, sizeof deeper, "%s%s", prefix, last ? "   " : "│  ");
      show_tree(t, p, c->pid, deeper, depth + 1);
    }
  }
}

static void show_events(text *t, demo_pipeline *p) {
  art_event events[64];
  art_event_snapshot snap;
  if (art_monitor_snapshot(art_system_monitor(p->sys), &snap, events, 64) != 0)
    return;
  const art_event *shown[EVENTS_SHOWN];
  size_t count = 0;
  for (size_t i = snap.count; i-- > 0 && count < EVENTS_SHOWN;) {
    const art_event *e = &snap.events[i];
    if (e->severity >= ART_SEVERITY_WARNING &&
        (e->family == ART_EVENT_FAMILY_SUPERVISION || e->family == ART_EVENT_FAMILY_BROKER))
      shown[count++] = e;
  }
  put(t, "latest supervision and broker events (warning and up)\n");
  if (count == 0)
    put(t, "  none yet\n");
  for (size_t i = count; i-- > 0;) {
    const art_event *e = shown[i];
    time_t secs = (time_t)(e->timestamp / 1000000000);
    struct tm tm;
    localtime_r(&secs, &tm);
    char detail[ART_EVENT_TEXT_MAX + 32];
    if (e->kind == ART_EVENT_SUPERVISION_CHILD_RESTARTED)
      snprintf(detail, sizeof detail, "restart #%u", e->restart_count);
    else if (e->text[0])
      snprintf(detail, sizeof detail, "%s", e->text);
    else
      snprintf(detail, sizeof detail, "%s", art_exit_kind_name((art_exit_kind)e->reason));
    put(t, "  %02d:%02d:%02d.%03d %-8s %-22s %-12s %.60s\n", tm.tm_hour, tm.tm_min, tm.tm_sec,
        (int)(e->timestamp / 1000000 % 1000), art_severity_name((art_severity)e->severity),
        art_event_kind_name((art_event_kind)e->kind),
        e->family == ART_EVENT_FAMILY_BROKER ? e->topic : e->child_id, detail);
  }
}

void demo_view_show(FILE *out, demo_pipeline *p, demo_view *view, bool live) {
  int64_t now = art_now_monotonic();
  demo_ledger *l = &p->ledger;
  uint64_t issued = atomic_load_explicit(&l->issued, memory_order_relaxed);
  uint64_t done = atomic_load_explicit(&l->done, memory_order_relaxed);
  if (!view->prev_time)
    view->prev_time = view->started;
  if (now > view->prev_time)
    view->rate = (double)(done - view->prev_done) * 1e9 / (double)(now - view->prev_time);
  view->prev_done = done;
  view->prev_time = now;
  double elapsed = (double)(now - view->started) / 1e9;
  demo_counts c;
  demo_counts_read(p, &c);
  text t = {.len = 0};
  if (!live) {
    put(&t,
        "[%5.1fs] jobs %" PRIu64 "/%" PRIu64 " done, %.0f/s; failures %" PRIu64
        ", restarts %" PRIu64 ", escalations %" PRIu64 ", health checks failed %" PRIu64 "\n",
        elapsed, done, issued, view->rate, c.failures, c.restarts, c.escalations, c.health_fails);
    fputs(t.buf, out);
    fflush(out);
    return;
  }
  put(&t, "\x1b[H\x1b[J");
  put(&t, "airssys-rt demo: a supervised job pipeline   %.1f s of %.0f s   seed %" PRIu64 "\n\n",
      elapsed, view->duration, p->settings.seed);
  put(&t,
      "jobs        %" PRIu64 " produced, %" PRIu64 " done, %" PRIu64 " in flight, %" PRIu64
      " retried, %" PRIu64 " rejected (poison)\n",
      issued, done, demo_ledger_in_flight(l),
      atomic_load_explicit(&l->retried, memory_order_relaxed),
      atomic_load_explicit(&l->rejected, memory_order_relaxed));
  put(&t,
      "throughput  %.0f jobs/s   broker: %" PRIu64 " published, %" PRIu64 " delivered, %" PRIu64
      " dead letters\n",
      view->rate, c.published, c.delivered, c.dead_letters);
  put(&t,
      "supervision %" PRIu64 " failures, %" PRIu64 " restarts, %" PRIu64 " escalations, %" PRIu64
      " failed health checks, %" PRIu64 " degraded\n\n",
      c.failures, c.restarts, c.escalations, c.health_fails, c.degraded);
  put(&t, "supervision tree\nroot             %s\n", demo_pipeline_describe(p, "root"));
  show_tree(&t, p, p->root, "", 0);
  put(&t, "\n");
  show_events(&t, p);
  fputs(t.buf, out);
  fflush(out);
}
