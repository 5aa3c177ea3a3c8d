/*
 * Monitoring: typed, severity-tagged lifecycle events, the monitor interface that receives them,
 * a lock-free in-memory monitor (counters and a bounded history), a no-op monitor, and export of
 * events and counters as JSON and Prometheus text.
 *
 * The model:
 *   - An event (art_event) is a fixed-size 256-byte record: plain data, copied freely. It has a
 *     family, a kind (every kind belongs to one family), a severity, a UTC timestamp, the pids it
 *     concerns and the fields its kind uses (see "Kinds" below).
 *   - A monitor (art_event_monitor) is an ops table over an opaque `self`, plus a filter: a mask
 *     of families, a minimum severity and an enabled switch. art_monitor_wants() tells an event
 *     site whether to build an event at all; art_monitor_record() applies the same filter again
 *     and counts what it rejects.
 *   - Built in: the in-memory monitor (art_memory_monitor_create) and the no-op monitor
 *     (art_monitor_noop). Anything else (syslog, a socket, a trace file) is an ops table given to
 *     art_monitor_create(); see art_monitor_ops.
 *
 * Event sites in the runtime use ART_MONITOR_EVENT(), which checks the filter before the event
 * is built and compiles to nothing when ART_MONITORING is 0. See docs/monitoring.md.
 *
 * (The types are art_event_monitor and art_event_snapshot rather than art_monitor and
 * art_monitor_snapshot because art_monitor() is the death-watch function of art/link.h and
 * art_monitor_snapshot() takes a snapshot.)
 */
#ifndef ART_MONITOR_H
#define ART_MONITOR_H

#include "common.h"
#include "system.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * ART_MONITORING: 1 (the default) compiles the event sites written with ART_MONITOR_EVENT(); 0
 * removes them. The CMake option ART_MONITORING sets it for the library; a program may set it
 * for its own event sites. The monitors themselves are always available.
 */
#ifndef ART_MONITORING
#define ART_MONITORING 1
#endif

/* ---------------------------------------------------------------------------------------- */
/* Families, kinds, severities                                                               */

/**
 * Event families. The health kinds (health_check_failed, child_degraded) belong to the
 * supervision family: health checks are run by supervisors, on their children, and a monitor
 * of supervision events (the seed's Monitor<SupervisionEvent>) should see them.
 */
typedef enum art_event_family {
  ART_EVENT_FAMILY_SUPERVISION = 0, /**< "supervision": supervisors and their children */
  ART_EVENT_FAMILY_ACTOR,           /**< "actor": an actor's life and its messages */
  ART_EVENT_FAMILY_SYSTEM,          /**< "system": the actor system, registry, configuration */
  ART_EVENT_FAMILY_BROKER,          /**< "broker": topics, subscribers, routing */
  ART_EVENT_FAMILY_MAILBOX,         /**< "mailbox": queueing and backpressure */
  ART_EVENT_FAMILY_COUNT
} art_event_family;

/** The bit of @p family in a family mask. */
#define ART_EVENT_FAMILY_BIT(family) (1u << (unsigned)(family))
/** Every family. */
#define ART_EVENT_FAMILY_ALL ((1u << ART_EVENT_FAMILY_COUNT) - 1u)

/** Severities, in increasing order. A monitor's minimum severity passes it and those above. */
typedef enum art_severity {
  ART_SEVERITY_TRACE = 0, /**< "trace": per-message events */
  ART_SEVERITY_DEBUG,     /**< "debug" */
  ART_SEVERITY_INFO,      /**< "info": lifecycle milestones */
  ART_SEVERITY_WARNING,   /**< "warning": degraded, restarted, backpressure */
  ART_SEVERITY_ERROR,     /**< "error": failures */
  ART_SEVERITY_CRITICAL,  /**< "critical": a supervisor gave up */
  ART_SEVERITY_COUNT
} art_severity;

/*
 * The kinds of each family: X(FAMILY, NAME, number, "name", default severity). The number is
 * the kind's place in its family and never changes; new kinds are appended. The default
 * severity is what the runtime uses for the kind (art_event_kind_severity()).
 */
