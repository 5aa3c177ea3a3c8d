/*
 * Supervisors, private part. Owns the supervisor actor's state: the children (in start order,
 * and by pid), the restart windows, the operation in progress (child stops, then starts) and
 * the messages set aside while it runs.
 *
 * Files: table.c (memory, child records, lookups, events), window.c (restart windows and
 * backoff delays), ops.c (operations: stops, starts, strategies, restart decisions),
 * supervisor.c (the actor: messages, requests, start, rollback, launch), host.c (the actor
 * that hosts a custom child), health.c (health checks), api.c (the public functions).
 *
 * Locking: none. Everything here is touched only by the supervisor actor's callbacks (or by
 * the thread that creates the state before the actor is spawned).
 * Lifetime: the state is allocated by art__sup_launch() and freed by the actor's post_stop,
 * or by art__sup_launch() itself when the spawn fails.
 */
#ifndef ART_SUP_SUP_H
#define ART_SUP_SUP_H

#include <string.h>

#include "art/monitor.h"
#include "art/sup.h"
#include "art/timer.h"

/* Message types the supervisor uses among its own actors ('SU' in the high half). */
enum {
  SUP_MSG_TIMER = 0x53550001u, /* a graceful stop ran out of time; data: uint64_t token */
  SUP_MSG_TRY_AGAIN,           /* retry a failed restart; data: uint64_t child uid */
  SUP_MSG_BEGIN_ROLLBACK,      /* the rollback actor starts stopping its children */
  SUP_MSG_STOP_ASYNC,          /* art_sup_stop from an actor */
  SUP_MSG_CHILD_STARTED,       /* from a child whose start is asynchronous (host, supervisor) */
  SUP_MSG_CHILD_FAILED,        /* the same, its start failed; data: int32_t error */
  SUP_MSG_START_TIMEOUT,       /* a custom child's start overran; data: uint64_t token */
  SUP_MSG_BACKOFF,             /* a backoff delay is over; data: sup_child_ref */
  SUP_MSG_HEALTH_TICK,         /* time for a health check; data: sup_child_ref */
  SUP_MSG_HEALTH_TIMEOUT,      /* a health check went unanswered; data: uint64_t correlation */
  HOST_MSG_START,              /* the host starts its object */
  HOST_MSG_FAIL,               /* art_child_fail; data: art_exit_reason */
  SUP_REQ_STOP,                /* art_sup_stop from a plain thread */
  SUP_REQ_WAIT,                /* wait until a start (or a rollback) is over; data: token */
  SUP_REQ_START_CHILD,         /* data: sup_start_req */
  SUP_REQ_START_SIMPLE,        /* data: uint64_t count [, void *args[count]] */
  SUP_REQ_TERMINATE,           /* data: sup_id_req */
  SUP_REQ_TERMINATE_PID,       /* data: art_pid */
  SUP_REQ_RESTART,             /* data: sup_id_req */
  SUP_REQ_DELETE,              /* data: sup_id_req */
  SUP_REQ_WHICH,               /* answered with SUP_REPLY_CHILDREN */
  SUP_REQ_COUNT,               /* answered with SUP_REPLY_COUNTS */
  SUP_REQ_GET_SPEC,            /* data: sup_id_req; answered with SUP_REPLY_SPEC */
  /* Replies. Each shape has its own type, so that a reply can be read without knowing the
   * request (art_sup_reply_*); any request may also be answered with a SUP_REPLY carrying an
   * error (a request set aside without memory for it, or the supervisor's end). */
  SUP_REPLY,           /* sup_result */
  SUP_REPLY_INSTANCES, /* int64_t error, int64_t started [, art_pid pids[started]] */
  SUP_REPLY_CHILDREN,  /* int64_t count, art_sup_child_info[count] */
  SUP_REPLY_COUNTS,    /* art_sup_counts */
  SUP_REPLY_SPEC,      /* sup_spec_reply */
};

typedef struct sup_id_req {
  char id[ART_SUP_ID_MAX + 1];
} sup_id_req;

