/*
 * A supervision tree under random failures while messages flow, checked against a reference
 * model of the supervisors' decisions (tests/stress/sup_model.h).
 *
 * The tree: a root supervisor over a few mid supervisors (mixed strategies, intensities and
 * restart policies), each over hundreds of leaf workers (thousands in all: permanent,
 * transient and temporary; some trap exits; graceful, immediate and infinity shutdowns). In
 * each step a driver picks a few actions from a seeded PRNG: a leaf fails, finishes, shuts
 * down, is killed or sent an exit signal (error, shutdown, normal), fails and then fails its
 * next starts; a mid supervisor is killed or sent an exit signal; the dynamic API terminates,
 * restarts, deletes and re-adds children. Meanwhile the leaves pass "ping" messages to random
 * leaves. The model predicts, for every supervisor, the exact sequence of supervision events
 * (child_started, child_stopped, child_failed with reason and code, child_restarted with the
 * restart count, strategy_applied with the children touched, restart_limit_exceeded) and which
 * children exist, in which order, and run. The intensities are chosen so that some restarts
 * exceed them, mid supervisors escalate to the root, and the root itself gives up at times
 * (the tree is then started again).
 *
 * At each quiescent point the test compares the events the system's monitor recorded, per
 * supervisor and in order (each event's supervisor pid must be the same within an instance of
 * a supervisor and change with each restart), with the model's; which_children and
 * count_children of every supervisor; that each running leaf's pid is the one its pre_start
 * saw; and that as many leaf instances are alive as the model runs. Throughout: every start
 * gets a fresh state, a leaf's replacement starts only after the old instance's post_stop
 * (unless its supervisor was killed, when the old ones die through their links), every ping is
 * handled or a dead letter, and nothing leaks (counting allocator; ASan).
 *
 * Two runs: `deterministic` (one thread, manual clock; time-based windows slide as the clock
 * advances; exact replay with --seed) and `threaded` (2 workers, real clock, a traffic thread,
 * several actions at once on different mid supervisors, so TSan sees real concurrency; the
 * windows are an hour, so the model's counts hold whatever the timing). An action whose
 * effects reach the root runs alone in its step: the root's decisions depend on the order in
 * which its children's exits arrive.
 */
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "art.h"
#include "sup_model.h"
#include "test_support.h"

#include <cmocka.h>

#define WAIT_MS 20000 /* for the expected events and exits (scaled); a pass never waits long */
#define PING_TTL 4
#define INFLIGHT_MAX 200 /* pings the traffic thread keeps in flight at most */

enum { CMD_FAIL = 1, CMD_NORMAL, CMD_SHUTDOWN, MSG_PING };

/* What the test knows of each leaf, across its instances. */
typedef struct leaf_slot {
  _Atomic art_pid pid;          /* the running instance, as its pre_start saw itself */
  atomic_int live;              /* instances between pre_start and post_stop */
  _Atomic uint32_t fail_starts; /* its next starts fail with SM_START_ERROR */
} leaf_slot;

/* A leaf's state: fresh (zeroed) on every start. */
typedef struct leaf_state {
  uint32_t magic;
  uint32_t mid, leaf;
  art_test_rng rng;
} leaf_state;

#define LEAF_MAGIC 0x1eaf5eedu
#define ARG_LATE_TRAP 0x80000000u /* args: the leaf turns trapping on in pre_start */

typedef struct run_config {
  bool deterministic;
  uint32_t mids;
  uint32_t leaves; /* a one_for_one mid has about this many leaves; others fewer */
  uint32_t steps;
  uint32_t actions_max; /* per step */
} run_config;

static struct {
  uint64_t seed;
  run_config cfg;
  art_system *sys;
  art_test_alloc ta;
  sm_tree_spec spec;
  art_sup_spec sups[SM_MIDS_MAX + 1];
  art_child_spec children[SM_MIDS_MAX + 1][SM_LEAVES_MAX];
  leaf_slot slots[SM_MIDS_MAX][SM_LEAVES_MAX];
  atomic_bool orphans[SM_MIDS_MAX]; /* a mid was killed: its old leaves may still be exiting */
  art_pid root;
  art_pid mid_pid[SM_MIDS_MAX]; /* at the last check */
  pthread_mutex_t lock;         /* observed */
  sm_log observed[SM_MIDS_MAX + 1];
  atomic_uint_least64_t live_leaves, pings_tried, pings_handled, pings_dead, violations;
  atomic_bool stop_traffic;
  /* What the run did, printed at its end: actions by kind, events compared by kind, trees. */
  uint64_t actions[16], events[ART_EVENT_KIND_COUNT], root_limits, trees;
} g;

