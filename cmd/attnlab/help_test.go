package main

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/attnlab/attnlab/fixtures"
	"github.com/attnlab/attnlab/studies/mqar"
	"github.com/attnlab/attnlab/studies/phase"
)

// TestHelpStatesDefaults: the help says what the defaults are, in values,
// and names every choice a flag accepts.
func TestHelpStatesDefaults(t *testing.T) {
	help := func(cmd string) string {
		stdout, stderr, code := runCLI(t, cmd, "--help")
		if code != 0 {
			t.Fatalf("%s --help: exit %d: %s", cmd, code, stderr)
		}
		return stdout
	}
	train := help("train")
	for _, k := range phase.Kinds {
		if !regexp.MustCompile(`--track string .*\b` + k + `\b`).MatchString(train) {
			t.Errorf("train --help: --track does not list %q", k)
		}
	}
	if !regexp.MustCompile(`--vocab int .*mqar 128`).MatchString(train) || strings.Contains(train, "8192") {
		t.Errorf("train --help: --vocab does not state mqar's default 128:\n%s", train)
	}
	retrieval := help("retrieval")
	if strings.Contains(retrieval, "the grid's)") {
		t.Errorf("retrieval --help still says \"the grid's\" without values")
	}
	q, f := mqar.Quick(), mqar.Full()
	for _, want := range []string{
		"(default " + joinInts(q.DModels) + "; --full: " + joinInts(f.DModels) + ")",
		"(default " + joinInts(q.KVPairs) + "; --full: " + joinInts(f.KVPairs) + ")",
		"(default 2400; --full: 3000)",
	} {
		if !strings.Contains(retrieval, want) {
			t.Errorf("retrieval --help lacks %q", want)
		}
	}
}

// TestReadmeListsEmbeddedModels: the README's list of embedded models has
// every model the binary embeds.
func TestReadmeListsEmbeddedModels(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(string(b), "Embedded models (")
	if i < 0 {
		t.Fatal("README has no \"Embedded models (\" paragraph")
	}
	para := string(b[i:])
	para = para[:strings.Index(para, "\n\n")]
	for _, n := range fixtures.Names() {
		if !strings.Contains(para, "`"+n+"`") {
			t.Errorf("README's embedded-model list lacks `%s`:\n%s", n, para)
		}
	}
}
