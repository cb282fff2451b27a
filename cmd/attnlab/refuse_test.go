package main

// Hostile inputs (issue 9): every row is a command line a user or a script
// could run on bad input. Each must end with its exit status, exactly one
// line on stderr (the one given), no Go panic or stack trace, in bounded
// time and memory, and without leaving a file behind. The rows marked
// readme are the "What it refuses" table of README.md, which
// TestRefusalsTable checks (go test ./cmd/attnlab -run RefusalsTable
// -update-readme rewrites it).
//
// Bounds: at most 5 s of CPU time (user + system) and 512 MiB of peak
// resident memory per run, and a 60 s wall-clock limit that catches hangs
// (a named pipe opened for reading blocks forever). CPU time rather than
// wall time is the 5 s bound because CI machines are shared: wall time
// measures the neighbours. The memory limit of the runs is fixed at 8 GiB
// (ATTNLAB_MEMORY_LIMIT) so that the messages do not depend on the machine.

import (
	"bytes"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/attnlab/attnlab/fixtures"
	"github.com/attnlab/attnlab/safetensors"
)

var updateReadme = flag.Bool("update-readme", false, "rewrite README.md's \"What it refuses\" table from the hostile-input cases")

// hostileCase is one row of the table.
type hostileCase struct {
	input  string   // what the user did, for the README ("" for a row not in it)
	args   []string // the command line after "attnlab"; {dir} is the case's folder
	setup  func(t *testing.T, dir string)
	code   int
	want   string // the stderr line after "attnlab: "; {dir}/ stands for the case's folder; a final … matches any rest
	readme bool
}

