/*
 * airssys-rt: Erlang/OTP-style actors, supervision and monitoring for C.
 *
 * The one header to include. See README.md for the ownership and thread-safety rules and
 * docs/ for the guides.
 */
#ifndef ART_H
#define ART_H

#include "art/actor.h"
#include "art/broker.h"
#include "art/common.h"
#include "art/link.h"
#include "art/monitor.h"
#include "art/registry.h"
#include "art/request.h"
#include "art/sup.h"
#include "art/system.h"
#include "art/timer.h"

#endif /* ART_H */
