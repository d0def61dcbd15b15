#ifndef C_RABBITMQ_SHIM_H
#define C_RABBITMQ_SHIM_H

#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>
#include <amqp_ssl_socket.h>

/// amqp_login_with_properties is C-variadic (the SASL arguments), which Swift cannot call;
/// this fixes it to PLAIN with a user name and password.
static inline amqp_rpc_reply_t CRabbitMQ_login(amqp_connection_state_t state, const char *vhost,
                                               int heartbeat, const amqp_table_t *properties,
                                               const char *user, const char *password) {
    return amqp_login_with_properties(state, vhost, 0, AMQP_DEFAULT_FRAME_SIZE, heartbeat,
                                      properties, AMQP_SASL_METHOD_PLAIN, user, password);
}

#endif