var hostileCases = []hostileCase{
	// 1. Special files and unbounded reads.
	{input: "a device as the model", args: []string{"inspect", "/dev/zero"}, code: 1,
		want: "safetensors: /dev/zero is a device, not a regular file", readme: true},
	{input: "a named pipe as the model", args: []string{"induction", "--model", "{dir}/fifo", "--out", "{dir}/out"}, setup: mkfifo("fifo"), code: 1,
		want: "safetensors: {dir}/fifo is a named pipe (FIFO), not a regular file", readme: true},
	{input: "a device as the config", args: []string{"inspect", "{dir}/good.safetensors", "--config", "/dev/zero"},
		setup: func(t *testing.T, d string) { writeGood(t, d) }, code: 1,
		want: "model: reading config: /dev/zero is a device, not a regular file", readme: true},
	{input: "a device as the tokens file", args: []string{"run", "--tokens-file", "/dev/zero"}, code: 1,
		want: "/dev/zero is a device, not a regular file"},
	{input: "a device as a shard", args: []string{"merge", "/dev/zero", "--out", "{dir}/m.csv"}, code: 1,
		want: "/dev/zero is a device, not a regular file"},
	{input: "a 3 GB weights file claiming 1,000,000 layers", args: []string{"inspect", "{dir}/big.safetensors"}, setup: sparseBig, code: 1,
		want: "{dir}/big.safetensors: config: n_layers = 1000000 is more than attnlab supports (64)", readme: true},

	// 3. Sizes bounded before allocating (the memory limit is 8 GiB here).
	{input: "a batch of 10⁸ sequences", args: []string{"induction", "--batch", "100000000", "--out", "{dir}/out"}, code: 2,
		want: "induction: an induction batch of 100000000 sequences × 101 positions needs an estimated 168.9 TiB of memory, more than the limit of 8.0 GiB (set by ATTNLAB_MEMORY_LIMIT=8GiB)", readme: true},
	{args: []string{"train", "--batch", "100000000", "--units", "1", "--out", "{dir}/m.safetensors"}, code: 2,
		want: "train: training with batches of 100000000 sequences × 128 positions (2 layers, d_model 64, 4 heads × 16, d_vocab 64, n_ctx 128, attention-only, LN, rotary positions) needs an estimated 172.8 TiB of memory, more than the limit of 8.0 GiB (set by ATTNLAB_MEMORY_LIMIT=8GiB)"},
	{input: "a context of 65,536 with a pattern kept per head", args: []string{"train", "--n-ctx", "65536", "--seq-len", "65536", "--batch", "2", "--attn", "learned-sink", "--out", "{dir}/m.safetensors"}, code: 2,
		want: "train: training with batches of 2 sequences × 65536 positions (2 layers, d_model 64, 4 heads × 16, d_vocab 64, n_ctx 65536, attention-only, LN, rotary positions) needs an estimated 361.3 GiB of memory, more than the limit of 8.0 GiB (set by ATTNLAB_MEMORY_LIMIT=8GiB)"},
	{input: "a model of 4·10¹⁰ parameters", args: []string{"train", "--task", "text", "--d-model", "65536", "--heads", "1", "--vocab", "65536", "--out", "{dir}/m.safetensors"}, code: 2,
		want: "model: a model of 42959044608 parameters (2 layers, d_model 65536, 1 heads × 65536, d_vocab 65536, n_ctx 128, attention-only, LN, standard positions) needs an estimated 200.1 GiB of memory, more than the limit of 8.0 GiB (set by ATTNLAB_MEMORY_LIMIT=8GiB)", readme: true},
	{args: []string{"sink-analysis", "--batch", "100000000", "--out", "{dir}/out"}, code: 2,
		want: "sinks: a batch of 100000000 held-out windows of 256 tokens needs an estimated 476.9 GiB of memory, more than the limit of 8.0 GiB (set by ATTNLAB_MEMORY_LIMIT=8GiB)"},
	{args: []string{"retrieval", "--parts", "scaling", "--scaling-n", "256,100000000", "--out", "{dir}/out"}, code: 2,
		want: "probes: timing attention at N = 100000000 needs an estimated 44.4 PiB of memory, more than the limit of 8.0 GiB (set by ATTNLAB_MEMORY_LIMIT=8GiB)"},
	{args: []string{"retrieval", "--parts", "analytic", "--dims", "100000", "--out", "{dir}/out"}, code: 2,
		want: "probes: the analytic probe at d = 100000 needs an estimated …"},

	// 5. Integer overflow.
	{input: "4.6·10¹⁸ training steps", args: []string{"retrieval", "--parts", "mqar", "--kinds", "softmax", "--d-models", "32", "--kv-pairs", "4", "--seeds", "4", "--steps", "4611686018427387904", "--out", "{dir}/out"}, code: 2,
		want: "mqar: 4611686018427387904 steps per cell × 4 cells × 2048 tokens per step overflow a 64-bit count", readme: true},
	{args: []string{"sink-analysis", "--streaming", "--streams", "4611686018427387904", "--stream-len", "4", "--out", "{dir}/out"}, code: 2,
		want: "--streams 4611686018427387904 × --stream-len 4 need more held-out text than the corpus has (…"},
	{args: []string{"train", "--batch", "4611686018427387904", "--units", "1", "--steps", "1", "--out", "{dir}/m.safetensors"}, code: 2,
		want: "train: 1 steps of 4611686018427387904×128 tokens overflow a 64-bit token count"},

	// 7-9. Weights files that are well-formed but wrong.
	{input: "rotary_base ≤ 0 in the config", args: []string{"inspect", "{dir}/rb.safetensors"},
		setup: rewriteModel("rb.safetensors", func(ts []safetensors.WriteTensor, md map[string]string) ([]byte, error) {
			md["config"] = strings.Replace(md["config"], `"rotary_base":10000`, `"rotary_base":-1`, 1)
			return encode(ts, md)
		}), code: 1,
		want: "{dir}/rb.safetensors: config: rotary_base must be a finite number greater than 1 (TransformerLens's default is 10000), got -1", readme: true},
	{input: "integer weights (I32 W_Q)", args: []string{"inspect", "{dir}/i32.safetensors"},
		setup: rewriteModel("i32.safetensors", func(ts []safetensors.WriteTensor, md map[string]string) ([]byte, error) {
			b, err := encode(ts, md)
			return withHeader(b, func(h map[string]any) { h["blocks.0.attn.W_Q"].(map[string]any)["dtype"] = "I32" }), err
		}), code: 1,
		want: `{dir}/i32.safetensors: model: tensor "blocks.0.attn.W_Q" has dtype I32; parameters must be F32, F16, BF16 or F64`, readme: true},
	{input: "bytes after the last tensor", args: []string{"inspect", "{dir}/tail.safetensors"},
		setup: rewriteModel("tail.safetensors", func(ts []safetensors.WriteTensor, md map[string]string) ([]byte, error) {
			b, err := encode(ts, md)
			return append(b, "PK\x03\x04 a polyglot"...), err
		}), code: 1,
		want: `safetensors: {dir}/tail.safetensors: bytes 100608 to 100623 of the data buffer, after the last tensor "unembed.b_U", belong to no tensor; the buffer must be fully indexed, without trailing bytes`, readme: true},

	// 10. Validation before any work: each is refused before anything is
	// trained, loaded or written.
	{input: "an empty output path", args: []string{"train", "--out", ""}, code: 2,
		want: `--out: "" is an empty path, not a file name`, readme: true},
	{input: "an output path that is a folder", args: []string{"train", "--out", "{dir}"}, code: 2,
		want: "--out: {dir} is a folder; only a regular file is ever replaced", readme: true},
	{args: []string{"train", "--clip", "NaN", "--out", "{dir}/m.safetensors"}, code: 2, want: "--clip must be a number ≥ 0 (0 disables clipping), got NaN"},
	{input: "a learning rate of Inf", args: []string{"train", "--lr", "Inf", "--out", "{dir}/m.safetensors"}, code: 2, want: "--lr must be a positive number, got +Inf", readme: true},
	{args: []string{"train", "--wd", "NaN", "--out", "{dir}/m.safetensors"}, code: 2, want: "--wd must be a number ≥ 0, got NaN"},
	{args: []string{"train", "--min-lr", "NaN", "--out", "{dir}/m.safetensors"}, code: 2, want: "--min-lr must be a number between 0 and --lr (0.003), got NaN"},
	{args: []string{"train", "--vocab", "-5", "--out", "{dir}/m.safetensors"}, code: 2, want: "--vocab must be 0 (the default) or positive, got -5"},
	{args: []string{"train", "--warmup", "-5", "--out", "{dir}/m.safetensors"}, code: 2, want: "--warmup must be 0 (the default) or positive, got -5"},
	{args: []string{"train", "--checkpoint-every", "-3", "--out", "{dir}/m.safetensors"}, code: 2, want: "--checkpoint-every must be 0 (the default) or positive, got -3"},
	{args: []string{"sink-analysis", "--streaming", "--windows", "2,3", "--out", "{dir}/out"}, code: 2,
		want: `--windows must list cache sizes between 5 (four sinks and a recent token) and n_ctx (256), got "2"`},
	{input: "a Gu length longer than the windows", args: []string{"sink-analysis", "--seq-len", "32", "--gu-len", "64", "--out", "{dir}/out"}, code: 2,
		want: "--gu-len must be between 1 and --seq-len (32), got 64", readme: true},
	{input: "a slope from one length", args: []string{"retrieval", "--parts", "scaling", "--scaling-n", "8", "--out", "{dir}/out"}, code: 2,
		want: `--scaling-n must list at least two different lengths to fit a slope, got "8"`},
	// A value given twice in a list flag (any of them: one parser,
	// internal/list) would be computed twice; ring --layout zigzag,zigzag
	// was an index panic.
	{input: "a list that repeats a value", args: []string{"sink-analysis", "--streaming", "--windows", "32,32", "--out", "{dir}/out"}, code: 2,
		want: `--windows lists 32 twice ("32,32"): give each value once`, readme: true},
	{args: []string{"bench", "--train-step", "--cores", "1,1", "--out", "{dir}/out"}, code: 2, want: `--cores lists 1 twice ("1,1"): give each value once`},
	// sparse --train's model folder is checked before the first of five
	// trainings (it was "mkdir /dev/full: not a directory", exit 1).
	{args: []string{"sparse", "--train", "--train-dir", "/dev/full", "--out", "{dir}/out"}, code: 2, want: "--train-dir /dev/full exists and is not a folder"},
	{args: []string{"ring", "--rank", "0", "--peers", "a:1,,b:2", "--out", "{dir}/out"}, code: 2, want: `--peers has an empty address in "a:1,,b:2": list every host's host:port`},
	{args: []string{"ring", "--overlap-blocks", "0", "--out", "{dir}/out"}, code: 2, want: "--overlap-blocks must list block sizes of 2…16384 tokens, got 0"},
	// An empty --bos (an unset shell variable) meant the model's own BOS.
	{args: []string{"sink-analysis", "--bos", "", "--out", "{dir}/out"}, code: 2, want: "--bos is empty: give a token id or none, or leave the flag out"},
	{args: []string{"train", "--track", " ", "--out", "{dir}/m.safetensors"}, code: 2, want: "--track is empty: give induction or sinks, or leave the flag out"},
	{args: []string{"ring", "--layout", "zigzag,zigzag", "--out", "{dir}/out"}, code: 2, want: `--layout lists zigzag twice ("zigzag,zigzag"): give each value once`},
	{args: []string{"sparse", "--mask-kinds", "window:4:d1,2,window:4:d1,2", "--out", "{dir}/out"}, code: 2,
		want: `--mask-kinds lists window:4:d1,2 twice ("window:4:d1,2,window:4:d1,2"): give each value once`},
	{args: []string{"induction", "--pattern", "L1H2,L1H2", "--out", "{dir}/out"}, code: 2, want: `--pattern lists L1H2 twice ("L1H2,L1H2"): give each value once`},
	{args: []string{"s2a", "--rates", "0,0.0", "--out", "{dir}/out"}, code: 2, want: `--rates lists 0 twice ("0,0.0"): give each value once`},
	{args: []string{"retrieval", "--parts", "analytic", "--maps", "elu,elu", "--out", "{dir}/out"}, code: 2, want: `--maps lists elu twice ("elu,elu"): give each value once`},
	{input: "a config for an embedded model", args: []string{"induction", "--model", "embedded:induction-2l", "--config", "{dir}/c.json", "--out", "{dir}/out"},
		setup: func(t *testing.T, d string) { os.WriteFile(filepath.Join(d, "c.json"), []byte("{}"), 0o644) }, code: 2,
		want: "--config describes a weights file; embedded:induction-2l carries its own config", readme: true},
	{args: []string{"induction", "--out", ""}, code: 2, want: "--out must name a folder, got an empty string"},
	{args: []string{"induction", "--out", "{dir}/f"}, setup: func(t *testing.T, d string) { os.WriteFile(filepath.Join(d, "f"), nil, 0o644) }, code: 2,
		want: "--out {dir}/f exists and is not a folder"},
	// An output that cannot be written is found before the work (s2a and
	// ring ran 20 s and train its whole run before failing to write).
	{input: "an output folder under a file", args: []string{"s2a", "--out", "{dir}/f/out"}, setup: func(t *testing.T, d string) { os.WriteFile(filepath.Join(d, "f"), nil, 0o644) },
		code: 2, want: "--out {dir}/f/out cannot be created: {dir}/f is a file, not a folder", readme: true},
	{args: []string{"ring", "--out", "/proc/attnlab-out"}, code: 2,
		want: "--out /proc/attnlab-out cannot be written: creating a file in /proc: no such file or directory"},
	{args: []string{"train", "--checkpoint", "{dir}/c.safetensors", "--out", "/proc/attnlab-out/m.safetensors"}, code: 2,
		want: "--out: /proc/attnlab-out/m.safetensors cannot be written: creating a file in /proc: no such file or directory"},
	{args: []string{"run", "--tokens", "1,2", "--save-cache", "/sys/attnlab.safetensors"}, code: 2,
		want: "--save-cache: /sys/attnlab.safetensors cannot be written: creating a file in /sys: permission denied"},

	// Flag values that do not parse name the flag and what it takes, not
	// the Go function that failed (strconv.ParseInt: ...).
	{args: []string{"induction", "--batch", "NaN", "--out", "{dir}/out"}, code: 2,
		want: `--batch must be an integer, got "NaN" (see 'attnlab induction --help')`},
	{args: []string{"induction", "--batch", "99999999999999999999", "--out", "{dir}/out"}, code: 2,
		want: "--batch 99999999999999999999 is out of range (it must be an integer) (see 'attnlab induction --help')"},
	{args: []string{"train", "--seed", "-1", "--out", "{dir}/m.safetensors"}, code: 2,
		want: `--seed must be a whole number ≥ 0, got "-1" (see 'attnlab train --help')`},
	{args: []string{"ring", "--idle-timeout", "5", "--out", "{dir}/out"}, code: 2,
		want: `--idle-timeout must be a duration such as 30s, 5m or 1h30m, got "5" (see 'attnlab ring --help')`},
	{args: []string{"sink-analysis", "--window", "-1", "--out", "{dir}/out"}, code: 2,
		want: "--window must be positive (0: n_ctx), got -1"},

	// retrieval: grid sizes are bounded before the grid is built, the
	// held-out set before it is drawn, and a list has no empty entry.
	{input: "10⁸ seeds per MQAR cell", args: []string{"retrieval", "--parts", "mqar", "--seeds", "100000000", "--out", "{dir}/out"}, code: 2,
		want: "--seeds 100000000 makes a grid of more than the 65536 cells one run can hold (18 cells per seed)", readme: true},
	{args: []string{"retrieval", "--parts", "mqar", "--eval-seqs", "100000000", "--out", "{dir}/out"}, code: 2,
		want: "mqar: 100000000 held-out sequences of 64 tokens per cell needs an estimated 89.5 GiB of memory, more than the limit of 8.0 GiB (set by ATTNLAB_MEMORY_LIMIT=8GiB)"},
	{args: []string{"retrieval", "--eval-only", "--model", "embedded:mqar-softmax-d32-kv4", "--eval-seqs", "100000000", "--out", "{dir}/out"}, code: 2,
		want: "probes: 100000000 held-out MQAR sequences of 64 tokens needs an estimated 89.5 GiB of memory, more than the limit of 8.0 GiB (set by ATTNLAB_MEMORY_LIMIT=8GiB)"},
	{args: []string{"retrieval", "--eval-only", "--model", "embedded:mqar-softmax-d32-kv4", "--eval-seqs", "-5", "--out", "{dir}/out"}, code: 2,
		want: "--eval-seqs must be positive, got -5"},
	{args: []string{"retrieval", "--parts", "mqar", "--kinds", ",,", "--out", "{dir}/out"}, code: 2,
		want: `--kinds: model: ",," has an empty attention kind; list kinds such as softmax,linear:elu`},
	{args: []string{"retrieval", "--parts", "mqar", "--kv-pairs", "100", "--out", "{dir}/out"}, code: 2,
		want: "tasks: mqar with 100 key-value pairs needs a vocabulary of at least 2·100+2 = 202 tokens (distinct keys and values), but it has 128"},
	{args: []string{"train", "--attn", "", "--out", "{dir}/m.safetensors"}, code: 2,
		want: `--attn: model: "" has an empty attention kind; list kinds such as softmax,linear:elu`},

	// train: task settings name their flags, and are bounded before the
	// first batch (--max-gap 1e8 drew 10⁹ random numbers per step and
	// ignored SIGTERM for 25 s; --layers 1e8 took 1.5 GB to refuse).
	{input: "a gap of 10⁸ filler tokens", args: []string{"train", "--max-gap", "100000000", "--out", "{dir}/m.safetensors"}, code: 2,
		want: "tasks: induction: --max-gap 100000000 is longer than any sequence attnlab supports (65536)", readme: true},
	{args: []string{"train", "--max-rep", "100000000", "--out", "{dir}/m.safetensors"}, code: 2,
		want: "tasks: induction: --max-rep (100000000) must be at most --vocab − 1 (63): a repeated segment has distinct tokens"},
	{args: []string{"train", "--layers", "100000000", "--out", "{dir}/m.safetensors"}, code: 2,
		want: "config: --layers = 100000000 is more than attnlab supports (64)"},
	{args: []string{"train", "--task", "s2a-answer", "--max-facts", "-1", "--out", "{dir}/m.safetensors"}, code: 2,
		want: "--max-facts must be 0 (the default) or positive, got -1"},
	{args: []string{"train", "--task", "s2a-answer", "--min-facts", "100000000", "--out", "{dir}/m.safetensors"}, code: 2,
		want: "tasks: distractor recall needs 1 ≤ --min-facts ≤ --max-facts, got 100000000 and 14"},

	// An empty path (an unset shell variable) is refused, not read as the
	// default model, the current folder or a fresh run.
	{input: "an empty model path", args: []string{"induction", "--model", "", "--out", "{dir}/out"}, code: 2,
		want: `--model: "" is an empty path, not a file name`, readme: true},
	{args: []string{"train", "--resume", "", "--out", "{dir}/m.safetensors"}, code: 2,
		want: `--resume: "" is an empty path, not a file name`},
	{args: []string{"sparse", "--train", "--train-dir", "", "--out", "{dir}/out"}, code: 2,
		want: `--train-dir: "" is an empty path, not a folder name`},
	{args: []string{"inspect", ""}, code: 2, want: `argument 1: "" is an empty path, not a file name`},
	{args: []string{"induction", "--format", "", "--out", "{dir}/out"}, code: 2, want: `--format must be png, svg or pdf, got ""`},
	{args: []string{"merge", "{dir}/h.csv", "", "--out", "{dir}/m.csv"}, code: 2, want: `argument 2: "" is an empty path, not a file name`},
	{args: []string{"completion", "foo"}, code: 2,
		want: `completion: unknown shell "foo": give bash, zsh, fish or powershell (see 'attnlab completion --help')`},
	{args: []string{"completion", "bash", "--out", "{dir}/x"}, code: 2, want: "unknown flag: --out (see 'attnlab completion bash --help')"},

	// An output that cannot be written is named with its cause, not by
	// the temporary file's name (/proc refuses new files even to root).
	{input: "an output folder that cannot be created", args: []string{"induction", "--no-ablation", "--batch", "2", "--out", "/proc/attnlab-x"}, code: 2,
		want: "--out /proc/attnlab-x cannot be written: creating a file in /proc: no such file or directory", readme: true},
	{args: []string{"run", "--tokens", "1,2", "--save-cache", "/proc/attnlab-c.safetensors"}, code: 2,
		want: "--save-cache: /proc/attnlab-c.safetensors cannot be written: creating a file in /proc: no such file or directory"},

	// run: a list with a hole is refused, and an error is the only line
	// (the "first token" note came first).
	{args: []string{"run", "--tokens", "1,,2"}, code: 2, want: `--tokens: an empty entry between two commas in "1,,2"`},
	{args: []string{"run", "--text", "hi"}, code: 2, want: "token 104 at position 0 is outside the vocabulary (d_vocab 64)"},

	// attnlab sparse and attnlab bench (issue 11): sizes, kinds and kernels.
	{args: []string{"sparse", "--n", "131073", "--out", "{dir}/out"}, code: 2,
		want: "--n must be between 1 and 131072 (the dense rows' time grows as N²), got 131073"},
	{args: []string{"sparse", "--n", "0", "--out", "{dir}/out"}, code: 2, want: "--n must be between 1 and 131072 (the dense rows' time grows as N²), got 0"},
	{args: []string{"sparse", "--kinds", "garbage", "--out", "{dir}/out"}, code: 2,
		want: `--kinds: attention: kind "garbage": not a sparse kind (window:… or block-sparse:…)`},
	{args: []string{"sparse", "--kinds", "", "--out", "{dir}/out"}, code: 2, want: `--kinds: attention: kind "": not a sparse kind (window:… or block-sparse:…)`},
	{args: []string{"sparse", "--out", "/dev/null"}, code: 2, want: "--out /dev/null exists and is not a folder"},
	{args: []string{"bench", "--kernels", "", "--out", "{dir}/out"}, code: 2,
		want: "--kernels is empty: name at least one of dense-naive, dense-blockwise, window, dilated, block-sparse, linear-recurrent, linear-chunked, ring"},
	{args: []string{"bench", "--kernels", "window,window", "--out", "{dir}/out"}, code: 2, want: `--kernels lists window twice ("window,window"): give each value once`},
	{args: []string{"bench", "--max-time", "0s", "--out", "{dir}/out"}, code: 2, want: "--max-time must be positive, got 0s"},
	{args: []string{"bench", "--window", "0", "--out", "{dir}/out"}, code: 2, want: "--window must be positive, got 0"},
	{args: []string{"bench", "--kernels", "flash", "--out", "{dir}/out"}, code: 2,
		want: `--kernels: unknown kernel "flash" (known: dense-naive, dense-blockwise, window, dilated, block-sparse, linear-recurrent, linear-chunked, ring)`},
	{args: []string{"bench", "--max-mem", "NaN", "--out", "{dir}/out"}, code: 2, want: "--max-mem must be between 0.001 and 1048576 GiB, got NaN"},
	{input: "a benchmark at 4·10⁶ tokens", args: []string{"bench", "--min-n", "4194304", "--max-n", "4194304", "--kernels", "window,dense-naive", "--out", "{dir}/out"}, code: 2,
		want: "every point needs more memory than --max-mem 4 GiB or more time than --max-time 5m0s: lower --max-n or raise the limits"},
	{args: []string{"bench", "--max-n", "100000000", "--out", "{dir}/out"}, code: 2,
		want: "--min-n and --max-n must satisfy 1 ≤ min ≤ max ≤ 4194304, got 256 and 100000000"},

	// 4-5. Resume: settings from the checkpoint; a state it could not
	// have written is refused before anything is written.
	{input: "a resume with a contradicting flag", args: []string{"train", "--resume", "{dir}/k.ckpt.safetensors", "--out", "{dir}/k.safetensors", "--max-gap", "10"},
		setup: checkpoint(nil), code: 2,
		want: "a resume takes every setting from the checkpoint, and --max-gap 10 (the checkpoint's run has 4) contradicts it: drop it", readme: true},
	{args: []string{"train", "--resume", "{dir}/k.ckpt.safetensors", "--out", "{dir}/k.safetensors", "--steps", "3"},
		setup: checkpoint(nil), code: 2,
		want: "--steps 3: the checkpoint's run has 6 steps and a learning rate that depends on them; a resume can stop a run earlier or take it further only when its command line sets --warmup and a constant rate (--min-lr equal to --lr)"},
	{input: "a checkpoint at step 6 with an empty log", args: []string{"train", "--resume", "{dir}/k.ckpt.safetensors", "--out", "{dir}/k.safetensors"},
		setup: checkpoint(func(st map[string]any) { st["log"] = []any{} }), code: 1,
		want: "train: {dir}/k.ckpt.safetensors: the checkpoint is at step 6 but its log has 0 entries, want one per step"},
	{input: "a checkpoint asking for 10⁸ sequences", args: []string{"train", "--resume", "{dir}/k.ckpt.safetensors", "--out", "{dir}/k.safetensors"},
		setup: checkpoint(func(st map[string]any) { st["options"].(map[string]any)["Batch"] = 100_000_000 }), code: 2,
		want: "train: training with batches of 100000000 sequences × 32 positions …"},

	// 6. Only a regular file is ever replaced: a device node (as root,
	// mknod d c 1 7) given as an output survives.
	{input: "a device node as the output", args: []string{"train", "--out", "{dir}/d"}, setup: mknodDev, code: 2,
		want: "--out: {dir}/d is a device; only a regular file is ever replaced", readme: true},
	{args: []string{"run", "--tokens", "1 2 3", "--save-cache", "{dir}/d"}, setup: mknodDev, code: 2,
		want: "--save-cache: {dir}/d is a device; only a regular file is ever replaced"},
	{args: []string{"induction", "--out", "{dir}/d"}, setup: mknodDev, code: 2, want: "--out {dir}/d exists and is not a folder"},
	{args: []string{"run", "--tokens", "1 2 3", "--save-cache", "/dev/null"}, code: 2,
		want: "--save-cache: /dev/null is a device; only a regular file is ever replaced"},

	// 12. --compare-dir: a file's name does not make it a variant.
	{input: "a sink-token model saved as the softmax variant", args: []string{"sink-analysis", "--model", "embedded:text-sink", "--compare", "--compare-dir", "{dir}/v", "--out", "{dir}/out"},
		setup: func(t *testing.T, d string) {
			m, err := fixtures.Model("text-sink")
			if err != nil {
				t.Fatal(err)
			}
			if err := m.Save(filepath.Join(d, "v", "softmax.safetensors")); err != nil {
				t.Fatal(err)
			}
		}, code: 1,
		want: "sinkvariants: {dir}/v/softmax.safetensors holds a model trained with a sink token; the softmax variant is a model trained without a sink token", readme: true},

	// 11. Exit status from the error's type, not its text.
	{input: "an empty file named like an error", args: []string{"inspect", "{dir}/invalid argument.safetensors"},
		setup: func(t *testing.T, d string) {
			os.WriteFile(filepath.Join(d, "invalid argument.safetensors"), nil, 0o644)
		}, code: 1,
		want: "safetensors: {dir}/invalid argument.safetensors: file is 0 bytes, shorter than the 8-byte header length that starts every file"},

	// 13. Merge strictness.
	{input: "a header-only shard", args: []string{"merge", "{dir}/h.csv", "--out", "{dir}/m.csv"},
		setup: func(t *testing.T, d string) {
			os.WriteFile(filepath.Join(d, "h.csv"), []byte("cell,attention,feature_map,d_model,kv_pairs,seed,layers,seq_len,accuracy,val_loss,steps,wall_time,eval_hash\n"), 0o644)
		}, code: 1, want: "mqar: {dir}/h.csv holds no cells, only a header", readme: true},
	// A damaged or missing shard is a file problem (1, as a damaged weights
	// file); the command line's own mistakes are usage (2).
	{args: []string{"merge", "{dir}/none.csv", "--out", "{dir}/m.csv"}, code: 1, want: "shard file {dir}/none.csv does not exist"},
	{input: "the same shard twice", args: []string{"merge", "{dir}/s.csv", "{dir}/s.csv", "--out", "{dir}/m.csv"}, setup: writeShard("s.csv"), code: 2,
		want: "shard file {dir}/s.csv is given twice: each shard is merged once", readme: true},
	{input: "a merge over its own shard", args: []string{"merge", "{dir}/s.csv", "--out", "{dir}/s.csv"}, setup: writeShard("s.csv"), code: 2,
		want: "--out {dir}/s.csv is the shard {dir}/s.csv: merging would overwrite it", readme: true},
	{args: []string{"merge", "{dir}/s.csv", "--out", "{dir}/s.csv/m.csv"}, setup: writeShard("s.csv"), code: 2,
		want: "--out: {dir}/s.csv/m.csv cannot be created: {dir}/s.csv is a file, not a folder"},
}

