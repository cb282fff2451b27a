package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/attnlab/attnlab/attention/ring"
	"github.com/attnlab/attnlab/internal/cli"
	"github.com/attnlab/attnlab/internal/ringnet"
	"github.com/attnlab/attnlab/ringlab"
	"github.com/spf13/cobra"
)

type ringOpts struct {
	outFlags
	n, hosts, dHead, check int
	layouts                string
	noBackward, noSweeps   bool
	errorN, errorMaxHosts  int
	overlapHosts           int
	overlapBlocks          string
	procs                  int
	// worker mode
	rank                        int
	peers                       string
	slurm, launched             bool
	port                        int
	connectTimeout, idleTimeout time.Duration
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
other within --idle-timeout (at once if its process dies) or --connect-timeout.`,
		Example: `  attnlab ring                                    # 8 in-process hosts, N = 8192, all layouts, sweeps
  attnlab ring --procs 4 --n 4096 --no-sweeps     # 4 processes over loopback TCP
  attnlab ring --n 131072 --hosts 8 --layout zigzag --no-sweeps   # long context on one machine
  srun -N 4 attnlab ring --slurm --n 1048576 --no-sweeps          # one host per node`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runRing(e, o, cmd) },
	}
	o.outFlags.add(c, "attnlab-out/ring")
	f := c.Flags()
	f.IntVar(&o.n, "n", 8192, "sequence length N of the hosts run")
	f.IntVar(&o.hosts, "hosts", 8, "hosts P in the ring (in-process)")
	f.IntVar(&o.dHead, "d-head", 64, "d_head E")
	f.StringVar(&o.layouts, "layout", "all", "layouts: all, or a comma list of contiguous, zigzag, stripe")
	f.BoolVar(&o.noBackward, "no-backward", false, "forward pass only")
	f.IntVar(&o.check, "check", 4, "query rows per host checked against the float64 reference (0: none)")
	f.BoolVar(&o.noSweeps, "no-sweeps", false, "skip the error and overlap sweeps")
	f.IntVar(&o.errorN, "error-n", 2048, "error sweep: sequence length")
	f.IntVar(&o.errorMaxHosts, "error-max-hosts", 16, "error sweep: rings of 1…this many hosts (0: skip)")
	f.IntVar(&o.overlapHosts, "overlap-hosts", 2, "overlap sweep: hosts joined by loopback TCP")
	f.StringVar(&o.overlapBlocks, "overlap-blocks", "16,32,64,128,256,512,1024,2048", "overlap sweep: block sizes (tokens per host), comma list; empty skips it")
	f.IntVar(&o.procs, "procs", 0, "run the hosts as this many processes joined by TCP on loopback")
	f.IntVar(&o.rank, "rank", -1, "worker mode: this host's rank (with --peers)")
	f.StringVar(&o.peers, "peers", "", "worker mode: every host's host:port, by rank, comma separated")
	f.BoolVar(&o.slurm, "slurm", false, "worker mode: rank, size and hosts from the Slurm job step's environment")
	f.IntVar(&o.port, "port", 29400, "worker mode with --slurm: first TCP port on each node")
	f.DurationVar(&o.connectTimeout, "connect-timeout", 30*time.Second, "worker mode: how long to wait for the neighbours to connect")
	f.DurationVar(&o.idleTimeout, "idle-timeout", 10*time.Second, "worker mode: a neighbour silent this long is dead")
	f.BoolVar(&o.launched, "launched", false, "internal: a worker started by --procs")
	f.MarkHidden("launched")
	return c
}

func (o *ringOpts) config(hosts int) (ringlab.Config, error) {
	ls, err := ring.ParseLayouts(o.layouts)
	if err != nil {
		return ringlab.Config{}, cli.Usagef("--layout: %v", strings.TrimPrefix(err.Error(), "ring: "))
	}
	c := ringlab.Config{N: o.n, E: o.dHead, P: hosts, Layouts: ls, Backward: !o.noBackward, Seed: o.seed, Check: o.check}
	return c, cli.FlagError(c.Validate(), nil)
}

