//go:build js && wasm

package main

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"syscall/js"
	"time"
)

// transport (GOOS=js): the queue is the object globalThis.yamuxQueues[N] installed by the
// host (web/src/host/gojs-worker.js) for "fd:N":
//
//	read(max)        -> n > 0 bytes now in rbuf, 0 end of file, -6 EAGAIN, < 0 other errno
//	write(n)         -> bytes of wbuf[0:n] queued (> 0), -6 EAGAIN, < 0 other errno
//	wait(events, cb) -> calls cb() once one of events (1 readable, 2 writable) may be
//	                    ready; the host waits with Atomics.waitAsync, never blocking
//	close()
//	rbuf, wbuf       Uint8Array scratch buffers
//
// A goroutine that finds the queue empty (or full) parks on a channel that the callback
// signals; while every goroutine waits, Go's js runtime returns to the event loop, which
// resolves the waitAsync promise. A blocking Atomics.wait here would freeze every goroutine
// (the js runtime has one thread and no poller).
type transport struct{}

const (
	evReadable = 1
	evWritable = 2
	errAgain   = -6 // WASI EAGAIN
	errPipe    = -64
)

func (transport) Dial(addr string) (net.Conn, error) { return newJSConn(addr) }

func (transport) Listen(addr string) (net.Listener, error) {
	c, err := newJSConn(addr)
	if err != nil {
		return nil, err
	}
	return newOneConnListener(c, addr), nil
}

type jsConn struct {
	q          js.Value
	rbuf, wbuf js.Value
	rcap, wcap int
	rmu, wmu   sync.Mutex
	rwake      chan struct{}
	wwake      chan struct{}
	cbR, cbW   js.Func
	done       chan struct{}
	closeOnce  sync.Once
	addr       fdAddr

	dmu       sync.Mutex
	rdeadline time.Time
	rtimer    *time.Timer
}

func newJSConn(addr string) (*jsConn, error) {
	fd, err := parseFD(addr)
	if err != nil {
		return nil, err
	}
	qs := js.Global().Get("yamuxQueues")
	if qs.IsUndefined() || qs.Index(fd).IsUndefined() {
		return nil, &os.PathError{Op: "open", Path: addr, Err: syscall.EBADF}
	}
	q := qs.Index(fd)
	c := &jsConn{
		q: q, rbuf: q.Get("rbuf"), wbuf: q.Get("wbuf"),
		rwake: make(chan struct{}, 1), wwake: make(chan struct{}, 1), done: make(chan struct{}),
		addr: fdAddr(addr),
	}
	c.rcap = c.rbuf.Length()
	c.wcap = c.wbuf.Length()
	signal := func(ch chan struct{}) js.Func {
		return js.FuncOf(func(js.Value, []js.Value) any {
			select {
			case ch <- struct{}{}:
			default:
			}
			return nil
		})
	}
	c.cbR = signal(c.rwake)
	c.cbW = signal(c.wwake)
	return c, nil
}

func opError(op string, err error) error {
	return &net.OpError{Op: op, Net: "shmq", Err: err}
}

func (c *jsConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	c.rmu.Lock()
	defer c.rmu.Unlock()
	for {
		select {
		case <-c.done:
			return 0, opError("read", net.ErrClosed)
		default:
		}
		if c.deadlinePassed() {
			return 0, opError("read", os.ErrDeadlineExceeded)
		}
		n := min(len(p), c.rcap)
		r := c.q.Call("read", n).Int()
		switch {
		case r > 0:
			js.CopyBytesToGo(p[:r], c.rbuf)
			return r, nil
		case r == 0:
			return 0, io.EOF
		case r != errAgain:
			return 0, opError("read", syscall.ECONNRESET)
		}
		c.q.Call("wait", evReadable, c.cbR)
		select {
		case <-c.rwake:
		case <-c.done:
		}
	}
}

func (c *jsConn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	total := 0
	for total < len(p) {
		select {
		case <-c.done:
			return total, opError("write", net.ErrClosed)
		default:
		}
		m := min(len(p)-total, c.wcap)
		js.CopyBytesToJS(c.wbuf, p[total:total+m])
		r := c.q.Call("write", m).Int()
		switch {
		case r > 0:
			total += r
			continue
		case r == errAgain:
		case r == errPipe:
			return total, opError("write", syscall.EPIPE)
		default:
			return total, opError("write", syscall.ECONNRESET)
		}
		c.q.Call("wait", evWritable, c.cbW)
		select {
		case <-c.wwake:
		case <-c.done:
		}
	}
	return total, nil
}

func (c *jsConn) Close() error {
	c.closeOnce.Do(func() {
		close(c.done)
		c.q.Call("close")
	})
	return nil
}

func (c *jsConn) LocalAddr() net.Addr  { return c.addr }
func (c *jsConn) RemoteAddr() net.Addr { return c.addr }

func (c *jsConn) deadlinePassed() bool {
	c.dmu.Lock()
	defer c.dmu.Unlock()
	return !c.rdeadline.IsZero() && !time.Now().Before(c.rdeadline)
}

// SetReadDeadline: a waiting Read returns os.ErrDeadlineExceeded once it passes (the peer's
// frame-aware wrapper uses it to wake the reader). Write deadlines are not supported.
func (c *jsConn) SetReadDeadline(t time.Time) error {
	c.dmu.Lock()
	defer c.dmu.Unlock()
	c.rdeadline = t
	if c.rtimer != nil {
		c.rtimer.Stop()
		c.rtimer = nil
	}
	if !t.IsZero() {
		c.rtimer = time.AfterFunc(time.Until(t), func() {
			select {
			case c.rwake <- struct{}{}:
			default:
			}
		})
	}
	return nil
}

func (c *jsConn) SetWriteDeadline(t time.Time) error {
	if t.IsZero() {
		return nil
	}
	return errors.New("shmq: write deadlines are not supported")
}

func (c *jsConn) SetDeadline(t time.Time) error {
	if err := c.SetReadDeadline(t); err != nil {
		return err
	}
	return c.SetWriteDeadline(t)
}
