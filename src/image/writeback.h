/* Starting the writeback of files an unpack has just written, from a
 * thread of its own.
 *
 * A snapshot must be on disk before it is committed (one syncfs). Left
 * alone, the kernel writes nothing back for half a minute, so that syncfs
 * would write the whole layer while everything waits. sync_file_range
 * (SYNC_FILE_RANGE_WRITE) on each file as soon as it is written lets the
 * disk work while the rest of the layer is decompressed, but it blocks
 * whenever the device's queue is full, which on a busy disk is often: done
 * in the unpack loop it stalled decompression for milliseconds per file.
 * So the unpacker hands each written file's fd to this thread, which
 * starts its writeback and closes it. */
#ifndef HUTCH_IMAGE_WRITEBACK_H
#define HUTCH_IMAGE_WRITEBACK_H

struct writeback;

/* NULL when no thread can be started; the functions below accept NULL
 * (then fds are just closed and the final syncfs does all the work). */
struct writeback *writeback_start(void);

/* Take fd over: start its writeback soon and close it. */
void writeback_file(struct writeback *w, int fd);

/* Start the writeback of what is still queued, end the thread, free w. */
void writeback_stop(struct writeback *w);

#endif