static void violation(const char *what, uint32_t mid, uint32_t leaf) {
  if (atomic_fetch_add(&g.violations, 1) < 10)
    fprintf(stderr, "violation: %s (leaf L%u.%04u)\n", what, mid, leaf);
}

/* ---- the leaves ------------------------------------------------------------------------ */

static art_pid random_leaf_pid(art_test_rng *rng) {
  uint32_t mid = (uint32_t)art_test_rng_below(rng, g.cfg.mids);
  uint32_t leaf = (uint32_t)art_test_rng_below(rng, g.spec.nodes[mid + 1].count);
  return atomic_load(&g.slots[mid][leaf].pid);
}

/* A ping to a random leaf; counted as tried whatever becomes of it. */
static void send_ping(art_test_rng *rng, uint32_t ttl) {
  art_pid to = random_leaf_pid(rng);
  if (to == ART_PID_NONE)
    return;
  atomic_fetch_add(&g.pings_tried, 1);
  (void)art_send(g.sys, to, MSG_PING, &ttl, sizeof ttl); /* a stale pid: a dead letter */
}

static int leaf_pre_start(art_ctx *ctx, void *state, void *args) {
  uint32_t arg = (uint32_t)(uintptr_t)args;
  uint32_t mid = (arg >> 16) & 0xff, leaf = arg & 0xffff;
  leaf_slot *slot = &g.slots[mid][leaf];
  leaf_state *st = state;
  static const leaf_state fresh;
  if (memcmp(st, &fresh, sizeof fresh) != 0)
    violation("the state of a new instance is not zeroed", mid, leaf);
  uint32_t fails = atomic_load(&slot->fail_starts);
  while (fails && !atomic_compare_exchange_weak(&slot->fail_starts, &fails, fails - 1)) {
  }
  if (fails)
    return SM_START_ERROR;
  if (arg & ARG_LATE_TRAP)
    art_trap_exit(ctx, true);
  *st = (leaf_state){.magic = LEAF_MAGIC, .mid = mid, .leaf = leaf};
  art_test_rng_init(&st->rng, g.seed ^ art_self(ctx));
  if (atomic_fetch_add(&slot->live, 1) != 0 && !atomic_load(&g.orphans[mid]))
    violation("started while the previous instance is alive", mid, leaf);
  atomic_fetch_add(&g.live_leaves, 1);
  atomic_store(&slot->pid, art_self(ctx));
  return 0;
}

static void leaf_post_stop(art_ctx *ctx, void *state, const art_exit_reason *reason) {
  (void)reason;
  leaf_state *st = state;
  if (st->magic != LEAF_MAGIC) {
    violation("post_stop without pre_start", st->mid, st->leaf);
    return;
  }
  leaf_slot *slot = &g.slots[st->mid][st->leaf];
  art_pid self = art_self(ctx);
  atomic_compare_exchange_strong(&slot->pid, &self, ART_PID_NONE);
  atomic_fetch_sub(&slot->live, 1);
  atomic_fetch_sub(&g.live_leaves, 1);
}

static int leaf_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  leaf_state *st = state;
  switch (msg->type) {
  case MSG_PING: {
    uint32_t ttl;
    memcpy(&ttl, msg->data, sizeof ttl);
    atomic_fetch_add(&g.pings_handled, 1);
    if (ttl)
      send_ping(&st->rng, ttl - 1);
    return 0;
  }
  case CMD_FAIL: {
    int32_t code;
    memcpy(&code, msg->data, sizeof code);
    return art_fail(ctx, code, "told to fail");
  }
  case CMD_NORMAL:
    return ART_STOP;
  case CMD_SHUTDOWN: {
    art_exit_reason r = art_reason(ART_EXIT_SHUTDOWN);
    art_exit(ctx, &r);
    return 0;
  }
  case ART_MSG_EXIT: /* a trapping leaf ends with the reason of any exit signal */
    art_exit(ctx, &((const art_exit_msg *)msg->data)->reason);
    return 0;
  default:
    violation("unexpected message", st->mid, st->leaf);
    return 0;
  }
}

