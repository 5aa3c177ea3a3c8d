/*
 * The pub-sub broker: topics, subscriptions with wildcards, fan-out, request/reply over topics
 * and dead letters, in process. See docs/broker.md.
 *
 * Topics follow NATS's subject rules, so that a network transport can later map them one to
 * one:
 *   - a topic is one or more segments separated by '.'; a segment is never empty ("a..b", ".a"
 *     and "a." are invalid) and holds no space, tab, CR, LF or other control character;
 *   - a subscription pattern may use the wildcards `*` (exactly one segment) and `>` (one or
 *     more segments, only as the last one): "orders.*.paid", "orders.>";
 *   - a wildcard is a whole segment: "a*" or "b>" is invalid (not a literal);
 *   - a topic given to art_publish() holds no wildcard;
 *   - at most ART_BROKER_TOPIC_MAX bytes and ART_BROKER_SEGMENTS_MAX segments (ART_ERANGE
 *     beyond).
 *
 * A subscription is a (pattern, pid) pair; a publish delivers one message to every matching
 * subscription (an actor subscribed twice with patterns that both match gets two). The message
 * is an ordinary art_msg of the publisher's type with exactly the publisher's payload; the
 * topic it was published on is read with art_broker_topic(). Subscribers that exit are removed
 * automatically: the broker runs a small actor of its own that monitors them. That actor is a
 * living actor of the system until the broker is destroyed, so art_system_wait() (which waits
 * for every actor) returns only after art_broker_destroy().
 *
 * Lifetime: art_broker_create() -> use -> art_broker_destroy(). Destroy a broker before
 * art_system_destroy() or after it, before or after art_system_shutdown(): every order is
 * safe. No other call on the broker may run during or after its destroy.
 */
#ifndef ART_BROKER_H
#define ART_BROKER_H

#include "actor.h"
#include "request.h"
#include "system.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A broker; several may serve one system. */
typedef struct art_broker art_broker;

/** A subscription handle, from art_subscribe(); never 0. */
typedef uint64_t art_sub;

/** The longest topic or pattern, in bytes, NUL excluded. */
#define ART_BROKER_TOPIC_MAX 255
/** The most segments a topic or pattern may have. */
#define ART_BROKER_SEGMENTS_MAX 32

/** Broker configuration. Fill with art_broker_config_init(), then change what you need. */
typedef struct art_broker_config {
  /** Allocator of the broker's tables and payloads; NULL functions: the system's allocator. */
  art_allocator allocator;
  /**
   * Receives, as an ordinary message (art_broker_topic() works on it), every publish that no
   * subscription matched and every delivery that failed (stale subscriber, full mailbox, no
   * memory). ART_PID_NONE (the default): such messages are only counted and reported as
   * events.
   */
  art_pid dead_letter;
  /**
   * How many topics' lists of matching subscriptions are kept, per version of the subscription
   * table (a subscribe or unsubscribe starts a new version). Default 1024; 0 disables the
   * cache (every publish matches against the table).
   */
  uint32_t cache_capacity;
  /** Name of the broker's own actor (shown in events), copied; at most 63 bytes. Default
   *  "broker". */
  const char *name;
} art_broker_config;

/** @brief Fills @p cfg with the defaults. Thread safety: any thread. */
ART_API void art_broker_config_init(art_broker_config *cfg);

/**
 * @brief Creates a broker for @p sys and spawns its actor (which watches subscribers).
 * @param cfg configuration, or NULL for the defaults; copied.
 * @param out receives the broker; untouched on failure.
 * @return 0, ART_EINVAL (NULL sys or out, name too long, unbalanced allocator functions),
 *         ART_ENOMEM, ART_ESHUTDOWN (the system is stopping), or what art_spawn() returns.
 * Thread safety: any thread, including actor callbacks.
 */
ART_API int art_broker_create(art_system *sys, const art_broker_config *cfg, art_broker **out);

/**
 * @brief Removes every subscription, stops the broker's actor and frees the broker once that
 *        actor is gone (at once if the system has stopped). Pending requests end: a blocked
 *        art_broker_request() must not be running (see the lifetime rule above); an actor
 *        waiting on art_broker_ask() gets nothing more. NULL is ignored.
 * Thread safety: any thread, including actor callbacks; no other call on @p broker may run
 * during or after it.
 */
ART_API void art_broker_destroy(art_broker *broker);

/* ---------------------------------------------------------------------------------------- */
/* Topics                                                                                    */

/** art_broker_topic_check() flag: the text is a pattern (wildcards allowed). */
#define ART_TOPIC_PATTERN 0x1u

