/*
 * The reference model of sup_model.h. Each function follows one rule of docs/supervision.md
 * (OTP's supervisor): a child's exit is recorded (child_failed for a reason other than normal
 * or shutdown, child_stopped otherwise) and the restart policy decides; a restart is counted
 * in the window first (exceeding the intensity stops every child in reverse order, records
 * restart_limit_exceeded and ends the supervisor with `shutdown`, which its parent sees as a
 * child's exit), then the strategy stops the children it touches in reverse order and starts
 * them in order; a start that fails leaves the rest down, marks the child restarting and
 * retries it (another restart) once the supervisor is done with the current operation.
 */
#include "sup_model.h"

#include <stdlib.h>
#include <string.h>

static sm_sup *node_of(sm_model *m, uint32_t node) {
  return &m->nodes[node];
}

static const sm_sup_spec *spec_of(const sm_model *m, uint32_t node) {
  return &m->spec->nodes[node];
}

static const sm_child_spec *child_spec(const sm_model *m, uint32_t node, const sm_child *c) {
  return &spec_of(m, node)->children[c->spec];
}

/* ---- logs ---------------------------------------------------------------------------------- */

void sm_log_push(sm_log *log, const sm_event *ev) {
  if (log->count == log->capacity) {
    size_t capacity = log->capacity ? log->capacity * 2 : 1024;
    sm_event *bigger = realloc(log->events, capacity * sizeof *bigger);
    if (!bigger)
      abort(); /* a test helper: out of memory ends the test */
    log->events = bigger;
    log->capacity = capacity;
  }
  log->events[log->count++] = *ev;
}

void sm_log_clear(sm_log *log) {
  log->count = 0;
}

static void emit(sm_model *m, uint32_t node, art_event_kind kind, const sm_child *c,
                 art_exit_kind reason, int32_t code, uint32_t restart_count, uint64_t count) {
  if (node == SM_ROOT)
    m->root_events = true;
  if (!m->logging)
    return;
  sm_event ev = {.kind = (uint16_t)kind,
                 .reason = (uint8_t)reason,
                 .error_code = code,
                 .restart_count = restart_count,
                 .count = count,
                 .instance = node_of(m, node)->instance};
  memcpy(ev.id, child_spec(m, node, c)->id, SM_ID_SIZE);
  sm_log_push(&m->logs[node], &ev);
}

/* ---- set-up -------------------------------------------------------------------------------- */

void sm_init(sm_model *m, const sm_tree_spec *spec) {
  memset(m, 0, sizeof *m);
  m->spec = spec;
  m->logging = true;
  m->logs = calloc(spec->mids + 1, sizeof *m->logs);
  if (!m->logs)
    abort();
}

void sm_fini(sm_model *m) {
  for (uint32_t i = 0; i <= m->spec->mids; i++)
    free(m->logs[i].events);
  free(m->logs);
  m->logs = NULL;
}

void sm_copy_for_trial(sm_model *trial, const sm_model *m) {
  memcpy(trial, m, sizeof *trial);
  trial->logging = false;
  trial->root_events = false;
  trial->unsupported = false;
}

void sm_advance(sm_model *m, int64_t delta) {
  m->now += delta;
}

const sm_child *sm_find(const sm_model *m, uint32_t node, uint32_t child) {
  const sm_sup *s = &m->nodes[node];
  for (uint32_t i = 0; i < s->count; i++)
    if (s->children[i].spec == child)
      return &s->children[i];
  return NULL;
}

static sm_child *find(sm_model *m, uint32_t node, uint32_t child) {
  return (sm_child *)sm_find(m, node, child);
}

static void remove_child(sm_model *m, uint32_t node, uint32_t child) {
  sm_sup *s = node_of(m, node);
  for (uint32_t i = 0; i < s->count; i++)
    if (s->children[i].spec == child) {
      memmove(&s->children[i], &s->children[i + 1], (s->count - i - 1) * sizeof *s->children);
      s->count--;
      return;
    }
}

/* ---- the rules ----------------------------------------------------------------------------- */

