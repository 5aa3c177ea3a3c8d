/*
 * Supervisors: OTP's supervisor behaviour for actors.
 *
 * A supervisor is an actor that traps exits, links its children, restarts them by strategy
 * and restart policy, gives up when the restart intensity is exceeded (exiting with reason
 * `shutdown`, which its own supervisor sees as a child failure), and stops its children in
 * reverse start order with each child's shutdown policy. See docs/supervision.md.
 *
 * Ownership: the art_sup_spec and art_child_spec values given to these functions, and their
 * ids, are copied. What they point to (actor ops, args, states, names, nested supervisor
 * specs) is used again on every restart and must outlive the supervisor; static const specs
 * are the usual way.
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
} art_sup_strategy;

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
  ART_CHILD_WORKER = 0, /**< an actor described by art_child_spec.actor */
  ART_CHILD_SUPERVISOR, /**< a supervisor described by art_child_spec.sup */
} art_child_type;

struct art_sup_spec;

/**
 * One child. Zero-initialise, then set id and actor (or type and sup): the zero values are a
 * permanent worker with the default shutdown.
 */
typedef struct art_child_spec {
  const char *id; /**< required, unique in the supervisor, at most ART_SUP_ID_MAX bytes */
  art_child_type type;
  art_restart restart;
  art_shutdown shutdown;
  /**
   * ART_CHILD_WORKER: how to spawn the actor. The supervisor adds ART_SPAWN_LINK;
   * ART_SPAWN_TRAP_EXIT and ART_SPAWN_DEDICATED are allowed, ART_SPAWN_MONITOR is not. NULL
   * name: the child id.
   */
  art_spawn_opts actor;
  /** ART_CHILD_SUPERVISOR: the nested supervisor (kept by pointer, must outlive). */
  const struct art_sup_spec *sup;
} art_child_spec;

/** A supervisor. Fill with art_sup_spec_init(), then set children and what you need. */
typedef struct art_sup_spec {
  art_sup_strategy strategy;
  /** Restarts allowed in any window of `period` (default 1); at most ART_SUP_INTENSITY_MAX. */
  uint32_t intensity;
  art_duration period;            /**< the window, > 0 (default 5 s) */
  const art_child_spec *children; /**< started in this order; copied */
  size_t child_count;
  const char *name; /**< the supervisor actor's name (optional, at most 63 bytes) */
  /** Where the supervisor's own memory comes from; NULL functions mean malloc/free. */
  art_allocator allocator;
} art_sup_spec;

/** @brief Fills @p spec with the defaults (one_for_one, intensity 1, period 5 s, no children).
 *  Thread safety: any thread. */
ART_API void art_sup_spec_init(art_sup_spec *spec);

/**
 * @brief Starts a supervisor and its children in order. Returns when every child has started.
 *        If a child fails to start, the started ones are stopped in reverse order with their
 *        shutdown policies and the start fails with that child's error; from a plain thread
 *        the stops are complete when this returns, from an actor they complete shortly after.
 * @param out receives the supervisor's pid (may be NULL).
 * @return 0; ART_EINVAL (NULL sys or spec, invalid spec: an id missing, too long or repeated, a
 *         worker without ops or handle, ART_SPAWN_MONITOR, a supervisor child without sup, a
 *         bad enum, a negative graceful timeout, period <= 0, intensity too large); ART_EEXIST
 *         (two children with the same id); ART_ENOMEM; ART_ESHUTDOWN; or the error of the
 *         child that failed to start.
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
/* block the caller, so they are for plain threads: from an actor they return ART_EDEADLK.   */
/* In deterministic mode they run the actors while they wait, and return ART_ETIMEDOUT if    */
/* the supervisor is waiting for the clock (a child's shutdown timeout) before it can answer. */

