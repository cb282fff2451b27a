package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/attnlab/attnlab/attention/ring"
	"github.com/attnlab/attnlab/internal/cli"
	"github.com/attnlab/attnlab/internal/list"
	"github.com/attnlab/attnlab/ringlab"
	"github.com/spf13/cobra"
)

type ringOpts struct {
	outFlags
	opt                    ringlab.Options // N, E, Check and the sweeps' sizes, from the flags
	hosts                  int
	layouts, overlapBlocks string
	noBackward, noSweeps   bool
	launch                 ringlab.Launch
	launched               bool // a worker started by --procs
}

func newRingCmd(e *env) *cobra.Command {
	o := &ringOpts{}
	c := &cobra.Command{
		Use:   "ring",
		Short: "Ring Attention across hosts: exact, load-balanced layouts, in-process or over TCP, overlap of transfer and compute",
		Long: `Run exact causal attention of one head over N positions on P hosts in a ring (Liu,
Zaharia and Abbeel 2023): each host holds a block of queries, keys and values; the
key/value blocks travel round the ring while every host computes against the block it
holds (blockwise kernel, log-sum-exp merge), sending it on during the computation. The
backward pass sends each block round again with its dK/dV accumulator.

For each layout (contiguous, zigzag, stripe) it reports every host's work — block
pairs computed and skipped, visible query–key pairs, compute, communication and idle
time, bytes sent, memory — the imbalance, a timeline, and sampled rows checked
against a float64 reference. Then two sweeps: the error of every output and gradient
against the float64 dense reference for 1…16 hosts, and the overlap condition
(transfer hidden behind compute as the block size varies, predicted from the measured
FLOP rate and loopback latency and bandwidth), with a what-if table for real
accelerators and interconnects.

Hosts are goroutines by default. --procs P runs them as P processes joined by TCP on
loopback (and checks the result against an in-process run, bit for bit). On a cluster,
start one worker per machine: --rank r --peers host:port,… or, under srun, --slurm
(rank, size and hosts from the job step; port --port plus the task's index on its
node). Host 0 writes the results. A worker that dies or never connects stops every
other within --idle-timeout (at once if its process dies) or --connect-timeout; with
--procs, workers still running --grace after the first failure are interrupted.`,
		Example: `  attnlab ring                                    # 8 in-process hosts, N = 8192, all layouts, sweeps
  attnlab ring --procs 4 --n 4096 --no-sweeps     # 4 processes over loopback TCP
  attnlab ring --n 131072 --hosts 8 --layout zigzag --no-sweeps   # long context on one machine
  srun -N 4 attnlab ring --slurm --n 1048576 --no-sweeps          # one host per node`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runRing(e, o, cmd) },
	}
	o.outFlags.add(c, "attnlab-out/ring")
	f := c.Flags()
	f.IntVar(&o.opt.N, "n", 8192, "sequence length N of the hosts run")
	f.IntVar(&o.hosts, "hosts", 8, "hosts P in the ring (in-process)")
	f.IntVar(&o.opt.E, "d-head", 64, "d_head E")
	f.StringVar(&o.layouts, "layout", "all", "layouts: all, or a comma list of contiguous, zigzag, stripe")
	f.BoolVar(&o.noBackward, "no-backward", false, "forward pass only")
	f.IntVar(&o.opt.Check, "check", 4, "query rows per host checked against the float64 reference (0: none)")
	f.BoolVar(&o.noSweeps, "no-sweeps", false, "skip the error and overlap sweeps")
	f.IntVar(&o.opt.ErrorN, "error-n", 2048, "error sweep: sequence length")
	f.IntVar(&o.opt.ErrorMaxP, "error-max-hosts", 16, "error sweep: rings of 1…this many hosts (0: skip)")
	f.IntVar(&o.opt.OverlapP, "overlap-hosts", 2, "overlap sweep: hosts joined by loopback TCP")
	f.StringVar(&o.overlapBlocks, "overlap-blocks", "16,32,64,128,256,512,1024,2048", "overlap sweep: block sizes (tokens per host), comma list; empty skips it")
	f.IntVar(&o.launch.Procs, "procs", 0, "run the hosts as this many processes joined by TCP on loopback")
	f.IntVar(&o.launch.Rank, "rank", -1, "worker mode: this host's rank (with --peers)")
	f.StringVar(&o.launch.Peers, "peers", "", "worker mode: every host's host:port, by rank, comma separated")
	f.BoolVar(&o.launch.Slurm, "slurm", false, "worker mode: rank, size and hosts from the Slurm job step's environment")
	f.IntVar(&o.launch.Port, "port", 29400, "worker mode with --slurm: first TCP port on each node")
	f.DurationVar(&o.launch.ConnectTimeout, "connect-timeout", 30*time.Second, "worker mode: how long to wait for the neighbours to connect")
	f.DurationVar(&o.launch.IdleTimeout, "idle-timeout", 10*time.Second, "worker mode: a neighbour silent this long is dead")
	f.DurationVar(&o.launch.Grace, "grace", ringlab.DefaultGrace, "with --procs: after a worker fails, how long the others get to stop on their own before they are interrupted (a busy machine may need longer)")
	f.BoolVar(&o.launched, "launched", false, "internal: a worker started by --procs")
	f.MarkHidden("launched")
	return c
}

