//go:build linux

package auth

import (
	"syscall"
	"time"
	"unsafe"
)

// cpuTime is the CPU time the process has used (all its threads), read
// with clock_gettime(CLOCK_PROCESS_CPUTIME_ID), which Linux keeps to the
// nanosecond (getrusage's is coarser), for TestLoginTiming.
func cpuTime() time.Duration {
	const clockProcessCPUTimeID = 2
	var ts syscall.Timespec
	if _, _, e := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockProcessCPUTimeID, uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
		return 0
	}
	return time.Duration(ts.Nano())
}
