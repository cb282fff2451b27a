// Package sigctx turns SIGINT and SIGTERM into the cancellation of a
// context, so that every long-running library call (which takes a context
// and checks it in its loops) stops promptly, and says which signal it was.
package sigctx

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// Interrupted is the cause of the context's cancellation when a signal
// arrives.
type Interrupted struct{ Sig os.Signal }

func (i *Interrupted) Error() string { return "interrupted by " + Name(i.Sig) }

// ExitCode is the shell's status for a process ended by the signal:
// 128+n (130 for SIGINT, 143 for SIGTERM); 1 for a signal without a number.
func (i *Interrupted) ExitCode() int {
	if s, ok := i.Sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 1
}

// Name is the signal's usual name: SIGINT, SIGTERM.
func Name(s os.Signal) string {
	switch s {
	case os.Interrupt:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return s.String()
}

// Context returns a context cancelled, with an *Interrupted cause, by the
// first SIGINT or SIGTERM, and the function that releases it. After the
// first signal the handlers are removed, so a second Ctrl-C ends the
// process at once.
func Context() (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-sigs:
			signal.Stop(sigs)
			cancel(&Interrupted{s})
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel(nil)
	}
}
