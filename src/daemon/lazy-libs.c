/* libcurl and libarchive, loaded when first used.
 *
 * hutchd idles most of its life, and these two libraries with their
 * dependencies (Kerberos, LDAP, libssh2, libxml2, ICU, libstdc++, ...) are
 * most of an idle process's memory. hutchd is therefore not linked with
 * them: this file defines each function the image code calls, and the
 * first call dlopen()s the library and looks the real function up. The
 * helpers that unpack layers are the same binary and load libarchive the
 * same way. Programs linked with the libraries directly (unit tests) do
 * not use this file.
 *
 * Two variadic functions need care: curl_easy_setopt and curl_easy_getinfo
 * always take exactly one argument after the option (a long, a pointer, a
 * function pointer or a curl_off_t: one integer register each on the
 * 64-bit ABIs we build for), and archive_set_error's printf arguments are
 * formatted here and passed on as one "%s". */
/* The plain declarations, not the type-checking macros. */
#define CURL_DISABLE_TYPECHECK 1
#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <dlfcn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

_Static_assert(sizeof(void *) == 8 && sizeof(long) == 8 && sizeof(curl_off_t) == 8,
	       "the curl varargs forwarding needs a 64-bit ABI");

static void *open_lib(const char *const *names)
{
	for (const char *const *n = names; *n != NULL; n++) {
		void *h = dlopen(*n, RTLD_NOW | RTLD_LOCAL);
		if (h != NULL)
			return h;
	}
	fprintf(stderr, "hutchd: cannot load %s: %s\n", names[0], dlerror());
	abort();
}

static void *curl_lib(void)
{
	static void *h;
	void *v = __atomic_load_n(&h, __ATOMIC_ACQUIRE);
	if (v == NULL) {
		static const char *const names[] = {"libcurl.so.4", "libcurl.so", NULL};
		v = open_lib(names);
		__atomic_store_n(&h, v, __ATOMIC_RELEASE);
	}
	return v;
}

static void *archive_lib(void)
{
	static void *h;
	void *v = __atomic_load_n(&h, __ATOMIC_ACQUIRE);
	if (v == NULL) {
		static const char *const names[] = {"libarchive.so.13", "libarchive.so", NULL};
		v = open_lib(names);
		__atomic_store_n(&h, v, __ATOMIC_RELEASE);
	}
	return v;
}

static void *lookup(void *lib, const char *name)
{
	void *f = dlsym(lib, name);
	if (f == NULL) {
		fprintf(stderr, "hutchd: %s: %s\n", name, dlerror());
		abort();
	}
	return f;
}

