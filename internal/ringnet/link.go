package ringnet

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// Tag names a stream of messages on a link.
type Tag uint8

// The streams the ring uses. Tags at or above tagControl are the
// transports' own.
const (
	TagKV      Tag = 1 // key/value blocks travelling round the ring
	TagDKV     Tag = 2 // dK/dV accumulators travelling with them (backward)
	TagGather  Tag = 3 // per-host results on their way to host 0
	TagBarrier Tag = 4 // barrier tokens
	numTags        = 5

	tagControl   Tag = 200
	tagHeartbeat Tag = 200 // liveness, no payload
	tagCredit    Tag = 201 // one byte: the tag whose message was taken
	tagAbort     Tag = 202 // the failure, as text
	tagBye       Tag = 203 // clean end: nothing more will be sent
)

// Link is one host's end of the ring.
type Link interface {
	// Rank is this host's index, 0…Size()−1.
	Rank() int
	// Size is the number of hosts P.
	Size() int
	// Send delivers data to the next host (Rank()+1 mod P) under tag. It
	// waits until the next host has taken the previous message under tag,
	// and returns once data may be reused.
	Send(ctx context.Context, tag Tag, data []byte) error
	// Recv returns the next message under tag from the previous host,
	// stored in buf when it is large enough.
	Recv(ctx context.Context, tag Tag, buf []byte) ([]byte, error)
	// Abort fails the link: every host's pending and later Send and Recv
	// return an error naming this host and err. It does not wait.
	Abort(err error)
	// Close ends the link cleanly after the last message: it waits (at
	// most the idle timeout) until the neighbours have finished too.
	Close() error
}

// Error is the failure of a ring: which host failed first and why.
type Error struct {
	Host  int    // the host that failed first (as far as this one knows); −1: none did, the ring could not form
	Cause string // one clause, e.g. "its process died (connection reset)"
}

func (e *Error) Error() string {
	if e.Host < 0 {
		return e.Cause
	}
	return fmt.Sprintf("host %d failed: %s", e.Host, e.Cause)
}

// causeOf turns an error into an Error's cause, unwrapping a ring Error.
func causeOf(host int, err error) *Error {
	var re *Error
	if errors.As(err, &re) {
		return re
	}
	if errors.Is(err, context.Canceled) {
		return &Error{Host: host, Cause: "interrupted"}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &Error{Host: host, Cause: "ran out of time"}
	}
	return &Error{Host: host, Cause: err.Error()}
}

// fault is a once-set failure shared by a link's operations.
type fault struct {
	once sync.Once
	done chan struct{}
	err  *Error
}

func newFault() *fault { return &fault{done: make(chan struct{})} }

// set records e unless a failure is already recorded; it reports whether e
// was the first.
func (f *fault) set(e *Error) (first bool) {
	f.once.Do(func() { f.err, first = e, true; close(f.done) })
	return first
}

func (f *fault) get() error {
	select {
	case <-f.done:
		return f.err
	default:
		return nil
	}
}

// Local returns the P ends of an in-process ring: channels between
// goroutines, one buffered message per tag and direction. Messages are
// copied. A failure anywhere fails every end at once (they share one
// process, so there is nothing to detect).
func Local(P int) []Link {
	f := newFault()
	chans := make([][numTags]chan []byte, P) // chans[r][tag]: from host r−1 into host r
	for r := range chans {
		for t := range chans[r] {
			chans[r][t] = make(chan []byte, 1)
		}
	}
	links := make([]Link, P)
	for r := range P {
		links[r] = &local{rank: r, size: P, in: &chans[r], out: &chans[(r+1)%P], f: f}
	}
	return links
}

type local struct {
	rank, size int
	in, out    *[numTags]chan []byte
	f          *fault
}

func (l *local) Rank() int { return l.rank }
func (l *local) Size() int { return l.size }

func checkTag(tag Tag) {
	if tag == 0 || tag >= numTags {
		panic(fmt.Sprintf("ringnet: tag %d is not a data stream", tag))
	}
}

func (l *local) Send(ctx context.Context, tag Tag, data []byte) error {
	checkTag(tag)
	if err := l.f.get(); err != nil {
		return err
	}
	msg := append([]byte(nil), data...)
	select {
	case l.out[tag] <- msg:
		return nil
	case <-l.f.done:
		return l.f.err
	case <-ctx.Done():
		l.Abort(ctx.Err())
		return l.f.err
	}
}

func (l *local) Recv(ctx context.Context, tag Tag, buf []byte) ([]byte, error) {
	checkTag(tag)
	if err := l.f.get(); err != nil {
		return nil, err
	}
	select {
	case msg := <-l.in[tag]:
		return append(buf[:0], msg...), nil
	case <-l.f.done:
		return nil, l.f.err
	case <-ctx.Done():
		l.Abort(ctx.Err())
		return nil, l.f.err
	}
}

func (l *local) Abort(err error) { l.f.set(causeOf(l.rank, err)) }

func (l *local) Close() error { return l.f.get() }

// Barrier returns once every host of the ring has called it: a token goes
// round the ring twice (the first lap gathers, the second releases).
func Barrier(ctx context.Context, l Link) error {
	if l.Size() == 1 {
		return nil
	}
	for range 2 {
		if l.Rank() == 0 {
			if err := l.Send(ctx, TagBarrier, nil); err != nil {
				return err
			}
			if _, err := l.Recv(ctx, TagBarrier, nil); err != nil {
				return err
			}
			continue
		}
		if _, err := l.Recv(ctx, TagBarrier, nil); err != nil {
			return err
		}
		if err := l.Send(ctx, TagBarrier, nil); err != nil {
			return err
		}
	}
	return nil
}
