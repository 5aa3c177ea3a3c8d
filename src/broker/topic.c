/*
 * Topics and patterns: NATS's subject rules (see art/broker.h), checked and hashed in one pass,
 * and matching a pattern against a topic segment by segment.
 */
#include <string.h>

#include "broker/broker.h"

/* FNV-1a, 64 bits: topics are short, and the hash only spreads entries over a table. */
#define FNV_OFFSET UINT64_C(0xcbf29ce484222325)
#define FNV_PRIME UINT64_C(0x100000001b3)

int art__broker_topic_scan(const char *topic, uint32_t flags, broker_topic_info *info) {
  if (!topic || (flags & ~ART_TOPIC_PATTERN))
    return ART_EINVAL;
  size_t len = strnlen(topic, ART_BROKER_TOPIC_MAX + 1);
  if (len == 0)
    return ART_EINVAL;
  if (len > ART_BROKER_TOPIC_MAX)
    return ART_ERANGE;
  bool pattern = flags & ART_TOPIC_PATTERN;
  uint64_t hash = FNV_OFFSET;
  uint32_t segments = 1;
  size_t seg_start = 0;
  bool wildcard = false, rest = false; /* `>` seen: it must have been the last segment */
  for (size_t i = 0; i <= len; i++) {
    unsigned char c = (unsigned char)topic[i];
    if (c == '.' || c == '\0') {
      size_t seg_len = i - seg_start;
      if (seg_len == 0 || (c == '.' && rest))
        return ART_EINVAL; /* an empty segment, or a segment after `>` */
      if (c == '.' && ++segments > ART_BROKER_SEGMENTS_MAX)
        return ART_ERANGE;
      seg_start = i + 1;
    } else if (c == '*' || c == '>') {
      /* A wildcard is a whole segment: the next byte ends it, the previous one started it. */
      if (!pattern || i != seg_start || (topic[i + 1] != '.' && topic[i + 1] != '\0'))
        return ART_EINVAL;
      wildcard = true;
      rest = c == '>';
    } else if (c <= ' ' || c == 0x7f) {
      return ART_EINVAL; /* spaces, tabs, line ends and other control characters */
    }
    if (c) {
      hash ^= c;
      hash *= FNV_PRIME;
    }
  }
  if (info) {
    info->len = len;
    info->segments = segments;
    info->wildcard = wildcard;
    info->hash = hash;
  }
  return 0;
}

/* The segment of @p s (length @p n) that starts at *@p at; moves *@p at past it and its dot. */
static size_t next_segment(const char *s, size_t n, size_t *at, const char **seg) {
  size_t start = *at, end = start;
  while (end < n && s[end] != '.')
    end++;
  *seg = s + start;
  *at = end + 1;
  return end - start;
}

bool art__broker_topic_match(const char *p, size_t plen, const char *t, size_t tlen) {
  size_t pi = 0, ti = 0;
  while (pi < plen && ti < tlen) {
    const char *pseg, *tseg;
    size_t pn = next_segment(p, plen, &pi, &pseg);
    if (pn == 1 && pseg[0] == '>')
      return true; /* the rest, which is at least one segment */
    size_t tn = next_segment(t, tlen, &ti, &tseg);
    if (!(pn == 1 && pseg[0] == '*') && (pn != tn || memcmp(pseg, tseg, pn) != 0))
      return false;
  }
  return pi >= plen && ti >= tlen;
}

int art_broker_topic_check(const char *topic, uint32_t flags) {
  return art__broker_topic_scan(topic, flags, NULL);
}

int art_broker_topic_matches(const char *pattern, const char *topic) {
  broker_topic_info p, t;
  int rc = art__broker_topic_scan(pattern, ART_TOPIC_PATTERN, &p);
  if (rc == 0)
    rc = art__broker_topic_scan(topic, 0, &t);
  if (rc)
    return rc;
  return art__broker_topic_match(pattern, p.len, topic, t.len) ? 1 : 0;
}