static const art_actor_ops leaf_ops = {
    .pre_start = leaf_pre_start, .handle = leaf_handle, .post_stop = leaf_post_stop};

static void on_dead_letter(void *ctx, const art_dead_letter *letter) {
  (void)ctx;
  if (letter->type == MSG_PING)
    atomic_fetch_add(&g.pings_dead, 1);
}

/* ---- the monitor: supervision events by supervisor -------------------------------------- */

/* The node an event belongs to, from its child id: "M<k>" are the root's, "L<k>.<i>" mid k's. */
static int node_of_id(const char *id) {
  if (id[0] == 'M')
    return SM_ROOT;
  if (id[0] == 'L' && id[1] >= '0' && id[1] < '0' + SM_MIDS_MAX)
    return id[1] - '0' + 1;
  return -1;
}

static int tree_record(void *self, const art_event *ev) {
  (void)self;
  sm_event e = {.kind = ev->kind,
                .reason = ev->reason,
                .error_code = ev->error_code,
                .restart_count = ev->restart_count,
                .count = ev->count,
                .pid = ev->pid,
                .other = ev->other};
  memcpy(e.id, ev->child_id, sizeof e.id - 1); /* ours are shorter; a longer one won't match */
  int node = node_of_id(e.id);
  pthread_mutex_lock(&g.lock);
  if (node < 0)
    atomic_fetch_add(&g.violations, 1);
  else
    sm_log_push(&g.observed[node], &e);
  pthread_mutex_unlock(&g.lock);
  return 0;
}

static const art_monitor_ops tree_monitor_ops = {.record = tree_record};

/* ---- the tree ------------------------------------------------------------------------------ */

static uint64_t below(art_test_rng *rng, uint64_t n) {
  return art_test_rng_below(rng, n);
}

/* Draws the tree: the model's spec and the supervisors' specs that mirror it. */
static void build_tree(art_test_rng *rng) {
  static const art_sup_strategy strategies[] = {ART_SUP_ONE_FOR_ONE, ART_SUP_ONE_FOR_ALL,
                                                ART_SUP_REST_FOR_ONE};
  const run_config *cfg = &g.cfg;
  sm_tree_spec *t = &g.spec;
  memset(t, 0, sizeof *t);
  t->mids = cfg->mids;
  /* Real time (threaded): windows of an hour, so that only counts matter. */
  int64_t hour = ART_SEC(3600);
  for (uint32_t node = 0; node <= cfg->mids; node++) {
    sm_sup_spec *s = &t->nodes[node];
    bool root = node == SM_ROOT;
    /* The root: a strategy drawn from the seed; the mids: one of each, then drawn. */
    s->strategy = strategies[root ? below(rng, 3) : node <= 3 ? node - 1 : below(rng, 3)];
    s->intensity = root ? 2 + (uint32_t)below(rng, 4) : 2 + (uint32_t)below(rng, 10);
    s->period = !cfg->deterministic ? hour
                : root              ? ART_SEC(1) * (int64_t)(3 + below(rng, 10))
                                    : ART_MSEC(250) * (int64_t)(2 + below(rng, 12));
    /* A failure in a one_for_all mid restarts all its leaves: keep those mids smaller. */
    uint32_t leaves = s->strategy == ART_SUP_ONE_FOR_ONE    ? cfg->leaves
                      : s->strategy == ART_SUP_REST_FOR_ONE ? cfg->leaves / 2
                                                            : cfg->leaves / 5;
    s->count = root ? cfg->mids : leaves / 2 + (uint32_t)below(rng, leaves);
    for (uint32_t i = 0; i < s->count; i++) {
      sm_child_spec *c = &s->children[i];
      art_child_spec *a = &g.children[node][i];
      memset(a, 0, sizeof *a);
      uint64_t r = below(rng, 10);
      if (root) {
        snprintf(c->id, sizeof c->id, "M%u", i);
        c->restart = r < 7 ? ART_RESTART_PERMANENT : ART_RESTART_TRANSIENT;
        c->immediate = below(rng, 4) == 0;
        a->type = ART_CHILD_SUPERVISOR;
        a->sup = &g.sups[i + 1];
      } else {
        snprintf(c->id, sizeof c->id, "L%u.%04u", node - 1, i);
        c->restart = r < 5   ? ART_RESTART_PERMANENT
                     : r < 8 ? ART_RESTART_TRANSIENT
                             : ART_RESTART_TEMPORARY;
        uint64_t shutdown = below(rng, 8);
        static const art_shutdown_kind kinds[] = {ART_SHUTDOWN_DEFAULT, ART_SHUTDOWN_GRACEFUL,
                                                  ART_SHUTDOWN_INFINITY, ART_SHUTDOWN_IMMEDIATE};
        a->shutdown.kind = kinds[shutdown < 4 ? 0 : shutdown - 4];
        /* On the real clock a graceful stop must not run out of time (a busy machine, a
         * sanitizer): the child would be killed, which the model does not foresee. */
        if (!cfg->deterministic && a->shutdown.kind == ART_SHUTDOWN_DEFAULT)
          a->shutdown.kind = ART_SHUTDOWN_GRACEFUL;
        if (a->shutdown.kind == ART_SHUTDOWN_GRACEFUL)
          a->shutdown.timeout = cfg->deterministic ? ART_SEC(1) : ART_SEC(600);
        c->immediate = a->shutdown.kind == ART_SHUTDOWN_IMMEDIATE;
        uint64_t trap = below(rng, 6);
        c->traps = trap < 2;
        a->actor.ops = &leaf_ops;
        a->actor.state_size = sizeof(leaf_state);
        a->actor.flags = trap == 0 ? ART_SPAWN_TRAP_EXIT : 0;
        a->actor.args =
            (void *)(uintptr_t)(((node - 1) << 16) | i | (trap == 1 ? ARG_LATE_TRAP : 0));
      }
      a->id = c->id;
      a->restart = c->restart;
      if (root && c->immediate)
        a->shutdown.kind = ART_SHUTDOWN_IMMEDIATE;
    }
    art_sup_spec *sup = &g.sups[node];
    art_sup_spec_init(sup);
    sup->strategy = s->strategy;
    sup->intensity = s->intensity;
    sup->period = s->period;
    sup->children = g.children[node];
    sup->child_count = s->count;
    sup->allocator = art_test_alloc_allocator(&g.ta);
  }
}

