package cmd

import (
	"debug/elf"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// preloadName is the file name of the preload library (preload/ in the
// source), which --preload adds to COMMAND's LD_PRELOAD.
const preloadName = "libsecretcat-preload.so"

// envPreload, when set, is the path of the preload library, instead of the
// places findPreload searches.
const envPreload = "SECRETCAT_PRELOAD"

// findPreload returns the absolute path of the preload library: the one
// SECRETCAT_PRELOAD names, or else the first one next to secretcat's own
// executable (where make build puts it) or in ../lib/secretcat/ from it
// (where make install does). Its errors have the status ExitPreload.
func findPreload() (string, error) {
	if p := os.Getenv(envPreload); p != "" {
		abs, err := checkPreload(p)
		if err != nil {
			return "", preloadError(fmt.Errorf("%s=%s: %w", envPreload, p, err))
		}
		return abs, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return "", preloadError(fmt.Errorf("finding secretcat's own executable to find %s next to it: %w: set %s to the library's path", preloadName, err, envPreload))
	}
	dir := filepath.Dir(exe)
	candidates := []string{filepath.Join(dir, preloadName), filepath.Join(filepath.Dir(dir), "lib", "secretcat", preloadName)}
	for _, c := range candidates {
		abs, err := checkPreload(c)
		if err == nil {
			return abs, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", preloadError(err)
		}
	}
	return "", preloadError(fmt.Errorf("%s is neither in %s nor in %s: build it with make build (it needs a C compiler), install it with make install, or set %s to its path", preloadName, dir, filepath.Dir(candidates[1]), envPreload))
}

// checkPreload checks that path is a readable regular file that LD_PRELOAD
// can name, and returns its absolute path.
func checkPreload(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	st, err := os.Stat(abs)
	if err != nil {
		return "", err
	}
	if !st.Mode().IsRegular() {
		return "", fmt.Errorf("%s is not a regular file", abs)
	}
	if err := unix.Access(abs, unix.R_OK); err != nil {
		return "", &fs.PathError{Op: "access", Path: abs, Err: err}
	}
	if strings.ContainsAny(abs, ": \t\n") {
		return "", fmt.Errorf("%q cannot be named in LD_PRELOAD, which separates paths with colons and spaces: move the library", abs)
	}
	return abs, nil
}

func preloadError(err error) error {
	return &exitError{code: ExitPreload, err: fmt.Errorf("--preload: %w", err)}
}

// withPreload is the LD_PRELOAD value that loads lib before the libraries
// that old (LD_PRELOAD's value so far) names, once.
func withPreload(old, lib string) string {
	kept := []string{lib}
	for _, p := range strings.FieldsFunc(old, func(r rune) bool { return r == ':' || r == ' ' }) {
		if p != lib {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, ":")
}

// fdPath is the path that {path} stands for: the preload library opens it
// for COMMAND (and with fallback memory the kernel itself can).
func fdPath(fd int) string { return "/dev/fd/" + strconv.Itoa(fd) }

// preloadReach says why the dynamic linker will not load the preload
// library into the program at path, or returns "" when nothing stands in
// its way that secretcat can see: a statically linked executable has no
// dynamic linker, and a set-user-ID or set-group-ID one that changes the
// caller's identity runs in secure-execution mode, where an LD_PRELOAD
// path with a slash is ignored (ld.so(8)). Files that are not ELF (scripts)
// are left to their interpreter.
func preloadReach(path string) string {
	file, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer file.Close()
	st, err := file.Stat()
	if err != nil {
		return ""
	}
	f, err := elf.NewFile(file)
	if err != nil {
		return ""
	}
	if !slices.ContainsFunc(f.Progs, func(p *elf.Prog) bool { return p.Type == elf.PT_INTERP }) {
		return path + " is statically linked: no dynamic linker runs in it to load the preload library, so no /dev/fd/N path is served in it and no OpenSSL heap is set up; it must map its secret descriptors itself"
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	if st.Mode()&fs.ModeSetuid != 0 && int(sys.Uid) != os.Getuid() || st.Mode()&fs.ModeSetgid != 0 && int(sys.Gid) != os.Getgid() {
		return path + " is set-user-ID or set-group-ID: the dynamic linker ignores LD_PRELOAD's library in it (secure-execution mode), so no /dev/fd/N path is served in it and no OpenSSL heap is set up"
	}
	return ""
}