#define ART_EVENT_SUPERVISION_KIND_MAP(X)                                                          \
  X(SUPERVISION, CHILD_STARTED, 0, "child_started", INFO)                                          \
  X(SUPERVISION, CHILD_STOPPED, 1, "child_stopped", INFO)                                          \
  X(SUPERVISION, CHILD_FAILED, 2, "child_failed", ERROR)                                           \
  X(SUPERVISION, CHILD_RESTARTED, 3, "child_restarted", WARNING)                                   \
  X(SUPERVISION, RESTART_LIMIT_EXCEEDED, 4, "restart_limit_exceeded", CRITICAL)                    \
  X(SUPERVISION, STRATEGY_APPLIED, 5, "strategy_applied", INFO)                                    \
  X(SUPERVISION, HEALTH_CHECK_FAILED, 6, "health_check_failed", WARNING)                           \
  X(SUPERVISION, CHILD_DEGRADED, 7, "child_degraded", WARNING)

#define ART_EVENT_ACTOR_KIND_MAP(X)                                                                \
  X(ACTOR, SPAWNED, 0, "spawned", DEBUG)                                                           \
  X(ACTOR, STARTED, 1, "started", DEBUG)                                                           \
  X(ACTOR, MESSAGE_RECEIVED, 2, "message_received", TRACE)                                         \
  X(ACTOR, MESSAGE_PROCESSED, 3, "message_processed", TRACE)                                       \
  X(ACTOR, ERROR_OCCURRED, 4, "error_occurred", ERROR)                                             \
  X(ACTOR, STOPPED, 5, "stopped", DEBUG)

#define ART_EVENT_SYSTEM_KIND_MAP(X)                                                               \
  X(SYSTEM, STARTED, 0, "started", INFO)                                                           \
  X(SYSTEM, SHUTDOWN, 1, "shutdown", INFO)                                                         \
  X(SYSTEM, ACTOR_REGISTERED, 2, "actor_registered", DEBUG)                                        \
  X(SYSTEM, ACTOR_DEREGISTERED, 3, "actor_deregistered", DEBUG)                                    \
  X(SYSTEM, CONFIGURATION_CHANGED, 4, "configuration_changed", INFO)

#define ART_EVENT_BROKER_KIND_MAP(X)                                                               \
  X(BROKER, MESSAGE_PUBLISHED, 0, "message_published", TRACE)                                      \
  X(BROKER, MESSAGE_ROUTED, 1, "message_routed", TRACE)                                            \
  X(BROKER, SUBSCRIBER_ADDED, 2, "subscriber_added", DEBUG)                                        \
  X(BROKER, SUBSCRIBER_REMOVED, 3, "subscriber_removed", DEBUG)                                    \
  X(BROKER, ROUTING_FAILED, 4, "routing_failed", WARNING)                                          \
  X(BROKER, DEAD_LETTER, 5, "dead_letter", WARNING)

#define ART_EVENT_MAILBOX_KIND_MAP(X)                                                              \
  X(MAILBOX, MESSAGE_ENQUEUED, 0, "message_enqueued", TRACE)                                       \
  X(MAILBOX, MESSAGE_DEQUEUED, 1, "message_dequeued", TRACE)                                       \
  X(MAILBOX, BACKPRESSURE_APPLIED, 2, "backpressure_applied", WARNING)                             \
  X(MAILBOX, CAPACITY_REACHED, 3, "capacity_reached", WARNING)                                     \
  X(MAILBOX, MESSAGE_DROPPED, 4, "message_dropped", WARNING)

/** Every kind, family by family. */
#define ART_EVENT_KIND_MAP(X)                                                                      \
  ART_EVENT_SUPERVISION_KIND_MAP(X)                                                                \
  ART_EVENT_ACTOR_KIND_MAP(X)                                                                      \
  ART_EVENT_SYSTEM_KIND_MAP(X)                                                                     \
  ART_EVENT_BROKER_KIND_MAP(X)                                                                     \
  ART_EVENT_MAILBOX_KIND_MAP(X)