/* ---- checks at quiescent points ------------------------------------------------------------ */

static uint64_t observed_count(uint32_t node) {
  pthread_mutex_lock(&g.lock);
  uint64_t n = g.observed[node].count;
  pthread_mutex_unlock(&g.lock);
  return n;
}

/* Whether every supervisor has emitted at least the events the model expects of it. */
static bool all_events_in(const sm_model *m) {
  for (uint32_t node = 0; node <= g.cfg.mids; node++)
    if (observed_count(node) < m->logs[node].count)
      return false;
  return true;
}

static void print_event(const char *side, size_t i, const sm_event *e) {
  fprintf(stderr, "  %s[%zu] %-22s %-8s reason=%s code=%d restarts=%u count=%" PRIu64 "\n", side, i,
          art_event_kind_name((art_event_kind)e->kind), e->id,
          art_exit_kind_name((art_exit_kind)e->reason), e->error_code, e->restart_count, e->count);
}

/* The fields a kind carries, equal; the supervisor's pid the same within one of its instances
 * and new with each instance. */
static bool same_event(const sm_event *want, const sm_event *got) {
  if (want->kind != got->kind || strcmp(want->id, got->id) != 0 || got->other == ART_PID_NONE)
    return false;
  switch ((art_event_kind)want->kind) {
  case ART_EVENT_SUPERVISION_CHILD_STOPPED:
    return want->reason == got->reason;
  case ART_EVENT_SUPERVISION_CHILD_FAILED:
    return want->error_code == got->error_code && want->restart_count == got->restart_count &&
           (want->error_code == SM_START_ERROR || want->reason == got->reason);
  case ART_EVENT_SUPERVISION_CHILD_RESTARTED:
  case ART_EVENT_SUPERVISION_RESTART_LIMIT_EXCEEDED:
    return want->restart_count == got->restart_count;
  case ART_EVENT_SUPERVISION_STRATEGY_APPLIED:
    return want->count == got->count;
  default:
    return true;
  }
}

/* Per node: the instance of the supervisor seen last and its pid. */
static uint32_t g_instance[SM_MIDS_MAX + 1];
static art_pid g_instance_pid[SM_MIDS_MAX + 1];

