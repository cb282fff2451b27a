package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// buildBinary builds attnlab once per test binary run.
func buildBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "attnlab-bin")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "attnlab")
		out, err := exec.Command("go", "build", "-tags", buildTags, "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = err
			t.Logf("%s", out)
		}
	})
	if binErr != nil {
		t.Fatalf("go build: %v", binErr)
	}
	return binPath
}

// TestBadCommandLines runs the built binary on bad input: each must exit
// with the given status and exactly one line on stderr, with no Go panic or
// stack trace.
func TestBadCommandLines(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	trunc := filepath.Join(dir, "trunc.safetensors")
	good, _ := os.ReadFile("../../model/testdata/golden/attn_only_2l.model.safetensors")
	os.WriteFile(trunc, good[:len(good)/2], 0o644)
	garbage := filepath.Join(dir, "garbage.safetensors")
	os.WriteFile(garbage, []byte("this is not a safetensors file at all"), 0o644)
	noConfig := filepath.Join(dir, "noconfig.safetensors")
	// Header without metadata: 8-byte length + JSON + 4 bytes of data.
	hdr := `{"embed.W_E":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`
	buf := append([]byte{byte(len(hdr)), 0, 0, 0, 0, 0, 0, 0}, hdr...)
	os.WriteFile(noConfig, append(buf, 0, 0, 0, 0), 0o644)
	badDtype := filepath.Join(dir, "baddtype.safetensors")
	bd := strings.Replace(string(good), `"F32"`, `"Q99"`, 1)
	os.WriteFile(badDtype, []byte(bd), 0o644)

	cases := []struct {
		args []string
		code int
		want string // substring of the one stderr line
	}{
		{[]string{"bogus"}, 2, "unknown command"},
		{[]string{"inductoin"}, 2, "induction"},
		{[]string{"induction", "--no-such-flag"}, 2, "unknown flag"},
		{[]string{"induction", "--batch", "x"}, 2, `--batch must be an integer, got "x"`},
		{[]string{"induction", "--batch", "1"}, 2, "--batch"},
		{[]string{"induction", "--seq-len", "-3"}, 2, "--seq-len"},
		{[]string{"induction", "--seq-len", "1000"}, 2, "seq-len"},
		{[]string{"induction", "--threshold", "2"}, 2, "--threshold"},
		{[]string{"induction", "--error-measure", "max"}, 2, "--error-measure"},
		{[]string{"induction", "extra-arg"}, 2, "unknown command"},
		{[]string{"induction", "--format", "gif"}, 2, "--format"},
		{[]string{"retrieval", "--format", "bmp"}, 2, "--format"},
		{[]string{"induction", "--model", filepath.Join(dir, "missing.safetensors")}, 1, "no such file"},
		{[]string{"induction", "--model", trunc}, 1, "safetensors"},
		{[]string{"induction", "--model", garbage}, 1, "safetensors"},
		{[]string{"induction", "--model", noConfig}, 1, "--config"},
		{[]string{"induction", "--model", badDtype}, 1, "Q99"},
		{[]string{"induction", "--config", "x.json"}, 2, "--config needs --model"},
		{[]string{"induction", "--model", "embedded:nope"}, 1, "no embedded model"},
		{[]string{"inspect"}, 2, "accepts 1 arg"},
		{[]string{"inspect", trunc}, 1, "safetensors"},
		{[]string{"train", "--task", "sorting"}, 2, "--task"},
		{[]string{"train", "--steps", "0"}, 2, "--steps"},
		{[]string{"train", "--lr", "-1"}, 2, "--lr"},
		{[]string{"train", "--batch", "8", "--units", "9"}, 2, "--units must be between 1 and --batch (8), got 9"},
		{[]string{"train", "--units", "0"}, 2, "--units must be between 1"},
		{[]string{"train", "--norm", "RMS", "--steps", "1"}, 2, "normalization_type"},
		{[]string{"train", "--pos", "alibi", "--steps", "1"}, 2, "positional_embedding_type"},
		{[]string{"train", "--attn", "flash", "--steps", "1"}, 2, "unknown attention kind"},
		{[]string{"train", "--d-model", "30", "--heads", "4", "--steps", "1"}, 2, "multiple of --heads"},
		{[]string{"train", "--track", "sinkz", "--steps", "1"}, 2, "--track"},
		{[]string{"train", "--task", "text", "--bos", "256", "--steps", "1"}, 2, "--bos"},
		{[]string{"train", "--task", "text", "--bos", "x", "--steps", "1"}, 2, "--bos"},
		{[]string{"train", "--task", "induction", "--bos", "3", "--steps", "1"}, 2, "--task text"},
		{[]string{"train", "--task", "text", "--bos", "3", "--sink-token", "--steps", "1"}, 2, "--sink-token"},
		{[]string{"train", "--beta2", "1", "--steps", "1"}, 2, "--beta2"},
		{[]string{"train", "--beta1", "NaN", "--steps", "1"}, 2, "--beta1"},
		{[]string{"train", "--resume", filepath.Join(dir, "none.safetensors")}, 1, "no such file"},
		{[]string{"run"}, 2, "exactly one of"},
		{[]string{"run", "--tokens", "1 2 x"}, 2, "--tokens"},
		{[]string{"run", "--tokens", "1 2 9999"}, 2, "outside the vocabulary"},
		{[]string{"run", "--tokens", "1 2 3", "--hooks", "blocks.9.hook_nothing"}, 2, "no hook point"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			cmd := exec.Command(bin, c.args...)
			cmd.Dir = dir
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimRight(stderr.String(), "\n"), "\n")
			if code != c.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, c.code, stderr.String())
			}
			if len(lines) != 1 || !strings.HasPrefix(lines[0], "attnlab: ") {
				t.Errorf("want one line starting 'attnlab: ' on stderr, got %q", stderr.String())
			}
			if !strings.Contains(stderr.String(), c.want) {
				t.Errorf("stderr %q does not mention %q", stderr.String(), c.want)
			}
			for _, bad := range []string{"panic", "goroutine ", ".go:"} {
				if strings.Contains(stderr.String(), bad) {
					t.Errorf("stderr shows %q: %s", bad, stderr.String())
				}
			}
		})
	}
}

// runCLI runs one attnlab command line in process (the arguments after
// "attnlab") and returns what it printed and its exit status: the one way
// command tests run a command.
func runCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return o.String(), e.String(), code
}

// runLine is runCLI on a command line split at spaces.
func runLine(t *testing.T, line string) (code int, stdout, stderr string) {
	t.Helper()
	stdout, stderr, code = runCLI(t, strings.Fields(line)...)
	return code, stdout, stderr
}
