/*
 * The actor system: a pool of worker threads that run actors, the table that resolves pids, and
 * the allocator every part of the runtime draws from.
 *
 * Lifetime: art_system_create() -> use -> art_system_shutdown() (optional, to choose the timeout)
 * -> art_system_destroy(). Destroy shuts the system down first if that has not been done, and
 * frees everything the system allocated.
 */
#ifndef ART_SYSTEM_H
#define ART_SYSTEM_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct art_system art_system;
struct art_dead_letter;

/**
 * An allocator for everything a system allocates (actors, messages, tables). The functions must
 * be safe to call from any thread. alloc may return NULL; the library then fails the operation
 * with ART_ENOMEM and leaks nothing.
 */
typedef struct art_allocator {
  void *(*alloc)(void *ctx, size_t size); /**< like malloc; memory aligned for any type */
  void (*free)(void *ctx, void *ptr);     /**< like free; never called with NULL */
  void *ctx;                              /**< passed to both */
} art_allocator;

/** System configuration. Fill with art_system_config_init(), then change what you need. */
typedef struct art_system_config {
  /** Worker threads; 0 = the number of online CPUs. At most 256. */
  uint32_t workers;
  /** Capacity of the pid table (actors alive at once); default 16,777,216, at most 2^31. */
  uint32_t max_actors;
  /** Messages an actor handles per activation before others get a turn; default 128. */
  uint32_t batch;
  /** How long an idle worker looks for work before it sleeps; default 50 µs. */
  art_duration spin_ns;
  /** Allocator; NULL functions mean malloc/free. */
  art_allocator allocator;
  /**
   * Keep freed actors and messages in per-worker caches for reuse (default true). Set to false
   * to send every allocation to the allocator, which lets sanitizers see each one.
   */
  bool pool;
  /** Name of the system, copied; used in thread names and reports. Default "art". */
  const char *name;
  /**
   * Deterministic mode: no worker threads and a manual clock starting at 0. The thread that
   * owns the system runs the actors (art_system_run, art_clock_advance; art_system_wait,
   * art_system_shutdown and art_call run them too). `workers` is ignored. See art/timer.h.
   */
  bool deterministic;
  /**
   * Called for each dead letter, on the thread where it happened (a sender, or the worker of
   * an actor that exited with messages queued). Must be quick and must not block; it may send.
   */
  void (*dead_letter)(void *ctx, const struct art_dead_letter *letter);
  void *dead_letter_ctx;
  /**
   * Where the runtime's events go (see art/monitor.h). NULL (the default): the system creates
   * an in-memory monitor with art_monitor_config_init()'s settings on its own allocator, and
   * destroys it with the system. Otherwise the caller's monitor, which must outlive the system;
   * art_monitor_noop() turns events off.
   */
  struct art_event_monitor *monitor;
  /**
   * Seed of the system's random numbers (the jitter of supervisors' restart delays). 0: one
   * drawn from the clock, except in deterministic mode, where every value is used as given so
   * that runs replay.
   */
  uint64_t seed;
} art_system_config;

/** A message that reached no handler. */
typedef struct art_dead_letter {
  art_pid sender; /**< ART_PID_NONE from a non-actor thread */
  art_pid target;
  uint32_t type; /**< the message type (runtime types included) */
} art_dead_letter;

/** @brief Fills @p cfg with the defaults. Thread safety: any thread. */
ART_API void art_system_config_init(art_system_config *cfg);

/**
 * @brief Creates a system and starts its workers.
 * @param out receives the system; untouched on failure.
 * @param cfg configuration, or NULL for the defaults; copied, the caller keeps ownership.
 * @return 0, ART_EINVAL (NULL out, workers > 256, max_actors out of range, batch == 0,
 *         negative spin), ART_ENOMEM, or the error of a failed thread creation.
 * Thread safety: any thread.
 */
ART_API int art_system_create(art_system **out, const art_system_config *cfg);

