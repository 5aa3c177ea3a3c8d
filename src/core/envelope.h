/*
 * Message envelopes: one 64-byte, line-aligned block holding the mailbox link, the message as
 * handlers see it, and either the payload (up to ART_MSG_INLINE_MAX bytes) or a pointer to it.
 * Envelopes come from the system's envelope pool (core/pool.h).
 */
#ifndef ART_CORE_ENVELOPE_H
#define ART_CORE_ENVELOPE_H

#include "art/actor.h"
#include "core/mailbox.h"
#include "core/pool.h"

typedef struct art__env {
  art__node node;
  art_msg msg;
  /* Moved payload: called with msg.data once handled. NULL with msg.data outside the envelope
   * means the runtime copied the payload into its own allocation. */
  void (*free_fn)(void *);
  unsigned char inline_data[ART_MSG_INLINE_MAX];
} art__env;

_Static_assert(sizeof(art__env) == 64, "an envelope is one cache line");

/* Fills the payload of @p env per the ownership rule of art_send_args. Returns 0 or
 * ART_ENOMEM (nothing was taken). */
int art__env_set_payload(const art__allocator *a, art__env *env, const art_send_args *args);
/* Releases the payload of @p env (runs free_fn or frees the runtime's copy). */
void art__env_release_payload(const art__allocator *a, art__env *env);

#endif /* ART_CORE_ENVELOPE_H */