static void child_exit(sm_model *m, uint32_t node, uint32_t child, art_exit_kind kind,
                       int32_t code);

/* A supervisor (re)starts: a new instance, an empty window, its spec's children in order. */
static void sup_start(sm_model *m, uint32_t node) {
  sm_sup *s = node_of(m, node);
  const sm_sup_spec *spec = spec_of(m, node);
  uint32_t instance = s->instance + 1;
  memset(s, 0, sizeof *s);
  s->alive = true;
  s->instance = instance;
  s->count = spec->count;
  for (uint32_t i = 0; i < spec->count; i++)
    s->children[i] = (sm_child){.spec = (uint16_t)i};
  for (uint32_t i = 0; i < spec->count; i++) {
    sm_child *c = &s->children[i];
    if (node != SM_ROOT && m->fail_starts[node - 1][c->spec]) {
      m->unsupported = true; /* a failed start_link and its rollback */
      m->fail_starts[node - 1][c->spec]--;
    }
    if (node == SM_ROOT)
      sup_start(m, c->spec + 1);
    c->running = true;
    emit(m, node, ART_EVENT_SUPERVISION_CHILD_STARTED, c, 0, 0, 0, 0);
  }
}

/* Starts one child of a running supervisor; 0 or the start's error. */
static int start_one(sm_model *m, uint32_t node, sm_child *c) {
  if (node != SM_ROOT && m->fail_starts[node - 1][c->spec]) {
    m->fail_starts[node - 1][c->spec]--;
    emit(m, node, ART_EVENT_SUPERVISION_CHILD_FAILED, c, 0, SM_START_ERROR, c->restarts, 0);
    return SM_START_ERROR;
  }
  if (node == SM_ROOT)
    sup_start(m, c->spec + 1);
  c->running = true;
  c->restarting = false;
  emit(m, node, ART_EVENT_SUPERVISION_CHILD_STARTED, c, 0, 0, 0, 0);
  return 0;
}

/* A supervisor stops all its children in reverse order (its shutdown); it is then gone. */
static void stop_children(sm_model *m, uint32_t node);

/* Stops one child as part of an operation of its supervisor (stop_begin/stop_done): a child
 * that is not running only loses its spec if temporary; a running one gets its shutdown
 * policy's signal and exits with `killed` or `shutdown` (a mid first stops its own children,
 * unless it is killed, when they die through their links). */
static void stop_one(sm_model *m, uint32_t node, uint32_t child) {
  sm_child *c = find(m, node, child);
  const sm_child_spec *cs = child_spec(m, node, c);
  if (c->running) {
    art_exit_kind kind = cs->immediate ? ART_EXIT_KILLED : ART_EXIT_SHUTDOWN;
    if (node == SM_ROOT) {
      if (!cs->immediate)
        stop_children(m, child + 1);
      node_of(m, child + 1)->alive = false;
    }
    emit(m, node, ART_EVENT_SUPERVISION_CHILD_STOPPED, c, kind, 0, 0, 0);
    c->running = false;
  }
  c->restarting = false;
  if (cs->restart == ART_RESTART_TEMPORARY)
    remove_child(m, node, child);
}

static void stop_children(sm_model *m, uint32_t node) {
  sm_sup *s = node_of(m, node);
  uint16_t order[SM_LEAVES_MAX];
  uint32_t n = s->count;
  for (uint32_t i = 0; i < n; i++)
    order[i] = s->children[n - 1 - i].spec;
  for (uint32_t i = 0; i < n; i++)
    stop_one(m, node, order[i]);
  s->alive = false;
}

/* The supervisor ends with @p kind: its children are stopped, then its parent sees its exit. */
static void sup_exit(sm_model *m, uint32_t node, art_exit_kind kind, int32_t code) {
  stop_children(m, node);
  if (node != SM_ROOT)
    child_exit(m, SM_ROOT, node - 1, kind, code);
}

