package ring

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"sync/atomic"
	"time"

	"github.com/attnlab/attnlab/attention"
	"github.com/attnlab/attnlab/internal/ringnet"
)

// Problem is one head's causal attention over N positions, dealt to the
// hosts of a ring by Layout.
type Problem struct {
	N, E   int    // positions, d_head
	Layout Layout // how positions are dealt
	// Scale multiplies q·k; 0 means 1/√E.
	Scale float32
	// ChunkRows bounds the query rows one kernel call takes (0: 1024), so
	// a cancelled run stops within one call.
	ChunkRows int
}

func (pr Problem) scale() float32 {
	if pr.Scale != 0 {
		return pr.Scale
	}
	return float32(1 / math.Sqrt(float64(pr.E)))
}

func (pr Problem) chunk() int {
	if pr.ChunkRows > 0 {
		return pr.ChunkRows
	}
	return 1024
}

// Check validates the problem for P hosts.
func (pr Problem) Check(P int) error {
	if pr.E < 1 {
		return fmt.Errorf("ring: d_head %d, need at least 1", pr.E)
	}
	if pr.Layout < Contiguous || pr.Layout > Stripe {
		return fmt.Errorf("ring: unknown layout %d", int(pr.Layout))
	}
	return CheckShape(pr.N, P)
}

// host is one host's view of a pass: its own positions and every host's.
type host struct {
	pr     Problem
	link   ringnet.Link
	r, P   int
	pos    [][]int // pos[s]: host s's positions
	blocks []Block // blocks[s]: this host's queries against host s's keys
	nmax   int     // the most rows any host holds
	st     *Stats
	t0     time.Time
	sent   atomic.Int64
	// stop cancels the pass's context with a failed transfer's error, so
	// the computation stops within one kernel call when the ring breaks.
	stop context.CancelCauseFunc
}

func newHost(pr Problem, link ringnet.Link, st *Stats) (*host, error) {
	P, r := link.Size(), link.Rank()
	if err := pr.Check(P); err != nil {
		return nil, err
	}
	h := &host{pr: pr, link: link, r: r, P: P, pos: make([][]int, P), blocks: make([]Block, P), st: st}
	for s := range P {
		h.pos[s] = pr.Layout.Positions(pr.N, P, s)
		h.nmax = max(h.nmax, len(h.pos[s]))
	}
	for s := range P {
		h.blocks[s] = Visible(h.pos[r], h.pos[s])
	}
	h.t0 = time.Now()
	*st = Stats{Host: r, Tokens: len(h.pos[r]), Origin: h.t0}
	return h, nil
}

// owner is the host whose block this host holds at step t.
func (h *host) owner(t int) int { return (h.r - t + h.P) % h.P }

func (h *host) since() time.Duration { return time.Since(h.t0) }

// transfer is one Send or Recv running beside the computation.
type transfer struct {
	done chan struct{}
	err  error
	end  time.Duration
}

func (h *host) async(f func() error) *transfer {
	x := &transfer{done: make(chan struct{})}
	go func() {
		x.err = f()
		x.end = h.since()
		if x.err != nil {
			h.stop(x.err)
		}
		close(x.done)
	}()
	return x
}

// halted returns why the pass must stop (nil to go on): the context's
// cause, which is the ring's error when a transfer failed. The link is
// aborted with it, so the other hosts stop too.
func (h *host) halted(ctx context.Context) error {
	if ctx.Err() == nil {
		return nil
	}
	err := context.Cause(ctx)
	h.link.Abort(err)
	return err
}

// wait waits for the transfers and returns the first error and the time
// the last one ended.
func wait(xs ...*transfer) (time.Duration, error) {
	var end time.Duration
	var err error
	for _, x := range xs {
		if x == nil {
			continue
		}
		<-x.done
		end = max(end, x.end)
		if err == nil {
			err = x.err
		}
	}
	return end, err
}

