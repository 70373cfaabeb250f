package batch

import (
	"slices"
	"testing"
)

func TestDrain(t *testing.T) {
	ch := make(chan int, 10)
	for i := range 5 {
		ch <- i
	}
	if got := Drain([]int{-1}, ch, 3); !slices.Equal(got, []int{-1, 0, 1}) {
		t.Errorf("bounded: %v, want [-1 0 1]", got)
	}
	if len(ch) != 3 {
		t.Errorf("bounded drain took %d items, want 2", 5-len(ch))
	}
	if got := Drain(nil, ch, 0); !slices.Equal(got, []int{2, 3, 4}) {
		t.Errorf("unbounded: %v, want [2 3 4]", got)
	}
	if got := Drain([]int{7}, ch, 0); !slices.Equal(got, []int{7}) {
		t.Errorf("empty channel: %v, want [7]", got)
	}
	ch <- 8
	close(ch)
	if got := Drain(nil, ch, 0); !slices.Equal(got, []int{8}) {
		t.Errorf("closed channel: %v, want [8]", got)
	}
	var recv <-chan int = ch
	if got := Drain(nil, recv, -1); len(got) != 0 {
		t.Errorf("closed and empty: %v, want nothing", got)
	}
}