func (o *ringOpts) config(hosts int) (ringlab.Config, error) {
	ls, err := ring.ParseLayouts(o.layouts)
	if r := (*list.Repeat)(nil); errors.As(err, &r) {
		return ringlab.Config{}, cli.ListError("--layout", err)
	}
	if err != nil {
		return ringlab.Config{}, cli.Usagef("--layout: %v", strings.TrimPrefix(err.Error(), "ring: "))
	}
	c := o.opt.Config
	c.P, c.Layouts, c.Backward, c.Seed = hosts, ls, !o.noBackward, o.seed
	return c, cli.FlagError(c.Validate(), nil)
}

func runRing(e *env, o *ringOpts, cmd *cobra.Command) error {
	if err := o.launch.Validate(); err != nil {
		return cli.FlagError(err, nil)
	}
	if o.launch.Worker() {
		return runRingWorker(e, o, cmd)
	}
	hosts, procs := o.hosts, o.launch.Procs
	if procs > 0 {
		if cmd.Flags().Changed("hosts") && o.hosts != procs {
			return cli.Usagef("--procs %d runs %d hosts, but --hosts is %d", procs, procs, o.hosts)
		}
		hosts = procs
	}
	cfg, err := o.config(hosts)
	if err != nil {
		return err
	}
	opt := o.opt
	opt.Config = cfg
	var workerLog bytes.Buffer // with --procs: the workers' stderr lines (ringnet writes them one at a time)
	if o.noSweeps {
		opt.ErrorMaxP = 0
	} else if opt.OverlapBlocks, err = cli.Ints(o.overlapBlocks); err != nil {
		return cli.ListError("--overlap-blocks", err)
	}
	if procs > 0 {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("cannot find this program to start workers: %v", err)
		}
		opt.Hosts = ringlab.Processes(exe, o.workerArgs, o.launch.Grace, &workerLog)
		opt.Transport, opt.Processes = fmt.Sprintf("%d processes, TCP on loopback", procs), true
	}
	if err := opt.Validate(); err != nil {
		return cli.FlagError(err, nil)
	}
	r, err := ringlab.Run(e.ctx, opt)
	if e.ctx.Err() != nil {
		// Every worker was stopped before Run returned, and said so: the
		// one line is the launcher's "interrupted by SIGINT".
		return e.ctx.Err()
	}
	e.stderr.Write(workerLog.Bytes()) // the workers' errors (they run --quiet)
	if err != nil {
		return err
	}
	return e.finish(o.outFlags, r.Results())
}

// workerArgs is the command line of a worker started by --procs.
func (o *ringOpts) workerArgs(rank int, peers []string) []string {
	a := []string{"ring", "--launched", "--rank", strconv.Itoa(rank), "--peers", strings.Join(peers, ","),
		"--n", strconv.Itoa(o.opt.N), "--hosts", strconv.Itoa(len(peers)), "--d-head", strconv.Itoa(o.opt.E), "--layout", o.layouts,
		"--seed", strconv.FormatUint(o.seed, 10), "--check", strconv.Itoa(o.opt.Check),
		"--connect-timeout", o.launch.ConnectTimeout.String(), "--idle-timeout", o.launch.IdleTimeout.String(), "--no-sweeps", "--quiet"}
	if o.noBackward {
		a = append(a, "--no-backward")
	}
	return a
}

// runRingWorker is one host of a ring of processes.
func runRingWorker(e *env, o *ringOpts, cmd *cobra.Command) error {
	rank, peers, err := o.launch.Ring(os.Getenv)
	if err != nil {
		return cli.FlagError(err, nil)
	}
	if cmd.Flags().Changed("hosts") && o.hosts != len(peers) {
		return cli.Usagef("--hosts is %d but there are %d peers", o.hosts, len(peers))
	}
	cfg, err := o.config(len(peers))
	if err != nil {
		return err
	}
	r, err := ringlab.Worker(e.ctx, ringlab.WorkerOptions{Config: cfg, Rank: rank, Peers: peers,
		ConnectTimeout: o.launch.ConnectTimeout, IdleTimeout: o.launch.IdleTimeout, Launched: o.launched})
	if err != nil || r == nil {
		return err // r is nil but on host 0, which reports
	}
	if o.launched {
		return ringlab.WriteReports(e.stdout, r.Reports)
	}
	return e.finish(o.outFlags, r.Results())
}