func runRing(e *env, o *ringOpts, cmd *cobra.Command) error {
	worker := o.rank >= 0 || o.peers != "" || o.slurm
	switch {
	case worker && o.procs > 0:
		return cli.Usagef("--procs starts workers itself: do not combine it with --rank, --peers or --slurm")
	case o.slurm && (o.rank >= 0 || o.peers != ""):
		return cli.Usagef("--slurm takes the rank and peers from the environment: do not combine it with --rank or --peers")
	case !o.slurm && (o.rank >= 0) != (o.peers != ""):
		return cli.Usagef("worker mode needs both --rank and --peers")
	case o.procs < 0 || o.procs > 64:
		return cli.Usagef("--procs must be 1…64, got %d", o.procs)
	case o.connectTimeout <= 0 || o.idleTimeout <= 0:
		return cli.Usagef("--connect-timeout and --idle-timeout must be positive")
	}
	if worker {
		return runRingWorker(e, o, cmd)
	}
	hosts := o.hosts
	if o.procs > 0 {
		if cmd.Flags().Changed("hosts") && o.hosts != o.procs {
			return cli.Usagef("--procs %d runs %d hosts, but --hosts is %d", o.procs, o.procs, o.hosts)
		}
		hosts = o.procs
	}
	cfg, err := o.config(hosts)
	if err != nil {
		return err
	}
	opt := ringlab.Options{Config: cfg}
	var workerLog bytes.Buffer // with --procs: the workers' stderr lines (ringnet writes them one at a time)
	if !o.noSweeps {
		blocks, err := parseInts(o.overlapBlocks)
		if err != nil {
			return cli.Usagef("--overlap-blocks: %v", err)
		}
		if o.errorMaxHosts < 0 || o.errorMaxHosts > ringlab.MaxP {
			return cli.Usagef("--error-max-hosts must be 0 (no error sweep) to %d, got %d", ringlab.MaxP, o.errorMaxHosts)
		}
		if o.errorMaxHosts > 0 && (o.errorN < o.errorMaxHosts || o.errorN > 1<<14) {
			return cli.Usagef("--error-n must be %d (--error-max-hosts) to 16384, got %d", o.errorMaxHosts, o.errorN)
		}
		if len(blocks) > 0 && (o.overlapHosts < 2 || o.overlapHosts > 64) {
			return cli.Usagef("--overlap-hosts must be 2 to 64, got %d", o.overlapHosts)
		}
		opt.ErrorN, opt.ErrorMaxP = o.errorN, o.errorMaxHosts
		opt.OverlapP, opt.OverlapBlocks = o.overlapHosts, blocks
	}
	if o.procs > 0 {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("cannot find this program to start workers: %v", err)
		}
		opt.Hosts = ringlab.Processes(exe, func(rank int, peers []string) []string {
			return o.workerArgs(rank, peers)
		}, &workerLog)
		opt.Transport, opt.Processes = fmt.Sprintf("%d processes, TCP on loopback", o.procs), true
	}
	if err := opt.Validate(); err != nil {
		return cli.Usage(err)
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
		"--n", strconv.Itoa(o.n), "--hosts", strconv.Itoa(len(peers)), "--d-head", strconv.Itoa(o.dHead), "--layout", o.layouts,
		"--seed", strconv.FormatUint(o.seed, 10), "--check", strconv.Itoa(o.check),
		"--connect-timeout", o.connectTimeout.String(), "--idle-timeout", o.idleTimeout.String(), "--no-sweeps", "--quiet"}
	if o.noBackward {
		a = append(a, "--no-backward")
	}
	return a
}

// runRingWorker is one host of a ring of processes.
func runRingWorker(e *env, o *ringOpts, cmd *cobra.Command) error {
	rank, peers := o.rank, strings.Split(o.peers, ",")
	if o.slurm {
		var err error
		if rank, peers, err = ringnet.FromSlurm(os.Getenv, o.port); err != nil {
			return cli.Usage(err)
		}
	}
	if rank < 0 || rank >= len(peers) {
		return cli.Usagef("--rank %d is not one of the %d peers", rank, len(peers))
	}
	if cmd.Flags().Changed("hosts") && o.hosts != len(peers) {
		return cli.Usagef("--hosts is %d but there are %d peers", o.hosts, len(peers))
	}
	cfg, err := o.config(len(peers))
	if err != nil {
		return err
	}
	r, err := ringlab.Worker(e.ctx, ringlab.WorkerOptions{Config: cfg, Rank: rank, Peers: peers,
		ConnectTimeout: o.connectTimeout, IdleTimeout: o.idleTimeout, Launched: o.launched})
	if err != nil || r == nil {
		return err // r is nil but on host 0, which reports
	}
	if o.launched {
		return ringlab.WriteReports(e.stdout, r.Reports)
	}
	return e.finish(o.outFlags, r.Results())
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not a whole number", f)
		}
		out = append(out, n)
	}
	return out, nil
}
