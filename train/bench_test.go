package train

import (
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/attnlab/attnlab/internal/cputime"
	"github.com/attnlab/attnlab/internal/gemm"
	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/tasks"
)

// flopsPerToken is FLOPsPerToken.
var flopsPerToken = FLOPsPerToken

func benchStep(b *testing.B, cfg model.Config, batch, units int) {
	m, err := model.NewInit[float32](cfg)
	if err != nil {
		b.Fatal(err)
	}
	task, _ := tasks.NewInduction(tasks.DefaultInductionConfig())
	tr, err := New(m, task, Options{Steps: 1 << 30, Batch: batch, SeqLen: cfg.NCtx, Units: units})
	if err != nil {
		b.Fatal(err)
	}
	batchData := task.Sample(rand.New(rand.NewPCG(1, 2)), batch, cfg.NCtx)
	b.ResetTimer()
	tr.pool.timed = true // before the timed steps: run reads it, the helpers do not
	job0, task0 := tr.pool.jobNs.Load(), tr.pool.taskNs.Load()
	cpu0 := cputime.Process()
	for range b.N {
		if _, _, err := tr.step(batchData); err != nil {
			b.Fatal(err)
		}
	}
	// CPU time per step (all threads): on a machine shared with other
	// jobs it varies less than wall time, which includes waiting for a core.
	cpuSec := (cputime.Process() - cpu0).Seconds()
	b.ReportMetric(cpuSec*1e3/float64(b.N), "cpu-ms/op")
	tokens := float64(batch*cfg.NCtx) * float64(b.N)
	sec := b.Elapsed().Seconds()
	b.ReportMetric(tokens/sec, "tokens/s")
	// busy: the share of the step's wall time the workers spent running
	// tasks (forward and backward of the units, the reduction, AdamW);
	// serial: the share outside any parallel job (one core works, the
	// others wait). The rest of the workers' time is waiting inside a
	// job: for the last unit, or for a core.
	if w := min(tr.Opt.Units, runtime.GOMAXPROCS(0)); w > 0 {
		b.ReportMetric(float64(tr.pool.taskNs.Load()-task0)/1e9/(sec*float64(w)), "busy")
		b.ReportMetric(1-float64(tr.pool.jobNs.Load()-job0)/1e9/sec, "serial")
	}
	gflops := tokens * flopsPerToken(m.Config, cfg.NCtx) / sec / 1e9
	b.ReportMetric(gflops, "GFLOP/s")
	// The fraction of the FMA peak of the cores the units can use,
	// measured in this run (gemm.PeakGFLOPS: one core's peak).
	if pk := peakGFLOPS(); pk > 0 {
		b.ReportMetric(gflops/(pk*float64(min(tr.Opt.Units, runtime.GOMAXPROCS(0)))), "of_peak")
		// Per CPU-second: the work done per second a core actually ran this
		// process, against one core's peak. On a machine shared with other
		// jobs, wall-clock rates measure the machine's load as well; this
		// measures the code.
		b.ReportMetric(tokens*flopsPerToken(m.Config, cfg.NCtx)/cpuSec/1e9/pk, "of_peak_per_cpu_s")
	}
}

// peakGFLOPS is one core's FMA peak, measured once per run.
var peakGFLOPS = sync.OnceValue(func() float64 { return gemm.PeakGFLOPS(300 * time.Millisecond) })

// The reference step with the default decomposition (16 units of 2
// sequences) on every core (-cpu sets the cores), and with 2 and 1 units
// (the former default, and no decomposition).
func BenchmarkTrainStepRef(b *testing.B)       { benchStep(b, ReferenceConfig, ReferenceBatch, 0) }
func BenchmarkTrainStepRefUnits2(b *testing.B) { benchStep(b, ReferenceConfig, ReferenceBatch, 2) }
func BenchmarkTrainStepRefUnits1(b *testing.B) { benchStep(b, ReferenceConfig, ReferenceBatch, 1) }

// mlpCfg is a text-model shape: 4 layers, d_model 128, 4 heads, MLP 512
// (gelu_new), rotary, byte vocabulary.
var mlpCfg = model.Config{NLayers: 4, DModel: 128, NHeads: 4, DMLP: 512, ActFn: "gelu_new", DVocab: 256, NCtx: 128,
	NormalizationType: "LN", PositionalEmbeddingType: "rotary", Seed: 1}

func BenchmarkTrainStepMLP(b *testing.B)       { benchStep(b, mlpCfg, 16, 2) }
func BenchmarkTrainStepMLPUnits1(b *testing.B) { benchStep(b, mlpCfg, 16, 1) }
