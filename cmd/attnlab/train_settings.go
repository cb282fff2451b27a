package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/attnlab/attnlab/internal/cli"
	"github.com/attnlab/attnlab/studies/trainrun"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// The settings of a train run that its command line does not type: the
// task's defaults, and on a resume the settings of the run it continues.

// applyTaskDefaults sets the task's defaults for the flags of cmd not given.
func applyTaskDefaults(o *trainOpts, cmd *cobra.Command) error {
	if cmd.Flags().Changed("max-shift") {
		o.r.Task.MaxShift = &o.maxShift
	}
	defaults, seqLen := trainrun.TaskDefaults(o.r.Task.Task, o.r.Task.KVPairs, o.r.Task.SeqLen)
	o.r.Task.SeqLen = seqLen
	for name, v := range defaults {
		if !cmd.Flags().Changed(name) {
			if err := cmd.Flags().Set(name, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// resumeFlags are the flags a resume may set freely: where and how it
// writes, not what it computes, and --track (the tracker; its schedule,
// --every, is the run's evaluations').
var resumeFlags = []string{"resume", "out", "checkpoint", "quiet", "json", "track", "memory-limit"}

// resumeSettings rebuilds the settings of the run a checkpoint continues.
// A resume takes every setting from the checkpoint: the command line that
// started the run (recorded in the checkpoint) is parsed with this
// command's own flags, with the same task defaults, so the task, its
// generator and the recipe are the run's. A flag given explicitly on the
// resume command line must agree with the checkpoint; one that contradicts
// it is named in the error, never silently ignored.
func resumeSettings(e *env, o *trainOpts, cmd *cobra.Command) (*trainOpts, error) {
	args, err := trainrun.RecordedCommand(o.r.Resume)
	if err != nil {
		return nil, err
	}
	ro := &trainOpts{}
	rc := newTrainCmdWith(e, ro)
	if err := rc.ParseFlags(args[2:]); err != nil {
		return nil, fmt.Errorf("%s records the command line %q, which does not parse: %v", o.r.Resume, strings.Join(args, " "), err)
	}
	if err := applyTaskDefaults(ro, rc); err != nil {
		return nil, err
	}
	// --steps may change a run whose learning rate does not depend on the
	// step count: its first k steps are the same for any count ≥ k, so the
	// model at the new count is the one the recorded command line with that
	// count trains from scratch, and that line is recorded.
	if f := cmd.Flags().Lookup("steps"); f.Changed && f.Value.String() != rc.Flags().Lookup("steps").Value.String() {
		t := &ro.r.Train
		// The warmup must not follow the step count either (its default does).
		if t.MinLR != t.LR || !rc.Flags().Changed("warmup") {
			return nil, cli.Usagef("--steps %s: the checkpoint's run has %s steps and a learning rate that depends on them; a resume can stop a run earlier or take it further only when its command line sets --warmup and a constant rate (--min-lr equal to --lr)",
				f.Value, rc.Flags().Lookup("steps").Value)
		}
		t.Steps = o.r.Train.Steps
		args = cli.SetFlag(args, "--steps", f.Value.String())
	}
	var conflicts []string
	cmd.Flags().Visit(func(f *pflag.Flag) {
		if slices.Contains(resumeFlags, f.Name) || f.Name == "steps" {
			return
		}
		if was := rc.Flags().Lookup(f.Name); was != nil && was.Value.String() != f.Value.String() {
			conflicts = append(conflicts, fmt.Sprintf("--%s %s (the checkpoint's run has %s)", f.Name, f.Value, was.Value))
		}
	})
	if len(conflicts) > 0 {
		return nil, cli.Usagef("a resume takes every setting from the checkpoint, and %s contradicts it: drop it", strings.Join(conflicts, ", "))
	}
	ro.r.Resume, ro.r.Out, ro.r.Train.CheckpointPath, ro.r.Train.Quiet, ro.jsonOut = o.r.Resume, o.r.Out, o.r.Train.CheckpointPath, o.r.Train.Quiet, o.jsonOut
	ro.recorded = args
	// The run's tracker goes on (its history is in the checkpoint) unless
	// the resume names another, or none with --track "".
	if cmd.Flags().Changed("track") {
		ro.r.Track = o.r.Track
	}
	if ro.r.Train.CheckpointPath == "" {
		ro.r.Train.CheckpointPath = o.r.Resume // continue writing the checkpoint it resumes
	}
	return ro, nil
}