static void compare_events(sm_model *m, uint32_t step) {
  pthread_mutex_lock(&g.lock);
  for (uint32_t node = 0; node <= g.cfg.mids; node++) {
    const sm_log *want = &m->logs[node], *got = &g.observed[node];
    size_t n = want->count < got->count ? want->count : got->count, bad = n;
    for (size_t i = 0; i < n && bad == n; i++) {
      const sm_event *w = &want->events[i], *o = &got->events[i];
      bool pid_ok = w->instance == g_instance[node] ? o->other == g_instance_pid[node]
                                                    : o->other != g_instance_pid[node];
      if (!same_event(w, o) || !pid_ok)
        bad = i;
      g_instance[node] = w->instance;
      g_instance_pid[node] = o->other;
    }
    if (bad == n && want->count == got->count) {
      for (size_t i = 0; i < n; i++) {
        g.events[art_event_kind_index((art_event_kind)want->events[i].kind)]++;
        g.root_limits +=
            node == SM_ROOT && want->events[i].kind == ART_EVENT_SUPERVISION_RESTART_LIMIT_EXCEEDED;
      }
      continue;
    }
    fprintf(stderr,
            "step %u, supervisor %s: %zu events expected, %zu seen; first difference at %zu\n",
            step, node == SM_ROOT ? "root" : g.spec.nodes[SM_ROOT].children[node - 1].id,
            want->count, got->count, bad);
    size_t from = bad > 3 ? bad - 3 : 0;
    for (size_t i = from; i < bad + 4 && i < want->count; i++)
      print_event("expected", i, &want->events[i]);
    for (size_t i = from; i < bad + 4 && i < got->count; i++)
      print_event("seen    ", i, &got->events[i]);
    pthread_mutex_unlock(&g.lock);
    fail_msg("the supervisor's events differ from the model's (seed %" PRIu64 ")", g.seed);
  }
  for (uint32_t node = 0; node <= g.cfg.mids; node++) {
    sm_log_clear(&m->logs[node]);
    sm_log_clear(&g.observed[node]);
  }
  pthread_mutex_unlock(&g.lock);
}

/* which_children and count_children of @p sup against the model's node. */
static void check_children(const sm_model *m, uint32_t node, art_pid sup, art_pid *pids) {
  static art_sup_child_info info[SM_LEAVES_MAX];
  const sm_sup *s = &m->nodes[node];
  size_t n = 0;
  assert_int_equal(art_sup_which_children(g.sys, sup, info, SM_LEAVES_MAX, &n), 0);
  assert_int_equal(n, s->count);
  uint32_t running = 0;
  for (uint32_t i = 0; i < s->count; i++) {
    const sm_child *c = &s->children[i];
    assert_string_equal(info[i].id, g.spec.nodes[node].children[c->spec].id);
    art_child_state state = c->running      ? ART_CHILD_RUNNING
                            : c->restarting ? ART_CHILD_RESTARTING
                                            : ART_CHILD_UNDEFINED;
    assert_int_equal(info[i].state, state);
    assert_int_equal(info[i].type, node == SM_ROOT ? ART_CHILD_SUPERVISOR : ART_CHILD_WORKER);
    assert_int_equal(info[i].restarts, c->restarts);
    if (node == SM_ROOT)
      pids[c->spec] = info[i].pid;
    else if (c->running)
      assert_int_equal(info[i].pid, atomic_load(&g.slots[node - 1][c->spec].pid));
    running += c->running;
  }
  art_sup_counts counts;
  assert_int_equal(art_sup_count_children(g.sys, sup, &counts), 0);
  assert_int_equal(counts.specs, s->count);
  assert_int_equal(counts.active, running);
  assert_int_equal(counts.supervisors, node == SM_ROOT ? s->count : 0);
  assert_int_equal(counts.workers, node == SM_ROOT ? 0 : s->count);
}

static uint64_t model_running_leaves(const sm_model *m) {
  uint64_t n = 0;
  for (uint32_t k = 0; k < g.cfg.mids; k++)
    if (m->nodes[k + 1].alive)
      for (uint32_t i = 0; i < m->nodes[k + 1].count; i++)
        n += m->nodes[k + 1].children[i].running;
  return n;
}

