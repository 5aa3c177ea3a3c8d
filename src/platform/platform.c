/* Clocks, futex tokens, the allocator front-end, thread names. */
#include "platform/platform.h"

#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int64_t art__clock_mono(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t art_now_monotonic(void) {
  return art__clock_mono();
}

int64_t art_now_utc(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static long futex(_Atomic uint32_t *addr, int op, uint32_t val, const struct timespec *ts) {
  return syscall(SYS_futex, (uint32_t *)addr, op, val, ts, NULL, 0);
}

void art__futex_wait(_Atomic uint32_t *addr, uint32_t expected, int64_t timeout_ns) {
  struct timespec ts = {.tv_sec = timeout_ns / 1000000000, .tv_nsec = timeout_ns % 1000000000};
  futex(addr, FUTEX_WAIT_PRIVATE, expected, timeout_ns < 0 ? NULL : &ts);
}

void art__futex_wake_all(_Atomic uint32_t *addr) {
  futex(addr, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL);
}

void art__token_post(art__token *t) {
  /* Release: pairs with the acquire exchange in art__token_wait, so what the poster wrote
   * before posting is visible to the woken thread. */
  if (atomic_exchange_explicit(&t->value, 1, memory_order_release) == 0)
    futex(&t->value, FUTEX_WAKE_PRIVATE, 1, NULL);
}

int art__token_wait(art__token *t, int64_t timeout_ns) {
  int64_t deadline = timeout_ns < 0 ? 0 : art__clock_mono() + timeout_ns;
  for (;;) {
    if (atomic_exchange_explicit(&t->value, 0, memory_order_acquire) == 1)
      return 1;
    struct timespec ts, *tsp = NULL;
    if (timeout_ns >= 0) {
      int64_t left = deadline - art__clock_mono();
      if (left <= 0)
        return 0;
      ts.tv_sec = left / 1000000000;
      ts.tv_nsec = left % 1000000000;
      tsp = &ts;
    }
    futex(&t->value, FUTEX_WAIT_PRIVATE, 0, tsp);
  }
}

static void *default_alloc(void *ctx, size_t size) {
  (void)ctx;
  return malloc(size);
}

static void default_free(void *ctx, void *ptr) {
  (void)ctx;
  free(ptr);
}

void art__allocator_init(art__allocator *a, const art_allocator *user) {
  if (user && user->alloc && user->free) {
    a->user = *user;
  } else {
    a->user.alloc = default_alloc;
    a->user.free = default_free;
    a->user.ctx = NULL;
  }
}

void *art__alloc(const art__allocator *a, size_t size) {
  return a->user.alloc(a->user.ctx, size);
}

void *art__calloc(const art__allocator *a, size_t size) {
  void *p = a->user.alloc(a->user.ctx, size);
  if (p)
    memset(p, 0, size);
  return p;
}

void art__free(const art__allocator *a, void *ptr) {
  if (ptr)
    a->user.free(a->user.ctx, ptr);
}

/* The block starts at the next line boundary after the raw pointer, which is kept in the word
 * just before the block. */
void *art__alloc_aligned(const art__allocator *a, size_t size) {
  char *raw = art__alloc(a, size + ART__CACHE_LINE);
  if (!raw)
    return NULL;
  char *block = (char *)(((uintptr_t)raw + ART__CACHE_LINE) & ~(uintptr_t)(ART__CACHE_LINE - 1));
  ((void **)block)[-1] = raw;
  memset(block, 0, size);
  return block;
}

void art__free_aligned(const art__allocator *a, void *ptr) {
  if (ptr)
    art__free(a, ((void **)ptr)[-1]);
}

void art__thread_set_name(const char *name) {
  char buf[16];
  strncpy(buf, name, sizeof buf - 1);
  buf[sizeof buf - 1] = '\0';
  pthread_setname_np(pthread_self(), buf);
}
