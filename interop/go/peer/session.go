package peer

import (
	"fmt"
	"net"
	"os"
	"sync"
	"time"
)

// runSession runs one yamux session over conn and returns its exit status.
//
// Lifetime: a peer with work of its own (--open, --ping, --idle, --goaway) does it, sends
// GoAway(0) if asked, waits until no stream is left in the session (so streams the
// remote opened are not cut), then closes the session. A peer without work serves until
// the remote ends the session.
//
// Ordering: streams the remote opens are accepted (ACKed) at once, but nothing is read
// from or echoed on them until all of our own streams are opened. All our SYNs thus
// precede our first echoed byte, so when both sides --open, the remote sees every one of
// our streams before any of its own can complete, and its "no stream left" test cannot
// close the session under our streams.
func runSession(o *options, st *stats, conn net.Conn, client bool) int {
	fc := newFrameConn(conn)
	sess, err := newMux(o, fc, client)
	if err != nil {
		conn.Close()
		fmt.Fprintf(os.Stderr, "yamux-go-peer: session: %v\n", err)
		return exitUsage
	}

	gate := make(chan struct{})
	acceptErr := make(chan error, 1)
	go func() { acceptErr <- acceptLoop(o, st, sess, gate) }()

	ok := true
	if o.open > 0 || o.ping > 0 || o.idle > 0 || o.goAway {
		var wg sync.WaitGroup
		pingOK := true
		if o.ping > 0 {
			wg.Add(1)
			go func() { defer wg.Done(); pingOK = runPings(o, st, sess) }()
		}
		openGate := sync.OnceFunc(func() { close(gate) })
		if o.open > 0 {
			ok = runOpens(o, st, sess, openGate) && ok
		}
		openGate()
		if o.idle > 0 {
			ok = runIdle(o, st, sess) && ok
		}
		wg.Wait()
		ok = ok && pingOK
		if o.goAway {
			sendGoAway(sess, fc)
		}
		drain(sess, fc)
		sess.Close()
	} else {
		close(gate)
	}

	<-acceptErr
	sess.Close()
	sessErr := sess.Err()
	sent, recv := fc.goAwayError()
	switch {
	case sent > 0 || recv > 0:
		fmt.Fprintf(os.Stderr, "yamux-go-peer: GoAway with error code (sent %d, received %d; -1: none)\n", sent, recv)
		return exitProtocol
	case sessErr != nil && sess.protocolError(sessErr):
		fmt.Fprintf(os.Stderr, "yamux-go-peer: protocol error: %v\n", sessErr)
		return exitProtocol
	case !ok:
		return exitVerify
	}
	return exitOK
}

// sendGoAway sends GoAway(0) and waits until it is on the socket (go-yamux only queues
// it, and its Close would drop a queued frame).
func sendGoAway(sess muxSession, fc *frameConn) {
	if err := sess.GoAway(); err != nil {
		fmt.Fprintf(os.Stderr, "yamux-go-peer: goaway: %v\n", err)
		return
	}
	select {
	case <-fc.goAwaySent:
	case <-sess.Done():
	case <-time.After(10 * time.Second):
		fmt.Fprintln(os.Stderr, "yamux-go-peer: goaway not written after 10 s")
	}
}

// drain waits until the session holds no stream and every FIN/RST we asked for is on
// the socket (go-yamux queues them, and its Close drops what is still queued), or until
// the session ended. Neither library has an event for this, so it polls.
func drain(sess muxSession, fc *frameConn) {
	t := time.NewTicker(2 * time.Millisecond)
	defer t.Stop()
	var flushDeadline time.Time
	for {
		if sess.NumStreams() == 0 {
			if fc.pendingControl() == 0 {
				return
			}
			if flushDeadline.IsZero() {
				flushDeadline = time.Now().Add(5 * time.Second)
			} else if time.Now().After(flushDeadline) {
				fmt.Fprintf(os.Stderr, "yamux-go-peer: %d FIN/RST frames never reached the socket\n", fc.pendingControl())
				return
			}
		}
		select {
		case <-sess.Done():
			return
		case <-t.C:
		}
	}
}