/**
 * Event kinds: ART_EVENT_<FAMILY>_<NAME> = family << 8 | number, so that the family of a kind
 * is a shift (ART_EVENT_KIND_FAMILY) and stays a constant at compile time.
 *
 * What each kind puts in the fields of art_event (fields not listed stay 0 or empty; `pid` is
 * the subject, `other` the related pid; the JSON key of each field is given in brackets):
 *
 * supervision: pid = the child [pid], other = its supervisor [supervisor],
 *              name = the child id [child_id]
 *   child_started           duration = time the start took [duration_ns]
 *   child_stopped           reason [reason], text = detail [detail], duration = stop time
 *   child_failed            reason, error_code + text [error_code, error], restart_count
 *   child_restarted         restart_count, duration = backoff delay waited [duration_ns]
 *   restart_limit_exceeded  restart_count = restarts in the window, duration = the window
 *   strategy_applied        strategy [strategy], count = children it touched [children]
 *   health_check_failed     count = failures in a row [failures], text = what the check said
 *                           [detail], duration = time the check took
 *   child_degraded          text = the reason it reported [detail]
 * actor: pid = the actor [pid]
 *   spawned                 other = the parent [parent]
 *   started                 duration = time pre_start took
 *   message_received        other = the sender [sender], count = message type [message_type]
 *   message_processed       other = the sender, count = message type, duration = handle time
 *   error_occurred          error_code + text, count = message type
 *   stopped                 reason, text = detail, duration = lifetime
 * system: pid = the actor concerned, if any
 *   started                 count = worker threads [workers]
 *   shutdown                count = actors still alive [actors], duration = shutdown time
 *   actor_registered        name = the registered name [name]
 *   actor_deregistered      name
 *   configuration_changed   name = the setting [key], text = its new value [value]
 * broker: name = the topic [topic]
 *   message_published       pid = publisher, count = subscribers reached [subscribers]
 *   message_routed          pid = subscriber, other = publisher [publisher]
 *   subscriber_added        pid = subscriber
 *   subscriber_removed      pid = subscriber, reason
 *   routing_failed          pid = subscriber, error_code + text
 *   dead_letter             pid = the intended receiver, other = sender, count = message type
 * mailbox: pid = the mailbox's actor, count = messages queued [queue_size],
 *          capacity = its bound, 0 when unbounded [capacity]
 *   message_enqueued        other = sender
 *   message_dequeued
 *   backpressure_applied    other = the sender made to wait, duration = how long it waited
 *   capacity_reached        other = sender
 *   message_dropped         other = sender
 *
 * Every event also has `user`, a value of the caller's that the monitor carries (JSON "user",
 * present when not 0).
 */
typedef enum art_event_kind {
#define ART__EVENT_KIND_ENUM(family, name, number, text, severity)                                 \
  ART_EVENT_##family##_##name = ((int)ART_EVENT_FAMILY_##family << 8) | (number),
  ART_EVENT_KIND_MAP(ART__EVENT_KIND_ENUM)
#undef ART__EVENT_KIND_ENUM
} art_event_kind;

/** How many kinds there are; art_event_kind_index() maps each to 0 .. ART_EVENT_KIND_COUNT-1. */
enum {
#define ART__EVENT_KIND_PLUS_ONE(family, name, number, text, severity) +1
  ART_EVENT_KIND_COUNT = 0 ART_EVENT_KIND_MAP(ART__EVENT_KIND_PLUS_ONE)
#undef ART__EVENT_KIND_PLUS_ONE
};

/** The family of a kind (a constant expression when @p kind is one). */
#define ART_EVENT_KIND_FAMILY(kind) ((art_event_family)((unsigned)(kind) >> 8))

/**
 * @brief Names a family: "supervision", "actor", "system", "broker", "mailbox" (the seed's
 *        EVENT_TYPE of each event type).
 * @return a static string; "unknown" for a value out of range. Thread safety: any thread.
 */
ART_API const char *art_event_family_name(art_event_family family);

/**
 * @brief Names a kind in snake_case within its family ("child_failed", "spawned"); two
 *        families may use the same name ("started"): family and kind together are unique.
 * @return a static string; "unknown" for a value that is not a kind. Thread safety: any thread.
 */
ART_API const char *art_event_kind_name(art_event_kind kind);

/**
 * @brief Names a severity: "trace", "debug", "info", "warning", "error", "critical".
 * @return a static string; "unknown" for a value out of range. Thread safety: any thread.
 */
ART_API const char *art_severity_name(art_severity severity);

/**
 * @brief The dense index of @p kind (0 .. ART_EVENT_KIND_COUNT-1, family by family, in the
 *        order of ART_EVENT_KIND_MAP), which indexes the per-kind counters of a snapshot.
 * @return the index, or -1 if @p kind is not a kind. Thread safety: any thread.
 */
ART_API int art_event_kind_index(art_event_kind kind);

/**
 * @brief The kind at dense @p index (the inverse of art_event_kind_index()).
 * @return the kind, or -1 cast to art_event_kind when @p index is out of range.
 * Thread safety: any thread.
 */
ART_API art_event_kind art_event_kind_at(int index);

