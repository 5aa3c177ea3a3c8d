/*
 * Supervisors: OTP's supervisor behaviour for actors and for custom (non-actor) children.
 *
 * A supervisor is an actor that traps exits, links its children, restarts them by strategy
 * and restart policy, gives up when the restart intensity is exceeded (exiting with reason
 * `shutdown`, which its own supervisor sees as a child failure), and stops its children in
 * reverse start order with each child's shutdown policy. Beyond OTP: per-child restart
 * limits, exponential backoff, health checks, and custom children (anything with start, stop
 * and health callbacks), each hosted by an actor of its own. See docs/supervision.md.
 *
 * Ownership: the art_sup_spec and art_child_spec values given to these functions, and their
 * ids, are copied. What they point to (actor ops, args, states, names, child ops, factory
 * arguments, nested supervisor specs) is used again on every restart and must outlive the
 * supervisor; static const specs are the usual way.
 */
#ifndef ART_SUP_H
#define ART_SUP_H

#include "actor.h"
#include "system.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Longest child id, NUL excluded. */
#define ART_SUP_ID_MAX 63
/** Largest restart intensity (the window keeps intensity + 1 time stamps). */
#define ART_SUP_INTENSITY_MAX 100000u

/** Which children a failure touches. */
typedef enum art_sup_strategy {
  ART_SUP_ONE_FOR_ONE = 0, /**< restart the failed child */
  ART_SUP_ONE_FOR_ALL,     /**< stop the others (reverse order), restart all (in order) */
  ART_SUP_REST_FOR_ONE,    /**< stop those started after it (reverse), restart it and them */
  /**
   * one_for_one over many instances of one template: the spec has exactly one child, which no
   * start starts; art_sup_start_simple_child() adds instances, each with its own argument.
   * They have no id, and are stopped all at once (each with the template's shutdown policy)
   * when the supervisor stops.
   */
  ART_SUP_SIMPLE_ONE_FOR_ONE,
} art_sup_strategy;

/** When significant children make the supervisor stop itself (OTP 24's auto_shutdown). */
typedef enum art_auto_shutdown {
  ART_AUTO_SHUTDOWN_NEVER = 0,       /**< never (the default); no child may be significant */
  ART_AUTO_SHUTDOWN_ANY_SIGNIFICANT, /**< when any significant child ends and is not restarted */
  ART_AUTO_SHUTDOWN_ALL_SIGNIFICANT, /**< when the last running significant child ends so */
} art_auto_shutdown;

/** When a child is restarted. */
typedef enum art_restart {
  ART_RESTART_PERMANENT = 0, /**< always */
  ART_RESTART_TRANSIENT,     /**< unless its exit reason is `normal` or `shutdown` */
  ART_RESTART_TEMPORARY,     /**< never; its spec is removed when it exits */
} art_restart;

/** How a child is stopped. */
typedef enum art_shutdown_kind {
  /** Worker: graceful with a 5 s timeout (OTP's default). Supervisor: infinity. */
  ART_SHUTDOWN_DEFAULT = 0,
  ART_SHUTDOWN_GRACEFUL,  /**< exit signal `shutdown`, then kill after the timeout */
  ART_SHUTDOWN_IMMEDIATE, /**< kill at once (OTP's brutal_kill) */
  ART_SHUTDOWN_INFINITY,  /**< exit signal `shutdown`, wait as long as it takes */
} art_shutdown_kind;

/** A shutdown policy. */
typedef struct art_shutdown {
  art_shutdown_kind kind;
  art_duration timeout; /**< ART_SHUTDOWN_GRACEFUL: how long to wait (>= 0) */
} art_shutdown;

/** What a child is. */
typedef enum art_child_type {
  ART_CHILD_WORKER = 0, /**< an actor (art_child_spec.actor) or a custom child (.ops) */
  ART_CHILD_SUPERVISOR, /**< a supervisor described by art_child_spec.sup */
} art_child_type;

struct art_sup_spec;

/* ---------------------------------------------------------------------------------------- */
/* Custom children: anything with start / stop / health callbacks (threads, I/O handlers).   */

/**
 * What a custom child's callbacks are given to report with. Valid from start() until
 * destroy() returns (without destroy: until stop() returns, or start() if it failed); the
 * object may hand it to its own threads within that time.
 */
typedef struct art_child_ctx art_child_ctx;

/**
 * A custom child. The supervisor makes a fresh object with art_child_spec.factory on every
 * (re)start and hosts it in an actor of its own that runs on a dedicated thread, so start,
 * stop and health_check may block without holding up other actors; the host is the child's
 * pid, linked to the supervisor like any child. For each object: start once; if it succeeded,
 * stop exactly once (when the child is stopped, exits after art_child_fail(), or its
 * supervisor goes); then destroy exactly once (also after a failed start).
 */
