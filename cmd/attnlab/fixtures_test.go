package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/attnlab/attnlab/fixtures"
	"github.com/attnlab/attnlab/internal/cli"
	"github.com/attnlab/attnlab/studies/reach"
)

// fixtureCommands reads the training command of each embedded model from
// fixtures/README.md: the first "attnlab train" line after its heading.
func fixtureCommands(t *testing.T) map[string][]string {
	t.Helper()
	b, err := os.ReadFile("../../fixtures/README.md")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	name := ""
	head := regexp.MustCompile(`^## ([a-z0-9-]+)\.safetensors`)
	for _, line := range strings.Split(string(b), "\n") {
		if m := head.FindStringSubmatch(line); m != nil {
			name = m[1]
		}
		if strings.HasPrefix(line, "attnlab train ") && name != "" && out[name] == nil {
			out[name] = strings.Fields(line)[1:]
		}
	}
	return out
}

// TestFixturesRecordTheirCommand: the README's command is the one the
// embedded file was trained with.
func TestFixturesRecordTheirCommand(t *testing.T) {
	cmds := fixtureCommands(t)
	names := []string{"induction-2l", "induction-1l", "text-bos", "text-bos-learned"}
	for _, s := range reach.Specs() {
		names = append(names, s.Fixture())
		// The study's recipe is the command recorded in its fixture.
		if got, want := strings.Join(cli.WithoutFlags(cmds[s.Fixture()], "--out"), " "), strings.Join(reach.TrainArgs(s.Kind), " "); got != want {
			t.Errorf("fixtures/README.md trains %s with\n  %s\nbut reach.TrainArgs(%q) is\n  %s", s.Fixture(), got, s.Kind, want)
		}
	}
	for _, name := range names {
		m, err := fixtures.Model(name)
		if err != nil {
			t.Fatal(err)
		}
		want := strings.Join(cli.WithoutFlags(append([]string{"attnlab"}, cmds[name]...), "--out"), " ")
		if got := m.Meta["trained_with"]; got != want {
			t.Errorf("%s was trained with\n  %s\nbut fixtures/README.md says\n  %s", name, got, want)
		}
	}
}

// TestFixtureRecipeDeterministic runs a 40-step version of the induction-2l
// command on 1 and on 3 cores (GOMAXPROCS), as recorded and with the default
// 16 work units, and wants identical bytes; with ATTNLAB_REGEN_FIXTURES=1 it
// runs the full command and compares with the embedded file.
func TestFixtureRecipeDeterministic(t *testing.T) {
	args := fixtureCommands(t)["induction-2l"]
	dir := t.TempDir()
	short := func(out string) []string {
		a := append([]string{}, cli.WithoutFlags(args, "--out", "--steps", "--track", "--every")...)
		return append(a, "--steps", "40", "--eval-every", "20", "-q", "--out", out)
	}
	// On 1 and on 3 cores: the same bytes, with the fixture's 2 work units
	// and with the default decomposition.
	for _, units := range []string{"", "16"} {
		var got [2][]byte
		for i, procs := range []int{1, 3} {
			out := filepath.Join(dir, units+string(rune('a'+i)), "m.safetensors")
			args := short(out)
			if units != "" {
				args = append(cli.WithoutFlags(args, "--units"), "--units", units)
			}
			prev := runtime.GOMAXPROCS(procs)
			_, stderr, code := runCLI(t, args...)
			runtime.GOMAXPROCS(prev)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			got[i], _ = os.ReadFile(out)
		}
		if len(got[0]) == 0 || !bytes.Equal(got[0], got[1]) {
			t.Fatalf("the shortened fixture command (units %q) gives different bytes on 1 and 3 cores", units)
		}
	}
	if os.Getenv("ATTNLAB_REGEN_FIXTURES") == "" {
		t.Skip("set ATTNLAB_REGEN_FIXTURES=1 to regenerate induction-2l in full (about a minute) and compare bytes")
	}
	out := filepath.Join(dir, "full", "induction-2l.safetensors")
	full := append(cli.WithoutFlags(args, "--out"), "-q", "--out", out)
	if _, stderr, code := runCLI(t, full...); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	regen, _ := os.ReadFile(out)
	embedded, _ := os.ReadFile("../../fixtures/induction-2l.safetensors")
	if !bytes.Equal(regen, embedded) {
		t.Error("the full command did not regenerate fixtures/induction-2l.safetensors byte for byte")
	}
}
