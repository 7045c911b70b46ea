package peer

import (
	"context"
	"errors"
	"io"
	"strings"
	"time"

	hyamux "github.com/hashicorp/yamux"
	lyamux "github.com/libp2p/go-yamux/v5"
)

// muxSession is the little the peer needs from a yamux session; one adapter per library.
type muxSession interface {
	Open() (muxStream, error)
	// Accept returns the next stream the remote opened, or the error the session ended with.
	Accept() (muxStream, error)
	Ping() (time.Duration, error)
	GoAway() error // send GoAway(0)
	Close() error
	NumStreams() int
	Done() <-chan struct{}
	// Err waits for the session to end and returns the error it ended with.
	Err() error
	// protocolError tells whether the session's terminal error means malformed input or a
	// GoAway with an error code (exit status 3), as opposed to a clean or transport end.
	protocolError(err error) bool
}

type muxStream interface {
	io.Reader
	io.Writer
	ID() uint32
	CloseWrite() error // half-close: FIN, reads keep working
	Reset() error      // RST
}

func newMux(o *options, fc *frameConn, client bool) (muxSession, error) {
	if o.impl == "libp2p" {
		return newLibp2p(o, fc, client)
	}
	return newHashicorp(o, fc, client)
}

// ---- github.com/hashicorp/yamux ----

type hcSession struct {
	s  *hyamux.Session
	fc *frameConn
}

type hcStream struct {
	*hyamux.Stream
	fc *frameConn
}

func newHashicorp(o *options, fc *frameConn, client bool) (muxSession, error) {
	cfg := hyamux.DefaultConfig()
	cfg.MaxStreamWindowSize = uint32(o.window)
	cfg.EnableKeepAlive = o.keepalive > 0
	if o.keepalive > 0 {
		cfg.KeepAliveInterval = time.Duration(o.keepalive) * time.Second
	}
	cfg.LogOutput = logOutput
	var s *hyamux.Session
	var err error
	if client {
		s, err = hyamux.Client(fc, cfg)
	} else {
		s, err = hyamux.Server(fc, cfg)
	}
	if err != nil {
		return nil, err
	}
	return &hcSession{s: s, fc: fc}, nil
}

func (h *hcSession) Open() (muxStream, error) {
	st, err := h.s.OpenStream()
	if err != nil {
		return nil, err
	}
	return hcStream{st, h.fc}, nil
}

func (h *hcSession) Accept() (muxStream, error) {
	st, err := h.s.AcceptStream()
	if err != nil {
		return nil, err
	}
	return hcStream{st, h.fc}, nil
}

// Err: AcceptStream on a closed session returns its terminal error, unless it picks a
// stream still queued for accept (then it fails with ErrSessionShutdown); at most
// AcceptBacklog queued streams, so that many tries drain the queue.
func (h *hcSession) Err() error {
	<-h.s.CloseChan()
	var err error
	for i := 0; i <= 256; i++ {
		if _, err = h.s.AcceptStream(); err != hyamux.ErrSessionShutdown {
			return err
		}
	}
	return err
}

func (h *hcSession) Ping() (time.Duration, error) { return h.s.Ping() }
func (h *hcSession) GoAway() error                { return h.s.GoAway() }
func (h *hcSession) Close() error                 { return h.s.Close() }
func (h *hcSession) NumStreams() int              { return h.s.NumStreams() }
func (h *hcSession) Done() <-chan struct{}        { return h.s.CloseChan() }

func (h *hcSession) protocolError(err error) bool {
	for _, e := range []error{hyamux.ErrInvalidVersion, hyamux.ErrInvalidMsgType,
		hyamux.ErrDuplicateStream, hyamux.ErrRecvWindowExceeded, hyamux.ErrUnexpectedFlag} {
		if errors.Is(err, e) {
			return true
		}
	}
	// A received GoAway with an error code ends the session with a plain fmt error.
	msg := err.Error()
	return strings.Contains(msg, "yamux protocol error") ||
		strings.Contains(msg, "remote yamux internal error") ||
		strings.Contains(msg, "unexpected go away")
}

func (s hcStream) ID() uint32 { return s.StreamID() }

