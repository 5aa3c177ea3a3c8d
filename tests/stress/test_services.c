/*
 * Stress of links and monitors: driver threads, and actors on their behalf, spawn subjects,
 * link, unlink, monitor, demonitor, make subjects exit with various reasons, kill them and send
 * noise, at random. Then the promises are checked:
 *
 *  - trapping watchers (long-lived actors) check in their own handler, where no race can hide
 *    anything, that every EXIT they receive belongs to a link they hold, and every DOWN to a
 *    monitor they hold (none after a successful demonitor, none twice), with the subject's real
 *    reason or noproc; demonitor returns 0 exactly for the monitors whose DOWN has not arrived;
 *    at the end no link and no monitor is left unanswered: one EXIT per link, one DOWN per
 *    monitor;
 *  - every subject that linked to another one (art_link returned 0, or spawn_link) dies when
 *    that one dies abnormally;
 *  - nothing leaks.
 *
 * Seeded: `--seed N` replays the same random streams (the interleaving still varies). The chaos
 * phase lasts 1.5 s times ART_TEST_TIME_SCALE, or until 50,000 subjects were spawned.
 */
#include <sched.h>
#include <stdio.h>

#include "../integration/services.h"

#define DRIVERS 2
#define SLOTS_PER_DRIVER 24
#define SLOTS (DRIVERS * SLOTS_PER_DRIVER)
#define WATCHERS 4
#define MAX_SUBJECTS 60000
#define ENOUGH_SUBJECTS 50000 /* the drivers stop early once this many were spawned */
#define MAX_LINKS 120000
#define WATCHER_MAP 32768 /* per watcher: pids linked and monitor references (power of two) */
#define WATCHER_OPS_MAX 12000
#define CHAOS_MS 1500
#define WAIT_MS 10000

/* ---- subjects ------------------------------------------------------------------------------- */

typedef struct subject_rec {
  _Atomic art_pid pid; /* set before the record is published through a slot */
  _Atomic int dead;    /* 1 once post_stop ran (release; reason is then final) */
  art_exit_reason reason;
} subject_rec;

typedef struct link_entry {
  _Atomic int from, to; /* subject records: `from` linked to `to`; -1 until written */
} link_entry;

static subject_rec records[MAX_SUBJECTS];
static atomic_int record_count;
static link_entry links[MAX_LINKS];
static atomic_int link_count;
static atomic_int slots[SLOTS]; /* record index + 1 of the subject in the slot, 0 if none */
static art_system *sys_under_test;
static atomic_bool chaos_over; /* subjects spawn no more children */

static int new_record(void) {
  int i = atomic_fetch_add(&record_count, 1);
  if (i >= MAX_SUBJECTS)
    return -1;
  atomic_init(&records[i].dead, 0);
  return i;
}

static void log_link(int from, int to) {
  int i = atomic_fetch_add(&link_count, 1);
  if (i < MAX_LINKS) {
    atomic_store(&links[i].to, to);
    atomic_store(&links[i].from, from); /* last: readers check it first */
  }
}

enum {
  S_LINK = 1,   /* payload: subject record index to link to */
  S_EXIT,       /* payload: art_exit_reason */
  S_FAIL,       /* return an error */
  S_STOP,       /* return ART_STOP */
  S_SPAWN_LINK, /* payload: slot index (of the caller's driver) to spawn a linked child into */
  S_NOISE,
  W_LINK = 20, /* watchers; payload: subject record index */
  W_UNLINK,
  W_MONITOR,
  W_DEMONITOR,
};

typedef struct subject_state {
  int rec;
} subject_state;

static int subject_pre_start(art_ctx *ctx, void *state, void *args) {
  int rec = (int)(intptr_t)args;
  ((subject_state *)state)->rec = rec;
  (void)ctx;
  return 0;
}

static int spawn_subject(art_ctx *parent, int rec, art_pid *out);

static int subject_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  subject_state *s = state;
  switch (msg->type) {
  case S_LINK: {
    int to;
    memcpy(&to, msg->data, sizeof to);
    if (art_link(ctx, atomic_load(&records[to].pid)) == 0)
      log_link(s->rec, to);
    return 0;
  }
  case S_EXIT: {
    art_exit_reason r;
    memcpy(&r, msg->data, sizeof r);
    art_exit(ctx, &r);
    return 0;
  }
  case S_FAIL:
    return art_fail(ctx, ART_EPERM, "stress");
  case S_STOP:
    return ART_STOP;
  case S_SPAWN_LINK: {
    int slot;
    memcpy(&slot, msg->data, sizeof slot);
    if (atomic_load(&chaos_over))
      return 0;
    int child = new_record();
    if (child < 0)
      return 0;
    art_pid pid;
    if (spawn_subject(ctx, child, &pid) == 0) {
      log_link(s->rec, child);
      log_link(child, s->rec);
      atomic_store(&slots[slot], child + 1);
    }
    return 0;
  }
  default:
    return 0;
  }
}

