package ringlab

import (
	"time"

	"github.com/attnlab/attnlab/internal/badinput"
	"github.com/attnlab/attnlab/internal/list"
	"github.com/attnlab/attnlab/internal/ringnet"
)

// Launch is how the hosts of a ring are started: as goroutines (the zero
// value with Rank -1), as Procs processes joined by TCP on loopback, or in
// worker mode, as one host of a ring of processes on one or many machines:
// host Rank of Peers, or under Slurm, with the rank, size and hosts taken
// from the job step (ports from Port on, one per task on a node).
type Launch struct {
	Procs                       int
	Rank                        int    // worker mode: this host; -1: not given
	Peers                       string // worker mode: every host's host:port, by rank, comma separated
	Slurm                       bool
	Port                        int
	ConnectTimeout, IdleTimeout time.Duration // worker mode: see ringnet.Config
	// Grace is, with Procs, how long after one worker fails the others get
	// to stop on their own before they are interrupted and then killed
	// (ringnet.SpawnConfig.Grace).
	Grace time.Duration
}

// Worker reports whether l is worker mode.
func (l Launch) Worker() bool { return l.Rank >= 0 || l.Peers != "" || l.Slurm }

// Validate checks that l is one way of starting the hosts, with its
// settings in range. Errors are *badinput.Setting naming procs, rank,
// peers, slurm, connect_timeout, idle_timeout and grace.
func (l Launch) Validate() error {
	switch {
	case l.Worker() && l.Procs > 0:
		return badinput.Settingf("{procs} starts workers itself: do not combine it with {rank}, {peers} or {slurm}")
	case l.Slurm && (l.Rank >= 0 || l.Peers != ""):
		return badinput.Settingf("{slurm} takes the rank and peers from the environment: do not combine it with {rank} or {peers}")
	case !l.Slurm && (l.Rank >= 0) != (l.Peers != ""):
		return badinput.Settingf("worker mode needs both {rank} and {peers}")
	case l.Procs < 0 || l.Procs > 64:
		return badinput.Settingf("{procs} must be 1…64, got %d", l.Procs)
	case l.ConnectTimeout <= 0 || l.IdleTimeout <= 0:
		return badinput.Settingf("{connect_timeout} and {idle_timeout} must be positive")
	case l.Procs > 0 && l.Grace <= 0:
		return badinput.Settingf("{grace} must be positive, got %v", l.Grace)
	}
	return nil
}

// Ring is a worker's place: its rank and every host's address, from Rank
// and Peers or, under Slurm, from the job step's environment (getenv).
func (l Launch) Ring(getenv func(string) string) (rank int, peers []string, err error) {
	rank = l.Rank
	if !l.Slurm {
		if peers, err = list.Parse(l.Peers, func(p string) (string, error) {
			if p == "" {
				return "", badinput.Settingf("{peers} has an empty address in %q: list every host's host:port", l.Peers)
			}
			return p, nil
		}); err != nil {
			if badinput.Is(err) {
				return 0, nil, err
			}
			return 0, nil, badinput.Settingf("{peers} %v", err)
		}
	}
	if l.Slurm {
		if rank, peers, err = ringnet.FromSlurm(getenv, l.Port); err != nil {
			return 0, nil, badinput.Wrap(err)
		}
	}
	if rank < 0 || rank >= len(peers) {
		return 0, nil, badinput.Settingf("{rank} %d is not one of the %d peers", rank, len(peers))
	}
	return rank, peers, nil
}
