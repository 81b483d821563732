#ifndef PYLON_BORINGSSL_FUNCTIONS_H
#define PYLON_BORINGSSL_FUNCTIONS_H

// The BoringSSL functions the ticket-key callback calls, declared by hand: swift-nio-ssl
// builds BoringSSL as its `CNIOBoringSSL` target with every symbol prefixed `CNIOBoringSSL_`,
// and that target is not a product another package may depend on. The definitions are in
// every binary that links NIOSSL (this target depends on it, so that is every binary that
// links this one). Opaque BoringSSL types (SSL, SSL_CTX, EVP_CIPHER_CTX, HMAC_CTX, EVP_MD,
// EVP_CIPHER, ENGINE) are `void *`; the signatures are otherwise those of
// .build/checkouts/swift-nio-ssl/Sources/CNIOBoringSSL/include (ssl.h, cipher.h, hmac.h,
// digest.h, rand.h, mem.h, ex_data.h), which a newer swift-nio-ssl must be checked against.

#include <stddef.h>
#include <stdint.h>

typedef int (*pylon_ticket_key_cb)(
    void *ssl, uint8_t *key_name, uint8_t *iv, void *cipher_ctx, void *hmac_ctx, int encrypt
);
typedef void pylon_ex_free(void *parent, void *ptr, void *ex_data, int index, long argl, void *argp);

// ssl.h
int CNIOBoringSSL_SSL_CTX_set_tlsext_ticket_key_cb(void *ctx, pylon_ticket_key_cb callback);
void *CNIOBoringSSL_SSL_get_SSL_CTX(const void *ssl);
int CNIOBoringSSL_SSL_CTX_get_ex_new_index(long argl, void *argp, int *unused, void *dup_unused, pylon_ex_free *free_func);
int CNIOBoringSSL_SSL_CTX_set_ex_data(void *ctx, int index, void *data);
void *CNIOBoringSSL_SSL_CTX_get_ex_data(const void *ctx, int index);

// cipher.h
const void *CNIOBoringSSL_EVP_aes_128_cbc(void);
int CNIOBoringSSL_EVP_EncryptInit_ex(void *ctx, const void *cipher, void *engine, const uint8_t *key, const uint8_t *iv);
int CNIOBoringSSL_EVP_DecryptInit_ex(void *ctx, const void *cipher, void *engine, const uint8_t *key, const uint8_t *iv);

// digest.h, hmac.h
const void *CNIOBoringSSL_EVP_sha256(void);
int CNIOBoringSSL_HMAC_Init_ex(void *ctx, const void *key, size_t key_len, const void *md, void *engine);
uint8_t *CNIOBoringSSL_HMAC(
    const void *md, const void *key, size_t key_len, const uint8_t *data, size_t data_len, uint8_t *out,
    unsigned int *out_len
);

// rand.h, mem.h
int CNIOBoringSSL_RAND_bytes(uint8_t *buf, size_t len);
void CNIOBoringSSL_OPENSSL_cleanse(void *ptr, size_t len);
int CNIOBoringSSL_CRYPTO_memcmp(const void *a, const void *b, size_t len);

#endif
