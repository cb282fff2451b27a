package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/attnlab/attnlab/report"
)

func TestRingCommandWritesEverything(t *testing.T) {
	dir := t.TempDir()
	stdout, stderr, code := runCLI(t, "ring", "--out", dir, "--n", "203", "--hosts", "5", "--d-head", "16",
		"--error-n", "40", "--error-max-hosts", "6", "--overlap-blocks", "8,32")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, f := range []string{"layouts.csv", "hosts.csv", "memory.csv", "error.csv", "overlap.csv", "whatif.csv", "manifest.json",
		"work_by_host.png", "compute_by_host.png", "timeline.png", "error_vs_hosts.png", "time_vs_hosts.png", "overlap.png"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s missing or empty", f)
		}
	}
	for _, want := range []string{"contiguous", "zigzag", "stripe", "dense (GiB)", "hid_pred"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("terminal output lacks %q:\n%s", want, stdout)
		}
	}
	hosts := readTable(t, filepath.Join(dir, "hosts.csv"))
	if len(hosts.Rows) != 3*5 {
		t.Errorf("hosts.csv has %d rows, want 3 layouts × 5 hosts", len(hosts.Rows))
	}
	errs := readTable(t, filepath.Join(dir, "error.csv"))
	if len(errs.Rows) != 3*6 {
		t.Errorf("error.csv has %d rows, want 3 layouts × 6 ring sizes", len(errs.Rows))
	}
	for _, row := range errs.Rows {
		for _, col := range []string{"out", "lse", "dq", "dk", "dv"} {
			if e, _ := report.Float(row[errs.Column(col)]); !(e <= 1e-5) {
				t.Errorf("error.csv %v: %s error %v > 1e-5", row[:2], col, e)
			}
		}
	}
	lay := readTable(t, filepath.Join(dir, "layouts.csv"))
	for _, row := range lay.Rows {
		b, _ := report.Float(row[lay.Column("block_imbalance")])
		p, _ := report.Float(row[lay.Column("pair_imbalance")])
		switch row[0] {
		case "contiguous":
			if want := 2 * 5.0 / 6; b < want-1e-9 || b > want+1e-9 {
				t.Errorf("contiguous block imbalance %v, want 2P/(P+1) = %v", b, want)
			}
		default:
			if b > 1.1 || p > 1.1 {
				t.Errorf("%v: imbalance %v (blocks) %v (pairs), want ≤ 1.1", row[0], b, p)
			}
		}
	}
}

// TestRingOverTCPGivesTheSameBits runs four worker processes over loopback
// and checks every host's results against an in-process run, bit for bit.
func TestRingOverTCPGivesTheSameBits(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	cmd := exec.Command(bin, "ring", "--procs", "4", "--n", "301", "--d-head", "32", "--no-sweeps", "--out", dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v: %s", err, stderr.String())
	}
	lay := readTable(t, filepath.Join(dir, "layouts.csv"))
	if len(lay.Rows) != 3 {
		t.Fatalf("layouts.csv has %d rows", len(lay.Rows))
	}
	for _, row := range lay.Rows {
		if row[lay.Column("same_bits")] != true {
			t.Errorf("%v over TCP differs from in-process", row[0])
		}
	}
	mem := readTable(t, filepath.Join(dir, "memory.csv"))
	if rss, _ := report.Float(mem.Rows[0][mem.Column("rss")]); rss <= 0 {
		t.Errorf("no measured peak memory from the workers: %v", mem.Rows[0])
	}
}

// workersComputing waits until the launcher cmd has P worker processes
// and each has used enough CPU time to be past its handshake and into the
// computation (a worker dials its neighbours before it generates its
// inputs, and all of it before 0.3 s of CPU on any machine), and returns
// their pids. Waiting on CPU time, not the clock, makes the point of a
// kill the same on an idle and a loaded machine.
func workersComputing(t *testing.T, cmd *exec.Cmd, P int) []string {
	t.Helper()
	start := time.Now()
	for time.Since(start) < 5*time.Minute { // a hang guard only
		time.Sleep(20 * time.Millisecond)
		out, _ := exec.Command("pgrep", "-P", strconv.Itoa(cmd.Process.Pid)).Output()
		pids := strings.Fields(string(out))
		busy := 0
		for _, p := range pids {
			if procCPU(p) >= 300*time.Millisecond {
				busy++
			}
		}
		if len(pids) == P && busy == P {
			t.Logf("workers computing after %v", time.Since(start))
			return pids
		}
	}
	cmd.Process.Kill()
	t.Fatalf("%d workers did not get to work within 5 minutes", P)
	return nil
}

// procCPU is the user + system CPU time of process pid (/proc/pid/stat,
// in clock ticks of 10 ms), 0 if it is gone.
func procCPU(pid string) time.Duration {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	i := bytes.LastIndexByte(b, ')')
	if err != nil || i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:])) // f[0] is field 3, the state
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+s) * 10 * time.Millisecond
}

