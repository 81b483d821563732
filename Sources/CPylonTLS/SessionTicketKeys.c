#include "CPylonTLS.h"
#include "BoringSSLFunctions.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PYLON_TICKET_IV_LENGTH 16    // AES-128-CBC's block
#define PYLON_TICKET_TAG_LENGTH 8    // the key name's first half; the period is the second
#define PYLON_SHA256_LENGTH 32

// HKDF-Expand's first block, T(1) = HMAC(secret, info || 0x01), where info is `label`
// followed, for per-period keys, by the period as 8 big-endian bytes.
static int pylon_ticket_expand(
    const uint8_t *secret, const char *label, const uint64_t *period, uint8_t out[PYLON_SHA256_LENGTH]
) {
    uint8_t info[64];
    size_t length = strlen(label);
    memcpy(info, label, length);
    if (period != NULL) {
        for (int shift = 56; shift >= 0; shift -= 8) info[length++] = (uint8_t)(*period >> shift);
    }
    info[length++] = 0x01;
    unsigned int written = 0;
    int ok = CNIOBoringSSL_HMAC(
                 CNIOBoringSSL_EVP_sha256(), secret, PYLON_TLS_TICKET_SECRET_LENGTH, info, length, out, &written
             ) != NULL
        && written == PYLON_SHA256_LENGTH;
    return ok;
}

uint64_t pylon_tls_ticket_period(uint64_t unix_seconds) {
    return unix_seconds / PYLON_TLS_TICKET_PERIOD_SECONDS;
}

static int pylon_ticket_key_name(const uint8_t *secret, uint64_t period, uint8_t name[PYLON_TLS_TICKET_KEY_NAME_LENGTH]) {
    uint8_t tag[PYLON_SHA256_LENGTH];
    if (!pylon_ticket_expand(secret, "pylon tls ticket name", NULL, tag)) return 0;
    memcpy(name, tag, PYLON_TICKET_TAG_LENGTH);
    for (int index = 0; index < 8; index++) {
        name[PYLON_TICKET_TAG_LENGTH + index] = (uint8_t)(period >> (56 - 8 * index));
    }
    return 1;
}

int pylon_tls_ticket_keys(
    const uint8_t *secret, uint64_t period, uint8_t name[PYLON_TLS_TICKET_KEY_NAME_LENGTH],
    uint8_t aes_key[PYLON_TLS_TICKET_AES_KEY_LENGTH], uint8_t hmac_key[PYLON_TLS_TICKET_HMAC_KEY_LENGTH]
) {
    uint8_t block[PYLON_SHA256_LENGTH];
    int ok = pylon_ticket_key_name(secret, period, name)
        && pylon_ticket_expand(secret, "pylon tls ticket aes", &period, block);
    if (ok) memcpy(aes_key, block, PYLON_TLS_TICKET_AES_KEY_LENGTH);
    ok = ok && pylon_ticket_expand(secret, "pylon tls ticket hmac", &period, hmac_key);
    CNIOBoringSSL_OPENSSL_cleanse(block, sizeof block);
    return ok;
}

int pylon_tls_ticket_name_status(
    const uint8_t *secret, const uint8_t name[PYLON_TLS_TICKET_KEY_NAME_LENGTH], uint64_t current_period,
    uint64_t *period
) {
    uint8_t expected[PYLON_TLS_TICKET_KEY_NAME_LENGTH];
    if (!pylon_ticket_key_name(secret, 0, expected)) return 0;
    if (CNIOBoringSSL_CRYPTO_memcmp(name, expected, PYLON_TICKET_TAG_LENGTH) != 0) return 0;
    uint64_t sealed = 0;
    for (int index = 0; index < 8; index++) sealed = (sealed << 8) | name[PYLON_TICKET_TAG_LENGTH + index];
    *period = sealed;
    if (sealed == current_period) return 1;
    if (current_period > 0 && sealed == current_period - 1) return 2;
    return 0;
}

// The secret's copy hangs off each SSL_CTX as ex_data at this index, so contexts built from
// different secrets (several services in one test process) each use their own, and the copy
// is wiped and freed with its context.
static int pylon_secret_index = -1;
static pthread_once_t pylon_secret_index_once = PTHREAD_ONCE_INIT;

static void pylon_free_secret(void *parent, void *ptr, void *ex_data, int index, long argl, void *argp) {
    (void)parent; (void)ex_data; (void)index; (void)argl; (void)argp;
    if (ptr == NULL) return;
    CNIOBoringSSL_OPENSSL_cleanse(ptr, PYLON_TLS_TICKET_SECRET_LENGTH);
    free(ptr);
}

