// glibc extensions ProcessRotator needs to start a child cleanly. Swift's Glibc module is built without
// _GNU_SOURCE, so these declarations (glibc >= 2.34, Debian 12 ships 2.36) are not visible through it; they are
// repeated here with glibc's own signatures. No code, nothing to link: libc provides them.
#ifndef LOCKSTEP_CSPAWN_SHIM_H
#define LOCKSTEP_CSPAWN_SHIM_H

#include <fcntl.h>
#include <spawn.h>
#include <unistd.h>

/// The child changes to `path` before exec (the rotator's folder).
int posix_spawn_file_actions_addchdir_np(posix_spawn_file_actions_t *__restrict actions, const char *__restrict path);

/// The child closes every descriptor from `from` up before exec, whatever other threads opened without O_CLOEXEC.
int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from);

/// pipe(2) with O_CLOEXEC set atomically, so a child spawned by another thread never inherits our ends.
int pipe2(int fds[2], int flags);

#endif
