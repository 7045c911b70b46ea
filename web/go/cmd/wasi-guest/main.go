// Command wasi-guest is the Go program of the WASI host's tests and benchmark: a standard
// Go program (GOOS=wasip1) whose network connections are the wasm worker's yamux streams,
// through package yamuxnet (Listen: descriptor 3, Dial: the host's yamux.dial import).
//
//	wasi-guest echo                 echo every accepted stream back, half-close after its end
//	wasi-guest dial N BYTES         open N streams at once, send BYTES of the pattern on each,
//	                                half-close, read the echo back and verify it
//	wasi-guest halfclose            two streams: read one to its end then answer; on the other
//	                                answer first, half-close, then read to its end
//	wasi-guest deadline MS          a read that times out after MS, then an echo on the stream
//	wasi-guest exitmid BYTES CODE   read BYTES of the first stream, then exit with CODE
//	wasi-guest sink                 read every accepted stream to its end, half-close it
//	wasi-guest source N BYTES       open N streams, write BYTES each, half-close, wait for end
//	wasi-guest sleep MS             time.Sleep(MS) while a goroutine ticks every MS/10
//	wasi-guest compute MS           compute (no I/O, no sleep) until MS have passed
//
// Stream i's byte k is (k*31 + i*7 + k>>8) & 0xFF (i: the stream's index for dial/source).
// Results are lines on standard output ("dial ok", "stats {...}"); failures go to standard
// error with exit status 1.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"time"

	"yamuxnet"
)

func main() {
	if len(os.Args) < 2 {
		fail("usage: wasi-guest echo|dial|halfclose|deadline|exitmid|sink|source|sleep|compute ...")
	}
	args := os.Args[2:]
	switch os.Args[1] {
	case "echo":
		serve(echo)
	case "sink":
		serve(sink)
	case "dial":
		dialVerify(atoi(args, 0), atoi(args, 1))
	case "source":
		source(atoi(args, 0), atoi(args, 1))
	case "halfclose":
		halfclose()
	case "deadline":
		deadline(time.Duration(atoi(args, 0)) * time.Millisecond)
	case "exitmid":
		exitmid(atoi(args, 0), atoi(args, 1))
	case "sleep":
		sleep(time.Duration(atoi(args, 0)) * time.Millisecond)
	case "compute":
		compute(time.Duration(atoi(args, 0)) * time.Millisecond)
	default:
		fail("unknown mode " + os.Args[1])
	}
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "wasi-guest:", msg)
	os.Exit(1)
}

func atoi(args []string, i int) int {
	if i >= len(args) {
		fail("missing argument")
	}
	n, err := strconv.Atoi(args[i])
	if err != nil {
		fail(err.Error())
	}
	return n
}

func pattern(i, off, n int) []byte {
	b := make([]byte, n)
	for j := range b {
		k := off + j
		b[j] = byte(k*31 + i*7 + k>>8)
	}
	return b
}

// serve accepts until the session ends, one goroutine per stream.
func serve(handle func(c *net.TCPConn)) {
	l, err := yamuxnet.Listen()
	if err != nil {
		fail(err.Error())
	}
	var wg sync.WaitGroup
	n := 0
	for {
		c, err := l.Accept()
		if err != nil {
			wg.Wait()
			fmt.Printf("accepted %d, then: %v\n", n, err)
			return
		}
		n++
		wg.Add(1)
		go func() {
			defer wg.Done()
			handle(c.(*net.TCPConn))
		}()
	}
}

func echo(c *net.TCPConn) {
	defer c.Close()
	if _, err := io.Copy(c, c); err != nil {
		fmt.Fprintln(os.Stderr, "echo:", err)
		return
	}
	c.CloseWrite()
}

func sink(c *net.TCPConn) {
	defer c.Close()
	buf := make([]byte, 256<<10)
	for {
		if _, err := c.Read(buf); err != nil {
			if err != io.EOF {
				fmt.Fprintln(os.Stderr, "sink:", err)
			}
			break
		}
	}
	c.CloseWrite()
}

func dialVerify(n, size int) {
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- dialOne(i, size)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			fail(err.Error())
		}
	}
	fmt.Printf("dial ok %d %d\n", n, size)
}

func dialOne(i, size int) error {
	c, err := yamuxnet.Dial(context.Background())
	if err != nil {
		return err
	}
	defer c.Close()
	tc := c.(*net.TCPConn)
	werr := make(chan error, 1)
	go func() {
		for off := 0; off < size; {
			m := min(64<<10, size-off)
			if _, err := tc.Write(pattern(i, off, m)); err != nil {
				werr <- err
				return
			}
			off += m
		}
		werr <- tc.CloseWrite()
	}()
	got, err := io.ReadAll(tc)
	if err != nil {
		return fmt.Errorf("stream %d: read: %w", i, err)
	}
	if err := <-werr; err != nil {
		return fmt.Errorf("stream %d: write: %w", i, err)
	}
	want := pattern(i, 0, size)
	if len(got) != len(want) {
		return fmt.Errorf("stream %d: %d bytes back, want %d", i, len(got), len(want))
	}
	for k := range got {
		if got[k] != want[k] {
			return fmt.Errorf("stream %d: byte %d differs", i, k)
		}
	}
	return nil
}

