#include "pull.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "cleanup.h"
#include "events.h"
#include "file-util.h"
#include "helper.h"
#include "json-util.h"
#include "log.h"
#include "manifest.h"
#include "reference.h"
#include "registry.h"
#include "snapshot.h"

#define UNPACK_WORKERS 4

enum layer_state {
	LAYER_NEEDED = 0, /* ours to fetch and/or unpack */
	LAYER_PRESENT,	  /* snapshot already there */
	LAYER_ELSEWHERE,  /* another pull holds its claim */
};

struct layer {
	struct descriptor desc;
	char diff_id[DIGEST_STR_LEN + 1];
	char chain_id[DIGEST_STR_LEN + 1];
	char short_id[13];
	enum layer_state state;
	bool claimed;
	bool download;
	bool failed;
	/* A verified download not yet renamed into the store: its worker
	 * does the fsync and rename, off the transfer loop. */
	int pending_fd;
	char pending_tmp[PATH_MAX];
	/* Unpacking while downloading (unpack_following): the helper reads
	 * download_tmp as it grows and learns of new data from follow_w. */
	bool following;
	bool restarted;	    /* a retry rewrote the file under the helper */
	bool download_over; /* its BLOB_DONE or BLOB_FAILED came */
	bool download_ok;
	int follow_r, follow_w;
	char download_tmp[PATH_MAX];
};

struct pull {
	struct hutchd *d;
	struct image_ref ref;
	char name[600];
	char familiar[600];
	struct registry *reg;
	char manifest_digest[DIGEST_STR_LEN + 1];
	char repo_digest[DIGEST_STR_LEN + 1];
	char config_digest[DIGEST_STR_LEN + 1];
	char index_digest[DIGEST_STR_LEN + 1];
	struct layer *layers;
	size_t n_layers;
	pid_t holder;
	int out_fd;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	/* Unpack queue: indexes of layers whose blob is in the store. */
	size_t queue[MANIFEST_MAX_LAYERS];
	size_t q_head, q_tail;
	bool q_closed;
	char first_error[HUTCH_ERROR_MAX];
	bool downloaded_any;
	char pins[2 * MANIFEST_MAX_LAYERS + 4][DIGEST_STR_LEN + 1];
	size_t n_pins;
};

void pull_free(struct pull *p)
{
	if (p == NULL)
		return;
	registry_close(p->reg);
	for (size_t i = 0; p->layers && i < p->n_layers; i++) {
		struct layer *l = &p->layers[i];
		if (l->pending_fd >= 0) {
			close(l->pending_fd);
			unlink(l->pending_tmp);
		}
		if (l->follow_r >= 0)
			close(l->follow_r);
		if (l->follow_w >= 0)
			close(l->follow_w);
	}
	free(p->layers);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
	free(p);
}

/* ------------------------------------------------------------- output */

static void emit(struct pull *p, json_object *o)
{
	size_t len;
	const char *s = json_object_to_json_string_length(
	    o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	pthread_mutex_lock(&p->lock);
	if (p->out_fd >= 0) {
		/* A client that went away does not stop the pull. */
		if (write_all(p->out_fd, s, len) < 0 || write_all(p->out_fd, "\r\n", 2) < 0) {
			close(p->out_fd);
			p->out_fd = -1;
		}
	}
	pthread_mutex_unlock(&p->lock);
	json_object_put(o);
}

static void emit_status(struct pull *p, const char *id, const char *status)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "status", json_object_new_string(status));
	if (id != NULL) {
		json_object_object_add(o, "progressDetail", json_object_new_object());
		json_object_object_add(o, "id", json_object_new_string(id));
	}
	emit(p, o);
}

static void emit_progress(struct pull *p, const char *id, const char *status, int64_t cur,
			  int64_t total)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "status", json_object_new_string(status));
	json_object *pd = json_object_new_object();
	json_object_object_add(pd, "current", json_object_new_int64(cur));
	if (total > 0)
		json_object_object_add(pd, "total", json_object_new_int64(total));
	json_object_object_add(o, "progressDetail", pd);
	if (total > 0) {
		/* The text bar docker shows when it cannot draw one itself. */
		char bar[51];
		int fill = (int)(cur * 50 / total);
		for (int i = 0; i < 50; i++)
			bar[i] = i < fill ? '=' : (i == fill ? '>' : ' ');
		bar[50] = '\0';
		char prog[128];
		snprintf(prog, sizeof(prog), "[%s] %.2fMB/%.2fMB", bar, (double)cur / 1e6,
			 (double)total / 1e6);
		json_object_object_add(o, "progress", json_object_new_string(prog));
	}
	json_object_object_add(o, "id", json_object_new_string(id));
	emit(p, o);
}

