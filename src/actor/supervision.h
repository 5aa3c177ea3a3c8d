/*
 * What the runtime offers supervisors beyond the public API: the health-check messages and
 * the system's random numbers.
 *
 * A health check is a runtime message ART__MSG_HEALTH_CHECK (= ART_MSG_HEALTH_CHECK of
 * art/sup.h) carrying a correlation chosen by the asker. The target answers with a runtime
 * message ART__MSG_HEALTH_ANSWER (same correlation, payload art__health_answer) that is
 * delivered to the asker's handler as is: the asker keeps its own timeouts and drops answers
 * it no longer waits for. The target's handler never sees the check: the runtime answers it in
 * the target's turn, with its art_actor_ops.health callback (healthy without one).
 */
#ifndef ART_ACTOR_SUPERVISION_H
#define ART_ACTOR_SUPERVISION_H

#include "art/actor.h"

#define ART__MSG_HEALTH_CHECK 0xFFFF0004u
#define ART__MSG_HEALTH_ANSWER 0xFFFFFF09u

#define ART__HEALTH_DETAIL_MAX 96

typedef struct art__health_answer {
  int32_t status; /* art_health_status */
  char detail[ART__HEALTH_DETAIL_MAX];
} art__health_answer;

/* Sends a health check from @p from to @p to with @p correlation. @return as art_send. */
int art__health_ask(art_system *sys, art_pid from, art_pid to, uint64_t correlation);

/* Answers @p request (an ART__MSG_HEALTH_CHECK). @return as art_send, ART_EINVAL if
 * @p request is not a health check. */
int art__health_answer_send(art_system *sys, const art_msg *request, art_health_status status,
                            const char *detail);

/* The next of the system's random numbers (splitmix64 from the configured seed); any thread.
 * In deterministic mode the sequence replays from run to run. */
uint64_t art__random(art_system *sys);

#endif /* ART_ACTOR_SUPERVISION_H */
