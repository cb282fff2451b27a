// Package membudget decides, before anything large is allocated, whether a
// run fits in memory.
//
// A command or library that is about to allocate memory proportional to a
// size the user chose (a batch, a sequence length, a grid, a model read from
// a file) first estimates the bytes from the shapes it will allocate and
// checks them against the limit:
//
//	var est membudget.Estimate
//	est.Add(4, batch, nCtx, dModel)        // float32 residual stream [B, T, D]
//	est.Add(4, batch, nHeads, nCtx, nCtx)  // float32 patterns [B, H, T, T]
//	if err := est.Check(fmt.Sprintf("an analysis batch of %d sequences", batch)); err != nil {
//		return err // *membudget.Error: one sentence with the estimate and the limit
//	}
//
// Arithmetic saturates at math.MaxInt64 instead of overflowing, so a size of
// 1e18 gives a clear refusal rather than a wrapped, small estimate.
//
// The limit is, in order of precedence: [SetLimit] (a command-line flag),
// the environment variable ATTNLAB_MEMORY_LIMIT ("8GiB", "512MiB", "75%",
// "16e9"), or 80% of the physical memory (MemTotal in /proc/meminfo, or the
// cgroup memory limit when that is lower). Where physical memory cannot be
// read the limit is 4 GiB. An estimate is the size of the large buffers a
// run allocates; Check compares the run's planned peak resident memory,
// [Peak] (the buffers with Go's overhead on top), with the limit, and a
// command hands the limit to Go's collector ([ApplyRuntimeLimit]) so that
// garbage awaiting collection cannot push a run that passed past it.
package membudget