/**
 * @brief The severity the runtime gives events of @p kind (the last column of the kind map).
 * @return the severity; ART_SEVERITY_INFO for a value that is not a kind.
 * Thread safety: any thread.
 */
ART_API art_severity art_event_kind_severity(art_event_kind kind);

/* ---------------------------------------------------------------------------------------- */
/* Events                                                                                    */

#define ART_EVENT_STRATEGY_MAX 24 /**< size of art_event.strategy, NUL included */
#define ART_EVENT_NAME_MAX 64     /**< size of art_event.name (child_id, topic), NUL included */
#define ART_EVENT_TEXT_MAX 88     /**< size of art_event.text, NUL included */

/**
 * One event: 256 bytes of plain data, copied freely, with no pointers. Fill it with
 * art_event_init() and then the fields its kind uses (see art_event_kind); text fields are
 * copied in with art_event_copy_text(). The text fields are UTF-8; they end at the first NUL or
 * at the end of the array, whichever comes first.
 */
typedef struct art_event {
  /** Set by the monitor that records the event: its position in that monitor's sequence
   *  (0, 1, 2...; it keeps counting across resets). Ignored on input. */
  uint64_t seq;
  int64_t timestamp; /**< nanoseconds since the Unix epoch, UTC (art_now_utc()) */
  art_pid pid;       /**< the subject: the actor or child the event is about, or ART_PID_NONE */
  art_pid other;     /**< the related actor (supervisor, parent, sender...), or ART_PID_NONE */
  uint16_t kind;     /**< an art_event_kind */
  uint8_t family;    /**< an art_event_family: must be ART_EVENT_KIND_FAMILY(kind) */
  uint8_t severity;  /**< an art_severity */
  uint8_t reason;    /**< an art_exit_kind, for the kinds that carry a reason */
  uint8_t reserved[3];
  int32_t error_code;     /**< 0 or a negative ART_E* code */
  uint32_t restart_count; /**< restarts so far (supervision kinds) */
  uint64_t count;         /**< the kind's count: queue size, message type, children, ... */
  uint64_t capacity;      /**< mailbox capacity; 0 = unbounded */
  int64_t duration_ns;    /**< the kind's duration: backoff delay, handle time, ... */
  uint64_t user;          /**< the caller's value, carried as is */
  char strategy[ART_EVENT_STRATEGY_MAX]; /**< strategy_applied: "one_for_one", ... */
  union {
    char name[ART_EVENT_NAME_MAX];     /**< registered name or setting (system) */
    char child_id[ART_EVENT_NAME_MAX]; /**< the child's id (supervision) */
    char topic[ART_EVENT_NAME_MAX];    /**< the topic (broker) */
  };
  char text[ART_EVENT_TEXT_MAX]; /**< error text, exit detail, health reason or value */
} art_event;

#ifdef __cplusplus
static_assert(sizeof(art_event) == 256, "art_event is 256 bytes");
#else
_Static_assert(sizeof(art_event) == 256, "art_event is 256 bytes");
#endif

/**
 * @brief Zeroes @p event, sets kind, family (from the kind) and severity, and stamps the
 *        timestamp with art_now_utc().
 * Thread safety: any thread. The event is the caller's.
 */
ART_API void art_event_init(art_event *event, art_event_kind kind, art_severity severity);

/**
 * @brief Copies the NUL-terminated @p src into the text field @p dst of @p size bytes (e.g.
 *        `art_event_copy_text(ev.text, sizeof ev.text, msg)`), truncating it at a UTF-8
 *        character boundary if it does not fit, and NUL-terminates it. NULL @p src copies "".
 * @return the bytes copied, NUL excluded. Thread safety: any thread.
 */
ART_API size_t art_event_copy_text(char *dst, size_t size, const char *src);

/* ---------------------------------------------------------------------------------------- */
/* Snapshots                                                                                 */

/**
 * What a monitor has seen since it was created or last reset: counters and the most recent
 * events. Filled by art_monitor_snapshot() or art_monitor_snapshot_alloc().
 *
 * The counters are read one by one while other threads may still be recording, so two counters
 * may differ by the events recorded while the snapshot was taken; `total` is always the sum of
 * `by_kind_severity`, as are the other sums.
 */