// TestRingKillingAWorker kills one of four workers mid-run: the others must
// stop on their own with one sentence naming it, the launcher must fail
// promptly, and no worker may be left running.
func TestRingKillingAWorker(t *testing.T) {
	bin := buildBinary(t)
	// A run of many CPU-seconds per worker, in chunks of 1024 × 8192
	// query–key pairs at d_head 16, so that the kill lands mid-run and a
	// worker notices it within one short kernel call. The others stop
	// within a second on an idle machine, but took 5–10 s at load 25 with
	// the test under nice 10: past the launcher's default grace of 5 s,
	// after which it interrupts them. A grace of 2 minutes lets them
	// stop on their own however busy the machine, and an idle timeout as
	// long keeps a starved worker's late heartbeat from being taken for a
	// hang: the neighbours must learn of the death from the closed
	// sockets, and the bound on the launcher's stop below catches a ring
	// that hangs instead.
	cmd := exec.Command(bin, "ring", "--procs", "4", "--n", "65536", "--d-head", "16", "--layout", "zigzag", "--no-sweeps",
		"--grace", "2m", "--idle-timeout", "2m", "--out", t.TempDir())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait for the workers to compute, then kill worker 2.
	pids := workersComputing(t, cmd, 4)
	var victim int
	for _, p := range pids {
		args, _ := os.ReadFile("/proc/" + p + "/cmdline")
		if strings.Contains(string(args), "\x00--rank\x002\x00") {
			victim, _ = strconv.Atoi(p)
		}
	}
	if victim == 0 {
		cmd.Process.Kill()
		t.Fatal("worker 2 not found")
	}
	syscall.Kill(victim, syscall.SIGKILL)
	killed := time.Now()
	err := cmd.Wait()
	t.Logf("stopped %v after the kill:\n%s", time.Since(killed), stderr.String())
	// The neighbours hear of it at once (their connections close); the
	// bound only catches a hang, with slack for a loaded machine.
	if d := time.Since(killed); d > 60*time.Second {
		t.Errorf("the launcher took %v to stop after the kill", d)
	}
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Errorf("exit: %v, want status 1", err)
	}
	msg := stderr.String()
	if !strings.Contains(msg, "attnlab: worker 2 of 4 failed first: signal: killed") {
		t.Errorf("launcher's message:\n%s", msg)
	}
	for _, r := range []string{"0", "1", "3"} {
		if !strings.Contains(msg, "worker "+r+": attnlab: host "+r+" of 4 stopped: host 2 failed") {
			t.Errorf("worker %s did not name host 2:\n%s", r, msg)
		}
	}
	for _, p := range pids {
		pid, _ := strconv.Atoi(p)
		if syscall.Kill(pid, 0) == nil {
			if st, _ := os.ReadFile("/proc/" + p + "/stat"); !strings.Contains(string(st), ") Z ") {
				t.Errorf("worker %s still running", p)
			}
		}
	}
}

// TestRingWorkersDieWithTheirLauncher kills the launcher itself: its
// workers, left without it, must notice (their standard input closes) and
// exit within seconds.
func TestRingWorkersDieWithTheirLauncher(t *testing.T) {
	bin := buildBinary(t)
	cmd := exec.Command(bin, "ring", "--procs", "3", "--n", "65536", "--d-head", "16", "--layout", "zigzag", "--no-sweeps", "--out", t.TempDir())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pids := workersComputing(t, cmd, 3)
	cmd.Process.Kill()
	cmd.Wait()
	killed := time.Now()
	for _, p := range pids {
		pid, _ := strconv.Atoi(p)
		for syscall.Kill(pid, 0) == nil {
			if st, _ := os.ReadFile("/proc/" + p + "/stat"); strings.Contains(string(st), ") Z ") {
				break // exited, waiting for its new parent to reap it
			}
			if time.Since(killed) > 60*time.Second { // a hang guard, slack for a loaded machine
				syscall.Kill(pid, syscall.SIGKILL)
				t.Fatalf("worker %s outlived its launcher by %v", p, time.Since(killed))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	t.Logf("every worker gone %v after the launcher", time.Since(killed))
}

func TestRingBadInput(t *testing.T) {
	for _, c := range []struct {
		args string
		want string
	}{
		{"--n 3 --hosts 4", "--n must be 4…"},
		{"--n 1e8", `--n must be an integer, got "1e8"`},
		{"--n 16777216 --hosts 8 --d-head 1024", "a ring of 8 hosts over 16777216 positions (8 in this process) needs an estimated"},
		{"--layout diagonal", `--layout: unknown layout "diagonal"`},
		{"--procs 4 --rank 0 --peers a:1", "do not combine it with --rank"},
		{"--rank 0", "needs both --rank and --peers"},
		{"--rank 3 --peers a:1,b:2", "--rank 3 is not one of the 2 peers"},
		{"--slurm", "not inside a Slurm job step"},
		{"--overlap-blocks 8,x", `"x" is not a whole number`},
		{"--overlap-blocks 1", "--overlap-blocks must list block sizes of 2…16384 tokens, got 1"},
		{"--procs 4 --hosts 3", "--procs 4 runs 4 hosts, but --hosts is 3"},
		{"--error-n 8", "--error-n must be 16 (--error-max-hosts) to 16384, got 8"},
		{"--error-max-hosts -1", "--error-max-hosts must be 0 (no error sweep) to 1024, got -1"},
		{"--overlap-hosts 100000000", "--overlap-hosts must be 2 to 64, got 100000000"},
	} {
		t.Run(c.args, func(t *testing.T) {
			_, stderr, code := runCLI(t, append([]string{"ring", "--out", t.TempDir()}, strings.Fields(c.args)...)...)
			if code != 2 || !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("exit %d, stderr %q; want 2 and %q on one line", code, stderr, c.want)
			}
		})
	}
}

// TestRingCtrlCOneLine: Ctrl-C on a ring of processes stops every worker
// and prints one line, the launcher's (the workers' own "stopped:
// interrupted" lines were relayed too, three lines in all).
func TestRingCtrlCOneLine(t *testing.T) {
	bin := buildBinary(t)
	cmd := exec.Command(bin, "ring", "--procs", "2", "--n", "65536", "--d-head", "16", "--no-sweeps", "-q", "--out", t.TempDir())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	workersComputing(t, cmd, 2)
	cmd.Process.Signal(syscall.SIGINT)
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 130 || stderr.String() != "attnlab: interrupted by SIGINT\n" {
		t.Errorf("exit %d, stderr %q; want 130 and one line", code, stderr.String())
	}
}
