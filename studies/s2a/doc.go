// Package s2a is the System 2 Attention study (Weston and Sukhbaatar
// 2023) on distractor recall (tasks.Distractor): it trains the three
// models the study needs and measures them with probes.EvaluateS2A.
//
//   - the answerer, trained on clean contexts only (tasks.ModeAnswer), so
//     that opinions in a context are something it has never learnt to
//     discount: it is distractible, as soft attention is in the paper;
//   - the instructed answerer, trained on the same clean contexts and on
//     contexts with distractors behind the "ignore opinions" token
//     (tasks.ModeInstructed);
//   - the regenerator, trained to rewrite a context without its
//     distractors (tasks.ModeRegenerate), decoded token by token with the
//     KV-cache decoder.
//
// They are separate models rather than one model with a task token: the
// paper's answerer is distractible because of what it learnt before, and
// a tiny model that also learns to rewrite or to obey the ignore token
// sees opinion spans in training and can learn to discount them whether or
// not it is asked to, which would remove the very effect S2A repairs (the
// instructed model's accuracy without its token measures this).
//
// Each recipe is the command line of `attnlab train` that trains the same
// model byte for byte (Recipe.Command); the embedded fixtures record it.
package s2a
