// Package studies is the layer of experiments that train models and then
// measure them. Each study is a subpackage:
//
//   - studies/mqar: the trained multi-query associative recall grid
//     (attention kind × d_model × key-value pairs × seed, Zoology), with
//     shards that run on different machines and a merge of their tables;
//   - studies/sinkvariants: one model per attention variant (softmax,
//     softmax1, learned sink, sigmoid, a dedicated sink token), trained with
//     the same budget and measured with package sinks on the same held-out
//     text;
//   - studies/phase: trackers that measure a model while it trains
//     (train.Options.OnEval): the induction phase change (package induction)
//     and sink emergence (package sinks);
//   - studies/sinkanalysis: attnlab sink-analysis's analysis, streaming
//     policies and variant comparison in one call, on one held-out text;
//   - studies/retrieval: attnlab retrieval's parts in one call: the analytic
//     recall probe, the MQAR grid (or a shard of it) and attention's time
//     against N;
//   - studies/reach: how far the induction circuit copies under sparse
//     attention, on models trained with each sparse kind;
//   - studies/s2a: System 2 Attention's three models, trained and measured
//     on distractor recall;
//   - studies/trainrun: one attnlab train run (task, model, tracker,
//     provenance, loss curve).
//
// The layering: a study uses package train (the loop) and the analyses
// (induction, circuits, sinks, probes) and returns report.Results — tables,
// the headline tables and figures — for a command to write. The analyses
// themselves stay pure: they never import train, optim or studies, never
// write files and never read flags (internal/archtest enforces the imports).
// A study writes files only where its options name a folder to cache
// trained models in.
//
// Every study is deterministic: the same seeds give bit-identical numbers on
// any number of cores.
package studies
