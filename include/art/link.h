/*
 * Links and monitors (death watch), with OTP's semantics.
 *
 * A link is bidirectional: when either side exits with a reason other than `normal`, the other
 * receives an exit signal with that reason (see art_send_exit for what a signal does; a link
 * signal `killed` is trappable, unlike a kill). An actor that traps exits receives link signals
 * as ART_MSG_EXIT messages, `normal` ones included. After art_unlink() returns, the link has
 * no effect any more, even for a signal already on its way.
 *
 * A monitor is one-way and stackable: each art_monitor() call returns a new reference and
 * produces exactly one ART_MSG_DOWN message (with the exit reason) when the target exits, or
 * at once with reason `noproc` if the target is already gone. After art_demonitor() returns, no
 * DOWN for that reference is delivered.
 */
#ifndef ART_LINK_H
#define ART_LINK_H

#include "actor.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A monitor reference; never 0. */
typedef uint64_t art_ref;

/** A monitored actor exited; data: art_down_msg. msg.correlation is the reference too. */
#define ART_MSG_DOWN 0xFFFF0002u

/** The payload of ART_MSG_DOWN. */
typedef struct art_down_msg {
  art_ref ref;            /**< the reference art_monitor() returned */
  art_pid pid;            /**< the actor that exited */
  art_exit_reason reason; /**< why; `noproc` if it was gone when the monitor was set */
} art_down_msg;

/**
 * @brief Links the calling actor and @p pid. Linking twice, or to oneself, does nothing.
 * @return 0; ART_ESRCH if @p pid is not alive and the caller does not trap exits (no link is
 *         made); a caller that traps exits gets 0 and an ART_MSG_EXIT with reason `noproc`
 *         instead, as in OTP. ART_EINVAL, ART_ENOMEM.
 * Thread safety: the actor's own callbacks.
 */
ART_API int art_link(art_ctx *ctx, art_pid pid);

/**
 * @brief Removes the link between the calling actor and @p pid, if any.
 * @return 0 (also when there was no link), ART_EINVAL.
 * Thread safety: the actor's own callbacks.
 */
ART_API int art_unlink(art_ctx *ctx, art_pid pid);

/**
 * @brief Monitors @p pid: one ART_MSG_DOWN arrives when it exits (at once with `noproc` if it
 *        is not alive).
 * @param ref receives the reference (required).
 * @return 0, ART_EINVAL, ART_ENOMEM. Thread safety: the actor's own callbacks.
 */
ART_API int art_monitor(art_ctx *ctx, art_pid pid, art_ref *ref);

/**
 * @brief Removes monitor @p ref; no DOWN for it is delivered afterwards, even if the target
 *        exited already.
 * @return 0, ART_ENOENT (not a live reference of this actor), ART_EINVAL.
 * Thread safety: the actor's own callbacks.
 */
ART_API int art_demonitor(art_ctx *ctx, art_ref ref);

#ifdef __cplusplus
}
#endif
#endif /* ART_LINK_H */
