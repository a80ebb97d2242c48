#include "digest.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct digest_ctx {
	EVP_MD_CTX *md;
};

digest_ctx *digest_new(void)
{
	digest_ctx *ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL)
		return NULL;
	ctx->md = EVP_MD_CTX_new();
	if (ctx->md == NULL || EVP_DigestInit_ex(ctx->md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(ctx->md);
		free(ctx);
		return NULL;
	}
	return ctx;
}

void digest_free(digest_ctx *ctx)
{
	if (ctx == NULL)
		return;
	EVP_MD_CTX_free(ctx->md);
	free(ctx);
}

void digest_update(digest_ctx *ctx, const void *buf, size_t len)
{
	EVP_DigestUpdate(ctx->md, buf, len);
}

void digest_final(digest_ctx *ctx, char out[static DIGEST_STR_LEN + 1])
{
	unsigned char raw[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_DigestFinal_ex(ctx->md, raw, &n);
	memcpy(out, "sha256:", 7);
	for (unsigned int i = 0; i < n && i < 32; i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", raw[i]);
	out[DIGEST_STR_LEN] = '\0';
	EVP_DigestInit_ex(ctx->md, EVP_sha256(), NULL);
}

void digest_buffer(const void *buf, size_t len, char out[static DIGEST_STR_LEN + 1])
{
	unsigned char raw[32];
	unsigned int n = 0;
	EVP_Digest(buf, len, raw, &n, EVP_sha256(), NULL);
	memcpy(out, "sha256:", 7);
	for (unsigned int i = 0; i < 32; i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", raw[i]);
	out[DIGEST_STR_LEN] = '\0';
}

bool digest_is_valid(const char *digest)
{
	if (digest == NULL || strncmp(digest, "sha256:", 7) != 0)
		return false;
	const char *h = digest + 7;
	size_t i;
	for (i = 0; h[i] != '\0'; i++) {
		char c = h[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return i == DIGEST_HEX_LEN;
}

int digest_check(const char *digest, const char *what, hutch_error *err)
{
	if (!digest_is_valid(digest))
		return hutch_fail_plain(err, EINVAL,
					"%s: invalid digest \"%.80s\" (want sha256:<64 hex>)", what,
					digest ? digest : "");
	return 0;
}

const char *digest_hex(const char *digest)
{
	return digest + 7;
}

int digest_verify(const char *expected, const char *actual, const char *what, hutch_error *err)
{
	if (strcmp(expected, actual) != 0)
		return hutch_fail_plain(err, EBADMSG, "%s: digest mismatch: expected %s, got %s",
					what, expected, actual);
	return 0;
}

int digest_file(int fd, char out[static DIGEST_STR_LEN + 1], size_t *size, hutch_error *err)
{
	_cleanup_digest_ digest_ctx *ctx = digest_new();
	if (ctx == NULL)
		return hutch_fail(err, ENOMEM, "sha256");
	char buf[65536];
	size_t total = 0;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return hutch_fail(err, errno, "read");
		}
		if (n == 0)
			break;
		digest_update(ctx, buf, (size_t)n);
		total += (size_t)n;
	}
	digest_final(ctx, out);
	if (size)
		*size = total;
	return 0;
}

void digest_chain_id(const char *parent_chain, const char *diff_id,
		     char out[static DIGEST_STR_LEN + 1])
{
	if (parent_chain == NULL || parent_chain[0] == '\0') {
		snprintf(out, DIGEST_STR_LEN + 1, "%s", diff_id);
		return;
	}
	char buf[2 * DIGEST_STR_LEN + 2];
	int n = snprintf(buf, sizeof(buf), "%s %s", parent_chain, diff_id);
	digest_buffer(buf, (size_t)n, out);
}
