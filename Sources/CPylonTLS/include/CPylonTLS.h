#ifndef PYLON_CPYLONTLS_H
#define PYLON_CPYLONTLS_H

#include <stddef.h>
#include <stdint.h>

// TLS session-ticket keys that every worker of a service derives alike, so a ticket issued
// by one process is accepted by every other and by the next generation after an upgrade.
//
// swift-nio-ssl has no API for ticket keys, so this talks to the BoringSSL it links (its
// `CNIOBoringSSL_`-prefixed symbols) directly. Everything here is derived from a secret of
// `PYLON_TLS_TICKET_SECRET_LENGTH` random bytes that the caller shares between processes:
//
// - time is cut into periods of `PYLON_TLS_TICKET_PERIOD_SECONDS` of wall-clock time;
// - the keys of period i are HMAC-SHA256(secret, label || i) for separate labels (HKDF's
//   expand step: the secret is already uniformly random, so there is nothing to extract):
//   a 16-byte AES-128-CBC key and a 32-byte HMAC-SHA256 key, BoringSSL's own ticket format;
// - a ticket's 16-byte key name is an 8-byte tag derived from the secret, then i (big-endian),
//   so a server recognises its own tickets and knows which period's keys sealed them;
// - new tickets are sealed with the current period's keys; tickets of the current period are
//   accepted, tickets of the previous one accepted and renewed, anything else refused (the
//   client then simply makes a full handshake).
//
// Keys thus rotate on their own, the same everywhere, with no coordination between processes.

/// The length of the shared secret every key is derived from.
#define PYLON_TLS_TICKET_SECRET_LENGTH 32
/// The length of a ticket's key name (BoringSSL's `SSL_TICKET_KEY_NAME_LEN`).
#define PYLON_TLS_TICKET_KEY_NAME_LENGTH 16
/// The length of the AES-128 key that encrypts tickets.
#define PYLON_TLS_TICKET_AES_KEY_LENGTH 16
/// The length of the HMAC-SHA256 key that authenticates tickets.
#define PYLON_TLS_TICKET_HMAC_KEY_LENGTH 32

/// How long one period's keys seal new tickets: 12 hours. A ticket is accepted until the end
/// of the period after the one it was sealed in, so for 12 to 24 hours: longer than clients
/// usually keep a session (TLS 1.2 sessions expire after 2 hours anyway), short enough that
/// one period's keys open at most a day of tickets.
#define PYLON_TLS_TICKET_PERIOD_SECONDS 43200 // 12 hours

/// Installs the ticket-key callback on `ssl_ctx` (an `SSL_CTX *`), with a private copy of
/// `secret` (`secret_length` must be `PYLON_TLS_TICKET_SECRET_LENGTH`) freed with the context.
/// `owner` must be what the context's app data points at (swift-nio-ssl stores its
/// `NIOSSLContext` there): the check that `ssl_ctx` really is that context's `SSL_CTX`.
/// Call once per context, before its first handshake.
/// Returns 0, or one of the `PYLON_TLS_TICKET_INSTALL_*` errors.
int pylon_tls_install_ticket_keys(void *ssl_ctx, const void *owner, const uint8_t *secret, size_t secret_length);

#define PYLON_TLS_TICKET_INSTALL_NOT_OWNER (-1)
#define PYLON_TLS_TICKET_INSTALL_BAD_SECRET (-2)
#define PYLON_TLS_TICKET_INSTALL_ALREADY_INSTALLED (-3)
#define PYLON_TLS_TICKET_INSTALL_FAILED (-4)

/// The period `unix_seconds` falls in.
uint64_t pylon_tls_ticket_period(uint64_t unix_seconds);

/// Derives period `period`'s key name and keys from `secret` (`PYLON_TLS_TICKET_SECRET_LENGTH`
/// bytes). Returns 1, or 0 if BoringSSL failed.
int pylon_tls_ticket_keys(
    const uint8_t *secret, uint64_t period, uint8_t name[PYLON_TLS_TICKET_KEY_NAME_LENGTH],
    uint8_t aes_key[PYLON_TLS_TICKET_AES_KEY_LENGTH], uint8_t hmac_key[PYLON_TLS_TICKET_HMAC_KEY_LENGTH]
);

/// What the server does with a ticket named `name` during `current_period`, as the
/// callback answers BoringSSL: 1 accept (sealed this period), 2 accept and renew (sealed the
/// period before), 0 refuse (not ours, or too old or from the future). For 1 and 2,
/// `*period` is the period that sealed it.
int pylon_tls_ticket_name_status(
    const uint8_t *secret, const uint8_t name[PYLON_TLS_TICKET_KEY_NAME_LENGTH], uint64_t current_period,
    uint64_t *period
);

#endif
