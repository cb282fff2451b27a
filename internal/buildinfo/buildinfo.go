// Package buildinfo says which attnlab is running, for --version and the
// manifests: the module version ("(devel)" for a build from a checkout)
// and the first 12 digits of the VCS revision, "+dirty" when the tree had
// uncommitted changes.
package buildinfo

import "runtime/debug"

// Version is "v1.2.3 0123456789ab", "(devel) 0123456789ab+dirty", or the
// version alone when the build recorded no revision.
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(devel)"
	}
	return version(bi)
}

func version(bi *debug.BuildInfo) string {
	v, rev := "(devel)", ""
	if bi.Main.Version != "" {
		v = bi.Main.Version
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			rev = s.Value[:12]
		}
		if s.Key == "vcs.modified" && s.Value == "true" {
			rev += "+dirty"
		}
	}
	if rev != "" {
		return v + " " + rev
	}
	return v
}
