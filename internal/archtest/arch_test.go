package archtest

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/attnlab/attnlab/"

// Layer groups, as module-relative package patterns ("x/..." is x and
// everything below it; other patterns are prefixes ending a path element).
var (
	engine   = []string{"internal/...", "attention/...", "model", "tasks", "safetensors", "optim", "fixtures"}
	output   = []string{"report", "plots"}
	analyses = []string{"circuits", "induction", "sinks", "probes", "parity", "inspect"}
	studies  = []string{"studies/..."}
	labs     = []string{"bench", "ringlab"}
	cli      = []string{"cmd/..."}
	cobra    = []string{"github.com/spf13/cobra", "github.com/spf13/pflag"} // full import paths
)

// rules is the architecture: a package matching from never depends, even
// indirectly, on one matching forbidden.
var rules = []struct {
	from, forbidden [][]string
	why             string
}{
	{[][]string{engine, output}, [][]string{{"train"}, analyses, studies, labs, cli}, "the engine and the output packages are the bottom layers"},
	{[][]string{output}, [][]string{{"model", "attention/...", "tasks"}}, "report and plots draw numbers; they know no model"},
	{[][]string{{"train"}}, [][]string{analyses, studies, labs, cli}, "the training loop is below what measures models"},
	{[][]string{analyses}, [][]string{{"train", "optim"}, studies, labs, cli, cobra}, "analyses are pure: model + inputs in, tables and figures out"},
	{[][]string{studies}, [][]string{labs, cli, cobra}, "studies train and measure; commands call them"},
	{[][]string{labs}, [][]string{cli, cobra}, "labs run experiments for commands, below them"},
}

// layered lists every package pattern that has a layer; a package matching
// none is reported, so a new package gets a place in the table.
var layered = [][]string{engine, output, {"train"}, analyses, studies, labs, cli}

// pkg is what the test reads of `go list -json`.
type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

// matches reports whether import path p matches a pattern of group.
func matches(p string, group []string) bool {
	for _, pat := range group {
		full := pat
		if !strings.HasPrefix(pat, "github.com/") {
			full = module + pat
		}
		if base, ok := strings.CutSuffix(full, "/..."); ok {
			if p == base || strings.HasPrefix(p, base+"/") {
				return true
			}
		} else if p == full {
			return true
		}
	}
	return false
}

func anyMatch(p string, groups [][]string) bool {
	return slices.ContainsFunc(groups, func(g []string) bool { return matches(p, g) })
}

// violations checks the packages against the rules and returns one line per
// forbidden dependency, with the import chain that brings it in.
func violations(pkgs []pkg) []string {
	byPath := map[string]pkg{}
	for _, p := range pkgs {
		byPath[p.ImportPath] = p
	}
	var out []string
	for _, p := range pkgs {
		if !strings.HasPrefix(p.ImportPath, module) {
			continue
		}
		if !slices.ContainsFunc(layered, func(g []string) bool { return matches(p.ImportPath, g) }) {
			out = append(out, p.ImportPath+" has no layer in the architecture table")
		}
		for _, r := range rules {
			if !anyMatch(p.ImportPath, r.from) {
				continue
			}
			for _, d := range p.Deps {
				if anyMatch(d, r.forbidden) {
					out = append(out, strings.Join(chain(byPath, p.ImportPath, d), " → ")+": "+r.why)
				}
			}
		}
	}
	return out
}

// chain is the shortest import path from a to b (breadth-first over the
// direct imports), for the message.
func chain(byPath map[string]pkg, a, b string) []string {
	prev := map[string]string{a: ""}
	queue := []string{a}
	for len(queue) > 0 {
		x := queue[0]
		queue = queue[1:]
		if x == b {
			var c []string
			for ; x != ""; x = prev[x] {
				c = append([]string{strings.TrimPrefix(x, module)}, c...)
			}
			return c
		}
		for _, y := range byPath[x].Imports {
			if _, seen := prev[y]; !seen {
				prev[y] = x
				queue = append(queue, y)
			}
		}
	}
	return []string{strings.TrimPrefix(a, module), "…", strings.TrimPrefix(b, module)}
}

// TestArchitecture lists the module's packages (not their tests) with `go
// list -deps -json` and fails on every dependency the rules forbid.
func TestArchitecture(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "-json", module+"...")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list: %v: %s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 20 || !slices.ContainsFunc(pkgs, func(p pkg) bool { return p.ImportPath == module+"model" }) {
		t.Fatalf("go list gave %d packages, without model: not the module", len(pkgs))
	}
	for _, v := range violations(pkgs) {
		t.Error(v)
	}
}

// TestRulesCatchAPlantedImport: the checker fails on a forbidden import
// planted in a copy of a real layering (an analysis importing train,
// report importing model, a package without a layer) and passes without it.
func TestRulesCatchAPlantedImport(t *testing.T) {
	m := func(s string) string { return module + s }
	clean := []pkg{
		{ImportPath: m("model"), Imports: []string{m("attention")}, Deps: []string{m("attention"), "fmt"}},
		{ImportPath: m("attention"), Deps: []string{"fmt"}},
		{ImportPath: m("train"), Imports: []string{m("model")}, Deps: []string{m("model"), m("attention")}},
		{ImportPath: m("sinks"), Imports: []string{m("model"), m("report")}, Deps: []string{m("model"), m("attention"), m("report")}},
		{ImportPath: m("report"), Deps: []string{"fmt"}},
		{ImportPath: m("studies/sinkvariants"), Imports: []string{m("sinks"), m("train")}, Deps: []string{m("sinks"), m("train"), m("model")}},
		{ImportPath: m("cmd/attnlab"), Imports: []string{m("studies/sinkvariants"), cobra[0]}, Deps: []string{m("studies/sinkvariants"), cobra[0]}},
	}
	if v := violations(clean); len(v) != 0 {
		t.Fatalf("clean graph: %v", v)
	}
	planted := slices.Clone(clean)
	planted[3].Imports = append(planted[3].Imports, m("studies/sinkvariants"))
	planted[3].Deps = append(planted[3].Deps, m("studies/sinkvariants"), m("train"))
	planted[4].Imports, planted[4].Deps = []string{m("model")}, []string{m("model"), m("attention")}
	planted = append(planted, pkg{ImportPath: m("newpkg")})
	v := violations(planted)
	for _, want := range []string{
		"sinks → studies/sinkvariants: analyses are pure",
		"sinks → studies/sinkvariants → train: analyses are pure",
		"report → model: report and plots draw numbers",
		m("newpkg") + " has no layer",
	} {
		if !slices.ContainsFunc(v, func(s string) bool { return strings.HasPrefix(s, want) }) {
			t.Errorf("planted graph: no violation %q in %q", want, v)
		}
	}
	if !matches(m("internal/gemm"), engine) || matches(m("internalx"), engine) || !matches(m("studies/mqar"), studies) || matches(m("trainx"), [][]string{{"train"}}[0]) {
		t.Error("pattern matching is wrong")
	}
}