/**
 * @brief Adds a child at the end of the start order and starts it.
 * @param pid receives its pid (may be NULL); on ART_EEXIST, the running child's pid.
 * @return 0; ART_EEXIST (a running child has this id: OTP's already_started); ART_EBUSY (a
 *         stopped child has this id: already_present); ART_EINVAL (invalid spec, see
 *         art_sup_start); the child's start error; ART_ESRCH (no such supervisor);
 *         ART_EDEADLK; ART_ETIMEDOUT; ART_ENOMEM.
 * Thread safety: any thread but an actor's.
 */
ART_API int art_sup_start_child(art_system *sys, art_pid sup, const art_child_spec *spec,
                                art_pid *pid);

/**
 * @brief Stops a child with its shutdown policy and keeps its spec (a temporary child's spec
 *        is removed). Stopping a stopped child succeeds.
 * @return 0; ART_ENOENT (no such id); ART_ESRCH; ART_EDEADLK; ART_ETIMEDOUT; ART_EINVAL.
 * Thread safety: any thread but an actor's.
 */
ART_API int art_sup_terminate_child(art_system *sys, art_pid sup, const char *id);

/**
 * @brief Starts a stopped child again from its spec (not counted as a restart).
 * @param pid receives its pid (may be NULL).
 * @return 0; ART_ENOENT; ART_EBUSY (running); ART_EAGAIN (restarting); the start error;
 *         ART_ESRCH; ART_EDEADLK; ART_ETIMEDOUT; ART_EINVAL.
 * Thread safety: any thread but an actor's.
 */
ART_API int art_sup_restart_child(art_system *sys, art_pid sup, const char *id, art_pid *pid);

/**
 * @brief Removes the spec of a stopped child.
 * @return 0; ART_ENOENT; ART_EBUSY (running); ART_EAGAIN (restarting); ART_ESRCH; ART_EDEADLK;
 *         ART_ETIMEDOUT; ART_EINVAL.
 * Thread safety: any thread but an actor's.
 */
ART_API int art_sup_delete_child(art_system *sys, art_pid sup, const char *id);

/** A child's state as which_children reports it. */
typedef enum art_child_state {
  ART_CHILD_UNDEFINED = 0, /**< not running (OTP's undefined) */
  ART_CHILD_RUNNING,       /**< running: pid is set */
  ART_CHILD_RESTARTING,    /**< a restart attempt failed; another is coming */
} art_child_state;

/** One child as which_children reports it. */
typedef struct art_sup_child_info {
  char id[ART_SUP_ID_MAX + 1];
  art_pid pid; /**< ART_PID_NONE unless running */
  art_child_state state;
  art_child_type type;
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

/** What count_children reports. */
typedef struct art_sup_counts {
  uint32_t specs;       /**< children with a spec, running or not */
  uint32_t active;      /**< children running */
  uint32_t supervisors; /**< specs of type supervisor */
  uint32_t workers;     /**< specs of type worker */
} art_sup_counts;

/**
 * @brief Counts the children.
 * @return 0; ART_ESRCH; ART_EDEADLK; ART_ETIMEDOUT; ART_EINVAL.
 * Thread safety: any thread but an actor's.
 */
ART_API int art_sup_count_children(art_system *sys, art_pid sup, art_sup_counts *out);

/**
 * @brief Reads a child's spec. out->id is set to @p id (the caller's string); the pointers in
 *        the spec are the ones given when it was added.
 * @return 0; ART_ENOENT; ART_ESRCH; ART_EDEADLK; ART_ETIMEDOUT; ART_EINVAL.
 * Thread safety: any thread but an actor's.
 */
ART_API int art_sup_get_childspec(art_system *sys, art_pid sup, const char *id,
                                  art_child_spec *out);

/** @brief "one_for_one", "one_for_all", "rest_for_one"; "unknown" otherwise. Any thread. */
ART_API const char *art_sup_strategy_name(art_sup_strategy strategy);

#ifdef __cplusplus
}
#endif

#endif /* ART_SUP_H */
