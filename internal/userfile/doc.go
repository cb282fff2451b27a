// Package userfile opens and writes files whose paths come from the user,
// safely: every read is bounded and every write is atomic.
//
// # Reading
//
// [Open] and [ReadFile] accept only a regular file (a symlink is followed to
// one) of at most a stated number of bytes. A device (/dev/zero), a named
// pipe, a socket or a folder is refused at once, from its mode, before
// anything is read: open(2) on a pipe would block until a writer appears,
// and a device can stream forever. The mode is checked with stat before the
// open and again with fstat on the opened descriptor (opened non-blocking,
// so a path swapped for a pipe in between cannot hang the open), and the
// read itself is bounded, so a file that grows after the check cannot make
// a read unbounded either.
//
// # Writing
//
// [WriteAtomic] writes through a temporary file in the target's folder
// (".NAME.tmp-*"), syncs it, renames it over the target and syncs the
// folder, so the target holds its old content or the complete new content,
// never a part. The target must be absent or a regular file: a folder, a
// device, a named pipe or a socket is refused, never replaced. A symlink is
// followed: the file it points to is replaced (and must itself be absent or
// regular), the link is kept. [CheckTarget] applies the same rule without
// writing, so a command can refuse a bad output path before it does any
// work.
//
// A temporary file left behind by a killed writer (kill -9, power loss) is
// removed by the next write of the same target: each writer holds an
// exclusive lock on its temporary file while it writes, and a ".NAME.tmp-*"
// file that nobody holds a lock on is stale. Only regular files of exactly
// that pattern are ever removed.
//
// Errors are of type [*Error] when the path is refused; other errors are
// the operating system's, wrapped.
package userfile
