package ringlab

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/attnlab/attnlab/attention/ring"
	"github.com/attnlab/attnlab/internal/badinput"
	"github.com/attnlab/attnlab/internal/membudget"
	"github.com/attnlab/attnlab/internal/ringnet"
)

// Config is a hosts run: one head's causal attention over N positions on P
// hosts, once per layout, forward and (optionally) backward, on seeded
// inputs. Every host of a ring must be given the same Config.
type Config struct {
	N, E, P  int
	Layouts  []ring.Layout
	Backward bool
	Seed     uint64
	// Check is how many query rows per host are checked against the
	// float64 reference (streamed, so it works at any N); 0 checks none.
	Check int
}

// Bounds on a run's shape.
const (
	MaxN = 1 << 24
	MaxE = 1024
	MaxP = 1024
)

// Validate checks the shape. A value out of range is a
// *badinput.Setting naming it: hosts (P), n (N), d_head (E), check.
func (c Config) Validate() error {
	switch {
	case c.P < 1 || c.P > MaxP:
		return badinput.Settingf("{hosts} must be 1…%d, got %d", MaxP, c.P)
	case c.N < c.P || c.N > MaxN:
		return badinput.Settingf("{n} must be %d…%d (at least one position per host), got %d", c.P, MaxN, c.N)
	case c.E < 1 || c.E > MaxE:
		return badinput.Settingf("{d_head} must be 1…%d, got %d", MaxE, c.E)
	case c.Check < 0 || c.Check > 1024:
		return badinput.Settingf("{check} must be 0…1024, got %d", c.Check)
	case len(c.Layouts) == 0:
		return fmt.Errorf("ringlab: no layout")
	}
	for i, l := range c.Layouts {
		if slices.Contains(c.Layouts[:i], l) {
			return badinput.Settingf("{layout} lists %s twice: each layout runs once", l)
		}
	}
	return nil
}

// Hello is the run's identity for the TCP handshake: hosts started with
// different settings refuse each other.
func (c Config) Hello() []byte {
	names := make([]string, len(c.Layouts))
	for i, l := range c.Layouts {
		names[i] = l.String()
	}
	return fmt.Appendf(nil, "attnlab ring v1 N=%d E=%d P=%d layouts=%s backward=%v seed=%d check=%d",
		c.N, c.E, c.P, strings.Join(names, ","), c.Backward, c.Seed, c.Check)
}

// HostBytes estimates the memory the busiest host allocates: its inputs,
// outputs and gradients (9 [n, E] float32 tensors), two key/value blocks
// (decoded and as bytes: 8 [n, E]), three dK/dV accumulators (12) and the
// TCP transport's buffers (up to three messages per stream: 12), with n
// the most positions a host holds.
func (c Config) HostBytes() int64 {
	n := int64(c.N/c.P + 2) // zigzag's two chunks may each hold one more
	return 4 * int64(c.E) * n * (9 + 8 + 12 + 12)
}

// HostReport is what one host measured in a hosts run.
type HostReport struct {
	Host    int
	Layouts []LayoutRun
	// RSS is the host process's peak resident memory in bytes, measured by
	// the operating system (0 where unknown). In-process hosts share one
	// process, so it is the whole ring's.
	RSS int64
}

// LayoutRun is one host's pass under one layout.
type LayoutRun struct {
	Layout            ring.Layout
	Forward, Backward ring.Stats
	// Hash is the SHA-256 of the bits of the host's out, lse and (with a
	// backward pass) dq, dk, dv: equal hashes, equal results.
	Hash string
	// Checked rows, and the largest error relative to the reference's
	// largest magnitude on them of out, lse and dq (NaN when none).
	Checked               int
	OutErr, LSEErr, DQErr float64
}

// layoutRunJSON is LayoutRun on the wire: JSON has no NaN, so a missing
// error travels as null.
type layoutRunJSON struct {
	Layout                ring.Layout
	Forward, Backward     ring.Stats
	Hash                  string
	Checked               int
	OutErr, LSEErr, DQErr *float64
}

