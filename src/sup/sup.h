/*
 * Supervisors, private part. Owns the supervisor actor's state: the children in start order,
 * the restart window, the operation in progress (a sequence of child stops, then starts) and
 * the messages set aside while it runs.
 *
 * Locking: none. Everything here is touched only by the supervisor actor's callbacks (or by
 * the thread that creates the state before the actor is spawned).
 * Lifetime: the state is allocated by sup_launch() and freed by the actor's post_stop, or by
 * sup_launch() itself when the spawn fails.
 */
#ifndef ART_SUP_SUP_H
#define ART_SUP_SUP_H

#include "art/sup.h"

/* Message types the supervisor uses among its own actors ('SU' in the high half). */
enum {
  SUP_MSG_TIMER = 0x53550001u, /* a graceful stop ran out of time; data: uint64_t token */
  SUP_MSG_TRY_AGAIN,           /* retry a failed restart; data: uint64_t child uid */
  SUP_MSG_BEGIN_ROLLBACK,      /* the rollback actor starts stopping its children */
  SUP_MSG_STOP_ASYNC,          /* art_sup_stop from an actor */
  SUP_REQ_STOP,                /* art_sup_stop from a plain thread */
  SUP_REQ_WAIT,                /* wait until a rollback has stopped its children */
  SUP_REQ_START_CHILD,         /* data: sup_start_req */
  SUP_REQ_TERMINATE,           /* data: sup_id_req */
  SUP_REQ_RESTART,             /* data: sup_id_req */
  SUP_REQ_DELETE,              /* data: sup_id_req */
  SUP_REQ_WHICH,               /* reply: art_sup_child_info[] */
  SUP_REQ_COUNT,               /* reply: art_sup_counts */
  SUP_REQ_GET_SPEC,            /* data: sup_id_req; reply: sup_spec_reply */
  SUP_REPLY,                   /* the type of every reply */
};

typedef struct sup_id_req {
  char id[ART_SUP_ID_MAX + 1];
} sup_id_req;

typedef struct sup_start_req {
  art_child_spec spec;
  char id[ART_SUP_ID_MAX + 1];
} sup_start_req;

typedef struct sup_result {
  int rc;
  art_pid pid;
} sup_result;

typedef struct sup_spec_reply {
  int rc;
  art_child_spec spec;
} sup_spec_reply;

/* Checks a child spec (not the uniqueness of its id). */
int art__sup_check_child(const art_child_spec *spec);

/* Spawns a supervisor for @p spec. With @p link, from an actor's callback: linked to it,
 * which becomes the parent. @p may_wait: the caller can block (a plain thread), so a failed
 * start waits for the rollback. */
int art__sup_launch(art_system *sys, const art_sup_spec *spec, art_pid parent, bool may_wait,
                    art_pid *out);

#endif /* ART_SUP_SUP_H */