typedef struct art_event_snapshot {
  int64_t timestamp; /**< when it was taken, ns since the Unix epoch, UTC */
  uint64_t total;    /**< events recorded (they passed the filter) */
  uint64_t filtered; /**< events given to art_monitor_record() that the filter rejected */
  uint64_t by_severity[ART_SEVERITY_COUNT];
  uint64_t by_family[ART_EVENT_FAMILY_COUNT];
  uint64_t by_kind[ART_EVENT_KIND_COUNT]; /**< by art_event_kind_index() */
  uint64_t by_kind_severity[ART_EVENT_KIND_COUNT][ART_SEVERITY_COUNT];
  /** Events the history holds at most (the configured history capacity). */
  uint64_t history_capacity;
  /** Recorded events no longer in the history: pushed out by newer ones (oldest first). */
  uint64_t history_dropped;
  /** Recorded events that never entered the history: the writer found its slot still being
   *  written by a writer one lap behind (that writer was preempted for a whole lap). */
  uint64_t history_lost;
  /** Events this snapshot left out because they were being written while it read them. */
  uint64_t history_skipped;
  size_t count;      /**< events in `events` */
  art_event *events; /**< the most recent events, oldest first (increasing seq) */
  bool owned;        /**< `events` was allocated by art_monitor_snapshot_alloc() */
} art_event_snapshot;

/* ---------------------------------------------------------------------------------------- */
/* The monitor interface                                                                     */

/**
 * The operations of a monitor, on the `self` given to art_monitor_create(). Filtering is done
 * before record is called; record sees only the events the monitor wants.
 *
 * To plug in a monitor of your own (forward to syslog, count in your metrics library, write a
 * trace file), fill a static art_monitor_ops and call art_monitor_create():
 *
 *   static int syslog_record(void *self, const art_event *ev) {
 *     (void)self;
 *     syslog(ev->severity >= ART_SEVERITY_ERROR ? LOG_ERR : LOG_INFO, "%s.%s pid=%llu %s",
 *            art_event_family_name(ev->family), art_event_kind_name(ev->kind),
 *            (unsigned long long)ev->pid, ev->text);
 *     return 0;
 *   }
 *   static const art_monitor_ops syslog_ops = {.record = syslog_record};
 *   ...
 *   art_event_monitor *mon;
 *   art_monitor_create(&mon, &syslog_ops, NULL, NULL);
 *
 * Rules for implementations: record may be called from any thread, concurrently, and from
 * inside actor callbacks, so it must be thread-safe and must not block for long (hand slow
 * work to a thread of your own); it must not call back into the runtime. snapshot and reset
 * may run concurrently with record.
 */
typedef struct art_monitor_ops {
  /** Records one event (required). @p event is borrowed for the call. Returns 0 or an error,
   *  which art_monitor_record() passes on. */
  int (*record)(void *self, const art_event *event);
  /**
   * Fills @p snap (zeroed by the caller, with `timestamp`, `events` = @p events set) with the
   * counters and up to @p capacity of the most recent events, oldest first; sets
   * `history_capacity`. NULL: the monitor cannot report (art_monitor_snapshot() returns
   * ART_EPERM). `filtered` is added by the caller.
   */
  int (*snapshot)(void *self, art_event_snapshot *snap, art_event *events, size_t capacity);
  /** Forgets counters and history. NULL: nothing to forget. */
  int (*reset)(void *self);
  /** Frees @p self; called once by art_monitor_destroy(). NULL: nothing to free. */
  void (*destroy)(void *self);
} art_monitor_ops;

/**
 * A monitor: an ops table and its `self`, behind a filter. Created by art_monitor_create(),
 * art_memory_monitor_create(), or art_monitor_noop(); freed by art_monitor_destroy().
 *
 * The fields are private: read and change them through the functions below. The struct is
 * public only so that art_monitor_wants() can be inline.
 */
typedef struct art_event_monitor {
  /**
   * The filter word, read with relaxed atomic loads: bit (family * 8 + severity) is set when
   * the monitor wants events of that family and severity; bits 40 and up hold the settings it
   * was computed from (family mask, minimum severity, enabled).
   */
  uint64_t filter;
  const art_monitor_ops *ops;
  void *self;
  art_allocator allocator; /* what allocated this struct, unless embedded */
  uint32_t flags;
  char pad[64 - sizeof(uint64_t) - 2 * sizeof(void *) - sizeof(art_allocator) - sizeof(uint32_t)];
  uint64_t filtered; /* atomic; 64 bytes from filter, so counting never slows the readers */
  char pad_after[64 - sizeof(uint64_t)];
} art_event_monitor;

/**
 * Settings of a monitor. Fill with art_monitor_config_init(), then change what you need.
 * The filter settings apply to every monitor; the history settings to the in-memory one.
 */
