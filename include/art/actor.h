/*
 * Actors: spawn, messages, exits.
 *
 * An actor is a state and an ops table. Its callbacks run one at a time on the system's worker
 * threads, so the state needs no locking; only the actor's own callbacks may touch it.
 *
 * Ownership (the rule of every send): a send that returns 0 has taken the message; a send that
 * fails leaves it with the caller. A handler borrows the message it is given until it returns.
 */
#ifndef ART_ACTOR_H
#define ART_ACTOR_H

#include "common.h"
#include "system.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An actor as seen from its own callbacks. Valid only during the callback it is passed to. */
typedef struct art_ctx art_ctx;

/* ---------------------------------------------------------------------------------------- */
/* Exit reasons                                                                              */

/** What an exit reason says. */
typedef enum art_exit_kind {
  ART_EXIT_NORMAL = 0,          /**< the actor finished its work */
  ART_EXIT_SHUTDOWN,            /**< asked to stop (system or supervisor shutdown) */
  ART_EXIT_KILLED,              /**< killed; cannot be trapped */
  ART_EXIT_ERROR,               /**< failed: code and text say why */
  ART_EXIT_NOPROC,              /**< the actor did not exist (links and monitors) */
  ART_EXIT_TIMEOUT,             /**< an operation with a deadline ran out of time */
  ART_EXIT_HEALTH_CHECK_FAILED, /**< failed its health checks */
} art_exit_kind;

#define ART_REASON_TEXT_MAX 112

/** The reason was given by on_error's ART_ACTION_ESCALATE: the supervisor fails at once. */
#define ART_REASON_ESCALATE 0x1u

/** A structured exit reason; a value, copied freely (128 bytes). */
typedef struct art_exit_reason {
  art_exit_kind kind;
  int32_t code;   /**< ART_EXIT_ERROR: the error code (negative) */
  uint32_t flags; /**< ART_REASON_* */
  uint32_t reserved;
  char text[ART_REASON_TEXT_MAX]; /**< detail, NUL-terminated, possibly empty */
} art_exit_reason;

/** @brief A reason of @p kind with no detail. Thread safety: any thread. */
ART_API art_exit_reason art_reason(art_exit_kind kind);

/**
 * @brief An error reason. @p text is copied and truncated to fit; NULL uses art_strerror(code).
 * Thread safety: any thread.
 */
ART_API art_exit_reason art_reason_error(int code, const char *text);

/** @brief A shutdown reason with an optional detail (NULL for none). */
ART_API art_exit_reason art_reason_shutdown(const char *detail);

/** @brief "normal", "shutdown", "killed", "error", "noproc", "timeout", "health_check_failed". */
ART_API const char *art_exit_kind_name(art_exit_kind kind);

/**
 * @brief Writes a readable form of @p reason ("error(-22 ART_EINVAL: bad input)") into @p buf.
 * @return the length snprintf would have written, or ART_EINVAL.
 */
ART_API int art_reason_format(const art_exit_reason *reason, char *buf, size_t len);

/* ---------------------------------------------------------------------------------------- */
/* Messages                                                                                  */

/** A message as a handler sees it. Borrowed: valid until the handler returns. */
typedef struct art_msg {
  uint32_t type;        /**< the sender's type tag; values >= ART_MSG_RESERVED are the runtime's */
  uint32_t size;        /**< payload size in bytes */
  art_pid sender;       /**< the sending actor, or ART_PID_NONE from a non-actor thread */
  uint64_t correlation; /**< request/reply correlation id, 0 if none */
  const void *data;     /**< the payload; NULL when size is 0 */
} art_msg;

/** Type tags from here up belong to the runtime. */
#define ART_MSG_RESERVED 0xFFFF0000u
/** An exit signal turned into a message for an actor that traps exits; data: art_exit_msg. */
#define ART_MSG_EXIT 0xFFFF0001u

/** The payload of ART_MSG_EXIT. */
typedef struct art_exit_msg {
  art_pid from;           /**< who sent the signal (ART_PID_NONE: a non-actor thread) */
  art_exit_reason reason; /**< why */
} art_exit_msg;

/** Payloads up to this size travel inside the message envelope; larger ones are copied once. */
#define ART_MSG_INLINE_MAX 16

/** Everything a send can say; art_send() and art_send_ptr() are shorthands. */
typedef struct art_send_args {
  uint32_t type;    /**< type tag, below ART_MSG_RESERVED */
  const void *data; /**< payload, or NULL with size 0 */
  size_t size;      /**< payload size, at most UINT32_MAX */
  /**
   * NULL: the payload is copied and the caller keeps @c data. Non-NULL: the payload is moved;
   * on success the runtime calls free_fn(data) once the message is handled or dropped, on
   * failure the caller keeps it.
   */
  void (*free_fn)(void *data);
  uint64_t correlation; /**< correlation id for replies, 0 if none */
} art_send_args;

