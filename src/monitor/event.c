/* Event names, the dense kind index, per-kind metadata, and the event helpers. */
#include <string.h>

#include "monitor/monitor.h"

static const char *const family_names[ART_EVENT_FAMILY_COUNT] = {
    [ART_EVENT_FAMILY_SUPERVISION] = "supervision", [ART_EVENT_FAMILY_ACTOR] = "actor",
    [ART_EVENT_FAMILY_SYSTEM] = "system",           [ART_EVENT_FAMILY_BROKER] = "broker",
    [ART_EVENT_FAMILY_MAILBOX] = "mailbox",
};

static const char *const severity_names[ART_SEVERITY_COUNT] = {
    [ART_SEVERITY_TRACE] = "trace", [ART_SEVERITY_DEBUG] = "debug",
    [ART_SEVERITY_INFO] = "info",   [ART_SEVERITY_WARNING] = "warning",
    [ART_SEVERITY_ERROR] = "error", [ART_SEVERITY_CRITICAL] = "critical",
};

/* Kinds per family, and where each family starts in the dense index. The numbers in the kind
 * map are each kind's place in its family; tests/unit/test_monitor.c checks that they are. */
#define PLUS_ONE(family, name, number, text, severity) +1
enum {
  SUPERVISION_KINDS = 0 ART_EVENT_SUPERVISION_KIND_MAP(PLUS_ONE),
  ACTOR_KINDS = 0 ART_EVENT_ACTOR_KIND_MAP(PLUS_ONE),
  SYSTEM_KINDS = 0 ART_EVENT_SYSTEM_KIND_MAP(PLUS_ONE),
  BROKER_KINDS = 0 ART_EVENT_BROKER_KIND_MAP(PLUS_ONE),
  MAILBOX_KINDS = 0 ART_EVENT_MAILBOX_KIND_MAP(PLUS_ONE),
};
#undef PLUS_ONE

const uint8_t art__event_family_kinds[ART_EVENT_FAMILY_COUNT] = {
    SUPERVISION_KINDS, ACTOR_KINDS, SYSTEM_KINDS, BROKER_KINDS, MAILBOX_KINDS,
};
const uint8_t art__event_family_first[ART_EVENT_FAMILY_COUNT] = {
    0,
    SUPERVISION_KINDS,
    SUPERVISION_KINDS + ACTOR_KINDS,
    SUPERVISION_KINDS + ACTOR_KINDS + SYSTEM_KINDS,
    SUPERVISION_KINDS + ACTOR_KINDS + SYSTEM_KINDS + BROKER_KINDS,
};
_Static_assert(SUPERVISION_KINDS + ACTOR_KINDS + SYSTEM_KINDS + BROKER_KINDS + MAILBOX_KINDS ==
                   ART_EVENT_KIND_COUNT,
               "every kind belongs to a family");

#define KIND_VALUE(family, name, number, text, severity) ART_EVENT_##family##_##name,
static const art_event_kind kinds[ART_EVENT_KIND_COUNT] = {ART_EVENT_KIND_MAP(KIND_VALUE)};
#undef KIND_VALUE

#define KIND_NAME(family, name, number, text, severity) text,
static const char *const kind_names[ART_EVENT_KIND_COUNT] = {ART_EVENT_KIND_MAP(KIND_NAME)};
#undef KIND_NAME

#define KIND_SEVERITY(family, name, number, text, severity) ART_SEVERITY_##severity,
static const uint8_t kind_severities[ART_EVENT_KIND_COUNT] = {ART_EVENT_KIND_MAP(KIND_SEVERITY)};
#undef KIND_SEVERITY

/* How each kind uses the fields, in the order of ART_EVENT_KIND_MAP; art_event_kind's comment
 * in art/monitor.h is the same table in words. */
