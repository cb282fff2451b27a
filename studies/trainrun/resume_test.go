package trainrun

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/attnlab/attnlab/report"
)

// stopAt is a progress writer that cancels a run once it reports step.
type stopAt struct {
	step   int
	cancel context.CancelFunc
}

func (s stopAt) Write(p []byte) (int, error) {
	if bytes.Contains(p, fmt.Appendf(nil, "step %d/", s.step)) {
		s.cancel()
	}
	return len(p), nil
}

// differ reports that the outputs got and want (outputs) of two runs
// differ, showing the CSV files' text.
func differ(t *testing.T, what string, got, want map[string][]byte) {
	t.Helper()
	if len(got) != len(want) || len(want) < 4 {
		t.Errorf("%s: %d files, want %d", what, len(got), len(want))
	}
	for name, b := range want {
		switch {
		case bytes.Equal(got[name], b):
		case strings.HasSuffix(name, ".csv"):
			t.Errorf("%s: %s differs:\n%s\nwant\n%s", what, name, got[name], b)
		default:
			t.Errorf("%s: %s differs", what, name)
		}
	}
}

// outputs are the bytes of the files a run's results write, by name: every
// table as CSV but the loss curve's and the summary's (they hold wall
// times), every figure as PNG.
func outputs(t *testing.T, r report.Results) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	for _, tb := range r.Tables {
		if tb.Name == "loss" || tb.Name == "train_summary" {
			continue
		}
		var b bytes.Buffer
		if err := tb.WriteCSV(&b); err != nil {
			t.Fatal(err)
		}
		files[tb.Name+".csv"] = b.Bytes()
	}
	for _, f := range r.Figures {
		var b bytes.Buffer
		if err := f.Fig.Render(&b, "png"); err != nil {
			t.Fatal(err)
		}
		files[f.Name] = b.Bytes()
	}
	return files
}

// tracked is a 12-step run of the induction task measured by the tracker
// of kind every 2 steps, in a folder of its own.
func tracked(t *testing.T, kind string) Options {
	o := tiny(t, "induction")
	o.Train.Steps, o.Train.CheckpointEvery, o.Track, o.TrackEvery = 12, 4, kind, 2
	return o
}

// stopped runs o until it has taken step steps, as Ctrl-C would stop it.
func stopped(t *testing.T, o Options, step int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o.Train.Progress = stopAt{step, cancel}
	r, err := Run(ctx, o)
	var intr *Interrupted
	if !errors.As(err, &intr) || intr.Step != step {
		t.Fatalf("stopping at step %d: %v", step, err)
	}
	if o.Track != "" && len(r.Figures) < 2 {
		t.Errorf("the interrupted run's results lack the tracker's figures: %d figures", len(r.Figures))
	}
}

// TestResumedTrackingIsTheRunsTracking: a run stopped at step 5 (between
// two measurements and two checkpoints) and resumed from its checkpoint
// writes the tracker's tables and figures of the run that never stopped,
// byte for byte: the checkpoint carries the tracker's history.
func TestResumedTrackingIsTheRunsTracking(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"sinks", "induction"} {
		full, err := Run(context.Background(), tracked(t, kind))
		if err != nil {
			t.Fatal(err)
		}
		want := outputs(t, full)
		o := tracked(t, kind)
		stopped(t, o, 5)
		o.Resume = o.Train.CheckpointPath
		var warned []string
		o.Warn = func(format string, args ...any) { warned = append(warned, fmt.Sprintf(format, args...)) }
		got, err := Run(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		if len(warned) > 0 {
			t.Errorf("%s: the resume warned %q", kind, warned)
		}
		differ(t, kind+", the resumed run against the uninterrupted one", outputs(t, got), want)
	}
}

// TestResumeWithoutTrackerHistory: a checkpoint that holds no history of
// the resumed run's tracker (one written before checkpoints kept it, which
// is one without a tracker, or another tracker's) still resumes; the
// tracking starts at the checkpoint's step, and the resume says so.
func TestResumeWithoutTrackerHistory(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ was, want string }{
		{"", "the checkpoint holds no tracker history"},
		{"induction", "the checkpoint holds the induction tracker's history, not the sinks tracker's"},
	} {
		o := tracked(t, c.was)
		stopped(t, o, 5)
		o.Resume, o.Track = o.Train.CheckpointPath, "sinks"
		var warned []string
		o.Warn = func(format string, args ...any) { warned = append(warned, fmt.Sprintf(format, args...)) }
		r, err := Run(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		if len(warned) != 1 || !strings.Contains(warned[0], c.want) || !strings.HasSuffix(warned[0], "the sinks tracking starts at step 5") {
			t.Errorf("resuming a checkpoint of a run tracked by %q: warned %q, want one line saying %q", c.was, warned, c.want)
		}
		var steps []string
		for _, tb := range r.Tables {
			if tb.Name == "sink_tracking" {
				for _, row := range tb.Rows {
					steps = append(steps, fmt.Sprint(row[0]))
				}
			}
		}
		// 2 heads measured at steps 6, 8, 10 and 12.
		if got := strings.Join(steps, " "); got != "6 6 8 8 10 10 12 12" {
			t.Errorf("resuming a checkpoint of a run tracked by %q: sink_tracking.csv has steps %s, want 6 to 12", c.was, got)
		}
	}
}

// TestRetargetedTrackingIsTheLongerRuns: a run with a constant learning
// rate taken past its last step (6 steps, measured at 4 and 6, resumed to
// 12) writes the tracker's tables and figures and the validation losses of
// the 12-step run (measured at 4, 8 and 12): the evaluation at step 6 was
// the shorter run's alone.
func TestRetargetedTrackingIsTheLongerRuns(t *testing.T) {
	t.Parallel()
	constant := func(steps int) Options {
		o := tracked(t, "sinks")
		o.Train.Steps, o.Train.MinLR, o.Train.Warmup, o.TrackEvery = steps, o.Train.LR, 2, 4
		return o
	}
	full, err := Run(context.Background(), constant(12))
	if err != nil {
		t.Fatal(err)
	}
	o := constant(6)
	if _, err := Run(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	o.Resume, o.Train.Steps = o.Train.CheckpointPath, 12
	got, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	differ(t, "the 6-step run resumed to 12 against the 12-step run", outputs(t, got), outputs(t, full))
	valLoss := func(r report.Results) []any {
		var v []any
		for _, row := range r.Tables[0].Rows {
			v = append(v, row[r.Tables[0].Column("val_loss")])
		}
		return v
	}
	if a, b := fmt.Sprint(valLoss(got)), fmt.Sprint(valLoss(full)); a != b {
		t.Errorf("the retargeted run's validation losses %s, want the 12-step run's %s", a, b)
	}
}