typedef struct sup_start_req {
  art_child_spec spec;
  char id[ART_SUP_ID_MAX + 1];
} sup_start_req;

typedef struct sup_result {
  int rc;
  art_pid pid;
} sup_result;

typedef struct sup_spec_reply {
  int rc;
  art_child_spec spec;
} sup_spec_reply;

/* Names one start of a child in a timer's message, which may outlive both. */
typedef struct sup_child_ref {
  uint64_t uid;
  art_pid pid;
} sup_child_ref;

/* ---- the state ---------------------------------------------------------------------------- */

/* A sliding window of restart times: more than `limit` stamps within `period` is too many. */
typedef struct sup_window {
  int64_t *stamps; /* ring of limit + 1 times, oldest at head; allocated on first use */
  uint32_t head, count, limit;
  art_duration period;
} sup_window;

/* A u64 -> pointer hash map (open addressing, linear probing); key 0 is never stored. */
typedef struct sup_map_entry {
  uint64_t key;
  void *value;
} sup_map_entry;

typedef struct sup_map {
  sup_map_entry *slots; /* key and value side by side: one cache line per probe */
  uint32_t cap, count;  /* cap: 0 or a power of two, at most half full */
} sup_map;

typedef enum child_status {
  CHILD_DOWN = 0,   /* not running (OTP's undefined) */
  CHILD_STARTING,   /* an asynchronous start is in progress: pid is the host or supervisor */
  CHILD_RUNNING,    /* pid is set */
  CHILD_RESTARTING, /* waiting for a backoff timer or a retry message */
} child_status;

typedef struct sup_child {
  struct sup_child *prev, *next; /* start order */
  struct sup_child *same_hash;   /* the next child whose id hashes alike (`by_id`) */
  const art_child_spec *spec;    /* its own copy, or the simple_one_for_one template */
  void *arg;                     /* simple_one_for_one: the instance's argument */
  art_pid pid;                   /* ART_PID_NONE unless starting or running; key in `by_pid` */
  art_pid last_pid; /* of its last run; an instance's key in `by_pid` while restarting */
  uint64_t uid;     /* names the child in timer messages */
  uint32_t restarts;
  uint8_t status;              /* child_status */
  uint8_t health;              /* art_health_status of the last check */
  bool ran;                    /* has run since `since` without failing (backoff reset) */
  bool indexed;                /* in `by_id` */
  bool stop_timed;             /* a stop by the supervisor is in progress since stop_began */
  uint32_t health_failures;    /* failed checks in a row */
  uint32_t backoff_step;       /* n of the next delay */
  int64_t since;               /* start time of the current run */
  int64_t start_began;         /* when its current start began (child_started's duration) */
  int64_t stop_began;          /* when the supervisor began to stop it, if stop_timed */
  art_duration delay;          /* the backoff delay the pending restart waits */
  art_timer backoff_timer;     /* 0 if none */
  art_timer health_timer;      /* the next tick or the timeout of the check in flight */
  uint64_t health_correlation; /* the check in flight (key in `by_ref`), or 0 */
  int64_t health_sent;         /* when it was sent */
  sup_window window;           /* max_restarts in restart_window */
} sup_child;

typedef struct sup_pending {
  struct sup_pending *next;
  art_msg msg; /* msg.data points just past this header */
} sup_pending;

typedef enum op_kind {
  OP_NONE = 0,
  OP_START,        /* the supervisor's own start, asynchronous part */
  OP_RESTART,      /* a restart: stops by strategy, then starts */
  OP_START_CHILD,  /* a dynamic start (or restart_child) */
  OP_START_SIMPLE, /* simple_one_for_one instances, appended already, started in order */
  OP_TERMINATE,    /* terminate_child */
  OP_HEALTH_STOP,  /* stop a child that failed its health checks, then handle it as an exit */
  OP_SHUTDOWN,     /* stop everything, then exit */
} op_kind;

