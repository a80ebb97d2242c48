/* The multithreaded session loop: several threads, but a request that is
 * quick to serve is served by the thread that read it, without a hand-off.
 *
 * One thread at a time (the reader) waits on /dev/fuse; the others wait on
 * a condition variable. Having read a request, the reader keeps its role
 * and serves the request itself when no other one is waiting and the
 * request is not slow by nature (fsync); read-only closes and forgets it
 * always serves itself. Otherwise it first lets another
 * thread become the reader (waking an idle one, or starting one up to the
 * limit), so requests that arrive together are served in parallel. A
 * request that turns out slow while served (the copy-up of a big file or
 * of a directory tree) lets go of the reader role then
 * (ovl_loop_detach), so it never holds up the others for long.
 *
 * Why not libfuse's loop: there every thread waits on the device and the
 * kernel wakes the one that has waited longest, so a serial workload (an
 * untar, a find, a shell script) hops from one cold thread to the next at
 * every request. On a loaded 2-CPU machine that made serial work 25-50%
 * slower than a single thread (see bench/overlay-io, hutch-st). */
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "ovl.h"

struct worker {
	pthread_t thread;
	struct fuse_buf buf;
	struct loop *loop;
};

struct loop {
	struct fuse_session *se;
	pthread_mutex_t lock;
	pthread_cond_t wake; /* the reader role is free */
	bool reader_busy;    /* a thread reads, or is about to */
	int idle;	     /* threads waiting on wake */
	int nworkers;
	int max_workers;
	struct worker *workers;
	sem_t finished; /* a thread ended (unmount or error) */
	int error;
	/* Requests that may take long being served: while there are any, the
	 * reader serves nothing itself, since a quick request may still wait
	 * for the tree lock that one of them holds. */
	atomic_int slow_in_flight;
};

enum request_kind {
	/* Served by the reader unless others wait. */
	REQ_USUAL,
	/* Slow by nature: they wait for the disk. Others that may turn out
	 * slow (a copy-up of a big file or of a tree) let go of the reader
	 * role themselves when they find out (ovl_loop_detach). */
	REQ_SLOW,
	/* Nobody waits for them, they take microseconds and never wait for
	 * the tree lock: closing a directory or a file opened read-only,
	 * forgetting nodes. The
	 * kernel sends them as the program goes on (a close, then the next
	 * open), so the next request is usually queued by the time one is
	 * read; handing over for them would move that next request to
	 * another thread for nothing. Always served by the reader. */
	REQ_QUICK,
};

/* The close of a file opened for writing may take long: it flushes on
 * NFS, and ext4 starts writing back a file truncated and rewritten. */
static bool closes_read_only(const struct fuse_buf *buf)
{
	const struct fuse_in_header *in = buf->mem;
	if (in->len < sizeof(*in) + sizeof(struct fuse_release_in))
		return false;
	const struct fuse_release_in *rel = (const void *)(in + 1);
	return (rel->flags & O_ACCMODE) == O_RDONLY;
}

static enum request_kind kind_of(const struct fuse_buf *buf)
{
	const struct fuse_in_header *in = buf->mem;
	switch (in->opcode) {
	case FUSE_FSYNC:
	case FUSE_FSYNCDIR:
	case FUSE_FALLOCATE:
	case FUSE_COPY_FILE_RANGE:
		return REQ_SLOW;
	case FUSE_RELEASE:
		return closes_read_only(buf) ? REQ_QUICK : REQ_USUAL;
	case FUSE_FORGET:
	case FUSE_BATCH_FORGET:
	case FUSE_RELEASEDIR:
	case FUSE_INTERRUPT:
		return REQ_QUICK;
	default:
		return REQ_USUAL;
	}
}

/* The loop and the role of the calling thread, for ovl_loop_detach(). */
static _Thread_local struct loop *my_loop;
static _Thread_local bool serving_as_reader;

static bool more_waiting(struct fuse_session *se)
{
	struct pollfd p = {.fd = fuse_session_fd(se), .events = POLLIN};
	return poll(&p, 1, 0) > 0 && (p.revents & POLLIN);
}

static void *work(void *arg);

/* lock held */
static void start_worker(struct loop *l)
{
	if (l->nworkers == l->max_workers)
		return;
	struct worker *w = &l->workers[l->nworkers];
	w->loop = l;
	/* Signals go to the main thread, which waits for them. */
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGQUIT);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	if (pthread_create(&w->thread, NULL, work, w) == 0)
		l->nworkers++;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* Let another thread read the next request (lock held). */