static void emit_error(struct pull *p, const char *msg)
{
	json_object *o = json_object_new_object();
	json_object *ed = json_object_new_object();
	json_object_object_add(ed, "message", json_object_new_string(msg));
	json_object_object_add(o, "errorDetail", ed);
	json_object_object_add(o, "error", json_object_new_string(msg));
	emit(p, o);
}

static void record_error(struct pull *p, const char *msg)
{
	pthread_mutex_lock(&p->lock);
	if (p->first_error[0] == '\0')
		snprintf(p->first_error, sizeof(p->first_error), "%s", msg);
	pthread_mutex_unlock(&p->lock);
}

/* Everything the pull needs stays pinned (out of GC) until images.json
 * names it or the pull gives up. */
static void pin(struct pull *p, const char *key)
{
	if (p->n_pins >= sizeof(p->pins) / sizeof(p->pins[0]))
		return;
	snprintf(p->pins[p->n_pins++], DIGEST_STR_LEN + 1, "%s", key);
	store_pin(p->d->store, key);
}

static void pull_unpin(struct pull *p)
{
	for (size_t i = 0; i < p->n_pins; i++)
		store_unpin(p->d->store, p->pins[i]);
	p->n_pins = 0;
}

/* ------------------------------------------------------------ prepare */

int pull_prepare(struct hutchd *d, const char *refstr, const char *platform_str,
		 const char *userpass, struct pull **out, hutch_error *err)
{
	struct pull *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return hutch_fail(err, ENOMEM, "pull");
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	p->d = d;
	p->out_fd = -1;
	int rc = -1;
	_cleanup_free_ char *mbody = NULL, *cbody = NULL;
	_cleanup_free_ char *found_creds = NULL;
	/* Declared before the first goto: cleanups must never see garbage. */
	_cleanup_strv_ char **diff_ids = NULL;
	size_t nd = 0;
	_cleanup_free_ struct image_manifest *m = calloc(1, sizeof(*m));
	if (m == NULL) {
		hutch_fail(err, ENOMEM, "manifest");
		goto out;
	}
	if (image_ref_parse(refstr, true, &p->ref, err) < 0)
		goto out;
	image_ref_name(&p->ref, p->name, sizeof(p->name));
	image_ref_familiar(p->name, p->familiar, sizeof(p->familiar));
	struct platform plat;
	if (platform_str && platform_str[0]) {
		if (platform_parse(platform_str, &plat, err) < 0)
			goto out;
	} else {
		platform_native(&plat);
	}
	if (userpass == NULL || userpass[0] == '\0') {
		if (auth_lookup_default(p->ref.domain, &found_creds, err) < 0)
			goto out;
		userpass = found_creds;
	}
	struct registry_options opts = {
	    .userpass = userpass,
	    .insecure = (const char *const *)d->insecure,
	    .max_parallel = d->max_parallel,
	};
	if (registry_open(&p->ref, &opts, &p->reg, err) < 0)
		goto out;
	size_t mlen = 0;
	char ctype[256];
	const char *reference = p->ref.digest[0] ? p->ref.digest : p->ref.tag;
	if (registry_get_manifest(p->reg, reference, &mbody, &mlen, ctype, sizeof(ctype),
				  p->manifest_digest, err) < 0)
		goto out;
	snprintf(p->repo_digest, sizeof(p->repo_digest), "%s", p->manifest_digest);
	enum manifest_kind kind = manifest_kind_of(mbody, mlen, ctype);
	if (kind == MANIFEST_KIND_UNKNOWN) {
		_cleanup_json_ json_object *probe = NULL;
		bool is_json = json_parse_buffer(mbody, mlen, "manifest", &probe, NULL) == 0;
		hutch_fail_plain(
		    err, EINVAL, "manifest of %s is %s (media type \"%s\")", p->familiar,
		    is_json ? "neither an image manifest nor an index" : "not valid JSON", ctype);
		goto out;
	}
	if (kind == MANIFEST_KIND_INDEX) {
		struct descriptor chosen;
		if (manifest_select_platform(mbody, mlen, &plat, &chosen, err) < 0) {
			hutch_error_prefix(err, "%s", p->familiar);
			goto out;
		}
		char dg[DIGEST_STR_LEN + 1];
		if (store_blob_put(d->store, mbody, mlen, dg, err) < 0)
			goto out;
		snprintf(p->index_digest, sizeof(p->index_digest), "%s", dg);
		pin(p, p->index_digest);
		free(mbody);
		mbody = NULL;
		if (registry_get_manifest(p->reg, chosen.digest, &mbody, &mlen, ctype,
					  sizeof(ctype), p->manifest_digest, err) < 0)
			goto out;
		if (manifest_kind_of(mbody, mlen, ctype) != MANIFEST_KIND_IMAGE) {
			hutch_fail_plain(err, EINVAL, "%s: the index points to another index",
					 p->familiar);
			goto out;
		}
	}
	if (manifest_parse(mbody, mlen, m, err) < 0) {
		hutch_error_prefix(err, "%s", p->familiar);
		goto out;
	}
	char dg[DIGEST_STR_LEN + 1];
	if (store_blob_put(d->store, mbody, mlen, dg, err) < 0)
		goto out;
	pin(p, p->manifest_digest);
	snprintf(p->config_digest, sizeof(p->config_digest), "%s", m->config.digest);
	size_t clen = 0;
	if (store_blob_exists(d->store, m->config.digest)) {
		if (store_blob_read(d->store, m->config.digest, CONFIG_MAX_SIZE, &cbody, &clen,
				    err) < 0)
			goto out;
	} else {
		if (registry_get_blob(p->reg, m->config.digest, CONFIG_MAX_SIZE, &cbody, &clen,
				      err) < 0)
			goto out;
		if (store_blob_put(d->store, cbody, clen, dg, err) < 0)
			goto out;
	}
	pin(p, p->config_digest);
	if (image_config_diff_ids(cbody, clen, &diff_ids, &nd, err) < 0)
		goto out;
	if (nd != m->n_layers) {
		hutch_fail_plain(err, EINVAL, "%s: config has %zu diff_ids for %zu layers",
				 p->familiar, nd, m->n_layers);
		goto out;
	}
	p->layers = calloc(nd + 1, sizeof(*p->layers));
	if (p->layers == NULL) {
		hutch_fail(err, ENOMEM, "layers");
		goto out;
	}
	p->n_layers = nd;
	for (size_t i = 0; i < nd; i++) {
		struct layer *l = &p->layers[i];
		l->desc = m->layers[i];
		snprintf(l->diff_id, sizeof(l->diff_id), "%s", diff_ids[i]);
		digest_chain_id(i ? p->layers[i - 1].chain_id : NULL, l->diff_id, l->chain_id);
		snprintf(l->short_id, sizeof(l->short_id), "%.12s", digest_hex(l->desc.digest));
		l->pending_fd = -1;
		l->follow_r = l->follow_w = -1;
		pin(p, l->desc.digest);
		pin(p, l->chain_id);
	}
	rc = 0;
out:
	if (rc < 0) {
		pull_unpin(p);
		pull_free(p);
		return -1;
	}
	*out = p;
	return 0;
}

