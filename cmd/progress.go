package cmd

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"filippo.io/age/plugin"
	"golang.org/x/sys/unix"
	"golang.org/x/term"
)

// progressDelay is how long a run goes before it shows progress; the tests
// shorten it.
var progressDelay = time.Second

// progressInterval is how often the progress line is redrawn.
const progressInterval = 200 * time.Millisecond

// progress is the line on standard error that says what a long run is
// doing: reading a stream, unlocking a file (a key derivation such as
// scrypt), decrypting a payload. It shows only when standard error is a
// terminal of the foreground, once a run has gone on for progressDelay
// without asking anything, and is erased before secretcat says anything
// else or goes on to COMMAND. A few lines rather than a library: a progress
// library would cost every run its initialisation (docs/performance.md).
type progress struct {
	mu      sync.Mutex
	on      bool // standard error is a terminal
	phase   string
	total   int64        // bytes the phase will count, 0 if unknown
	done    atomic.Int64 // bytes counted so far
	since   time.Time    // when the clock started: the phase, or the last question
	paused  int
	shown   string // the line on the terminal, "" if none
	stopped bool
	timer   *time.Timer
}

// status is this run's progress line.
var status progress

// start turns the line on if standard error is a terminal of this
// process's foreground group.
func (p *progress) start() {
	pgrp, err := unix.IoctlGetInt(2, unix.TIOCGPGRP)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.on = err == nil && pgrp == unix.Getpgrp() && term.IsTerminal(2)
	p.since = time.Now()
	p.stopped = false
}

// set starts a phase, counting total bytes (0: none or unknown), and
// returns its counter.
func (p *progress) set(phase string, total int64) *atomic.Int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.phase, p.total = phase, total
	p.done.Store(0)
	p.schedule(false)
	return &p.done
}

// schedule arms the timer for the next drawing: the next redraw when the
// line is shown (again), or else the end of the delay. It holds p.mu.
func (p *progress) schedule(again bool) {
	if !p.on || p.stopped || p.paused > 0 {
		return
	}
	wait := max(0, progressDelay-time.Since(p.since))
	if again {
		wait = progressInterval
	}
	if p.timer == nil {
		p.timer = time.AfterFunc(wait, p.tick)
	} else {
		p.timer.Reset(wait)
	}
}

func (p *progress) tick() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.on || p.stopped || p.paused > 0 || time.Since(p.since) < progressDelay {
		p.schedule(false)
		return
	}
	line := "secretcat: " + p.phase
	if done := p.done.Load(); p.total > 0 {
		line += fmt.Sprintf(": %s of %s (%d%%)", shortBytes(done), shortBytes(p.total), done*100/p.total)
	} else if done > 0 {
		line += ": " + shortBytes(done)
	}
	line += "..."
	if w, _, err := term.GetSize(2); err == nil && w > 1 && len(line) >= w {
		line = line[:w-1]
	}
	if line != p.shown {
		os.Stderr.WriteString("\r" + line + "\x1b[K")
		p.shown = line
	}
	p.schedule(true)
}

// shortBytes writes n for the progress line: 1.5 MiB.
func shortBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// erase removes the line, if shown. It holds p.mu.
func (p *progress) erase() {
	if p.shown != "" {
		os.Stderr.WriteString("\r\x1b[K")
		p.shown = ""
	}
}

// pause erases the line while secretcat asks something or says something;
// resume restarts the clock, so that the time spent answering does not
// count.
func (p *progress) pause() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.paused++
	p.erase()
}

func (p *progress) resume() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.paused--
	p.since = time.Now()
	p.schedule(false)
}

// stop erases the line for good.
func (p *progress) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopped = true
	if p.timer != nil {
		p.timer.Stop()
	}
	p.erase()
}

// say erases the line, if shown, and writes s on standard error; the next
// drawing puts the line back under it.
func (p *progress) say(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.erase()
	os.Stderr.WriteString(s)
}

// guard pauses the line while an age plugin talks to the user.
func (p *progress) guard(ui *plugin.ClientUI) *plugin.ClientUI {
	display, request, confirm, wait := ui.DisplayMessage, ui.RequestValue, ui.Confirm, ui.WaitTimer
	ui.DisplayMessage = func(name, message string) error {
		p.pause()
		defer p.resume()
		return display(name, message)
	}
	ui.RequestValue = func(name, prompt string, secret bool) (string, error) {
		p.pause()
		defer p.resume()
		return request(name, prompt, secret)
	}
	ui.Confirm = func(name, prompt, yes, no string) (bool, error) {
		p.pause()
		defer p.resume()
		return confirm(name, prompt, yes, no)
	}
	ui.WaitTimer = func(name string) {
		p.pause()
		defer p.resume()
		wait(name)
	}
	return ui
}