typedef struct art_monitor_config {
  /** Whether the monitor wants events at all (default true); see art_monitor_set_enabled(). */
  bool enabled;
  /** Events below this severity are filtered out (default ART_SEVERITY_INFO). */
  art_severity min_severity;
  /** The families the monitor wants, ART_EVENT_FAMILY_BIT()s (default ART_EVENT_FAMILY_ALL). */
  uint32_t family_mask;
  /**
   * In-memory monitor: how many of the most recent events the history keeps (default 1000; 0
   * keeps none, only counters; at most ART_MONITOR_HISTORY_MAX). The ring underneath has the
   * next power of two of slots, 256 bytes each.
   */
  uint32_t history_capacity;
  /** Allocator for the monitor itself; NULL functions mean malloc/free. */
  art_allocator allocator;
} art_monitor_config;

/** The largest history an in-memory monitor keeps (2^20 events, 256 MiB). */
#define ART_MONITOR_HISTORY_MAX (1u << 20)

/**
 * @brief Fills @p cfg with the defaults: enabled, minimum severity info, every family,
 *        history of 1000 events, malloc.
 * Thread safety: any thread.
 */
ART_API void art_monitor_config_init(art_monitor_config *cfg);

/**
 * @brief Makes a monitor of @p ops over @p self, with the filter of @p cfg (NULL: defaults).
 * @param out receives the monitor.
 * @return 0, ART_EINVAL (NULL out or ops, NULL ops->record, a severity or family mask out of
 *         range), ART_ENOMEM.
 * Ownership: the monitor owns @p self from now on: art_monitor_destroy() calls ops->destroy
 * (self). On failure nothing is owned. @p ops must stay valid until then (use a static table).
 * Thread safety: any thread.
 */
ART_API int art_monitor_create(art_event_monitor **out, const art_monitor_ops *ops, void *self,
                               const art_monitor_config *cfg);

/**
 * @brief Creates an in-memory monitor: per-kind, per-severity and per-family counters and a
 *        history of the most recent events, recorded from any thread without a lock.
 * @param out receives the monitor. @param cfg settings; NULL for the defaults.
 * @return 0, ART_EINVAL (NULL out, settings out of range), ART_ENOMEM.
 * Ownership: the caller owns the monitor and frees it with art_monitor_destroy().
 * Thread safety: any thread.
 */
ART_API int art_memory_monitor_create(art_event_monitor **out, const art_monitor_config *cfg);

/**
 * @brief The no-op monitor: wants nothing, records nothing, counts nothing. One shared
 *        instance; art_monitor_destroy() on it does nothing and its filter cannot be changed.
 * @return the instance (never NULL). Thread safety: any thread.
 */
ART_API art_event_monitor *art_monitor_noop(void);

/**
 * @brief Destroys @p mon: calls ops->destroy(self) and frees the monitor. NULL or the no-op
 *        monitor: does nothing.
 * Thread safety: no other thread may use @p mon during or after the call (stop event sources
 * first: a system given a monitor must be destroyed before the monitor).
 */
ART_API void art_monitor_destroy(art_event_monitor *mon);

/**
 * @brief Whether @p mon wants events of @p family and @p severity: the check an event site
 *        makes before it builds an event. One relaxed load, a shift and a test; false for a
 *        NULL monitor, the no-op monitor, a disabled one, or a filtered family or severity.
 * Thread safety: any thread. A filter change made on another thread is seen a little later.
 */
static inline bool art_monitor_wants(const art_event_monitor *mon, art_event_family family,
                                     art_severity severity) {
  /* Relaxed: pairs with the relaxed CAS in the filter setters; the filter word carries no data
   * that needs ordering, and a stale value only means an event more or less. The __atomic
   * builtin (GCC, Clang) keeps this header usable from C++. */
  return mon != NULL && ((__atomic_load_n(&mon->filter, __ATOMIC_RELAXED) >>
                          (((unsigned)family * 8u + (unsigned)severity) & 63u)) &
                         1u) != 0;
}

/**
 * @brief Records @p event in @p mon if the filter wants its family and severity; counts it as
 *        filtered otherwise.
 * @return 0 (recorded or filtered), ART_EINVAL (NULL argument; a kind, family or severity out
 *         of range; a family that is not the kind's), or what the monitor's record returns.
 * Ownership: @p event is borrowed for the call; the monitor keeps a copy if it keeps one.
 * Thread safety: any thread, concurrently with every other monitor function but destroy.
 */
