package ringnet

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

const (
	frameMagic  = 0xA7
	headerBytes = 12
	chunkBytes  = 1 << 20 // payloads move in chunks, each under a fresh deadline
)

// tcpLink is a host's end of a TCP ring: next is the connection it dialled
// (data out, credits in), prev the one it accepted (data in, credits out).
type tcpLink struct {
	rank, size int
	next, prev *peer
	idle       time.Duration
	maxMsg     int

	credits [numTags]chan struct{} // a token per message the next host will take
	queue   [numTags]chan []byte   // messages from the previous host, not yet taken
	free    [numTags]chan []byte   // payload buffers to reuse

	f        *fault
	shut     chan struct{} // closed once a failed link has told its neighbours and closed
	stop     chan struct{} // closes the heartbeat
	stopOnce sync.Once
	closing  atomic.Bool
}

// peer is one connection to a neighbour.
type peer struct {
	c         net.Conn
	rank      int
	role      string // "next" or "previous"
	addr      string
	wmu       sync.Mutex
	seqOut    uint32
	seqIn     uint32
	lastWrite atomic.Int64 // unix nanos
	bye       chan struct{}
	byeOnce   sync.Once
	done      chan struct{} // closed when the reader returns
}

func (p *peer) String() string { return fmt.Sprintf("host %d (%s, %s)", p.rank, p.role, p.addr) }

func newTCPLink(rank, size int, next, prev *peer, idle time.Duration, maxMsg int) *tcpLink {
	l := &tcpLink{rank: rank, size: size, next: next, prev: prev, idle: idle, maxMsg: maxMsg, f: newFault(), stop: make(chan struct{}), shut: make(chan struct{})}
	for t := range numTags {
		l.credits[t] = make(chan struct{}, 1)
		l.credits[t] <- struct{}{}
		l.queue[t] = make(chan []byte, 1)
		l.free[t] = make(chan []byte, 2)
	}
	return l
}

func (l *tcpLink) Rank() int { return l.rank }
func (l *tcpLink) Size() int { return l.size }

// start runs the readers and the heartbeat.
func (l *tcpLink) start(heartbeat time.Duration) {
	go l.read(l.prev)
	go l.read(l.next)
	go l.beat(heartbeat)
}

// write sends one frame; the caller holds nothing. Each chunk of the
// payload gets its own deadline, so a slow but live peer is not cut off.
func (p *peer) write(tag Tag, payload []byte, idle time.Duration) error {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	return p.writeLocked(tag, payload, idle)
}

func (p *peer) writeLocked(tag Tag, payload []byte, idle time.Duration) error {
	var h [headerBytes]byte
	h[0], h[1] = frameMagic, byte(tag)
	p.seqOut++
	binary.LittleEndian.PutUint32(h[4:], p.seqOut)
	binary.LittleEndian.PutUint32(h[8:], uint32(len(payload)))
	p.c.SetWriteDeadline(time.Now().Add(idle))
	if _, err := p.c.Write(h[:]); err != nil {
		return err
	}
	for len(payload) > 0 {
		n := min(len(payload), chunkBytes)
		p.c.SetWriteDeadline(time.Now().Add(idle))
		if _, err := p.c.Write(payload[:n]); err != nil {
			return err
		}
		payload = payload[n:]
	}
	p.lastWrite.Store(time.Now().UnixNano())
	return nil
}

