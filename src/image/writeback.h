/* Starting the writeback of a layer's blob while it downloads, from a
 * thread of its own.
 *
 * The blob must be on disk (fsync) before it is stored. Left alone, the
 * kernel writes nothing back for half a minute, so that fsync would write
 * the whole blob while the pull waits. sync_file_range
 * (SYNC_FILE_RANGE_WRITE) every few MiB lets the disk work while the rest
 * is downloaded and unpacked, but it blocks whenever the device's queue is
 * full: done in the unpack loop it stalled decompression. So the unpacker
 * hands a dup of the blob's fd to this thread, which starts its writeback
 * and closes it. (The snapshot's own files get no early writeback: they
 * are synced later, see store.h.) */
#ifndef HUTCH_IMAGE_WRITEBACK_H
#define HUTCH_IMAGE_WRITEBACK_H

struct writeback;

/* NULL when no thread can be started; the functions below accept NULL
 * (then fds are just closed and the final fsync does all the work). */
struct writeback *writeback_start(void);

/* Take fd over: start its writeback soon and close it. */
void writeback_file(struct writeback *w, int fd);

/* Start the writeback of what is still queued, end the thread, free w. */
void writeback_stop(struct writeback *w);

#endif