/* Waits for the step's effects, then compares everything with the model. */
static void check_quiescent(sm_model *m, uint32_t step) {
  if (g.cfg.deterministic)
    art_system_run(g.sys);
  else
    assert_true(ART_WAIT_UNTIL(all_events_in(m), WAIT_MS));
  compare_events(m, step);
  if (m->nodes[SM_ROOT].alive) {
    assert_true(art_is_alive(g.sys, g.root));
    check_children(m, SM_ROOT, g.root, g.mid_pid);
    for (uint32_t k = 0; k < g.cfg.mids; k++) {
      const sm_child *c = sm_find(m, SM_ROOT, k);
      if (c && c->running)
        check_children(m, k + 1, g.mid_pid[k], NULL);
      else
        g.mid_pid[k] = ART_PID_NONE;
    }
  } else {
    assert_true(ART_WAIT_UNTIL(!art_is_alive(g.sys, g.root), WAIT_MS));
  }
  uint64_t running = model_running_leaves(m);
  assert_true(ART_WAIT_UNTIL(atomic_load(&g.live_leaves) == running, WAIT_MS));
  for (uint32_t k = 0; k < g.cfg.mids; k++)
    atomic_store(&g.orphans[k], false);
}

/* ---- actions ------------------------------------------------------------------------------- */

static const char *leaf_id(uint32_t mid, uint32_t leaf) {
  return g.spec.nodes[mid + 1].children[leaf].id;
}

/* Sends what an action that is not a call sends. */
static void perform_signal(const sm_action *a) {
  leaf_slot *slot = a->kind < SM_TERMINATE ? &g.slots[a->mid][a->leaf] : NULL;
  art_pid to = slot ? atomic_load(&slot->pid) : g.mid_pid[a->mid];
  assert_true(to != ART_PID_NONE);
  art_exit_reason reason =
      a->reason == ART_EXIT_ERROR ? art_reason_error(a->code, "signalled") : art_reason(a->reason);
  art_exit_reason killed = art_reason(ART_EXIT_KILLED);
  switch (a->kind) {
  case SM_LEAF_FAIL_STARTS:
    atomic_store(&slot->fail_starts, a->count);
    /* fall through */
  case SM_LEAF_FAIL:
    assert_int_equal(art_send(g.sys, to, CMD_FAIL, &a->code, sizeof a->code), 0);
    return;
  case SM_LEAF_NORMAL:
    assert_int_equal(art_send(g.sys, to, CMD_NORMAL, NULL, 0), 0);
    return;
  case SM_LEAF_SHUTDOWN:
    assert_int_equal(art_send(g.sys, to, CMD_SHUTDOWN, NULL, 0), 0);
    return;
  case SM_MID_KILL:
    atomic_store(&g.orphans[a->mid], true);
    /* fall through */
  case SM_LEAF_KILL:
    assert_int_equal(art_send_exit(g.sys, to, &killed), 0);
    return;
  case SM_LEAF_SIGNAL:
  case SM_MID_SIGNAL:
    assert_int_equal(art_send_exit(g.sys, to, &reason), 0);
    return;
  default:
    fail();
  }
}

/* Makes a dynamic API call and checks that it returns what the model said. */
static void perform_call(const sm_action *a, int expect) {
  art_pid mid = g.mid_pid[a->mid];
  int rc;
  switch (a->kind) {
  case SM_TERMINATE:
    rc = art_sup_terminate_child(g.sys, mid, leaf_id(a->mid, a->leaf));
    break;
  case SM_RESTART_CHILD:
    rc = art_sup_restart_child(g.sys, mid, leaf_id(a->mid, a->leaf), NULL);
    break;
  case SM_DELETE:
    rc = art_sup_delete_child(g.sys, mid, leaf_id(a->mid, a->leaf));
    break;
  case SM_START_CHILD:
    rc = art_sup_start_child(g.sys, mid, &g.children[a->mid + 1][a->leaf], NULL);
    break;
  case SM_MID_TERMINATE:
    rc = art_sup_terminate_child(g.sys, g.root, g.spec.nodes[SM_ROOT].children[a->mid].id);
    break;
  case SM_MID_RESTART:
    rc = art_sup_restart_child(g.sys, g.root, g.spec.nodes[SM_ROOT].children[a->mid].id, NULL);
    break;
  default:
    fail();
    return;
  }
  assert_int_equal(rc, expect);
}

