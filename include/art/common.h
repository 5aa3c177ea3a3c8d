/*
 * Common definitions of airssys-rt: export macro, error codes, pids and time.
 *
 * Every function of the library returns 0 or a negative ART_E* code. The codes equal -errno
 * where an errno value with the same meaning exists, so they can be compared with errno values
 * and printed with art_strerror().
 */
#ifndef ART_COMMON_H
#define ART_COMMON_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(ART_STATIC_DEFINE)
#define ART_API
#elif defined(__GNUC__)
#define ART_API __attribute__((visibility("default")))
#else
#define ART_API
#endif

/*
 * The error codes: X(name, value, description). One list, so that the enum and art_strerror()
 * cannot drift apart.
 */
#define ART_ERRNO_MAP(X)                                                                           \
  X(EPERM, -EPERM, "operation not permitted")                                                      \
  X(ENOENT, -ENOENT, "no such entry")                                                              \
  X(ESRCH, -ESRCH, "no such actor (the pid is stale or was never valid)")                          \
  X(EAGAIN, -EAGAIN, "resource temporarily unavailable (mailbox full)")                            \
  X(ENOMEM, -ENOMEM, "out of memory")                                                              \
  X(EBUSY, -EBUSY, "resource busy")                                                                \
  X(EEXIST, -EEXIST, "already exists")                                                             \
  X(EINVAL, -EINVAL, "invalid argument")                                                           \
  X(ERANGE, -ERANGE, "value out of range")                                                         \
  X(EDEADLK, -EDEADLK, "operation would deadlock (called from an actor)")                          \
  X(ENOSPC, -ENOSPC, "no space left (actor table or supervisor full)")                             \
  X(ECANCELED, -ECANCELED, "operation canceled")                                                   \
  X(ESHUTDOWN, -ESHUTDOWN, "the system is shutting down or stopped")                               \
  X(ETIMEDOUT, -ETIMEDOUT, "timed out")

/** Error codes returned by every function of the library (always negative). */
typedef enum art_errno {
#define ART__ERRNO_ENUM(name, value, text) ART_##name = (value),
  ART_ERRNO_MAP(ART__ERRNO_ENUM)
#undef ART__ERRNO_ENUM
} art_errno;

/** The name OTP uses for a dead or unknown process; the same code as ART_ESRCH. */
#define ART_ENOPROC ART_ESRCH

/**
 * @brief Describes an error code.
 * @param err a value returned by a library function (0 or an ART_E* code).
 * @return a static string; never NULL (unknown codes give "unknown error").
 * Thread safety: any thread.
 */
ART_API const char *art_strerror(int err);

/**
 * @brief Names an error code ("ART_EINVAL").
 * @return a static string; "ART_OK" for 0, "ART_UNKNOWN" for codes that are not ours.
 * Thread safety: any thread.
 */
ART_API const char *art_err_name(int err);

/**
 * A process id: a value, never a pointer. It packs a slot index and a generation, so a pid kept
 * after its actor exited is detected as stale (ART_ESRCH) and never reaches reused memory.
 * ART_PID_NONE (0) is never the pid of an actor.
 */
typedef uint64_t art_pid;
#define ART_PID_NONE ((art_pid)0)

/** Durations and timeouts in nanoseconds. A negative timeout means "wait forever". */
typedef int64_t art_duration;
#define ART_NSEC(n) ((art_duration)(n))
#define ART_USEC(n) ((art_duration)(n)*1000)
#define ART_MSEC(n) ((art_duration)(n)*1000000)
#define ART_SEC(n) ((art_duration)(n)*1000000000)
#define ART_FOREVER ((art_duration)-1)

/** @brief Monotonic time in nanoseconds (CLOCK_MONOTONIC). Thread safety: any thread. */
ART_API int64_t art_now_monotonic(void);

/** @brief Wall-clock time in nanoseconds since the Unix epoch, UTC. Thread safety: any thread. */
ART_API int64_t art_now_utc(void);

/** @brief The library version as "MAJOR.MINOR.PATCH". */
ART_API const char *art_version(void);

#ifdef __cplusplus
}
#endif
#endif /* ART_COMMON_H */
