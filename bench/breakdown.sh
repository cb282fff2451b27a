#!/bin/sh
# Where the reference training step's CPU time goes: runs
# BenchmarkTrainStepRef (train/bench_test.go) under the CPU profiler and
# sorts every profile sample into one category by its call stack (the first
# rule below that matches any frame of the stack), then prints each
# category's share of the step's CPU time. The FMA-peak measurement the
# benchmark makes is left out.
#
#   sh bench/breakdown.sh                 # BenchmarkTrainStepRef, -count 5
#   sh bench/breakdown.sh 'TrainStepRef$' 3 /tmp/step.prof
#
# Arguments: the benchmark pattern, -count, and where to keep the profile
# (default a temporary file). Run it from the repository root.
set -eu
bench=${1:-'TrainStepRef$'}
count=${2:-5}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
prof=${3:-$dir/cpu.prof}
go test ./train -run XXX -bench "$bench" -count "$count" -benchtime 2s \
	-cpuprofile "$prof" -o "$dir/train.test" | grep -E '^Benchmark|^cpu:'
go tool pprof -traces "$dir/train.test" "$prof" 2>/dev/null | awk '
function flush(   c) {
	if (ms == 0) return
	c = "other"
	if (st ~ /gemm\.PeakGFLOPS|gemm\.fmaLoop/) c = ""
	else if (st ~ /optim\.|step\.func3/) c = "AdamW update"
	else if (st ~ /step\.func2/) c = "gradient reduction over units"
	else if (st ~ /gemm\.MatMulTri|gemm\.MatMulHeads16/) c = "matmul: attention (q.kT, pattern·v and their backward)"
	else if (st ~ /gemm\./) c = "matmul: dense (W_QKV, W_O, W_U, forward and backward)"
	else if (st ~ /SoftmaxCausal|softmaxCausal|softmaxBackCausal|attention\.Softmax/) c = "attention softmax (forward, backward)"
	else if (st ~ /crossEntropy|vecmath\.softmaxAsm|SoftmaxRow/) c = "cross-entropy (softmax over vocab)"
	else if (st ~ /layerNorm|LayerNorm/) c = "LayerNorm (forward, backward)"
	else if (st ~ /encoderForward|encoderBackward/) c = "embedding gather, scatter-add"
	else if (st ~ /memclr/) c = "clearing buffers (memclr)"
	else if (st ~ /addInto|addRows|addBias|AddBias|SumRows|vecmath\.add|memmove|packQKV|Pack|BiasResidual|vecmath\.AddTo/) c = "residual and bias adds, copies"
	else if (st !~ /job\)\.work/ && st ~ /pool\)\.|runtime\.(Gosched|mcall|park|schedule|findRunnable|futex|notesleep|stopm)/) c = "goroutine hand-offs (pool spin, park, wake)"
	else if (st ~ /asyncPreempt/) c = "preemption (runtime.asyncPreempt)"
	else if (st ~ /runtime\.(gcBgMarkWorker|mallocgc|gcDrain)/) c = "garbage collector, allocation"
	if (c != "") { t[c] += ms; total += ms }
	ms = 0; st = ""
}
/^-+\+-+$/ { flush(); next }
/^ +[0-9.]+(ms|s) / {
	v = $1; u = (v ~ /ms$/) ? 1 : 1000; sub(/(ms|s)$/, "", v)
	ms = v * u; st = $2; next
}
ms > 0 { st = st " " $1 }
END {
	flush()
	printf "%8s %7s  %s\n", "CPU s", "share", "category"
	for (c in t) printf "%8.2f %6.1f%%  %s\n", t[c] / 1000, 100 * t[c] / total, c | "sort -rn"
	close("sort -rn")
	printf "%8.2f %6.1f%%  %s\n", total / 1000, 100, "total (the FMA-peak measurement left out)"
}'