typedef struct art_child_ops {
  /**
   * Required. Starts the object; may block. Returns 0, or a negative ART_E* code that fails
   * the start. The supervisor waits at most art_child_spec.start_timeout for it: a start that
   * overruns fails with ART_ETIMEDOUT (and if it succeeds later, stop and destroy still run).
   */
  int (*start)(void *obj, art_child_ctx *cctx);
  /**
   * Required. Stops the object and should return within @p timeout (the child's shutdown
   * timeout: 0 for ART_SHUTDOWN_IMMEDIATE, ART_FOREVER for infinity). A stop that overruns it
   * is recorded (a child_stopped event with reason `timeout`) and the child abandoned: the
   * supervisor carries on and the call finishes on the host's thread in its own time.
   */
  int (*stop)(void *obj, art_duration timeout);
  /**
   * Optional (NULL: always healthy). Runs on the host's thread for each health check (see
   * art_health_spec). Write a reason into @p detail (size @p detail_size) for degraded or
   * failed.
   */
  art_health_status (*health_check)(void *obj, char *detail, size_t detail_size);
  /** Optional. Frees the object: after stop, or after a failed start. */
  void (*destroy)(void *obj);
} art_child_ops;

/**
 * @brief Reports that a custom child failed (or finished: any reason, `normal` included): its
 *        host exits with @p reason once the callback it may be running returns, stop and
 *        destroy run, and the supervisor applies its strategy and the restart policy.
 * @return 0; ART_ESRCH (the child has already exited); ART_EINVAL (NULL, a bad reason kind);
 *         ART_ENOMEM; ART_ESHUTDOWN.
 * Thread safety: any thread, within the context's lifetime (see art_child_ctx).
 */
ART_API int art_child_fail(art_child_ctx *cctx, const art_exit_reason *reason);

/** @brief The system the custom child runs in (NULL for NULL). Thread safety: any thread. */
ART_API art_system *art_child_system(const art_child_ctx *cctx);

/**
 * @brief The pid that stands for the custom child (its host actor), as which_children reports
 *        it; ART_PID_NONE for NULL. Messages sent to it are dropped. Thread safety: any thread.
 */
ART_API art_pid art_child_pid(const art_child_ctx *cctx);

/* ---------------------------------------------------------------------------------------- */
/* Restart limits per child, backoff and health checks                                       */

/** Default first restart delay of an enabled backoff. */
#define ART_BACKOFF_BASE_DEFAULT ART_MSEC(100)
/** Default longest restart delay of an enabled backoff (used when max is 0). */
#define ART_BACKOFF_MAX_DEFAULT ART_SEC(60)

/**
 * Exponential backoff of a child's restarts (all zero: off, restarts are immediate as in
 * OTP). The n-th restart in a row (n from 0) waits base * 2^min(n, 10), capped at max, then
 * moved by a random fraction of itself in [-jitter, +jitter] (the system's random numbers,
 * which replay in deterministic mode). n goes back to 0 when the child has run reset_after
 * without failing. While it waits, the child is ART_CHILD_RESTARTING; the restart counts in
 * the intensity windows when it is decided, not when it happens.
 */
typedef struct art_backoff {
  art_duration base;        /**< the first delay, > 0 to enable (e.g. ART_BACKOFF_BASE_DEFAULT) */
  art_duration max;         /**< the cap; 0 = ART_BACKOFF_MAX_DEFAULT; >= base */
  double jitter;            /**< 0 to 1: the fraction of the delay it may move either way */
  art_duration reset_after; /**< running this long without failing resets n; 0 = max */
} art_backoff;

/**
 * Health checks of a child (interval 0: off). Every interval after the child started (and
 * after the previous check's answer), the supervisor asks the child for its health without
 * waiting for it: an actor child answers with its art_actor_ops.health callback (healthy if
 * it has none) when it takes the check in its turn, so an actor stuck in a handler or behind
 * a backlog does not answer in time; a custom child's health_check runs on its host's thread.
 * Degraded is recorded (child_degraded event) and does not count. Failed, or no answer within
 * timeout, counts (health_check_failed event with the count in a row); healthy resets the
 * count. At threshold failures in a row the child is stopped with its shutdown policy and
 * handled as if it had exited with reason ART_EXIT_HEALTH_CHECK_FAILED: the strategy and the
 * restart policy apply.
 */
