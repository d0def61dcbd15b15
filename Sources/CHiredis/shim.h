#ifndef C_HIREDIS_SHIM_H
#define C_HIREDIS_SHIM_H

#include <hiredis/hiredis.h>

/// The context's error text; `errstr` is a fixed char array, which Swift imports as a tuple.
static inline const char *CHiredis_errorString(const redisContext *context) {
    return context->errstr;
}

#endif
