/*
 * Shared by the supervisor tests (test_sup*.c): a deterministic system with the counting
 * allocator, a test child that logs its starts ("+id") and stops ("-id") in one log in the
 * order they happen, and short ways to ask a supervisor about its children and count events.
 *
 * Everything here runs on the test thread.
 */
#ifndef ART_SUP_TEST_H
#define ART_SUP_TEST_H

#include <stdio.h>

#include "integration.h"

/* ---- the log and the test child ------------------------------------------------------- */

static char g_log[8192];

static inline void log_add(char sign, const char *id) {
  size_t n = strlen(g_log);
  snprintf(g_log + n, sizeof g_log - n, "%s%c%s", n ? " " : "", sign, id);
}

enum { CMD_FAIL = 1, CMD_NORMAL, CMD_SHUTDOWN };

/* How many starts of a child whose id starts with '?' fail, from the next one on. */
static int g_fail_starts;

/* args: the child's id. A child whose id starts with '!' fails its start; '?' fails while
 * g_fail_starts > 0; '~' traps exits and ignores them (it never stops unless killed). */
static inline int child_pre_start(art_ctx *ctx, void *state, void *args) {
  const char *id = args;
  *(const char **)state = id;
  if (id[0] == '!' || (id[0] == '?' && g_fail_starts > 0 && g_fail_starts--))
    return ART_ENOENT;
  if (id[0] == '~')
    art_trap_exit(ctx, true);
  log_add('+', id);
  return 0;
}

static inline int child_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  (void)state;
  switch (msg->type) {
  case CMD_FAIL:
    return art_fail(ctx, ART_EINVAL, "told to fail");
  case CMD_NORMAL:
    return ART_STOP;
  case CMD_SHUTDOWN: {
    art_exit_reason r = art_reason(ART_EXIT_SHUTDOWN);
    art_exit(ctx, &r);
    return 0;
  }
  default:
    return 0; /* EXIT messages of '~' children: ignored */
  }
}

static art_exit_kind g_last_stop_kind;

static inline void child_post_stop(art_ctx *ctx, void *state, const art_exit_reason *reason) {
  (void)ctx;
  g_last_stop_kind = reason->kind;
  log_add('-', *(const char **)state);
}

static const art_actor_ops child_ops = {
    .pre_start = child_pre_start, .handle = child_handle, .post_stop = child_post_stop};

static inline art_child_spec worker(const char *id, art_restart restart) {
  art_child_spec c = {.id = id, .restart = restart};
  c.actor.ops = &child_ops;
  c.actor.state_size = sizeof(const char *);
  c.actor.args = (void *)id;
  return c;
}

/* ---- systems and supervisors ----------------------------------------------------------- */

static art_test_alloc g_ta;

static inline art_system *create_seeded(uint64_t seed) {
  art_system_config cfg;
  art_system_config_init(&cfg);
  cfg.deterministic = true;
  cfg.pool = false;
  cfg.seed = seed;
  art_system *sys = it_create_cfg(&g_ta, &cfg);
  g_log[0] = 0;
  g_fail_starts = 0;
  return sys;
}

static inline art_system *create(void) {
  return create_seeded(0);
}

static inline void destroy(art_system *sys) {
  art_system_destroy(sys);
  assert_int_equal(art_test_alloc_live(&g_ta), 0);
}

static inline art_sup_spec sup_spec(art_sup_strategy strategy, uint32_t intensity,
                                    art_duration period, const art_child_spec *children, size_t n) {
  art_sup_spec s;
  art_sup_spec_init(&s);
  s.strategy = strategy;
  s.intensity = intensity;
  s.period = period;
  s.children = children;
  s.child_count = n;
  s.allocator = art_test_alloc_allocator(&g_ta);
  return s;
}

/* The defaults (art_sup_spec_init: one_for_one, intensity 1 in 5 s, malloc) with @p children,
 * for tests with real threads. */
static inline art_sup_spec default_spec(const art_child_spec *children, size_t n) {
  art_sup_spec s;
  art_sup_spec_init(&s);
  s.children = children;
  s.child_count = n;
  return s;
}

/* which_children's entry for @p id (state UNDEFINED and no pid if there is none). */
static inline art_sup_child_info info_of(art_system *sys, art_pid sup, const char *id) {
  art_sup_child_info info[64];
  size_t n = 0;
  assert_int_equal(art_sup_which_children(sys, sup, info, 64, &n), 0);
  for (size_t i = 0; i < n; i++)
    if (strcmp(info[i].id, id) == 0)
      return info[i];
  art_sup_child_info none = {.pid = ART_PID_NONE};
  return none;
}

static inline art_pid pid_of(art_system *sys, art_pid sup, const char *id) {
  return info_of(sys, sup, id).pid;
}

static inline void tell(art_system *sys, art_pid sup, const char *id, uint32_t cmd) {
  art_pid pid = pid_of(sys, sup, id);
  assert_true(pid != ART_PID_NONE);
  assert_int_equal(art_send(sys, pid, cmd, NULL, 0), 0);
  art_system_run(sys);
}

static inline uint64_t event_count(art_system *sys, art_event_kind kind) {
  art_event_snapshot snap;
  assert_int_equal(art_monitor_snapshot_alloc(art_system_monitor(sys), &snap), 0);
  uint64_t n = snap.by_kind[art_event_kind_index(kind)];
  art_event_snapshot_free(&snap);
  return n;
}

/* The events of @p kind in the history, oldest first: up to @p max into @p out; returns how
 * many there are. */
static inline size_t events_of(art_system *sys, art_event_kind kind, art_event *out, size_t max) {
  art_event_snapshot snap;
  assert_int_equal(art_monitor_snapshot_alloc(art_system_monitor(sys), &snap), 0);
  size_t n = 0;
  for (size_t i = 0; i < snap.count; i++)
    if (snap.events[i].kind == kind) {
      if (n < max)
        out[n] = snap.events[i];
      n++;
    }
  art_event_snapshot_free(&snap);
  return n;
}

/* The most recent event of @p kind (the test fails if there is none). */
static inline art_event last_event(art_system *sys, art_event_kind kind) {
  art_event ev[256];
  size_t n = events_of(sys, kind, ev, 256);
  assert_true(n > 0 && n <= 256);
  return ev[n - 1];
}

#endif /* ART_SUP_TEST_H */