// readFull reads len(b) bytes, each chunk under a fresh idle deadline.
func (p *peer) readFull(b []byte, idle time.Duration) error {
	for len(b) > 0 {
		n := min(len(b), chunkBytes)
		p.c.SetReadDeadline(time.Now().Add(idle))
		if _, err := io.ReadFull(p.c, b[:n]); err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// read is the reader of one connection: it files data messages, takes
// credits, and turns a closed or silent connection into the link's failure.
func (l *tcpLink) read(p *peer) {
	defer close(p.done)
	var h [headerBytes]byte
	for {
		err := p.readFull(h[:], l.idle)
		if err == nil {
			err = l.frame(p, h)
		}
		if err == nil {
			continue
		}
		select {
		case <-p.bye:
			if errors.Is(err, io.EOF) || l.closing.Load() {
				return // the neighbour finished and closed
			}
		default:
		}
		if l.f.get() != nil {
			return // already failed: this is the fallout
		}
		l.fail(&Error{Host: p.rank, Cause: describe(err, l.idle)}, p)
		return
	}
}

// frame handles one frame whose header is h.
func (l *tcpLink) frame(p *peer, h [headerBytes]byte) error {
	tag, n := Tag(h[1]), int(binary.LittleEndian.Uint32(h[8:]))
	p.seqIn++
	switch {
	case h[0] != frameMagic:
		return fmt.Errorf("sent a malformed frame (magic %#x)", h[0])
	case binary.LittleEndian.Uint32(h[4:]) != p.seqIn:
		return fmt.Errorf("sent frame %d where %d was due", binary.LittleEndian.Uint32(h[4:]), p.seqIn)
	case n > l.maxMsg:
		return fmt.Errorf("sent a %d-byte message, more than the %d allowed", n, l.maxMsg)
	}
	switch {
	case tag == tagHeartbeat && n == 0:
		return nil
	case tag == tagCredit && n == 1 && p == l.next:
		var b [1]byte
		if err := p.readFull(b[:], l.idle); err != nil {
			return err
		}
		if b[0] == 0 || int(b[0]) >= numTags {
			return fmt.Errorf("sent a credit for unknown stream %d", b[0])
		}
		select {
		case l.credits[b[0]] <- struct{}{}:
			return nil
		default:
			return fmt.Errorf("sent a second credit for stream %d", b[0])
		}
	case tag == tagAbort:
		b := make([]byte, n)
		if err := p.readFull(b, l.idle); err != nil {
			return err
		}
		e := &Error{Host: -1, Cause: "aborted"}
		if len(b) >= 4 {
			e = &Error{Host: int(int32(binary.LittleEndian.Uint32(b))), Cause: string(b[4:])}
		}
		l.fail(e, p)
		return errAborted
	case tag == tagBye && n == 0:
		p.byeOnce.Do(func() { close(p.bye) })
		return nil
	case tag > 0 && tag < numTags && p == l.prev:
		var buf []byte
		select {
		case buf = <-l.free[tag]:
		default:
		}
		if cap(buf) < n {
			buf = make([]byte, n)
		}
		buf = buf[:n]
		if err := p.readFull(buf, l.idle); err != nil {
			return err
		}
		select {
		case l.queue[tag] <- buf:
			return nil
		default:
			return fmt.Errorf("sent a second message on stream %d without credit", tag)
		}
	}
	return fmt.Errorf("sent an unexpected frame (tag %d, %d bytes)", tag, n)
}

var errAborted = errors.New("aborted")

// describe turns a connection error into a cause a user can act on.
func describe(err error, idle time.Duration) string {
	var ne net.Error
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "its connection closed without a word (the process died or was killed)"
	case errors.As(err, &ne) && ne.Timeout(), errors.Is(err, os.ErrDeadlineExceeded):
		return fmt.Sprintf("it sent nothing for %v (hung, or its machine is unreachable)", idle)
	}
	return err.Error()
}

// beat sends a heartbeat on each connection after a quiet interval. A
// connection busy with a long write is left alone: data is flowing.
func (l *tcpLink) beat(every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-l.f.done:
			return
		case now := <-t.C:
			for _, p := range []*peer{l.next, l.prev} {
				if now.UnixNano()-p.lastWrite.Load() < int64(every) || !p.wmu.TryLock() {
					continue
				}
				err := p.writeLocked(tagHeartbeat, nil, l.idle)
				p.wmu.Unlock()
				if err != nil && l.f.get() == nil && !l.closing.Load() {
					l.fail(&Error{Host: p.rank, Cause: describe(err, l.idle)}, p)
				}
			}
		}
	}
}