/* ---------------------------------------------------------------- run */

static void enqueue_locked(struct pull *p, size_t i)
{
	p->queue[p->q_tail++ % MANIFEST_MAX_LAYERS] = i;
	pthread_cond_broadcast(&p->cond);
}

static void enqueue(struct pull *p, size_t i)
{
	pthread_mutex_lock(&p->lock);
	enqueue_locked(p, i);
	pthread_mutex_unlock(&p->lock);
}

static int unpack_layer(struct pull *p, struct layer *l, hutch_error *err)
{
	size_t idx = (size_t)(l - p->layers);
	return snapshot_create(p->d, p->holder, &l->desc, l->diff_id, l->chain_id,
			       idx ? p->layers[idx - 1].chain_id : NULL, err);
}

static void layer_failed(struct pull *p, struct layer *l, const char *what)
{
	l->failed = true;
	char msg[HUTCH_ERROR_MAX + 64];
	snprintf(msg, sizeof(msg), "layer %s: %s", l->desc.digest, what);
	log_error("pull %s: %s", p->familiar, msg);
	record_error(p, msg);
}

static void unpack_and_report(struct pull *p, struct layer *l)
{
	hutch_error err = {0};
	if (l->pending_fd >= 0) {
		int rc = store_blob_commit(p->d->store, l->pending_fd, l->pending_tmp,
					   l->desc.digest, l->desc.digest, &err);
		close(l->pending_fd);
		l->pending_fd = -1;
		if (rc < 0) {
			l->failed = true;
			char msg[HUTCH_ERROR_MAX + 64];
			snprintf(msg, sizeof(msg), "layer %s: %s", l->desc.digest, err.msg);
			record_error(p, msg);
			return;
		}
		emit_status(p, l->short_id, "Download complete");
	}
	emit_status(p, l->short_id, "Extracting");
	if (unpack_layer(p, l, &err) < 0) {
		layer_failed(p, l, err.msg);
		/* A blob that does not unpack is useless; drop it so a retry
		 * fetches it again. */
		char blob[PATH_MAX];
		store_blob_path(p->d->store, l->desc.digest, blob, sizeof(blob));
		unlink(blob);
		return;
	}
	emit_status(p, l->short_id, "Pull complete");
}

