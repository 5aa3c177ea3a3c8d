/* Error names and descriptions, generated from ART_ERRNO_MAP. */
#include "art/common.h"

const char *art_strerror(int err) {
  switch (err) {
  case 0:
    return "success";
#define ART__STRERROR_CASE(name, value, text)                                                      \
  case value:                                                                                      \
    return text;
    ART_ERRNO_MAP(ART__STRERROR_CASE)
#undef ART__STRERROR_CASE
  default:
    return "unknown error";
  }
}

const char *art_err_name(int err) {
  switch (err) {
  case 0:
    return "ART_OK";
#define ART__ERRNAME_CASE(name, value, text)                                                       \
  case value:                                                                                      \
    return "ART_" #name;
    ART_ERRNO_MAP(ART__ERRNAME_CASE)
#undef ART__ERRNAME_CASE
  default:
    return "ART_UNKNOWN";
  }
}

#ifndef ART_VERSION_STRING
#define ART_VERSION_STRING "0.0.0"
#endif

const char *art_version(void) {
  return ART_VERSION_STRING;
}