// writeShard writes a one-cell mqar.csv named name.
func writeShard(name string) func(t *testing.T, dir string) {
	return func(t *testing.T, d string) {
		os.WriteFile(filepath.Join(d, name), []byte("cell,attention,feature_map,d_model,kv_pairs,seed,layers,seq_len,accuracy,val_loss,steps,wall_time,eval_hash\n"+
			"0,softmax,,16,2,1,\"softmax,softmax\",64,0.5,1.2,5,0.3,abc\n"), 0o644)
	}
}

// TestHostileInputs runs every case on the built binary.
func TestHostileInputs(t *testing.T) {
	bin := buildBinary(t)
	for _, c := range hostileCases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if c.setup != nil {
				c.setup(t, dir)
			}
			before := listTree(t, dir)
			line, code, usage := runHostile(t, bin, dir, c.args)
			if code != c.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, c.code, line)
			}
			if want := strings.ReplaceAll(c.want, "{dir}", dir); !matchLine(line, want) {
				t.Errorf("stderr %q, want %q", line, "attnlab: "+want)
			}
			if cpu := usage.Utime.Nano() + usage.Stime.Nano(); time.Duration(cpu) > 5*time.Second {
				t.Errorf("used %v of CPU time, want at most 5 s", time.Duration(cpu))
			}
			if rss := usage.Maxrss << 10; rss > 512<<20 {
				t.Errorf("peak resident memory %d MiB, want at most 512 MiB", rss>>20)
			}
			if after := listTree(t, dir); !slices.Equal(before, after) {
				t.Errorf("the folder held %v before and %v after: a refused command must leave no file", before, after)
			}
		})
	}
}