static void subject_post_stop(art_ctx *ctx, void *state, const art_exit_reason *reason) {
  (void)ctx;
  subject_rec *r = &records[((subject_state *)state)->rec];
  r->reason = *reason;
  atomic_store_explicit(&r->dead, 1, memory_order_release);
}

static const art_actor_ops subject_ops = {
    .pre_start = subject_pre_start, .handle = subject_handle, .post_stop = subject_post_stop};

/* Spawns the subject of record @p rec (linked to @p parent if given); publishes its pid. */
static int spawn_subject(art_ctx *parent, int rec, art_pid *out) {
  art_spawn_opts o = {.ops = &subject_ops,
                      .state_size = sizeof(subject_state),
                      .args = (void *)(intptr_t)rec,
                      .flags = parent ? ART_SPAWN_LINK : 0};
  /* The pid must be in the record before anyone can look it up: the record is published
   * through a slot only after this returns. */
  int rc = art_spawn(sys_under_test, &o, out);
  if (rc == 0)
    atomic_store(&records[rec].pid, *out);
  return rc;
}

/* ---- watchers ------------------------------------------------------------------------------ */

typedef struct watch_entry {
  uint64_t key; /* pid (links) or reference (monitors); 0 = free */
  int rec;      /* the subject */
  bool linked;  /* links: a link is held; monitors: the monitor is pending */
  art_ref last; /* links map only: the latest monitor reference on this pid */
} watch_entry;

typedef struct watcher {
  int index;
  int ops;
  watch_entry links[WATCHER_MAP];
  watch_entry monitors[WATCHER_MAP];
  atomic_int outstanding; /* links held + monitors pending */
  atomic_int violations;
  atomic_int exits, downs, demonitors;
  char first_violation[160];
  atomic_bool done; /* post_stop ran */
} watcher;

static watcher *watchers;

static watch_entry *map_get(watch_entry *map, uint64_t key, bool create) {
  uint64_t h = (key * UINT64_C(0x9e3779b97f4a7c15)) >> 40;
  for (uint32_t n = 0; n < WATCHER_MAP; n++) {
    watch_entry *e = &map[(h + n) & (WATCHER_MAP - 1)];
    if (e->key == key)
      return e;
    if (e->key == 0) {
      if (!create)
        return NULL;
      e->key = key;
      return e;
    }
  }
  return NULL;
}

static void violation(watcher *w, const char *what, uint64_t a, uint64_t b) {
  if (atomic_fetch_add(&w->violations, 1) == 0)
    snprintf(w->first_violation, sizeof w->first_violation, "watcher %d: %s (%llu, %llu)", w->index,
             what, (unsigned long long)a, (unsigned long long)b);
}

/* A reason received for subject @p rec is its own (already recorded in post_stop, which runs
 * before the exit sends its signals) or noproc. */
static bool reason_ok(int rec, const art_exit_reason *got) {
  if (got->kind == ART_EXIT_NOPROC)
    return true;
  if (!atomic_load_explicit(&records[rec].dead, memory_order_acquire))
    return false;
  const art_exit_reason *want = &records[rec].reason;
  return got->kind == want->kind && got->code == want->code && strcmp(got->text, want->text) == 0;
}