static void start_tree(sm_model *m, uint32_t step) {
  g.trees++;
  sm_start_tree(m);
  assert_int_equal(art_sup_start(g.sys, &g.sups[SM_ROOT], &g.root), 0);
  check_quiescent(m, step);
}

/* One step: a few actions on distinct mids (or one whose effects reach the root), then the
 * checks. */
static void run_step(art_test_rng *rng, sm_model *m, uint32_t step) {
  static sm_model trial;
  if (g.cfg.deterministic) {
    /* In steps of 50 ms, so that restarts often fall exactly one period apart (OTP keeps
     * t >= now - period in the window). */
    int64_t delta = ART_MSEC(50) * (int64_t)below(rng, 8);
    assert_true(art_clock_advance(g.sys, delta) >= 0);
    sm_advance(m, delta);
    for (int i = 0; i < 40; i++)
      send_ping(rng, PING_TTL);
  }
  sm_action plan[SM_MIDS_MAX];
  int expect[SM_MIDS_MAX];
  bool used[SM_MIDS_MAX] = {false}, alone = false;
  uint32_t n = 0, want = 1 + (uint32_t)below(rng, g.cfg.actions_max);
  for (uint32_t tries = 0; tries < 8 * g.cfg.mids && n < want && !alone; tries++) {
    uint32_t mid = (uint32_t)below(rng, g.cfg.mids);
    sm_action a;
    if (used[mid] || !sm_draw(rng, m, mid, &a))
      continue;
    sm_copy_for_trial(&trial, m);
    sm_apply(&trial, &a);
    if (trial.unsupported || (a.kind == SM_LEAF_FAIL_STARTS && trial.fail_starts[mid][a.leaf]) ||
        (trial.root_events && n > 0))
      continue;
    alone = trial.root_events;
    expect[n] = sm_apply(m, &a);
    g.actions[a.kind]++;
    plan[n++] = a;
    used[mid] = true;
  }
  for (uint32_t k = 0; alone && k < g.cfg.mids; k++)
    atomic_store(&g.orphans[k], true); /* the root may kill mids (immediate shutdown) */
  for (uint32_t i = 0; i < n; i++)
    if (!sm_is_call(plan[i].kind))
      perform_signal(&plan[i]);
  for (uint32_t i = 0; i < n; i++)
    if (sm_is_call(plan[i].kind))
      perform_call(&plan[i], expect[i]);
  check_quiescent(m, step);
  if (!m->nodes[SM_ROOT].alive)
    start_tree(m, step); /* the root gave up: a new tree */
}

/* ---- the runs ------------------------------------------------------------------------------ */

static void *traffic_main(void *arg) {
  (void)arg;
  art_test_rng rng;
  art_test_rng_init(&rng, g.seed ^ UINT64_C(0x7aff1c));
  while (!atomic_load(&g.stop_traffic)) {
    uint64_t done = atomic_load(&g.pings_handled) + atomic_load(&g.pings_dead);
    if (atomic_load(&g.pings_tried) - done < INFLIGHT_MAX) {
      send_ping(&rng, PING_TTL);
    } else {
      struct timespec pause = {.tv_nsec = 200000}; /* pacing, not a wait for a condition */
      nanosleep(&pause, NULL);
    }
  }
  return NULL;
}