ART_API int art_monitor_record(art_event_monitor *mon, const art_event *event);

/**
 * @brief Takes a snapshot of @p mon into @p snap: counters, and up to @p capacity of the most
 *        recent events, oldest first, copied into @p events.
 * @param events caller-provided storage for @p capacity events; NULL with @p capacity 0 for
 *        counters only.
 * @return 0, ART_EINVAL (NULL mon or snap, NULL events with capacity > 0), ART_EPERM (the
 *         monitor cannot report: a user monitor without a snapshot operation).
 * Ownership: @p events stays the caller's; snap->events points into it and snap->owned is
 * false (art_event_snapshot_free() on it does nothing). Thread safety: any thread.
 */
ART_API int art_monitor_snapshot(art_event_monitor *mon, art_event_snapshot *snap,
                                 art_event *events, size_t capacity);

/**
 * @brief Takes a snapshot of @p mon with storage for its whole history, allocated with malloc.
 * @return 0, ART_EINVAL, ART_EPERM (as art_monitor_snapshot()), ART_ENOMEM.
 * Ownership: the caller must free the events with art_event_snapshot_free(). On failure
 * nothing is allocated. Thread safety: any thread.
 */
ART_API int art_monitor_snapshot_alloc(art_event_monitor *mon, art_event_snapshot *snap);

/**
 * @brief Frees the events of a snapshot from art_monitor_snapshot_alloc() (does nothing to
 *        caller-provided storage) and empties the snapshot's event list. NULL: nothing.
 * Thread safety: the snapshot's owner.
 */
ART_API void art_event_snapshot_free(art_event_snapshot *snap);

/**
 * @brief Zeroes the counters (the filtered count included) and empties the history. Events
 *        recorded while the reset runs may be kept or forgotten, each one whole.
 * @return 0, ART_EINVAL (NULL), or what the monitor's reset returns. Thread safety: any thread.
 */
ART_API int art_monitor_reset(art_event_monitor *mon);

/**
 * @brief Sets the families and minimum severity that @p mon wants.
 * @return 0, ART_EINVAL (NULL, a mask with bits beyond ART_EVENT_FAMILY_ALL, a severity out of
 *         range), ART_EPERM (the no-op monitor). Thread safety: any thread.
 */
ART_API int art_monitor_set_filter(art_event_monitor *mon, uint32_t family_mask,
                                   art_severity min_severity);

/**
 * @brief Turns @p mon on or off; off, it wants nothing and art_monitor_record() counts every
 *        event as filtered. The filter settings are kept.
 * @return 0, ART_EINVAL (NULL), ART_EPERM (the no-op monitor). Thread safety: any thread.
 */
ART_API int art_monitor_set_enabled(art_event_monitor *mon, bool enabled);

/**
 * @brief Reads the filter settings of @p mon; any out-parameter may be NULL.
 * @return 0, ART_EINVAL (NULL mon). Thread safety: any thread.
 */
ART_API int art_monitor_get_filter(const art_event_monitor *mon, bool *enabled,
                                   uint32_t *family_mask, art_severity *min_severity);

/* ---------------------------------------------------------------------------------------- */
/* Event sites                                                                               */

#if defined(__GNUC__)
#define ART__MONITOR_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define ART__MONITOR_UNLIKELY(x) (x)
#endif

#if ART_MONITORING
/**
 * An event site: if @p mon wants events of @p kind's family at @p severity, declares
 * `art_event ev` (the name is the caller's), fills it with art_event_init(), runs the
 * statements that follow (they fill in the kind's fields) and records it. Otherwise the cost is
 * the check of art_monitor_wants(): a load and a predictable branch. With ART_MONITORING 0 it
 * compiles to nothing (@p mon and the statements are not evaluated).
 *
 *   ART_MONITOR_EVENT(mon, ART_EVENT_SUPERVISION_CHILD_FAILED, ART_SEVERITY_ERROR, ev, {
 *     ev.pid = child;
 *     ev.other = self;
 *     ev.error_code = err;
 *     ev.restart_count = restarts;
 *     art_event_copy_text(ev.child_id, sizeof ev.child_id, spec_id);
 *   });
 *
 * The statements may contain commas (they are the macro's variadic part); a block in braces
 * is what clang-format lays out best. Variables used only by event sites become unused when
 * ART_MONITORING is 0: compute them inside the block.
 */
