package ringnet

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// Config is one host's side of a TCP ring.
type Config struct {
	Rank  int
	Peers []string // "host:port" of every host, by rank; len(Peers) is P
	// Listener, when set, is already listening for the previous host (a
	// launcher passes one down); otherwise Dial listens on Peers[Rank]'s
	// port on every interface.
	Listener net.Listener
	// Hello identifies the problem: every host must present the same bytes
	// (at most 64 KiB), so hosts started with different settings refuse
	// each other instead of computing nonsense.
	Hello []byte
	// ConnectTimeout bounds the wait for both neighbours to appear
	// (default 30 s). IdleTimeout is how long a neighbour may stay silent
	// before it is declared dead (default 10 s); heartbeats go out every
	// IdleTimeout/10 of silence (at most 1 s).
	ConnectTimeout, IdleTimeout time.Duration
	// MaxMessage caps one message (default 1 GiB).
	MaxMessage int
}

const (
	protoVersion = 1
	maxHello     = 64 << 10
)

var handshakeMagic = [8]byte{'A', 'T', 'T', 'N', 'R', 'I', 'N', 'G'}

// Dial joins a TCP ring: it listens for the previous host, connects to the
// next one (retrying until it answers), checks both handshakes and returns
// the link. A ring of one host needs no network and gets a Local link.
func Dial(ctx context.Context, c Config) (Link, error) {
	P := len(c.Peers)
	if P < 1 || c.Rank < 0 || c.Rank >= P {
		return nil, fmt.Errorf("ringnet: rank %d of %d peers", c.Rank, P)
	}
	if len(c.Hello) > maxHello {
		return nil, fmt.Errorf("ringnet: hello of %d bytes, at most %d", len(c.Hello), maxHello)
	}
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = 30 * time.Second
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 10 * time.Second
	}
	if c.MaxMessage <= 0 {
		c.MaxMessage = 1 << 30
	}
	if P == 1 {
		if c.Listener != nil {
			c.Listener.Close()
		}
		return Local(1)[0], nil
	}
	ln := c.Listener
	if ln == nil {
		_, port, err := net.SplitHostPort(c.Peers[c.Rank])
		if err != nil {
			return nil, fmt.Errorf("ringnet: host %d's address %q: %v", c.Rank, c.Peers[c.Rank], err)
		}
		if ln, err = net.Listen("tcp", net.JoinHostPort("", port)); err != nil {
			return nil, fmt.Errorf("ringnet: host %d cannot listen on port %s: %v", c.Rank, port, err)
		}
	}
	defer ln.Close()
	ctx, cancel := context.WithTimeout(ctx, c.ConnectTimeout)
	defer cancel()
	nextRank, prevRank := (c.Rank+1)%P, (c.Rank+P-1)%P
	// Connect to the next host and accept the previous one at once; the
	// first failure stops the other and is the one reported.
	var next, prev *peer
	errc := make(chan error, 2)
	go func() {
		var err error
		prev, err = accept(ctx, ln, c, prevRank)
		errc <- err
	}()
	go func() {
		var err error
		next, err = connect(ctx, c, nextRank)
		errc <- err
	}()
	var err error
	for range 2 {
		if e := <-errc; e != nil && err == nil {
			err = e
			cancel()
		}
	}
	if err != nil {
		// A neighbour already connected hears why, rather than only that
		// this host went away.
		e := causeOf(c.Rank, err)
		msg := binary.LittleEndian.AppendUint32(nil, uint32(int32(e.Host)))
		msg = append(msg, e.Cause...)
		for _, p := range []*peer{next, prev} {
			if p != nil {
				p.write(tagAbort, msg, time.Second)
				if tc, ok := p.c.(*net.TCPConn); ok {
					tc.CloseWrite()
				}
				p.c.SetReadDeadline(time.Now().Add(time.Second))
				io.Copy(io.Discard, p.c)
				p.c.Close()
			}
		}
		return nil, err
	}
	l := newTCPLink(c.Rank, P, next, prev, c.IdleTimeout, c.MaxMessage)
	l.start(min(c.IdleTimeout/10, time.Second))
	return l, nil
}

func newPeer(conn net.Conn, rank int, role, addr string) *peer {
	p := &peer{c: conn, rank: rank, role: role, addr: addr, bye: make(chan struct{}), done: make(chan struct{})}
	p.lastWrite.Store(time.Now().UnixNano())
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	return p
}

// hello is the dialling host's opening message.
func hello(c Config) []byte {
	b := append([]byte(nil), handshakeMagic[:]...)
	b = binary.LittleEndian.AppendUint16(b, protoVersion)
	b = binary.LittleEndian.AppendUint32(b, uint32(c.Rank))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(c.Peers)))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(c.Hello)))
	return append(b, c.Hello...)
}