static int watcher_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  watcher *w = *(watcher **)state;
  if (msg->type == ART_MSG_EXIT) {
    const art_exit_msg *m = msg->data;
    if (m->from == ART_PID_NONE) { /* the system's shutdown */
      art_exit(ctx, &m->reason);
      return 0;
    }
    atomic_fetch_add(&w->exits, 1);
    watch_entry *e = map_get(w->links, m->from, false);
    if (!e || !e->linked) {
      violation(w, "EXIT without a link", m->from, m->reason.kind);
      return 0;
    }
    if (!reason_ok(e->rec, &m->reason))
      violation(w, "EXIT with a wrong reason", m->from, m->reason.kind);
    e->linked = false;
    atomic_fetch_sub(&w->outstanding, 1);
    return 0;
  }
  if (msg->type == ART_MSG_DOWN) {
    const art_down_msg *d = msg->data;
    atomic_fetch_add(&w->downs, 1);
    watch_entry *e = map_get(w->monitors, d->ref, false);
    if (!e || !e->linked || msg->correlation != d->ref) {
      violation(w, "DOWN not pending (after demonitor, or twice)", d->ref, d->pid);
      return 0;
    }
    if (atomic_load(&records[e->rec].pid) != d->pid || !reason_ok(e->rec, &d->reason))
      violation(w, "DOWN with a wrong pid or reason", d->ref, d->reason.kind);
    e->linked = false;
    atomic_fetch_sub(&w->outstanding, 1);
    return 0;
  }
  if (msg->type < W_LINK || msg->type > W_DEMONITOR)
    return 0;
  int rec;
  memcpy(&rec, msg->data, sizeof rec);
  art_pid pid = atomic_load(&records[rec].pid);
  if (++w->ops > WATCHER_OPS_MAX)
    return 0; /* keep the maps from filling up */
  watch_entry *e = map_get(w->links, pid, true);
  if (!e)
    return 0;
  e->rec = rec;
  switch (msg->type) {
  case W_LINK: {
    int rc = art_link(ctx, pid);
    if (rc != 0)
      violation(w, "art_link from a trapping actor failed", pid, (uint64_t)-rc);
    else if (!e->linked) {
      e->linked = true;
      atomic_fetch_add(&w->outstanding, 1);
    }
    break;
  }
  case W_UNLINK:
    if (art_unlink(ctx, pid) != 0)
      violation(w, "art_unlink failed", pid, 0);
    if (e->linked) {
      e->linked = false;
      atomic_fetch_sub(&w->outstanding, 1);
    }
    break;
  case W_MONITOR: {
    art_ref ref = 0;
    int rc = art_monitor(ctx, pid, &ref);
    watch_entry *m = rc == 0 ? map_get(w->monitors, ref, true) : NULL;
    if (rc != 0 || !m || m->linked) {
      violation(w, "art_monitor failed or reused a reference", ref, (uint64_t)-rc);
      break;
    }
    m->rec = rec;
    m->linked = true;
    e->last = ref;
    atomic_fetch_add(&w->outstanding, 1);
    break;
  }
  case W_DEMONITOR: {
    if (!e->last)
      break;
    watch_entry *m = map_get(w->monitors, e->last, false);
    int rc = art_demonitor(ctx, e->last);
    bool pending = m && m->linked;
    if (rc != (pending ? 0 : ART_ENOENT))
      violation(w, "demonitor result does not match the DOWNs seen", e->last, (uint64_t)-rc);
    if (pending && rc == 0) {
      m->linked = false;
      atomic_fetch_sub(&w->outstanding, 1);
      atomic_fetch_add(&w->demonitors, 1);
    }
    break;
  }
  default:
    break;
  }
  return 0;
}

static void watcher_post_stop(art_ctx *ctx, void *state, const art_exit_reason *reason) {
  (void)ctx;
  (void)reason;
  atomic_store(&(*(watcher **)state)->done, true);
}

static const art_actor_ops watcher_ops = {.handle = watcher_handle, .post_stop = watcher_post_stop};

/* ---- drivers ------------------------------------------------------------------------------ */

typedef struct driver {
  int index;
  uint64_t seed;
  art_pid watcher_pids[WATCHERS];
  int64_t end_ns;
  long ops, spawns;
} driver;

static int random_subject(art_test_rng *rng) {
  int v = atomic_load(&slots[art_test_rng_below(rng, SLOTS)]);
  return v - 1; /* -1: empty */
}

static art_exit_reason random_reason(art_test_rng *rng, bool allow_kill) {
  switch (art_test_rng_below(rng, allow_kill ? 5 : 4)) {
  case 0:
    return art_reason(ART_EXIT_NORMAL);
  case 1:
    return art_reason_error(ART_ECANCELED, "stress");
  case 2:
    return art_reason_shutdown("chaos");
  case 3:
    return art_reason(ART_EXIT_TIMEOUT);
  default:
    return art_reason(ART_EXIT_KILLED);
  }
}