typedef struct sup_op {
  op_kind kind;
  /* Stops, one at a time in order; or, for simple_one_for_one's shutdown, all at once. */
  sup_child **stops;
  size_t nstops, next;
  bool all_at_once;
  size_t waiting;       /* all at once: EXITs still to come */
  sup_child *stopping;  /* one at a time: waiting for this child's EXIT */
  art_pid stopping_pid; /* its pid */
  art_timer timer;      /* the kill (or abandon) timer of the stop, 0 if none */
  uint64_t token;       /* SUP_MSG_TIMER payload of that timer */
  /* Starts, in order from `cursor` (OP_START, OP_RESTART) or of `failed` alone. */
  sup_child *failed;   /* OP_RESTART: the child whose exit began it; the child of the others */
  sup_child *cursor;   /* the next child to start */
  bool single;         /* start `cursor` alone */
  bool backoff;        /* OP_RESTART: the starts wait for `failed`'s backoff delay */
  sup_child *starting; /* the child whose asynchronous start is awaited */
  art_timer start_timer;
  uint64_t start_token;
  bool remove_on_failure; /* OP_START_CHILD: the child was new */
  /* The end. */
  bool has_reply; /* reply_to holds a request to answer when done */
  art_msg reply_to;
  art_exit_reason exit_reason; /* OP_SHUTDOWN */
  int start_error;             /* OP_SHUTDOWN after a failed asynchronous start */
} sup_op;

typedef struct sup_state {
  art_allocator alloc;
  art_system *sys;
  art_pid self, parent;
  art_sup_strategy strategy;
  art_auto_shutdown auto_shutdown;
  uint32_t max_children;
  sup_window window; /* intensity in period */
  sup_child *first, *last;
  size_t nchildren;
  sup_map by_id;  /* hash of the id -> the children with that hash (chained by same_hash) */
  sup_map by_pid; /* running and starting children */
  sup_map by_ref; /* health checks in flight (correlation) and restarting children (uid) */
  art_child_spec simple_spec; /* simple_one_for_one: the template (id "") */
  uint64_t next_uid, next_token;
  sup_op op;
  sup_pending *pending, *pending_tail;
  bool in_pre_start;   /* the synchronous part of the start runs */
  int pre_start_error; /* ... and a child failed it */
  sup_child *pre_start_failed;
  bool notify_parent;   /* the parent supervisor awaits SUP_MSG_CHILD_STARTED / _FAILED */
  bool waiter_expected; /* a plain thread will ask SUP_REQ_WAIT: stay until it has */
  bool has_waiter;
  art_msg waiter;
  uint64_t wait_token; /* the payload of the launcher's SUP_REQ_WAIT, which strangers lack */
  bool finished;       /* the start (or rollback) is over, with finish_error */
  int finish_error;
  bool rollback;        /* this actor stops children a failed start left behind */
  art_pid rollback_pid; /* a failed start: the actor doing its rollback */
  bool fatal;           /* a restart could not be scheduled, or a message was lost: shut down */
  art_exit_reason fatal_reason;
  bool lost_messages;  /* a child's EXIT may be lost: a child found gone counts as stopped */
  bool stop_signalled; /* a stop signal (parent, plain thread) was set aside during an op */
  art_exit_reason stop_reason;
} sup_state;

/* Copies the payload of one of the supervisor's own messages; false if its size is not
 * @p size (a stranger's message with the same type). */
static inline bool art__sup_payload(const art_msg *msg, void *out, size_t size) {
  if (msg->size != size)
    return false;
  memcpy(out, msg->data, size);
  return true;
}

/* Cancels *@p timer if one is set, and clears it. */
static inline void art__sup_timer_cancel(const sup_state *s, art_timer *timer) {
  if (*timer)
    (void)art_timer_cancel(s->sys, *timer);
  *timer = 0;
}

/* ---- table.c ------------------------------------------------------------------------------ */

