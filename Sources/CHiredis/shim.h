#ifndef C_HIREDIS_SHIM_H
#define C_HIREDIS_SHIM_H

#include <hiredis/hiredis.h>

/// The context's error text; `errstr` is a fixed char array, which Swift imports as a tuple.
static inline const char *CHiredis_errorString(const redisContext *context) {
    return context->errstr;
}

/// Bytes of formatted commands not yet written to the socket.
static inline size_t CHiredis_pendingOutput(const redisContext *context) {
    return context->obuf == NULL ? 0 : sdslen(context->obuf);
}

#endif
