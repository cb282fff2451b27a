package ringnet

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// SpawnConfig describes P worker processes joined in a ring on loopback.
type SpawnConfig struct {
	Exe string // the worker executable (usually os.Executable())
	P   int
	// Args returns worker rank's command line; peers are the loopback
	// addresses of every worker. The worker finds its listener, already
	// bound to peers[rank], as file descriptor 3 (InheritedListener) and
	// should exit when its standard input closes (WatchParent).
	Args func(rank int, peers []string) []string
	// Grace is how long, after the first worker fails, the others get to
	// stop on their own (they learn of the failure through the ring within
	// milliseconds) before they are interrupted and then killed (≤ 0:
	// DefaultGrace).
	Grace time.Duration
	// Log, when set, receives every worker's standard error, each line
	// prefixed "worker r: ".
	Log io.Writer
	// Started, when set, is told each worker's process as it starts.
	Started func(rank int, p *os.Process)
}

// DefaultGrace is SpawnConfig.Grace when it is not set.
const DefaultGrace = 5 * time.Second

// Spawn starts the P workers, waits for them all and returns worker 0's
// standard output. If any worker fails, or ctx is cancelled, every other
// worker is stopped (interrupt, then kill) before Spawn returns, so no
// process outlives it; the error names the first worker to fail and what
// it said.
func Spawn(ctx context.Context, c SpawnConfig) ([]byte, error) {
	if c.P < 1 {
		return nil, fmt.Errorf("ringnet: %d workers", c.P)
	}
	if c.Grace <= 0 {
		c.Grace = DefaultGrace
	}
	lns := make([]*net.TCPListener, c.P)
	peers := make([]string, c.P)
	defer func() {
		for _, ln := range lns {
			if ln != nil {
				ln.Close()
			}
		}
	}()
	for r := range lns {
		ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			return nil, fmt.Errorf("ringnet: cannot listen on loopback: %v", err)
		}
		lns[r], peers[r] = ln, ln.Addr().String()
	}
	wctx, stopAll := context.WithCancel(context.Background())
	defer stopAll()
	type exit struct {
		rank int
		err  error
		at   time.Time
	}
	exits := make(chan exit, c.P)
	ws := make([]*worker, c.P)
	var logMu sync.Mutex
	for r := range c.P {
		f, err := lns[r].File()
		if err != nil {
			return nil, fmt.Errorf("ringnet: passing a listener to worker %d: %v", r, err)
		}
		w := &worker{rank: r}
		w.cmd = exec.CommandContext(wctx, c.Exe, c.Args(r, peers)...)
		w.cmd.ExtraFiles = []*os.File{f}
		w.cmd.Cancel = func() error { return w.cmd.Process.Signal(os.Interrupt) }
		w.cmd.WaitDelay = c.Grace
		if r == 0 {
			w.cmd.Stdout = &w.stdout
		}
		w.cmd.Stderr = &lineWriter{prefix: fmt.Sprintf("worker %d: ", r), last: &w.lastLine, log: c.Log, mu: &logMu}
		stdin, err := w.cmd.StdinPipe()
		if err == nil {
			w.stdin = stdin
			err = w.cmd.Start()
		}
		f.Close()
		if err != nil {
			stopAll()
			for _, v := range ws[:r] {
				v.cmd.Wait()
			}
			return nil, fmt.Errorf("ringnet: starting worker %d: %v", r, err)
		}
		ws[r] = w
		if c.Started != nil {
			c.Started(r, w.cmd.Process)
		}
		go func() {
			err := w.cmd.Wait()
			exits <- exit{r, err, time.Now()}
		}()
	}
	for _, ln := range lns {
		ln.Close() // the workers hold their own copies
	}
	var first *exit
	var graceOver <-chan time.Time
	interrupted, stopped := false, false
	for left := c.P; left > 0; {
		select {
		case e := <-exits:
			left--
			if e.err == nil || interrupted || stopped {
				break
			}
			// The first to fail is the cause, except that a worker killed
			// by a signal is the cause of the others' failures.
			if first == nil || killed(e.err) && !killed(first.err) {
				first = &e
			}
			if graceOver == nil {
				graceOver = time.After(c.Grace)
			}
		case <-ctx.Done():
			if !interrupted {
				interrupted = true
				stopAll() // interrupt every worker, kill after Grace
			}
		case <-graceOver:
			stopped = true
			stopAll()
		}
	}
	for _, w := range ws {
		w.stdin.Close()
	}
	if interrupted {
		return nil, ctx.Err()
	}
	if first != nil {
		// A worker that was killed says nothing; one that failed says why
		// in its last line.
		w := ws[first.rank]
		what := w.lastLine
		if what == "" || killed(first.err) {
			what = first.err.Error()
		}
		return nil, &SpawnError{Host: first.rank, P: c.P, Message: what, Status: first.err}
	}
	return ws[0].stdout.Bytes(), nil
}

// killed reports whether a worker's exit error is death by a signal.
func killed(err error) bool {
	var ee *exec.ExitError
	return errors.As(err, &ee) && ee.ExitCode() < 0
}

// SpawnError is a failed spawned ring: the first worker to fail and its
// last line on standard error (or its exit status).
type SpawnError struct {
	Host, P int
	Message string
	Status  error
}

func (e *SpawnError) Error() string {
	return fmt.Sprintf("worker %d of %d failed first: %s", e.Host, e.P, e.Message)
}

type worker struct {
	rank     int
	cmd      *exec.Cmd
	stdin    io.WriteCloser
	stdout   bytes.Buffer
	lastLine string
}

// lineWriter keeps a worker's last line of standard error and copies every
// line to log with a prefix.
type lineWriter struct {
	prefix  string
	partial []byte
	last    *string
	log     io.Writer
	mu      *sync.Mutex
}

func (w *lineWriter) Write(b []byte) (int, error) {
	w.partial = append(w.partial, b...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		line := strings.TrimSpace(string(w.partial[:i]))
		w.partial = w.partial[i+1:]
		if line == "" {
			continue
		}
		w.mu.Lock()
		*w.last = line
		if w.log != nil {
			fmt.Fprintf(w.log, "%s%s\n", w.prefix, line)
		}
		w.mu.Unlock()
	}
	if len(w.partial) > 64<<10 {
		w.partial = w.partial[:0]
	}
	return len(b), nil
}

// InheritedListener returns the listener a launcher passed down as file
// descriptor 3.
func InheritedListener() (net.Listener, error) {
	f := os.NewFile(3, "ring-listener")
	if f == nil {
		return nil, errors.New("ringnet: no listener on file descriptor 3 (this flag is for workers started by --procs)")
	}
	defer f.Close()
	ln, err := net.FileListener(f)
	if err != nil {
		return nil, fmt.Errorf("ringnet: file descriptor 3 is not a listener: %v", err)
	}
	return ln, nil
}

// WatchParent calls stop when standard input closes: a spawned worker's
// launcher holds the other end, so the worker cannot outlive it.
func WatchParent(stop func()) {
	go func() {
		r := bufio.NewReader(os.Stdin)
		for {
			if _, err := r.ReadByte(); err != nil {
				stop()
				return
			}
		}
	}()
}
