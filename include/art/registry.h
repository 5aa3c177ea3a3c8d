/*
 * The name registry: names for actors, as OTP's register/2.
 *
 * An actor has at most one registered name, a name names at most one actor, and a name is
 * released automatically when its actor exits. Names are 1 to 63 bytes, copied.
 */
#ifndef ART_REGISTRY_H
#define ART_REGISTRY_H

#include "actor.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ART_NAME_MAX 63

/**
 * @brief Registers @p name for @p pid.
 * @return 0; ART_EEXIST (the name is taken); ART_EBUSY (the actor already has a name);
 *         ART_ESRCH (@p pid is not alive); ART_EINVAL (NULL, empty or too long name);
 *         ART_ENOMEM. Thread safety: any thread.
 */
ART_API int art_register(art_system *sys, const char *name, art_pid pid);

/**
 * @brief Removes @p name. @return 0, ART_ENOENT, ART_EINVAL. Thread safety: any thread.
 */
ART_API int art_unregister(art_system *sys, const char *name);

/**
 * @brief Looks @p name up. @return the pid, or ART_PID_NONE. Thread safety: any thread.
 * The actor may exit right after; a send to the pid then returns ART_ESRCH.
 */
ART_API art_pid art_whereis(art_system *sys, const char *name);

/**
 * @brief Sends to the actor registered as @p name; see art_send().
 * @return as art_send(), or ART_ENOENT if no actor has that name.
 */
ART_API int art_send_named(art_system *sys, const char *name, uint32_t type, const void *data,
                           size_t size);

#ifdef __cplusplus
}
#endif
#endif /* ART_REGISTRY_H */