typedef struct art_health_spec {
  art_duration interval; /**< time between checks; 0 = no checks */
  art_duration timeout;  /**< how long an answer may take; 0 = 1 s */
  uint32_t threshold;    /**< failures in a row that fail the child; 0 = 3 */
} art_health_spec;

/**
 * The type of a health check, a runtime message (in the range of ART_MSG_RESERVED): the
 * runtime answers it for the actor (see art_actor_ops.health); handlers never see it, and
 * sending it is the supervisor's business.
 */
#define ART_MSG_HEALTH_CHECK 0xFFFF0004u

/* ---------------------------------------------------------------------------------------- */
/* Specs                                                                                     */

/**
 * One child. Zero-initialise, then set id and actor (or ops and factory, or type and sup):
 * the zero values are a permanent worker with the default shutdown and none of the extras.
 */
typedef struct art_child_spec {
  /**
   * Unique in the supervisor, 1 to ART_SUP_ID_MAX bytes; required, except for the template of
   * a simple_one_for_one supervisor (ignored there: its children have no id).
   */
  const char *id;
  art_child_type type;
  art_restart restart;
  art_shutdown shutdown;
  /**
   * ART_CHILD_WORKER without ops: how to spawn the actor. The supervisor adds ART_SPAWN_LINK;
   * ART_SPAWN_TRAP_EXIT and ART_SPAWN_DEDICATED are allowed, ART_SPAWN_MONITOR is not. NULL
   * name: the child id.
   */
  art_spawn_opts actor;
  /** ART_CHILD_SUPERVISOR: the nested supervisor (kept by pointer, must outlive). */
  const struct art_sup_spec *sup;
  /** ART_CHILD_WORKER: non-NULL makes this a custom child (`actor` is then ignored). */
  const art_child_ops *ops;
  /** Required with ops: makes a fresh object for every (re)start; NULL result: ART_ENOMEM. */
  void *(*factory)(void *arg);
  void *factory_arg; /**< passed to factory */
  /** Custom child: how long start may take; 0 = 5 s; negative (ART_FOREVER): no limit. */
  art_duration start_timeout;
  /**
   * Restarts of this child allowed in any window of restart_window (0 = no per-child limit).
   * One more, and the supervisor gives up as when its own intensity is exceeded (stops all,
   * restart_limit_exceeded, exits `shutdown`). At most ART_SUP_INTENSITY_MAX.
   */
  uint32_t max_restarts;
  art_duration restart_window; /**< > 0 when max_restarts is set */
  art_backoff backoff;         /**< delayed restarts; zero: off */
  art_health_spec health;      /**< health checks; zero: off */
  /**
   * Its end may stop the supervisor (see art_sup_spec.auto_shutdown, which must not be
   * NEVER); only for transient and temporary children, as in OTP.
   */
  bool significant;
} art_child_spec;

/** A supervisor. Fill with art_sup_spec_init(), then set children and what you need. */
typedef struct art_sup_spec {
  art_sup_strategy strategy;
  /** Restarts allowed in any window of `period` (default 1); at most ART_SUP_INTENSITY_MAX. */
  uint32_t intensity;
  art_duration period; /**< the window, > 0 (default 5 s) */
  /** Started in this order; copied. simple_one_for_one: exactly one, the template. */
  const art_child_spec *children;
  size_t child_count;
  const char *name; /**< the supervisor actor's name (optional, at most 63 bytes) */
  /** Where the supervisor's own memory comes from; NULL functions mean malloc/free. */
  art_allocator allocator;
  /**
   * Most children at once (0 = no limit): child specs, or simple_one_for_one's instances. A
   * start_child beyond it fails with ART_ENOSPC.
   */
  uint32_t max_children;
  art_auto_shutdown auto_shutdown; /**< see art_auto_shutdown; default NEVER */
} art_sup_spec;

/** @brief Fills @p spec with the defaults (one_for_one, intensity 1, period 5 s, no children).
 *  Thread safety: any thread. */
ART_API void art_sup_spec_init(art_sup_spec *spec);

