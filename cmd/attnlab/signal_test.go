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
)

// TestSignalsStopCommands: SIGINT and SIGTERM stop long analyses promptly
// (issue 9, item 2: induction --batch 400 ignored SIGINT and exited 0 after
// 7 s): exit 130 or 143, one line on stderr, no manifest, no file left
// half-written.
func TestSignalsStopCommands(t *testing.T) {
	bin := buildBinary(t)
	cases := []struct {
		args []string
		sig  syscall.Signal
		code int
	}{
		{[]string{"induction", "--batch", "400"}, syscall.SIGINT, 130},
		{[]string{"induction", "--batch", "400"}, syscall.SIGTERM, 143},
		{[]string{"sink-analysis", "--batch", "256"}, syscall.SIGINT, 130},
		{[]string{"sink-analysis", "--streaming", "--streams", "8", "--batch", "2"}, syscall.SIGTERM, 143},
		{[]string{"retrieval", "--parts", "analytic", "--dims", "64,128,256"}, syscall.SIGINT, 130},
		{[]string{"sparse", "--no-reach", "--n", "8192", "--repeats", "5"}, syscall.SIGINT, 130},
		{[]string{"bench", "--kernels", "dense-blockwise,window", "--min-n", "8192", "--max-n", "32768"}, syscall.SIGTERM, 143},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " ")+" "+c.sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "out")
			cmd := exec.Command(bin, append(c.args, "--out", out, "-q")...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Past loading, into the work: the handler is set before the
			// command runs, and every case needs seconds of CPU time, so
			// 0.3 s of it lands the signal mid-run on any machine, idle or
			// loaded (a wall-clock wait would not).
			pid := strconv.Itoa(cmd.Process.Pid)
			for start := time.Now(); procCPU(pid) < 300*time.Millisecond && time.Since(start) < 5*time.Minute; {
				time.Sleep(10 * time.Millisecond)
			}
			sent := time.Now()
			cmd.Process.Signal(c.sig)
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case <-done:
			case <-time.After(120 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("still running 120 s after %v", c.sig)
			}
			took := time.Since(sent)
			code := cmd.ProcessState.ExitCode()
			if code == 0 {
				t.Skipf("finished before the signal (machine fast); stderr %q", stderr.String())
			}
			if code != c.code {
				t.Errorf("exit %d after %v, want %d; stderr %q", code, c.sig, c.code, stderr.String())
			}
			if s := stderr.String(); strings.Count(s, "\n") != 1 || !strings.HasPrefix(s, "attnlab: ") || strings.Contains(s, "goroutine") {
				t.Errorf("want one line on stderr, got %q", s)
			}
			// A command checks between runs and layers: it stops within a
			// fraction of a second of CPU time. The bound only catches one
			// that runs on, with slack for a loaded machine.
			if took > 60*time.Second {
				t.Errorf("took %v to stop after %v", took, c.sig)
			}
			if _, err := os.Stat(filepath.Join(out, "manifest.json")); err == nil {
				t.Error("an interrupted run wrote a manifest")
			}
			filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
				if err == nil && strings.Contains(filepath.Base(p), ".tmp-") {
					t.Errorf("temporary file %s left behind", p)
				}
				return nil
			})
		})
	}
}