/* The layer is unpacked as its blob downloads: the helper reads the
 * temp file as it grows, so decompressing and writing the files overlap
 * with the download instead of following it, and the blob is never read
 * in a second pass. The helper commits the blob itself once the download
 * is verified (an fsync of the blob, not of the snapshot: store.h). */
static void unpack_following(struct pull *p, struct layer *l)
{
	pthread_mutex_lock(&p->lock);
	bool restarted = l->restarted;
	int follow_r = l->follow_r;
	l->follow_r = -1;
	pthread_mutex_unlock(&p->lock);
	hutch_error err = {0};
	int rc = -1;
	if (!restarted) {
		size_t idx = (size_t)(l - p->layers);
		rc = snapshot_create_following(p->d, p->holder, &l->desc, l->download_tmp, follow_r,
					       l->diff_id, l->chain_id,
					       idx ? p->layers[idx - 1].chain_id : NULL, &err);
	}
	close(follow_r);
	pthread_mutex_lock(&p->lock);
	while (!l->download_over)
		pthread_cond_wait(&p->cond, &p->lock);
	bool ok = l->download_ok;
	restarted = l->restarted;
	pthread_mutex_unlock(&p->lock);
	if (!ok)
		return; /* the download's own error is recorded */
	if (rc == 0) {
		/* The helper has moved the blob into the store. */
		close(l->pending_fd);
		l->pending_fd = -1;
		l->pending_tmp[0] = '\0';
		emit_status(p, l->short_id, "Pull complete");
		return;
	}
	if (restarted) {
		/* A retry rewrote the file under the helper's feet: unpack
		 * the complete, verified blob the ordinary way. */
		l->following = false;
		unpack_and_report(p, l);
		return;
	}
	/* Never committed: pull_free removes the temp file. */
	layer_failed(p, l, err.msg);
}

static void *unpack_worker(void *arg)
{
	struct pull *p = arg;
	for (;;) {
		pthread_mutex_lock(&p->lock);
		while (p->q_head == p->q_tail && !p->q_closed)
			pthread_cond_wait(&p->cond, &p->lock);
		if (p->q_head == p->q_tail) {
			pthread_mutex_unlock(&p->lock);
			return NULL;
		}
		size_t i = p->queue[p->q_head++ % MANIFEST_MAX_LAYERS];
		pthread_mutex_unlock(&p->lock);
		if (p->layers[i].following)
			unpack_following(p, &p->layers[i]);
		else
			unpack_and_report(p, &p->layers[i]);
	}
}

/* Tell the helper following layer l that more data (c = 'm') or the
 * verified end ('v') has arrived. Called with p->lock held. */
static void follow_tell(struct layer *l, char c)
{
	if (l->follow_w < 0)
		return;
	if (c == 'v') {
		/* This word must not be lost; the helper drains the pipe
		 * whenever it waits, so a blocking write cannot hang. */
		fcntl(l->follow_w, F_SETFL, 0);
	}
	while (write(l->follow_w, &c, 1) < 0 && errno == EINTR)
		;
	/* 'm' lost to a full pipe is harmless: unread words are waiting. */
}

static void follow_stop(struct layer *l)
{
	if (l->follow_w >= 0)
		close(l->follow_w);
	l->follow_w = -1;
}

/* The download of layer i writes to tmp: start unpacking it right away,
 * or, when a retry starts the file over, abandon that unpack. Called with
 * p->lock held. */
