// Package mqar is the trained multi-query associative recall study (Arora
// et al. 2023, Zoology): tiny two-layer transformers trained with the same
// budget on tasks.MQAR, one cell per attention kind × d_model × key-value
// pairs × seed, each evaluated on held-out sequences with probes.EvalMQAR.
//
// Grids split into shards (ShardCells: cell i goes to shard i mod n) so
// cells can run on different machines; Merge joins the shard tables and
// checks that they fit. Cells run in parallel, one core each, and every
// cell has its own seeded generators, so results do not depend on the
// number of workers or cores.
//
// Table is mqar.csv (one row per cell), Summary the terminal table (mean
// accuracy over seeds, attention × d_model against kv pairs), Charts the
// accuracy-vs-kv-pairs figures, one per d_model.
package mqar
