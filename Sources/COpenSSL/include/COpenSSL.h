#ifndef C_OPENSSL_H
#define C_OPENSSL_H

// A TLS client over a non-blocking socket, on OpenSSL loaded at run time.
//
// libssl and libcrypto take about 1.7 MB of resident memory just by being loaded, which every
// process would pay if they were linked; only links configured for TLS need them, so
// COpenSSL_load() opens libssl.so.3 the first time one is made. Only the few calls a client
// session needs are wrapped, each with its OpenSSL type taken from the real headers.

#include <stddef.h>
#include <stdbool.h>

typedef struct COpenSSL_context COpenSSL_context;
typedef struct COpenSSL_session COpenSSL_session;

/// Loads libssl on first use. Returns NULL on success, else why it could not be loaded.
const char *COpenSSL_load(void);

/// A client context trusting `ca_file` (NULL: the system's authorities), showing
/// `cert_file`/`key_file` when both are set, checking the server's certificate when
/// `verify_peer`. NULL on failure, with the reason in `error`.
COpenSSL_context *COpenSSL_context_new(const char *ca_file, const char *cert_file, const char *key_file,
                                       bool verify_peer, char *error, size_t error_size);
void COpenSSL_context_free(COpenSSL_context *context);

/// A session on the connected socket `fd` for `host` (sent as SNI, and checked against the
/// certificate when `verify_hostname`). The handshake happens in the first reads and writes.
COpenSSL_session *COpenSSL_session_new(COpenSSL_context *context, int fd, const char *host, bool verify_hostname,
                                       char *error, size_t error_size);
void COpenSSL_session_free(COpenSSL_session *session);

/// What a read or write did, when it did not move bytes.
enum {
    COpenSSL_WANT_READ = -2,
    COpenSSL_WANT_WRITE = -3,
    COpenSSL_CLOSED = -4,
    COpenSSL_FAILED = -1,
};

/// Advances the handshake: 1 once it is complete, else one of the codes above.
int COpenSSL_handshake(COpenSSL_session *session);
/// Bytes read (> 0), or one of the codes above. After COpenSSL_FAILED,
/// COpenSSL_session_error describes the failure (a certificate that did not verify, …).
int COpenSSL_read(COpenSSL_session *session, void *buffer, int size);
/// Bytes written (> 0), or one of the codes above.
int COpenSSL_write(COpenSSL_session *session, const void *buffer, int size);
/// Why the server's certificate did not verify ("certificate has expired" …) when that was
/// the last failure, else NULL.
const char *COpenSSL_session_verify_failure(const COpenSSL_session *session);
/// The last failure, as one line.
void COpenSSL_session_error(const COpenSSL_session *session, char *error, size_t error_size);

#endif