static void follow_download(struct pull *p, size_t i, const char *tmp)
{
	struct layer *l = &p->layers[i];
	if (l->following) {
		l->restarted = true;
		follow_stop(l);
		pthread_cond_broadcast(&p->cond);
		return;
	}
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return; /* then it is unpacked after the download */
	fcntl(fds[1], F_SETFL, O_NONBLOCK);
	l->follow_r = fds[0];
	l->follow_w = fds[1];
	snprintf(l->download_tmp, sizeof(l->download_tmp), "%s", tmp);
	l->following = true;
	enqueue_locked(p, i);
}

static void on_blob_verified(void *ctx, size_t i, int fd, const char *tmppath, const char *digest)
{
	struct pull *p = ctx;
	struct layer *l = &p->layers[i];
	l->pending_fd = fd;
	snprintf(l->pending_tmp, sizeof(l->pending_tmp), "%s", tmppath);
}

/* Download events map back to layers through want-index == layer index. */
static void on_blob_event(void *ctx, size_t i, enum blob_event ev, int64_t cur, int64_t total,
			  const char *message)
{
	struct pull *p = ctx;
	struct layer *l = &p->layers[i];
	switch (ev) {
	case BLOB_STARTED:
		break;
	case BLOB_WRITING:
		pthread_mutex_lock(&p->lock);
		follow_download(p, i, message);
		pthread_mutex_unlock(&p->lock);
		break;
	case BLOB_PROGRESS:
		emit_progress(p, l->short_id, "Downloading", cur, total);
		pthread_mutex_lock(&p->lock);
		follow_tell(l, 'm');
		pthread_mutex_unlock(&p->lock);
		break;
	case BLOB_VERIFYING:
		emit_status(p, l->short_id, "Verifying Checksum");
		break;
	case BLOB_DONE:
		p->downloaded_any = true;
		if (l->following) {
			/* After a retry the worker reports as for a stored blob. */
			if (!l->restarted) {
				emit_status(p, l->short_id, "Download complete");
				emit_status(p, l->short_id, "Extracting");
			}
			pthread_mutex_lock(&p->lock);
			l->download_over = l->download_ok = true;
			follow_tell(l, 'v');
			follow_stop(l);
			pthread_cond_broadcast(&p->cond);
			pthread_mutex_unlock(&p->lock);
			break;
		}
		if (l->pending_fd < 0)
			emit_status(p, l->short_id, "Download complete");
		enqueue(p, i);
		break;
	case BLOB_FAILED:
		l->failed = true;
		record_error(p, message);
		pthread_mutex_lock(&p->lock);
		l->download_over = true;
		follow_stop(l);
		pthread_cond_broadcast(&p->cond);
		pthread_mutex_unlock(&p->lock);
		break;
	}
}

static void release_claims(struct pull *p)
{
	for (size_t i = 0; i < p->n_layers; i++)
		if (p->layers[i].claimed) {
			store_release(p->d->store, p->layers[i].chain_id);
			p->layers[i].claimed = false;
		}
}

/* Docker's pull event: the familiar reference as the actor, its
 * repository as the name attribute. */
static void announce_pull(struct pull *p)
{
	char repo[sizeof(p->familiar)], name[sizeof(p->familiar)];
	image_ref_repo(&p->ref, repo, sizeof(repo));
	image_ref_familiar(repo, name, sizeof(name));
	json_object *attrs = json_object_new_object();
	json_object_object_add(attrs, "name", json_object_new_string(name));
	events_emit(p->d, "image", "pull", p->familiar, attrs);
}

