package ringnet

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// exercise runs rounds of a token ring on the links: in round i every host
// sends (rank, i) under TagKV and a payload of size bytes under TagDKV, and
// checks what it receives. It returns each host's error.
func exercise(ctx context.Context, links []Link, rounds, size int) []error {
	errs := make([]error, len(links))
	var wg sync.WaitGroup
	for r, l := range links {
		wg.Go(func() {
			errs[r] = exerciseOne(ctx, l, rounds, size)
		})
	}
	wg.Wait()
	return errs
}

func exerciseOne(ctx context.Context, l Link, rounds, size int) error {
	P, r := l.Size(), l.Rank()
	big := make([]byte, size)
	var buf []byte
	for i := range rounds {
		msg := binary.LittleEndian.AppendUint32(nil, uint32(r))
		msg = binary.LittleEndian.AppendUint32(msg, uint32(i))
		for j := range big {
			big[j] = byte(r + i + j)
		}
		errc := make(chan error, 2)
		go func() { errc <- l.Send(ctx, TagKV, msg) }()
		go func() { errc <- l.Send(ctx, TagDKV, big) }()
		var err error
		if buf, err = l.Recv(ctx, TagDKV, buf); err != nil {
			return err
		}
		from := (r + P - 1) % P
		for j, b := range buf {
			if b != byte(from+i+j) {
				return fmt.Errorf("host %d round %d: byte %d of the big message is %d", r, i, j, b)
			}
		}
		got, err := l.Recv(ctx, TagKV, nil)
		if err != nil {
			return err
		}
		if a, b := binary.LittleEndian.Uint32(got), binary.LittleEndian.Uint32(got[4:]); int(a) != from || int(b) != i {
			return fmt.Errorf("host %d round %d: got (%d, %d), want (%d, %d)", r, i, a, b, from, i)
		}
		for range 2 {
			if err := <-errc; err != nil {
				return err
			}
		}
	}
	return l.Close()
}

// tcpRing joins P in-process hosts by TCP on loopback. The connect
// timeout is generous: no test here waits for it to pass except
// TestAHostThatNeverConnects, which dials by itself, and a loaded machine
// can take seconds to schedule a host's goroutines.
func tcpRing(t *testing.T, P int, hello func(r int) string, idle time.Duration) ([]Link, []error) {
	return tcpRingTimeout(t, P, hello, idle, 60*time.Second)
}

func tcpRingTimeout(t *testing.T, P int, hello func(r int) string, idle, connect time.Duration) ([]Link, []error) {
	t.Helper()
	lns := make([]net.Listener, P)
	peers := make([]string, P)
	for r := range P {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns[r], peers[r] = ln, ln.Addr().String()
	}
	links := make([]Link, P)
	errs := make([]error, P)
	var wg sync.WaitGroup
	for r := range P {
		wg.Go(func() {
			links[r], errs[r] = Dial(context.Background(), Config{Rank: r, Peers: peers, Listener: lns[r], Hello: []byte(hello(r)),
				ConnectTimeout: connect, IdleTimeout: idle})
		})
	}
	wg.Wait()
	return links, errs
}

func TestRingsCarryMessages(t *testing.T) {
	t.Parallel()
	for _, P := range []int{1, 2, 3, 5} {
		errs := exercise(context.Background(), Local(P), 20, 3000)
		for r, err := range errs {
			if err != nil {
				t.Errorf("local P=%d host %d: %v", P, r, err)
			}
		}
		links, derr := tcpRing(t, P, func(int) string { return "same" }, 5*time.Second)
		for r, err := range derr {
			if err != nil {
				t.Fatalf("tcp P=%d host %d: dial: %v", P, r, err)
			}
		}
		// Larger than a chunk, so payloads cross several deadlines.
		for r, err := range exercise(context.Background(), links, 5, chunkBytes+12345) {
			if err != nil {
				t.Errorf("tcp P=%d host %d: %v", P, r, err)
			}
		}
	}
}

// TestHandshakeRefusesADifferentProblem: hosts started with different
// settings refuse each other, naming the setting.
func TestHandshakeRefusesADifferentProblem(t *testing.T) {
	t.Parallel()
	// Two hosts: each dials the other and accepts the other, so whichever
	// handshake comes first, both hear the refusal, whatever the order
	// the machine runs them in.
	_, errs := tcpRing(t, 2, func(r int) string { return fmt.Sprintf("N=%d", 100*(r+1)) }, time.Second)
	for r, err := range errs {
		if err == nil || !strings.Contains(err.Error(), "runs a different problem than host") || !strings.Contains(err.Error(), "(N=100 vs N=200)") && !strings.Contains(err.Error(), "(N=200 vs N=100)") {
			t.Errorf("host %d: got %v, want a refusal naming N=100 vs N=200", r, err)
		}
	}
	// Three hosts, host 1 the odd one out: none may join the ring, and the
	// refusal is said. Which host hears it first depends on the order the
	// connections are made in (a host that has refused closes its
	// listener, and a host dialling it late waits for the timeout), so
	// only the outcome is checked.
	_, errs = tcpRingTimeout(t, 3, func(r int) string {
		if r == 1 {
			return "N=100"
		}
		return "N=200"
	}, time.Second, 3*time.Second)
	said := false
	for r, err := range errs {
		if err == nil {
			t.Errorf("host %d joined a ring whose hosts disagree", r)
		}
		said = said || err != nil && strings.Contains(err.Error(), "different problem")
	}
	if !said {
		t.Errorf("no host named the different problem: %v", errs)
	}
}