/**
 * @brief Sends a message to @p to. From an actor's callback the sender is that actor; from any
 *        other thread it is ART_PID_NONE.
 * @return 0 (the message is queued; if the receiver exits before handling it, it is counted as
 *         a dead letter; for a full mailbox with ART_OVERFLOW_DROP, it was dropped),
 *         ART_ESRCH (stale or unknown pid: counted as a dead letter), ART_EAGAIN (full bounded
 *         mailbox, see art_overflow), ART_EINVAL (NULL sys or args, reserved type, NULL data
 *         with size > 0, a correlation with a bit of ART_CORRELATION_RESERVED set), ART_ENOMEM,
 *         ART_ESHUTDOWN (the system has stopped).
 * Ownership: see art_send_args.free_fn. Thread safety: any thread.
 */
ART_API int art_send_ex(art_system *sys, art_pid to, const art_send_args *args);

/** @brief Sends a copy of @p size bytes at @p data. See art_send_ex(). */
ART_API int art_send(art_system *sys, art_pid to, uint32_t type, const void *data, size_t size);

/**
 * @brief Moves @p data to @p to; free_fn(data) runs after it is handled or dropped. On failure
 *        the caller keeps @p data. See art_send_ex(). @p free_fn must not be NULL.
 */
ART_API int art_send_ptr(art_system *sys, art_pid to, uint32_t type, void *data, size_t size,
                         void (*free_fn)(void *data));

/* ---------------------------------------------------------------------------------------- */
/* Actors                                                                                    */

/** What on_error decides about a failed message. */
typedef enum art_error_action {
  ART_ACTION_RESUME = 0, /**< drop the message and carry on */
  ART_ACTION_STOP,       /**< exit with reason normal */
  ART_ACTION_RESTART,    /**< exit with the error as reason; a supervisor restarts by policy */
  ART_ACTION_ESCALATE,   /**< exit with the error flagged ART_REASON_ESCALATE */
} art_error_action;

/** What a health check reports (see art_health_spec in art/sup.h for how supervisors run
 *  the checks). */
typedef enum art_health_status {
  ART_HEALTH_HEALTHY = 0,
  ART_HEALTH_DEGRADED, /**< working, but not well: recorded, never restarted for */
  ART_HEALTH_FAILED,   /**< not working: counts toward the failure threshold */
} art_health_status;
/** The same type under its shorter name. */
typedef art_health_status art_health;

/** Return from handle() to exit with reason normal. */
#define ART_STOP 1

/** The callbacks of an actor. Only handle is required. */
typedef struct art_actor_ops {
  /**
   * Runs once, before any message, on the thread that called art_spawn(). A negative return
   * fails the spawn with that code (post_stop is then not called).
   */
  int (*pre_start)(art_ctx *ctx, void *state, void *args);
  /**
   * Handles one message. Returns 0 to carry on, ART_STOP to exit normally, or a negative error
   * code, which goes to on_error (see art_fail() to attach a text).
   */
  int (*handle)(art_ctx *ctx, void *state, const art_msg *msg);
  /** Runs exactly once after a successful pre_start, whatever the exit (also when killed). */
  void (*post_stop)(art_ctx *ctx, void *state, const art_exit_reason *reason);
  /** Decides what a failed message means; NULL = ART_ACTION_RESTART. */
  art_error_action (*on_error)(art_ctx *ctx, void *state, int err, const art_msg *msg);
  /**
   * Answers its supervisor's health checks (art_health_spec in art/sup.h). A check is a
   * runtime message the actor takes in its turn, between its messages (handle() never sees
   * it); the runtime then calls this and replies with the result. Write a reason into
   * @p reason (size @p len) for degraded or failed. NULL: healthy. Either way an actor too
   * busy to take the check in time (a handler that blocks, a long backlog) fails it by the
   * check's timeout.
   */
  art_health_status (*health)(art_ctx *ctx, void *state, char *reason, size_t len);
} art_actor_ops;

/** Spawn flag: exit signals (except kill) arrive as ART_MSG_EXIT messages. */
#define ART_SPAWN_TRAP_EXIT 0x1u
/** Spawn flag: link the new actor to the calling actor before it can run (spawn_link). */
#define ART_SPAWN_LINK 0x2u
/** Spawn flag: the calling actor monitors the new one; the reference goes to monitor_ref. */
#define ART_SPAWN_MONITOR 0x4u
/**
 * Spawn flag: the actor runs on a thread of its own, so its callbacks may block (I/O, long
 * computations) without holding up other actors. Same API and semantics otherwise. Ignored in
 * deterministic mode, where every actor runs on the driving thread.
 */
#define ART_SPAWN_DEDICATED 0x8u

/** What a send to a full bounded mailbox does. */
typedef enum art_overflow {
  ART_OVERFLOW_ERROR = 0, /**< the send fails with ART_EAGAIN; the caller keeps the message */
  ART_OVERFLOW_DROP,      /**< the new message is dropped (and freed) and counted; the send
                               returns 0 */
  ART_OVERFLOW_BLOCK,     /**< a non-actor sender waits for room; an actor sender gets
                               ART_EAGAIN, so that no worker ever stalls */
} art_overflow;