// Forward runs this host's side of the ring's forward pass (Liu et al.
// 2023, with FlashAttention's log-sum-exp merge): q, k, v [n, E] are the
// host's rows at Layout.Positions(N, P, rank). Each of the P steps sends the
// key/value block it holds to the next host while it computes its queries
// against that block, receives the next block meanwhile, and merges the
// partial result:
//
//	lse = log(e^lse + e^lse_b)    out = e^(lse_old−lse)·out + e^(lse_b−lse)·out_b
//
// It returns out [n, E] and lse [n] and fills st. Every host computes the
// same sequence of merges whatever the transport, so results are
// bit-identical across transports.
func Forward(ctx context.Context, link ringnet.Link, pr Problem, q, k, v []float32, st *Stats) (out, lse []float32, err error) {
	h, err := newHost(pr, link, st)
	if err != nil {
		return nil, nil, err
	}
	defer h.finish()
	ctx, h.stop = context.WithCancelCause(ctx)
	defer h.stop(nil)
	E, n := pr.E, len(h.pos[h.r])
	if err := checkRows(n, E, q, k, v); err != nil {
		return nil, nil, err
	}
	out, lse = h.f32(n*E), h.f32(n)
	for i := range lse {
		lse[i] = float32(math.Inf(-1))
	}
	cur, next := h.newBlock(), h.newBlock()
	cur.set(k, v, n, E)
	c := pr.chunk()
	tmpOut, tmpLse := h.f32(min(c, n)*E), h.f32(min(c, n))
	for t := range h.P {
		if err := h.halted(ctx); err != nil {
			return nil, nil, err
		}
		s, start := h.owner(t), h.since()
		var send, recv *transfer
		if t < h.P-1 {
			send = h.async(func() error { return h.send(ctx, ringnet.TagKV, cur.raw) })
			nxt := len(h.pos[h.owner(t+1)])
			recv = h.async(func() error { return h.recvBlock(ctx, next, nxt) })
		}
		b := h.blocks[s]
		if b.Empty() {
			h.st.Skipped++
		} else {
			h.st.Computed++
			h.st.Visible += b.Visible
			h.st.Area += b.Area()
			qpos, kpos := h.pos[h.r], h.pos[s][:b.K1]
			for i0 := b.Q0; i0 < b.Q1; i0 += c {
				if err := h.halted(ctx); err != nil {
					return nil, nil, err
				}
				i1 := min(i0+c, b.Q1)
				m := i1 - i0
				attention.BlockForward(tmpOut[:m*E], tmpLse[:m], q[i0*E:i1*E], cur.k[:b.K1*E], cur.v[:b.K1*E], qpos[i0:i1], kpos, E, pr.scale())
				attention.MergeLSE(out[i0*E:i1*E], lse[i0:i1], tmpOut[:m*E], tmpLse[:m], E)
			}
		}
		computed := h.since()
		commEnd, err := wait(send, recv)
		if err != nil {
			return nil, nil, err
		}
		h.step(Step{Step: t, Owner: s, Pass: ForwardPass, Start: start, ComputeEnd: computed, CommEnd: max(commEnd, start), Area: b.Area(),
			Visible: b.Visible, Sent: sentBytes(send, cur.raw), KVArrived: arrived(recv)})
		cur, next = next, cur
	}
	return out, lse, nil
}