func source(n, size int) {
	t0 := time.Now()
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := yamuxnet.Dial(context.Background())
			if err != nil {
				fail(err.Error())
			}
			defer c.Close()
			tc := c.(*net.TCPConn)
			buf := pattern(i, 0, 64<<10)
			for off := 0; off < size; off += len(buf) {
				if _, err := tc.Write(buf[:min(len(buf), size-off)]); err != nil {
					fail(err.Error())
				}
			}
			tc.CloseWrite()
			io.Copy(io.Discard, tc) // the sink half-closes once it read everything
		}()
	}
	wg.Wait()
	s, _ := json.Marshal(map[string]any{"streams": n, "bytes_sent": n * size, "seconds": time.Since(t0).Seconds()})
	fmt.Printf("stats %s\n", s)
}

func halfclose() {
	l, err := yamuxnet.Listen()
	if err != nil {
		fail(err.Error())
	}
	// Stream 1: the event side sends and half-closes; we read to the end, then answer.
	c, err := l.Accept()
	if err != nil {
		fail(err.Error())
	}
	got, err := io.ReadAll(c)
	if err != nil {
		fail("read to end: " + err.Error())
	}
	fmt.Fprintf(c, "got %d bytes after your FIN", len(got))
	c.(*net.TCPConn).CloseWrite()
	c.Close()
	// Stream 2: we answer and half-close first; the event side sends afterwards.
	c, err = l.Accept()
	if err != nil {
		fail(err.Error())
	}
	fmt.Fprintf(c, "hello, then FIN")
	if err := c.(*net.TCPConn).CloseWrite(); err != nil {
		fail(err.Error())
	}
	if _, err := c.Write([]byte("x")); err == nil {
		fail("a write after CloseWrite succeeded")
	}
	got, err = io.ReadAll(c)
	if err != nil {
		fail("read after CloseWrite: " + err.Error())
	}
	c.Close()
	fmt.Printf("halfclose read %q after our FIN\n", got)
}

func deadline(d time.Duration) {
	l, err := yamuxnet.Listen()
	if err != nil {
		fail(err.Error())
	}
	c, err := l.Accept()
	if err != nil {
		fail(err.Error())
	}
	defer c.Close()
	buf := make([]byte, 64)
	t0 := time.Now()
	c.SetReadDeadline(time.Now().Add(d))
	_, err = c.Read(buf)
	waited := time.Since(t0)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		fail(fmt.Sprintf("read before any data: %v, want a deadline error", err))
	}
	fmt.Printf("deadline exceeded after >= %v: %v\n", d, waited >= d)
	c.SetReadDeadline(time.Time{})
	fmt.Fprintf(c, "timed out\n")
	n, err := c.Read(buf)
	if err != nil {
		fail("read after the deadline was lifted: " + err.Error())
	}
	c.Write(buf[:n])
	c.(*net.TCPConn).CloseWrite()
	io.Copy(io.Discard, c)
}

func exitmid(n, code int) {
	l, err := yamuxnet.Listen()
	if err != nil {
		fail(err.Error())
	}
	c, err := l.Accept()
	if err != nil {
		fail(err.Error())
	}
	if _, err := io.ReadFull(c, make([]byte, n)); err != nil {
		fail(err.Error())
	}
	fmt.Printf("read %d, exiting with %d\n", n, code)
	os.Exit(code)
}

// sleep parks the program in time.Sleep while another goroutine ticks: the host sleeps in
// poll_oneoff until the earliest timer, and the ticks arrive in order.
func sleep(d time.Duration) {
	t0 := time.Now()
	ticks := make(chan int)
	go func() {
		t := time.NewTicker(d / 10)
		defer t.Stop()
		n := 0
		for range t.C {
			n++
			if n == 5 {
				ticks <- n
				return
			}
		}
	}()
	time.Sleep(d)
	n := <-ticks
	fmt.Printf("slept %d ms: %v, ticks %d\n", d.Milliseconds(), time.Since(t0) >= d, n)
}

// compute keeps the CPU busy, reading the clock, until d has passed.
func compute(d time.Duration) {
	t0 := time.Now()
	x, rounds := uint64(1), 0
	for time.Since(t0) < d {
		for i := 0; i < 1000; i++ {
			x = x*6364136223846793005 + 1442695040888963407
		}
		rounds++
	}
	fmt.Printf("computed %d ms: %v (%d rounds, %x)\n", d.Milliseconds(), rounds > 0, rounds, x>>60)
}
