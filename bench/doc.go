// Package bench times attention kernels on this machine: one causal head
// at d_head E over sequence lengths N, for naive dense attention (the N×N
// score matrix materialised), blockwise dense attention (online softmax),
// the sparse kinds (sliding window, dilated window, BigBird block-sparse),
// linear attention in its recurrent and chunkwise-parallel forms and Ring
// Attention across in-process hosts.
//
// Each point is the median of several timed forward passes, its peak
// memory measured (not estimated) around a first run that allocates its
// own inputs and outputs, and its rate in useful GFLOP/s (4·E per visible
// query–key pair; the naive kernel computes the masked half too) against
// the machine's float32 matmul rate measured in the same run
// (gemm.Rate). Time and memory are fitted against N on log–log axes: the
// slope says how a kernel scales (dense ≈ 2, window and block-sparse ≈ 1).
//
// Memory is checked before anything is allocated: a point whose estimate
// exceeds the budget is reported as skipped, with the bytes it would need.
//
// Sparse is attnlab sparse in one call: the masks of the sparse kinds
// (MaskFigures), each kind's exactness and cost against dense attention
// (SparseCost) and the reach of the induction circuit under each kind
// (studies/reach).
package bench
