// Checks of the WASI 0.2 host through a Go (GOOS=wasip1) program adapted to a command
// component. One mode per run:
//
//	probe echo       copies stdin to stdout until end of file; "echoed N" on stderr
//	probe timers     goroutines sleeping 300/100/200 ms and a 20 ms ticker; prints the order
//	probe exit N     prints "exiting N", then os.Exit(N)
//	probe eof        reads stdin to its end, then reads again; prints what it got
//	probe env        prints its arguments and the environment variables starting with PROBE_
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: probe echo|timers|exit N|eof|env")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "echo":
		n, err := io.CopyBuffer(os.Stdout, os.Stdin, make([]byte, 64<<10))
		fmt.Fprintf(os.Stderr, "echoed %d\n", n)
		if err != nil {
			fmt.Fprintln(os.Stderr, "echo:", err)
			os.Exit(1)
		}
	case "timers":
		timers()
	case "exit":
		code, _ := strconv.Atoi(os.Args[2])
		fmt.Printf("exiting %d\n", code)
		os.Exit(code)
	case "eof":
		b, err := io.ReadAll(os.Stdin)
		fmt.Printf("read %d bytes %q err=%v\n", len(b), b, err)
		var one [16]byte
		n, err := os.Stdin.Read(one[:])
		fmt.Printf("again %d eof=%v\n", n, errors.Is(err, io.EOF))
	case "env":
		fmt.Printf("args %s\n", strings.Join(os.Args, " "))
		var env []string
		for _, kv := range os.Environ() {
			if strings.HasPrefix(kv, "PROBE_") {
				env = append(env, kv)
			}
		}
		sort.Strings(env)
		fmt.Printf("env %s\n", strings.Join(env, " "))
	default:
		fmt.Fprintf(os.Stderr, "probe: unknown mode %q\n", os.Args[1])
		os.Exit(2)
	}
}

// timers: three goroutines wake in the order of their sleeps while a ticker runs and main
// waits in a select; prints each wake-up, the tick count and the elapsed time.
func timers() {
	t0 := time.Now()
	done := make(chan string)
	for _, ms := range []int{300, 100, 200} {
		go func(ms int) {
			time.Sleep(time.Duration(ms) * time.Millisecond)
			done <- fmt.Sprintf("%dms", ms)
		}(ms)
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var order []string
	ticks := 0
	for len(order) < 3 {
		select {
		case name := <-done:
			order = append(order, name)
			fmt.Printf("woke %s at %d ms\n", name, time.Since(t0).Milliseconds())
		case <-tick.C:
			ticks++
		}
	}
	fmt.Printf("order %s\n", strings.Join(order, " "))
	fmt.Printf("ticks %d elapsed %d ms\n", ticks, time.Since(t0).Milliseconds())
}
