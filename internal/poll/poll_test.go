package poll

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestUntilReturnsOnceTrue(t *testing.T) {
	var calls atomic.Int32
	Until(t, 10*time.Second, "the third call", func() bool { return calls.Add(1) == 3 })
	if n := calls.Load(); n != 3 {
		t.Fatalf("cond called %d times, want 3", n)
	}
}

type recorder struct{ msg string }

func (r *recorder) Fatalf(format string, args ...any) { r.msg = fmt.Sprintf(format, args...) }

func TestUntilFailsAfterTimeout(t *testing.T) {
	var r recorder
	start := time.Now()
	Until(&r, 20*time.Millisecond, "nothing", func() bool { return false })
	if !strings.Contains(r.msg, "timed out after 20ms waiting for nothing") {
		t.Fatalf("failure %q", r.msg)
	}
	if time.Since(start) < 20*time.Millisecond {
		t.Fatal("gave up before the timeout")
	}
}