/**
 * @brief Starts a supervisor and its children in order. Returns when every child has started.
 *        If a child fails to start, the started ones are stopped in reverse order with their
 *        shutdown policies and the start fails with that child's error; from a plain thread
 *        the stops are complete when this returns, from an actor they complete shortly after.
 *        From an actor, a custom child (here or in a nested supervisor) starts after this
 *        returns, since its start may block: if it fails, the supervisor stops the children
 *        started before it and exits with reason `shutdown` (detail "failed_to_start_child").
 * @param out receives the supervisor's pid (may be NULL); set on 0 and on ART_ETIMEDOUT from
 *        deterministic mode.
 * @return 0; ART_EINVAL (NULL sys or spec, or an invalid spec: an id missing or too long; an
 *         actor worker without ops or handle, or with ART_SPAWN_MONITOR; a custom child
 *         without start, stop or factory; factory or start_timeout on an actor or supervisor
 *         child, ops on a supervisor child; a supervisor child without sup; a bad enum; a
 *         negative graceful timeout; period <= 0; intensity or max_restarts above
 *         ART_SUP_INTENSITY_MAX; a negative restart_window, or max_restarts without one; a
 *         negative backoff or health duration, a backoff max below its base, a jitter outside
 *         0..1, backoff fields without a base, health fields without an interval; significant
 *         with a permanent restart or with auto_shutdown NEVER; more children than
 *         max_children; simple_one_for_one without exactly one child); ART_EEXIST (two
 *         children with the same id); ART_ENOMEM; ART_ESHUTDOWN; ART_ETIMEDOUT (a custom
 *         child's start overran its start_timeout; in deterministic mode also when the start
 *         waits for the clock, and goes on); or the error of the child that failed to start.
 * Thread safety: any thread, including actor callbacks. The supervisor has no parent: exit
 * signals from actors do not stop it (use art_sup_stop, or art_sup_start_link).
 */
ART_API int art_sup_start(art_system *sys, const art_sup_spec *spec, art_pid *out);

/**
 * @brief art_sup_start(), linked to the calling actor, which becomes the supervisor's parent:
 *        an exit signal from the parent stops the supervisor (children in reverse order), and
 *        the supervisor's exit (reason `shutdown` when its restart intensity is exceeded)
 *        reaches the parent through the link.
 * @return as art_sup_start(); ART_EINVAL for a NULL ctx.
 * Thread safety: the calling actor's own callbacks.
 */
ART_API int art_sup_start_link(art_ctx *ctx, const art_sup_spec *spec, art_pid *out);

/**
 * @brief Stops a supervisor: its children are stopped in reverse start order with their
 *        shutdown policies, then it exits with reason `shutdown`.
 * @param timeout how long to wait (ART_FOREVER: as long as it takes).
 * @return 0 (from a plain thread: every child has stopped and the supervisor is exiting; from
 *         an actor: the stop has been requested, monitor the supervisor to see its end);
 *         ART_ESRCH (not alive); ART_ETIMEDOUT (the stop goes on; in deterministic mode also
 *         when the stop waits for the clock to advance); ART_EINVAL; ART_ENOMEM.
 * Thread safety: any thread.
 */
ART_API int art_sup_stop(art_system *sys, art_pid sup, art_duration timeout);

/* ---------------------------------------------------------------------------------------- */
/* Dynamic API: requests to the supervisor actor, answered when it has done the work. They    */
/* block the caller, so they are for plain threads: from an actor they return ART_EDEADLK     */
/* (actors use the art_sup_ask_* forms below). In deterministic mode they run the actors      */
/* while they wait, and return ART_ETIMEDOUT if the supervisor is waiting for the clock (a    */
/* child's shutdown timeout) before it can answer.                                            */

/**
 * @brief Adds a child at the end of the start order and starts it.
 * @param pid receives its pid (may be NULL); on ART_EEXIST, the running child's pid.
 * @return 0; ART_EEXIST (a running child has this id: OTP's already_started); ART_EBUSY (a
 *         stopped child has this id: already_present); ART_ENOSPC (max_children reached);
 *         ART_EPERM (a simple_one_for_one supervisor: OTP's {error, simple_one_for_one});
 *         ART_EINVAL (invalid spec, see art_sup_start); the child's start error (ART_ETIMEDOUT
 *         for a custom child's start that overran); ART_ESRCH (no such supervisor);
 *         ART_EDEADLK; ART_ETIMEDOUT; ART_ENOMEM.
 * Thread safety: any thread but an actor's.
 */
ART_API int art_sup_start_child(art_system *sys, art_pid sup, const art_child_spec *spec,
                                art_pid *pid);

/**
 * @brief Starts an instance of a simple_one_for_one supervisor's template, with @p arg in
 *        place of the template's actor.args (a custom child: its factory_arg; a supervisor
 *        template: ignored). Restarts of the instance use the same @p arg, which must stay
 *        valid as long as the instance may restart.
 * @param pid receives its pid (may be NULL).
 * @return 0; ART_ENOSPC (max_children instances exist); ART_EPERM (not a simple_one_for_one
 *         supervisor); the child's start error; ART_ESRCH; ART_EDEADLK; ART_ETIMEDOUT;
 *         ART_EINVAL; ART_ENOMEM.
 * Thread safety: any thread but an actor's.
 */