void *art__sup_alloc(const art_allocator *a, size_t size); /* zeroed */
void art__sup_free(const art_allocator *a, void *p);
/* A record for a child of spec @p spec (copied, with its id); not yet in the list. */
sup_child *art__sup_child_new(sup_state *s, const art_child_spec *spec);
/* A record for a simple_one_for_one instance; not yet in the list. */
sup_child *art__sup_instance_new(sup_state *s, void *arg);
void art__sup_child_append(sup_state *s, sup_child *c);
/* Appends @p c and makes it findable by id: 0, ART_EEXIST (its id is taken: not added) or
 * ART_ENOMEM. */
int art__sup_child_add(sup_state *s, sup_child *c);
void art__sup_child_detach(sup_state *s, sup_child *c); /* out of the list, not freed */
/* Unlinks @p c, cancels its timers, forgets its pid, frees it. */
void art__sup_child_remove(sup_state *s, sup_child *c);
void art__sup_child_free(sup_state *s, sup_child *c); /* not in the list */
const char *art__sup_child_id(const sup_child *c);    /* "" for instances */
bool art__sup_is_custom(const sup_child *c);
sup_child *art__sup_child_by_id(sup_state *s, const char *id);
sup_child *art__sup_child_by_pid(sup_state *s, art_pid pid);
/* A simple_one_for_one instance by its pid, or, while it waits for its restart, by the pid of
 * its last run (OTP's {restarting, Pid}). */
sup_child *art__sup_instance_by_pid(sup_state *s, art_pid pid);
sup_child *art__sup_child_by_uid(sup_state *s, uint64_t uid); /* restarting children only */
/* Marks @p c restarting (findable by uid) or not; false if there was no memory for it. */
bool art__sup_set_restarting(sup_state *s, sup_child *c, bool on);
/* Makes room in `by_pid` for one more pid; call before a start, so recording it cannot fail. */
int art__sup_reserve_pid(sup_state *s);
void art__sup_set_pid(sup_state *s, sup_child *c, art_pid pid); /* after art__sup_reserve_pid */
void art__sup_clear_pid(sup_state *s, sup_child *c);
void art__sup_state_free(sup_state *s);
void art__sup_emit(sup_state *s, art_event_kind kind, const sup_child *c, art_pid pid,
                   const art_exit_reason *reason, int err, uint64_t count);

int art__sup_map_reserve(const art_allocator *a, sup_map *m, size_t n);
void art__sup_map_put(sup_map *m, uint64_t key, void *value); /* after reserve */
void *art__sup_map_get(const sup_map *m, uint64_t key);
void *art__sup_map_take(sup_map *m, uint64_t key);
void art__sup_map_free(const art_allocator *a, sup_map *m);

/* ---- window.c ----------------------------------------------------------------------------- */

/* Records a restart at @p now; *exceeded: the restarts in the window now exceed the limit.
 * @return 0 or ART_ENOMEM (the window's first use allocates it). */
int art__sup_window_add(const art_allocator *a, sup_window *w, int64_t now, bool *exceeded);
void art__sup_window_free(const art_allocator *a, sup_window *w);
/* The delay before the next restart of @p c (0 without backoff); advances its step. */
art_duration art__sup_backoff_next(sup_state *s, sup_child *c, int64_t now);

/* ---- ops.c ----------------------------------------------------------------------------- */

enum { SUP_START_PENDING = 1 };
/* Starts @p c within the current operation: 0 (running), SUP_START_PENDING (asynchronous:
 * op.starting awaits it), or an error. */
int art__sup_start_child(sup_state *s, sup_child *c);
/* Makes @p kind the current operation, stopping @p stops (taken) in order. */
void art__sup_op_begin(sup_state *s, op_kind kind, sup_child **stops, size_t n);
/* Runs the current operation until it must wait for a message, or to its end. */
void art__sup_op_run(art_ctx *ctx, sup_state *s);
/* Handles a message that belongs to the current operation; false if it is not one. */
bool art__sup_op_message(art_ctx *ctx, sup_state *s, const art_msg *msg);
void art__sup_begin_shutdown(art_ctx *ctx, sup_state *s, const art_exit_reason *reason,
                             const art_msg *reply_to);
