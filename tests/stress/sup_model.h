/*
 * A reference model of a three-level supervision tree (a root supervisor over "mid"
 * supervisors, each over leaf workers), for tests/stress/test_sup_tree.c.
 *
 * The model is written from OTP's rules as docs/supervision.md states them, not from the
 * implementation: given the specs, the clock and what happens to the children (a leaf exits
 * with a reason, a mid supervisor is killed or told to stop, a dynamic API call), it decides
 * what each supervisor does and records the supervision events each one must emit, in order:
 * child_started, child_stopped, child_failed, child_restarted (with the restart count),
 * strategy_applied (with the children touched) and restart_limit_exceeded, each tagged with the
 * instance of the supervisor that emits it (a supervisor restarted by its parent is a new
 * instance). It also tracks which children exist, in which order, and which run.
 *
 * The actions the test takes (sm_action: a leaf fails, a mid is killed, a dynamic API call...)
 * are drawn and applied here too, so that the model and the draw agree on what each needs.
 *
 * A model is plain data (apart from its event logs), so a copy can try an action out first
 * (sm_copy_for_trial): the test uses that to learn, before it acts, whether an action reaches
 * the root (then it must be the only action of its step, since the root's decisions depend on
 * the order of its children's exits) and whether it stays within what the model covers.
 *
 * Not covered (the model flags it as `unsupported`): a child that fails to start while its
 * supervisor itself starts (OTP's failed start_link, with its rollback).
 */
#ifndef ART_TEST_SUP_MODEL_H
#define ART_TEST_SUP_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "art.h"
#include "test_support.h"

#define SM_MIDS_MAX 8
#define SM_LEAVES_MAX 1024 /* per mid supervisor */
#define SM_INTENSITY_MAX 16
#define SM_ID_SIZE 16
#define SM_ROOT 0 /* node 0 is the root; node k + 1 is mid supervisor k */

/* One event, as the model expects it or as the monitor recorded it. */
typedef struct sm_event {
  uint16_t kind;          /* art_event_kind (supervision family) */
  uint8_t reason;         /* child_stopped, child_failed of an exit: art_exit_kind */
  int32_t error_code;     /* child_failed: the reason's code, or the failed start's error */
  uint32_t restart_count; /* child_failed, child_restarted, restart_limit_exceeded */
  uint64_t count;         /* strategy_applied: the children it touched */
  uint32_t instance;      /* expected: the emitting supervisor's instance */
  art_pid pid;            /* recorded: the event's pid (the child) */
  art_pid other;          /* recorded: the supervisor that emitted it */
  char id[SM_ID_SIZE];    /* the child's id */
} sm_event;

typedef struct sm_log {
  sm_event *events;
  size_t count, capacity;
} sm_log;

/* A child spec as the model needs it. */
typedef struct sm_child_spec {
  char id[SM_ID_SIZE];
  art_restart restart;
  bool immediate; /* shutdown: killed at once (else the `shutdown` exit signal) */
  bool traps;     /* a leaf that traps exits (it exits with the reason of any EXIT it gets) */
} sm_child_spec;

typedef struct sm_sup_spec {
  art_sup_strategy strategy;
  uint32_t intensity; /* at most SM_INTENSITY_MAX */
  int64_t period;
  uint32_t count; /* children */
  sm_child_spec children[SM_LEAVES_MAX];
} sm_sup_spec;

typedef struct sm_tree_spec {
  uint32_t mids;
  sm_sup_spec nodes[SM_MIDS_MAX + 1]; /* [SM_ROOT]: the root, children = the mids */
} sm_tree_spec;

/* A child in its supervisor's current order. */
typedef struct sm_child {
  uint16_t spec;   /* index in the supervisor's spec */
  bool running;    /* has a pid */
  bool restarting; /* a restart attempt failed; its retry is queued */
  uint32_t restarts;
} sm_child;

typedef struct sm_sup {
  bool alive;
  uint32_t instance;
  uint32_t count; /* children with a spec, in start order */
  sm_child children[SM_LEAVES_MAX];
  uint32_t stamps; /* restarts in the window: their times, oldest first */
  int64_t stamp[SM_INTENSITY_MAX + 1];
  uint32_t retries; /* children whose failed restart is to be retried (FIFO, spec indices) */
  uint16_t retry[SM_LEAVES_MAX];
} sm_sup;

