/*
 * Platform layer: clocks, futex-based sleeping, CPU hints, and the allocator front-end.
 *
 * Owns nothing global except the thread-local pointer set by the scheduler. Every function here
 * is safe from any thread.
 */
#ifndef ART_PLATFORM_PLATFORM_H
#define ART_PLATFORM_PLATFORM_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "art/system.h"

#define ART__CACHE_LINE 64
#define ART__ALIGNED_LINE _Alignas(ART__CACHE_LINE)

#define ART__CONTAINER_OF(ptr, type, member)                                                       \
  ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

#define ART__LIKELY(x) __builtin_expect(!!(x), 1)
#define ART__UNLIKELY(x) __builtin_expect(!!(x), 0)

/* Thread-locals are only read by this library, which is linked at start-up or with dlopen on
 * glibc (which reserves static TLS space for that): initial-exec avoids __tls_get_addr. */
#define ART__THREAD_LOCAL __thread __attribute__((tls_model("initial-exec")))

/** Monotonic nanoseconds. */
int64_t art__clock_mono(void);

/** Tells the CPU we are spinning. */
static inline void art__cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

/* A one-shot wake-up token per sleeper: art__token_post() sets it and wakes the sleeper;
 * art__token_wait() returns once it was set and clears it. A post that comes before the wait
 * is not lost. */
typedef struct art__token {
  _Atomic uint32_t value;
} art__token;

void art__token_post(art__token *t);

/* Raw futex: waits while *addr == expected, at most timeout_ns (negative: forever); spurious
 * returns are possible. Wakes every waiter on addr. */
void art__futex_wait(_Atomic uint32_t *addr, uint32_t expected, int64_t timeout_ns);
void art__futex_wake_all(_Atomic uint32_t *addr);
/** Waits for a post, at most @p timeout_ns (negative: forever). Returns 1 if posted, 0 if not. */
int art__token_wait(art__token *t, int64_t timeout_ns);

/* The allocator front-end. A system keeps one of these; everything it allocates goes through
 * it so that a test allocator sees (and can fail) every allocation. */
typedef struct art__allocator {
  art_allocator user; /* functions never NULL once initialised */
} art__allocator;

void art__allocator_init(art__allocator *a, const art_allocator *user);
void *art__alloc(const art__allocator *a, size_t size);
void *art__calloc(const art__allocator *a, size_t size);
void art__free(const art__allocator *a, void *ptr);
/* Zeroed memory aligned to a cache line (for structures with ART__ALIGNED_LINE members). */
void *art__alloc_aligned(const art__allocator *a, size_t size);
void art__free_aligned(const art__allocator *a, void *ptr);

/** Sets the calling thread's name (truncated to 15 bytes); errors are ignored. */
void art__thread_set_name(const char *name);

#endif /* ART_PLATFORM_PLATFORM_H */