ART_API int art_sup_start_simple_child(art_system *sys, art_pid sup, void *arg, art_pid *pid);

/**
 * @brief Starts @p count instances of a simple_one_for_one supervisor's template in one
 *        request (one round trip instead of @p count), in order, instance i with @p args[i]
 *        (@p args NULL: NULL for every one). At the first that fails to start, the rest are
 *        not started; those started before it stay.
 * @param pids receives the pids (may be NULL; else room for @p count): ART_PID_NONE for those
 *        not started.
 * @param started receives how many started (may be NULL).
 * @return 0 (all started, or @p count 0); the start error of the first that failed;
 *         ART_ENOSPC (max_children would be exceeded: none started); ART_EPERM (not a
 *         simple_one_for_one supervisor); ART_ENOMEM (also when the instances started but
 *         their pids could not be returned: @p started tells); ART_ESRCH; ART_EDEADLK;
 *         ART_ETIMEDOUT; ART_EINVAL (NULL sys, no supervisor, @p count too large for one
 *         message).
 * Thread safety: any thread but an actor's.
 */
ART_API int art_sup_start_simple_children(art_system *sys, art_pid sup, void *const *args,
                                          size_t count, art_pid *pids, size_t *started);

/**
 * @brief Stops a child with its shutdown policy and keeps its spec (a temporary child's spec
 *        is removed). Stopping a stopped child succeeds.
 * @return 0; ART_ENOENT (no such id); ART_EPERM (a simple_one_for_one supervisor: use
 *         art_sup_terminate_child_pid); ART_ESRCH; ART_EDEADLK; ART_ETIMEDOUT; ART_EINVAL.
 * Thread safety: any thread but an actor's.
 */
ART_API int art_sup_terminate_child(art_system *sys, art_pid sup, const char *id);

/**
 * @brief Stops an instance of a simple_one_for_one supervisor with the template's shutdown
 *        policy and forgets it. As in OTP, an instance waiting for its restart is named by
 *        the pid of its last run (its restart is cancelled), a pid that names no living actor
 *        otherwise succeeds (the instance is gone already), and only simple_one_for_one
 *        supervisors know their children by pid.
 * @return 0; ART_ENOENT (@p child is alive but not an instance of @p sup, or @p sup is not a
 *         simple_one_for_one supervisor); ART_ESRCH; ART_EDEADLK; ART_ETIMEDOUT; ART_EINVAL.
 * Thread safety: any thread but an actor's.
 */
ART_API int art_sup_terminate_child_pid(art_system *sys, art_pid sup, art_pid child);

/**
 * @brief Starts a stopped child again from its spec (not counted as a restart).
 * @param pid receives its pid (may be NULL).
 * @return 0; ART_ENOENT; ART_EBUSY (running); ART_EAGAIN (restarting); ART_EPERM (a
 *         simple_one_for_one supervisor); the start error; ART_ESRCH; ART_EDEADLK;
 *         ART_ETIMEDOUT; ART_EINVAL.
 * Thread safety: any thread but an actor's.
 */
ART_API int art_sup_restart_child(art_system *sys, art_pid sup, const char *id, art_pid *pid);

/**
 * @brief Removes the spec of a stopped child.
 * @return 0; ART_ENOENT; ART_EBUSY (running); ART_EAGAIN (restarting); ART_EPERM (a
 *         simple_one_for_one supervisor); ART_ESRCH; ART_EDEADLK; ART_ETIMEDOUT; ART_EINVAL.
 * Thread safety: any thread but an actor's.
 */
ART_API int art_sup_delete_child(art_system *sys, art_pid sup, const char *id);

/** A child's state as which_children reports it. */
typedef enum art_child_state {
  ART_CHILD_UNDEFINED = 0, /**< not running (OTP's undefined) */
  ART_CHILD_RUNNING,       /**< running: pid is set */
  ART_CHILD_RESTARTING,    /**< waiting for a restart: backoff, or a failed attempt's retry */
} art_child_state;

/** One child as which_children reports it. */
typedef struct art_sup_child_info {
  char id[ART_SUP_ID_MAX + 1]; /**< "" for simple_one_for_one's instances */
  art_pid pid;                 /**< ART_PID_NONE unless running */
  art_child_state state;
  art_child_type type;
  uint32_t restarts;        /**< restarts of this child (or instance) so far */
  art_health_status health; /**< the last health check's answer (HEALTHY before any) */
} art_sup_child_info;