/* Counts a restart at now; true if the window now holds more than the intensity. */
static bool add_restart(sm_model *m, uint32_t node) {
  sm_sup *s = node_of(m, node);
  const sm_sup_spec *spec = spec_of(m, node);
  uint32_t keep = 0;
  for (uint32_t i = 0; i < s->stamps; i++)
    if (s->stamp[i] >= m->now - spec->period)
      s->stamp[keep++] = s->stamp[i];
  s->stamps = keep;
  s->stamp[s->stamps++] = m->now;
  return s->stamps > spec->intensity;
}

static void restart(sm_model *m, uint32_t node, uint32_t child) {
  sm_sup *s = node_of(m, node);
  const sm_sup_spec *spec = spec_of(m, node);
  sm_child *c = find(m, node, child);
  if (add_restart(m, node)) {
    emit(m, node, ART_EVENT_SUPERVISION_RESTART_LIMIT_EXCEEDED, c, 0, 0, s->stamps, 0);
    c->running = false;
    c->restarting = false;
    sup_exit(m, node, ART_EXIT_SHUTDOWN, 0);
    return;
  }
  c->running = false;
  /* The children the strategy touches besides the failed one, in reverse start order. */
  uint16_t stops[SM_LEAVES_MAX];
  uint32_t nstops = 0, at = 0;
  while (s->children[at].spec != child)
    at++;
  if (spec->strategy != ART_SUP_ONE_FOR_ONE) {
    uint32_t from = spec->strategy == ART_SUP_ONE_FOR_ALL ? 0 : at;
    for (uint32_t i = s->count; i-- > from;)
      if (i != at)
        stops[nstops++] = s->children[i].spec;
  }
  emit(m, node, ART_EVENT_SUPERVISION_STRATEGY_APPLIED, c, 0, 0, 0, nstops + 1);
  for (uint32_t i = 0; i < nstops; i++)
    stop_one(m, node, stops[i]);
  /* Then the starts, in order: the failed child alone, or from the first (one_for_all) or
   * from the failed one (rest_for_one) on; at a failed start the rest stay down. */
  for (uint32_t i = 0; i < s->count; i++) {
    sm_child *x = &s->children[i];
    bool touched = spec->strategy == ART_SUP_ONE_FOR_ALL ||
                   (spec->strategy == ART_SUP_REST_FOR_ONE && i >= at) || x->spec == child;
    if (!touched || x->running)
      continue;
    if (start_one(m, node, x) != 0) {
      x->restarting = true;
      s->retry[s->retries++] = x->spec;
      return;
    }
    if (x->spec == child || spec->strategy != ART_SUP_ONE_FOR_ONE) {
      x->restarts++;
      emit(m, node, ART_EVENT_SUPERVISION_CHILD_RESTARTED, x, 0, 0, x->restarts, 0);
    }
  }
}

/* The retries a supervisor sent itself, handled once the operation that sent them is over. */
static void run_retries(sm_model *m, uint32_t node) {
  sm_sup *s = node_of(m, node);
  while (s->alive && s->retries) {
    uint16_t child = s->retry[0];
    memmove(&s->retry[0], &s->retry[1], --s->retries * sizeof *s->retry);
    sm_child *c = find(m, node, child);
    if (c && c->restarting)
      restart(m, node, child);
  }
  s->retries = 0;
}

/* A child's EXIT reaches its supervisor. */
static void child_exit(sm_model *m, uint32_t node, uint32_t child, art_exit_kind kind,
                       int32_t code) {
  sm_child *c = find(m, node, child);
  const sm_child_spec *cs = child_spec(m, node, c);
  bool failed = kind != ART_EXIT_NORMAL && kind != ART_EXIT_SHUTDOWN;
  emit(m, node, failed ? ART_EVENT_SUPERVISION_CHILD_FAILED : ART_EVENT_SUPERVISION_CHILD_STOPPED,
       c, kind, failed ? code : 0, c->restarts, 0);
  bool again =
      cs->restart == ART_RESTART_PERMANENT || (cs->restart == ART_RESTART_TRANSIENT && failed);
  if (!again) {
    c->running = false;
    if (cs->restart == ART_RESTART_TEMPORARY)
      remove_child(m, node, child);
    return;
  }
  restart(m, node, child);
  run_retries(m, node);
}