// clipText shortens a stderr for a failure message.
func clipText(s string) string {
	if len(s) > 400 {
		return s[:400] + "…"
	}
	return s
}

// runHostile runs the binary in dir and returns its stderr (which must be
// one line), exit status and resource usage.
func runHostile(t *testing.T, bin, dir string, args []string) (string, int, *syscall.Rusage) {
	t.Helper()
	var full []string
	for _, a := range args {
		full = append(full, strings.ReplaceAll(a, "{dir}", dir))
	}
	cmd := exec.Command(bin, full...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "ATTNLAB_MEMORY_LIMIT=8GiB", "COLUMNS=100")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("still running after 60 s; stderr so far: %q", clipText(stderr.String()))
	}
	s := stderr.String()
	for _, bad := range []string{"panic", "goroutine ", ".go:", "fatal error"} {
		if strings.Contains(s, bad) {
			t.Errorf("stderr shows %q: %s", bad, clipText(s))
			break
		}
	}
	if strings.Count(s, "\n") != 1 || !strings.HasSuffix(s, "\n") {
		t.Errorf("want exactly one line on stderr, got %q", clipText(s))
	}
	return strings.TrimSuffix(s, "\n"), cmd.ProcessState.ExitCode(), cmd.ProcessState.SysUsage().(*syscall.Rusage)
}

