package mqar

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"

	"github.com/attnlab/attnlab/internal/badinput"
	"github.com/attnlab/attnlab/internal/userfile"
	"github.com/attnlab/attnlab/report"
)

// ReadShards reads the mqar.csv files that shards of a grid wrote (each at
// most userfile.TableLimit bytes) and joins them with Merge. The manifest
// beside a file, when there is one, says which shard of how large a grid
// it was: those ShardRuns are returned for Completeness. A file that does
// not exist, a table that is not an mqar.csv and tables that do not merge
// are *badinput.Error; a file that cannot be read is a plain error.
func ReadShards(paths []string) (*report.Table, []ShardRun, error) {
	var ts []*report.Table
	var runs []ShardRun
	for _, p := range paths {
		f, _, err := userfile.Open(p, userfile.TableLimit)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, nil, badinput.Errorf("shard file %s does not exist", p)
			}
			return nil, nil, err
		}
		t, err := report.ReadCSV(io.LimitReader(f, userfile.TableLimit))
		f.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", p, err)
		}
		if t.Column("cell") < 0 || t.Column("accuracy") < 0 {
			return nil, nil, badinput.Errorf("%s is not an mqar.csv written by attnlab retrieval (no cell or accuracy column)", p)
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
	return merged, runs, badinput.Wrap(err)
}
