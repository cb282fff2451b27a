package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"unsafe"

	"github.com/attnlab/attnlab/internal/membudget"
	"github.com/attnlab/attnlab/internal/userfile"
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
//
// Loading is header-first: the file (a regular file; a device or a named
// pipe is refused at once) is opened and only its header is read; the
// config is parsed and validated, every tensor the config needs is checked
// by name, shape and dtype, the memory the model needs is checked against
// the budget (internal/membudget), and only then are those tensors read.
// Tensors the model does not use (TransformerLens buffers, a checkpoint's
// optimizer state) are never read. A config.json is read only if it is a
// regular file of at most 1 MiB.
func Load(path, configPath string) (*Model, error) {
	return LoadAs[float32](path, configPath)
}

// LoadAs is Load for either precision.
func LoadAs[F Float](path, configPath string) (*Transformer[F], error) {
	var cfgJSON []byte
	if configPath != "" {
		var err error
		if cfgJSON, err = userfile.ReadFile(configPath, userfile.ConfigLimit); err != nil {
			return nil, fmt.Errorf("model: reading config: %w", err)
		}
	}
	f, err := safetensors.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m, err := FromSafetensors[F](f, cfgJSON)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// ErrNoConfig is the error of loading a state dict whose file carries no
// config: the TransformerLens config.json has to come from elsewhere.
var ErrNoConfig = errors.New("model: the file has no TransformerLens config in its metadata; give the model's config.json")

// FromSafetensors builds a model from a safetensors file, parsed whole or
// opened header-first ([safetensors.Open], [safetensors.NewReader]); cfgJSON
// overrides the config in the file's metadata when non-nil. It validates
// the config, the names, shapes and dtypes of the tensors and the memory
// the model needs before it reads any tensor data it does not hold yet.
func FromSafetensors[F Float](f *safetensors.File, cfgJSON []byte) (*Transformer[F], error) {
	if cfgJSON == nil {
		s, ok := f.Metadata[metaConfig]
		if !ok {
			return nil, ErrNoConfig
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
	// Check every tensor's name, shape and dtype against the config before
	// allocating or reading anything: the allocation is then bounded by the
	// file, and by the memory budget below.
	specs := paramSpecs[F](cfg)
	want := make(map[string]bool, len(specs))
	names := make([]string, 0, len(specs))
	var unread int64
	largest, numParams := 0, 0
	for _, sp := range specs {
		numParams += numel(sp.shape)
		want[sp.name] = true
		names = append(names, sp.name)
		st, ok := f.Get(sp.name)
		if !ok {
			return nil, fmt.Errorf("model: tensor %q is missing (the config wants shape %v)", sp.name, sp.shape)
		}
		if !slices.Equal(st.Shape, sp.shape) {
			return nil, fmt.Errorf("model: tensor %q has shape %v, the config wants %v", sp.name, st.Shape, sp.shape)
		}
		if !st.IsFloat() {
			return nil, fmt.Errorf("model: tensor %q has dtype %s; parameters must be F32, F16, BF16 or F64", sp.name, st.DType)
		}
		if !st.Loaded() {
			unread += int64(st.NumBytes())
		}
		largest = max(largest, st.NumElements())
	}
	for _, st := range f.Tensors {
		if !want[st.Name] && !tlBuffers.MatchString(st.Name) && !strings.HasPrefix(st.Name, TrainingStatePrefix) {
			return nil, fmt.Errorf("model: unexpected tensor %q for this config (%s)", st.Name, cfg.Summary())
		}
	}
	// The parameters, the file bytes read, and one tensor converted.
	var est membudget.Estimate
	est.Add(int(unsafe.Sizeof(F(0))), numParams)
	est.AddBytes(unread)
	est.Add(8, largest)
	if err := est.Check("loading a model of " + cfg.Summary()); err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	if err := f.Load(names...); err != nil {
		return nil, err
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