/* ---- the actions ------------------------------------------------------------------------- */

void sm_start_tree(sm_model *m) {
  sup_start(m, SM_ROOT);
}

void sm_stop_tree(sm_model *m) {
  stop_children(m, SM_ROOT);
}

void sm_leaf_exit(sm_model *m, uint32_t mid, uint32_t leaf, art_exit_kind kind, int32_t code) {
  child_exit(m, mid + 1, leaf, kind, code);
  if (node_of(m, mid + 1)->alive)
    run_retries(m, mid + 1);
  run_retries(m, SM_ROOT);
}

void sm_leaf_signal(sm_model *m, uint32_t mid, uint32_t leaf, art_exit_kind kind, int32_t code) {
  if (kind == ART_EXIT_NORMAL && !spec_of(m, mid + 1)->children[leaf].traps)
    return; /* OTP: `normal` from another process does not end a process that traps nothing */
  sm_leaf_exit(m, mid, leaf, kind, code);
}

void sm_mid_killed(sm_model *m, uint32_t mid) {
  node_of(m, mid + 1)->alive = false;
  child_exit(m, SM_ROOT, mid, ART_EXIT_KILLED, 0);
}

void sm_mid_signal(sm_model *m, uint32_t mid, art_exit_kind kind, int32_t code) {
  sup_exit(m, mid + 1, kind, code);
}

int sm_terminate_child(sm_model *m, uint32_t node, uint32_t child) {
  if (!find(m, node, child))
    return ART_ENOENT;
  stop_one(m, node, child);
  return 0;
}

/* restart_child's and delete_child's error cases: the child must exist and be stopped. */
static int find_stopped(sm_model *m, uint32_t node, uint32_t child, sm_child **out) {
  sm_child *c = *out = find(m, node, child);
  return !c ? ART_ENOENT : c->running ? ART_EBUSY : c->restarting ? ART_EAGAIN : 0;
}

int sm_restart_child(sm_model *m, uint32_t node, uint32_t child) {
  sm_child *c;
  int rc = find_stopped(m, node, child, &c);
  return rc ? rc : start_one(m, node, c);
}

int sm_delete_child(sm_model *m, uint32_t node, uint32_t child) {
  sm_child *c;
  int rc = find_stopped(m, node, child, &c);
  if (rc == 0)
    remove_child(m, node, child);
  return rc;
}

int sm_start_child(sm_model *m, uint32_t node, uint32_t child) {
  sm_child *c = find(m, node, child);
  if (c)
    return c->running ? ART_EEXIST : ART_EBUSY;
  sm_sup *s = node_of(m, node);
  c = &s->children[s->count++];
  *c = (sm_child){.spec = (uint16_t)child};
  int rc = start_one(m, node, c);
  if (rc)
    s->count--; /* a child that fails to start is not added */
  return rc;
}

/* ---- actions ------------------------------------------------------------------------------- */

static const int32_t fail_codes[] = {ART_ECANCELED, ART_EBUSY, ART_ERANGE, ART_ENOENT};

