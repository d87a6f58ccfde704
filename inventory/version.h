/*
 * version.h - the project's version, the one place it is written.
 *
 * `provfs --version` and `provctl --version` print it. It lives in the lowest layer so that
 * both programs (and anything else that links the library) see the same number.
 */
#ifndef PROVFS_VERSION_H
#define PROVFS_VERSION_H

#define PROVFS_VERSION "0.13.0"

#endif