func TestAHostThatNeverConnects(t *testing.T) {
	t.Parallel()
	const P = 3
	lns := make([]net.Listener, P)
	peers := make([]string, P)
	for r := range P {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		lns[r], peers[r] = ln, ln.Addr().String()
	}
	lns[2].Close() // host 2 never starts
	// Host 0 must reach host 1 within it: long enough for a loaded machine.
	const timeout = 2 * time.Second
	start := time.Now()
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for r := range 2 {
		wg.Go(func() {
			_, errs[r] = Dial(context.Background(), Config{Rank: r, Peers: peers, Listener: lns[r], ConnectTimeout: timeout})
		})
	}
	wg.Wait()
	// The timeout ends the wait (a hang is caught; the slack is for a
	// loaded machine, not a claim about speed).
	if d := time.Since(start); d < timeout || d > timeout+60*time.Second {
		t.Errorf("took %v with a %v connect timeout", d, timeout)
	}
	for r, err := range errs {
		var re *Error
		if !errors.As(err, &re) {
			t.Errorf("host %d: got %v, want a ring Error", r, err)
			continue
		}
		t.Logf("host %d: %v", r, err)
	}
	// Host 1 dials host 2 and is refused until the timeout; host 0 waits
	// for host 2 to dial it.
	if !strings.Contains(errs[1].Error(), "host 2 failed: it did not accept a connection") {
		t.Errorf("host 1: %v", errs[1])
	}
	if errs[0] == nil || !strings.Contains(errs[0].Error(), "2") {
		t.Errorf("host 0: %v", errs[0])
	}
}

func TestAbortReachesEveryHost(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"local", "tcp"} {
		var links []Link
		if kind == "local" {
			links = Local(4)
		} else {
			var errs []error
			links, errs = tcpRing(t, 4, func(int) string { return "" }, 5*time.Second)
			for _, err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
		}
		errs := make([]error, 4)
		var wg sync.WaitGroup
		start := time.Now()
		for r, l := range links {
			wg.Go(func() {
				if r == 2 {
					time.Sleep(50 * time.Millisecond)
					l.Abort(errors.New("out of memory"))
					errs[r] = l.Close()
					return
				}
				_, errs[r] = l.Recv(context.Background(), TagKV, nil) // nobody sends: only the abort ends this
				l.Close()
			})
		}
		wg.Wait()
		// Only the abort ends the receives: a hang is the failure; the
		// bound is slack for a loaded machine, not a claim about speed.
		if d := time.Since(start); d > 60*time.Second {
			t.Errorf("%s: abort took %v to reach everyone", kind, d)
		}
		for r, err := range errs {
			if err == nil || err.Error() != "host 2 failed: out of memory" {
				t.Errorf("%s host %d: got %v", kind, r, err)
			}
		}
	}
}

func TestSilentHostIsDeclaredDead(t *testing.T) {
	t.Parallel()
	// Host 1 stops reading and heartbeating (its process is frozen): the
	// others must give up after the idle timeout, not hang. The live hosts
	// heartbeat every idle/10: the timeout leaves a loaded machine 2 s to
	// schedule them, so that only the frozen host is declared dead.
	const idle = 2 * time.Second
	links, errs := tcpRing(t, 3, func(int) string { return "" }, idle)
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	frozen := links[1].(*tcpLink)
	frozen.stopOnce.Do(func() { close(frozen.stop) }) // no more heartbeats
	start := time.Now()
	var wg sync.WaitGroup
	for _, r := range []int{0, 2} {
		wg.Go(func() { _, errs[r] = links[r].Recv(context.Background(), TagKV, nil) })
	}
	wg.Wait()
	if d := time.Since(start); d > idle+60*time.Second {
		t.Errorf("took %v with a %v idle timeout", d, idle)
	}
	for _, r := range []int{0, 2} {
		if errs[r] == nil || !strings.Contains(errs[r].Error(), "host 1 failed: it sent nothing for 2s") {
			t.Errorf("host %d: %v", r, errs[r])
		}
	}
	for _, l := range links {
		l.Abort(errors.New("done"))
	}
}