// CloseWrite: hashicorp's Stream.Close is a half-close (sends FIN, reads keep working).
func (s hcStream) CloseWrite() error { return s.Close() }

// Reset: hashicorp/yamux v0.1.2 has no stream reset API. The frame-aware connection wrapper
// puts a RST on the wire between two frames and feeds the same RST to the local session,
// so the local stream ends up in its reset state exactly as if the remote had reset it.
func (s hcStream) Reset() error { return s.fc.injectReset(s.StreamID()) }

// ---- github.com/libp2p/go-yamux/v5 ----

type lpSession struct {
	s  *lyamux.Session
	fc *frameConn
}

// lpStream notes each FIN/RST it queues (see drain).
type lpStream struct {
	*lyamux.Stream
	fc *frameConn
}

func newLibp2p(o *options, fc *frameConn, client bool) (muxSession, error) {
	cfg := lyamux.DefaultConfig()
	// --window is the max receive window. go-yamux starts a stream at
	// InitialStreamWindowSize and auto-tunes up to MaxStreamWindowSize (default 16 MiB);
	// setting both announces the whole window in the SYN/ACK (as hashicorp does) and
	// turns the auto-tuning off, so both Go peers mean the same by --window.
	cfg.InitialStreamWindowSize = uint32(o.window)
	cfg.MaxStreamWindowSize = uint32(o.window)
	cfg.EnableKeepAlive = o.keepalive > 0
	if o.keepalive > 0 {
		cfg.KeepAliveInterval = time.Duration(o.keepalive) * time.Second
	}
	cfg.LogOutput = logOutput
	var s *lyamux.Session
	var err error
	if client {
		s, err = lyamux.Client(fc, cfg, nil) // nil: no memory manager, no limits
	} else {
		s, err = lyamux.Server(fc, cfg, nil)
	}
	if err != nil {
		return nil, err
	}
	return &lpSession{s: s, fc: fc}, nil
}

func (l *lpSession) Open() (muxStream, error) {
	st, err := l.s.OpenStream(context.Background())
	if err != nil {
		return nil, err
	}
	return lpStream{st, l.fc}, nil
}

func (l *lpSession) Accept() (muxStream, error) {
	st, err := l.s.AcceptStream()
	if err != nil {
		return nil, err
	}
	return lpStream{st, l.fc}, nil
}

func (l *lpSession) Ping() (time.Duration, error) { return l.s.Ping() }
func (l *lpSession) GoAway() error                { return l.s.GoAway() }
func (l *lpSession) Close() error                 { return l.s.Close() }
func (l *lpSession) NumStreams() int              { return l.s.NumStreams() }
func (l *lpSession) Done() <-chan struct{}        { return l.s.CloseChan() }

// Err: go-yamux's AcceptStream skips queued streams it cannot accept any more and
// returns the terminal error.
func (l *lpSession) Err() error {
	<-l.s.CloseChan()
	_, err := l.s.AcceptStream()
	return err
}

func (l *lpSession) protocolError(err error) bool {
	var ga *lyamux.GoAwayError
	if errors.As(err, &ga) {
		return ga.ErrorCode != 0
	}
	for _, e := range []error{lyamux.ErrInvalidVersion, lyamux.ErrInvalidMsgType,
		lyamux.ErrDuplicateStream, lyamux.ErrRecvWindowExceeded} {
		if errors.Is(err, e) {
			return true
		}
	}
	// Plain fmt errors of go-yamux: ID parity and window overflow.
	msg := err.Error()
	return strings.Contains(msg, "both yamux endpoints are clients") ||
		strings.Contains(msg, "receive window exceeded")
}

func (s lpStream) ID() uint32 { return s.StreamID() }

func (s lpStream) CloseWrite() error { return s.control(flagFIN, s.Stream.CloseWrite) }
func (s lpStream) Reset() error      { return s.control(flagRST, s.Stream.Reset) }

func (s lpStream) control(flag uint16, f func() error) error {
	s.fc.expectControl(s.StreamID(), flag)
	err := f()
	if err != nil {
		s.fc.forgetControl(s.StreamID(), flag)
	}
	return err
}
