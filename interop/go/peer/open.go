package peer

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// runOpens opens --open streams (in order, so stream i gets the i-th size), drives each
// one concurrently and reports whether every one of them verified. opened is called
// once every stream is open.
func runOpens(o *options, st *stats, sess muxSession, opened func()) bool {
	var wg sync.WaitGroup
	var failed atomic.Bool
	for i, size := range streamSizes(o) {
		s, err := sess.Open()
		if err != nil {
			fmt.Fprintf(os.Stderr, "yamux-go-peer: open stream %d of %d: %v\n", i, o.open, err)
			failed.Store(true)
			break
		}
		st.streamsOpened.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := exercise(o, st, s, size); err != nil {
				fmt.Fprintf(os.Stderr, "yamux-go-peer: stream %d (%d bytes): %v\n", s.ID(), size, err)
				failed.Store(true)
			}
		}()
	}
	opened()
	wg.Wait()
	return !failed.Load()
}

// exercise writes the stream's payload and concurrently reads back and verifies what
// the remote sends (the echo, nothing for --sink, a prefix of the echo for --reset-after).
func exercise(o *options, st *stats, s muxStream, size uint64) error {
	var resetting atomic.Bool
	werr := make(chan error, 1)
	go func() { werr <- writeSide(o, st, s, size, &resetting) }()
	rerr := readSide(o, st, s, size, &resetting)
	if err := <-werr; err != nil {
		return err
	}
	return rerr
}

func writeSide(o *options, st *stats, s muxStream, size uint64, resetting *atomic.Bool) error {
	limit := size
	reset := o.resetAfter >= 0
	if reset {
		limit = min(size, uint64(o.resetAfter))
	}
	buf := make([]byte, o.writeSize)
	for off := uint64(0); off < limit; {
		n := min(uint64(len(buf)), limit-off)
		fillPattern(buf[:n], s.ID(), off)
		if _, err := s.Write(buf[:n]); err != nil {
			return fmt.Errorf("write at offset %d: %w", off, err)
		}
		st.bytesSent.Add(int64(n))
		off += n
	}
	if reset {
		resetting.Store(true)
		if err := s.Reset(); err != nil {
			return fmt.Errorf("reset: %w", err)
		}
		return nil
	}
	if err := s.CloseWrite(); err != nil {
		return fmt.Errorf("half-close: %w", err)
	}
	return nil
}

func readSide(o *options, st *stats, s muxStream, size uint64, resetting *atomic.Bool) error {
	buf := make([]byte, o.writeSize)
	want := make([]byte, o.writeSize)
	var got uint64
	for {
		if o.readDelay > 0 {
			time.Sleep(o.readDelay)
		}
		n, err := s.Read(buf)
		if n > 0 {
			st.bytesReceived.Add(int64(n))
			if o.sink {
				return fmt.Errorf("the sink sent %d bytes back", n)
			}
			if got+uint64(n) > size {
				return fmt.Errorf("echo longer than the %d bytes sent", size)
			}
			fillPattern(want[:n], s.ID(), got)
			if !bytes.Equal(buf[:n], want[:n]) {
				i := 0
				for buf[i] == want[i] {
					i++
				}
				return fmt.Errorf("echo differs at offset %d: got %#02x, want %#02x", got+uint64(i), buf[i], want[i])
			}
			got += uint64(n)
		}
		if err == nil {
			continue
		}
		switch {
		case o.sink && errors.Is(err, io.EOF):
			return nil // the sink half-closed without sending anything
		case o.resetAfter >= 0:
			if !resetting.Load() {
				return fmt.Errorf("stream ended before it was reset (after %d bytes): %v", got, err)
			}
			return nil // the reset ended the stream, as expected
		case errors.Is(err, io.EOF):
			if got != size {
				return fmt.Errorf("echo ended after %d of %d bytes", got, size)
			}
			return nil
		default:
			return fmt.Errorf("read after %d bytes: %w", got, err)
		}
	}
}

// runPings sends --ping pings one after the other and prints each round trip time.
func runPings(o *options, st *stats, sess muxSession) bool {
	for i := 0; i < o.ping; i++ {
		rtt, err := sess.Ping()
		if err != nil {
			fmt.Fprintf(os.Stderr, "yamux-go-peer: ping %d: %v\n", i, err)
			return false
		}
		st.pings.Add(1)
		fmt.Printf("ping %d\n", rtt.Nanoseconds())
	}
	return true
}

// runIdle opens --idle streams without writing, prints the resident set size, then
// half-closes them and waits for the remote's half-close.
func runIdle(o *options, st *stats, sess muxSession) bool {
	streams := make([]muxStream, 0, o.idle)
	ok := true
	for i := 0; i < o.idle; i++ {
		s, err := sess.Open()
		if err != nil {
			fmt.Fprintf(os.Stderr, "yamux-go-peer: open idle stream %d: %v\n", i, err)
			ok = false
			break
		}
		st.streamsOpened.Add(1)
		streams = append(streams, s)
	}
	fmt.Printf("idle %d %d\n", len(streams), rssBytes())
	var wg sync.WaitGroup
	for _, s := range streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.CloseWrite()
			n, err := io.Copy(io.Discard, s)
			if err != nil || n != 0 {
				fmt.Fprintf(os.Stderr, "yamux-go-peer: idle stream %d: %d bytes, %v\n", s.ID(), n, err)
			}
		}()
	}
	wg.Wait()
	return ok
}
