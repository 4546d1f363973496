/* Internal: TensorBoard event files (tensorboard.c), the format TensorFlow's
 * summary writers produce and TensorBoard reads: a TFRecord stream of Event
 * protocol buffers in a file named
 *   events.out.tfevents.<seconds>.<host>.<pid>.<n>.v2
 * in the run's directory. The first event carries file_version
 * "brain.Event:2"; each scalar is an Event {wall_time, step, summary {value
 * {tag, simple_value}}}. Every record reaches the file in one write() of
 * the whole record (length, its CRC, the event, its CRC), so a process that
 * dies leaves whole records only; gt_tb_flush makes them durable (fsync). */
#ifndef GT_TENSORBOARD_H
#define GT_TENSORBOARD_H

#include <stddef.h>
#include <stdint.h>

#include "gtrain/status.h"

typedef struct gt_tb_writer gt_tb_writer;

/* Creates `dir` (and its parents) when missing and a new event file in it. */
gt_status gt_tb_open(const char *dir, gt_tb_writer **out);
gt_status gt_tb_scalar(gt_tb_writer *w, const char *tag, int64_t step, double value);
gt_status gt_tb_flush(gt_tb_writer *w);
void gt_tb_close(gt_tb_writer *w);

/* CRC-32C (Castagnoli) of data, as TFRecord frames use it before masking. */
uint32_t gt_crc32c(const void *data, size_t size);

#endif
