package peer

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// frameConn wraps the TCP connection under a yamux session and follows the frame
// boundaries in both directions (12-byte headers, data frames followed by their payload).
// It is used to
//   - observe GoAway frames sent and received (their codes decide exit status 3),
//   - know when a GoAway(0), FIN or RST actually reached the socket (go-yamux only
//     queues them, and its Close drops what is still queued),
//   - inject a RST between two frames (hashicorp/yamux has no Stream.Reset),
//   - close lingering (see Close).
type frameConn struct {
	net.Conn

	wmu      sync.Mutex
	out      frameTracker
	pendOut  []byte        // frames to write at the next outbound frame boundary
	outFlush chan struct{} // closed once pendOut is written

	rmu    sync.Mutex
	in     frameTracker
	pendIn []byte // frames to hand to the session at the next inbound frame boundary

	goAwaySentCode atomic.Int64 // last GoAway code sent + 1, 0: none
	goAwayRecvCode atomic.Int64 // last GoAway code received + 1, 0: none
	goAwaySent     chan struct{}
	goAwayOnce     sync.Once

	ctlMu      sync.Mutex
	ctlPending map[uint32]uint16 // stream id -> FIN/RST flags asked for, not yet written

	readEnded  chan struct{} // closed when a Read of the socket failed (EOF, reset, closed)
	readOnce   sync.Once
	reading    atomic.Int32 // Reads in progress
	closing    atomic.Bool
	closeOnce  sync.Once
	closeError error
}

// lingerTime bounds how long Close waits for the remote to close after our FIN.
const lingerTime = 2 * time.Second

const (
	hdrSize    = 12
	typeData   = 0
	typeWinUpd = 1
	typeGoAway = 3
	flagFIN    = 4
	flagRST    = 8
)

// frameTracker follows frame boundaries in a byte stream.
type frameTracker struct {
	hdr  [hdrSize]byte
	hlen int    // header bytes seen so far
	skip uint64 // payload bytes still to come
}

func (t *frameTracker) atBoundary() bool { return t.hlen == 0 && t.skip == 0 }

// left is how many bytes remain in the current frame (header or payload).
func (t *frameTracker) left() int {
	if t.skip > 0 {
		return int(min(t.skip, 1<<30))
	}
	return hdrSize - t.hlen
}

// feed consumes p, calling onHeader for each complete header.
func (t *frameTracker) feed(p []byte, onHeader func(h []byte)) {
	for len(p) > 0 {
		if t.skip > 0 {
			n := min(uint64(len(p)), t.skip)
			t.skip -= n
			p = p[n:]
			continue
		}
		n := copy(t.hdr[t.hlen:], p)
		t.hlen += n
		p = p[n:]
		if t.hlen == hdrSize {
			t.hlen = 0
			if t.hdr[1] == typeData {
				t.skip = uint64(binary.BigEndian.Uint32(t.hdr[8:12]))
			}
			onHeader(t.hdr[:])
		}
	}
}

func newFrameConn(c net.Conn) *frameConn {
	return &frameConn{Conn: c, goAwaySent: make(chan struct{}), ctlPending: map[uint32]uint16{},
		readEnded: make(chan struct{})}
}

// Close is a lingering close: FIN first, then wait (bounded) until the session's reader
// sees the remote close too. Closing a socket with unread input makes the kernel send RST
// instead of FIN, and a RST makes the remote's kernel drop what it has not yet handed to
// the remote application: the last frames we sent (a final RST or GoAway, the tail of a
// stream) would be lost. Both libraries keep reading until Close returns.
//
// If no Read is in progress (the session's reader quit, e.g. on a protocol error, and
// calls Close itself), Close drains the socket itself. Either way the session is shut
// down by then, so what arrives meanwhile no longer matters.
func (c *frameConn) Close() error {
	c.closeOnce.Do(func() {
		c.closing.Store(true)
		if tc, ok := c.Conn.(*net.TCPConn); ok {
			tc.CloseWrite()
			if c.reading.Load() > 0 {
				select {
				case <-c.readEnded:
				case <-time.After(lingerTime):
				}
			} else {
				tc.SetReadDeadline(time.Now().Add(lingerTime))
				io.Copy(io.Discard, tc) // until EOF, an error or the deadline
			}
		}
		c.closeError = c.Conn.Close()
	})
	return c.closeError
}

// expectControl notes that a FIN or RST for stream id is about to be queued;
// pendingControl counts those not yet written to the socket.
func (c *frameConn) expectControl(id uint32, flag uint16) {
	c.ctlMu.Lock()
	c.ctlPending[id] |= flag
	c.ctlMu.Unlock()
}

