/* Health-check messages and random numbers for supervisors (see supervision.h). */
#include "actor/supervision.h"

#include <string.h>

#include "actor/actor.h"

int art__health_ask(art_system *sys, art_pid from, art_pid to, uint64_t correlation) {
  art_send_args args = {.correlation = correlation};
  return art__send(sys, to, from, ART__MSG_HEALTH_CHECK, &args);
}

int art__health_answer_send(art_system *sys, const art_msg *request, art_health_status status,
                            const char *detail) {
  if (!sys || !request || request->type != ART__MSG_HEALTH_CHECK ||
      request->sender == ART_PID_NONE || (unsigned)status > ART_HEALTH_FAILED)
    return ART_EINVAL;
  art__health_answer answer;
  memset(&answer, 0, sizeof answer);
  answer.status = (int32_t)status;
  if (detail) {
    size_t n = strnlen(detail, sizeof answer.detail - 1);
    memcpy(answer.detail, detail, n);
  }
  art_send_args args = {
      .data = &answer, .size = sizeof answer, .correlation = request->correlation};
  return art__send(sys, request->sender, art__sender(sys), ART__MSG_HEALTH_ANSWER, &args);
}

/* A health check is answered here, in the actor's turn: its health callback, or healthy. */
bool art__actor_health_check(art__actor *a, art__env *env) {
  char detail[ART__HEALTH_DETAIL_MAX] = "";
  art_health_status status = ART_HEALTH_HEALTHY;
  if (a->ops->health)
    status = a->ops->health(a, a->state, detail, sizeof detail);
  if ((unsigned)status > ART_HEALTH_FAILED)
    status = ART_HEALTH_FAILED;
  (void)art__health_answer_send(a->sys, &env->msg, status, detail);
  return false;
}

uint64_t art__random(art_system *sys) {
  uint64_t z =
      atomic_fetch_add_explicit(&sys->random, UINT64_C(0x9e3779b97f4a7c15), memory_order_relaxed) +
      UINT64_C(0x9e3779b97f4a7c15);
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}
