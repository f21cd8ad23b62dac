package cmd_test

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// seccompDeny is "seccomp-deny ACTION PROG [ARG...]": it runs PROG with a
// seccomp filter that fails memfd_secret(2) with ENOSYS or EPERM, as a
// container or service profile would, or with SIGSYS kills the process that
// calls it, as systemd's SystemCallFilter= does.
func seccompDeny() {
	if len(os.Args) < 3 {
		fail(fmt.Errorf("usage: seccomp-deny ENOSYS|EPERM|SIGSYS PROG [ARG...]"))
	}
	action, ok := map[string]uint32{
		"ENOSYS": unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS),
		"EPERM":  unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM),
		"SIGSYS": unix.SECCOMP_RET_KILL_PROCESS,
	}[os.Args[1]]
	if !ok {
		fail(fmt.Errorf("unknown action %s", os.Args[1]))
	}
	const (
		ldAbs  = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
		jeq    = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
		ret    = unix.BPF_RET | unix.BPF_K
		offsNr = 0 // seccomp_data.nr
	)
	filter := []unix.SockFilter{
		{Code: ldAbs, K: offsNr},
		{Code: jeq, Jt: 0, Jf: 1, K: unix.SYS_MEMFD_SECRET},
		{Code: ret, K: action},
		{Code: ret, K: unix.SECCOMP_RET_ALLOW},
	}
	prog := unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}
	// The filter applies to this thread, which then calls execve.
	runtime.LockOSThread()
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		fail(err)
	}
	if err := unix.Prctl(unix.PR_SET_SECCOMP, unix.SECCOMP_MODE_FILTER, uintptr(unsafe.Pointer(&prog)), 0, 0); err != nil {
		fail(err)
	}
	path, err := exec.LookPath(os.Args[2])
	if err != nil {
		fail(err)
	}
	fail(syscall.Exec(path, os.Args[2:], os.Environ()))
}

// probeKernel checks, on the secret descriptor fd mapped at mem, what the
// kernel selftest for memfd_secret checks, and prints one line per check.
func probeKernel(fd int, mem []byte) {
	_, err := unix.Write(fd, []byte("x"))
	fmt.Printf("probe write: %v\n", err)
	_, err = unix.Pread(fd, make([]byte, 1), 0)
	fmt.Printf("probe pread: %v\n", err)
	_, err = unix.Mmap(fd, 0, len(mem), unix.PROT_READ, unix.MAP_PRIVATE)
	fmt.Printf("probe MAP_PRIVATE: %v\n", err)
	_, err = os.Open(fmt.Sprintf("/proc/self/fd/%d", fd))
	fmt.Printf("probe reopen: %v\n", errnoOf(err))
	// From a second process: /proc/PID/mem, process_vm_readv and ptrace.
	addr := uintptr(unsafe.Pointer(&mem[0]))
	out, err := exec.Command("memprobe", strconv.Itoa(os.Getpid()), strconv.FormatUint(uint64(addr), 10)).CombinedOutput()
	if err != nil {
		fail(fmt.Errorf("memprobe: %v: %s", err, out))
	}
	fmt.Print(string(out))
}

func errnoOf(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// memprobe is "memprobe PID ADDR": from outside the process, it tries to
// read the secret page at ADDR of PID in each way the kernel offers.
func memprobe() {
	pid, _ := strconv.Atoi(os.Args[1])
	addr, _ := strconv.ParseUint(os.Args[2], 10, 64)
	buf := make([]byte, 16)

	mem, err := os.Open(fmt.Sprintf("/proc/%d/mem", pid))
	if err == nil {
		_, err = mem.ReadAt(buf, int64(addr))
		mem.Close()
	}
	fmt.Printf("probe /proc/PID/mem: %v\n", errnoOf(err))

	local := []unix.Iovec{{Base: &buf[0], Len: uint64(len(buf))}}
	remote := []unix.RemoteIovec{{Base: uintptr(addr), Len: len(buf)}}
	_, err = unix.ProcessVMReadv(pid, local, remote, 0)
	fmt.Printf("probe process_vm_readv: %v\n", err)

	runtime.LockOSThread()
	if err := unix.PtraceAttach(pid); err != nil {
		fmt.Printf("probe ptrace attach: %v\n", err)
		return
	}
	var ws unix.WaitStatus
	unix.Wait4(pid, &ws, unix.WALL, nil)
	_, err = unix.PtracePeekData(pid, uintptr(addr), buf[:8])
	fmt.Printf("probe ptrace PEEKDATA: %v\n", err)
	unix.PtraceDetach(pid)
}