int sm_apply(sm_model *m, const sm_action *a) {
  uint32_t node = a->mid + 1;
  switch (a->kind) {
  case SM_LEAF_FAIL:
    sm_leaf_exit(m, a->mid, a->leaf, ART_EXIT_ERROR, a->code);
    return 0;
  case SM_LEAF_NORMAL:
    sm_leaf_exit(m, a->mid, a->leaf, ART_EXIT_NORMAL, 0);
    return 0;
  case SM_LEAF_SHUTDOWN:
    sm_leaf_exit(m, a->mid, a->leaf, ART_EXIT_SHUTDOWN, 0);
    return 0;
  case SM_LEAF_KILL:
    sm_leaf_exit(m, a->mid, a->leaf, ART_EXIT_KILLED, 0);
    return 0;
  case SM_LEAF_SIGNAL:
    sm_leaf_signal(m, a->mid, a->leaf, a->reason, a->code);
    return 0;
  case SM_LEAF_FAIL_STARTS:
    m->fail_starts[a->mid][a->leaf] = (uint8_t)a->count;
    sm_leaf_exit(m, a->mid, a->leaf, ART_EXIT_ERROR, a->code);
    return 0;
  case SM_TERMINATE:
    return sm_terminate_child(m, node, a->leaf);
  case SM_RESTART_CHILD:
    return sm_restart_child(m, node, a->leaf);
  case SM_DELETE:
    return sm_delete_child(m, node, a->leaf);
  case SM_START_CHILD:
    return sm_start_child(m, node, a->leaf);
  case SM_MID_KILL:
    sm_mid_killed(m, a->mid);
    return 0;
  case SM_MID_SIGNAL:
    sm_mid_signal(m, a->mid, a->reason, a->code);
    return 0;
  case SM_MID_TERMINATE:
    return sm_terminate_child(m, SM_ROOT, a->mid);
  case SM_MID_RESTART:
    return sm_restart_child(m, SM_ROOT, a->mid);
  case SM_ACTION_KINDS:
    break;
  }
  return ART_EINVAL;
}

/* A random leaf of @p mid that is running, present but stopped, or absent (@p want); false if
 * there is none. */
enum { LEAF_RUNNING, LEAF_STOPPED, LEAF_ABSENT };

static bool pick_leaf(art_test_rng *rng, const sm_model *m, uint32_t mid, int want,
                      uint32_t *leaf) {
  uint32_t n = m->spec->nodes[mid + 1].count, start = (uint32_t)art_test_rng_below(rng, n);
  for (uint32_t k = 0; k < n; k++) {
    uint32_t i = (start + k) % n;
    const sm_child *c = sm_find(m, mid + 1, i);
    bool ok = want == LEAF_RUNNING   ? c && c->running
              : want == LEAF_STOPPED ? c && !c->running && !c->restarting
                                     : !c;
    if (ok) {
      *leaf = i;
      return true;
    }
  }
  return false;
}

bool sm_draw(art_test_rng *rng, const sm_model *m, uint32_t mid, sm_action *a) {
  static const art_exit_kind signals[] = {ART_EXIT_ERROR, ART_EXIT_SHUTDOWN, ART_EXIT_NORMAL};
  const sm_child *mc = sm_find(m, SM_ROOT, mid);
  memset(a, 0, sizeof *a);
  a->mid = mid;
  a->code = fail_codes[art_test_rng_below(rng, 4)];
  a->reason = signals[art_test_rng_below(rng, 3)];
  a->count = 1 + (uint32_t)art_test_rng_below(rng, 2);
  if (!mc)
    return false;
  if (!mc->running) {
    a->kind = SM_MID_RESTART;
    return !mc->restarting;
  }
  uint64_t r = art_test_rng_below(rng, 100);
  a->kind = r < 22   ? SM_LEAF_FAIL
            : r < 30 ? SM_LEAF_NORMAL
            : r < 36 ? SM_LEAF_SHUTDOWN
            : r < 44 ? SM_LEAF_KILL
            : r < 56 ? SM_LEAF_SIGNAL
            : r < 64 ? SM_LEAF_FAIL_STARTS
            : r < 71 ? SM_TERMINATE
            : r < 79 ? SM_RESTART_CHILD
            : r < 85 ? SM_DELETE
            : r < 94 ? SM_START_CHILD
            : r < 96 ? SM_MID_KILL
            : r < 98 ? SM_MID_SIGNAL
                     : SM_MID_TERMINATE;
  if (a->kind >= SM_MID_KILL)
    return true;
  int want = a->kind == SM_RESTART_CHILD || a->kind == SM_DELETE ? LEAF_STOPPED
             : a->kind == SM_START_CHILD                         ? LEAF_ABSENT
                                                                 : LEAF_RUNNING;
  return pick_leaf(rng, m, mid, want, &a->leaf);
}

bool sm_is_call(sm_action_kind kind) {
  return (kind >= SM_TERMINATE && kind <= SM_START_CHILD) || kind == SM_MID_TERMINATE ||
         kind == SM_MID_RESTART;
}