static void *driver_main(void *arg) {
  driver *d = arg;
  art_system *sys = sys_under_test;
  art_test_rng rng;
  art_test_rng_init(&rng, d->seed);
  while (art_now_monotonic() < d->end_ns && atomic_load(&record_count) < ENOUGH_SUBJECTS) {
    d->ops++;
    if (d->ops % 32 == 0)
      sched_yield();
    uint64_t dice = art_test_rng_below(&rng, 100);
    if (dice < 15) { /* fill one of my slots if its subject is gone */
      int slot = d->index * SLOTS_PER_DRIVER + (int)art_test_rng_below(&rng, SLOTS_PER_DRIVER);
      int cur = atomic_load(&slots[slot]) - 1;
      if (cur >= 0 && !atomic_load(&records[cur].dead))
        continue;
      int rec = new_record();
      if (rec < 0)
        continue;
      art_pid pid;
      if (spawn_subject(NULL, rec, &pid) == 0) {
        atomic_store(&slots[slot], rec + 1);
        d->spawns++;
      }
      continue;
    }
    int s = random_subject(&rng);
    if (s < 0)
      continue;
    art_pid pid = atomic_load(&records[s].pid);
    if (dice < 45) { /* a watcher acts on the subject */
      static const uint32_t ops[] = {W_LINK, W_LINK, W_MONITOR, W_MONITOR, W_UNLINK, W_DEMONITOR};
      art_pid w = d->watcher_pids[art_test_rng_below(&rng, WATCHERS)];
      art_send(sys, w, ops[art_test_rng_below(&rng, 6)], &s, sizeof s);
    } else if (dice < 58) { /* the subject links to another */
      int t = random_subject(&rng);
      if (t >= 0)
        art_send(sys, pid, S_LINK, &t, sizeof t);
    } else if (dice < 63) { /* the subject spawns a linked child into one of my slots */
      int slot = d->index * SLOTS_PER_DRIVER + (int)art_test_rng_below(&rng, SLOTS_PER_DRIVER);
      int cur = atomic_load(&slots[slot]) - 1;
      if (cur < 0 || atomic_load(&records[cur].dead))
        art_send(sys, pid, S_SPAWN_LINK, &slot, sizeof slot);
    } else if (dice < 71) { /* the subject exits by itself */
      uint64_t how = art_test_rng_below(&rng, 3);
      if (how == 0) {
        art_exit_reason r = random_reason(&rng, false);
        art_send(sys, pid, S_EXIT, &r, sizeof r);
      } else {
        art_send(sys, pid, how == 1 ? S_FAIL : S_STOP, NULL, 0);
      }
    } else if (dice < 77) { /* an exit signal or a kill from this thread */
      art_exit_reason r = random_reason(&rng, true);
      art_send_exit(sys, pid, &r);
    } else {
      art_send(sys, pid, S_NOISE, NULL, 0);
    }
  }
  return NULL;
}

/* ---- checks ---------------------------------------------------------------------------------- */

static bool watchers_settled(void) {
  for (int i = 0; i < WATCHERS; i++)
    if (atomic_load(&watchers[i].outstanding) != 0)
      return false;
  return true;
}

/* Subjects linked to a subject that died abnormally and still alive (should be none). */
static int survivors_of_abnormal_partners(int *example) {
  int n = atomic_load(&link_count), bad = 0;
  if (n > MAX_LINKS)
    n = MAX_LINKS;
  for (int i = 0; i < n; i++) {
    int f = atomic_load(&links[i].from);
    if (f < 0)
      continue; /* being written */
    const subject_rec *to = &records[atomic_load(&links[i].to)];
    const subject_rec *from = &records[f];
    if (!atomic_load_explicit(&to->dead, memory_order_acquire) ||
        to->reason.kind == ART_EXIT_NORMAL)
      continue;
    if (!atomic_load(&from->dead)) {
      bad++;
      *example = i;
    }
  }
  return bad;
}

/* Sends an error exit signal to every living subject; true once only the watchers are left. */
static bool end_all_subjects(art_system *sys) {
  int nrec = atomic_load(&record_count);
  if (nrec > MAX_SUBJECTS)
    nrec = MAX_SUBJECTS;
  art_exit_reason final = art_reason_error(ART_ECANCELED, "final");
  for (int i = 0; i < nrec; i++) {
    art_pid pid = atomic_load(&records[i].pid);
    if (pid && !atomic_load(&records[i].dead))
      art_send_exit(sys, pid, &final);
  }
  return it_stats(sys).actors_alive == WATCHERS;
}

static uint64_t seed;

