/*
 * Timers, the system clock, and deterministic mode.
 *
 * One timer service per system drives every timer; it sleeps until the earliest deadline and
 * costs nothing when no timer is set. A timer sends a message (a copy of the payload given at
 * creation) to its target when it fires; a periodic timer fires every interval until
 * cancelled. After art_timer_cancel() returns 0, the timer's message is never delivered, even
 * if it had already been sent. A timer's message is not refused by a full bounded mailbox (it
 * is a runtime message until delivered), so a fast periodic timer can exceed the capacity of a
 * slow actor's mailbox. A timer whose target has exited counts its message as a dead letter
 * (with the timer's type) and stops.
 *
 * Deterministic mode (art_system_config.deterministic): no worker threads and a manual clock.
 * The calling thread runs the actors in art_system_run(); time moves only in art_clock_advance(),
 * which fires what came due and runs the actors until they are idle. Timeouts, backoff and every
 * time-based behaviour can then be tested without sleeping, and replay exactly.
 */
#ifndef ART_TIMER_H
#define ART_TIMER_H

#include "actor.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A timer handle; never 0. */
typedef uint64_t art_timer;

/**
 * @brief Sends a message of @p type with a copy of @p data to @p to after @p delay.
 * @param timer receives the handle (may be NULL).
 * @return 0; ART_EINVAL (negative delay, reserved type, NULL data with size > 0);
 *         ART_ENOMEM; ART_ESHUTDOWN. If @p to has exited when the timer fires, the message is
 *         a dead letter. Thread safety: any thread.
 */
ART_API int art_send_after(art_system *sys, art_pid to, art_duration delay, uint32_t type,
                           const void *data, size_t size, art_timer *timer);

/**
 * @brief Like art_send_after(), then again every @p interval (> 0) until cancelled or until
 *        @p to has exited.
 */
ART_API int art_send_interval(art_system *sys, art_pid to, art_duration delay,
                              art_duration interval, uint32_t type, const void *data, size_t size,
                              art_timer *timer);

/**
 * @brief Cancels @p timer.
 * @return 0: cancelled; its message is never delivered (also one already sent).
 *         ART_ENOENT: a one-shot timer whose message was already delivered, a cancelled timer,
 *         or not a timer. ART_EINVAL. Thread safety: any thread.
 */
ART_API int art_timer_cancel(art_system *sys, art_timer timer);

/**
 * @brief The system's clock: CLOCK_MONOTONIC in nanoseconds, or the manual clock in
 *        deterministic mode (starts at 0). Thread safety: any thread.
 */
ART_API int64_t art_system_now(art_system *sys);

/**
 * @brief Deterministic mode: moves the clock forward by @p delta, firing every timer that comes
 *        due in deadline order and running the actors until idle after each.
 * @return the number of timer firings, ART_EINVAL (not deterministic, negative delta),
 *         ART_EDEADLK (called from an actor). Thread safety: the thread that drives the system.
 */
ART_API int art_clock_advance(art_system *sys, art_duration delta);

/**
 * @brief Deterministic mode: runs actors on the calling thread until none is runnable.
 * @return the number of activations, ART_EINVAL (not deterministic), ART_EDEADLK.
 * Thread safety: one driving thread at a time.
 */
ART_API int64_t art_system_run(art_system *sys);

#ifdef __cplusplus
}
#endif
#endif /* ART_TIMER_H */
