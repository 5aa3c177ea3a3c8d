/*
 * Request and reply.
 *
 * From an actor, art_ask() sends a request and returns; later the actor receives either the
 * reply (a message whose correlation is the one art_ask returned) or an ART_MSG_TIMEOUT
 * message with that correlation, never both; a reply that arrives after the timeout is dropped
 * and never mistaken for the reply to a later request. From a plain thread, art_call() sends a
 * request and blocks until the reply or the timeout. The responder answers either with
 * art_reply().
 */
#ifndef ART_REQUEST_H
#define ART_REQUEST_H

#include "actor.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An art_ask() got no reply in time; msg.correlation says which. No payload. */
#define ART_MSG_TIMEOUT 0xFFFF0003u

/** Correlation ids with this bit set belong to requests. */
#define ART_CORRELATION_REQUEST (UINT64_C(1) << 63)
/** The bits of a correlation id that belong to the runtime (requests and replies);
 *  art_send_ex() refuses a correlation with any of them set. */
#define ART_CORRELATION_RESERVED (UINT64_C(3) << 62)

/**
 * @brief Sends a request to @p to; the reply or an ART_MSG_TIMEOUT arrives later.
 * @param correlation receives the request's correlation id (may be NULL).
 * @return 0; ART_ESRCH (@p to is not alive: no timeout message follows); ART_EINVAL
 *         (reserved type, timeout < 0); ART_ENOMEM. Thread safety: the actor's own callbacks.
 */
ART_API int art_ask(art_ctx *ctx, art_pid to, uint32_t type, const void *data, size_t size,
                    art_duration timeout, uint64_t *correlation);

/**
 * @brief Answers @p request (a message received from art_ask or art_call) with a copy of
 *        @p data.
 * @return as art_send(); ART_EINVAL if @p request is not a request.
 * Thread safety: any thread (usually the handler that received the request).
 */
ART_API int art_reply(art_system *sys, const art_msg *request, uint32_t type, const void *data,
                      size_t size);

/** Where art_call() puts the reply. */
typedef struct art_call_reply {
  uint32_t type; /**< the reply's type */
  size_t size;   /**< the reply's size (may exceed capacity: then ART_ERANGE) */
  void *data;    /**< caller's buffer, or NULL with capacity 0 */
  size_t capacity;
} art_call_reply;

/**
 * @brief Sends a request from a non-actor thread and waits for the reply.
 * @return 0 (reply filled in); ART_ETIMEDOUT; ART_ERANGE (reply larger than the buffer: type and
 *         size are set, data holds the first capacity bytes); ART_ESRCH (@p to was not alive,
 *         or exited before it replied, as gen_server:call's noproc); ART_ESHUTDOWN (the
 *         system is shutting down, before the reply came); ART_EINVAL; ART_ENOMEM;
 *         ART_EDEADLK (called from an actor: use art_ask). In deterministic mode
 *         the call runs the actors while it waits and returns ART_ETIMEDOUT if they go idle
 *         without replying (time does not pass by itself there).
 * The responder sees the request coming from a short-lived proxy actor that owns the pending
 * request (msg.sender is its pid, not ART_PID_NONE); art_reply() routes the answer through it.
 * Thread safety: any thread but an actor's.
 */
ART_API int art_call(art_system *sys, art_pid to, uint32_t type, const void *data, size_t size,
                     art_duration timeout, art_call_reply *reply);

#ifdef __cplusplus
}
#endif
#endif /* ART_REQUEST_H */
