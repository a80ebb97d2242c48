#include "gunzip.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if __has_include(<isa-l/igzip_lib.h>)
#include <isa-l/igzip_lib.h>
#define HAVE_ISAL_HEADER 1
#endif

bool gunzip_magic(const void *buf, size_t len)
{
	const unsigned char *b = buf;
	return len >= 2 && b[0] == 0x1f && b[1] == 0x8b;
}

#ifdef HAVE_ISAL_HEADER

/* The three functions we use, looked up once per process. */
static struct {
	void (*init)(struct inflate_state *);
	void (*reset)(struct inflate_state *);
	int (*inflate)(struct inflate_state *);
	bool loaded;
} isal;
static pthread_once_t isal_once = PTHREAD_ONCE_INIT;

static void isal_load(void)
{
	/* Only the soname of the ABI we were built against: another major
	 * version may lay out struct inflate_state differently. */
	void *h = dlopen("libisal.so.2", RTLD_NOW | RTLD_LOCAL);
	if (h == NULL)
		return;
	isal.init = (void (*)(struct inflate_state *))dlsym(h, "isal_inflate_init");
	isal.reset = (void (*)(struct inflate_state *))dlsym(h, "isal_inflate_reset");
	isal.inflate = (int (*)(struct inflate_state *))dlsym(h, "isal_inflate");
	if (isal.init == NULL || isal.reset == NULL || isal.inflate == NULL) {
		dlclose(h);
		return;
	}
	isal.loaded = true;
}

struct gunzip {
	struct inflate_state st;
	bool started;  /* a member's first byte was seen */
	bool trailing; /* past the last member: the rest is ignored */
	char error[128];
};

struct gunzip *gunzip_new(void)
{
	pthread_once(&isal_once, isal_load);
	if (!isal.loaded)
		return NULL;
	struct gunzip *g = calloc(1, sizeof(*g));
	if (g == NULL)
		return NULL;
	isal.init(&g->st);
	/* Parse the gzip header and check each member's CRC-32 and size. */
	g->st.crc_flag = ISAL_GZIP;
	return g;
}

void gunzip_free(struct gunzip *g)
{
	free(g);
}

void gunzip_input(struct gunzip *g, const void *buf, size_t len)
{
	g->st.next_in = (uint8_t *)buf;
	g->st.avail_in = (uint32_t)len;
	if (g->trailing)
		g->st.avail_in = 0;
}

static const char *isal_strerror(int r)
{
	switch (r) {
	case ISAL_INVALID_BLOCK:
		return "invalid deflate block";
	case ISAL_INVALID_SYMBOL:
		return "invalid deflate symbol";
	case ISAL_INVALID_LOOKBACK:
		return "invalid deflate distance";
	case ISAL_INVALID_WRAPPER:
		return "invalid header";
	case ISAL_UNSUPPORTED_METHOD:
		return "the header names an unknown compression method";
	case ISAL_INCORRECT_CHECKSUM:
		return "checksum mismatch (CRC-32)";
	case ISAL_NEED_DICT:
		return "compressed data needs a dictionary";
	default:
		return "corrupt compressed data";
	}
}

ssize_t gunzip_read(struct gunzip *g, void *out, size_t cap)
{
	if (cap > UINT32_MAX)
		cap = UINT32_MAX;
	for (;;) {
		if (g->started && g->st.block_state == ISAL_BLOCK_FINISH) {
			if (g->st.avail_in == 0)
				return 0;
			/* A member ended: another may follow (gzip allows
			 * concatenation); anything else ends the stream. */
			if (g->st.next_in[0] != 0x1f) {
				g->trailing = true;
				g->st.avail_in = 0;
				return 0;
			}
			uint8_t *in = g->st.next_in;
			uint32_t avail = g->st.avail_in;
			isal.reset(&g->st);
			g->st.crc_flag = ISAL_GZIP;
			g->st.next_in = in;
			g->st.avail_in = avail;
		}
		if (!g->started && g->st.avail_in == 0)
			return 0;
		g->started = true;
		uint32_t avail_before = g->st.avail_in;
		g->st.next_out = out;
		g->st.avail_out = (uint32_t)cap;
		/* Also called without input: output that did not fit last
		 * time is still inside the decoder. */
		int r = isal.inflate(&g->st);
		if (r < 0 || r == ISAL_NEED_DICT) {
			snprintf(g->error, sizeof(g->error), "gzip: %s", isal_strerror(r));
			return -1;
		}
		size_t n = cap - g->st.avail_out;
		if (n > 0)
			return (ssize_t)n;
		if (g->st.block_state == ISAL_BLOCK_FINISH)
			continue;
		if (g->st.avail_in == 0)
			return 0;
		if (g->st.avail_in == avail_before) {
			snprintf(g->error, sizeof(g->error), "gzip: the decoder made no progress");
			return -1;
		}
	}
}

int gunzip_finish(struct gunzip *g)
{
	if (!g->started || g->st.block_state == ISAL_BLOCK_FINISH)
		return 0;
	snprintf(g->error, sizeof(g->error), "gzip: the compressed stream is truncated");
	return -1;
}

const char *gunzip_error(const struct gunzip *g)
{
	return g->error[0] ? g->error : "gzip: corrupt compressed data";
}

#else /* no libisal header at build time: libarchive decompresses */

struct gunzip *gunzip_new(void)
{
	return NULL;
}

void gunzip_free(struct gunzip *g)
{
	(void)g;
}

void gunzip_input(struct gunzip *g, const void *buf, size_t len)
{
	(void)g;
	(void)buf;
	(void)len;
}

ssize_t gunzip_read(struct gunzip *g, void *out, size_t cap)
{
	(void)g;
	(void)out;
	(void)cap;
	return -1;
}

int gunzip_finish(struct gunzip *g)
{
	(void)g;
	return -1;
}

const char *gunzip_error(const struct gunzip *g)
{
	(void)g;
	return "gzip: built without libisal";
}

#endif