func nanToNil(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

func nilToNaN(x *float64) float64 {
	if x == nil {
		return math.NaN()
	}
	return *x
}

// MarshalJSON writes a missing (NaN) error as null.
func (l LayoutRun) MarshalJSON() ([]byte, error) {
	return json.Marshal(layoutRunJSON{l.Layout, l.Forward, l.Backward, l.Hash, l.Checked, nanToNil(l.OutErr), nanToNil(l.LSEErr), nanToNil(l.DQErr)})
}

// UnmarshalJSON reads null as a missing (NaN) error.
func (l *LayoutRun) UnmarshalJSON(b []byte) error {
	var j layoutRunJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*l = LayoutRun{j.Layout, j.Forward, j.Backward, j.Hash, j.Checked, nilToNaN(j.OutErr), nilToNaN(j.LSEErr), nilToNaN(j.DQErr)}
	return nil
}

// RunHost is one host's part of a hosts run over link: for each layout,
// it makes its rows of the seeded inputs, meets the others at a barrier,
// runs the forward pass, and (with Backward) meets them again and runs the
// backward pass; then it checks its Check rows against the float64
// reference. The same function runs in-process hosts and processes.
func RunHost(ctx context.Context, link ringnet.Link, c Config) (*HostReport, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if link.Size() != c.P {
		return nil, fmt.Errorf("ringlab: a ring of %d hosts for a run on %d", link.Size(), c.P)
	}
	if err := membudget.Check(fmt.Sprintf("host %d of a ring of %d over %d positions", link.Rank(), c.P, c.N), c.HostBytes()); err != nil {
		return nil, err
	}
	r, N, E := link.Rank(), c.N, c.E
	rep := &HostReport{Host: r}
	for _, L := range c.Layouts {
		pos := L.Positions(N, c.P, r)
		q, k, v := rows(c.Seed, tensorQ, pos, E), rows(c.Seed, tensorK, pos, E), rows(c.Seed, tensorV, pos, E)
		pr := ring.Problem{N: N, E: E, Layout: L}
		lr := LayoutRun{Layout: L, OutErr: math.NaN(), LSEErr: math.NaN(), DQErr: math.NaN()}
		if err := ringnet.Barrier(ctx, link); err != nil {
			return nil, err
		}
		out, lse, err := ring.Forward(ctx, link, pr, q, k, v, &lr.Forward)
		if err != nil {
			return nil, err
		}
		var dq, dk, dv []float32
		if c.Backward {
			dout := rows(c.Seed, tensorDout, pos, E)
			if err := ringnet.Barrier(ctx, link); err != nil {
				return nil, err
			}
			if dq, dk, dv, err = ring.Backward(ctx, link, pr, q, k, v, out, lse, dout, &lr.Backward); err != nil {
				return nil, err
			}
		}
		lr.Hash = hash(out, lse, dq, dk, dv)
		if c.Check > 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			idx := checkRows(len(pos), c.Check)
			qpos := make([]int, len(idx))
			for j, i := range idx {
				qpos[j] = pos[i]
			}
			wo, wl, wdq := spot(c.Seed, E, 1/math.Sqrt(float64(E)), qpos)
			lr.Checked = len(idx)
			lr.OutErr = ring.RelError(pick(out, idx, E), wo)
			lr.LSEErr = ring.RelError(pick(lse, idx, 1), wl)
			if c.Backward {
				lr.DQErr = ring.RelError(pick(dq, idx, E), wdq)
			}
		}
		rep.Layouts = append(rep.Layouts, lr)
	}
	rep.RSS = PeakRSS()
	return rep, nil
}

// pick returns rows idx of x [·, E].
func pick(x []float32, idx []int, E int) []float32 {
	out := make([]float32, 0, len(idx)*E)
	for _, i := range idx {
		out = append(out, x[i*E:(i+1)*E]...)
	}
	return out
}

func hash(xs ...[]float32) string {
	h := sha256.New()
	var b [4]byte
	for _, x := range xs {
		for _, f := range x {
			binary.LittleEndian.PutUint32(b[:], math.Float32bits(f))
			h.Write(b[:])
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Gather brings every host's report to host 0, along the ring (host r
// passes on what it received from r−1 with its own appended). Host 0 gets
// all P reports in host order; the others get nil.
func Gather(ctx context.Context, link ringnet.Link, rep *HostReport) ([]HostReport, error) {
	P, r := link.Size(), link.Rank()
	if P == 1 {
		return []HostReport{*rep}, nil
	}
	if r == 0 {
		raw, err := link.Recv(ctx, ringnet.TagGather, nil)
		if err != nil {
			return nil, err
		}
		var rest []HostReport
		if err := json.Unmarshal(raw, &rest); err != nil {
			return nil, fmt.Errorf("ringlab: host %d sent unreadable reports: %v", P-1, err)
		}
		all := append([]HostReport{*rep}, rest...)
		for i, h := range all {
			if h.Host != i {
				return nil, fmt.Errorf("ringlab: report %d is host %d's", i, h.Host)
			}
		}
		return all, nil
	}
	var list []json.RawMessage
	if r > 1 {
		raw, err := link.Recv(ctx, ringnet.TagGather, nil)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, fmt.Errorf("ringlab: host %d sent unreadable reports: %v", r-1, err)
		}
	}
	mine, err := json.Marshal(rep)
	if err != nil {
		return nil, err
	}
	out, err := json.Marshal(append(list, mine))
	if err != nil {
		return nil, err
	}
	return nil, link.Send(ctx, ringnet.TagGather, out)
}

// RunLinks runs a hosts run with one goroutine per link (ringnet.Local,
// or TCP links joined inside this process) and returns every host's
// report.
func RunLinks(ctx context.Context, c Config, links []ringnet.Link) ([]HostReport, error) {
	if len(links) != c.P {
		return nil, fmt.Errorf("ringlab: %d links for %d hosts", len(links), c.P)
	}
	var all []HostReport
	errs := make([]error, len(links))
	var wg sync.WaitGroup
	for p, link := range links {
		wg.Go(func() {
			errs[p] = Host(ctx, link, c, func(reports []HostReport) { all = reports })
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return all, nil
}

// Host is a whole host: RunHost, Gather, and Close; host 0 hands the
// gathered reports to done. On failure it aborts the link, so every other
// host stops too, and returns the error.
func Host(ctx context.Context, link ringnet.Link, c Config, done func([]HostReport)) (err error) {
	defer func() {
		if err != nil {
			link.Abort(err)
		}
		if cerr := link.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	rep, err := RunHost(ctx, link, c)
	if err != nil {
		return err
	}
	all, err := Gather(ctx, link, rep)
	if err != nil {
		return err
	}
	if all != nil {
		done(all)
	}
	return nil
}

// SameBits reports, per layout, whether two runs of the same Config (say
// in-process and over TCP) gave every host the same bits.
func SameBits(a, b []HostReport) map[ring.Layout]bool {
	same := map[ring.Layout]bool{}
	if len(a) != len(b) {
		return same
	}
	for h := range a {
		for i, lr := range a[h].Layouts {
			ok := i < len(b[h].Layouts) && b[h].Layouts[i].Layout == lr.Layout && b[h].Layouts[i].Hash == lr.Hash
			prev, seen := same[lr.Layout]
			same[lr.Layout] = ok && (prev || !seen)
		}
	}
	return same
}