typedef struct sm_model {
  const sm_tree_spec *spec;
  int64_t now;
  sm_sup nodes[SM_MIDS_MAX + 1];
  /* Starts of each leaf (by mid and spec index) that will fail with SM_START_ERROR. */
  uint8_t fail_starts[SM_MIDS_MAX][SM_LEAVES_MAX];
  bool logging;     /* record events (off in a trial copy) */
  bool root_events; /* an event of the root was emitted (since cleared) */
  bool unsupported; /* the actions went where the model does not follow */
  sm_log *logs;     /* one per node, owned by the original model */
} sm_model;

/* The error of a leaf start that fails on purpose. */
#define SM_START_ERROR ART_EPERM

/* Initialises @p m for @p spec (nothing running yet); allocates the logs. */
void sm_init(sm_model *m, const sm_tree_spec *spec);
void sm_fini(sm_model *m);
/* Copies @p m into @p trial with logging off (it shares nothing that it would change). */
void sm_copy_for_trial(sm_model *trial, const sm_model *m);

/* art_sup_start of the root: every mid and every leaf starts in order. */
void sm_start_tree(sm_model *m);
/* art_sup_stop of the root. */
void sm_stop_tree(sm_model *m);
void sm_advance(sm_model *m, int64_t delta);

/* Leaf @p leaf (spec index) of mid @p mid exits with @p kind (and @p code for errors). */
void sm_leaf_exit(sm_model *m, uint32_t mid, uint32_t leaf, art_exit_kind kind, int32_t code);
/* An exit signal from a plain thread to a leaf: a trapping leaf exits with its reason; another
 * one too, unless the reason is `normal`. */
void sm_leaf_signal(sm_model *m, uint32_t mid, uint32_t leaf, art_exit_kind kind, int32_t code);
/* Mid @p mid is killed: its leaves die through their links, with no events. */
void sm_mid_killed(sm_model *m, uint32_t mid);
/* An exit signal from a plain thread to mid @p mid (not `killed`): it stops its children in
 * reverse order and exits with that reason. */
void sm_mid_signal(sm_model *m, uint32_t mid, art_exit_kind kind, int32_t code);

/* The dynamic API on node @p node (SM_ROOT or a mid + 1) and child @p child (spec index).
 * Each returns what the call returns. */
int sm_terminate_child(sm_model *m, uint32_t node, uint32_t child);
int sm_restart_child(sm_model *m, uint32_t node, uint32_t child);
int sm_delete_child(sm_model *m, uint32_t node, uint32_t child);
int sm_start_child(sm_model *m, uint32_t node, uint32_t child);

/* ---- actions: what the test does to the tree, as the model sees it ---------------------- */

typedef enum sm_action_kind {
  /* a running leaf of a running mid */
  SM_LEAF_FAIL,        /* its handler fails with `code` */
  SM_LEAF_NORMAL,      /* it returns ART_STOP */
  SM_LEAF_SHUTDOWN,    /* it exits with `shutdown` */
  SM_LEAF_KILL,        /* art_send_exit(killed) */
  SM_LEAF_SIGNAL,      /* art_send_exit(`reason`, `code`) from a plain thread */
  SM_LEAF_FAIL_STARTS, /* its next `count` starts fail, then it fails with `code` */
  /* the dynamic API on a leaf of a running mid */
  SM_TERMINATE,
  SM_RESTART_CHILD,
  SM_DELETE,
  SM_START_CHILD,
  /* a running mid */
  SM_MID_KILL,
  SM_MID_SIGNAL, /* art_send_exit(`reason`, `code`) from a plain thread */
  SM_MID_TERMINATE,
  SM_MID_RESTART, /* restart_child of a mid that is not running */
  SM_ACTION_KINDS
} sm_action_kind;

typedef struct sm_action {
  sm_action_kind kind;
  uint32_t mid, leaf;
  art_exit_kind reason;
  int32_t code;
  uint32_t count;
} sm_action;

/* Applies @p a; returns what the dynamic API call of @p a must return (0 for the others). */
int sm_apply(sm_model *m, const sm_action *a);
/* Draws an action on mid @p mid: one on it or its leaves if it runs, else restarting it; false
 * if the draw found nothing to act on. */
bool sm_draw(art_test_rng *rng, const sm_model *m, uint32_t mid, sm_action *a);
/* Whether @p kind is a dynamic API call (blocking), not a message or a signal. */
bool sm_is_call(sm_action_kind kind);

/* The child with spec index @p child of @p node in the current order, or NULL. */
const sm_child *sm_find(const sm_model *m, uint32_t node, uint32_t child);

void sm_log_push(sm_log *log, const sm_event *ev);
void sm_log_clear(sm_log *log);

#endif /* ART_TEST_SUP_MODEL_H */