#define R ART__FIELD_REASON
#define E ART__FIELD_ERROR
#define N ART__FIELD_RESTARTS
#define C ART__FIELD_CAPACITY
#define D ART__FIELD_DURATION
#define S ART__FIELD_STRATEGY
static const art__event_meta metas[ART_EVENT_KIND_COUNT] = {
    /* supervision */
    {"supervisor", "child_id", NULL, NULL, D},           /* child_started */
    {"supervisor", "child_id", NULL, "detail", R | D},   /* child_stopped */
    {"supervisor", "child_id", NULL, NULL, R | E | N},   /* child_failed */
    {"supervisor", "child_id", NULL, NULL, N | D},       /* child_restarted */
    {"supervisor", "child_id", NULL, NULL, N | D},       /* restart_limit_exceeded */
    {"supervisor", "child_id", "children", NULL, S},     /* strategy_applied */
    {"supervisor", "child_id", "failures", "detail", D}, /* health_check_failed */
    {"supervisor", "child_id", NULL, "detail", 0},       /* child_degraded */
    /* actor */
    {"parent", NULL, NULL, NULL, 0},           /* spawned */
    {NULL, NULL, NULL, NULL, D},               /* started */
    {"sender", NULL, "message_type", NULL, 0}, /* message_received */
    {"sender", NULL, "message_type", NULL, D}, /* message_processed */
    {NULL, NULL, "message_type", NULL, E},     /* error_occurred */
    {NULL, NULL, NULL, "detail", R | D},       /* stopped */
    /* system */
    {NULL, NULL, "workers", NULL, 0}, /* started */
    {NULL, NULL, "actors", NULL, D},  /* shutdown */
    {NULL, "name", NULL, NULL, 0},    /* actor_registered */
    {NULL, "name", NULL, NULL, 0},    /* actor_deregistered */
    {NULL, "key", NULL, "value", 0},  /* configuration_changed */
    /* broker */
    {NULL, "topic", "subscribers", NULL, 0},      /* message_published */
    {"publisher", "topic", NULL, NULL, 0},        /* message_routed */
    {NULL, "topic", NULL, NULL, 0},               /* subscriber_added */
    {NULL, "topic", NULL, NULL, R},               /* subscriber_removed */
    {NULL, "topic", NULL, NULL, E},               /* routing_failed */
    {"sender", "topic", "message_type", NULL, 0}, /* dead_letter */
    /* mailbox */
    {"sender", NULL, "queue_size", NULL, C},     /* message_enqueued */
    {NULL, NULL, "queue_size", NULL, C},         /* message_dequeued */
    {"sender", NULL, "queue_size", NULL, C | D}, /* backpressure_applied */
    {"sender", NULL, "queue_size", NULL, C},     /* capacity_reached */
    {"sender", NULL, "queue_size", NULL, C},     /* message_dropped */
};
#undef R
#undef E
#undef N
#undef C
#undef D
#undef S

const char *art_event_family_name(art_event_family family) {
  return (unsigned)family < ART_EVENT_FAMILY_COUNT ? family_names[family] : "unknown";
}

const char *art_severity_name(art_severity severity) {
  return (unsigned)severity < ART_SEVERITY_COUNT ? severity_names[severity] : "unknown";
}

int art_event_kind_index(art_event_kind kind) {
  return art__event_kind_index((unsigned)kind);
}

art_event_kind art_event_kind_at(int index) {
  return index >= 0 && index < ART_EVENT_KIND_COUNT ? kinds[index] : (art_event_kind)-1;
}

const char *art_event_kind_name(art_event_kind kind) {
  int index = art__event_kind_index((unsigned)kind);
  return index >= 0 ? kind_names[index] : "unknown";
}

art_severity art_event_kind_severity(art_event_kind kind) {
  int index = art__event_kind_index((unsigned)kind);
  return index >= 0 ? (art_severity)kind_severities[index] : ART_SEVERITY_INFO;
}

const art__event_meta *art__event_meta_of(unsigned kind) {
  int index = art__event_kind_index(kind);
  return index >= 0 ? &metas[index] : NULL;
}

void art_event_init(art_event *event, art_event_kind kind, art_severity severity) {
  if (!event)
    return;
  memset(event, 0, sizeof *event);
  event->kind = (uint16_t)kind;
  event->family = (uint8_t)ART_EVENT_KIND_FAMILY(kind);
  event->severity = (uint8_t)severity;
  event->timestamp = art_now_utc();
}

size_t art_event_copy_text(char *dst, size_t size, const char *src) {
  if (!dst || size == 0)
    return 0;
  if (!src)
    src = "";
  size_t n = strnlen(src, size - 1);
  if (src[n] != '\0') {
    /* Truncated: if the first byte left out continues a character, leave that whole character
     * out (a UTF-8 character is at most 4 bytes, so look back at most 3). */
    size_t cut = n;
    while (cut > 0 && n - cut < 3 && ((unsigned char)src[cut] & 0xC0u) == 0x80u)
      cut--;
    if (((unsigned char)src[cut] & 0xC0u) == 0xC0u)
      n = cut;
  }
  memcpy(dst, src, n);
  dst[n] = '\0';
  return n;
}
