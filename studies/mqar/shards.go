package mqar

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/attnlab/attnlab/internal/badinput"
	"github.com/attnlab/attnlab/internal/userfile"
	"github.com/attnlab/attnlab/report"
)

// ReadShards reads the mqar.csv files that shards of a grid wrote (each at
// most userfile.TableLimit bytes) and joins them with Merge. The manifest
// beside a file, when there is one, says which shard of how large a grid
// it was: those ShardRuns are returned for Completeness. A file given
// twice (by the same path or through a link) is a *badinput.Error: the
// list of files is what the caller asked for. A file that does not exist
// or cannot be read, a table that is not an mqar.csv and tables that do
// not merge are plain errors, as a missing or malformed weights file is.
func ReadShards(paths []string) (*report.Table, []ShardRun, error) {
	if a, b, ok := SameFiles(paths); ok {
		if a == b {
			return nil, nil, badinput.Errorf("shard file %s is given twice: each shard is merged once", a)
		}
		return nil, nil, badinput.Errorf("shard files %s and %s are the same file: each shard is merged once", a, b)
	}
	var ts []*report.Table
	var runs []ShardRun
	for _, p := range paths {
		f, _, err := userfile.Open(p, userfile.TableLimit)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, nil, fmt.Errorf("shard file %s does not exist", p)
			}
			return nil, nil, err
		}
		t, err := report.ReadCSV(io.LimitReader(f, userfile.TableLimit))
		f.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", p, err)
		}
		if t.Column("cell") < 0 || t.Column("accuracy") < 0 {
			return nil, nil, fmt.Errorf("%s is not an mqar.csv written by attnlab retrieval (no cell or accuracy column)", p)
		}
		t.Name = "mqar"
		ts = append(ts, t)
		if m, err := report.ReadManifest(filepath.Dir(p)); err == nil {
			if run, ok := ShardRunOf(m.Extra); ok {
				runs = append(runs, run)
			}
		}
	}
	merged, err := Merge(ts, paths...)
	return merged, runs, err
}

// SameFiles returns the first two paths that name the same file (the same
// path, cleaned, or the same file reached another way), and whether there
// are any. Paths that do not exist are compared by name only.
func SameFiles(paths []string) (string, string, bool) {
	infos := make([]os.FileInfo, len(paths))
	for i, p := range paths {
		infos[i], _ = os.Stat(p)
		for j := range i {
			if filepath.Clean(paths[j]) == filepath.Clean(p) || infos[i] != nil && infos[j] != nil && os.SameFile(infos[i], infos[j]) {
				return paths[j], p, true
			}
		}
	}
	return "", "", false
}