/**
 * @brief Checks @p topic against the topic rules above (with ART_TOPIC_PATTERN: the pattern
 *        rules).
 * @return 0, ART_EINVAL (NULL, empty, an empty segment, a forbidden character, a wildcard in a
 *         topic, a wildcard that is not a whole segment, `>` before the last segment, unknown
 *         flags), ART_ERANGE (longer than ART_BROKER_TOPIC_MAX, more than
 *         ART_BROKER_SEGMENTS_MAX segments). Thread safety: any thread.
 */
ART_API int art_broker_topic_check(const char *topic, uint32_t flags);

/**
 * @brief Whether @p pattern matches @p topic ("a.*.c" matches "a.b.c", "a.>" matches "a.b"
 *        and "a.b.c" but not "a").
 * @return 1 (matches), 0 (does not), or the error art_broker_topic_check() gives for either.
 * Thread safety: any thread.
 */
ART_API int art_broker_topic_matches(const char *pattern, const char *topic);

/* ---------------------------------------------------------------------------------------- */
/* Subscriptions                                                                             */

/**
 * @brief Subscribes @p pid to the topics @p pattern matches. The subscription is removed
 *        by art_unsubscribe(), art_unsubscribe_pid(), or when @p pid exits.
 * @param out receives the handle (may be NULL).
 * @return 0, ART_EINVAL (NULL broker or pattern, ART_PID_NONE, invalid pattern), ART_ERANGE
 *         (pattern too long or too many segments), ART_ESRCH (@p pid is not alive),
 *         ART_ENOMEM, ART_ESHUTDOWN (the system has stopped: its broker actor is gone).
 * Cost: a new version of the subscription table, O(subscriptions); publishes never wait for
 * it. Thread safety: any thread, including actor callbacks (an actor may subscribe itself in
 * pre_start).
 */
ART_API int art_subscribe(art_broker *broker, const char *pattern, art_pid pid, art_sub *out);

/**
 * @brief Removes subscription @p sub. Publishes that start after this returns do not deliver
 *        to it; messages already delivered stay in the mailbox.
 * @return 0, ART_ENOENT (not a subscription of this broker, or removed already), ART_EINVAL,
 *         ART_ENOMEM (the new table could not be allocated: nothing changed).
 * Thread safety: any thread.
 */
ART_API int art_unsubscribe(art_broker *broker, art_sub sub);

/**
 * @brief Removes every subscription of @p pid.
 * @return the number removed (0 if none), ART_EINVAL, ART_ENOMEM (nothing changed).
 * Thread safety: any thread.
 */
ART_API int art_unsubscribe_pid(art_broker *broker, art_pid pid);

/* ---------------------------------------------------------------------------------------- */
/* Publishing                                                                                */

/**
 * @brief Publishes a copy of @p size bytes at @p data on @p topic: every subscription whose
 *        pattern matches gets a message of @p type with that payload (sender: the calling
 *        actor, or ART_PID_NONE from a plain thread). The payload is copied once and shared
 *        by all the deliveries.
 *
 * A publish that no subscription matched, and each delivery that failed (the subscriber has
 * exited, its bounded mailbox is full, or memory ran out), is a dead letter: counted, reported
 * as an event, and sent to the configured dead-letter actor if there is one. Failed deliveries
 * do not fail the publish. A full bounded mailbox with ART_OVERFLOW_DROP drops the message as
 * its policy says (counted by the mailbox, not a dead letter); ART_OVERFLOW_BLOCK never makes a
 * publish wait: the delivery fails as with ART_OVERFLOW_ERROR.
 *
 * The subscriber's msg->data points to the shared copy (never NULL, even when size is 0); it is
 * freed once every delivery has been handled.
 * @param delivered receives the number of mailboxes the message went into (may be NULL).
 * @return 0, ART_EINVAL (NULL broker or topic, invalid topic or a wildcard in it, reserved
 *         type, NULL data with size > 0), ART_ERANGE (topic too long or too many segments,
 *         size > UINT32_MAX), ART_ENOMEM (nothing delivered), ART_ESHUTDOWN.
 * Cost: no lock; one lookup of the topic in the table's match cache, then per delivery one
 * envelope and two atomic operations on the subscriber's mailbox (its count and its queue), as
 * a send. Thread safety: any thread, including actor callbacks.
 */
ART_API int art_publish(art_broker *broker, const char *topic, uint32_t type, const void *data,
                        size_t size, size_t *delivered);

/**
 * @brief The topic @p msg was published on.
 * @param msg the message exactly as handle() received it (not a copy of the struct).
 * @return the topic, valid until handle() returns; NULL if @p msg did not come from a broker
 *         (replies and timeouts of art_broker_ask() included) or is NULL.
 * Thread safety: the handler that received @p msg.
 */
ART_API const char *art_broker_topic(const art_msg *msg);

/**
 * @brief Whether @p msg is a request (from art_broker_request() or art_broker_ask()) to be
 *        answered with art_broker_reply(). The requester is msg->sender (ART_PID_NONE for a
 *        plain thread); msg->correlation names the request.
 * Thread safety: the handler that received @p msg.
 */