// connect dials the next host until it accepts or ctx ends, and checks its
// answer to the handshake.
func connect(ctx context.Context, c Config, rank int) (*peer, error) {
	addr := c.Peers[rank]
	var d net.Dialer
	for {
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			p := newPeer(conn, rank, "next", addr)
			if err := greet(ctx, p, c); err != nil {
				conn.Close()
				return nil, err
			}
			return p, nil
		}
		select {
		case <-ctx.Done():
			return nil, timeoutError(ctx, &Error{Host: rank, Cause: fmt.Sprintf("it did not accept a connection at %s within %v", addr, c.ConnectTimeout)})
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// timeoutError returns e unless ctx ended because its parent was cancelled.
func timeoutError(ctx context.Context, e *Error) error {
	if errors.Is(context.Cause(ctx), context.Canceled) {
		return context.Canceled
	}
	return e
}

// greet sends the handshake to the next host and reads its verdict.
func greet(ctx context.Context, p *peer, c Config) error {
	deadline, _ := ctx.Deadline()
	p.c.SetDeadline(deadline)
	defer p.c.SetDeadline(time.Time{})
	if _, err := p.c.Write(hello(c)); err != nil {
		return &Error{Host: p.rank, Cause: "the handshake failed: " + describe(err, c.ConnectTimeout)}
	}
	var r [8 + 2 + 4 + 1 + 2]byte
	if _, err := io.ReadFull(p.c, r[:]); err != nil {
		if ctx.Err() != nil {
			return timeoutError(ctx, &Error{Host: p.rank, Cause: fmt.Sprintf("it did not answer the handshake at %s within %v", p.addr, c.ConnectTimeout)})
		}
		return &Error{Host: p.rank, Cause: "the handshake failed: " + describe(err, c.ConnectTimeout)}
	}
	if !bytes.Equal(r[:8], handshakeMagic[:]) {
		return &Error{Host: p.rank, Cause: fmt.Sprintf("%s is not an attnlab ring host", p.addr)}
	}
	reason := make([]byte, binary.LittleEndian.Uint16(r[15:]))
	io.ReadFull(p.c, reason)
	if r[14] != 0 {
		return &Error{Host: -1, Cause: fmt.Sprintf("%s (host %d at %s refused the connection)", reason, p.rank, p.addr)}
	}
	return nil
}

// accept waits for the previous host's connection and checks its
// handshake; connections that are not attnlab ring hosts are dropped.
func accept(ctx context.Context, ln net.Listener, c Config, rank int) (*peer, error) {
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil, timeoutError(ctx, &Error{Host: rank, Cause: fmt.Sprintf("it did not connect to host %d within %v", c.Rank, c.ConnectTimeout)})
			}
			return nil, fmt.Errorf("ringnet: host %d: accepting: %v", c.Rank, err)
		}
		p := newPeer(conn, rank, "previous", conn.RemoteAddr().String())
		refusal, err := check(ctx, p, c, rank)
		if err != nil { // not one of ours: keep listening
			conn.Close()
			continue
		}
		ans := append([]byte(nil), handshakeMagic[:]...)
		ans = binary.LittleEndian.AppendUint16(ans, protoVersion)
		ans = binary.LittleEndian.AppendUint32(ans, uint32(c.Rank))
		ans = append(ans, 0)
		if refusal != "" {
			ans[len(ans)-1] = 1
		}
		ans = binary.LittleEndian.AppendUint16(ans, uint16(len(refusal)))
		ans = append(ans, refusal...)
		conn.SetWriteDeadline(time.Now().Add(time.Second))
		_, werr := conn.Write(ans)
		conn.SetDeadline(time.Time{})
		if refusal != "" {
			conn.Close()
			return nil, &Error{Host: -1, Cause: refusal}
		}
		if werr != nil {
			conn.Close()
			continue
		}
		return p, nil
	}
}

// check reads a handshake: an error means the connection is not an attnlab
// ring host; a refusal is one that runs something else.
func check(ctx context.Context, p *peer, c Config, want int) (refusal string, err error) {
	deadline := time.Now().Add(5 * time.Second)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	p.c.SetReadDeadline(deadline)
	var h [8 + 2 + 4 + 4 + 4]byte
	if _, err := io.ReadFull(p.c, h[:]); err != nil {
		return "", err
	}
	if !bytes.Equal(h[:8], handshakeMagic[:]) {
		return "", errors.New("bad magic")
	}
	ver := binary.LittleEndian.Uint16(h[8:])
	rank := int(binary.LittleEndian.Uint32(h[10:]))
	size := int(binary.LittleEndian.Uint32(h[14:]))
	n := int(binary.LittleEndian.Uint32(h[18:]))
	if n > maxHello {
		return "", errors.New("hello too long")
	}
	got := make([]byte, n)
	if _, err := io.ReadFull(p.c, got); err != nil {
		return "", err
	}
	switch {
	case ver != protoVersion:
		return fmt.Sprintf("host %d speaks protocol version %d, host %d version %d", rank, ver, c.Rank, protoVersion), nil
	case size != len(c.Peers):
		return fmt.Sprintf("host %d is in a ring of %d hosts, host %d in one of %d", rank, size, c.Rank, len(c.Peers)), nil
	case rank != want:
		return fmt.Sprintf("host %d connected to host %d, where host %d was expected", rank, c.Rank, want), nil
	case !bytes.Equal(got, c.Hello):
		return fmt.Sprintf("host %d runs a different problem than host %d (%s)", rank, c.Rank, helloDiff(string(got), string(c.Hello))), nil
	}
	return "", nil
}

// helloDiff names the words in which two hellos differ ("N=1000 vs
// N=999"), or quotes both (shortened) when they do not split alike.
func helloDiff(a, b string) string {
	wa, wb := strings.Fields(a), strings.Fields(b)
	if len(wa) == len(wb) {
		var d []string
		for i := range wa {
			if wa[i] != wb[i] {
				d = append(d, wa[i]+" vs "+wb[i])
			}
		}
		if len(d) > 0 {
			return strings.Join(d, ", ")
		}
	}
	return fmt.Sprintf("%.60q vs %.60q", a, b)
}
