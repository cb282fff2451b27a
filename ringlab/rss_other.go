//go:build !linux && !darwin

package ringlab

// PeakRSS is 0: the peak resident memory is not measured on this system.
func PeakRSS() int64 { return 0 }
