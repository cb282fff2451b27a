package ringlab

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/attnlab/attnlab/internal/membudget"
	"github.com/attnlab/attnlab/internal/ringnet"
	"github.com/attnlab/attnlab/report"
)

// Why a worker stopped, besides a failure of the ring.
var (
	ErrInterrupted  = errors.New("interrupted")
	ErrLauncherGone = errors.New("the process that started it went away")
)

// WorkerOptions are one host of a ring of processes.
type WorkerOptions struct {
	Config
	Rank                        int      // this host
	Peers                       []string // every host's host:port, by rank
	ConnectTimeout, IdleTimeout time.Duration
	// Launched is a worker that Processes started: it listens on the
	// socket it inherited and stops when its launcher goes away.
	Launched bool
}

// Worker runs host o.Rank of a ring of len(o.Peers) processes over TCP:
// it checks the host's memory, connects to its neighbours (within
// ConnectTimeout; a neighbour silent for IdleTimeout is dead), runs its
// part of the hosts run and gathers every host's report on host 0. Host 0
// returns the Result; the others return nil. An error names the host and
// why it stopped (ErrInterrupted, ErrLauncherGone, or the ring's failure).
func Worker(ctx context.Context, o WorkerOptions) (*Result, error) {
	rank, P := o.Rank, len(o.Peers)
	if err := membudget.Check(fmt.Sprintf("host %d of a ring of %d over %d positions", rank, P, o.N), o.HostBytes()); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	nc := ringnet.Config{Rank: rank, Peers: o.Peers, Hello: o.Hello(), ConnectTimeout: o.ConnectTimeout, IdleTimeout: o.IdleTimeout}
	if o.Launched {
		ringnet.WatchParent(func() { cancel(ErrLauncherGone) }) // never outlive the launcher
		var err error
		if nc.Listener, err = ringnet.InheritedListener(); err != nil {
			return nil, err
		}
	}
	fail := func(err error) error {
		// This host's own interruption reads "host r failed: interrupted"
		// from the ring; say what interrupted it.
		var re *ringnet.Error
		if errors.Is(err, context.Canceled) || errors.As(err, &re) && re.Host == rank && re.Cause == "interrupted" {
			err = ErrInterrupted
			if errors.Is(context.Cause(ctx), ErrLauncherGone) {
				err = ErrLauncherGone
			}
		}
		return fmt.Errorf("host %d of %d stopped: %w", rank, P, err)
	}
	link, err := ringnet.Dial(ctx, nc)
	if err != nil {
		return nil, fail(err)
	}
	t0 := time.Now()
	var reports []HostReport
	if err := Host(ctx, link, o.Config, func(all []HostReport) { reports = all }); err != nil {
		return nil, fail(err)
	}
	if reports == nil {
		return nil, nil // not host 0: host 0 reports
	}
	return &Result{Opt: Options{Config: o.Config, Transport: fmt.Sprintf("%d processes, TCP", P), Processes: true},
		Reports: reports, Hosts: time.Since(t0)}, nil
}

// Results are the tables, headline tables and figures of r, with the run's
// size and transport for the manifest.
func (r *Result) Results() report.Results {
	return report.Results{Tables: r.Tables(), Headline: r.Headline(), Figures: r.Figures(),
		Extra: map[string]any{"n": r.Opt.N, "hosts": r.Opt.P, "d_head": r.Opt.E, "transport": r.Opt.Transport, "hosts_run_seconds": r.Hosts.Seconds()}}
}
