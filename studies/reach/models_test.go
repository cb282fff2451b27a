package reach

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/attnlab/attnlab/fixtures"
	"github.com/attnlab/attnlab/model"
)

// TestModels: without a trainer the five embedded models; with one, each
// model is trained by the command its embedded model records, into its
// own folder, and a failure names the model.
func TestModels(t *testing.T) {
	t.Parallel()
	ms, err := Models(nil, "", nil)
	if err != nil || len(ms) != len(Specs()) || ms[0].Model == nil || ms[1].Spec != Specs()[1] {
		t.Fatalf("embedded: %d models, %v", len(ms), err)
	}
	emb, err := fixtures.Model(Specs()[0].Fixture())
	if err != nil {
		t.Fatal(err)
	}
	var calls []string
	var log strings.Builder
	ms, err = Models(func(args []string, out string) (*model.Model, error) {
		calls = append(calls, "attnlab "+strings.Join(args, " ")+" > "+out)
		return emb, nil
	}, "d", &log)
	if err != nil || len(ms) != 5 || len(calls) != 5 {
		t.Fatalf("trained: %d models, %d calls, %v", len(ms), len(calls), err)
	}
	want := emb.Meta[model.MetaTrainedWith] + " > " + filepath.Join("d", "reach-dense", "reach-dense.safetensors")
	if calls[0] != want || !strings.HasPrefix(log.String(), "training reach-dense: attnlab train ") {
		t.Errorf("first call %q, want %q; log %q", calls[0], want, log.String())
	}
	_, err = Models(func([]string, string) (*model.Model, error) { return nil, errors.New("boom") }, "d", nil)
	if err == nil || err.Error() != "training reach-dense: boom" {
		t.Errorf("a failing trainer: %v", err)
	}
}
