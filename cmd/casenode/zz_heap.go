package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"time"
)

func init() {
	p := os.Getenv("ZZ_HEAPPROF")
	if p == "" || len(os.Args) < 2 || os.Args[1] != "hub" {
		return
	}
	go func() {
		var best uint64
		for i := 0; ; i++ {
			time.Sleep(300 * time.Millisecond)
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			if m.HeapInuse > best {
				best = m.HeapInuse
				f, _ := os.Create(p)
				pprof.WriteHeapProfile(f)
				f.Close()
				fmt.Fprintf(os.Stderr, "ZZ heap %d\n", best>>20)
			}
		}
	}()
}