// Backward runs this host's side of the ring's backward pass
// (FlashAttention-2's backward per block pair): the key/value blocks travel
// round the ring again, and with each goes its dK/dV accumulator, which
// every host adds its contribution to; after P steps each accumulator is
// back with its owner. q, k, v are the forward's inputs, out and lse its
// results, dout [n, E] the output gradient; it returns dq, dk, dv [n, E].
// The accumulator of host s's block is summed in the fixed order s, s+1,
// …, so the result does not depend on timing or transport.
func Backward(ctx context.Context, link ringnet.Link, pr Problem, q, k, v, out, lse, dout []float32, st *Stats) (dq, dk, dv []float32, err error) {
	h, err := newHost(pr, link, st)
	if err != nil {
		return nil, nil, nil, err
	}
	defer h.finish()
	ctx, h.stop = context.WithCancelCause(ctx)
	defer h.stop(nil)
	E, n := pr.E, len(h.pos[h.r])
	if err := checkRows(n, E, q, k, v, out, dout); err != nil {
		return nil, nil, nil, err
	}
	if len(lse) != n {
		return nil, nil, nil, fmt.Errorf("ring: lse has %d rows, host %d holds %d", len(lse), h.r, n)
	}
	delta := h.f32(n)
	attention.Delta(delta, dout, out, E)
	dq = h.f32(n * E)
	cur, next := h.newBlock(), h.newBlock()
	cur.set(k, v, n, E)
	acc, accIn := h.newGrad(), h.newGrad() // the accumulator being sent, and the one arriving
	local := h.newGrad()                   // this host's contribution to the block it holds
	c := pr.chunk()
	var sendAcc *transfer // the previous step's accumulator, still on its way
	for t := range h.P {
		if err := h.halted(ctx); err != nil {
			return nil, nil, nil, err
		}
		s, start := h.owner(t), h.since()
		var send, recv, recvAcc *transfer
		if t < h.P-1 {
			send = h.async(func() error { return h.send(ctx, ringnet.TagKV, cur.raw) })
			nxt := len(h.pos[h.owner(t+1)])
			recv = h.async(func() error { return h.recvBlock(ctx, next, nxt) })
		}
		ns := len(h.pos[s])
		if t > 0 {
			recvAcc = h.async(func() error { return h.recvGrad(ctx, accIn, ns) })
		}
		b := h.blocks[s]
		local.zero(ns, E)
		if b.Empty() {
			h.st.Skipped++
		} else {
			h.st.Computed++
			h.st.Visible += b.Visible
			h.st.Area += b.Area()
			qpos, kpos := h.pos[h.r], h.pos[s][:b.K1]
			for i0 := b.Q0; i0 < b.Q1; i0 += c {
				if err := h.halted(ctx); err != nil {
					return nil, nil, nil, err
				}
				i1 := min(i0+c, b.Q1)
				attention.BlockBackward(dq[i0*E:i1*E], local.dk[:b.K1*E], local.dv[:b.K1*E], dout[i0*E:i1*E],
					q[i0*E:i1*E], cur.k[:b.K1*E], cur.v[:b.K1*E], lse[i0:i1], delta[i0:i1], qpos[i0:i1], kpos, E, pr.scale())
			}
		}
		computed := h.since()
		// This block's accumulator: the previous hosts' sum plus ours.
		if _, err := wait(sendAcc, recvAcc); err != nil {
			return nil, nil, nil, err
		}
		if t > 0 {
			accIn.add(local, ns, E)
			acc, accIn = accIn, acc
		} else {
			acc, local = local, acc
		}
		acc.encode(ns, E)
		sendAcc = h.async(func() error { return h.send(ctx, ringnet.TagDKV, acc.raw) })
		commEnd, err := wait(send, recv)
		if err != nil {
			return nil, nil, nil, err
		}
		h.step(Step{Step: t, Owner: s, Pass: BackwardPass, Start: start, ComputeEnd: computed, CommEnd: max(commEnd, start), Area: b.Area(),
			Visible: b.Visible, Sent: sentBytes(send, cur.raw) + int64(len(acc.raw)), KVArrived: arrived(recv)})
		cur, next = next, cur
	}
	// The last accumulator goes to its owner, the next host; ours arrives
	// from the previous one.
	if err := h.recvGrad(ctx, accIn, n); err != nil {
		return nil, nil, nil, err
	}
	if _, err := wait(sendAcc); err != nil {
		return nil, nil, nil, err
	}
	return dq, accIn.dk[:n*E], accIn.dv[:n*E], nil
}

func checkRows(n, E int, xs ...[]float32) error {
	for _, x := range xs {
		if len(x) != n*E {
			return fmt.Errorf("ring: an input has %d values, the host holds %d rows of %d", len(x), n, E)
		}
	}
	return nil
}

// arrived is when a receive ended (0 for none).
func arrived(x *transfer) time.Duration {
	if x == nil {
		return 0
	}
	return x.end
}

func sentBytes(x *transfer, b []byte) int64 {
	if x == nil {
		return 0
	}
	return int64(len(b))
}