static void test_services_stress(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  sys_under_test = sys;
  atomic_store(&record_count, 0);
  atomic_store(&link_count, 0);
  atomic_store(&chaos_over, false);
  for (int i = 0; i < SLOTS; i++)
    atomic_store(&slots[i], 0);
  for (int i = 0; i < MAX_LINKS; i++) {
    atomic_store(&links[i].from, -1);
    atomic_store(&links[i].to, -1);
  }
  watchers = test_calloc(WATCHERS, sizeof *watchers);
  art_pid wpids[WATCHERS];
  watcher *wptrs[WATCHERS];
  for (int i = 0; i < WATCHERS; i++) {
    watchers[i].index = i;
    wptrs[i] = &watchers[i];
    art_spawn_opts o = {.ops = &watcher_ops, .state = &wptrs[i], .flags = ART_SPAWN_TRAP_EXIT};
    assert_int_equal(art_spawn(sys, &o, &wpids[i]), 0);
  }

  /* chaos */
  driver drivers[DRIVERS];
  pthread_t threads[DRIVERS];
  int64_t chaos_ns = (int64_t)((double)ART_MSEC(CHAOS_MS) * art_test_time_scale());
  int64_t end = art_now_monotonic() + chaos_ns;
  for (int i = 0; i < DRIVERS; i++) {
    drivers[i] = (driver){.index = i, .seed = seed + (uint64_t)i * 7919, .end_ns = end};
    memcpy(drivers[i].watcher_pids, wpids, sizeof wpids);
    assert_int_equal(pthread_create(&threads[i], NULL, driver_main, &drivers[i]), 0);
  }
  for (int i = 0; i < DRIVERS; i++)
    pthread_join(threads[i], NULL);
  atomic_store(&chaos_over, true);

  /* Partners of subjects that died abnormally die too (the signals may still be on their way:
   * wait, bounded). */
  int example = -1;
  bool partners_died = ART_WAIT_UNTIL(survivors_of_abnormal_partners(&example) == 0, WAIT_MS);
  if (!partners_died) {
    int f = atomic_load(&links[example].from), t = atomic_load(&links[example].to);
    print_error("subject %d (pid %llx) linked to %d (pid %llx, died: %s) is still alive\n", f,
                (unsigned long long)atomic_load(&records[f].pid), t,
                (unsigned long long)atomic_load(&records[t].pid),
                art_exit_kind_name(records[t].reason.kind));
  }

  /* End every subject with an error (which also travels through the links), then wait until
   * every link and monitor of the watchers has been answered. */
  bool all_gone = ART_WAIT_UNTIL(end_all_subjects(sys), WAIT_MS);
  int nrec = atomic_load(&record_count);
  if (nrec > MAX_SUBJECTS)
    nrec = MAX_SUBJECTS;
  bool settled = ART_WAIT_UNTIL(watchers_settled(), WAIT_MS);
  long ops = 0, spawns = 0;
  for (int i = 0; i < DRIVERS; i++) {
    ops += drivers[i].ops;
    spawns += drivers[i].spawns;
  }
  int exits = 0, downs = 0, demonitors = 0, violations = 0, outstanding = 0;
  for (int i = 0; i < WATCHERS; i++) {
    exits += atomic_load(&watchers[i].exits);
    downs += atomic_load(&watchers[i].downs);
    demonitors += atomic_load(&watchers[i].demonitors);
    violations += atomic_load(&watchers[i].violations);
    outstanding += atomic_load(&watchers[i].outstanding);
  }
  print_message("seed %llu: %ld driver ops, %d subjects (%ld spawned by threads), %d links "
                "between subjects, watchers saw %d EXIT, %d DOWN, %d demonitors\n",
                (unsigned long long)seed, ops, nrec, spawns, atomic_load(&link_count), exits, downs,
                demonitors);
  if (!settled)
    print_error("%d links or monitors of the watchers were never answered\n", outstanding);
  for (int i = 0; i < WATCHERS; i++)
    if (atomic_load(&watchers[i].violations))
      print_error("%s\n", watchers[i].first_violation);

  assert_int_equal(art_system_shutdown(sys, it_timeout_ms(WAIT_MS)), 0);
  it_destroy(sys, &ta);
  for (int i = 0; i < WATCHERS; i++)
    assert_true(atomic_load(&watchers[i].done));
  test_free(watchers);
  assert_true(nrec < MAX_SUBJECTS);
  assert_true(atomic_load(&link_count) < MAX_LINKS);
  for (int i = 0; i < nrec; i++)
    assert_true(atomic_load(&records[i].pid) == ART_PID_NONE || atomic_load(&records[i].dead));
  assert_true(partners_died);
  assert_true(all_gone);
  assert_int_equal(violations, 0);
  assert_true(settled);
}

int main(int argc, char **argv) {
  seed = art_test_seed(argc, argv);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_services_stress),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