/* Gives up the awaited start of op.starting and shuts down with @p reason: the child, still
 * starting, is stopped with the others; whoever waits for the operation is answered. */
void art__sup_abandon_start(art_ctx *ctx, sup_state *s, const art_exit_reason *reason);
/* A child exited (its EXIT, or a health failure): restart policy, strategy, auto_shutdown. */
void art__sup_child_exited(art_ctx *ctx, sup_state *s, sup_child *c, const art_exit_reason *r);
/* OTP's restart/2: count the restart, then apply the strategy. */
void art__sup_restart(art_ctx *ctx, sup_state *s, sup_child *c);
/* A backoff timer fired for @p c: start it (and, by strategy, those after it). */
void art__sup_backoff_over(art_ctx *ctx, sup_state *s, sup_child *c);
/* The child is running: record it, arm its health checks. */
void art__sup_child_running(sup_state *s, sup_child *c);
/* The child stopped or failed: disarm what belongs to its run. */
void art__sup_child_down(sup_state *s, sup_child *c);
/* The timeout a child's stop is given by its shutdown policy (ART_FOREVER: infinity). */
art_duration art__sup_stop_timeout(const art_child_spec *spec);

/* ---- supervisor.c ------------------------------------------------------------------------ */

void art__sup_reply(sup_state *s, const art_msg *req, uint32_t type, const void *data, size_t size);
void art__sup_reply_rc(sup_state *s, const art_msg *req, int rc, art_pid pid);
/* Takes @p p, which follows @p prev (NULL: p is the first), out of the pending queue. */
void art__sup_pending_unlink(sup_state *s, sup_pending *prev, sup_pending *p);
/* The answer to SUP_REQ_START_SIMPLE: int64_t error, int64_t started, then the pids of the
 * instances from @p first up to @p end (excluded). */
void art__sup_reply_instances(sup_state *s, const art_msg *req, int rc, sup_child *first,
                              sup_child *end);
/* The start is over (0 or the error): tell whoever waits for it. */
void art__sup_start_finished(art_ctx *ctx, sup_state *s, int error);
/* Spawns a supervisor for @p spec. With @p parent, from an actor's callback: linked to it,
 * which becomes the parent. @p may_wait: the caller can block (a plain thread), so a failed
 * start waits for the rollback and an asynchronous start for its end. @p pending (may be
 * NULL; for a parent supervisor): set when the start goes on asynchronously, and the
 * supervisor will then report its end with SUP_MSG_CHILD_STARTED / _FAILED. */
int art__sup_launch(art_system *sys, const art_sup_spec *spec, art_pid parent, bool may_wait,
                    bool *pending, art_pid *out);

/* ---- host.c ------------------------------------------------------------------------------- */

/* Spawns the actor that hosts custom child @p c, linked to the supervisor; it reports its
 * start with SUP_MSG_CHILD_STARTED / _FAILED. */
int art__sup_host_spawn(sup_state *s, const sup_child *c, art_pid *pid);

/* ---- health.c ----------------------------------------------------------------------------- */

void art__sup_health_arm(sup_state *s, sup_child *c);
void art__sup_health_disarm(sup_state *s, sup_child *c);
void art__sup_health_tick(art_ctx *ctx, sup_state *s, const sup_child_ref *ref);
void art__sup_health_answer(art_ctx *ctx, sup_state *s, const art_msg *msg);
void art__sup_health_timeout(art_ctx *ctx, sup_state *s, uint64_t correlation);

/* ---- api.c -------------------------------------------------------------------------------- */

/* Checks a child spec (not the uniqueness of its id). @p sup: the supervisor's spec when
 * known (its auto_shutdown decides whether the child may be significant; a simple_one_for_one
 * template needs no id). */
int art__sup_check_child(const art_child_spec *spec, const art_sup_spec *sup);
/* Checks a supervisor spec and its children. */
int art__sup_check_spec(const art_sup_spec *spec);

#endif /* ART_SUP_SUP_H */
