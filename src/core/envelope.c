/* Envelope payloads: inline copies, heap copies, moved pointers. */
#include "core/envelope.h"

#include <string.h>

int art__env_set_payload(const art__allocator *a, art__env *env, const art_send_args *args) {
  env->msg.size = (uint32_t)args->size;
  env->free_fn = args->free_fn;
  if (args->free_fn) {
    env->msg.data = args->data;
  } else if (args->size == 0) {
    env->msg.data = NULL;
  } else if (args->size <= ART_MSG_INLINE_MAX) {
    memcpy(env->inline_data, args->data, args->size);
    env->msg.data = env->inline_data;
  } else {
    void *copy = art__alloc(a, args->size);
    if (!copy)
      return ART_ENOMEM;
    memcpy(copy, args->data, args->size);
    env->msg.data = copy;
  }
  return 0;
}

void art__env_release_payload(const art__allocator *a, art__env *env) {
  void *data = (void *)(uintptr_t)env->msg.data;
  if (env->free_fn)
    env->free_fn(data);
  else if (data && data != (void *)env->inline_data)
    art__free(a, data);
  env->free_fn = NULL;
  env->msg.data = NULL;
}
