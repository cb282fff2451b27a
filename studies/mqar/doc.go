// Package mqar is the trained multi-query associative recall study (Arora
// et al. 2023, Zoology): tiny two-layer transformers trained with the same
// budget on tasks.MQAR, one cell per attention kind × d_model × key-value
// pairs × seed, each evaluated on held-out sequences with probes.EvalMQAR.
//
// Quick and Full are the two grids; With changes one by settings. Grids
// split into shards (ShardCells: cell i goes to shard i mod n) so cells
// can run on different machines; RunShard runs one, evaluating the cells
// whose embedded model was trained with the cell's recipe (Embedded,
// TrainArgs) and training the others; ReadShards reads the shards' files
// and Merge joins their tables and checks that they fit. Cells run in
// parallel, one core each, and every cell has its own seeded generators,
// so results do not depend on the number of workers or cores.
//
// Table is mqar.csv (one row per cell), Summary the terminal table (mean
// accuracy over seeds, attention × d_model against kv pairs), Charts the
// accuracy-vs-kv-pairs figures, one per d_model.
package mqar
