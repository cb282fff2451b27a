package sigctx

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"
)

// TestContext: a SIGTERM to this process cancels the context with an
// *Interrupted cause whose exit code is 143; releasing it before a signal
// leaves the cause Canceled.
func TestContext(t *testing.T) {
	ctx, stop := Context()
	defer stop()
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(30 * time.Second): // a hang guard, with slack for a loaded machine
		t.Fatal("SIGTERM did not cancel the context")
	}
	i, ok := context.Cause(ctx).(*Interrupted)
	if !ok || i.ExitCode() != 143 || i.Error() != "interrupted by SIGTERM" {
		t.Errorf("cause %v", context.Cause(ctx))
	}
	ctx2, stop2 := Context()
	stop2()
	if context.Cause(ctx2) != context.Canceled {
		t.Errorf("released: cause %v", context.Cause(ctx2))
	}
	if (&Interrupted{os.Interrupt}).ExitCode() != 130 || Name(os.Interrupt) != "SIGINT" {
		t.Error("SIGINT: want exit 130, name SIGINT")
	}
}