/**
 * @brief Stops the system: no new spawns, every actor is sent an exit signal `shutdown` in
 *        reverse spawn order; actors still alive when @p timeout has passed are killed; then
 *        the workers stop.
 * @param timeout how long actors get to exit after the shutdown signal; ART_FOREVER waits as
 *        long as it takes.
 * @return 0; ART_EDEADLK if called from an actor of this system (it would wait for itself);
 *         ART_ETIMEDOUT if an actor did not exit even after it was killed (a handler that never
 *         returns): the workers are then left running and art_system_destroy() waits for them;
 *         ART_EINVAL for NULL. A second call returns 0 at once.
 * Thread safety: any thread but an actor's.
 */
ART_API int art_system_shutdown(art_system *sys, art_duration timeout);

/**
 * @brief Shuts the system down (timeout 5 s) if that has not been done, and frees everything.
 *        @p sys is invalid afterwards. NULL is ignored.
 * Thread safety: any thread but an actor's; no other call on @p sys may run at the same time.
 */
ART_API void art_system_destroy(art_system *sys);

/**
 * @brief Waits until no actor is alive (every actor spawned so far has exited).
 * @return 0, ART_ETIMEDOUT, ART_EDEADLK (called from an actor of this system), ART_EINVAL.
 * Thread safety: any thread but an actor's.
 */
ART_API int art_system_wait(art_system *sys, art_duration timeout);

/** Counters of a system. Each is exact when the system is quiet, a recent value otherwise; an
 *  actor's exit is counted before its pid stops resolving (art_is_alive turns false). */
typedef struct art_system_stats {
  uint32_t workers;          /**< worker threads */
  uint64_t actors_alive;     /**< spawned and not yet exited */
  uint64_t actors_spawned;   /**< successful spawns since create */
  uint64_t actors_exited;    /**< exits since create */
  uint64_t exits_normal;     /**< exits with reason normal */
  uint64_t exits_shutdown;   /**< exits with reason shutdown */
  uint64_t exits_killed;     /**< exits with reason killed */
  uint64_t exits_error;      /**< exits with any other reason */
  uint64_t spawn_failures;   /**< spawns whose pre_start failed */
  uint64_t messages_sent;    /**< messages and signals accepted by a mailbox (a kill is no
                                  message: it is not counted) */
  uint64_t messages_handled; /**< messages and signals taken out of mailboxes by actors */
  uint64_t dead_letters;     /**< messages that reached no handler: stale pid, queued when the
                                  actor exited, or a timer's message to an exited actor. Not
                                  counted: signals, late replies dropped after a timeout,
                                  messages of cancelled timers. */
  uint64_t steals;           /**< actors moved between workers by stealing */
  uint64_t parks;            /**< times a worker went to sleep */
} art_system_stats;

/**
 * @brief Reads the counters of @p sys into @p out.
 * @return 0 or ART_EINVAL. Thread safety: any thread.
 */
ART_API int art_system_stats_get(art_system *sys, art_system_stats *out);

/**
 * @brief The monitor that receives @p sys's events (the one given in the configuration, or the
 *        system's own). Valid until the system is destroyed. Thread safety: any thread.
 */
ART_API struct art_event_monitor *art_system_monitor(art_system *sys);

/**
 * @brief Changes which events the system's monitor wants (see art_monitor_set_filter) and
 *        records a ConfigurationChanged event saying what changed.
 * @return 0, ART_EINVAL. Thread safety: any thread.
 */
ART_API int art_system_set_event_filter(art_system *sys, uint32_t family_mask, int min_severity);

/**
 * @brief Writes the system's metrics in the Prometheus text exposition format into @p buf:
 *        actors alive, spawned, exited by reason, spawn failures, messages sent and handled,
 *        dead letters, the largest mailbox high-water mark among living actors, scheduler
 *        counters, then the monitor's event counters (if the monitor keeps counters). No pid
 *        labels.
 * @return the length of the whole text (as snprintf: the text is complete if it is < @p len),
 *         or ART_EINVAL. Thread safety: any thread.
 */
ART_API int art_system_metrics(art_system *sys, char *buf, size_t len);

/** @brief The number of worker threads of @p sys (0 for NULL). Thread safety: any thread. */
ART_API uint32_t art_system_workers(const art_system *sys);

#ifdef __cplusplus
}
#endif
#endif /* ART_SYSTEM_H */
