// Package ringnet moves Ring Attention's blocks between hosts: the Link
// interface the ring algorithm is written against, and its two transports —
// in-process hosts joined by channels (Local) and hosts in separate
// processes, on one machine or many, joined by TCP (Dial) — plus the
// launcher that starts P worker processes on loopback (Spawn) and the
// reading of a Slurm job step's environment (FromSlurm).
//
// A ring of P hosts: host r sends to host r+1 and receives from host r−1
// (mod P). A message is a byte slice under a Tag (a stream: key/value
// blocks, gradient blocks, results); messages under one tag arrive in the
// order they were sent. Flow control is one credit per tag: Send waits until
// the next host has taken the previous message under that tag, so a host
// runs at most one message ahead of its neighbour and holds at most one
// queued message per tag (NCCL's send/recv rendezvous, with one buffered
// message). Both transports copy: Send returns when data may be reused.
//
// Faults: when a host fails (an error, a cancelled context, a process that
// dies, a connection that closes or stays silent past the idle timeout),
// its neighbours learn it at once — an abort message naming the cause, or
// the closed socket — and pass it on, so every host's pending and later
// Send and Recv return one error naming the first failure. A TCP link sends
// a heartbeat every second of silence; a peer silent for IdleTimeout is
// declared dead.
//
// The byte format of a TCP frame is a 12-byte header (magic 0xA7, tag,
// two reserved bytes, little-endian uint32 sequence number and payload
// length) and the payload. A connection opens with a handshake carrying the
// protocol version, the sender's rank, the ring size and a hello blob (the
// problem's identity), which every host must present identically.
package ringnet