static void run_tree(const run_config *cfg, uint64_t seed) {
  memset(&g.cfg, 0, sizeof g.cfg);
  g.cfg = *cfg;
  g.seed = seed;
  memset(g.slots, 0, sizeof g.slots);
  memset(g_instance, 0, sizeof g_instance);
  memset(g_instance_pid, 0, sizeof g_instance_pid);
  atomic_store(&g.live_leaves, 0);
  atomic_store(&g.pings_tried, 0);
  atomic_store(&g.pings_handled, 0);
  atomic_store(&g.pings_dead, 0);
  atomic_store(&g.violations, 0);
  atomic_store(&g.stop_traffic, false);
  int64_t started = art_now_monotonic();
  memset(g.actions, 0, sizeof g.actions);
  memset(g.events, 0, sizeof g.events);
  g.root_limits = g.trees = 0;
  for (uint32_t node = 0; node <= SM_MIDS_MAX; node++)
    sm_log_clear(&g.observed[node]); /* what a failed run may have left */
  art_test_alloc_init(&g.ta);
  art_test_rng rng;
  art_test_rng_init(&rng, seed);
  build_tree(&rng);

  art_monitor_config mcfg;
  art_monitor_config_init(&mcfg);
  mcfg.family_mask = ART_EVENT_FAMILY_BIT(ART_EVENT_FAMILY_SUPERVISION);
  mcfg.min_severity = ART_SEVERITY_TRACE;
  art_event_monitor *mon = NULL;
  assert_int_equal(art_monitor_create(&mon, &tree_monitor_ops, NULL, &mcfg), 0);
  art_system_config scfg;
  art_system_config_init(&scfg);
  scfg.deterministic = cfg->deterministic;
  scfg.workers = 2;
  scfg.allocator = art_test_alloc_allocator(&g.ta);
  scfg.dead_letter = on_dead_letter;
  scfg.monitor = mon;
  assert_int_equal(art_system_create(&g.sys, &scfg), 0);

  static sm_model model;
  sm_init(&model, &g.spec);
  pthread_t traffic;
  start_tree(&model, 0);
  if (!cfg->deterministic)
    assert_int_equal(pthread_create(&traffic, NULL, traffic_main, NULL), 0);
  for (uint32_t step = 1; step <= cfg->steps; step++)
    run_step(&rng, &model, step);
  if (!cfg->deterministic) {
    atomic_store(&g.stop_traffic, true);
    assert_int_equal(pthread_join(traffic, NULL), 0);
  }
  sm_stop_tree(&model);
  assert_int_equal(art_sup_stop(g.sys, g.root, ART_FOREVER), 0);
  check_quiescent(&model, cfg->steps + 1);

  assert_int_equal(art_system_shutdown(g.sys, ART_SEC(10)), 0);
  art_system_destroy(g.sys);
  art_monitor_destroy(mon);
  sm_fini(&model);
  for (uint32_t node = 0; node <= cfg->mids; node++) {
    free(g.observed[node].events);
    g.observed[node] = (sm_log){0};
  }
  fprintf(stderr, "%s run: %.2f s, %u steps, %u trees, actions:",
          cfg->deterministic ? "deterministic" : "threaded",
          (double)(art_now_monotonic() - started) / 1e9, cfg->steps, (unsigned)g.trees);
  for (int k = 0; k < SM_ACTION_KINDS; k++)
    fprintf(stderr, " %" PRIu64, g.actions[k]);
  fprintf(stderr, "\n  events compared:");
  for (int k = 0; k < ART_EVENT_KIND_COUNT; k++)
    if (g.events[k])
      fprintf(stderr, " %s %" PRIu64, art_event_kind_name(art_event_kind_at(k)), g.events[k]);
  fprintf(stderr, " (the root's limit exceeded %" PRIu64 " times); pings %" PRIu64 "\n",
          g.root_limits, atomic_load(&g.pings_tried));
  assert_int_equal(art_test_alloc_live(&g.ta), 0);
  assert_int_equal(atomic_load(&g.live_leaves), 0);
  assert_int_equal(atomic_load(&g.violations), 0);
  assert_int_equal(atomic_load(&g.pings_tried),
                   atomic_load(&g.pings_handled) + atomic_load(&g.pings_dead));
}

/* About 2,200 leaves under 6 mids. */
static void deterministic(void **unused) {
  (void)unused;
  run_config cfg = {
      .deterministic = true, .mids = 6, .leaves = 640, .steps = 250, .actions_max = 3};
  run_tree(&cfg, g.seed);
}

/* About 1,000 leaves under 4 mids, up to 4 actions at once. */
static void threaded(void **unused) {
  (void)unused;
  run_config cfg = {
      .deterministic = false, .mids = 4, .leaves = 400, .steps = 120, .actions_max = 4};
  run_tree(&cfg, g.seed + 1);
}

int main(int argc, char **argv) {
  uint64_t seed = art_test_seed(argc, argv);
  g.seed = seed;
  pthread_mutex_init(&g.lock, NULL);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(deterministic),
      cmocka_unit_test(threaded),
  };
  int failed = cmocka_run_group_tests(tests, NULL, NULL);
  if (failed)
    fprintf(stderr, "test_sup_tree failed; replay with --seed %" PRIu64 "\n", seed);
  return failed;
}