static void run_pull(struct pull *p)
{
	struct store *s = p->d->store;
	char line[700];
	snprintf(line, sizeof(line), "Pulling from %s", p->ref.path);
	emit_status(p, p->ref.tag[0] ? p->ref.tag : p->ref.digest, line);
	p->holder = hutchd_sandbox(p->d);

	/* Claim each missing layer; a layer another pull is working on is
	 * left to it and waited for at the end. */
	_cleanup_free_ bool *want = calloc(p->n_layers + 1, sizeof(bool));
	_cleanup_free_ struct descriptor *descs = calloc(p->n_layers + 1, sizeof(*descs));
	if (want == NULL || descs == NULL) {
		record_error(p, "out of memory");
		goto finish;
	}
	for (size_t i = 0; i < p->n_layers; i++) {
		struct layer *l = &p->layers[i];
		descs[i] = l->desc;
		if (store_snapshot_exists(s, l->chain_id)) {
			l->state = LAYER_PRESENT;
			emit_status(p, l->short_id, "Already exists");
			continue;
		}
		if (store_try_claim(s, l->chain_id) == 0) {
			l->state = LAYER_ELSEWHERE;
			emit_status(p, l->short_id, "Waiting");
			continue;
		}
		l->claimed = true;
		if (store_snapshot_exists(s, l->chain_id)) {
			l->state = LAYER_PRESENT;
			emit_status(p, l->short_id, "Already exists");
			continue;
		}
		l->state = LAYER_NEEDED;
		emit_status(p, l->short_id, "Pulling fs layer");
		if (store_blob_exists(s, l->desc.digest))
			enqueue(p, i);
		else
			want[i] = true;
	}
	pthread_t workers[UNPACK_WORKERS];
	int n_workers = 0;
	for (int w = 0; w < UNPACK_WORKERS; w++)
		if (pthread_create(&workers[w], NULL, unpack_worker, p) == 0)
			n_workers++;
	if (n_workers == 0) {
		record_error(p, "cannot start unpack threads");
		goto finish;
	}
	hutch_error err = {0};
	registry_fetch_blobs(p->reg, s, descs, want, p->n_layers, on_blob_event, on_blob_verified,
			     p, &err);
	pthread_mutex_lock(&p->lock);
	p->q_closed = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	for (int w = 0; w < n_workers; w++)
		pthread_join(workers[w], NULL);
	release_claims(p);

	/* Layers another pull worked on: wait for it, then do what it left. */
	for (size_t i = 0; i < p->n_layers && p->first_error[0] == '\0'; i++) {
		struct layer *l = &p->layers[i];
		if (l->state != LAYER_ELSEWHERE)
			continue;
		/* store_claim waits while the other pull holds the layer; when
		 * it finished without the snapshot, take the layer over. */
		while (!store_snapshot_exists(s, l->chain_id)) {
			if (store_claim(s, l->chain_id) == 1) {
				l->claimed = true;
				break;
			}
		}
		if (!l->claimed) {
			emit_status(p, l->short_id, "Already exists");
			continue;
		}
		if (!store_snapshot_exists(s, l->chain_id)) {
			bool w1 = true;
			if (!store_blob_exists(s, l->desc.digest) &&
			    registry_fetch_blobs(p->reg, s, &l->desc, &w1, 1, NULL, NULL, NULL,
						 &err) < 0)
				record_error(p, err.msg);
			else
				unpack_and_report(p, l);
		}
		store_release(s, l->chain_id);
		l->claimed = false;
	}

finish:
	release_claims(p);
	if (p->first_error[0] == '\0') {
		for (size_t i = 0; i < p->n_layers; i++)
			if (!store_snapshot_exists(s, p->layers[i].chain_id))
				record_error(p, "a layer is missing after the pull");
	}
	if (p->first_error[0] != '\0') {
		log_error("pull %s failed: %s", p->familiar, p->first_error);
		emit_error(p, p->first_error);
		return;
	}
	struct store_image old;
	bool same =
	    store_image_get(s, p->name, &old) == 1 && strcmp(old.manifest, p->manifest_digest) == 0;
	hutch_error serr = {0};
	if (store_image_set(s, p->name, p->manifest_digest, p->repo_digest, &serr) < 0) {
		emit_error(p, serr.msg);
		return;
	}
	snprintf(line, sizeof(line), "Digest: %s", p->repo_digest);
	emit_status(p, NULL, line);
	snprintf(line, sizeof(line), "Status: %s for %s",
		 same && !p->downloaded_any ? "Image is up to date" : "Downloaded newer image",
		 p->familiar);
	emit_status(p, NULL, line);
	log_info("pulled %s (%s)", p->familiar, p->manifest_digest);
	announce_pull(p);
}

static void *pull_thread(void *arg)
{
	struct pull *p = arg;
	run_pull(p);
	pull_unpin(p);
	pthread_mutex_lock(&p->lock);
	if (p->out_fd >= 0)
		close(p->out_fd);
	p->out_fd = -1;
	pthread_mutex_unlock(&p->lock);
	pull_free(p);
	return NULL;
}

int pull_start(struct pull *p, int out_fd, hutch_error *err)
{
	p->out_fd = out_fd;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_t t;
	int r = pthread_create(&t, &attr, pull_thread, p);
	pthread_attr_destroy(&attr);
	if (r != 0) {
		p->out_fd = -1;
		return hutch_fail(err, r, "start pull thread");
	}
	return 0;
}