/** Everything needed to spawn an actor. Zero-initialise, then set what you need. */
typedef struct art_spawn_opts {
  const art_actor_ops *ops; /**< required; must outlive the actor (usually static const) */
  /**
   * If > 0, the runtime allocates a zeroed state of this size with the actor and frees it after
   * post_stop. If 0, @c state is passed to the callbacks as is and stays the caller's.
   */
  size_t state_size;
  void *state;
  void *args;       /**< passed to pre_start */
  const char *name; /**< optional, copied; at most 63 bytes; shown in reports and events */
  uint32_t flags;   /**< ART_SPAWN_* */
  /** 0: unbounded (the default). Otherwise at most this many messages wait in the mailbox
   * (exit signals and other runtime messages are never refused). */
  uint32_t mailbox_capacity;
  art_overflow overflow; /**< for a bounded mailbox */
  uint64_t *monitor_ref; /**< ART_SPAWN_MONITOR: receives the monitor reference */
} art_spawn_opts;

/**
 * @brief Creates an actor, runs its pre_start on the calling thread, and makes it runnable.
 * @param out receives the pid on success (may be NULL).
 * If pre_start fails, links and monitors set up by ART_SPAWN_LINK / ART_SPAWN_MONITOR are
 * removed without any signal: the caller learns of the failure from the return code.
 * @return 0, the negative code pre_start returned, ART_EINVAL (NULL sys or opts, no ops or
 *         handle, name too long, unknown flags or overflow policy, ART_SPAWN_LINK or
 *         ART_SPAWN_MONITOR outside an actor, ART_SPAWN_MONITOR without monitor_ref),
 *         ART_ENOMEM, ART_ENOSPC (pid table full), ART_ESHUTDOWN, or the error of creating the
 *         thread of a dedicated actor.
 * Thread safety: any thread, including actor callbacks.
 */
ART_API int art_spawn(art_system *sys, const art_spawn_opts *opts, art_pid *out);

/** @brief The pid of the actor. Thread safety: the actor's own callbacks. */
ART_API art_pid art_self(const art_ctx *ctx);

/** @brief The system the actor belongs to. Thread safety: the actor's own callbacks. */
ART_API art_system *art_ctx_system(const art_ctx *ctx);

/** @brief The actor's name ("" if it has none). Thread safety: the actor's own callbacks. */
ART_API const char *art_ctx_name(const art_ctx *ctx);

/**
 * @brief Makes the actor exit with @p reason when the current handle() returns; the first call
 *        wins. Has no effect from pre_start (return an error there) or post_stop.
 * Thread safety: the actor's own handle() or on_error().
 */
ART_API void art_exit(art_ctx *ctx, const art_exit_reason *reason);

/**
 * @brief Attaches a text to the error the current handle() is about to return, for on_error
 *        and the exit reason: `return art_fail(ctx, ART_EINVAL, "bad size %u", n);`
 * @return @p code if it is negative, ART_EINVAL otherwise.
 * Thread safety: the actor's own handle().
 */
ART_API int art_fail(art_ctx *ctx, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** @brief Turns trapping of exit signals on or off. Thread safety: the actor's own callbacks. */
ART_API void art_trap_exit(art_ctx *ctx, bool on);

/**
 * @brief Sends an exit signal to @p pid, as OTP's exit/2. `killed` always kills. Otherwise an
 *        actor that traps exits receives an ART_MSG_EXIT message; one that does not exits with
 *        @p reason, except that `normal` is ignored (unless the actor signals itself).
 * @return 0, ART_ESRCH, ART_EINVAL, ART_ENOMEM, ART_ESHUTDOWN.
 * Thread safety: any thread.
 */
ART_API int art_send_exit(art_system *sys, art_pid pid, const art_exit_reason *reason);

/** @brief Whether @p pid names a living actor of @p sys (a snapshot). Thread safety: any. */
ART_API bool art_is_alive(art_system *sys, art_pid pid);

/** Statistics of one mailbox. */
typedef struct art_mailbox_stats {
  uint64_t depth;      /**< messages waiting (counted down once per batch, so it may lag) */
  uint64_t high_water; /**< the largest depth seen */
  uint64_t enqueued;   /**< messages accepted */
  uint64_t processed;  /**< messages taken out by the actor */
  uint64_t dropped;    /**< messages refused by ART_OVERFLOW_DROP */
  uint32_t capacity;   /**< 0 for unbounded */
} art_mailbox_stats;

/**
 * @brief Reads the statistics of @p pid's mailbox.
 * @return 0, ART_ESRCH, ART_EINVAL. Thread safety: any thread.
 */
ART_API int art_mailbox_stats_get(art_system *sys, art_pid pid, art_mailbox_stats *out);

#ifdef __cplusplus
}
#endif
#endif /* ART_ACTOR_H */