// fail records the link's failure and, if it is the first, passes it on to
// both neighbours (not back to from, which told us), then closes.
func (l *tcpLink) fail(e *Error, from *peer) {
	if !l.f.set(e) {
		return
	}
	l.stopOnce.Do(func() { close(l.stop) })
	msg := make([]byte, 4, 4+len(e.Cause))
	binary.LittleEndian.PutUint32(msg, uint32(int32(e.Host)))
	msg = append(msg, e.Cause...)
	go func() {
		defer close(l.shut)
		for _, p := range []*peer{l.next, l.prev} {
			if p == from {
				continue
			}
			p.c.SetWriteDeadline(time.Now().Add(time.Second)) // cuts short a write in progress
			p.wmu.Lock()
			p.writeLocked(tagAbort, msg, time.Second)
			p.wmu.Unlock()
		}
		// Let the neighbours read the abort before the sockets go: closing
		// with unread input would reset the connection under it.
		for _, p := range []*peer{l.next, l.prev} {
			if tc, ok := p.c.(*net.TCPConn); ok {
				tc.CloseWrite()
			}
			p.c.SetReadDeadline(time.Now().Add(time.Second))
		}
		for _, p := range []*peer{l.next, l.prev} {
			<-p.done
			p.c.Close()
		}
	}()
}

func (l *tcpLink) Send(ctx context.Context, tag Tag, data []byte) error {
	checkTag(tag)
	if err := l.f.get(); err != nil {
		return err
	}
	if len(data) > l.maxMsg {
		return fmt.Errorf("ringnet: a %d-byte message, more than the %d allowed", len(data), l.maxMsg)
	}
	select {
	case <-l.credits[tag]:
	case <-l.f.done:
		return l.f.err
	case <-ctx.Done():
		l.Abort(ctx.Err())
		return l.f.err
	}
	stop := context.AfterFunc(ctx, func() { l.next.c.SetWriteDeadline(time.Now()) })
	err := l.next.write(tag, data, l.idle)
	stop()
	if err != nil {
		if ctx.Err() != nil {
			l.Abort(ctx.Err())
		} else {
			l.fail(&Error{Host: l.next.rank, Cause: describe(err, l.idle)}, l.next)
		}
		return l.f.err
	}
	return nil
}

func (l *tcpLink) Recv(ctx context.Context, tag Tag, buf []byte) ([]byte, error) {
	checkTag(tag)
	var msg []byte
	select {
	case msg = <-l.queue[tag]:
	case <-l.f.done:
		return nil, l.f.err
	case <-ctx.Done():
		l.Abort(ctx.Err())
		return nil, l.f.err
	}
	buf = append(buf[:0], msg...)
	select {
	case l.free[tag] <- msg:
	default:
	}
	if err := l.prev.write(tagCredit, []byte{byte(tag)}, l.idle); err != nil {
		l.fail(&Error{Host: l.prev.rank, Cause: describe(err, l.idle)}, l.prev)
		return nil, l.f.err
	}
	return buf, nil
}

func (l *tcpLink) Abort(err error) { l.fail(causeOf(l.rank, err), nil) }

func (l *tcpLink) Close() error {
	if err := l.f.get(); err != nil {
		select {
		case <-l.shut:
		case <-time.After(3 * time.Second):
		}
		return err
	}
	l.closing.Store(true)
	for _, p := range []*peer{l.next, l.prev} {
		if err := p.write(tagBye, nil, l.idle); err != nil {
			l.fail(&Error{Host: p.rank, Cause: describe(err, l.idle)}, p)
		}
	}
	timeout := time.After(l.idle)
	for _, p := range []*peer{l.next, l.prev} {
		select {
		case <-p.bye:
		case <-l.f.done:
		case <-timeout:
			l.fail(&Error{Host: p.rank, Cause: fmt.Sprintf("it did not finish within %v of this host", l.idle)}, p)
		}
	}
	l.stopOnce.Do(func() { close(l.stop) })
	for _, p := range []*peer{l.next, l.prev} {
		p.c.Close()
	}
	l.waitReaders(time.Second)
	if err := l.f.get(); err != nil {
		<-l.shut
		return err
	}
	return nil
}

// waitReaders waits (at most d) for both readers to return.
func (l *tcpLink) waitReaders(d time.Duration) {
	t := time.After(d)
	for _, p := range []*peer{l.next, l.prev} {
		select {
		case <-p.done:
		case <-t:
			return
		}
	}
}