#define ART_MONITOR_EVENT(mon, kind, severity, ev, ...)                                            \
  do {                                                                                             \
    art_event_monitor *const art__site_monitor = (mon);                                            \
    if (ART__MONITOR_UNLIKELY(                                                                     \
            art_monitor_wants(art__site_monitor, ART_EVENT_KIND_FAMILY(kind), (severity)))) {      \
      art_event ev;                                                                                \
      art_event_init(&ev, (kind), (severity));                                                     \
      __VA_ARGS__;                                                                                 \
      (void)art_monitor_record(art__site_monitor, &ev);                                            \
    }                                                                                              \
  } while (0)

/** art_monitor_wants() for a kind, as an event site that builds its event itself checks it;
 *  0 when ART_MONITORING is 0. */
#define ART_MONITOR_WANTS(mon, kind, severity)                                                     \
  art_monitor_wants((mon), ART_EVENT_KIND_FAMILY(kind), (severity))
#else
#define ART_MONITOR_EVENT(mon, kind, severity, ev, ...)                                            \
  do {                                                                                             \
    (void)sizeof(mon);                                                                             \
  } while (0)
#define ART_MONITOR_WANTS(mon, kind, severity) ((void)sizeof(mon), 0)
#endif

/* ---------------------------------------------------------------------------------------- */
/* Export                                                                                    */

/**
 * @brief Writes @p ns (nanoseconds since the Unix epoch) as an RFC 3339 UTC time with nine
 *        fractional digits, "2025-10-06T12:34:56.123456789Z", into @p buf (snprintf-style).
 * @return 30 (the length written or needed, NUL excluded), ART_EINVAL (NULL buf with len > 0).
 * Thread safety: any thread.
 */
ART_API int art_time_format_rfc3339(int64_t ns, char *buf, size_t len);

/**
 * @brief Writes @p event as one JSON object into @p buf, snprintf-style: at most @p len bytes,
 *        NUL-terminated when @p len > 0; call with len 0 to learn the size.
 *
 * The object: "seq", "timestamp" (RFC 3339), "timestamp_ns", "family", "kind", "severity", then
 * the subject pids as decimal strings (pids use all 64 bits, beyond what a double holds),
 * under the keys the kind gives them, and the kind's fields (see art_event_kind), "user" as a
 * string when not 0. Strings are escaped per RFC 8259: `"` and `\` with a backslash, control
 * characters as \n, \t, \r, \b, \f or \u00XX, DEL as \u007f; bytes that are not valid UTF-8
 * (stray continuation bytes, overlong forms, surrogates, code points above U+10FFFF, truncated
 * sequences) become U+FFFD, one per byte. The output is ASCII apart from valid UTF-8 copied
 * through.
 * @return the length written or needed, NUL excluded; ART_EINVAL (NULL event, NULL buf with
 *         len > 0). Thread safety: any thread.
 */
ART_API int art_event_to_json(const art_event *event, char *buf, size_t len);

/**
 * @brief Writes @p snap as one JSON object into @p buf, snprintf-style (see
 *        art_event_to_json()): "timestamp", "total", "filtered", "history" {capacity, size,
 *        dropped, lost, skipped}, "by_severity" {name: count}, "by_family" {name: count},
 *        "by_kind" {family: {kind: count}}, "events" [event objects, oldest first].
 * @return the length written or needed, NUL excluded; ART_EINVAL (NULL snap, NULL buf with
 *         len > 0), ART_ERANGE (the text would be longer than INT_MAX).
 * Thread safety: any thread.
 */
ART_API int art_event_snapshot_to_json(const art_event_snapshot *snap, char *buf, size_t len);

/**
 * @brief Writes the counters of @p snap in the Prometheus text exposition format (0.0.4) into
 *        @p buf, snprintf-style. Families, each with HELP and TYPE lines:
 *          art_monitor_events_total{family,kind,severity}   counter, one series per combination
 *                                                           counted since the last reset
 *          art_monitor_events_filtered_total                counter
 *          art_monitor_history_dropped_total                counter
 *          art_monitor_history_lost_total                   counter
 *          art_monitor_history_capacity                     gauge
 *        No pid labels (their number is unbounded). Label values are escaped (\\, \", \n).
 * @return the length written or needed, NUL excluded; ART_EINVAL, ART_ERANGE.
 * Thread safety: any thread.
 */
ART_API int art_event_snapshot_to_prometheus(const art_event_snapshot *snap, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif /* ART_MONITOR_H */
