// The seed's demo as a WASI 0.2 command component: Go (GOOS=wasip1) sleeping with time.Sleep
// and writing to stdout, made a component by `jco new --wasi-command`. The host's
// wasi:io/poll blocks the worker during the sleep; bench/bench_component.mjs measures the
// worker's CPU time between the "sleeping" and "woke" lines.
//
//	demo [SLEEP_MS]    (default 2000)
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

func main() {
	ms := 2000
	if len(os.Args) > 1 {
		n, err := strconv.Atoi(os.Args[1])
		if err != nil || n < 0 {
			fmt.Fprintf(os.Stderr, "demo: bad sleep %q\n", os.Args[1])
			os.Exit(2)
		}
		ms = n
	}
	fmt.Println("hello from Go, a WASI 0.2 component")
	fmt.Printf("sleeping %d ms\n", ms)
	t0 := time.Now()
	time.Sleep(time.Duration(ms) * time.Millisecond)
	fmt.Printf("woke after %d ms\n", time.Since(t0).Milliseconds())
}
