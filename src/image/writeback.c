#include "writeback.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

/* Enough to keep the disk busy; more queued fds would only hold memory
 * (and fds) for data the blob's final fsync writes just as well. */
#define WRITEBACK_QUEUE 128

struct writeback {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int fds[WRITEBACK_QUEUE];
	size_t head, tail; /* fds[head % N] .. fds[tail % N] are queued */
	bool stopping;
};

static void *writeback_main(void *arg)
{
	struct writeback *w = arg;
	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (w->head == w->tail && !w->stopping)
			pthread_cond_wait(&w->cond, &w->lock);
		if (w->head == w->tail)
			break;
		int fd = w->fds[w->head++ % WRITEBACK_QUEUE];
		pthread_mutex_unlock(&w->lock);
		sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
		close(fd);
		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

struct writeback *writeback_start(void)
{
	struct writeback *w = calloc(1, sizeof(*w));
	if (w == NULL)
		return NULL;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	if (pthread_create(&w->thread, NULL, writeback_main, w) != 0) {
		pthread_mutex_destroy(&w->lock);
		pthread_cond_destroy(&w->cond);
		free(w);
		return NULL;
	}
	return w;
}

void writeback_file(struct writeback *w, int fd)
{
	if (w != NULL) {
		pthread_mutex_lock(&w->lock);
		bool queued = w->tail - w->head < WRITEBACK_QUEUE;
		if (queued) {
			w->fds[w->tail++ % WRITEBACK_QUEUE] = fd;
			pthread_cond_signal(&w->cond);
		}
		pthread_mutex_unlock(&w->lock);
		if (queued)
			return;
	}
	/* The queue is full: the disk is behind anyway. */
	close(fd);
}

void writeback_stop(struct writeback *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	free(w);
}