func (c *frameConn) forgetControl(id uint32, flag uint16) {
	c.ctlMu.Lock()
	if c.ctlPending[id] &^= flag; c.ctlPending[id] == 0 {
		delete(c.ctlPending, id)
	}
	c.ctlMu.Unlock()
}

func (c *frameConn) pendingControl() int {
	c.ctlMu.Lock()
	defer c.ctlMu.Unlock()
	return len(c.ctlPending)
}

func (c *frameConn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	n, err := c.Conn.Write(p)
	c.out.feed(p[:n], func(h []byte) {
		if fl := binary.BigEndian.Uint16(h[2:4]) & (flagFIN | flagRST); fl != 0 && h[1] <= typeWinUpd {
			c.forgetControl(binary.BigEndian.Uint32(h[4:8]), fl)
		}
		if h[1] == typeGoAway {
			c.goAwaySentCode.Store(int64(binary.BigEndian.Uint32(h[8:12])) + 1)
			c.goAwayOnce.Do(func() { close(c.goAwaySent) })
		}
	})
	if len(c.pendOut) > 0 && (err != nil || c.out.atBoundary()) {
		if err == nil {
			_, err = c.Conn.Write(c.pendOut)
		}
		c.pendOut = nil
		close(c.outFlush)
	}
	return n, err
}

func (c *frameConn) Read(p []byte) (int, error) {
	for {
		c.rmu.Lock()
		if len(c.pendIn) > 0 && c.in.atBoundary() {
			n := copy(p, c.pendIn)
			c.pendIn = c.pendIn[n:]
			c.rmu.Unlock()
			return n, nil
		}
		if len(c.pendIn) > 0 && len(p) > c.in.left() {
			p = p[:c.in.left()] // stop at the frame boundary, the injection goes next
		}
		c.rmu.Unlock()

		c.reading.Add(1)
		n, err := c.Conn.Read(p)
		c.reading.Add(-1)
		if c.closing.Load() {
			// Close may be draining the socket concurrently: the byte stream is no
			// longer whole, stop following it.
			if err != nil {
				c.readOnce.Do(func() { close(c.readEnded) })
			}
			return n, err
		}
		c.rmu.Lock()
		c.in.feed(p[:n], func(h []byte) {
			if h[1] == typeGoAway {
				c.goAwayRecvCode.Store(int64(binary.BigEndian.Uint32(h[8:12])) + 1)
			}
		})
		c.rmu.Unlock()
		if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
			// Woken up by injectReset: clear the deadline and deliver what we have.
			c.Conn.SetReadDeadline(time.Time{})
			if n > 0 {
				return n, nil
			}
			continue
		}
		if err != nil {
			c.readOnce.Do(func() { close(c.readEnded) })
		}
		return n, err
	}
}

// injectReset sends RST for stream id between two outbound frames and hands the same RST
// to the local session as if the remote had sent it.
func (c *frameConn) injectReset(id uint32) error {
	var f [hdrSize]byte
	f[1] = typeWinUpd
	binary.BigEndian.PutUint16(f[2:4], flagRST)
	binary.BigEndian.PutUint32(f[4:8], id)

	c.wmu.Lock()
	var err error
	var flushed chan struct{}
	if c.out.atBoundary() {
		_, err = c.Conn.Write(f[:])
	} else {
		if c.pendOut == nil {
			c.outFlush = make(chan struct{})
		}
		c.pendOut = append(c.pendOut, f[:]...)
		flushed = c.outFlush
	}
	c.wmu.Unlock()
	if flushed != nil {
		// The session is in the middle of a frame, whose rest follows at once. Wait for
		// it: once the local stream is reset the session may close, and the RST must be
		// on the wire by then.
		select {
		case <-flushed:
		case <-time.After(10 * time.Second):
			return errors.New("RST not written within 10 s")
		}
	}

	c.rmu.Lock()
	c.pendIn = append(c.pendIn, f[:]...)
	c.rmu.Unlock()
	// Wake the session's reader if it is blocked in Read (neither library sets read
	// deadlines on the connection itself).
	c.Conn.SetReadDeadline(time.Now())
	return err
}

// goAwayError reports a GoAway with a non-zero code sent or received.
func (c *frameConn) goAwayError() (sent, recv int64) {
	return c.goAwaySentCode.Load() - 1, c.goAwayRecvCode.Load() - 1
}
