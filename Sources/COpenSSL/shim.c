#include "COpenSSL.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

// Each OpenSSL function used, as a pointer of the function's own type.
#define COPENSSL_FUNCTIONS(X)                                                                  \
    X(TLS_client_method) X(SSL_CTX_new) X(SSL_CTX_free) X(SSL_CTX_set_verify)                  \
    X(SSL_CTX_load_verify_locations) X(SSL_CTX_set_default_verify_paths)                       \
    X(SSL_CTX_use_certificate_chain_file) X(SSL_CTX_use_PrivateKey_file)                       \
    X(SSL_CTX_check_private_key) X(SSL_CTX_ctrl) X(SSL_get0_param) X(X509_VERIFY_PARAM_set1_ip_asc)              \
    X(SSL_new) X(SSL_free) X(SSL_set_fd) X(SSL_set_connect_state) X(SSL_ctrl) X(SSL_set1_host) \
    X(SSL_do_handshake) X(SSL_read) X(SSL_write) X(SSL_get_error) X(SSL_get_verify_result)                         \
    X(X509_verify_cert_error_string) X(ERR_get_error) X(ERR_clear_error) X(ERR_error_string_n)

#define COPENSSL_POINTER(name) static __typeof__(&name) p_##name;
COPENSSL_FUNCTIONS(COPENSSL_POINTER)

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static char load_error[256];

static void load(void) {
    void *library = dlopen("libssl.so.3", RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        snprintf(load_error, sizeof load_error, "OpenSSL 3 is needed for TLS and could not be loaded: %s", dlerror());
        return;
    }
#define COPENSSL_RESOLVE(name)                                                                      \
    p_##name = (__typeof__(&name))dlsym(library, #name);                                             \
    if (p_##name == NULL) {                                                                          \
        snprintf(load_error, sizeof load_error, "libssl.so.3 has no %s", #name);                     \
        return;                                                                                      \
    }
    COPENSSL_FUNCTIONS(COPENSSL_RESOLVE)
}

const char *COpenSSL_load(void) {
    pthread_once(&load_once, load);
    return load_error[0] != 0 ? load_error : NULL;
}

struct COpenSSL_context {
    SSL_CTX *ctx;
};

struct COpenSSL_session {
    SSL *ssl;
    int last_error;        // SSL_get_error of the last failure
    unsigned long queued;  // ERR_get_error of the last failure
    long verify_result;    // X509_V_OK unless the certificate did not verify
    bool verify_failed;
};

static void describe_queue(unsigned long code, const char *what, char *error, size_t error_size) {
    char reason[200] = "no detail";
    if (code != 0) p_ERR_error_string_n(code, reason, sizeof reason);
    snprintf(error, error_size, "%s (%s)", what, reason);
}

COpenSSL_context *COpenSSL_context_new(const char *ca_file, const char *cert_file, const char *key_file,
                                       bool verify_peer, char *error, size_t error_size) {
    const char *problem = COpenSSL_load();
    if (problem != NULL) {
        snprintf(error, error_size, "%s", problem);
        return NULL;
    }
    p_ERR_clear_error();
    SSL_CTX *ctx = p_SSL_CTX_new(p_TLS_client_method());
    if (ctx == NULL) {
        describe_queue(p_ERR_get_error(), "cannot make a TLS context", error, error_size);
        return NULL;
    }
    p_SSL_CTX_ctrl(ctx, SSL_CTRL_SET_MIN_PROTO_VERSION, TLS1_2_VERSION, NULL);
    // Partial writes, as a non-blocking socket gives them; no automatic retry, so that a
    // read that needs more bytes says so instead of blocking.
    p_SSL_CTX_ctrl(ctx, SSL_CTRL_MODE, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER, NULL);
    p_SSL_CTX_ctrl(ctx, SSL_CTRL_CLEAR_MODE, SSL_MODE_AUTO_RETRY, NULL);
    int loaded = ca_file != NULL ? p_SSL_CTX_load_verify_locations(ctx, ca_file, NULL) : p_SSL_CTX_set_default_verify_paths(ctx);
    if (loaded != 1) {
        describe_queue(p_ERR_get_error(), "cannot load the CA file", error, error_size);
        p_SSL_CTX_free(ctx);
        return NULL;
    }
    if (cert_file != NULL && key_file != NULL) {
        if (p_SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1) {
            describe_queue(p_ERR_get_error(), "cannot load the client certificate", error, error_size);
            p_SSL_CTX_free(ctx);
            return NULL;
        }
        if (p_SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1 || p_SSL_CTX_check_private_key(ctx) != 1) {
            describe_queue(p_ERR_get_error(), "cannot load the client key, or it does not match the certificate", error, error_size);
            p_SSL_CTX_free(ctx);
            return NULL;
        }
    }
    p_SSL_CTX_set_verify(ctx, verify_peer ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, NULL);
    COpenSSL_context *context = malloc(sizeof *context);
    if (context == NULL) {
        p_SSL_CTX_free(ctx);
        snprintf(error, error_size, "out of memory");
        return NULL;
    }
    context->ctx = ctx;
    return context;
}

void COpenSSL_context_free(COpenSSL_context *context) {
    if (context == NULL) return;
    p_SSL_CTX_free(context->ctx);
    free(context);
}

COpenSSL_session *COpenSSL_session_new(COpenSSL_context *context, int fd, const char *host, bool verify_hostname,
                                       char *error, size_t error_size) {
    p_ERR_clear_error();
    SSL *ssl = p_SSL_new(context->ctx);
    if (ssl == NULL || p_SSL_set_fd(ssl, fd) != 1) {
        describe_queue(p_ERR_get_error(), "cannot make a TLS session", error, error_size);
        if (ssl != NULL) p_SSL_free(ssl);
        return NULL;
    }
    unsigned char address[16];
    bool is_address = inet_pton(AF_INET, host, address) == 1 || inet_pton(AF_INET6, host, address) == 1;
    // SNI carries names only (SSL_set_tlsext_host_name is a macro over SSL_ctrl); an
    // address is checked against the certificate's IP entries instead of its DNS names.
    if (!is_address) p_SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, (void *)host);
    int checked = !verify_hostname ? 1
        : is_address ? p_X509_VERIFY_PARAM_set1_ip_asc(p_SSL_get0_param(ssl), host)
        : p_SSL_set1_host(ssl, host);
    if (checked != 1) {
        describe_queue(p_ERR_get_error(), "cannot set the host name to check", error, error_size);
        p_SSL_free(ssl);
        return NULL;
    }
    p_SSL_set_connect_state(ssl);
    COpenSSL_session *session = calloc(1, sizeof *session);
    if (session == NULL) {
        p_SSL_free(ssl);
        snprintf(error, error_size, "out of memory");
        return NULL;
    }
    session->ssl = ssl;
    return session;
}

