// Command wasi-probe checks the WASI host of web/src/host (args, env, clocks, random,
// stdout/stderr, exit status, and timers in poll_oneoff while goroutines wait). It prints
// one line per check; the host tests compare them.
package main

import (
	"crypto/rand"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"
)

func main() {
	fmt.Printf("args %q\n", os.Args[1:])
	fmt.Printf("env YAMUX_PROBE=%s\n", os.Getenv("YAMUX_PROBE"))
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		fmt.Println("random error", err)
	} else {
		fmt.Println("random ok", b != [32]byte{})
	}
	fmt.Println("wallclock", time.Now().Year() >= 2024)

	// Several goroutines sleeping different times: they must wake in order and the
	// whole run must take about the longest sleep, not the sum.
	t0 := time.Now()
	var mu sync.Mutex
	var order []int
	var wg sync.WaitGroup
	for _, ms := range []int{30, 10, 20} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(ms) * time.Millisecond)
			mu.Lock()
			order = append(order, ms)
			mu.Unlock()
		}()
	}
	tick := time.NewTicker(5 * time.Millisecond)
	ticks := 0
	for ticks < 3 {
		<-tick.C
		ticks++
	}
	tick.Stop()
	wg.Wait()
	el := time.Since(t0)
	fmt.Printf("sleeps %v ticks %d elapsed>=30ms %v\n", order, ticks, el >= 30*time.Millisecond)
	fmt.Fprintln(os.Stderr, "to stderr")
	code := 0
	if len(os.Args) > 1 {
		code, _ = strconv.Atoi(os.Args[len(os.Args)-1])
	}
	os.Exit(code)
}