// send sends under tag and counts the time and bytes.
func (h *host) send(ctx context.Context, tag ringnet.Tag, b []byte) error {
	err := h.link.Send(ctx, tag, b)
	if err == nil {
		h.sent.Add(int64(len(b))) // the key/value and gradient sends run side by side
	}
	return err
}

// block is a key/value block as it travels (raw: K then V, little-endian
// float32) and decoded.
type block struct {
	raw  []byte
	k, v []float32
}

func (h *host) newBlock() *block {
	E := h.pr.E
	return &block{raw: h.bytes(2 * h.nmax * E * 4)[:0], k: h.f32(h.nmax * E), v: h.f32(h.nmax * E)}
}

// set makes b hold k, v [n, E].
func (b *block) set(k, v []float32, n, E int) {
	copy(b.k, k)
	copy(b.v, v)
	b.raw = b.raw[:2*n*E*4]
	putF32(b.raw, k)
	putF32(b.raw[n*E*4:], v)
}

// recvBlock receives the next block, n rows, into b.
func (h *host) recvBlock(ctx context.Context, b *block, n int) (err error) {
	b.raw, err = h.recvPair(ctx, ringnet.TagKV, "key/value", b.k, b.v, b.raw[:0], n)
	return err
}

// recvPair receives a message of two [n, E] float32 matrices (keys and
// values, or their gradients) into buf and decodes it into a and b; a
// message of another size aborts the ring.
func (h *host) recvPair(ctx context.Context, tag ringnet.Tag, what string, a, b []float32, buf []byte, n int) ([]byte, error) {
	raw, err := h.link.Recv(ctx, tag, buf)
	if err != nil {
		return buf, err
	}
	E := h.pr.E
	if len(raw) != 2*n*E*4 {
		err := fmt.Errorf("ring: host %d got a %d-byte %s block, want %d rows of %d", h.r, len(raw), what, n, E)
		h.link.Abort(err)
		return buf, err
	}
	getF32(a[:n*E], raw)
	getF32(b[:n*E], raw[n*E*4:])
	return raw, nil
}

// grad is a dK/dV accumulator, decoded and as it travels.
type grad struct {
	dk, dv []float32
	raw    []byte
}

func (h *host) newGrad() *grad {
	E := h.pr.E
	return &grad{dk: h.f32(h.nmax * E), dv: h.f32(h.nmax * E), raw: h.bytes(2 * h.nmax * E * 4)[:0]}
}

func (g *grad) zero(n, E int) {
	clear(g.dk[:n*E])
	clear(g.dv[:n*E])
}

// add adds o's first n rows into g's.
func (g *grad) add(o *grad, n, E int) {
	for i, x := range o.dk[:n*E] {
		g.dk[i] += x
	}
	for i, x := range o.dv[:n*E] {
		g.dv[i] += x
	}
}

func (g *grad) encode(n, E int) {
	g.raw = g.raw[:2*n*E*4]
	putF32(g.raw, g.dk[:n*E])
	putF32(g.raw[n*E*4:], g.dv[:n*E])
}

func (h *host) recvGrad(ctx context.Context, g *grad, n int) (err error) {
	g.raw, err = h.recvPair(ctx, ringnet.TagDKV, "gradient", g.dk, g.dv, g.raw[:0], n)
	return err
}

func putF32(b []byte, x []float32) {
	for i, f := range x {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
}

func getF32(x []float32, b []byte) {
	for i := range x {
		x[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
}

// f32 and bytes allocate the host's buffers, counting them.
func (h *host) f32(n int) []float32 {
	h.st.hold(int64(n) * 4)
	return make([]float32, n)
}

func (h *host) bytes(n int) []byte {
	h.st.hold(int64(n))
	return make([]byte, n)
}

// step records a finished step.
func (h *host) step(s Step) {
	s.End = max(s.ComputeEnd, s.CommEnd)
	h.st.Compute += s.ComputeEnd - s.Start
	h.st.Comm += s.CommEnd - s.Start
	h.st.Idle += s.End - s.ComputeEnd
	h.st.Steps = append(h.st.Steps, s)
}

func (h *host) finish() {
	h.st.Wall = h.since()
	h.st.BytesSent = h.sent.Load()
}