void COpenSSL_session_free(COpenSSL_session *session) {
    if (session == NULL) return;
    p_SSL_free(session->ssl);
    free(session);
}

// Turns the result of SSL_read/SSL_write into bytes or a code, keeping what a failure was.
static int outcome(COpenSSL_session *session, int result) {
    if (result > 0) return result;
    int reason = p_SSL_get_error(session->ssl, result);
    switch (reason) {
    case SSL_ERROR_WANT_READ: return COpenSSL_WANT_READ;
    case SSL_ERROR_WANT_WRITE: return COpenSSL_WANT_WRITE;
    case SSL_ERROR_ZERO_RETURN: return COpenSSL_CLOSED;
    default:
        session->last_error = reason;
        session->queued = p_ERR_get_error();
        session->verify_result = p_SSL_get_verify_result(session->ssl);
        session->verify_failed = session->verify_result != X509_V_OK;
        // A peer that closes without close_notify is an end of stream, not a TLS failure.
        if (reason == SSL_ERROR_SYSCALL && session->queued == 0 && !session->verify_failed) return COpenSSL_CLOSED;
        return COpenSSL_FAILED;
    }
}

int COpenSSL_handshake(COpenSSL_session *session) {
    p_ERR_clear_error();
    return outcome(session, p_SSL_do_handshake(session->ssl));
}

int COpenSSL_read(COpenSSL_session *session, void *buffer, int size) {
    p_ERR_clear_error();
    return outcome(session, p_SSL_read(session->ssl, buffer, size));
}

int COpenSSL_write(COpenSSL_session *session, const void *buffer, int size) {
    p_ERR_clear_error();
    return outcome(session, p_SSL_write(session->ssl, buffer, size));
}

const char *COpenSSL_session_verify_failure(const COpenSSL_session *session) {
    return session->verify_failed ? p_X509_verify_cert_error_string(session->verify_result) : NULL;
}

void COpenSSL_session_error(const COpenSSL_session *session, char *error, size_t error_size) {
    if (session->verify_failed) {
        snprintf(error, error_size, "the server's certificate does not verify: %s", COpenSSL_session_verify_failure(session));
    } else {
        describe_queue(session->queued, "TLS failed", error, error_size);
    }
}