/**
 * @brief Lists the children in start order.
 * @param out array of @p capacity entries (may be NULL with capacity 0).
 * @param count receives the number of children (may exceed @p capacity).
 * @return 0; ART_ERANGE (more children than @p capacity: the first ones are filled in);
 *         ART_ESRCH; ART_EDEADLK; ART_ETIMEDOUT; ART_EINVAL.
 * Thread safety: any thread but an actor's.
 */
ART_API int art_sup_which_children(art_system *sys, art_pid sup, art_sup_child_info *out,
                                   size_t capacity, size_t *count);

/** What count_children reports (OTP's count_children). */
typedef struct art_sup_counts {
  uint32_t specs;       /**< children with a spec, running or not (simple_one_for_one: 1) */
  uint32_t active;      /**< children running */
  uint32_t supervisors; /**< specs (simple_one_for_one: instances) of type supervisor */
  uint32_t workers;     /**< specs (simple_one_for_one: instances) of type worker */
} art_sup_counts;

/**
 * @brief Counts the children.
 * @return 0; ART_ESRCH; ART_EDEADLK; ART_ETIMEDOUT; ART_EINVAL.
 * Thread safety: any thread but an actor's.
 */
ART_API int art_sup_count_children(art_system *sys, art_pid sup, art_sup_counts *out);

/**
 * @brief Reads a child's spec (simple_one_for_one: the template, under any id). out->id is set
 *        to @p id (the caller's string); the pointers in the spec are the ones given when it
 *        was added.
 * @return 0; ART_ENOENT; ART_ESRCH; ART_EDEADLK; ART_ETIMEDOUT; ART_EINVAL.
 * Thread safety: any thread but an actor's.
 */
ART_API int art_sup_get_childspec(art_system *sys, art_pid sup, const char *id,
                                  art_child_spec *out);

/* ---------------------------------------------------------------------------------------- */
/* Dynamic API from actors                                                                   */

/*
 * Each art_sup_ask_<verb>() sends the request art_sup_<verb>() sends, with art_ask(), and
 * returns at once: later the actor receives either the supervisor's reply (a message whose
 * correlation is the one *correlation received) or, if none came within @p timeout (>= 0;
 * there is no ART_FOREVER), an ART_MSG_TIMEOUT message with that correlation; never both, and
 * a reply after the timeout is dropped. An art_sup_reply_*() function reads the reply: it
 * gives the answer art_sup_<verb>() would have returned, with the same codes (never
 * ART_EDEADLK; ART_ETIMEDOUT only as a custom child's start that overran). The reply's type is
 * one of the supervisor's own: tell it by its correlation.
 *
 * The supervisor serves requests one at a time in the order they arrive, setting the others
 * aside while an operation (a child's stop or start) waits, so an actor can ask its own
 * supervisor (a child adding a sibling) as well as any other. If the supervisor exits before
 * it answers, a request it had taken (the one it was serving, or one set aside) is answered
 * with ART_ESRCH; a request still queued in its mailbox gets no answer, only the timeout:
 * monitor the supervisor to learn of its end sooner.
 */

/**
 * @brief art_sup_start_child() from an actor. Read the reply with art_sup_reply_result().
 * @param timeout how long the reply may take (>= 0).
 * @param correlation receives the request's correlation (may be NULL).
 * @return 0 (the reply or the timeout will come); ART_EINVAL (NULL ctx, @p sup ART_PID_NONE, a
 *         negative timeout, an invalid spec as for art_sup_start); ART_ESRCH (@p sup is not alive:
 *         nothing will come); ART_ENOMEM.
 * Thread safety: the calling actor's own callbacks.
 */
ART_API int art_sup_ask_start_child(art_ctx *ctx, art_pid sup, const art_child_spec *spec,
                                    art_duration timeout, uint64_t *correlation);

/**
 * @brief art_sup_start_simple_child() from an actor. Read the reply with
 *        art_sup_reply_result() (the instance's pid) or art_sup_reply_pids().
 * @param timeout how long the reply may take (>= 0).
 * @param correlation receives the request's correlation (may be NULL).
 * @return 0 (the reply or the timeout will come); ART_EINVAL (NULL ctx, @p sup ART_PID_NONE, a
 *         negative timeout); ART_ESRCH (@p sup is not alive: nothing will come); ART_ENOMEM.
 * Thread safety: the calling actor's own callbacks.
 */
ART_API int art_sup_ask_start_simple_child(art_ctx *ctx, art_pid sup, void *arg,
                                           art_duration timeout, uint64_t *correlation);