static void pylon_make_secret_index(void) {
    pylon_secret_index = CNIOBoringSSL_SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, pylon_free_secret);
}

static uint64_t pylon_now(void) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return now.tv_sec > 0 ? (uint64_t)now.tv_sec : 0;
}

// BoringSSL's ticket-key callback (see SSL_CTX_set_tlsext_ticket_key_cb in ssl.h): encrypt=1
// names the key and fills the IV for a new ticket; encrypt=0 looks at a ticket's name and IV.
// It sets up the cipher and HMAC contexts; BoringSSL does the rest. Runs on the connection's
// event loop, reads only immutable state, and costs three or four HMAC-SHA256s: nothing next
// to a handshake's key exchange.
static int pylon_ticket_key_callback(
    void *ssl, uint8_t *key_name, uint8_t *iv, void *cipher_ctx, void *hmac_ctx, int encrypt
) {
    const uint8_t *secret = CNIOBoringSSL_SSL_CTX_get_ex_data(CNIOBoringSSL_SSL_get_SSL_CTX(ssl), pylon_secret_index);
    // No secret on this context: send no ticket, or treat the ticket as unknown.
    if (secret == NULL) return 0;
    uint64_t current = pylon_tls_ticket_period(pylon_now());
    uint64_t period = current;
    int result = 1;
    uint8_t name[PYLON_TLS_TICKET_KEY_NAME_LENGTH];
    uint8_t aes_key[PYLON_TLS_TICKET_AES_KEY_LENGTH];
    uint8_t hmac_key[PYLON_TLS_TICKET_HMAC_KEY_LENGTH];
    if (!encrypt) {
        result = pylon_tls_ticket_name_status(secret, key_name, current, &period);
        if (result == 0) return 0;
    } else if (!CNIOBoringSSL_RAND_bytes(iv, PYLON_TICKET_IV_LENGTH)) {
        return -1;
    }
    int ok = pylon_tls_ticket_keys(secret, period, name, aes_key, hmac_key);
    if (ok && encrypt) {
        memcpy(key_name, name, sizeof name);
        ok = CNIOBoringSSL_EVP_EncryptInit_ex(cipher_ctx, CNIOBoringSSL_EVP_aes_128_cbc(), NULL, aes_key, iv);
    } else if (ok) {
        ok = CNIOBoringSSL_EVP_DecryptInit_ex(cipher_ctx, CNIOBoringSSL_EVP_aes_128_cbc(), NULL, aes_key, iv);
    }
    ok = ok && CNIOBoringSSL_HMAC_Init_ex(hmac_ctx, hmac_key, sizeof hmac_key, CNIOBoringSSL_EVP_sha256(), NULL);
    CNIOBoringSSL_OPENSSL_cleanse(aes_key, sizeof aes_key);
    CNIOBoringSSL_OPENSSL_cleanse(hmac_key, sizeof hmac_key);
    return ok ? result : -1;
}

int pylon_tls_install_ticket_keys(void *ssl_ctx, const void *owner, const uint8_t *secret, size_t secret_length) {
    // App data is ex_data index 0 (SSL_CTX_get_app_data in ssl.h).
    if (ssl_ctx == NULL || owner == NULL || CNIOBoringSSL_SSL_CTX_get_ex_data(ssl_ctx, 0) != owner) {
        return PYLON_TLS_TICKET_INSTALL_NOT_OWNER;
    }
    if (secret == NULL || secret_length != PYLON_TLS_TICKET_SECRET_LENGTH) return PYLON_TLS_TICKET_INSTALL_BAD_SECRET;
    pthread_once(&pylon_secret_index_once, pylon_make_secret_index);
    if (pylon_secret_index < 0) return PYLON_TLS_TICKET_INSTALL_FAILED;
    if (CNIOBoringSSL_SSL_CTX_get_ex_data(ssl_ctx, pylon_secret_index) != NULL) {
        return PYLON_TLS_TICKET_INSTALL_ALREADY_INSTALLED;
    }
    uint8_t *copy = malloc(PYLON_TLS_TICKET_SECRET_LENGTH);
    if (copy == NULL) return PYLON_TLS_TICKET_INSTALL_FAILED;
    memcpy(copy, secret, PYLON_TLS_TICKET_SECRET_LENGTH);
    if (!CNIOBoringSSL_SSL_CTX_set_ex_data(ssl_ctx, pylon_secret_index, copy)) {
        pylon_free_secret(NULL, copy, NULL, 0, 0, NULL);
        return PYLON_TLS_TICKET_INSTALL_FAILED;
    }
    CNIOBoringSSL_SSL_CTX_set_tlsext_ticket_key_cb(ssl_ctx, pylon_ticket_key_callback);
    return 0;
}