// matchLine compares a stderr line with "attnlab: "+want, where a final …
// in want matches any rest.
func matchLine(line, want string) bool {
	if p, ok := strings.CutSuffix(want, "…"); ok {
		return strings.HasPrefix(line, "attnlab: "+p)
	}
	return line == "attnlab: "+want
}

// listTree lists every path under dir, with its kind.
func listTree(t *testing.T, dir string) []string {
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && p != dir {
			out = append(out, fmt.Sprintf("%s %v", strings.TrimPrefix(p, dir+"/"), d.Type()))
		}
		return nil
	})
	return out
}

// refusalsTable renders the README rows.
func refusalsTable() string {
	var b strings.Builder
	b.WriteString("| input | command | message (after `attnlab: `) | exit |\n| --- | --- | --- | --- |\n")
	for _, c := range hostileCases {
		if !c.readme {
			continue
		}
		var words []string
		for _, a := range c.args {
			a = strings.ReplaceAll(strings.ReplaceAll(a, "{dir}/", ""), "{dir}", ".")
			if a == "" || strings.ContainsAny(a, " '\"") {
				a = "'" + a + "'"
			}
			words = append(words, a)
		}
		args := strings.Join(words, " ")
		msg := strings.ReplaceAll(strings.ReplaceAll(strings.TrimSuffix(c.want, "…"), "{dir}/", ""), "{dir}", ".")
		if strings.HasSuffix(c.want, "…") {
			msg += " …"
		}
		fmt.Fprintf(&b, "| %s | `attnlab %s` | %s | %d |\n", c.input, args, strings.ReplaceAll(msg, "|", `\|`), c.code)
	}
	return b.String()
}

const refusalsBegin, refusalsEnd = "<!-- refusals: generated by go test ./cmd/attnlab -run RefusalsTable -update-readme -->\n", "<!-- refusals end -->\n"

// TestRefusalsTable: README.md's "What it refuses" table is the readme
// rows of hostileCases.
func TestRefusalsTable(t *testing.T) {
	path := "../../README.md"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i, j := strings.Index(s, refusalsBegin), strings.Index(s, refusalsEnd)
	if i < 0 || j < i {
		t.Fatalf("README.md has no %q ... %q section", refusalsBegin, refusalsEnd)
	}
	want := refusalsTable()
	if got := s[i+len(refusalsBegin) : j]; got != want {
		if *updateReadme {
			if err := os.WriteFile(path, []byte(s[:i+len(refusalsBegin)]+want+s[j:]), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("README.md's refusals table is stale; run go test ./cmd/attnlab -run RefusalsTable -update-readme\ngot:\n%s\nwant:\n%s", got, want)
	}
}