func TestExpandHostlist(t *testing.T) {
	t.Parallel()
	got, err := ExpandHostlist("gpu[08-10,12],login,rack[1-2]-b")
	want := "gpu08 gpu09 gpu10 gpu12 login rack1-b rack2-b"
	if err != nil || strings.Join(got, " ") != want {
		t.Errorf("got %q, %v; want %q", got, err, want)
	}
	for _, bad := range []string{"", "a[3-1]", "a[x]", "a[1-2"} {
		if _, err := ExpandHostlist(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestFromSlurm(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"SLURM_PROCID": "3", "SLURM_NTASKS": "5",
		"SLURM_STEP_NODELIST": "n[1-3]", "SLURM_STEP_TASKS_PER_NODE": "2(x2),1",
	}
	rank, peers, err := FromSlurm(func(k string) string { return env[k] }, 29400)
	want := "n1:29400 n1:29401 n2:29400 n2:29401 n3:29400"
	if err != nil || rank != 3 || strings.Join(peers, " ") != want {
		t.Errorf("got %d %q %v; want 3 %q", rank, peers, err, want)
	}
	env["SLURM_NTASKS"] = "4"
	if _, _, err := FromSlurm(func(k string) string { return env[k] }, 29400); err == nil {
		t.Error("inconsistent task count accepted")
	}
	if _, _, err := FromSlurm(func(string) string { return "" }, 29400); err == nil || !strings.Contains(err.Error(), "not inside a Slurm job step") {
		t.Errorf("outside Slurm: %v", err)
	}
}

func TestMain(m *testing.M) {
	if len(os.Args) == 5 && os.Args[1] == "ringnet-test-worker" {
		os.Exit(testWorker())
	}
	os.Exit(m.Run())
}

// testWorker is a spawned worker: it joins the ring and passes tokens for
// rounds×20 ms, so a test can kill one of them in the middle.
func testWorker() int {
	var rank int
	fmt.Sscan(os.Args[2], &rank)
	peers := os.Args[3]
	var rounds int
	fmt.Sscan(os.Args[4], &rounds)
	ctx, cancel := context.WithCancel(context.Background())
	WatchParent(cancel)
	ln, err := InheritedListener()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	l, err := Dial(ctx, Config{Rank: rank, Peers: strings.Split(peers, ","), Listener: ln, ConnectTimeout: 60 * time.Second, IdleTimeout: 30 * time.Second})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Fprintln(os.Stderr, "connected")
	for i := range rounds {
		err := l.Send(ctx, TagKV, []byte{byte(i)})
		if err == nil {
			_, err = l.Recv(ctx, TagKV, nil)
		}
		if err != nil {
			l.Close() // lets the neighbours hear of it
			fmt.Fprintf(os.Stderr, "host %d stopped: %v\n", rank, err)
			return 1
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := l.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("host %d done\n", rank)
	return 0
}

func spawnWorkers(ctx context.Context, P, rounds int, log *syncBuffer, started func(int, *os.Process)) ([]byte, error) {
	return Spawn(ctx, SpawnConfig{Exe: os.Args[0], P: P, Grace: 3 * time.Second, Log: log, Started: started,
		Args: func(rank int, peers []string) []string {
			return []string{"ringnet-test-worker", fmt.Sprint(rank), strings.Join(peers, ","), fmt.Sprint(rounds)}
		}})
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestSpawnedWorkersAndKillingOne(t *testing.T) {
	t.Parallel()
	var log syncBuffer
	out, err := spawnWorkers(context.Background(), 3, 20, &log, nil)
	if err != nil || string(out) != "host 0 done\n" {
		t.Fatalf("clean run: %q, %v\n%s", out, err, log.String())
	}

	// Kill worker 2 of 4 half-way: every other worker must stop with one
	// sentence naming it, promptly, and none may outlive Spawn.
	log = syncBuffer{}
	procs := make([]*os.Process, 4)
	var pmu sync.Mutex
	var killedAt time.Time
	go func() {
		for strings.Count(log.String(), "connected") < 4 {
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(200 * time.Millisecond) // some rounds
		pmu.Lock()
		procs[2].Kill()
		killedAt = time.Now()
		pmu.Unlock()
	}()
	// The workers would pass tokens for 200 s: the kill, not the clock,
	// ends them.
	_, err = spawnWorkers(context.Background(), 4, 10000, &log, func(r int, p *os.Process) { pmu.Lock(); procs[r] = p; pmu.Unlock() })
	pmu.Lock()
	elapsed := time.Since(killedAt)
	pmu.Unlock()
	var se *SpawnError
	if !errors.As(err, &se) || se.Host != 2 || !strings.Contains(err.Error(), "signal: killed") {
		t.Fatalf("got %v, want worker 2 killed\n%s", err, log.String())
	}
	// The neighbours hear at once (the connection closes): the bound only
	// catches a hang, with slack for a loaded machine.
	if elapsed > 60*time.Second {
		t.Errorf("the ring took %v to stop after the kill\n%s", elapsed, log.String())
	}
	for _, r := range []int{0, 1, 3} {
		want := fmt.Sprintf("worker %d: host %d stopped: host 2 failed: its connection closed without a word", r, r)
		if !strings.Contains(log.String(), want) {
			t.Errorf("worker %d did not say %q:\n%s", r, want, log.String())
		}
		if err := procs[r].Signal(syscall.Signal(0)); err == nil {
			t.Errorf("worker %d still running", r)
		}
	}
}