/**
 * @brief art_sup_start_simple_children() from an actor: @p count instances, instance i with
 *        @p args[i] (@p args NULL: NULL for every one; the array is copied). Read the reply
 *        with art_sup_reply_pids().
 * @param timeout how long the reply may take (>= 0).
 * @param correlation receives the request's correlation (may be NULL).
 * @return 0 (the reply or the timeout will come); ART_EINVAL (NULL ctx, @p sup ART_PID_NONE, a
 *         negative timeout, @p count 0 or too large for one message); ART_ESRCH (@p sup is not
 *         alive: nothing will come); ART_ENOMEM.
 * Thread safety: the calling actor's own callbacks.
 */
ART_API int art_sup_ask_start_simple_children(art_ctx *ctx, art_pid sup, void *const *args,
                                              size_t count, art_duration timeout,
                                              uint64_t *correlation);

/**
 * @brief art_sup_terminate_child() from an actor. Read the reply with art_sup_reply_result().
 * @param timeout how long the reply may take (>= 0).
 * @param correlation receives the request's correlation (may be NULL).
 * @return 0 (the reply or the timeout will come); ART_EINVAL (NULL ctx, @p sup ART_PID_NONE, a
 *         negative timeout, an id that is NULL, empty or too long); ART_ESRCH (@p sup is not alive:
 *         nothing will come); ART_ENOMEM.
 * Thread safety: the calling actor's own callbacks.
 */
ART_API int art_sup_ask_terminate_child(art_ctx *ctx, art_pid sup, const char *id,
                                        art_duration timeout, uint64_t *correlation);

/**
 * @brief art_sup_terminate_child_pid() from an actor. Read the reply with
 *        art_sup_reply_result(). An instance may ask its own supervisor to terminate it: it is
 *        stopped, and the reply finds it gone.
 * @param timeout how long the reply may take (>= 0).
 * @param correlation receives the request's correlation (may be NULL).
 * @return 0 (the reply or the timeout will come); ART_EINVAL (NULL ctx, @p sup ART_PID_NONE, a
 *         negative timeout, @p child ART_PID_NONE); ART_ESRCH (@p sup is not alive: nothing will
 *         come); ART_ENOMEM.
 * Thread safety: the calling actor's own callbacks.
 */
ART_API int art_sup_ask_terminate_child_pid(art_ctx *ctx, art_pid sup, art_pid child,
                                            art_duration timeout, uint64_t *correlation);

/**
 * @brief art_sup_restart_child() from an actor. Read the reply with art_sup_reply_result().
 * @param timeout how long the reply may take (>= 0).
 * @param correlation receives the request's correlation (may be NULL).
 * @return 0 (the reply or the timeout will come); ART_EINVAL (NULL ctx, @p sup ART_PID_NONE, a
 *         negative timeout, an id that is NULL, empty or too long); ART_ESRCH (@p sup is not alive:
 *         nothing will come); ART_ENOMEM.
 * Thread safety: the calling actor's own callbacks.
 */
ART_API int art_sup_ask_restart_child(art_ctx *ctx, art_pid sup, const char *id,
                                      art_duration timeout, uint64_t *correlation);

/**
 * @brief art_sup_delete_child() from an actor. Read the reply with art_sup_reply_result().
 * @param timeout how long the reply may take (>= 0).
 * @param correlation receives the request's correlation (may be NULL).
 * @return 0 (the reply or the timeout will come); ART_EINVAL (NULL ctx, @p sup ART_PID_NONE, a
 *         negative timeout, an id that is NULL, empty or too long); ART_ESRCH (@p sup is not alive:
 *         nothing will come); ART_ENOMEM.
 * Thread safety: the calling actor's own callbacks.
 */
ART_API int art_sup_ask_delete_child(art_ctx *ctx, art_pid sup, const char *id,
                                     art_duration timeout, uint64_t *correlation);

/**
 * @brief art_sup_which_children() from an actor. Read the reply with
 *        art_sup_reply_children().
 * @param timeout how long the reply may take (>= 0).
 * @param correlation receives the request's correlation (may be NULL).
 * @return 0 (the reply or the timeout will come); ART_EINVAL (NULL ctx, @p sup ART_PID_NONE, a
 *         negative timeout); ART_ESRCH (@p sup is not alive: nothing will come); ART_ENOMEM.
 * Thread safety: the calling actor's own callbacks.
 */
ART_API int art_sup_ask_which_children(art_ctx *ctx, art_pid sup, art_duration timeout,
                                       uint64_t *correlation);

/**
 * @brief art_sup_count_children() from an actor. Read the reply with art_sup_reply_counts().
 * @param timeout how long the reply may take (>= 0).
 * @param correlation receives the request's correlation (may be NULL).
 * @return 0 (the reply or the timeout will come); ART_EINVAL (NULL ctx, @p sup ART_PID_NONE, a
 *         negative timeout); ART_ESRCH (@p sup is not alive: nothing will come); ART_ENOMEM.
 * Thread safety: the calling actor's own callbacks.
 */