ART_API bool art_broker_is_request(const art_msg *msg);

/* ---------------------------------------------------------------------------------------- */
/* Request and reply                                                                         */

/**
 * @brief From an actor: publishes a request on @p topic and returns; later the actor receives
 *        either the first reply (a message whose correlation is *correlation, of the type and
 *        payload art_broker_reply() gave) or an ART_MSG_TIMEOUT message with that correlation,
 *        never both. Replies after the first and replies after the timeout are dropped and
 *        counted (art_broker_stats.late_replies). The request is registered before it is
 *        published, so a reply can never arrive too early to be taken.
 * @param correlation receives the request's correlation id (may be NULL).
 * @return 0; ART_ESRCH (no subscription took the request: no timeout message follows; it is
 *         a dead letter like any publish nobody took); ART_EINVAL (NULL ctx, broker or topic,
 *         invalid topic, reserved type, negative timeout, NULL data with size > 0);
 *         ART_ERANGE; ART_ENOMEM; ART_ESHUTDOWN.
 * Thread safety: the actor's own callbacks.
 */
ART_API int art_broker_ask(art_ctx *ctx, art_broker *broker, const char *topic, uint32_t type,
                           const void *data, size_t size, art_duration timeout,
                           uint64_t *correlation);

/**
 * @brief From a plain thread: publishes a request on @p topic and waits for the first reply.
 * @param reply where the reply goes (see art_call_reply in art/request.h).
 * @return 0 (reply filled in); ART_ETIMEDOUT; ART_ERANGE (reply larger than the buffer: type
 *         and size are set, data holds the first capacity bytes; or a topic too long);
 *         ART_ESRCH (no subscription took the request); ART_EINVAL; ART_ENOMEM;
 *         ART_ESHUTDOWN; ART_EDEADLK (called from an actor: use art_broker_ask()). In
 *         deterministic mode the call runs the actors while it waits and returns
 *         ART_ETIMEDOUT if they go idle without replying (time does not pass by itself there).
 * Thread safety: any thread but an actor's.
 */
ART_API int art_broker_request(art_broker *broker, const char *topic, uint32_t type,
                               const void *data, size_t size, art_duration timeout,
                               art_call_reply *reply);

/**
 * @brief Answers @p request (a message for which art_broker_is_request() is true) with a copy
 *        of @p data. The first reply to a request wins. Only msg->correlation is read, so a
 *        copy of the message kept to answer later will do.
 * @return 0 (handed to the requester); ART_ENOENT (not a pending request of this broker: it
 *         was answered, timed out, or its requester gave up; the reply is dropped and counted
 *         as late); ART_EINVAL (NULL broker or request, a correlation without
 *         ART_CORRELATION_REQUEST, reserved type, NULL data with size > 0); or what the send to
 *         an actor requester returns (ART_ESRCH if it has exited; ART_ENOMEM, and the request
 *         stays pending: a later reply or the timeout still ends it).
 * Thread safety: any thread (usually the handler that received the request).
 */
ART_API int art_broker_reply(art_broker *broker, const art_msg *request, uint32_t type,
                             const void *data, size_t size);

/* ---------------------------------------------------------------------------------------- */
/* Statistics                                                                                */

/** Counters of a broker since it was created; each exact when the broker is quiet. */
typedef struct art_broker_stats {
  uint64_t published;        /**< publishes and requests that were routed */
  uint64_t delivered;        /**< messages put into a subscriber's mailbox */
  uint64_t dead_letters;     /**< publishes nobody took plus deliveries that failed */
  uint64_t routing_failures; /**< deliveries that failed (of the dead letters) */
  uint64_t subscriptions;    /**< subscriptions now */
  uint64_t subscribed;       /**< subscriptions made */
  uint64_t unsubscribed;     /**< subscriptions removed, by any means */
  uint64_t removed_on_exit;  /**< of those, removed because the subscriber exited */
  uint64_t requests;         /**< requests published (art_broker_ask, art_broker_request) */
  uint64_t replies;          /**< replies handed to a requester */
  uint64_t late_replies;     /**< replies dropped: the request was no longer pending */
  uint64_t timeouts;         /**< requests that ended without a reply */
  uint64_t cache_hits;       /**< publishes routed without matching wildcard patterns: from
                                  the match cache, or by the index of exact patterns when no
                                  subscription has a wildcard */
  uint64_t cache_misses;     /**< publishes that matched the topic against every wildcard
                                  pattern */
} art_broker_stats;

/**
 * @brief Reads the counters of @p broker into @p out.
 * @return 0 or ART_EINVAL. Thread safety: any thread.
 */
ART_API int art_broker_stats_get(art_broker *broker, art_broker_stats *out);

#ifdef __cplusplus
}
#endif
#endif /* ART_BROKER_H */
