/*
 * log.h - daemon log: stderr in the foreground, syslog (daemon facility) otherwise.
 * Messages never carry a secret: callers log names, MACs, sizes and generations only.
 */
#ifndef PROVFS_LOG_H
#define PROVFS_LOG_H

#include <syslog.h>

void log_init(int foreground);
void log_msg(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