ART_API int art_sup_ask_count_children(art_ctx *ctx, art_pid sup, art_duration timeout,
                                       uint64_t *correlation);

/**
 * @brief art_sup_get_childspec() from an actor. Read the reply with
 *        art_sup_reply_childspec().
 * @param timeout how long the reply may take (>= 0).
 * @param correlation receives the request's correlation (may be NULL).
 * @return 0 (the reply or the timeout will come); ART_EINVAL (NULL ctx, @p sup ART_PID_NONE, a
 *         negative timeout, an id that is NULL, empty or too long); ART_ESRCH (@p sup is not alive:
 *         nothing will come); ART_ENOMEM.
 * Thread safety: the calling actor's own callbacks.
 */
ART_API int art_sup_ask_get_childspec(art_ctx *ctx, art_pid sup, const char *id,
                                      art_duration timeout, uint64_t *correlation);

/**
 * @brief Reads the reply to art_sup_ask_start_child, _start_simple_child(ren),
 *        _terminate_child(_pid), _restart_child or _delete_child.
 * @param msg the message as handle() received it.
 * @param rc receives the answer: what the plain-thread form would have returned (may be NULL).
 * @param pid receives the child's pid: the started child's (start_child, restart_child, the
 *        first instance of start_simple_child(ren)), the running child's with ART_EEXIST or
 *        ART_EBUSY; else ART_PID_NONE (may be NULL).
 * @return 0 (read); ART_EINVAL (@p msg is NULL or not such a reply: another message, an
 *         ART_MSG_TIMEOUT, or the reply to another kind of request).
 * Thread safety: any thread.
 */
ART_API int art_sup_reply_result(const art_msg *msg, int *rc, art_pid *pid);

/**
 * @brief Reads the reply to art_sup_ask_start_simple_children (or _start_simple_child).
 * @param rc receives the answer, as art_sup_start_simple_children() returns it (may be NULL).
 * @param pids array of @p capacity entries (may be NULL): the pids of the instances started,
 *        in order, then ART_PID_NONE (also for all of them when the supervisor had no memory
 *        to list them: the answer is then ART_ENOMEM).
 * @param started receives how many started (may be NULL).
 * @return 0 (read); ART_EINVAL (@p msg is NULL or not such a reply).
 * Thread safety: any thread.
 */
ART_API int art_sup_reply_pids(const art_msg *msg, int *rc, art_pid *pids, size_t capacity,
                               size_t *started);

/**
 * @brief Reads the reply to art_sup_ask_which_children.
 * @param rc receives the answer: 0; ART_ERANGE (more children than @p capacity: the first ones
 *        are filled in); ART_ESRCH; ART_ENOMEM (may be NULL).
 * @param out array of @p capacity entries (may be NULL), in start order.
 * @param count receives the number of children (may be NULL; 0 with an error).
 * @return 0 (read); ART_EINVAL (@p msg is NULL or not such a reply).
 * Thread safety: any thread.
 */
ART_API int art_sup_reply_children(const art_msg *msg, int *rc, art_sup_child_info *out,
                                   size_t capacity, size_t *count);

/**
 * @brief Reads the reply to art_sup_ask_count_children.
 * @param rc receives the answer: 0 (@p out filled in); ART_ESRCH; ART_ENOMEM (may be NULL).
 * @param out receives the counts (may be NULL).
 * @return 0 (read); ART_EINVAL (@p msg is NULL or not such a reply).
 * Thread safety: any thread.
 */
ART_API int art_sup_reply_counts(const art_msg *msg, int *rc, art_sup_counts *out);

/**
 * @brief Reads the reply to art_sup_ask_get_childspec.
 * @param rc receives the answer: 0 (@p out filled in); ART_ENOENT; ART_ESRCH; ART_ENOMEM (may
 *        be NULL).
 * @param out receives the spec (may be NULL). Its id is NULL: the asker knows which it asked
 *        for; the other pointers are the ones given when the child was added.
 * @return 0 (read); ART_EINVAL (@p msg is NULL or not such a reply).
 * Thread safety: any thread.
 */
ART_API int art_sup_reply_childspec(const art_msg *msg, int *rc, art_child_spec *out);

/** @brief "one_for_one", "one_for_all", "rest_for_one", "simple_one_for_one"; "unknown"
 *  otherwise. Any thread. */
ART_API const char *art_sup_strategy_name(art_sup_strategy strategy);

#ifdef __cplusplus
}
#endif

#endif /* ART_SUP_H */