static void hand_over(struct loop *l)
{
	l->reader_busy = false;
	if (l->idle > 0)
		pthread_cond_signal(&l->wake);
	else
		start_worker(l); /* it finds the reader role free */
}

/* Read and serve requests while keeping the reader role; returns false
 * when the session ended. */
static bool read_and_serve(struct loop *l, struct worker *w)
{
	while (!fuse_session_exited(l->se)) {
		pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
		int res = fuse_session_receive_buf(l->se, &w->buf);
		pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
		if (res == -EINTR || res == -EAGAIN)
			continue;
		if (res <= 0) {
			if (res < 0) {
				l->error = res;
				fuse_session_exit(l->se);
			}
			return false;
		}
		enum request_kind kind = kind_of(&w->buf);
		if (kind == REQ_QUICK) {
			fuse_session_process_buf(l->se, &w->buf);
			continue;
		}
		bool slow = kind == REQ_SLOW;
		if (!slow && atomic_load(&l->slow_in_flight) == 0 && !more_waiting(l->se)) {
			serving_as_reader = true;
			fuse_session_process_buf(l->se, &w->buf);
			if (serving_as_reader) {
				serving_as_reader = false;
				continue;
			}
			/* It detached: someone else reads now. */
			atomic_fetch_sub(&l->slow_in_flight, 1);
			return true;
		}
		pthread_mutex_lock(&l->lock);
		hand_over(l);
		pthread_mutex_unlock(&l->lock);
		if (slow)
			atomic_fetch_add(&l->slow_in_flight, 1);
		fuse_session_process_buf(l->se, &w->buf);
		if (slow)
			atomic_fetch_sub(&l->slow_in_flight, 1);
		return true;
	}
	return false;
}

void ovl_loop_detach(void)
{
	struct loop *l = my_loop;
	if (l == NULL || !serving_as_reader)
		return;
	serving_as_reader = false;
	atomic_fetch_add(&l->slow_in_flight, 1);
	pthread_mutex_lock(&l->lock);
	hand_over(l);
	pthread_mutex_unlock(&l->lock);
}

static void *work(void *arg)
{
	struct worker *w = arg;
	struct loop *l = w->loop;
	my_loop = l;
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	pthread_mutex_lock(&l->lock);
	while (!fuse_session_exited(l->se)) {
		if (l->reader_busy) {
			l->idle++;
			pthread_cond_wait(&l->wake, &l->lock);
			l->idle--;
			continue;
		}
		l->reader_busy = true;
		pthread_mutex_unlock(&l->lock);
		bool going = read_and_serve(l, w);
		pthread_mutex_lock(&l->lock);
		if (!going) {
			l->reader_busy = false;
			break;
		}
	}
	pthread_cond_broadcast(&l->wake);
	pthread_mutex_unlock(&l->lock);
	sem_post(&l->finished);
	return NULL;
}

int ovl_session_loop(struct fuse_session *se, int max_threads)
{
	struct loop l = {.se = se, .max_workers = max_threads};
	atomic_init(&l.slow_in_flight, 0);
	l.workers = calloc((size_t)max_threads, sizeof(*l.workers));
	if (l.workers == NULL)
		return -ENOMEM;
	pthread_mutex_init(&l.lock, NULL);
	pthread_cond_init(&l.wake, NULL);
	sem_init(&l.finished, 0, 0);
	pthread_mutex_lock(&l.lock);
	start_worker(&l);
	int started = l.nworkers;
	pthread_mutex_unlock(&l.lock);
	if (started == 0) {
		l.error = -EAGAIN;
	} else {
		/* A signal handler (libfuse's) ends the session and interrupts
		 * the wait. */
		while (!fuse_session_exited(se))
			sem_wait(&l.finished);
		pthread_mutex_lock(&l.lock);
		for (int i = 0; i < l.nworkers; i++)
			pthread_cancel(l.workers[i].thread); /* the one in read() */
		pthread_cond_broadcast(&l.wake);
		pthread_mutex_unlock(&l.lock);
		for (int i = 0; i < l.nworkers; i++) {
			pthread_join(l.workers[i].thread, NULL);
			free(l.workers[i].buf.mem);
		}
	}
	sem_destroy(&l.finished);
	pthread_cond_destroy(&l.wake);
	pthread_mutex_destroy(&l.lock);
	free(l.workers);
	return l.error;
}
