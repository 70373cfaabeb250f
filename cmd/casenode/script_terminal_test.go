package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"unsafe"

	"github.com/rogpeppe/go-internal/testscript"
)

// terminal OUT TTY PROG ARGS... runs PROG with its standard error on a
// terminal (a pseudo-terminal of this machine), as a person at a shell
// runs it: its standard output goes to the file OUT, what it drew on the
// terminal to the file TTY. It fails when PROG fails, unless negated.
func cmdTerminal(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 3 {
		ts.Fatalf("usage: terminal OUT TTY PROG ARGS...")
	}
	path, err := exec.LookPath(args[2])
	ts.Check(err)
	master, slave, err := openPTY()
	ts.Check(err)
	defer master.Close()
	var out bytes.Buffer
	cmd := exec.Command(path, args[3:]...)
	cmd.Dir = ts.Getenv("WORK")
	cmd.Env = os.Environ()
	for _, k := range []string{"HOME", "TMPDIR", "USER", "CASENODE_PASSPHRASE"} {
		cmd.Env = append(cmd.Env, k+"="+ts.Getenv(k))
	}
	cmd.Stdout, cmd.Stderr = &out, slave
	if err := cmd.Start(); err != nil {
		slave.Close()
		ts.Fatalf("start %s: %v", args[2], err)
	}
	slave.Close()
	drawn := make(chan []byte)
	go func() {
		// The terminal ends (EIO) once the program, its last holder, exits.
		b, _ := io.ReadAll(master)
		drawn <- b
	}()
	runErr := cmd.Wait()
	tty := <-drawn
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), out.Bytes(), 0o644))
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), tty, 0o644))
	ts.Logf("[terminal]\n%q", tty)
	if (runErr != nil) != neg {
		ts.Fatalf("%s: %v, want %s", args[2], runErr, map[bool]string{false: "success", true: "failure"}[neg])
	}
}

// openPTY opens a new pseudo-terminal: its master side, and the terminal
// a program writes to.
func openPTY() (master, slave *os.File, err error) {
	master, err = os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, err
	}
	var unlock int32
	var n uint32
	if err := ioctl(master, syscall.TIOCSPTLCK, unsafe.Pointer(&unlock)); err != nil {
		master.Close()
		return nil, nil, fmt.Errorf("unlock pseudo-terminal: %w", err)
	}
	if err := ioctl(master, syscall.TIOCGPTN, unsafe.Pointer(&n)); err != nil {
		master.Close()
		return nil, nil, fmt.Errorf("pseudo-terminal number: %w", err)
	}
	slave, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		master.Close()
		return nil, nil, err
	}
	return master, slave, nil
}

func ioctl(f *os.File, req uintptr, arg unsafe.Pointer) error {
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), req, uintptr(arg)); e != 0 {
		return e
	}
	return nil
}
