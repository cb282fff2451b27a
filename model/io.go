package model

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/attnlab/attnlab/safetensors"
)

// Metadata keys attnlab writes beside TransformerLens's "config".
const (
	metaConfig    = "config"
	metaAttention = "attnlab.attention" // JSON list: the attention kind of each layer
	metaPrefix    = "attnlab."
)

// TrainingStatePrefix starts the names of the optimizer tensors a training
// checkpoint carries beside the weights; loading a model skips them.
const TrainingStatePrefix = "optim."

// tlBuffers are non-parameter tensors a TransformerLens state dict carries
// (causal masks, rotary tables); they are derived, so loading skips them.
var tlBuffers = regexp.MustCompile(`^blocks\.\d+\.attn\.(mask|IGNORE|rotary_sin|rotary_cos)$`)

// Load reads a model from a safetensors file whose tensors are
// TransformerLens state-dict keys. The config comes from configPath (a
// TransformerLens config.json) when it is not empty, else from the file's
// __metadata__["config"].
func Load(path, configPath string) (*Model, error) {
	return LoadAs[float32](path, configPath)
}

// LoadAs is Load for either precision.
func LoadAs[F Float](path, configPath string) (*Transformer[F], error) {
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var cfgJSON []byte
	if configPath != "" {
		if cfgJSON, err = os.ReadFile(configPath); err != nil {
			return nil, fmt.Errorf("model: reading config: %w", err)
		}
	}
	m, err := FromSafetensors[F](f, cfgJSON)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// FromSafetensors builds a model from a parsed file; cfgJSON overrides the
// config in the file's metadata when non-nil.
func FromSafetensors[F Float](f *safetensors.File, cfgJSON []byte) (*Transformer[F], error) {
	if cfgJSON == nil {
		s, ok := f.Metadata[metaConfig]
		if !ok {
			return nil, fmt.Errorf("model: the file has no TransformerLens config in its metadata; pass the model's config.json with --config")
		}
		cfgJSON = []byte(s)
	}
	cfg, err := ParseConfig(cfgJSON)
	if err != nil {
		return nil, err
	}
	meta := map[string]string{}
	for k, v := range f.Metadata {
		if strings.HasPrefix(k, metaPrefix) && k != metaAttention && k != metaPrefix+"checkpoint" {
			meta[strings.TrimPrefix(k, metaPrefix)] = v
		}
	}
	if a, ok := f.Metadata[metaAttention]; ok {
		if err := json.Unmarshal([]byte(a), &cfg.Attention); err != nil {
			return nil, fmt.Errorf("model: metadata %q is not a JSON list of attention kinds: %v", metaAttention, err)
		}
		if err := cfg.Validate(); err != nil {
			return nil, err
		}
	}
	// Check every tensor's name and shape against the config before
	// allocating anything: the allocation is then bounded by the file.
	want := map[string]bool{}
	for _, sp := range paramSpecs[F](cfg) {
		want[sp.name] = true
		st, ok := f.Get(sp.name)
		if !ok {
			return nil, fmt.Errorf("model: tensor %q is missing (the config wants shape %v)", sp.name, sp.shape)
		}
		if !slices.Equal(st.Shape, sp.shape) {
			return nil, fmt.Errorf("model: tensor %q has shape %v, the config wants %v", sp.name, st.Shape, sp.shape)
		}
	}
	for _, st := range f.Tensors {
		if !want[st.Name] && !tlBuffers.MatchString(st.Name) && !strings.HasPrefix(st.Name, TrainingStatePrefix) {
			return nil, fmt.Errorf("model: unexpected tensor %q for this config (%s)", st.Name, cfg.Summary())
		}
	}
	m, err := New[F](cfg)
	if err != nil {
		return nil, err
	}
	m.Meta = meta
	for _, t := range m.Params.Tensors {
		st, _ := f.Get(t.Name)
		switch any(t.Data).(type) {
		case []float64:
			v, err := st.Float64()
			if err != nil {
				return nil, fmt.Errorf("model: tensor %q: %w", t.Name, err)
			}
			for i := range v {
				t.Data[i] = F(v[i])
			}
		default:
			v, err := st.Float32()
			if err != nil {
				return nil, fmt.Errorf("model: tensor %q: %w", t.Name, err)
			}
			for i := range v {
				t.Data[i] = F(v[i])
			}
		}
	}
	if i := firstNonFinite(m.Params.Data); i >= 0 {
		return nil, fmt.Errorf("model: parameter %s holds a NaN or Inf", m.Params.NameOf(i))
	}
	return m, nil
}

// Save writes the model as float32 tensors under TransformerLens keys, the
// config in __metadata__["config"] and attnlab's extras beside it. The file
// is written atomically.
func (m *Transformer[F]) Save(path string) error {
	var ts []safetensors.WriteTensor
	for _, t := range m.Params.Tensors {
		v := make([]float32, len(t.Data))
		for i, x := range t.Data {
			v[i] = float32(x)
		}
		ts = append(ts, safetensors.WriteTensor{Name: t.Name, Shape: t.Shape, F32: v})
	}
	return safetensors.WriteFile(path, ts, m.Metadata())
}

// Metadata returns the file metadata Save writes.
func (m *Transformer[F]) Metadata() map[string]string {
	md := map[string]string{metaConfig: string(m.Config.JSON())}
	kinds := make([]string, m.Config.NLayers)
	for l := range kinds {
		kinds[l] = m.Config.AttentionKind(l)
	}
	b, _ := json.Marshal(kinds)
	md[metaAttention] = string(b)
	for k, v := range m.Meta {
		md[metaPrefix+k] = v
	}
	return md
}

// Summary is a one-line description of the config.
func (c Config) Summary() string {
	s := fmt.Sprintf("%d layers, d_model %d, %d heads × %d, d_vocab %d, n_ctx %d", c.NLayers, c.DModel, c.NHeads, c.DHead, c.DVocab, c.NCtx)
	if c.HasMLP() {
		s += fmt.Sprintf(", MLP %d %s", c.DMLP, c.ActFn)
	} else {
		s += ", attention-only"
	}
	if c.NormalizationType != "" {
		s += ", " + c.NormalizationType
	}
	return s + ", " + c.PositionalEmbeddingType + " positions"
}

func firstNonFinite[F Float](x []F) int {
	for i, v := range x {
		if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
			return i
		}
	}
	return -1
}

// NameOf names the tensor holding flat index i, with the index inside it
// (training reports a NaN by parameter name).
func (p *Params[F]) NameOf(i int) string {
	off := 0
	for _, t := range p.Tensors {
		if i < off+len(t.Data) {
			return fmt.Sprintf("%q (element %d)", t.Name, i-off)
		}
		off += len(t.Data)
	}
	return fmt.Sprintf("#%d", i)
}
