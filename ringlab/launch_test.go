package ringlab

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/attnlab/attnlab/attention/ring"
	"github.com/attnlab/attnlab/internal/badinput"
)

// TestLaunchAndSweepSettings: each way of starting the hosts that is not
// one, and each sweep out of range, is bad input naming its settings.
func TestLaunchAndSweepSettings(t *testing.T) {
	t.Parallel()
	ok := Launch{Rank: -1, ConnectTimeout: time.Second, IdleTimeout: time.Second, Grace: time.Second}
	for _, c := range []struct {
		edit func(l *Launch)
		want string
	}{
		{func(l *Launch) { l.Procs, l.Rank, l.Peers = 4, 0, "a:1" }, "procs starts workers itself"},
		{func(l *Launch) { l.Slurm, l.Rank = true, 0 }, "slurm takes the rank and peers from the environment"},
		{func(l *Launch) { l.Rank = 0 }, "worker mode needs both rank and peers"},
		{func(l *Launch) { l.Procs = 65 }, "procs must be 1…64, got 65"},
		{func(l *Launch) { l.IdleTimeout = 0 }, "connect_timeout and idle_timeout must be positive"},
		{func(l *Launch) { l.Procs, l.Grace = 4, 0 }, "grace must be positive, got 0s"},
	} {
		l := ok
		c.edit(&l)
		if err := l.Validate(); !badinput.Is(err) || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", l, err, c.want)
		}
	}
	if err := ok.Validate(); err != nil || ok.Worker() {
		t.Errorf("in-process launch: %v, worker %v", err, ok.Worker())
	}
	w := ok
	w.Rank, w.Peers = 1, "a:1,b:2"
	if rank, peers, err := w.Ring(nil); err != nil || rank != 1 || !slices.Equal(peers, []string{"a:1", "b:2"}) || !w.Worker() {
		t.Errorf("worker: %d %v %v", rank, peers, err)
	}
	w.Rank = 2
	if _, _, err := w.Ring(nil); err == nil || err.Error() != "rank 2 is not one of the 2 peers" {
		t.Errorf("rank out of range: %v", err)
	}

	base := Options{Config: Config{N: 64, E: 8, P: 2, Layouts: []ring.Layout{ring.Zigzag}}}
	for _, c := range []struct {
		edit func(o *Options)
		want string
	}{
		{func(o *Options) { o.ErrorMaxP = -1 }, "error_max_hosts must be 0 (no error sweep) to 1024, got -1"},
		{func(o *Options) { o.ErrorMaxP, o.ErrorN = 16, 8 }, "error_n must be 16 (error_max_hosts) to 16384, got 8"},
		{func(o *Options) { o.OverlapBlocks, o.OverlapP = []int{8}, 1 }, "overlap_hosts must be 2 to 64, got 1"},
		{func(o *Options) { o.OverlapBlocks, o.OverlapP = []int{1}, 2 }, "overlap_blocks must list block sizes of 2…16384 tokens, got 1"},
	} {
		o := base
		c.edit(&o)
		if err := o.Validate(); !badinput.Is(err) || err.Error() != c.want {
			t.Errorf("got %v, want %q", err, c.want)
		}
	}
}