/* The real function of the same name, looked up once. */
#define REAL(lib, name)                                                                            \
	static __typeof__(&name) real_;                                                            \
	__typeof__(&name) fn_ = __atomic_load_n(&real_, __ATOMIC_ACQUIRE);                         \
	if (fn_ == NULL) {                                                                         \
		fn_ = (__typeof__(&name))lookup(lib(), #name);                                     \
		__atomic_store_n(&real_, fn_, __ATOMIC_RELEASE);                                   \
	}

#define FORWARD(lib, ret, name, params, args)                                                      \
	ret name params                                                                            \
	{                                                                                          \
		REAL(lib, name)                                                                    \
		return fn_ args;                                                                   \
	}

#define FORWARD_VOID(lib, name, params, args)                                                      \
	void name params                                                                           \
	{                                                                                          \
		REAL(lib, name)                                                                    \
		fn_ args;                                                                          \
	}

/* ---------------------------------------------------------------- curl */

FORWARD(curl_lib, CURLcode, curl_global_init, (long flags), (flags))
FORWARD(curl_lib, CURL *, curl_easy_init, (void), ())
FORWARD_VOID(curl_lib, curl_easy_cleanup, (CURL * c), (c))
FORWARD_VOID(curl_lib, curl_easy_reset, (CURL * c), (c))
FORWARD(curl_lib, CURLcode, curl_easy_perform, (CURL * c), (c))
FORWARD(curl_lib, const char *, curl_easy_strerror, (CURLcode code), (code))
FORWARD(curl_lib, char *, curl_easy_escape, (CURL * c, const char *s, int len), (c, s, len))
FORWARD_VOID(curl_lib, curl_free, (void *p), (p))
FORWARD(curl_lib, struct curl_slist *, curl_slist_append, (struct curl_slist * l, const char *s),
	(l, s))
FORWARD_VOID(curl_lib, curl_slist_free_all, (struct curl_slist * l), (l))
FORWARD(curl_lib, CURLM *, curl_multi_init, (void), ())
FORWARD(curl_lib, CURLMcode, curl_multi_cleanup, (CURLM * m), (m))
FORWARD(curl_lib, CURLMcode, curl_multi_add_handle, (CURLM * m, CURL *c), (m, c))
FORWARD(curl_lib, CURLMcode, curl_multi_remove_handle, (CURLM * m, CURL *c), (m, c))
FORWARD(curl_lib, CURLMcode, curl_multi_perform, (CURLM * m, int *running), (m, running))
FORWARD(curl_lib, CURLMsg *, curl_multi_info_read, (CURLM * m, int *left), (m, left))
FORWARD(curl_lib, CURLMcode, curl_multi_poll,
	(CURLM * m, struct curl_waitfd *extra, unsigned int n, int timeout_ms, int *numfds),
	(m, extra, n, timeout_ms, numfds))

CURLcode curl_easy_setopt(CURL *c, CURLoption option, ...)
{
	REAL(curl_lib, curl_easy_setopt)
	va_list ap;
	va_start(ap, option);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	return fn_(c, option, arg);
}

CURLcode curl_easy_getinfo(CURL *c, CURLINFO info, ...)
{
	REAL(curl_lib, curl_easy_getinfo)
	va_list ap;
	va_start(ap, info);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	return fn_(c, info, arg);
}

/* ----------------------------------------------------------- libarchive */

FORWARD(archive_lib, struct archive *, archive_read_new, (void), ())
FORWARD(archive_lib, int, archive_read_free, (struct archive * a), (a))
FORWARD(archive_lib, int, archive_read_support_filter_all, (struct archive * a), (a))
FORWARD(archive_lib, int, archive_read_support_filter_gzip, (struct archive * a), (a))
FORWARD(archive_lib, int, archive_read_support_filter_bzip2, (struct archive * a), (a))
FORWARD(archive_lib, int, archive_read_support_filter_xz, (struct archive * a), (a))
FORWARD(archive_lib, int, archive_read_support_format_raw, (struct archive * a), (a))
FORWARD(archive_lib, int, archive_read_support_format_tar, (struct archive * a), (a))
FORWARD(archive_lib, int, archive_read_open_fd, (struct archive * a, int fd, size_t block),
	(a, fd, block))
FORWARD(archive_lib, int, archive_read_open,
	(struct archive * a, void *data, archive_open_callback *o, archive_read_callback *r,
	 archive_close_callback *c),
	(a, data, o, r, c))
FORWARD(archive_lib, int, archive_read_next_header, (struct archive * a, struct archive_entry **e),
	(a, e))
FORWARD(archive_lib, la_ssize_t, archive_read_data, (struct archive * a, void *buf, size_t len),
	(a, buf, len))
FORWARD(archive_lib, int, archive_read_data_block,
	(struct archive * a, const void **buf, size_t *len, la_int64_t *offset),
	(a, buf, len, offset))
FORWARD(archive_lib, int, archive_errno, (struct archive * a), (a))
FORWARD(archive_lib, const char *, archive_error_string, (struct archive * a), (a))
FORWARD(archive_lib, struct archive *, archive_write_new, (void), ())
FORWARD(archive_lib, int, archive_write_free, (struct archive * a), (a))
FORWARD(archive_lib, int, archive_write_close, (struct archive * a), (a))
FORWARD(archive_lib, int, archive_write_set_format_pax_restricted, (struct archive * a), (a))
FORWARD(archive_lib, int, archive_write_set_bytes_in_last_block, (struct archive * a, int n),
	(a, n))
FORWARD(archive_lib, int, archive_write_open_fd, (struct archive * a, int fd), (a, fd))
FORWARD(archive_lib, int, archive_write_header, (struct archive * a, struct archive_entry *e),
	(a, e))
FORWARD(archive_lib, la_ssize_t, archive_write_data,
	(struct archive * a, const void *buf, size_t len), (a, buf, len))
FORWARD(archive_lib, struct archive_entry *, archive_entry_new, (void), ())
FORWARD_VOID(archive_lib, archive_entry_free, (struct archive_entry * e), (e))
FORWARD(archive_lib, const char *, archive_entry_pathname, (struct archive_entry * e), (e))
FORWARD(archive_lib, const char *, archive_entry_hardlink, (struct archive_entry * e), (e))
FORWARD(archive_lib, const char *, archive_entry_symlink, (struct archive_entry * e), (e))
FORWARD(archive_lib, __LA_MODE_T, archive_entry_filetype, (struct archive_entry * e), (e))
FORWARD(archive_lib, __LA_MODE_T, archive_entry_perm, (struct archive_entry * e), (e))
FORWARD(archive_lib, la_int64_t, archive_entry_uid, (struct archive_entry * e), (e))
FORWARD(archive_lib, la_int64_t, archive_entry_gid, (struct archive_entry * e), (e))
FORWARD(archive_lib, la_int64_t, archive_entry_size, (struct archive_entry * e), (e))
FORWARD(archive_lib, time_t, archive_entry_mtime, (struct archive_entry * e), (e))
FORWARD(archive_lib, long, archive_entry_mtime_nsec, (struct archive_entry * e), (e))
FORWARD(archive_lib, time_t, archive_entry_atime, (struct archive_entry * e), (e))
FORWARD(archive_lib, int, archive_entry_atime_is_set, (struct archive_entry * e), (e))
FORWARD(archive_lib, dev_t, archive_entry_rdevmajor, (struct archive_entry * e), (e))
FORWARD(archive_lib, dev_t, archive_entry_rdevminor, (struct archive_entry * e), (e))
FORWARD(archive_lib, int, archive_entry_xattr_reset, (struct archive_entry * e), (e))
FORWARD(archive_lib, int, archive_entry_xattr_next,
	(struct archive_entry * e, const char **name, const void **value, size_t *size),
	(e, name, value, size))
FORWARD_VOID(archive_lib, archive_entry_set_pathname, (struct archive_entry * e, const char *p),
	     (e, p))
FORWARD_VOID(archive_lib, archive_entry_set_filetype, (struct archive_entry * e, unsigned int t),
	     (e, t))
FORWARD_VOID(archive_lib, archive_entry_set_perm, (struct archive_entry * e, __LA_MODE_T m), (e, m))
FORWARD_VOID(archive_lib, archive_entry_set_size, (struct archive_entry * e, la_int64_t s), (e, s))
FORWARD_VOID(archive_lib, archive_entry_set_uid, (struct archive_entry * e, la_int64_t id), (e, id))
FORWARD_VOID(archive_lib, archive_entry_set_gid, (struct archive_entry * e, la_int64_t id), (e, id))
FORWARD_VOID(archive_lib, archive_entry_set_mtime, (struct archive_entry * e, time_t t, long ns),
	     (e, t, ns))
FORWARD_VOID(archive_lib, archive_entry_set_symlink, (struct archive_entry * e, const char *p),
	     (e, p))
FORWARD_VOID(archive_lib, archive_entry_set_hardlink, (struct archive_entry * e, const char *p),
	     (e, p))
FORWARD_VOID(archive_lib, archive_entry_set_rdevmajor, (struct archive_entry * e, dev_t d), (e, d))
FORWARD_VOID(archive_lib, archive_entry_set_rdevminor, (struct archive_entry * e, dev_t d), (e, d))

void archive_set_error(struct archive *a, int err, const char *fmt, ...)
{
	REAL(archive_lib, archive_set_error)
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fn_(a, err, "%s", buf);
}
